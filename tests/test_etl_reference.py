"""三个500强 reference lists (docs/CONTRACT.md §2): validation, replace-on-reload, audit."""
import pytest

from etl.reference import load_five_hundred
from warehouse import store

pytestmark = pytest.mark.usefixtures("frozen_today")
HEADER = "名录,年度,排名,企业名称,统一社会信用代码\n"


def write(tmp_path, name, body, encoding="utf-8"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding=encoding)
    return path


def rows(warehouse):
    return store.frame(store.current_snapshot(warehouse),
                       "SELECT list_name, year, rank, company_name, uscc FROM five_hundred_list"
                       " ORDER BY list_name, year, rank").rows()


def test_load_then_reload_replaces_only_that_list_and_year(warehouse, tmp_path):
    first = write(tmp_path, "a.csv", "世界500强,2024,1,甲公司,91350100m000100y43\n世界500强,2024,2,乙公司,\n"
                                     "中国企业500强,2024,1,丙公司,\n世界500强,2023,1,丁公司,\n")
    rep = load_five_hundred(first, warehouse=warehouse)
    assert rep.outcome == "loaded" and rep.rows_loaded == 4
    assert rep.lists == [("世界500强", 2024, 2, 0), ("中国企业500强", 2024, 1, 0), ("世界500强", 2023, 1, 0)]
    assert ("世界500强", 2024, 1, "甲公司", "91350100M000100Y43") in rows(warehouse)  # USCC normalised

    second = write(tmp_path, "b.csv", "世界500强,2024,1,戊公司,\n")
    rep = load_five_hundred(second, warehouse=warehouse)
    assert rep.lists == [("世界500强", 2024, 1, 2)] and "替换原有 2 家" in rep.summary_zh
    assert sorted(rows(warehouse)) == sorted([
        ("中国企业500强", 2024, 1, "丙公司", None),
        ("世界500强", 2023, 1, "丁公司", None),
        ("世界500强", 2024, 1, "戊公司", None),
    ])
    audit = store.frame(store.current_snapshot(warehouse), "SELECT kind, outcome FROM load_audit").rows()
    assert audit == [("reference", "loaded"), ("reference", "loaded")]


def test_any_bad_row_rejects_the_whole_list(warehouse, tmp_path):
    good = write(tmp_path, "good.csv", "世界500强,2024,1,甲公司,\n")
    load_five_hundred(good, warehouse=warehouse)
    bad = write(tmp_path, "bad.csv", "世界500强,2024,1,新公司,\n"
                                     "福布斯500强,2024,2,乙公司,\n"
                                     "世界500强,24,3,丙公司,\n"
                                     "世界500强,2024,第四,丁公司,\n"
                                     "世界500强,2024,5,,\n"
                                     "世界500强,2024,6,戊公司,91350100M000100Y44\n"
                                     "世界500强,2024,7,新公司,\n", encoding="gb18030")
    rep = load_five_hundred(bad, warehouse=warehouse)
    assert rep.outcome == "rejected" and rep.rows_loaded == 0
    found = [(i.row_no, i.column) for i in rep.issues]
    assert found == [(3, "名录"), (4, "年度"), (5, "排名"), (6, "企业名称"), (7, "统一社会信用代码"), (8, "企业名称")]
    assert "第 8 行「企业名称」值“新公司”在同一名录同一年度中与第 2 行重复" in rep.issues[-1].message
    assert "6 处错误" in rep.summary_zh
    assert rows(warehouse) == [("世界500强", 2024, 1, "甲公司", None)]
    audit = store.frame(store.current_snapshot(warehouse), "SELECT outcome FROM load_audit ORDER BY load_id").rows()
    assert audit == [("loaded",), ("rejected",)]


def test_missing_column_rejected(warehouse, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text("名录,排名,企业名称\n世界500强,1,甲公司\n", encoding="utf-8")
    rep = load_five_hundred(path, warehouse=warehouse)
    assert rep.outcome == "rejected" and "缺少必需的列：年度" in rep.summary_zh
