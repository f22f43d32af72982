"""Loading monthly submission files and reference lists into the warehouse (docs/CONTRACT.md §1–§3).

read (xlsx/csv -> cell texts with Excel row numbers) -> parse (numbers, dates, months, USCC) -> validate
(file rejection, row quarantine, warnings) -> load (one transaction per file, versions, audit) -> report.
Public entry points: `etl.load.load_files`, `etl.load.validate_file`, `etl.reference.load_five_hundred`,
`etl.report.report_xlsx`, and the `python -m etl` command line (`etl.cli`).
"""
