"""Memory peaks of hostile inputs beside a normal large file (issue 15 §2), each loaded in its own process.

    python bench/bench_bad_inputs.py [--rows 200000] [--bomb-mb 600]

Each file is loaded by `etl.load.load_files` in a fresh child process (the CLI path: every check runs before
parsing, in process; uploads through the app are parsed the same way inside a memory-limited
worker limited to 1 GB of address space: see tests/test_resource_limits.py). Printed per input: size on disk,
outcome, the child's peak resident memory (ru_maxrss) and wall time. The normal file is the same-run baseline.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from bad_inputs import far_cell_xlsx, forged_xlsx, wide_csv  # noqa: E402
from conftest import csv_bytes, valid_uscc  # noqa: E402

CHILD = """
import json, sys, time
from etl.load import load_files
def peak_mb():  # VmHWM: this process's own peak (ru_maxrss would carry the parent's over fork and exec)
    line = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
    return int(line.split()[1]) / 1024
t = time.perf_counter()
[r] = load_files([sys.argv[1]], warehouse=sys.argv[2])
print(json.dumps({"outcome": r.outcome, "rows": r.rows_loaded, "seconds": time.perf_counter() - t,
                  "peak_mb": peak_mb(),
                  "message": (r.issues[0].message if r.outcome == "rejected" else "")[:60]}, ensure_ascii=False))
"""


def normal_rows(n: int) -> list[dict]:
    return [{"报送单位": "兰州市", "统计月份": "2025-03", "项目编号": f"LZ-{i:06d}", "项目名称": f"示范产业园建设项目{i}",
             "所在县区": "城关区", "所属产业链": "新材料", "投资方名称": f"示范投资集团有限公司第{i}分公司",
             "投资方统一社会信用代码": valid_uscc(i % 9_000_000), "投资方来源地": "广东省", "三个500强类别": "无",
             "资金来源": "省外境内", "项目类型": "新建", "签约日期": "2025-01-15", "签约金额（万元）": "12345.6789",
             "计划总投资（万元）": "23456.7891", "项目状态": "在建", "开工日期": "2025-02-01", "投产日期": "",
             "本月到位资金（万元）": "100.5", "累计到位资金（万元）": "300.25", "高新技术项目": "否",
             "备注": "按月报送，数据经单位负责人审核"} for i in range(1, n + 1)]


def run(path: Path, warehouse: Path) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(path), str(warehouse)], cwd=ROOT, capture_output=True,
                          text=True, env={"DASHBOARD_TODAY": "2025-06-15", "PATH": "/usr/bin:/bin"})
    if done.returncode:
        return {"outcome": f"exit {done.returncode}", "peak_mb": float("nan"), "seconds": float("nan"),
                "message": done.stderr.strip().splitlines()[-1][:60] if done.stderr.strip() else ""}
    return json.loads(done.stdout)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=170_000)  # about 49 MB: just under the 50 MB limit
    ap.add_argument("--bomb-mb", type=int, default=600)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        d = Path(tmp)
        t = time.perf_counter()
        files = {
            "normal.csv (baseline)": csv_bytes(normal_rows(args.rows)),
            "forged-size bomb.xlsx": forged_xlsx(args.bomb_mb),
            "million-column.csv": wide_csv(1_000_000, 21),
            "100k-column.csv": wide_csv(100_000, 200),
            "far-cell.xlsx (XFD1048576)": far_cell_xlsx(),
        }
        print(f"inputs built in {time.perf_counter() - t:.1f} s")
        print(f"{'input':30} {'size MB':>8} {'outcome':>9} {'peak MB':>8} {'seconds':>8}  message")
        for i, (label, data) in enumerate(files.items()):
            suffix = ".xlsx" if ".xlsx" in label else ".csv"
            path = d / f"input{i}{suffix}"
            path.write_bytes(data)
            r = run(path, d / f"wh{i}" / "warehouse.duckdb")
            print(f"{label:30} {len(data) / 1e6:8.1f} {r['outcome']:>9} {r['peak_mb']:8.0f} {r['seconds']:8.1f}  "
                  f"{r['message']}")


if __name__ == "__main__":
    main()
