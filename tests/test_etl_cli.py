"""`python -m etl` as a real subprocess: JSON output, exit codes, and a loader killed with SIGKILL mid-file."""
import json
import os
import signal
import subprocess
import sys
import textwrap
import time
import types
from pathlib import Path

import duckdb
import polars as pl
import pytest

from etl import cli
from warehouse import store

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "DASHBOARD_TODAY": "2025-06-15", "PYTHONPATH": str(ROOT)}
ENV.pop("WAREHOUSE", None)


def etl(*args, check_json=True):
    proc = subprocess.run([sys.executable, "-m", "etl", *map(str, args)], cwd=ROOT, env=ENV, capture_output=True,
                          text=True, timeout=300)
    payload = json.loads(proc.stdout) if check_json and "--json" in args else None
    return proc, payload


def test_load_json_and_exit_code_2_when_a_file_is_rejected(write_submission, project_row, warehouse, tmp_path):
    good = write_submission([project_row(1), project_row(2)], "good.csv")
    bad = tmp_path / "in" / "notes.txt"
    bad.write_text("不是报表")
    proc, out = etl("load", good, bad, "--warehouse", warehouse, "--json")
    assert proc.returncode == 2, proc.stderr
    assert out["exit_code"] == 2 and out["outcomes"] == {"loaded": 1, "duplicate": 0, "rejected": 1}
    files = {f["file_name"]: f for f in out["files"]}
    assert files["good.csv"]["rows_loaded"] == 2 and files["good.csv"]["identity_holds"]
    assert files["good.csv"]["unit_code"] == "620100" and files["good.csv"]["month"] == "2025-03"
    assert "不是 xlsx 或 csv" in files["notes.txt"]["summary_zh"]
    assert out["totals"]["rows_loaded"] == 2


def test_clean_load_exits_0_with_a_chinese_summary_then_duplicate(write_submission, project_row, warehouse):
    path = write_submission([project_row(1)], "lz.xlsx")
    proc, _ = etl("load", path, "--warehouse", warehouse, "--received-at", "2025-04-06T08:00:00+08:00")
    assert proc.returncode == 0, proc.stderr
    assert "[已入库] lz.xlsx：兰州市2025年3月已入库为第 1 版" in proc.stdout
    assert "逾期报送" in proc.stdout and "输入 1 行 = 入库 1 + 隔离 0 + 忽略 0" in proc.stdout
    proc, out = etl("load", path, "--warehouse", warehouse, "--json")
    assert proc.returncode == 0 and out["files"][0]["outcome"] == "duplicate"


def test_quarantined_rows_exit_2_and_report_file(write_submission, project_row, warehouse, tmp_path):
    path = write_submission([project_row(1, **{"签约金额（万元）": "5亿"}), project_row(2)], "lz.csv")
    report = tmp_path / "校验报告.xlsx"
    proc, _ = etl("load", path, "--warehouse", warehouse, "--report", report)
    assert proc.returncode == 2
    assert "隔离：第 2 行「签约金额（万元）」值“5亿”不是数字" in proc.stdout
    assert pl.read_excel(report, sheet_name="问题明细")["类别"].to_list() == ["隔离"]


def test_failure_exits_1(warehouse, tmp_path, write_submission, project_row):
    path = write_submission([project_row(1)], "lz.csv")
    proc, out = etl("load", path, "--warehouse", warehouse, "--manifest", tmp_path / "missing.csv", "--json")
    assert proc.returncode == 1 and out["exit_code"] == 1 and "失败" in out["error"]
    proc, _ = etl("load", path, "--warehouse", warehouse, "--received-at", "上周五", check_json=False)
    assert proc.returncode == 1 and "ISO 8601" in proc.stderr


def test_load_reference(warehouse, tmp_path):
    ref = tmp_path / "三个500强.csv"
    ref.write_text("名录,年度,排名,企业名称,统一社会信用代码\n世界500强,2024,1,甲公司,\n世界500强,2024,2,乙公司,\n",
                   encoding="gbk")
    proc, out = etl("load-reference", "five-hundred", ref, "--warehouse", warehouse, "--json")
    assert proc.returncode == 0, proc.stderr
    assert out["lists"] == [{"list_name": "世界500强", "year": 2024, "rows": 2, "replaced": 0}]
    bad = tmp_path / "bad.csv"
    bad.write_text("名录,年度,排名,企业名称,统一社会信用代码\n世界五百强,2024,1,甲公司,\n", encoding="utf-8")
    proc, _ = etl("load-reference", "five-hundred", bad, "--warehouse", warehouse)
    assert proc.returncode == 2 and "第 2 行「名录」值“世界五百强”不在允许范围内" in proc.stdout


def test_demo_is_delegated_to_etl_demo(monkeypatch):
    seen = []
    fake = types.ModuleType("simulator.demo")
    fake.main = lambda argv: seen.append(argv) or 0
    monkeypatch.setattr(cli, "demo", fake)
    assert cli.main(["demo", "--out", "x", "--seed", "7"]) == 0
    assert seen == [["--out", "x", "--seed", "7"]]


# --------------------------------------------------------------------------- SIGKILL mid-load

