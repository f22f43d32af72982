"""Reading a clean demo directory into editable rows, and writing the manipulated copy.

Each submission file is read with the product's own reader (`etl.read.read_table`), so title rows, GB18030
CSVs and odd cell spellings are handled exactly as the loader handles them. Rows are kept as dicts of cell
texts (contract keys, see `etl.read.SUBMISSION_COLUMNS`) plus parsed values under `_`-prefixed keys.

Only the latest version (latest `received_at` in manifest.csv) of each (unit, month) is edited; a modified file is
written as UTF-8 CSV named `<stem>.csv` and the manifest entry is renamed accordingly. Untouched files are copied
byte for byte.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from core import catalog
from core.template import SUBMISSION_COLUMNS
from etl.parse import date_expr, month_expr, number_expr
from etl.read import FileRejected, read_table
from etl.validate import file_identity

KEYS = tuple(c.key for c in SUBMISSION_COLUMNS)
HEADERS = tuple(c.header for c in SUBMISSION_COLUMNS)
AMOUNT_KEYS = ("signed_amount_wan", "planned_investment_wan", "funds_month_wan", "funds_cum_wan")
DATE_KEYS = ("signing_date", "start_date", "production_date")


def fmt_amount(value: float) -> str:
    """An amount in 万元 as a plain number with at most two decimals (no exponent, no trailing zeros)."""
    text = f"{round(value, 2):.2f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def add_months(month: dt.date, n: int) -> dt.date:
    y, m = divmod(month.year * 12 + month.month - 1 + n, 12)
    return dt.date(y, m + 1, 1)


def month_text(month: dt.date) -> str:
    return f"{month.year:04d}-{month.month:02d}"


@dataclass
class SubFile:
    """One submission file of the clean directory."""

    name: str
    received_at: str
    unit: catalog.Unit | None = None
    month: dt.date | None = None
    rows: list[dict] = field(default_factory=list)
    latest: bool = False
    modified: bool = False
    original: list[tuple] = field(default_factory=list)  # cell texts as read, to detect edits

    def cells(self) -> list[tuple]:
        return [tuple(r.get(k) for k in KEYS) for r in self.rows]

    def changed(self) -> bool:
        return self.modified or self.cells() != self.original

    @property
    def out_name(self) -> str:
        return str(Path(self.name).with_suffix(".csv")) if self.changed() else self.name


@dataclass
class Dataset:
    root: Path
    files: list[SubFile]
    latest: dict[tuple[str, dt.date], SubFile]
    months: list[dt.date]
    five_hundred: dict[tuple[str, int], tuple[set[str], set[str]]]  # (list, year) -> (names, usccs)
    companies: dict[tuple[str, int], list[tuple[str, str]]]  # (list, year) -> [(name, uscc or "")]

    # ------------------------------------------------------------------ views
    def units(self) -> list[catalog.Unit]:
        seen = {f.unit.code: f.unit for f in self.latest.values()}
        return [seen[c] for c in sorted(seen)]

    def file(self, unit_code: str, month: dt.date) -> SubFile | None:
        return self.latest.get((unit_code, month))

    def projects(self) -> dict[tuple[str, str], dict[dt.date, dict]]:
        """(unit code, project id) -> {month: row} over the latest versions (rebuilt on each call)."""
        out: dict[tuple[str, str], dict[dt.date, dict]] = {}
        for (code, month), f in sorted(self.latest.items()):
            for row in f.rows:
                out.setdefault((code, row["project_id"]), {})[month] = row
        return out

    def project_ids(self, unit_code: str) -> set[str]:
        return {r["project_id"] for (code, _), f in self.latest.items() if code == unit_code for r in f.rows}

    def listed(self, list_name: str, year: int, name: str | None, uscc: str | None) -> bool:
        """Whether a company is on a 三个500强 list of a year (by name or USCC), as the validator checks it."""
        names, usccs = self.five_hundred.get((list_name, year), (set(), set()))
        return (name in names) or (uscc is not None and uscc in usccs)

    # ------------------------------------------------------------------ edits
    def touch(self, unit_code: str, month: dt.date) -> SubFile:
        f = self.latest[(unit_code, month)]
        f.modified = True
        return f

    def add_row(self, unit_code: str, month: dt.date, row: dict) -> dict:
        f = self.touch(unit_code, month)
        template = f.rows[0]
        new = dict(row)
        new["unit"], new["month"] = template["unit"], template["month"]
        f.rows.append(new)
        return new

    def remove_row(self, unit_code: str, month: dt.date, project_id: str) -> None:
        f = self.touch(unit_code, month)
        f.rows = [r for r in f.rows if r["project_id"] != project_id]


# ---------------------------------------------------------------------- row value helpers

def set_amount(row: dict, key: str, value: float) -> None:
    row["_" + key] = round(value, 2)
    row[key] = fmt_amount(value)


def set_date(row: dict, key: str, value: dt.date | None) -> None:
    row["_" + key] = value
    row[key] = value.isoformat() if value else None


def set_text(row: dict, key: str, value: str | None) -> None:
    row[key] = value


def amount(row: dict, key: str) -> float:
    return row["_" + key]


# ---------------------------------------------------------------------- reading

def _read_manifest(path: Path) -> list[tuple[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [(r["file"].strip(), r["received_at"].strip()) for r in csv.DictReader(f)]


def _typed(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.with_columns(
        *[number_expr(pl.col(k)).cast(pl.Float64).alias("_" + k) for k in AMOUNT_KEYS],
        *[date_expr(pl.col(k)).alias("_" + k) for k in DATE_KEYS],
    )


def _read_five_hundred(ref_dir: Path) -> tuple[dict, dict]:
    sets: dict[tuple[str, int], tuple[set[str], set[str]]] = {}
    pairs: dict[tuple[str, int], list[tuple[str, str]]] = {}
    for p in sorted(ref_dir.glob("five_hundred_*.csv")):
        text = p.read_bytes().decode("utf-8-sig")
        for r in csv.DictReader(io.StringIO(text)):
            key = (r["名录"].strip(), int(r["年度"]))
            name, uscc = r["企业名称"].strip(), (r.get("统一社会信用代码") or "").strip()
            names, usccs = sets.setdefault(key, (set(), set()))
            names.add(name)
            if uscc:
                usccs.add(uscc)
            pairs.setdefault(key, []).append((name, uscc))
    return sets, pairs


def read_dataset(root: str | Path) -> Dataset:
    root = Path(root)
    sub = root / "submissions"
    manifest = _read_manifest(root / "manifest.csv") if (root / "manifest.csv").exists() else []
    received = dict(manifest)
    names = sorted({n for n, _ in manifest} | {p.name for p in sub.iterdir() if p.is_file()})
    files: list[SubFile] = []
    for name in names:
        f = SubFile(name, received.get(name, ""))
        files.append(f)
        path = sub / name
        if not path.exists():
            continue
        try:
            raw = read_table(name, path.read_bytes())
            f.unit, f.month = file_identity(raw)
        except FileRejected:
            continue  # a deliberately bad file: copied unchanged
        frame = _typed(raw.frame.drop("row_no"))
        f.rows = frame.to_dicts()
        f.original = f.cells()
    latest: dict[tuple[str, dt.date], SubFile] = {}
    for f in files:
        if f.unit is None:
            continue
        key = (f.unit.code, f.month)
        if key not in latest or (f.received_at, f.name) > (latest[key].received_at, latest[key].name):
            latest[key] = f
    for f in latest.values():
        f.latest = True
    months = sorted({m for _, m in latest})
    return Dataset(root, files, latest, months, *_read_five_hundred(root / "reference"))


def parse_month_text(text: str) -> dt.date | None:
    return pl.select(month_expr(pl.lit(text))).item()


# ---------------------------------------------------------------------- writing

def _csv_bytes(rows: list[dict]) -> bytes:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\r\n")
    w.writerow(HEADERS)
    for r in rows:
        w.writerow(["" if r.get(k) is None else r[k] for k in KEYS])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def write_dataset(ds: Dataset, out: str | Path, truth_rows: list[dict]) -> None:
    out = Path(out)
    if out.exists():
        shutil.rmtree(out)
    (out / "submissions").mkdir(parents=True)
    shutil.copytree(ds.root / "reference", out / "reference")
    for f in ds.files:
        src = ds.root / "submissions" / f.name
        if f.changed():
            (out / "submissions" / f.out_name).write_bytes(_csv_bytes(f.rows))
        elif src.exists():
            shutil.copyfile(src, out / "submissions" / f.name)
    with (out / "manifest.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["file", "received_at"])
        for f in sorted(ds.files, key=lambda f: (f.received_at, f.name)):
            if f.received_at:
                w.writerow([f.out_name, f.received_at])
    (out / "ground_truth").mkdir()
    cols = ("unit_code", "project_id", "kind", "variant", "first_month", "description")
    with (out / "ground_truth" / "manipulations.csv").open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=cols, lineterminator="\n")
        w.writeheader()
        for r in sorted(truth_rows, key=lambda r: (r["unit_code"], r["project_id"], r["kind"])):
            w.writerow({k: r[k] for k in cols})
