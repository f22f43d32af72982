"""Recorded samples: reproducible, never rewritten, exported for the firm; the `sample` command."""
import datetime as dt
import json

import openpyxl
import polars as pl
import pytest
from test_sampling_warehouse import Builder, background

from analytics.verification import sample_cli, sampling, worklist
from analytics.verification.worklist import WORK_LIST_COLUMNS
from warehouse import store
from warehouse.queries import sampling as q


@pytest.fixture
def warehouse(tmp_path):
    b = Builder(tmp_path / "w.duckdb")
    background(b, 15, start="2025-04", months=6)
    b.project("620100", "EVIL", "2025-07", [120.5, 0, 99.1], name="=HYPERLINK(\"http://x\",\"点我\")",
              investor="+cmd|' /C calc'!A0")
    return b.write()


def stored(path, sample_id):
    snap = store.current_snapshot(path)
    return q.samples(snap).filter(pl.col("sample_id") == sample_id), q.sample_items(snap, sample_id)


def test_a_drawn_sample_is_recorded_with_everything_needed_to_reproduce_it(warehouse):
    s = sampling.draw_and_record(warehouse, "2025Q3", 12, 42, "张三", drawn_at=dt.datetime(2025, 10, 9, 10))
    assert s.sample_id == "2025Q3-001" and not s.reused
    head, items = stored(warehouse, s.sample_id)
    h = head.row(0, named=True)
    assert (h["seed"], h["drawn_by"], h["method_version"]) == (42, "张三", sampling.METHOD_VERSION)
    assert h["data_hash"] == s.data_hash and len(h["data_hash"]) == 64
    params = json.loads(h["params_json"])
    assert params["size"] == 12 and params["lambda"] == 0.8 and set(params["weights"]) >= {"intercept", "timing"}
    assert (h["population_size"], h["sample_size"]) == (61, 12)
    assert h["certainty_size"] + h["probability_size"] == 12 and h["probability_size"] >= 0.3 * 12
    assert items.height == 12 and items["inclusion_prob"].is_between(0, 1, closed="right").all()


def test_same_seed_same_data_returns_the_recorded_sample(warehouse):
    first = sampling.draw_and_record(warehouse, "2025Q3", 12, 42, "张三")
    again = sampling.draw_and_record(warehouse, "2025Q3", 12, 42, "李四")
    assert again.reused and again.sample_id == first.sample_id and again.drawn_by == "张三"
    assert again.items.drop("unit_name").equals(first.items.drop("unit_name"))
    assert q.sample_count(store.current_snapshot(warehouse), "2025Q3") == 1


def test_recorded_samples_are_never_rewritten(warehouse):
    first = sampling.draw_and_record(warehouse, "2025Q3", 12, 42, "张三")
    before = stored(warehouse, first.sample_id)
    other = sampling.draw_and_record(warehouse, "2025Q3", 12, 43, "张三")
    assert other.sample_id == "2025Q3-002"
    # new data (a revised month) and the same seed: a new sample, the old one untouched
    with store.write_transaction(warehouse) as con:
        con.execute("UPDATE project_rows SET funds_month_wan = funds_month_wan + 1 WHERE project_id = 'EVIL'")
    third = sampling.draw_and_record(warehouse, "2025Q3", 12, 42, "张三")
    assert third.sample_id == "2025Q3-003" and third.data_hash != first.data_hash
    listed = sampling.recorded_samples(store.current_snapshot(warehouse), "2025Q3")
    assert sorted(listed["sample_id"]) == ["2025Q3-001", "2025Q3-002", "2025Q3-003"]
    after = stored(warehouse, first.sample_id)
    assert before[0].equals(after[0]) and before[1].equals(after[1])


