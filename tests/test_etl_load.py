"""Loading into the warehouse: versions, duplicates, lateness, audit, cross-month warnings, dry runs, reports."""
import datetime as dt
import io
import json
from decimal import Decimal

import openpyxl
import pytest

from etl import load as load_module
from etl.load import load_files, validate_file
from etl.reference import load_five_hundred
from etl.report import report_dict, report_xlsx
from warehouse import store

pytestmark = pytest.mark.usefixtures("frozen_today")
MARCH_LATE = "2025-04-06T00:00:00"


def q(warehouse, sql, params=None):
    """Query the serving snapshot (what readers see)."""
    return store.frame(store.current_snapshot(warehouse), sql, params)


def one(warehouse, sql):
    return q(warehouse, sql).row(0)[0]


def test_load_then_facts_and_mart(warehouse, project_row, submission_bytes):
    rows = [project_row(1), project_row(2, **{"资金来源": "省内市州外", "本月到位资金（万元）": "40"}),
            project_row(3, **{"签约金额（万元）": "约500"})]
    [rep] = load_files([("兰州-3月.xlsx", submission_bytes(rows, "a.xlsx"))], warehouse=warehouse,
                       received_at="2025-04-03T10:00:00")
    assert rep.outcome == "loaded" and (rep.unit_code, rep.month, rep.version) == ("620100", dt.date(2025, 3, 1), 1)
    assert (rep.rows_input, rep.rows_loaded, rep.rows_quarantined, rep.rows_ignored) == (3, 2, 1, 0)
    assert rep.is_late is False and rep.deadline == dt.datetime(2025, 4, 5, 23, 59, 59, 999000)
    assert "输入 3 行 = 入库 2 + 隔离 1 + 忽略 0" in rep.summary_zh
    facts = q(warehouse, "SELECT project_id, row_no, signed_amount_wan FROM fact_project_month ORDER BY row_no")
    assert facts.rows() == [("LZ-0001", 2, Decimal("1000")), ("LZ-0002", 3, Decimal("1000"))]
    mart = q(warehouse, "SELECT funds_month_wan, rows_loaded, rows_quarantined, is_late FROM mart_unit_month")
    assert mart.rows() == [(Decimal("100"), 2, 1, False)]  # 省内市州外 money does not count
    assert one(warehouse, "SELECT reasons FROM quarantine_rows").startswith("第 4 行「签约金额（万元）」值“约500”")


def test_same_bytes_twice_is_a_duplicate_and_changes_nothing(warehouse, project_row, submission_bytes):
    data = submission_bytes([project_row(1)], "a.csv")
    load_files([("a.csv", data)], warehouse=warehouse)
    [rep] = load_files([("copy.csv", data)], warehouse=warehouse)
    assert rep.outcome == "duplicate" and rep.version == 1 and "未做任何更改" in rep.summary_zh
    assert one(warehouse, "SELECT count(*) FROM submission_versions") == 1
    assert one(warehouse, "SELECT count(*) FROM project_rows") == 1
    audit = q(warehouse, "SELECT outcome, file_name, submission_id FROM load_audit ORDER BY load_id").rows()
    assert audit == [("loaded", "a.csv", 1), ("duplicate", "copy.csv", 1)]


def test_new_file_for_same_unit_and_month_supersedes(warehouse, project_row, submission_bytes):
    v1 = submission_bytes([project_row(1), project_row(2)], "a.csv")
    v2 = submission_bytes([project_row(1, **{"本月到位资金（万元）": "150", "累计到位资金（万元）": "350"})], "a.csv")
    load_files([("v1.csv", v1)], warehouse=warehouse, received_at="2025-04-02")
    [rep] = load_files([("v2.csv", v2)], warehouse=warehouse, received_at="2025-04-09")
    assert (rep.version, rep.superseded_version, rep.is_late) == (2, 1, True)
    assert "取代第 1 版" in rep.summary_zh and "逾期报送" in rep.summary_zh
    assert q(warehouse, "SELECT version, project_id, funds_month_wan FROM fact_project_month").rows() == [
        (2, "LZ-0001", Decimal("150"))]
    assert q(warehouse, "SELECT version, funds_month_wan, is_late FROM mart_unit_month").rows() == [
        (2, Decimal("150"), True)]
    assert one(warehouse, "SELECT count(*) FROM project_rows") == 3  # every version is kept


