"""The demo generator (python -m etl demo): realistic, deterministic and calibrated submission files.

Files are read here with polars directly (not with etl.read), so the tests check what a user's own tools see.
"""
from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import itertools
import re
import unicodedata
import zipfile
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

import polars as pl
import pytest

from core.uscc import uscc_is_valid
from simulator import demo

TODAY = "2026-11-27"
# docs/CONTRACT.md §1, written out on purpose (not imported from the reader).
CONTRACT_HEADERS = (
    "报送单位", "统计月份", "项目编号", "项目名称", "所在县区", "所属产业链", "投资方名称", "投资方统一社会信用代码",
    "投资方来源地", "三个500强类别", "资金来源", "项目类型", "签约日期", "签约金额（万元）", "计划总投资（万元）",
    "项目状态", "开工日期", "投产日期", "本月到位资金（万元）", "累计到位资金（万元）", "高新技术项目", "备注",
)
STATUSES = {"已签约未开工", "在建", "已投产", "停滞", "终止"}
COUNTED = {"省外境内", "境外"}
FILE_NAME = re.compile(r"^(\d{6})_([^_]+)_(\d{4}-\d{2})(_v2)?\.(xlsx|csv)$")
USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
# Published province 到位资金, 亿元 (docs/DOMAIN.md).
PUBLISHED = {2023: 5846.36, 2024: 7969.9}


# ------------------------------------------------------------------------------------------------ helpers

def uscc_valid(code: str) -> bool:
    """GB 32100-2015, implemented independently of the generator."""
    if len(code) != 18 or any(c not in USCC_CHARS for c in code):
        return False
    total = sum(USCC_CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(code[:17]))
    return USCC_CHARS[(31 - total % 31) % 31] == code[17]


def number(text: str | None) -> Decimal | None:
    if text is None:
        return None
    t = unicodedata.normalize("NFKC", text).replace(",", "").strip()
    if not re.fullmatch(r"-?\d+(\.\d+)?", t):
        return None
    try:
        return Decimal(t)
    except InvalidOperation:
        return None


def date(text: str | None) -> dt.date | None:
    m = re.match(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})", unicodedata.normalize("NFKC", text or ""))
    return dt.date(*map(int, m.groups())) if m else None


def month_of(text: str) -> str:
    m = re.match(r"^(\d{4})\s*[-/年]\s*(\d{1,2})", text)
    return f"{m.group(1)}-{int(m.group(2)):02d}"


def read_submission(path: Path) -> tuple[pl.DataFrame, int]:
    """All cells as text, and the Excel row number of the first data row."""
    if path.suffix == ".xlsx":
        df = pl.read_excel(path, engine="calamine", read_options={"header_row": 2}, infer_schema_length=0)
        return df.filter(pl.col("报送单位").fill_null("") != "合计"), 4
    raw = path.read_bytes()
    text = raw.decode("utf-8-sig") if raw.startswith(b"\xef\xbb\xbf") else raw.decode("gb18030")
    return pl.read_csv(io.StringIO(text), infer_schema=False), 2


def csv_rows(path: Path) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


def data_files(out: Path) -> list[Path]:
    return sorted(p for p in (out / "submissions").iterdir() if not p.name.startswith("bad_"))


def load(out: Path) -> pl.DataFrame:
    """Every data row of every loadable file, with its file, unit, month, version and Excel row number."""
    frames = []
    for path in data_files(out):
        code, _, month, v2, _ = FILE_NAME.match(path.name).groups()
        df, first_row = read_submission(path)
        frames.append(df.with_columns(
            pl.lit(path.name).alias("file"), pl.lit(code).alias("unit_code"), pl.lit(month).alias("month"),
            pl.lit(2 if v2 else 1).alias("version"), (pl.int_range(pl.len()) + first_row).alias("excel_row"),
        ))
    return pl.concat(frames, how="vertical_relaxed")


def rows_by_cell(rows: pl.DataFrame) -> dict[tuple[str, int], dict]:
    """(file, Excel row number) -> the row as the reporter sees it."""
    return {(r["file"], r["excel_row"]): r for r in rows.iter_rows(named=True)}


