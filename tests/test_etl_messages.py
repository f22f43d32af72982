"""Issue 15 §7: precise Chinese messages for a UTF-16 file and for a formula cell saved without its result."""
from __future__ import annotations

import io
import zipfile

import pytest
import xlsxwriter
from conftest import HEADERS, csv_bytes

from etl.read import FileRejected, read_table


def test_a_utf16_csv_with_its_mark_is_read(project_row):
    text = csv_bytes([project_row(1), project_row(2)]).decode("utf-8")
    table = read_table("utf16.csv", text.encode("utf-16"))  # BOM + UTF-16LE, as "Unicode" exports write
    assert table.frame["project_id"].to_list() == ["LZ-0001", "LZ-0002"]


def test_a_utf16_csv_without_its_mark_gets_a_precise_message(project_row):
    data = csv_bytes([project_row(1)]).decode("utf-8").encode("utf-16-le")
    with pytest.raises(FileRejected) as caught:
        read_table("utf16.csv", data)
    assert "是 UTF-16 编码的文本" in caught.value.message and "二进制" not in caught.value.message


def formula_without_result(project_row) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf, {"in_memory": True})
    ws = wb.add_worksheet("项目明细")
    ws.write_row(0, 0, HEADERS)
    row = project_row(1)
    for c, h in enumerate(HEADERS):
        if h == "本月到位资金（万元）":
            ws.write_formula(1, c, "=50*2", None, 0)
        elif row[h]:
            ws.write_string(1, c, row[h])
    wb.close()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buf.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            content = src.read(info)
            if info.filename.startswith("xl/worksheets/"):
                content = content.replace(b"</f><v>0</v>", b"</f>")  # as a program that never calculates writes it
            dst.writestr(info.filename, content)
    return out.getvalue()


def test_a_formula_cell_without_its_result_is_named(project_row):
    with pytest.raises(FileRejected) as caught:
        read_table("formula.xlsx", formula_without_result(project_row))
    message = caught.value.message
    assert "单元格 S2 是公式，但文件中没有保存公式的计算结果" in message and "为空" not in message
