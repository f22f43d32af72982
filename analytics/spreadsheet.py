"""Spreadsheet safety for every export: formula-injection guard (OWASP "CSV injection").

A text cell starting with = + - @ TAB or CR would be taken by Excel/WPS for a formula; it gets a leading apostrophe,
so it stays text. `unneutralise` undoes it when a work list comes back filled in.
"""
from __future__ import annotations

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """Text that Excel would take for a formula gets a leading apostrophe; anything else is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def unneutralise(value):
    """Undo `neutralise` on a text read back from an exported sheet."""
    if isinstance(value, str) and value.startswith("'") and value[1:].startswith(FORMULA_PREFIXES):
        return value[1:]
    return value
