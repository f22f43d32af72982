"""When a file counts as received (docs/CONTRACT.md §1 "Versions"): received times, the manifest, the deadline."""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
from pathlib import Path

from core import catalog, clock
from core.periods import add_months
from etl.read import FileRejected, decode_text


def parse_received_at(value: str | dt.datetime) -> dt.datetime:
    """ISO 8601 (date, or date and time, with or without offset) -> naive Asia/Shanghai time."""
    if isinstance(value, dt.datetime):
        stamp = value
    else:
        try:
            stamp = dt.datetime.fromisoformat(str(value).strip())
        except ValueError:
            raise ValueError(f"收到时间“{value}”不是 ISO 8601 格式，应形如 2025-04-03T10:30:00 或 2025-04-03") from None
    return stamp.astimezone(clock.TZ).replace(tzinfo=None) if stamp.tzinfo else stamp


def deadline_for(month: dt.date) -> dt.datetime:
    """The reporting deadline of a month: day `deadline_day` of the next month, end of day."""
    day = catalog.etl_settings()["deadline_day"]
    return dt.datetime.combine(add_months(month, 1).replace(day=day), dt.time(23, 59, 59, 999000))


def read_manifest(path: str | os.PathLike) -> dict[str, dt.datetime]:
    """`file,received_at` CSV -> {file name relative to the loaded folder: received time}."""
    p = Path(path)
    try:
        text, _ = decode_text(p.name, p.read_bytes())
    except FileRejected as exc:
        raise ValueError(exc.message) from None
    rows = list(csv.DictReader(io.StringIO(text)))
    if rows and not {"file", "received_at"} <= set(rows[0]):
        raise ValueError(f"清单文件“{p.name}”应有 file 和 received_at 两列，实际列为：{'、'.join(rows[0])}")
    out = {}
    for n, row in enumerate(rows, start=2):
        try:
            out[Path(row["file"].strip()).as_posix()] = parse_received_at(row["received_at"])
        except ValueError as exc:
            raise ValueError(f"清单文件“{p.name}”第 {n} 行：{exc}") from None
    return out
