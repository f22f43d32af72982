"""`python -m analytics rank | publish | sample` (docs/CONTRACT.md §3)."""
from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import types
from pathlib import Path

import pytest
from test_ranking_warehouse import HandWarehouse, fill, small_config_text

from analytics import cli as analytics_cli
from analytics.cli import main

ROOT = Path(__file__).resolve().parent.parent
CONTRACT_KEYS = {"unit_code", "unit_name", "score", "rank", "rank_q05", "rank_q95", "complete"}


@pytest.fixture(scope="module")
def ranked_warehouse(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    wh = HandWarehouse(d / "wh.duckdb")
    fill(wh)
    config = d / "indicators.toml"
    config.write_text(small_config_text(), encoding="utf-8")
    return wh.path, config


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_rank_json_and_csv_follow_the_contract(ranked_warehouse, capsys):
    path, config = ranked_warehouse
    code, out, _ = run(capsys, "rank", "--quarter", "2025Q3", "--format", "json", "--warehouse", path, "--config", config)
    assert code == 0
    records = json.loads(out)
    assert [r["unit_code"] for r in records] and all(CONTRACT_KEYS <= set(r) for r in records)
    assert sorted(r["rank"] for r in records) == [1, 2, 3]
    assert all(0 <= r["score"] <= 100 and r["complete"] is True and r["rank_q05"] <= r["rank_q95"] for r in records)
    code, out_csv, _ = run(capsys, "rank", "--quarter", "2025q3", "--format", "csv", "--warehouse", path,
                           "--config", config)
    rows = list(csv.DictReader(io.StringIO(out_csv)))
    assert code == 0 and CONTRACT_KEYS <= set(rows[0])
    for row, rec in zip(rows, records):
        assert (row["unit_code"], float(row["score"]), int(row["rank"]), row["complete"]) == \
               (rec["unit_code"], rec["score"], rec["rank"], "true")
    code, out_json_flag, _ = run(capsys, "rank", "--quarter", "2025Q3", "--json", "--warehouse", path,
                                 "--config", config)
    assert json.loads(out_json_flag) == records


def test_rank_table_is_human_readable(ranked_warehouse, capsys):
    path, config = ranked_warehouse
    code, out, _ = run(capsys, "rank", "--quarter", "2025Q3", "--warehouse", path, "--config", config)
    assert code == 0 and out.startswith("2025年第三季度综合排名（测试组）\n数据截至：2025-10-05 10:00")
    assert "排名区间(5–95%)" in out and "兰州新区" in out and "完整" in out


def test_publish_prints_id_and_hash_and_refuses_a_silent_republish(tmp_path, capsys):
    wh = HandWarehouse(tmp_path / "wh.duckdb")
    fill(wh)
    config = tmp_path / "indicators.toml"
    config.write_text(small_config_text(), encoding="utf-8")
    args = ["publish", "--quarter", "2025Q3", "--warehouse", wh.path, "--config", config]
    code, out, _ = run(capsys, *args, "--by", "张三")
    assert code == 0
    lines = out.splitlines()
    assert lines[1] == "发布编号：2025Q3-01" and len(lines[2].removeprefix("内容哈希：")) == 64
    code, out, err = run(capsys, *args, "--by", "李四")
    assert code == 1 and "已发布" in err and "更正说明" in err and out == ""
    code, out, _ = run(capsys, *args, "--by", "李四", "--note", "更正兰州市数据", "--json")
    result = json.loads(out)
    assert code == 0 and result["publication_id"] == "2025Q3-02" and result["corrects"] == "2025Q3-01"


def test_failures_exit_1_with_a_chinese_message(ranked_warehouse, tmp_path, capsys):
    path, config = ranked_warehouse
    bad_config = tmp_path / "bad.toml"
    bad_config.write_text(config.read_text(encoding="utf-8").replace("weight = 0.25", "weight = 0.3", 1),
                          encoding="utf-8")
    cases = [
        (["rank", "--quarter", "2025-3", "--warehouse", path], "季度格式"),
        (["rank", "--quarter", "2025Q3", "--warehouse", tmp_path / "none.duckdb", "--config", config], "数据仓库不存在"),
        (["rank", "--quarter", "2025Q3", "--warehouse", path, "--config", bad_config], "权重之和"),
        (["rank", "--warehouse", path], "缺少必填参数"),
        (["rank", "--quarter", "2025Q3", "--format", "xml", "--warehouse", path], "取值无效"),
        (["publish", "--quarter", "2025Q3", "--warehouse", path, "--config", config], "缺少必填参数"),
    ]
    for argv, message in cases:
        code, out, err = run(capsys, *argv)
        assert code == 1 and message in err, (argv, err)
    code, out, _ = run(capsys, "rank", "--quarter", "2025-3", "--json", "--warehouse", path)
    assert code == 1 and "季度格式" in json.loads(out)["error"]
    # a quarter without any report: nothing to rank, nothing to publish
    for command in (["rank"], ["publish", "--by", "张三"]):
        code, _, err = run(capsys, *command, "--quarter", "2023Q1", "--warehouse", path, "--config", config)
        assert code == 1 and "2023年第一季度没有可" in err


def test_sample_is_delegated_to_the_sampling_cli(monkeypatch):
    seen = []
    fake = types.ModuleType("analytics.verification.sample_cli")
    fake.main = lambda argv: seen.append(argv) or 2
    monkeypatch.setattr(analytics_cli, "sample_cli", fake)
    assert main(["sample", "--quarter", "2025Q3", "--size", "5"]) == 2
    assert seen == [["--quarter", "2025Q3", "--size", "5"]]


def test_python_dash_m_analytics(ranked_warehouse):
    path, config = ranked_warehouse
    done = subprocess.run([sys.executable, "-m", "analytics", "rank", "--quarter", "2025Q3", "--format", "json",
                           "--warehouse", str(path), "--config", str(config)],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 3
