"""企业登记名录 (docs/CONTRACT.md §5.4, extension 16): validation, replace-on-reload, the CLI, and the risk rule
that reads it (a Hong Kong look-alike of a registered Gansu company whose original reports no project)."""
import pytest

from core.uscc import uscc_check_char
from etl import cli as etl_cli
from etl.register import load_register
from warehouse import store

pytestmark = pytest.mark.usefixtures("frozen_today")
HEADER = "企业名称,统一社会信用代码,登记机关\n"


def uscc(body17: str) -> str:
    return body17 + uscc_check_char(body17)


A, B, C = uscc("91620100MA5FXXX01"), uscc("91620500MA5FXXX02"), uscc("91440300MA5FXXX03")


def write(tmp_path, name, body, encoding="utf-8"):
    path = tmp_path / name
    path.write_text(HEADER + body, encoding=encoding)
    return path


def rows(warehouse):
    return store.frame(store.current_snapshot(warehouse),
                       "SELECT company_name, uscc, authority FROM enterprise_register ORDER BY uscc").rows()


def test_a_register_loads_and_a_reload_replaces_it(warehouse, tmp_path):
    rep = load_register(write(tmp_path, "r1.csv", f"甘肃辰岳新材料有限公司,{A.lower()},兰州市市场监督管理局\n"
                                                  f"天水瑞汇农牧有限公司,{B},\n"), warehouse=warehouse)
    assert rep.outcome == "loaded" and rep.rows_loaded == 2 and "已加载企业登记名录 2 家" in rep.summary_zh
    assert rows(warehouse) == [("甘肃辰岳新材料有限公司", A, "兰州市市场监督管理局"), ("天水瑞汇农牧有限公司", B, None)]
    rep = load_register(write(tmp_path, "r2.csv", f"深圳某某有限公司,{C},\n"), warehouse=warehouse)
    assert "替换原有 2 家" in rep.summary_zh and rows(warehouse) == [("深圳某某有限公司", C, None)]


def test_any_bad_row_rejects_the_whole_register_and_keeps_the_old_one(warehouse, tmp_path):
    load_register(write(tmp_path, "good.csv", f"甘肃辰岳新材料有限公司,{A},\n"), warehouse=warehouse)
    bad = write(tmp_path, "bad.csv", f"新公司,{B},\n,{C},\n坏代码公司,{A[:-1]}0,\n重复公司,{B},\n无代码公司,,\n",
                encoding="gb18030")
    rep = load_register(bad, warehouse=warehouse)
    assert rep.outcome == "rejected" and rep.rows_loaded == 0
    assert [(i.row_no, i.column) for i in rep.issues] == [
        (3, "企业名称"), (4, "统一社会信用代码"), (5, "统一社会信用代码"), (6, "统一社会信用代码")]
    assert "与第 2 行重复" in rep.issues[2].message and "4 处错误" in rep.summary_zh
    assert "已拒收，未做任何更改" in rep.summary_zh
    assert rows(warehouse) == [("甘肃辰岳新材料有限公司", A, None)]


def test_cli_loads_the_register_and_exits_2_on_a_rejected_file(warehouse, tmp_path, capsys):
    good = write(tmp_path, "good.csv", f"甘肃辰岳新材料有限公司,{A},\n")
    assert etl_cli.main(["load-reference", "enterprises", str(good), "--warehouse", str(warehouse)]) == 0
    bad = write(tmp_path, "bad.csv", "无代码公司,,\n")
    assert etl_cli.main(["load-reference", "enterprises", str(bad), "--warehouse", str(warehouse)]) == 2
    assert "企业登记名录文件“bad.csv”已拒收" in capsys.readouterr().out
