"""Writes by area, run inside the caller's write transaction (`store.write_transaction` / `Writer.transaction`).

Reads live in `warehouse.queries`; these are the only other places with SQL. Names say the operation:
`insert_*` adds rows (published rows are never updated or deleted), `find_*` / `count_*` read inside the transaction.
"""