@pytest.mark.parametrize("received, late", [
    ("2025-04-05T23:59:59", False), ("2025-04-06T00:00:00", True), ("2025-04-05", False),
    ("2025-04-05T16:30:00+00:00", True),   # 2025-04-06 00:30 in Beijing
    ("2025-04-05T15:30:00Z", False),       # 23:30 in Beijing
])
def test_received_at_decides_lateness(warehouse, project_row, submission_bytes, received, late):
    [rep] = load_files([("a.csv", submission_bytes([project_row(1)], "a.csv"))], warehouse=warehouse,
                       received_at=received)
    assert rep.is_late is late
    assert one(warehouse, "SELECT is_late FROM submission_versions") is late


BAD_FILES = {
    "corrupt.xlsx": lambda rows, b: b(rows, "a.xlsx")[:600],
    "renamed.xlsx": lambda rows, b: "只是一段文字".encode(),
    "note.txt": lambda rows, b: b"hello",
    "empty.csv": lambda rows, b: b"",
    "english.csv": lambda rows, b: b"unit,month,project_id,project_name\n620100,2025-03,P1,x\n",
    "two_units.csv": lambda rows, b: b(rows + [dict(rows[0], **{"报送单位": "天水市", "项目编号": "T1"})], "a.csv"),
    "unknown_unit.csv": lambda rows, b: b([dict(rows[0], **{"报送单位": "火星市"})], "a.csv"),
    "future.csv": lambda rows, b: b([dict(rows[0], **{"统计月份": "2026-01"})], "a.csv"),
    "gbk_future.csv": lambda rows, b: b([dict(rows[0], **{"统计月份": "2026年1月"})], "a.csv", encoding="gbk"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_rejected_files_are_audited_with_a_reason(warehouse, project_row, submission_bytes, name):
    data = BAD_FILES[name]([project_row(1), project_row(2)], submission_bytes)
    [rep] = load_files([(name, data)], warehouse=warehouse)
    assert rep.outcome == "rejected" and rep.identity_holds and rep.rows_loaded == 0
    assert rep.summary_zh.startswith("已拒收，整个文件未入库：") and len(rep.issues) == 1
    assert one(warehouse, "SELECT count(*) FROM submission_versions") == 0
    audit = q(warehouse, "SELECT outcome, message, report_json FROM load_audit").row(0, named=True)
    assert audit["outcome"] == "rejected" and audit["message"] == rep.summary_zh
    assert json.loads(audit["report_json"])["issues"][0]["severity"] == "拒收"


def test_rejected_file_counts_all_rows_as_not_loaded(warehouse, project_row, submission_bytes):
    rows = [project_row(1), project_row(2, **{"报送单位": "天水市"})]
    [rep] = load_files([("a.csv", submission_bytes(rows, "a.csv"))], warehouse=warehouse)
    assert (rep.rows_input, rep.rows_loaded, rep.rows_quarantined, rep.rows_ignored) == (2, 0, 0, 2)


def test_oversized_file_rejected_before_reading(warehouse, tmp_path):
    big = tmp_path / "big.xlsx"
    with open(big, "wb") as f:
        f.truncate(60 * 1024 * 1024)  # sparse
    [rep] = load_files([big], warehouse=warehouse)
    assert rep.outcome == "rejected" and "超过上限 50 MB" in rep.summary_zh
    assert one(warehouse, "SELECT file_bytes FROM load_audit") == 60 * 1024 * 1024


def test_dry_run_writes_nothing_and_predicts(warehouse, project_row, submission_bytes):
    data = submission_bytes([project_row(1)], "a.csv")
    first = validate_file("a.csv", data, warehouse=warehouse)
    assert first.dry_run and first.outcome == "loaded" and first.version == 1 and "预检通过" in first.summary_zh
    assert store.current_snapshot(warehouse) is None and not warehouse.exists()
    load_files([("a.csv", data)], warehouse=warehouse)
    snap = store.current_snapshot(warehouse)
    assert validate_file("a.csv", data, warehouse=warehouse).outcome == "duplicate"
    other = submission_bytes([project_row(2)], "a.csv")
    assert validate_file("b.csv", other, warehouse=warehouse).version == 2
    assert store.current_snapshot(warehouse) == snap
    assert one(warehouse, "SELECT count(*) FROM load_audit") == 1


def test_month_to_month_warnings_use_the_warehouse(warehouse, project_row, submission_bytes):
    feb = [project_row(1, **{"统计月份": "2025-02", "累计到位资金（万元）": "200", "项目状态": "已投产",
                             "投产日期": "2025-02-20"}), project_row(2, **{"统计月份": "2025-02"})]
    mar = [project_row(1), project_row(2, **{"累计到位资金（万元）": "999"}), project_row(3)]
    # One batch: February must be loaded first for March's checks to see it.
    reports = load_files([("02.csv", submission_bytes(feb, "a.csv")), ("03.csv", submission_bytes(mar, "a.csv"))],
                         warehouse=warehouse)
    assert [r.warnings for r in reports] == [0, 2]
    # LZ-0001: 200 + 100 = 300 as reported, but 已投产 -> 在建; LZ-0002: 300 + 100 ≠ 999; LZ-0003 is new.
    assert q(warehouse, "SELECT row_no, project_id, code FROM row_warnings ORDER BY row_no").rows() == [
        (2, "LZ-0001", "status_backwards"), (3, "LZ-0002", "cum_mismatch")]


def test_five_hundred_reference_year_applies(warehouse, project_row, submission_bytes, tmp_path):
    ref = tmp_path / "wf500.csv"
    claimed = project_row(1, **{"三个500强类别": "世界500强"})
    ref.write_text("名录,年度,排名,企业名称,统一社会信用代码\n"
                   "世界500强,2023,1,别的公司,\n", encoding="utf-8")
    assert load_five_hundred(ref, warehouse=warehouse).outcome == "loaded"
    [rep] = load_files([("a.csv", submission_bytes([claimed], "a.csv"))], warehouse=warehouse)
    assert [i.code for i in rep.issues] == ["five_hundred_unverified"]
    assert "不在 2023 年世界500强名录中" in rep.issues[0].message
    # The 2023 list now names the investor (by USCC): a corrected file no longer warns.
    ref.write_text("名录,年度,排名,企业名称,统一社会信用代码\n"
                   f"世界500强,2023,1,另一个名字,{claimed['投资方统一社会信用代码']}\n", encoding="utf-8")
    load_five_hundred(ref, warehouse=warehouse)
    fixed = dict(claimed, **{"备注": "更正"})
    assert load_files([("b.csv", submission_bytes([fixed], "a.csv"))], warehouse=warehouse)[0].warnings == 0


def test_only_later_lists_loaded_means_no_warning(warehouse, project_row, submission_bytes, tmp_path):
    ref = tmp_path / "wf500.csv"
    ref.write_text("名录,年度,排名,企业名称,统一社会信用代码\n世界500强,2026,1,别的公司,\n", encoding="utf-8")
    load_five_hundred(ref, warehouse=warehouse)
    rows = [project_row(1, **{"三个500强类别": "世界500强"})]
    assert load_files([("a.csv", submission_bytes(rows, "a.csv"))], warehouse=warehouse)[0].warnings == 0


def test_folder_recursion_skips_hidden_files(warehouse, project_row, submission_bytes, tmp_path):
    root = tmp_path / "batch"
    (root / "2025-03").mkdir(parents=True)
    (root / ".cache").mkdir()
    (root / "2025-03" / "lz.csv").write_bytes(submission_bytes([project_row(1)], "a.csv"))
    (root / "2025-03" / "~$lz.xlsx").write_bytes(b"lock")
    (root / "2025-03" / ".DS_Store").write_bytes(b"junk")
    (root / ".cache" / "x.csv").write_bytes(b"junk")
    reports = load_files([root], warehouse=warehouse)
    assert [(r.file_name, r.outcome) for r in reports] == [("2025-03/lz.csv", "loaded")]


def test_manifest_sets_received_times_and_order(warehouse, project_row, submission_bytes, tmp_path):
    root = tmp_path / "batch"
    root.mkdir()
    feb = [project_row(1, **{"统计月份": "2025-02", "累计到位资金（万元）": "200"})]
    (root / "a_march.csv").write_bytes(submission_bytes([project_row(1)], "a.csv"))
    (root / "b_february.csv").write_bytes(submission_bytes(feb, "a.csv"))
    manifest = tmp_path / "manifest.csv"
    manifest.write_text("file,received_at\na_march.csv,2025-04-08T09:00:00+08:00\n"
                        "b_february.csv,2025-03-04T17:00:00+08:00\n", encoding="utf-8")
    reports = load_files([root], warehouse=warehouse, manifest=manifest)
    assert [r.file_name for r in reports] == ["b_february.csv", "a_march.csv"]
    assert [r.is_late for r in reports] == [False, True]
    assert reports[1].received_at == dt.datetime(2025, 4, 8, 9, 0)
    assert q(warehouse, "SELECT month, received_at FROM submission_versions ORDER BY month").rows() == [
        (dt.date(2025, 2, 1), dt.datetime(2025, 3, 4, 17, 0)), (dt.date(2025, 3, 1), dt.datetime(2025, 4, 8, 9, 0))]


def test_a_loader_fault_on_one_file_does_not_stop_the_batch(warehouse, project_row, submission_bytes, monkeypatch):
    real = load_module._insert_submission

    def flaky(con, report, validated, load_id):
        if report.file_name == "bad.csv":
            raise RuntimeError("磁盘已满")
        return real(con, report, validated, load_id)

    monkeypatch.setattr(load_module, "_insert_submission", flaky)
    files = [("bad.csv", submission_bytes([project_row(1)], "a.csv")),
             ("good.csv", submission_bytes([project_row(2, **{"报送单位": "天水市", "所在县区": "秦州区"})], "a.csv"))]
    reports = load_files(files, warehouse=warehouse)
    assert [(r.outcome, r.internal_error) for r in reports] == [("rejected", True), ("loaded", False)]
    assert "内部错误" in reports[0].summary_zh and "磁盘已满" in reports[0].summary_zh
    assert q(warehouse, "SELECT unit_code FROM submission_versions").rows() == [("620500",)]
    assert one(warehouse, "SELECT count(*) FROM project_rows") == 1
    assert q(warehouse, "SELECT outcome FROM load_audit ORDER BY load_id").rows() == [("rejected",), ("loaded",)]


def test_report_xlsx_lists_files_and_issues_and_neutralises_formulas(project_row, submission_bytes, warehouse):
    rows = [project_row(1, **{"签约金额（万元）": "=SUM(A1:A9)"}), project_row(2, **{"本月到位资金（万元）": "-5",
                                                                             "累计到位资金（万元）": "295"})]
    reports = load_files([("a.csv", submission_bytes(rows, "a.csv")), ("b.txt", b"x")], warehouse=warehouse)
    wb = openpyxl.load_workbook(io.BytesIO(report_xlsx(reports)))
    assert wb.sheetnames == ["汇总", "问题明细"]
    summary = list(wb["汇总"].iter_rows(values_only=True))
    assert summary[1][:2] == ("a.csv", "已入库") and summary[1][7:11] == (2, 1, 1, 0)
    assert summary[2][:2] == ("b.txt", "已拒收")
    detail = list(wb["问题明细"].iter_rows(values_only=True))
    assert detail[1][:5] == ("a.csv", 2, "签约金额（万元）", "'=SUM(A1:A9)", "隔离")
    assert detail[2][:5] == ("a.csv", 3, "本月到位资金（万元）", "'-5", "警告")
    assert detail[3][0] == "b.txt" and detail[3][1] is None and detail[3][4] == "拒收"
    assert all(c.data_type != "f" for row in wb["问题明细"].iter_rows() for c in row)


# --------------------------------------------------------------------------- a batch of many files

def _month(rows: list[dict], month: str) -> list[dict]:
    return [dict(r, **{"统计月份": month}) for r in rows]


def test_month_to_month_checks_across_load_sessions(warehouse, project_row, submission_bytes):
    """Last month's rows come from the warehouse when they were loaded by an earlier command."""
    feb = _month([project_row(1, **{"累计到位资金（万元）": "200"}),
                  project_row(2, **{"累计到位资金（万元）": "200", "项目状态": "已投产", "投产日期": "2025-02-20"})],
                 "2025-02")
    load_files([("02.csv", submission_bytes(feb, "a.csv"))], warehouse=warehouse)
    mar = [project_row(1, **{"累计到位资金（万元）": "333"}), project_row(2)]
    [rep] = load_files([("03.csv", submission_bytes(mar, "a.csv"))], warehouse=warehouse)
    assert [(i.row_no, i.code) for i in rep.issues] == [(2, "cum_mismatch"), (3, "status_backwards")]
    assert "不等于上月累计 200 加本月到位 100（应为 300）" in rep.issues[0].message


def test_next_month_in_the_same_load_is_checked_against_the_superseding_version(warehouse, project_row,
                                                                               submission_bytes):
    feb_v1 = _month([project_row(1, **{"累计到位资金（万元）": "150"})], "2025-02")
    feb_v2 = _month([project_row(1, **{"累计到位资金（万元）": "200"})], "2025-02")  # corrected: 200 + 100 = 300
    reports = load_files([("02.csv", submission_bytes(feb_v1, "a.csv")), ("02_v2.csv", submission_bytes(feb_v2, "a.csv")),
                          ("03.csv", submission_bytes([project_row(1)], "a.csv"))], warehouse=warehouse)
    assert [(r.outcome, r.version, r.warnings) for r in reports] == [("loaded", 1, 0), ("loaded", 2, 0),
                                                                    ("loaded", 1, 0)]
    assert reports[1].superseded_version == 1


def test_same_bytes_twice_in_one_load(warehouse, project_row, submission_bytes):
    data = submission_bytes([project_row(1)], "a.csv")
    reports = load_files([("a.csv", data), ("again.csv", data)], warehouse=warehouse)
    assert [(r.outcome, r.version) for r in reports] == [("loaded", 1), ("duplicate", 1)]
    assert one(warehouse, "SELECT count(*) FROM submission_versions") == 1


def test_a_file_that_fails_to_write_is_not_last_month_of_the_next(warehouse, project_row, submission_bytes,
                                                                 monkeypatch):
    real = load_module._insert_submission

    def flaky(con, report, validated, load_id):
        if report.file_name == "02.csv":
            raise RuntimeError("磁盘已满")
        return real(con, report, validated, load_id)

    monkeypatch.setattr(load_module, "_insert_submission", flaky)
    feb = _month([project_row(1, **{"累计到位资金（万元）": "50"})], "2025-02")  # would contradict March's 300
    reports = load_files([("02.csv", submission_bytes(feb, "a.csv")), ("03.csv", submission_bytes([project_row(1)],
                                                                                                 "a.csv"))],
                         warehouse=warehouse)
    assert [(r.outcome, r.internal_error, r.warnings) for r in reports] == [("rejected", True, 0),
                                                                           ("loaded", False, 0)]
    assert q(warehouse, "SELECT month FROM submission_versions").rows() == [(dt.date(2025, 3, 1),)]


def test_a_validation_fault_is_reported_for_its_file_only(warehouse, project_row, submission_bytes, monkeypatch):
    real = load_module.validate_batch

    def fragile(files):
        if any(f.unit.code == "620500" for f in files):
            raise RuntimeError("校验出错")
        return real(files)

    monkeypatch.setattr(load_module, "validate_batch", fragile)
    tianshui = project_row(1, **{"报送单位": "天水市", "所在县区": "秦州区"})
    reports = load_files([("lz.csv", submission_bytes([project_row(1)], "a.csv")),
                          ("ts.csv", submission_bytes([tianshui], "a.csv")),
                          ("xq.csv", submission_bytes([project_row(1, **{"报送单位": "兰州新区", "所在县区": ""})],
                                                      "a.csv"))], warehouse=warehouse)
    assert [(r.file_name, r.outcome, r.internal_error) for r in reports] == [
        ("lz.csv", "loaded", False), ("ts.csv", "rejected", True), ("xq.csv", "loaded", False)]
    assert "校验出错" in reports[1].summary_zh


def test_batches_change_nothing_but_speed(tmp_path, project_row, submission_bytes, monkeypatch):
    """Loading file by file (batches of one) and in batches gives the same warehouse and the same reports."""
    units = [("兰州市", "城关区"), ("天水市", "秦州区"), ("张掖市", "甘州区")]
    files = []
    for m, month in enumerate(("2025-01", "2025-02", "2025-03")):
        for u, (unit, county) in enumerate(units):
            rows = [project_row(i, **{"报送单位": unit, "所在县区": county, "统计月份": month,
                                      "累计到位资金（万元）": str(100 * (m + 1) + (15 * u * m if i == 2 else 0))})
                    for i in range(1, 5)]  # LZ-0002 of 天水 and 张掖 disagrees with last month
            rows[2] = dict(rows[2], **{"累计到位资金（万元）": "1500"} if u == 1 else {})  # above the signed 1000
            rows[3] = dict(rows[3], **{"签约金额（万元）": "约500"} if u == m else {})  # quarantined
            files.append((f"{unit}-{month}.csv", submission_bytes(rows, "a.csv")))
    files.insert(4, files[1])  # a duplicate
    files.append(("天水市-2025-02-v2.csv", submission_bytes(
        [project_row(1, **{"报送单位": "天水市", "所在县区": "秦州区", "统计月份": "2025-02"})], "a.csv")))

    def load(batch_files: int, name: str):
        monkeypatch.setattr(load_module, "BATCH_FILES", batch_files)
        wh = tmp_path / name / "w.duckdb"
        reports = load_files(files, warehouse=wh, received_at="2025-04-01")
        tables = {t: q(wh, f"SELECT * EXCLUDE (submission_id) FROM {t} ORDER BY ALL").rows()
                  for t in ("project_rows", "quarantine_rows", "row_warnings")}
        return [report_dict(r) for r in reports], tables

    one_by_one, batched = load(1, "single"), load(64, "batched")
    assert one_by_one == batched
    reports, tables = batched
    assert [r["outcome"] for r in reports].count("duplicate") == 1
    assert {w[2] for w in tables["row_warnings"]} == {"cum_mismatch", "cum_above_signed"}
    assert len(tables["quarantine_rows"]) == 3


def test_reloading_loaded_files_does_not_parse_them_again(warehouse, project_row, submission_bytes, monkeypatch):
    files = [(f"{i}.csv", submission_bytes([project_row(i)], "a.csv")) for i in range(1, 5)]
    load_files(files[:3], warehouse=warehouse)
    parsed = []
    real = load_module.read_table
    monkeypatch.setattr(load_module, "read_table", lambda name, data: parsed.append(name) or real(name, data))
    reports = load_files(files, warehouse=warehouse)
    assert [r.outcome for r in reports] == ["duplicate"] * 3 + ["loaded"]
    assert parsed == ["4.csv"]


def test_read_ahead_keeps_order_and_bounds_what_is_held(monkeypatch):
    """Worker threads read ahead, but never more than READ_AHEAD_FILES files or READ_AHEAD_BYTES at once."""
    from concurrent.futures import Future

    monkeypatch.setattr(load_module, "READ_AHEAD_FILES", 3)
    monkeypatch.setattr(load_module, "READ_AHEAD_BYTES", 100)
    sizes = [10, 30, 60, 50, 200, 5, 5]  # the 200-byte file is read alone
    items = [load_module._Item(f"{i}.csv", None, b"x" * n) for i, n in enumerate(sizes)]
    held, moments = [], []

    class Pool:
        def submit(self, fn, item, state):
            held.append(item)
            moments.append((len(held), sum(len(i.data) for i in held)))
            done = Future()
            done.set_result(item.name)
            return done

    seen = []
    for item, prepared in load_module._read_ahead(items, None, Pool()):
        assert prepared == item.name and held.pop(0) is item
        seen.append(item.name)
    assert seen == [i.name for i in items]
    assert max(files for files, _ in moments) == 3 and (3, 100) in moments
    assert all(size <= 100 or files == 1 for files, size in moments) and (1, 200) in moments
