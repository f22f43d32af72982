"""`python -m etl`: demo data, loading submissions, loading reference lists (docs/CONTRACT.md §3).

Exit codes: 0 success; 2 some input rejected (a file rejected, or rows quarantined), the rest done; 1 failure.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import duckdb

from etl.load import LoadNotPublished, load_files
from etl.reference import load_five_hundred
from etl.register import load_register
from etl.report import OUTCOME_ZH, report_dict, report_xlsx
from simulator import demo
from warehouse import accounts, store

EXIT_OK, EXIT_FAILURE, EXIT_PARTIAL = 0, 1, 2
ISSUES_SHOWN = 5


REFERENCE_LOADERS = {"five-hundred": load_five_hundred, "enterprises": load_register}


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--warehouse", help="数据仓库文件（默认：环境变量 WAREHOUSE，或 data/warehouse.duckdb）")
    common.add_argument("--json", action="store_true", help="输出机器可读的 JSON")
    return common


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m etl", description="招商引资月报数据的加载工具")
    sub = parser.add_subparsers(dest="command", required=True, metavar="命令")
    sub.add_parser("demo", help="生成演示用的报送文件和参考名录（参数见 python -m etl demo --help）")
    load = sub.add_parser("load", parents=[_common()], help="加载报送文件或文件夹")
    load.add_argument("paths", nargs="+", metavar="PATH", help="xlsx/csv 文件或包含它们的文件夹")
    load.add_argument("--received-at", help="收到时间（ISO 8601，用于补录历史报送）；默认为加载时间")
    load.add_argument("--manifest", help="清单 CSV（列 file,received_at），按文件给出收到时间")
    load.add_argument("--actor", default="cli", help="操作人（记入加载审计）")
    load.add_argument("--report", metavar="FILE.xlsx", help="把校验报告另存为 xlsx")
    ref = sub.add_parser("load-reference", parents=[_common()], help="加载参考名录")
    ref.add_argument("kind", choices=list(REFERENCE_LOADERS),
                     help="名录类型：five-hundred = 三个500强名录；enterprises = 企业登记名录")
    ref.add_argument("file", metavar="FILE")
    ref.add_argument("--actor", default="cli", help="操作人（记入加载审计）")
    return parser


def _emit(args, payload: dict, lines: list[str]) -> None:
    if args.json:
        print(json.dumps(payload, ensure_ascii=False, indent=2))
    else:
        print("\n".join(lines))


def _audit(args, event: str, detail: str) -> None:
    """Every command-line write in the accounts audit log too, with the operating-system user."""
    accounts.audit_cli(event, None if args.actor == "cli" else args.actor, detail[:2000], warehouse=args.warehouse)


def _cmd_load(args) -> int:

    not_published = None
    try:
        reports = load_files(args.paths, warehouse=args.warehouse, actor=args.actor, received_at=args.received_at,
                             manifest=args.manifest, progress=not args.json and sys.stderr.isatty())
    except LoadNotPublished as exc:  # committed all the same: report the files, then the snapshot's failure
        reports, not_published = exc.reports, exc.message
    if args.report:
        Path(args.report).write_bytes(report_xlsx(reports))
    _audit(args, "load", "加载报表 " + "；".join(f"{r.file_name}（{OUTCOME_ZH[r.outcome]}）" for r in reports))
    if any(r.internal_error for r in reports):
        code = EXIT_FAILURE
    elif any(r.outcome == "rejected" or r.rows_quarantined for r in reports if r.outcome != "duplicate"):
        code = EXIT_PARTIAL
    else:
        code = EXIT_OK
    totals = {k: sum(getattr(r, k) for r in reports if r.outcome == "loaded")
              for k in ("rows_input", "rows_loaded", "rows_quarantined", "rows_ignored", "warnings")}
    outcomes = {o: sum(r.outcome == o for r in reports) for o in OUTCOME_ZH}
    lines = []
    for r in reports:
        lines.append(f"[{OUTCOME_ZH[r.outcome]}] {r.file_name}：{r.summary_zh}")
        shown = [i for i in r.issues if i.severity != "拒收"][:ISSUES_SHOWN]
        lines += [f"    {i.severity}：{i.message}" for i in shown]
        if len(r.issues) > len(shown) + (r.outcome == "rejected"):
            lines.append(f"    …共 {len(r.issues)} 条问题，完整清单请用 --report 导出校验报告或 --json 查看")
    lines.append(
        f"合计 {len(reports)} 个文件：入库 {outcomes['loaded']}，重复 {outcomes['duplicate']}，"
        f"拒收 {outcomes['rejected']}；本次入库文件共输入 {totals['rows_input']} 行 = 入库 {totals['rows_loaded']}"
        f" + 隔离 {totals['rows_quarantined']} + 忽略 {totals['rows_ignored']}，警告 {totals['warnings']} 条")
    if args.report:
        lines.append(f"校验报告已保存到 {args.report}")
    if not_published:
        code = EXIT_FAILURE
        lines.append(not_published)
    _emit(args, {"command": "load", "warehouse": str(store.warehouse_path(args.warehouse)), "exit_code": code,
                 "files": [report_dict(r) for r in reports], "outcomes": outcomes, "totals": totals,
                 "snapshot_error": not_published}, lines)
    return code


def _cmd_load_reference(args) -> int:

    report = REFERENCE_LOADERS[args.kind](args.file, warehouse=args.warehouse, actor=args.actor)
    code = EXIT_OK if report.outcome == "loaded" else EXIT_PARTIAL
    _audit(args, "load", f"加载参考名录 {args.kind}：{Path(args.file).name}（{report.summary_zh}）")
    lines = [report.summary_zh] + [f"    {i.message}" for i in report.issues[:ISSUES_SHOWN] if i.row_no is not None]
    _emit(args, {"command": "load-reference", "kind": args.kind, "exit_code": code, **report.as_dict()}, lines)
    return code


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["demo"]:
        return demo.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return _cmd_load(args) if args.command == "load" else _cmd_load_reference(args)
    except (OSError, ValueError, TimeoutError, duckdb.Error) as exc:
        message = f"失败：{exc}"
        if args.json:
            print(json.dumps({"command": args.command, "exit_code": EXIT_FAILURE, "error": message},
                             ensure_ascii=False))
        print(message, file=sys.stderr)
        return EXIT_FAILURE
