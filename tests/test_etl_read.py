"""Reading xlsx/csv submissions: header detection, row numbers, encodings, blank and total rows, rejections."""
import datetime as dt
import io
import zipfile

import pytest

from core import catalog
from etl.read import FileRejected, check_size, read_table

TITLE = "2025年3月招商引资项目报表"


def test_xlsx_title_row_skipped_row_numbers_as_in_excel(project_row, submission_bytes):
    data = submission_bytes([project_row(1), project_row(2)], "a.xlsx", title=TITLE)
    t = read_table("a.xlsx", data)
    assert t.header_row_no == 2
    assert t.frame["row_no"].to_list() == [3, 4]
    assert t.frame["project_id"].to_list() == ["LZ-0001", "LZ-0002"]
    assert (t.rows_input, t.rows_ignored) == (2, 0)


def test_xlsx_typed_cells_read_as_the_text_the_user_sees(project_row, submission_bytes):
    row = project_row(1, **{"签约日期": dt.date(2025, 1, 15), "签约金额（万元）": 1234.5, "累计到位资金（万元）": 300,
                            "开工日期": 45731, "统计月份": dt.date(2025, 3, 1)})
    t = read_table("a.xlsx", submission_bytes([row], "a.xlsx"))
    got = t.frame.row(0, named=True)
    assert got["signing_date"] == "2025-01-15"
    assert got["signed_amount_wan"] == "1234.5"
    assert got["funds_cum_wan"] == "300"
    assert got["start_date"] == "45731"  # an Excel serial typed as a number; the date parser reads it
    assert got["month"] == "2025-03-01"


def test_sheet_named_xiangmu_mingxi_preferred_over_first_sheet(project_row, submission_bytes):
    data = submission_bytes([project_row(7)], "a.xlsx", before_sheets=("填报说明",))
    assert read_table("a.xlsx", data).frame["project_id"].to_list() == ["LZ-0007"]


def test_first_sheet_used_when_no_xiangmu_mingxi(project_row, submission_bytes):
    data = submission_bytes([project_row(8)], "a.xlsx", sheet="Sheet1")
    assert read_table("a.xlsx", data).frame["project_id"].to_list() == ["LZ-0008"]


def test_header_matching_ignores_spaces_and_bracket_width(project_row, submission_bytes, contract_headers):
    headers = [f"  {h.replace('（', '(').replace('）', ')')} " for h in contract_headers]
    rows = [{h2: project_row(1)[h] for h, h2 in zip(contract_headers, headers, strict=True)}]
    t = read_table("a.csv", submission_bytes(rows, "a.csv", headers=headers))
    assert t.frame["signed_amount_wan"].to_list() == ["1000"]


def test_optional_columns_may_be_absent(project_row, submission_bytes, contract_headers):
    headers = [h for h in contract_headers if h not in ("所在县区", "投资方来源地", "备注")]
    t = read_table("a.csv", submission_bytes([project_row(1)], "a.csv", headers=headers))
    assert t.frame["county"].to_list() == [None]


def test_blank_rows_and_trailing_total_row_are_ignored_and_counted(project_row, submission_bytes):
    blank = {h: "" for h in project_row(1)}
    rows = [project_row(1), blank, project_row(2)]
    data = submission_bytes(rows, "a.xlsx", title=TITLE, trailer=[["合计", None, None, None, None, None, None, None,
                                                                    None, None, None, None, None, 2000]])
    t = read_table("a.xlsx", data)
    assert t.frame["row_no"].to_list() == [3, 5]
    assert (t.rows_input, t.rows_ignored) == (4, 2)


def test_total_row_in_the_middle_is_a_data_row(project_row, submission_bytes):
    rows = [project_row(1), {"报送单位": "合计"}, project_row(2)]
    t = read_table("a.csv", submission_bytes(rows, "a.csv"))
    assert t.frame.height == 3 and t.rows_ignored == 0


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk"])
def test_csv_encodings(project_row, submission_bytes, encoding):
    data = submission_bytes([project_row(1, **{"项目名称": "兰州新区镍钴新材料项目"})], "a.csv", encoding=encoding,
                            title=TITLE)
    t = read_table("a.csv", data)
    assert t.frame["project_name"].to_list() == ["兰州新区镍钴新材料项目"]
    assert t.frame["unit"].to_list() == ["兰州市"]
    assert t.frame["row_no"].to_list() == [3]


def test_csv_multiline_cell_keeps_excel_row_numbers(project_row, submission_bytes):
    rows = [project_row(1, **{"备注": "第一行\n第二行"}), project_row(2)]
    t = read_table("a.csv", submission_bytes(rows, "a.csv", title=TITLE))
    assert t.frame["row_no"].to_list() == [3, 4]
    assert t.frame["remark"].to_list() == ["第一行\n第二行", None]


