"""The domain: what the numbers mean — ranking, targets, verification (risk, sampling, results), publication and
official documents, reporting status — computed from warehouse reads, returning frames, tables and figures the pages
show. No Streamlit here; writes go through warehouse/."""