def latest(rows: pl.DataFrame) -> pl.DataFrame:
    return rows.filter(pl.col("version") == pl.col("version").max().over("unit_code", "month"))


def funds_by_year(rows: pl.DataFrame) -> dict[int, float]:
    """Σ 本月到位资金 of 省外境内 + 境外 rows in the latest versions, 亿元 (rows whose amount is not a number skipped)."""
    totals: dict[int, float] = defaultdict(float)
    for month, source, value in latest(rows).select("month", "资金来源", "本月到位资金（万元）").iter_rows():
        amount = number(value)
        if source in COUNTED and amount is not None:
            totals[int(month[:4])] += float(amount) / 10_000
    return totals


# ------------------------------------------------------------------------------------------------ fixtures

@pytest.fixture(scope="module")
def demo_today():
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DASHBOARD_TODAY", TODAY)
        yield


@pytest.fixture(scope="module")
def small(tmp_path_factory, demo_today):
    out = tmp_path_factory.mktemp("demo_small")
    summary = demo.generate(out, seed=7, start="2024-01", end="2024-06", scale=0.3)
    return out, summary, load(out)


@pytest.fixture(scope="module")
def full(tmp_path_factory, demo_today):
    """The default demo: 2023-01 to the last complete month before TODAY, at scale 1."""
    out = tmp_path_factory.mktemp("demo_full")
    summary = demo.generate(out)
    return out, summary, load(out)


