"""Issue 15 §2: any file up to the upload limit is rejected cleanly, in Chinese, within bounded memory.

The loader runs in a subprocess under an address-space limit (RLIMIT_AS, 1 GB): a forged-size xlsx and a
million-column CSV must end in a rejection naming the limit, not in a MemoryError or a killed process.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from bad_inputs import far_cell_xlsx, forged_xlsx, wide_csv

from etl.isolate import ADDRESS_SPACE_ENV
from etl.read import FileRejected, read_table

ROOT = Path(__file__).resolve().parents[1]
LIMITED_LOADER = textwrap.dedent("""
    import json, resource, sys
    limit = int(sys.argv[1]) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    from etl.load import load_files
    reports = load_files(sys.argv[3:], warehouse=sys.argv[2])
    print(json.dumps([[r.file_name, r.outcome, [i.message for i in r.issues]] for r in reports], ensure_ascii=False))
""")


def load_limited(paths, warehouse, limit_mb=1024):
    done = subprocess.run([sys.executable, "-c", LIMITED_LOADER, str(limit_mb), str(warehouse), *map(str, paths)],
                          cwd=ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, **ADDRESS_SPACE_ENV})
    assert done.returncode == 0, done.stderr[-2000:]
    return {name: (outcome, messages) for name, outcome, messages in json.loads(done.stdout)}


def test_forged_xlsx_and_million_column_csv_are_rejected_under_one_gigabyte(tmp_path, warehouse):
    bomb = tmp_path / "bomb.xlsx"
    bomb.write_bytes(forged_xlsx(inflated_mb=600))  # declares 105 KB
    assert bomb.stat().st_size < 2 * 1024 * 1024
    wide = tmp_path / "wide.csv"
    wide.write_bytes(wide_csv(1_000_000, 21))  # 21 MB
    far = tmp_path / "far.xlsx"
    far.write_bytes(far_cell_xlsx())
    seen = load_limited([bomb, wide, far], warehouse)
    assert seen["bomb.xlsx"][0] == "rejected"
    assert "解压后的内容超过 400 MB 的上限" in seen["bomb.xlsx"][1][0]
    assert seen["wide.csv"][0] == "rejected"
    assert "有一行多达 1,000,000 列，超过 64 列的上限" in seen["wide.csv"][1][0]
    assert seen["far.xlsx"][0] == "rejected"
    assert "使用到第 XFD 列，超过 64 列（BL 列）的上限" in seen["far.xlsx"][1][0]


@pytest.mark.parametrize("ref, text", [("BM1", "第 BM 列"), ("A300000", "第 300,000 行"), ("A9999999", "第 9,999,999 行")])
def test_grid_limits_of_an_xlsx(ref, text):
    with pytest.raises(FileRejected) as caught:
        read_table("far.xlsx", far_cell_xlsx(ref))
    assert text in caught.value.message


def test_a_wide_record_hidden_by_quoted_line_breaks_is_still_too_wide():
    from conftest import csv_bytes
    data = csv_bytes([]) + b'"\n",' * 5000 + b"\r\n"
    with pytest.raises(FileRejected) as caught:
        read_table("quoted.csv", data)
    assert "列的上限" in caught.value.message


def test_a_template_wide_file_is_fine(project_row):
    from conftest import csv_bytes
    table = read_table("ok.csv", csv_bytes([project_row(1)]))
    assert table.frame.height == 1


def test_an_upload_parsed_in_the_worker_gives_the_same_report(frozen_today, warehouse, project_row):
    from conftest import xlsx_bytes

    from etl.load import validate_file
    data = xlsx_bytes([project_row(1), project_row(2, **{"签约金额（万元）": "约500"})])
    isolated = validate_file("a.xlsx", data, warehouse=warehouse, isolate=True)
    in_process = validate_file("a.xlsx", data, warehouse=warehouse)
    assert (isolated.outcome, isolated.rows_loaded, isolated.rows_quarantined) == ("loaded", 1, 1)
    assert [i.message for i in isolated.issues] == [i.message for i in in_process.issues]


def test_a_worker_past_its_memory_limit_ends_in_a_chinese_rejection(frozen_today, warehouse, project_row,
                                                                     monkeypatch):
    from conftest import xlsx_bytes

    import etl.isolate
    from etl.load import validate_file
    monkeypatch.setattr(etl.isolate, "_limit_mb", lambda: 200)  # too little for the parser itself
    rows = [project_row(i) for i in range(1, 3001)]
    report = validate_file("a.xlsx", xlsx_bytes(rows), warehouse=warehouse, isolate=True)
    assert report.outcome == "rejected" and not report.internal_error
    assert "解析时超过 200 MB 的内存上限" in report.issues[0].message
