"""Domain core: definitions, ranking, targets, anomaly detection, sampling. Pure functions; no UI."""
