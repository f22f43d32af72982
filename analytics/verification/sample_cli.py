"""`python -m analytics sample` (docs/CONTRACT.md §3): draw and record a verification sample, or import its results.

    python -m analytics sample --quarter 2025Q3 --size 280 --seed 42 --out 核查清单.xlsx [--by 张三] [--lambda 0.8]
    python -m analytics sample --results 已填写的核查清单.xlsx [--by 张三]

Every form takes --warehouse PATH and --json. Exit codes: 0 success; 2 input rejected; 1 failure.
"""
from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import sys
from pathlib import Path

from analytics.verification import results, sampling, worklist
from core.periods import parse_quarter
from warehouse import accounts, store


class _UsageError(Exception):
    pass


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit(2) with an English message
        raise _UsageError(f"参数错误：{message}")


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m analytics sample", description="抽取并记录抽样核查样本，或导入第三方核查结果。",
                add_help=True)
    p.add_argument("--quarter", help="季度，如 2025Q3")
    p.add_argument("--size", type=int, help="样本量（项目个数）")
    p.add_argument("--seed", type=int, help="随机种子（相同种子、相同数据得到相同样本）")
    p.add_argument("--out", help="核查清单输出文件（.xlsx 或 .csv）")
    p.add_argument("--lambda", dest="lam", type=float, help="风险权重 λ，0 ≤ λ < 1（默认见 config/sampling.toml）")
    p.add_argument("--results", help="导入第三方填写后的核查清单（.xlsx 或 .csv）")
    p.add_argument("--by", help="操作人（默认当前系统用户）")
    p.add_argument("--warehouse", help="数据仓库路径（默认 data/warehouse.duckdb 或环境变量 WAREHOUSE）")
    p.add_argument("--json", action="store_true", help="输出机器可读的 JSON")
    return p


def _emit(args, human: str, payload: dict) -> None:
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, default=str))
    else:
        print(human)


def _draw(args, warehouse: Path, who: str) -> int:
    missing = [name for name in ("quarter", "size", "seed", "out") if getattr(args, name) is None]
    if missing:
        raise _UsageError("抽样需要参数：" + "、".join(f"--{m}" for m in missing))
    parse_quarter(args.quarter)
    out = Path(args.out)
    if out.suffix.lower() not in (".xlsx", ".csv"):
        raise _UsageError(f"输出文件应为 .xlsx 或 .csv，收到“{out.name}”")
    quarter = args.quarter.strip().upper()
    sample = sampling.draw_and_record(warehouse, quarter, args.size, args.seed, who, args.lam)
    worklist.export_work_list(sample, out)
    if not sample.reused:
        accounts.audit_cli("sample", who, f"抽取并记录 {quarter} 核查样本 {sample.sample_id}（{sample.items.height} 个项目，"
                           f"随机种子 {sample.seed}）", warehouse=warehouse)
    head = (f"相同条件的样本已于 {sample.drawn_at} 由 {sample.drawn_by} 记录（样本编号 {sample.sample_id}），未重复记录"
            if sample.reused else f"已抽取并记录样本 {sample.sample_id}")
    human = (f"{head}：{sample.quarter} 共 {sample.population_size} 个项目，抽取 {sample.items.height} 个"
             f"（确定层 {sample.certainty_size}，概率层 {sample.probability_size}）；随机种子 {sample.seed}；"
             f"数据指纹 {sample.data_hash[:16]}…；核查清单已写入 {out}")
    _emit(args, human, {
        "sample_id": sample.sample_id, "quarter": sample.quarter, "seed": sample.seed,
        "data_hash": sample.data_hash, "method_version": sample.method_version,
        "population_size": sample.population_size, "sample_size": sample.items.height,
        "certainty_size": sample.certainty_size, "probability_size": sample.probability_size,
        "drawn_at": sample.drawn_at, "drawn_by": sample.drawn_by, "reused": sample.reused, "out": str(out),
    })
    return 0


def _import(args, warehouse: Path, who: str) -> int:
    try:
        report = results.import_results(warehouse, args.results, who)
    except results.ResultsRejected as exc:
        if args.json:
            print(json.dumps({"rejected": True, "errors": exc.errors}, ensure_ascii=False))
        else:
            print("核查结果文件未导入（整份文件退回，数据未改动）：", file=sys.stderr)
            for e in exc.errors:
                print(f"  - {e}", file=sys.stderr)
        return 2
    accounts.audit_cli("import_results", who, f"导入核查结果：{Path(args.results).name}（{report.summary()}）"[:2000],
                       warehouse=warehouse)
    snapshot = store.current_snapshot(warehouse)
    projection = results.evaluate_sample(snapshot, report.sample_id)
    _emit(args, f"{report.summary()}\n{projection.summary()}",
          {**dataclasses.asdict(report), "projection": dataclasses.asdict(projection)})
    return 0


def main(argv: list[str] | None = None) -> int:
    try:
        args = _parser().parse_args(argv)
        warehouse = store.warehouse_path(args.warehouse)
        if not warehouse.exists():
            raise _UsageError(f"数据仓库不存在：{warehouse}")
        who = args.by or getpass.getuser()
        return _import(args, warehouse, who) if args.results else _draw(args, warehouse, who)
    except (_UsageError, ValueError, KeyError, OSError, TimeoutError) as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        if "--json" in (argv or sys.argv[1:]):
            print(json.dumps({"error": message, "exit_code": 1}, ensure_ascii=False))
        print(message, file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