def digest(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(out.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------------ small demo

def test_same_seed_gives_byte_identical_files(small, tmp_path):
    out, _, _ = small
    demo.generate(tmp_path / "again", seed=7, start="2024-01", end="2024-06", scale=0.3)
    assert digest(tmp_path / "again") == digest(out)
    demo.generate(tmp_path / "other", seed=8, start="2024-01", end="2024-06", scale=0.3)
    assert digest(tmp_path / "other") != digest(out)


def test_layout(small):
    out, summary, _ = small
    names = sorted(p.name for p in (out / "submissions").iterdir())
    manifest = csv_rows(out / "manifest.csv")
    assert sorted(r["file"] for r in manifest) == names
    ok = [n for n in names if FILE_NAME.match(n)]
    bad = [n for n in names if n.startswith("bad_")]
    assert len(ok) + len(bad) == len(names) and len(bad) == summary.rejected_files == 5
    first_versions = {(m.group(1), m.group(3)) for m in map(FILE_NAME.match, ok) if not m.group(4)}
    assert len(first_versions) == len([n for n in ok if "_v2" not in n]) == 15 * 6  # one per unit × month
    assert summary.data_files == len(ok)
    assert (out / "reference" / "five_hundred_2024.csv").is_file()
    truth_files = {"injected_anomalies.csv", "expected_rejections.csv", "expected_warnings.csv", "format_variants.csv"}
    assert {p.name for p in (out / "ground_truth").iterdir()} == truth_files
    assert truth_files.isdisjoint(p.name for p in (out / "submissions").rglob("*"))  # never loaded by mistake
    assert "演示数据" in (out / "README.txt").read_text(encoding="utf-8")


def test_every_file_reads_with_the_contract_headers_and_one_unit_month(small):
    out, _, _ = small
    encodings = set()
    for path in data_files(out):
        _, unit_name, month, _, ext = FILE_NAME.match(path.name).groups()
        df, _ = read_submission(path)
        assert tuple(df.columns) == CONTRACT_HEADERS, path.name
        assert df.height > 0
        assert df["报送单位"].n_unique() == 1, path.name
        assert {month_of(m) for m in df["统计月份"].unique()} == {month}, path.name
        if ext == "xlsx":
            grid = pl.read_excel(path, engine="calamine", read_options={"header_row": None}, infer_schema_length=0)
            y, m = month.split("-")
            assert grid[0, 0] == f"{unit_name}{y}年{int(m)}月招商引资项目报表"
            assert grid[1, 0].startswith("填报单位") and grid[-1, 0] == "合计"
        else:
            raw = path.read_bytes()
            encodings.add("utf-8-sig" if raw.startswith(b"\xef\xbb\xbf") else "gb18030")
    assert encodings == {"utf-8-sig", "gb18030"}


def test_rows_are_quarantined_only_where_the_ground_truth_says(small):
    out, summary, rows = small
    expected = [r for r in csv_rows(out / "ground_truth" / "expected_rejections.csv") if r["scope"] == "row"]
    assert len(expected) == summary.quarantined_rows
    assert 0.001 <= len(expected) / rows.height <= 0.008
    assert {r["reason_code"] for r in expected} == {"amount_not_number", "missing_required", "invalid_value",
                                                     "duplicate_project_id", "negative_cumulative",
                                                     "missing_start_date"}
    by_cell = rows_by_cell(rows)
    for e in expected:
        row = by_cell[(e["file"], int(e["excel_row"]))]
        value = row[e["column"]]
        assert row["项目编号"] == e["project_id"]
        code = e["reason_code"]
        if code == "amount_not_number":
            assert value is not None and number(value) is None
        elif code in ("missing_required", "missing_start_date"):
            assert value is None
        elif code == "invalid_value":
            assert value not in STATUSES
        elif code == "duplicate_project_id":
            assert rows.filter((pl.col("file") == e["file"]) & (pl.col("项目编号") == e["project_id"])).height == 2
        elif code == "negative_cumulative":
            assert number(value) < 0
        if code == "missing_start_date":
            assert row["项目状态"] == "在建"


def test_unusual_but_valid_cells_parse_to_the_recorded_value(small):
    out, _, rows = small
    variants = csv_rows(out / "ground_truth" / "format_variants.csv")
    assert len(variants) > 0
    by_cell = rows_by_cell(rows)
    for v in variants:
        cell = by_cell[(v["file"], int(v["excel_row"]))][v["column"]]
        assert cell == v["value"]
        if "日期" in v["column"]:
            assert date(cell) == dt.date.fromisoformat(v["normalized"])
        else:
            assert number(cell) == Decimal(v["normalized"])


def test_usccs_are_valid_except_the_injected_typos(small):
    out, _, rows = small
    warned = {(r["unit_code"], r["project_id"]) for r in csv_rows(out / "ground_truth" / "expected_warnings.csv")}
    invalid, empty_sources = set(), set()
    for unit, pid, uscc, source in rows.select("unit_code", "项目编号", "投资方统一社会信用代码", "资金来源").iter_rows():
        if uscc is None:
            empty_sources.add(source)
        elif not uscc_valid(uscc):
            invalid.add((unit, pid))
    assert warned and invalid == warned
    assert empty_sources <= {"境外"}  # a USCC may be empty only for foreign money


def test_resubmissions_and_manifest_times(small):
    out, _, _ = small
    received = {r["file"]: dt.datetime.fromisoformat(r["received_at"]) for r in csv_rows(out / "manifest.csv")}
    assert all(t.tzinfo is None for t in received.values())
    late = 0
    for name, t in received.items():
        m = FILE_NAME.match(name)
        if not m:
            continue
        y, mo = map(int, m.group(3).split("-"))
        next_month = dt.date(y + mo // 12, mo % 12 + 1, 1)
        assert t.date() >= next_month
        late += t > dt.datetime.combine(next_month.replace(day=5), dt.time(23, 59, 59))
        if m.group(4):
            assert t > received[name.replace("_v2", "")]
    assert 0 < late < 0.25 * len(received)


def test_rejected_files_are_what_the_ground_truth_says(small):
    out, _, _ = small
    files = {r["file"]: r["reason_code"] for r in csv_rows(out / "ground_truth" / "expected_rejections.csv")
             if r["scope"] == "file"}
    assert sorted(files.values()) == sorted(["corrupt", "not_xlsx", "missing_columns", "multiple_units",
                                             "future_month"])
    for name, code in files.items():
        path = out / "submissions" / name
        assert name.startswith("bad_") and path.is_file()
        if code == "corrupt":
            with pytest.raises(zipfile.BadZipFile):
                zipfile.ZipFile(path).testzip()
        elif code == "not_xlsx":
            assert not zipfile.is_zipfile(path)
        elif code == "missing_columns":
            header = pl.read_excel(path, engine="calamine", read_options={"header_row": 2}).columns
            assert not set(CONTRACT_HEADERS) & set(header)
        else:
            df, _ = read_submission(path)
            if code == "multiple_units":
                assert df["报送单位"].n_unique() == 2
            else:
                assert {month_of(m) for m in df["统计月份"]} == {f"{int(TODAY[:4]) + 1}-{TODAY[5:7]}"}


def test_ground_truth_refers_to_projects_in_the_files(small):
    out, summary, rows = small
    injected = csv_rows(out / "ground_truth" / "injected_anomalies.csv")
    months = defaultdict(set)
    for unit, pid, month in rows.select("unit_code", "项目编号", "month").iter_rows():
        months[(unit, pid)].add(month)
    for r in injected:
        assert any(m >= r["first_month"] for m in months[(r["unit_code"], r["project_id"])]), r
        assert re.search(r"[\u4e00-\u9fff]", r["description"])
    kinds = {r["kind"] for r in injected}
    assert len(kinds) >= 6 and kinds == set(summary.injected)


def test_honest_projects_have_consistent_lifecycles(small):
    out, _, rows = small
    gt = out / "ground_truth"
    flagged = {(r["unit_code"], r["project_id"]) for r in csv_rows(gt / "injected_anomalies.csv")}
    touched = {(r["file"], int(r["excel_row"])) for name in ("expected_rejections.csv", "format_variants.csv")
               for r in csv_rows(gt / name) if r["excel_row"]}
    history = defaultdict(list)
    for r in latest(rows).sort("month").iter_rows(named=True):
        if (r["unit_code"], r["项目编号"]) not in flagged and (r["file"], r["excel_row"]) not in touched:
            history[(r["unit_code"], r["项目编号"])].append(r)
    checked = 0
    for key, seq in history.items():
        for r in seq:
            assert r["项目状态"] in STATUSES
            signed, start, prod = date(r["签约日期"]), date(r["开工日期"]), date(r["投产日期"])
            assert signed <= dt.date.fromisoformat(r["month"] + "-28")
            if r["项目状态"] in ("在建", "已投产"):
                assert start is not None and start >= signed, key
            if r["项目状态"] == "已投产":
                assert prod is not None and prod >= start, key
        for prev, cur in itertools.pairwise(seq):
            if month_gap(prev["month"], cur["month"]) == 1:
                cum = number(prev["累计到位资金（万元）"]) + number(cur["本月到位资金（万元）"])
                assert cum == number(cur["累计到位资金（万元）"]), key
                checked += 1
    assert checked > 1000


def month_gap(a: str, b: str) -> int:
    return (int(b[:4]) - int(a[:4])) * 12 + int(b[5:]) - int(a[5:])


def test_summary_and_cli(small, tmp_path, capsys):
    _, summary, rows = small
    assert summary.rows == rows.height and summary.start == "2024-01" and summary.end == "2024-06"
    assert demo.main(["--out", str(tmp_path / "cli"), "--start", "2024-05", "--end", "2024-06", "--scale", "0.05",
                      "--clean"]) == 0
    printed = capsys.readouterr().out
    assert "已生成演示数据" in printed and "到位资金" in printed
    assert not any(p.name.startswith("bad_") for p in (tmp_path / "cli" / "submissions").iterdir())
    assert csv_rows(tmp_path / "cli" / "ground_truth" / "injected_anomalies.csv") == []
    assert demo.main(["--out", str(tmp_path / "cli"), "--start", "2024-05", "--end", "2024-06"]) == 1
    assert "已有 submissions" in capsys.readouterr().out


def test_end_after_the_last_complete_month_is_refused(demo_today, tmp_path):
    with pytest.raises(ValueError, match="上一个完整月份 2026-10"):
        demo.generate(tmp_path, start="2026-01", end="2026-11")


# ------------------------------------------------------------------------------------------------ default demo

def test_default_demo_size(full):
    _, summary, rows = full
    assert (summary.start, summary.end) == ("2023-01", "2026-10")
    assert 150_000 <= rows.height <= 250_000
    assert 0.05 <= summary.late_files / summary.data_files <= 0.12
    assert 0.015 <= summary.resubmissions / summary.data_files <= 0.05


def test_yearly_funds_are_within_5_percent_of_the_published_figures(full):
    _, _, rows = full
    totals = funds_by_year(rows)
    for year, published in PUBLISHED.items():
        assert totals[year] == pytest.approx(published, rel=0.05)
    q1_q3 = sum(float(number(v)) / 10_000 for m, s, v in
                latest(rows).select("month", "资金来源", "本月到位资金（万元）").iter_rows()
                if "2025-01" <= m <= "2025-09" and s in COUNTED and number(v) is not None)
    assert q1_q3 == pytest.approx(7170.91, rel=0.05)
    assert totals[2025] == pytest.approx(9300, rel=0.05)  # "full year expected > 9000"
    jan_oct = {y: sum(float(number(v)) for m, s, v in
                      latest(rows).select("month", "资金来源", "本月到位资金（万元）").iter_rows()
                      if m.startswith(str(y)) and m[5:] <= "10" and s in COUNTED and number(v) is not None)
               for y in (2025, 2026)}
    assert jan_oct[2026] / jan_oct[2025] == pytest.approx(1.15, abs=0.06)


def test_unit_shares_follow_the_bulletins(full):
    _, _, rows = full
    shares = {}
    for year in (2024, 2025):
        per_unit = defaultdict(float)
        for unit, m, s, v in latest(rows).select("unit_code", "month", "资金来源", "本月到位资金（万元）").iter_rows():
            if m.startswith(str(year)) and s in COUNTED and number(v) is not None:
                per_unit[unit] += float(number(v))
        total = sum(per_unit.values())
        shares[year] = sorted(((v / total, u) for u, v in per_unit.items()), reverse=True)
    assert shares[2024][0][1] == "620100" and shares[2024][0][0] == pytest.approx(0.164, abs=0.015)
    assert shares[2025][0][1] == "621000"
    assert "620171" in [u for _, u in shares[2024][:5]]
    assert {"620200", "623000"} <= {u for _, u in shares[2024][-3:]}


def signings(rows: pl.DataFrame, first: str, last: str) -> pl.DataFrame:
    """One row per project signed between two dates (its first row in the files)."""
    return (rows.filter(pl.col("version") == 1)
            .with_columns(pl.col("签约日期").map_elements(lambda t: date(t), return_dtype=pl.Date).alias("signed_on"),
                          pl.col("签约金额（万元）").map_elements(lambda t: float(number(t) or 0),
                                                              return_dtype=pl.Float64).alias("signed"),
                          pl.col("计划总投资（万元）").map_elements(lambda t: float(number(t) or 0),
                                                                return_dtype=pl.Float64).alias("planned"))
            .filter(pl.col("signed_on").is_between(dt.date.fromisoformat(first), dt.date.fromisoformat(last)))
            .sort("month").unique(["unit_code", "项目编号"], keep="first"))


def test_10yi_projects_use_100000_wan(full):
    _, _, rows = full
    signed = signings(rows, "2024-01-01", "2024-04-30")
    major = signed.filter(pl.col("planned") >= 100_000)  # 10亿元 = 100,000 万元
    assert 15 <= major.height <= 24  # 19 published for Jan–Apr 2024
    assert major["signed"].sum() / signed["signed"].sum() == pytest.approx(0.299, abs=0.07)


def test_500_investors_in_early_2024_are_on_the_reference_list(full):
    out, _, rows = full
    listed = {r["企业名称"] for r in csv_rows(out / "reference" / "five_hundred_2024.csv")}
    fake = {(r["unit_code"], r["project_id"]) for r in csv_rows(out / "ground_truth" / "injected_anomalies.csv")
            if r["kind"] == "fake_500_claim"}
    claimed = signings(rows, "2024-01-01", "2024-04-30").filter(pl.col("三个500强类别") != "无")
    assert 30 <= claimed.height <= 56  # 42 published
    assert 16 <= claimed["投资方名称"].n_unique() <= 32  # 24 published
    honest = [n for u, p, n in claimed.select("unit_code", "项目编号", "投资方名称").iter_rows() if (u, p) not in fake]
    assert sum(n in listed for n in honest) / len(honest) >= 0.8
    assert all(n not in listed for u, p, n in claimed.select("unit_code", "项目编号", "投资方名称").iter_rows()
               if (u, p) in fake)


def test_chain_mix_and_shares(full):
    _, _, rows = full
    funds = defaultdict(float)
    recent = latest(rows).filter(pl.col("month").str.starts_with("2024"))
    for chain, s, v in recent.select("所属产业链", "资金来源", "本月到位资金（万元）").iter_rows():
        if s in COUNTED and number(v) is not None:
            funds["信息产业" if chain == "数据信息" else chain] += float(number(v))
    total = sum(funds.values())
    ranked = [c for c, _ in sorted(funds.items(), key=lambda kv: -kv[1]) if c != "其他"]
    assert ranked[0] == "新能源及其装备制造"
    assert {"特色农产品及食品加工", "石化化工"} <= set(ranked[:5])
    assert 1 - funds["其他"] / total == pytest.approx(0.53, abs=0.08)
    signed = signings(rows, "2024-01-01", "2024-12-31")
    assert signed.filter(pl.col("高新技术项目") == "是").height / signed.height == pytest.approx(0.27, abs=0.05)
    assert set(signed["资金来源"]) == {"省外境内", "境外", "省内市州外"}


def test_life_cycle_ratios_of_the_2024_cohort(full):
    _, _, rows = full
    cohort = signings(rows, "2024-01-01", "2024-12-31")
    ids = set(cohort.select("unit_code", "项目编号").iter_rows())
    first_year = defaultdict(list)
    for r in latest(rows).sort("month").iter_rows(named=True):
        key = (r["unit_code"], r["项目编号"])
        if key in ids:
            first_year[key].append(r)
    started = completed = 0
    arrived = 0.0
    for seq in first_year.values():
        signed_month = seq[0]["month"]
        within = [r for r in seq if month_gap(signed_month, r["month"]) < 12]
        started += any(r["开工日期"] for r in within)
        completed += any(r["项目状态"] == "已投产" for r in within)
        arrived += sum(float(number(r["本月到位资金（万元）"]) or 0) for r in within)
    n = len(first_year)
    assert started / n == pytest.approx(0.83, abs=0.06)  # published 82.98 %
    assert completed / n == pytest.approx(0.37, abs=0.06)  # 36.69 %
    assert arrived / cohort["signed"].sum() == pytest.approx(0.46, abs=0.1)  # 45.59 %


def test_injected_manipulation_is_a_few_percent_spread_over_units(full):
    out, summary, rows = full
    injected = csv_rows(out / "ground_truth" / "injected_anomalies.csv")
    projects = rows.select("unit_code", "项目编号").unique().height
    assert 0.02 <= len(injected) / projects <= 0.04
    assert len({r["kind"] for r in injected}) >= 6
    assert len({r["unit_code"] for r in injected}) >= 10
    assert summary.projects == projects


def test_funds_peak_in_december_and_dip_in_january_february(full):
    _, _, rows = full
    by_month = defaultdict(float)
    for m, s, v in latest(rows).select("month", "资金来源", "本月到位资金（万元）").iter_rows():
        if m.startswith("2024") and s in COUNTED and number(v) is not None:
            by_month[int(m[5:])] += float(number(v))
    average = sum(by_month.values()) / 12
    assert by_month[12] > 1.1 * average and by_month[1] < average and by_month[2] < average


def test_the_enterprise_register_lists_the_gansu_registered_investors_and_loads(full):
    """reference/enterprises_gansu.csv: every Gansu-registered (USCC region 62, valid) investor of the submissions
    is on it, nothing else is, and the file passes the register's validation (etl.register)."""
    from etl.register import validate_register

    out, _, rows = full
    path = out / "reference" / "enterprises_gansu.csv"
    register = {(r["企业名称"], r["统一社会信用代码"]) for r in csv_rows(path)}
    assert register and all(uscc[2:4] == "62" for _, uscc in register)
    reported = {(n, u) for n, u in rows.select("投资方名称", "投资方统一社会信用代码").unique().iter_rows()
                if u and u[2:4] == "62" and uscc_is_valid(u)}
    assert reported <= register
    report, frame = validate_register(path.name, path.read_bytes())
    assert report.outcome == "loaded" and frame.height == len(register)