def test_work_list_xlsx_for_the_firm(warehouse, tmp_path):
    s = sampling.draw_and_record(warehouse, "2025Q3", 61, 1, "张三")   # everything, so EVIL is in
    out = worklist.export_work_list(s, tmp_path / "清单.xlsx")
    frame = pl.read_excel(out, engine="calamine", infer_schema_length=0)
    assert tuple(frame.columns) == WORK_LIST_COLUMNS
    assert list(frame.columns[:7]) == ["报送单位代码", "项目编号", "项目名称", "抽样层", "入样概率", "风险分", "抽样原因"]
    assert set(frame["抽样层"]) == {"确定层", "概率层"}
    assert frame["核查结论"].is_null().all() and frame["核实金额（万元）"].is_null().all()
    assert frame["样本编号"].unique().to_list() == [s.sample_id]
    assert frame["应提供的佐证材料"].str.starts_with("投资合同、银行进账单").all()
    # formula injection neutralised: the cell is text starting with an apostrophe, not a formula
    evil = frame.filter(pl.col("项目编号") == "EVIL").row(0, named=True)
    assert evil["项目名称"].startswith("'=HYPERLINK") and evil["投资方名称"].startswith("'+cmd")
    sheet = openpyxl.load_workbook(out)["核查清单"]
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    assert openpyxl.load_workbook(out)["抽样说明"]["B1"].value == s.sample_id


def test_work_list_csv(warehouse, tmp_path):
    s = sampling.draw_and_record(warehouse, "2025Q3", 10, 5, "张三")
    out = worklist.export_work_list(s, tmp_path / "清单.csv")
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.decode("utf-8-sig").splitlines()[0].startswith("报送单位代码,项目编号,项目名称,抽样层,入样概率,风险分,抽样原因")
    with pytest.raises(ValueError, match=".xlsx 或 .csv"):
        worklist.export_work_list(s, tmp_path / "清单.pdf")


def test_sample_command(warehouse, tmp_path, capsys):
    out = tmp_path / "核查清单.xlsx"
    args = ["--quarter", "2025Q3", "--size", "12", "--seed", "9", "--out", str(out), "--warehouse", str(warehouse)]
    assert sample_cli.main(args + ["--by", "王五"]) == 0
    assert "已抽取并记录样本 2025Q3-001" in capsys.readouterr().out and out.exists()
    assert sample_cli.main(args + ["--json"]) == 0
    payload = json.loads(capsys.readouterr().out)
    assert payload["sample_id"] == "2025Q3-001" and payload["reused"] and payload["sample_size"] == 12


@pytest.mark.parametrize("argv, message", [
    (["--quarter", "2025Q3", "--size", "12", "--out", "x.xlsx"], "--seed"),
    (["--quarter", "2025-3", "--size", "12", "--seed", "1", "--out", "x.xlsx"], "季度格式"),
    (["--quarter", "2024Q1", "--size", "12", "--seed", "1", "--out", "x.xlsx"], "没有已报送的项目"),
    (["--quarter", "2025Q3", "--size", "12", "--seed", "1", "--out", "x.txt"], ".xlsx 或 .csv"),
    (["--quarter", "2025Q3", "--size", "999", "--seed", "1", "--out", "x.xlsx"], "超过本季度项目总数"),
    (["--quarter", "2025Q3", "--size", "12", "--seed", "x", "--out", "x.xlsx"], "参数错误"),
])
def test_sample_command_failures(warehouse, tmp_path, capsys, argv, message):
    argv = [a if a not in ("x.xlsx", "x.txt") else str(tmp_path / a) for a in argv]
    assert sample_cli.main(argv + ["--warehouse", str(warehouse)]) == 1
    assert message in capsys.readouterr().err
    assert q.sample_count(store.current_snapshot(warehouse), "2025Q3") == 0


def test_sample_command_without_a_warehouse(tmp_path, capsys):
    assert sample_cli.main(["--quarter", "2025Q3", "--size", "1", "--seed", "1", "--out", "x.xlsx",
                              "--warehouse", str(tmp_path / "none.duckdb")]) == 1
    assert "数据仓库不存在" in capsys.readouterr().err
    assert not (tmp_path / "none.duckdb").exists()