KILLABLE_LOADER = textwrap.dedent("""
    import sys, time, pathlib
    import etl.load as load
    real = load._insert_submission
    def insert_then_hang(*args, **kwargs):
        result = real(*args, **kwargs)          # rows are written, the transaction is still open
        pathlib.Path(sys.argv[1]).write_text("inserted")
        time.sleep(120)
        return result
    load._insert_submission = insert_then_hang
    from etl.cli import main
    sys.exit(main(sys.argv[2:]))
""")


def big_csv(path: Path, n: int, contract_headers) -> None:
    """A valid single-unit file of n rows (more than a DuckDB row group, so rows reach the file before commit)."""
    i = pl.int_range(0, n, eager=True)
    base = {"报送单位": "天水市", "统计月份": "2025-03", "所在县区": "秦州区", "所属产业链": "新材料",
            "投资方统一社会信用代码": "91350100M000100Y43", "投资方来源地": "广东省", "三个500强类别": "无",
            "资金来源": "省外境内", "项目类型": "新建", "签约日期": "2025-01-15", "签约金额（万元）": "1000",
            "计划总投资（万元）": "2000", "项目状态": "在建", "开工日期": "2025-02-01", "投产日期": "",
            "本月到位资金（万元）": "100", "累计到位资金（万元）": "300", "高新技术项目": "否", "备注": ""}
    frame = pl.DataFrame({"n": i}).select(
        *[pl.lit(base[h]).alias(h) if h in base else pl.format("{}-{}", pl.lit(h[:2]), pl.col("n")).alias(h)
          for h in contract_headers])
    frame.write_csv(path)


def counts(con) -> tuple:
    return tuple(con.sql(f"SELECT count(*) FROM {t}").fetchall()[0][0]
                 for t in ("submission_versions", "project_rows", "load_audit"))


@pytest.mark.usefixtures("frozen_today")
def test_sigkill_mid_load_leaves_the_warehouse_unchanged(warehouse, write_submission, project_row, tmp_path,
                                                         contract_headers):
    from etl.load import load_files

    load_files([write_submission([project_row(1)], "first.csv")], warehouse=warehouse)
    snapshot_before = store.current_snapshot(warehouse)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        before = counts(con)
    big = tmp_path / "in" / "big.csv"
    big_csv(big, 130_000, contract_headers)
    marker = tmp_path / "inserted"
    script = tmp_path / "killable.py"
    script.write_text(KILLABLE_LOADER)
    proc = subprocess.Popen([sys.executable, script, marker, "load", big, "--warehouse", warehouse], cwd=ROOT,
                            env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 240
        while not marker.exists():
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, "the loader never reached the insert"
            time.sleep(0.05)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert proc.returncode == -signal.SIGKILL

    assert store.current_snapshot(warehouse) == snapshot_before
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert counts(con) == before
    [rep] = load_files([big], warehouse=warehouse, received_at="2025-04-01")
    assert rep.outcome == "loaded" and rep.rows_loaded == 130_000
    with duckdb.connect(str(warehouse), read_only=True) as con:
        assert counts(con) == (before[0] + 1, before[1] + 130_000, before[2] + 1)


# --------------------------------------------------------------------------- progress bar, demo --warehouse

def _load_with_stderr_on_a_terminal(args: list, columns: int) -> str:
    """Run `python -m etl load ARGS` with stderr on a pseudo-terminal of `columns` columns (0: never sized)."""
    import fcntl
    import pty
    import struct
    import termios

    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24 if columns else 0, columns, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "etl", "load", *map(str, args)], cwd=ROOT, env=ENV,
                            stdout=subprocess.DEVNULL, stderr=slave)
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # the terminal closed with the process
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=300) == 0
    return out.decode("utf-8", errors="replace")


@pytest.mark.parametrize("columns", [100, 0])
def test_load_shows_a_progress_bar_on_a_terminal(write_submission, project_row, warehouse, columns):
    paths = [write_submission([project_row(i)], f"{i}.csv") for i in range(1, 5)]
    shown = _load_with_stderr_on_a_terminal([*paths, "--warehouse", warehouse], columns)
    assert "加载: 100%" in shown and "4/4" in shown


def test_no_progress_bar_when_stderr_is_not_a_terminal(write_submission, project_row, warehouse):
    paths = [write_submission([project_row(i)], f"{i}.csv") for i in range(1, 5)]
    proc, _ = etl("load", *paths, "--warehouse", warehouse)
    assert proc.returncode == 0 and "加载:" not in proc.stderr and "4/4" not in proc.stderr


@pytest.mark.usefixtures("frozen_today")
def test_demo_accepts_warehouse_and_writes_files_only(tmp_path, capsys):
    from simulator import demo

    out, warehouse = tmp_path / "demo", tmp_path / "w.duckdb"
    assert demo.main(["--out", str(out), "--warehouse", str(warehouse), "--start", "2025-05", "--end", "2025-05",
                      "--scale", "0.05", "--clean"]) == 0
    assert any((out / "submissions").iterdir()) and not warehouse.exists()
    assert store.current_snapshot(warehouse) is None
    capsys.readouterr()
    with pytest.raises(SystemExit):
        demo.main(["--help"])
    assert "只写文件，不写数据仓库" in capsys.readouterr().out