def _rejected(name, data) -> str:
    with pytest.raises(FileRejected) as info:
        read_table(name, data)
    return info.value.message


def test_corrupt_xlsx_rejected(project_row, submission_bytes):
    data = submission_bytes([project_row(1)], "a.xlsx")
    message = _rejected("a.xlsx", data[: len(data) // 2])
    assert "损坏" in message and "a.xlsx" in message


def test_zip_that_is_not_a_workbook_rejected():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "hello")
    assert "已损坏或不是有效的 xlsx 文件" in _rejected("a.xlsx", buf.getvalue())


def test_renamed_text_file_rejected():
    message = _rejected("报表.xlsx", "这是一份说明文字，不是表格。".encode())
    assert "不是有效的 xlsx 文件" in message and "改了扩展名" in message


def test_other_extensions_and_legacy_xls_rejected():
    assert "不是 xlsx 或 csv" in _rejected("报表.txt", b"a,b\n1,2\n")
    assert "另存为 .xlsx" in _rejected("报表.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 100)


def test_empty_sheet_rejected():
    import xlsxwriter
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    wb.add_worksheet("项目明细")
    wb.close()
    assert "空表" in _rejected("a.xlsx", buf.getvalue())


def test_header_without_data_rows_rejected(submission_bytes):
    message = _rejected("a.xlsx", submission_bytes([], "a.xlsx", title=TITLE))
    assert "没有数据行" in message and "第 2 行" in message


def test_english_header_rejected_with_hint(project_row, submission_bytes):
    headers = ["unit", "month", "project_id", "project_name", "chain", "investor", "amount"]
    data = submission_bytes([{h: "x" for h in headers}], "a.csv", headers=headers)
    message = _rejected("a.csv", data)
    assert "英文" in message and "报送单位" in message


def test_missing_columns_named(project_row, submission_bytes, contract_headers):
    headers = [h for h in contract_headers if h not in ("签约金额（万元）", "项目状态")]
    message = _rejected("a.xlsx", submission_bytes([project_row(1)], "a.xlsx", headers=headers, title=TITLE))
    assert "缺少必需的列" in message and "签约金额（万元）" in message and "项目状态" in message
    assert "第 2 行" in message


def test_partly_english_header_says_so(project_row, submission_bytes, contract_headers):
    headers = ["amount" if h == "签约金额（万元）" else h for h in contract_headers]
    message = _rejected("a.csv", submission_bytes([project_row(1)], "a.csv", headers=headers))
    assert "签约金额（万元）" in message and "英文列名（amount）" in message


def test_size_limit_checked_before_reading(tmp_path):
    big = tmp_path / "big.csv"
    with open(big, "wb") as f:  # sparse: 51 MB on paper, nothing written
        f.truncate(51 * 1024 * 1024)
    with pytest.raises(FileRejected, match="超过上限 50 MB"):
        check_size(big.name, big.stat().st_size)


def test_row_limit(monkeypatch, project_row, submission_bytes):
    monkeypatch.setitem(catalog.etl_settings(), "max_rows", 3)
    rows = [project_row(i) for i in range(1, 5)]
    assert "超过 3 行的上限" in _rejected("a.csv", submission_bytes(rows, "a.csv"))
    assert "超过 3 行的上限" in _rejected("a.xlsx", submission_bytes(rows, "a.xlsx"))
    assert read_table("a.csv", submission_bytes(rows[:3], "a.csv")).frame.height == 3


def test_xlsx_far_above_the_row_limit_is_rejected_without_loading_it_all(monkeypatch, project_row, submission_bytes):
    monkeypatch.setitem(catalog.etl_settings(), "max_rows", 3)
    many = submission_bytes([project_row(1)] * 1100, "a.xlsx")  # beyond the limit plus the allowed slack
    assert "超过 3 行的上限" in _rejected("a.xlsx", many)


def test_binary_csv_rejected():
    assert "二进制" in _rejected("a.csv", b"\x00\x01\x02PK")


@pytest.mark.parametrize("name", ["a.xlsx", "a.csv"])
def test_spaces_around_cells_are_stripped_and_whitespace_only_cells_are_blank(project_row, submission_bytes, name):
    rows = [project_row(1, **{"报送单位": " 兰州市\u3000", "项目名称": "   ", "备注": "\t"}),
            {h: " " for h in project_row(2)}]  # a row of spaces only is a blank row
    t = read_table(name, submission_bytes(rows, name))
    got = t.frame.row(0, named=True)
    assert (got["unit"], got["project_name"], got["remark"]) == ("兰州市", None, None)
    assert (t.frame.height, t.rows_ignored) == (1, 1)
