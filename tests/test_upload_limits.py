"""Upload limits hold on the server, whatever the browser let through."""
from __future__ import annotations

import io
import zipfile

import pytest
from conftest import csv_bytes

from core import catalog
from etl.load import load_files, validate_file
from tests.apptest_support import (
    app_as,
)
from tests.hostile_support import (  # noqa: F401 - fixtures are used by name
    SUBMISSIONS_PAGE,
    _frozen_today_and_fresh_caches,
    grown,
    hostile,
    hostile_copy,
    rows,
    submission_row,
    table_counts,
)

# --------------------------------------------------------------------------- 3. upload limits on the server

def limit_bytes() -> int:
    return catalog.etl_settings()["max_file_mb"] * 1024 * 1024


def test_oversized_file_is_rejected_before_it_is_read(hostile_copy, tmp_path):
    big = tmp_path / "620100_2025-04.csv"
    with open(big, "wb") as fh:
        fh.truncate(limit_bytes() + 1)  # sparse: costs no disk and no time
    before = table_counts(hostile_copy)
    [report] = load_files([big], warehouse=hostile_copy)
    limit_mb = catalog.etl_settings()["max_file_mb"]
    assert report.outcome == "rejected" and f"超过上限 {limit_mb} MB" in report.issues[0].message
    assert report.sha256 is None  # never hashed, so never read
    assert grown(before, table_counts(hostile_copy)) == {"load_audit": 1}
    assert rows(hostile_copy, "SELECT outcome, file_bytes FROM load_audit ORDER BY load_id DESC LIMIT 1") == [
        ("rejected", limit_bytes() + 1)]


@pytest.mark.parametrize("name, head", [("big.csv", b"\xef\xbb\xbf"), ("big.xlsx", b"PK\x03\x04")])
def test_oversized_upload_is_refused_by_the_dry_run_before_parsing(hostile, name, head):
    over = validate_file(name, head + bytes(limit_bytes() + 1 - len(head)), warehouse=hostile.warehouse)
    assert over.outcome == "rejected" and "超过上限" in over.issues[0].message
    at_limit = validate_file(name, head + bytes(limit_bytes() - len(head)), warehouse=hostile.warehouse)
    assert at_limit.outcome == "rejected" and "超过上限" not in at_limit.issues[0].message  # parsed, then refused


RENAMED = {
    "照片.xlsx": (b"\x89PNG\r\n\x1a\n" + bytes(64), "可能是改了扩展名的其他文件"),
    "程序.csv": (b"\x7fELF\x02\x01\x01" + bytes(64), "含有二进制内容"),
    "压缩包.xlsx": (None, "已损坏或不是有效的 xlsx 文件"),
    "旧表.xlsx": (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64), "旧版 Excel"),
    "报表.exe": (csv_bytes([submission_row(1)]), "不是 xlsx 或 csv 文件"),
}


def plain_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("readme.txt", "不是工作簿")
    return buf.getvalue()


def test_renamed_binaries_are_rejected_with_a_chinese_reason(hostile_copy):
    files = [(name, content or plain_zip()) for name, (content, _) in RENAMED.items()]
    dry = [validate_file(name, content, warehouse=hostile_copy) for name, content in files]
    before = table_counts(hostile_copy)
    loaded = load_files(files, warehouse=hostile_copy)
    for report in (*dry, *loaded):
        expected = RENAMED[report.file_name][1]
        assert report.outcome == "rejected" and not report.internal_error
        assert expected in report.issues[0].message and report.file_name in report.issues[0].message
    assert grown(before, table_counts(hostile_copy)) == {"load_audit": len(files)}


def test_reporter_cannot_load_another_units_file_through_the_page(hostile_copy, monkeypatch):
    monkeypatch.setenv("WAREHOUSE", str(hostile_copy))
    own = csv_bytes([submission_row(i, month="2025-05") for i in range(1, 4)])
    foreign = csv_bytes([submission_row(i, "庆阳市", month="2025-05") for i in range(1, 4)])
    at = app_as("lanzhou", hostile_copy, SUBMISSIONS_PAGE).run()
    before = table_counts(hostile_copy)

    at.file_uploader(key="uploads").set_value([("庆阳_2025-05.csv", foreign, "text/csv")])
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["以下文件不是本单位的报表，不能由本账户报送：庆阳_2025-05.csv"]
    assert not [b for b in at.button if b.label.startswith("确认入库")]

    at.file_uploader(key="uploads").set_value([("庆阳_2025-05.csv", foreign, "text/csv"),
                                              ("兰州_2025-05.csv", own, "text/csv")])
    at.run()
    confirm = next(b for b in at.button if b.label.startswith("确认入库"))
    assert confirm.label == "确认入库（1 个文件）"
    confirm.click()
    at.run()
    assert not at.exception
    assert [s.value.split("：")[0] for s in at.success] == ["兰州_2025-05.csv"]
    assert grown(before, table_counts(hostile_copy)) == {"submission_versions": 1, "project_rows": 3, "load_audit": 1}
    assert rows(hostile_copy, "SELECT unit_code, file_name, actor FROM load_audit ORDER BY load_id DESC LIMIT 1") == [
        ("620100", "兰州_2025-05.csv", "lanzhou")]
