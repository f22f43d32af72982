"""A reader process for tests/test_concurrency.py: query the current snapshot in a loop, recording every
observation and every error as JSON. It says it is up (OUT.ready) after its first observation, and stops once the
stop file exists and it has observed the snapshot named in it (so it has seen the final state)."""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from warehouse import store  # noqa: E402

OBSERVE_SQL = """
SELECT (SELECT count(*) FROM submission_versions) AS submissions,
       (SELECT coalesce(sum(funds_month_wan), 0) FROM mart_unit_month)::VARCHAR AS mart_funds,
       (SELECT coalesce(sum(funds_month_wan), 0) FROM fact_project_month WHERE counts_for_funds)::VARCHAR AS fact_funds
"""


def main(warehouse: str, stop_file: str, out_file: str) -> None:
    observations, errors = [], []
    ready, stop = Path(out_file + ".ready"), Path(stop_file)
    while True:
        final = stop.read_text().strip() if stop.exists() else None
        try:
            snap = store.current_snapshot(warehouse)
            row = store.frame(snap, OBSERVE_SQL).row(0)
            observations.append([snap.identity, *row])
            ready.touch()
        except Exception as exc:  # noqa: BLE001 - the test counts every kind of failure
            errors.append(repr(exc))
        if final is not None and (not final or any(o[0] == final for o in observations[-1:])):
            break
        time.sleep(0.005)  # polling interval, not a synchronisation
    Path(out_file).write_text(json.dumps({"observations": observations, "errors": errors}))


if __name__ == "__main__":
    main(*sys.argv[1:4])
