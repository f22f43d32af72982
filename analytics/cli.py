"""`python -m analytics` (docs/CONTRACT.md §3): rank, publish, sample, document.

    python -m analytics rank --quarter 2025Q3 [--format table|csv|json] [--group ID] [--weights expert|entropy|critic]
                             [--level unit|county|chain] [--unit 620100]
    python -m analytics publish --quarter 2025Q3 --by NAME [--note TEXT] [--incomplete-reason TEXT] [--group ID]
    python -m analytics annual --year 2025 [--format table|csv|json] [--group ID] [--annual-config PATH]
    python -m analytics publish --year 2025 --by NAME [--note TEXT] [--incomplete-reason TEXT]
    python -m analytics approve --publication ID --user NAME --password-stdin
    python -m analytics sample ...            (analytics.sampling_cli)
    python -m analytics goalposts --year 2025  (fixed goalposts for next year's config, from that year's values)
    python -m analytics verify [--publication ID]  (chain, content and recomputation of publications; exit 1 if not)
    python -m analytics precompute            (what the pages need for the current snapshot; see analytics/precompute.py)
    python -m analytics document --kind monthly|quarterly|annual|briefing --period 2025-09|2025Q3|2025
                                 [--version public|internal] [--number N] [--date YYYY-MM-DD] --out FILE.docx|FILE.pdf

Every command takes --warehouse PATH (default data/warehouse.duckdb or $WAREHOUSE), --config PATH (the indicator
system, default config/indicators.toml) and --json. Exit codes: 0 success; 2 some input rejected; 1 failure.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import sys
import time
import unicodedata
from pathlib import Path

from analytics import precompute
from analytics.annual import cli as annual_cli
from analytics.documents.build import build_document, render
from analytics.documents.settings import KINDS, DocumentConfigError, load_document_settings
from analytics.publication import signoff, verify_cli
from analytics.publication.archive import PublicationRefused, publish
from analytics.ranking.composite import WEIGHT_SCHEMES, Ranking, rank_quarter
from analytics.ranking.goalposts import derive_goalposts, goalposts_toml
from analytics.ranking.indicator_config import IndicatorConfigError, load_indicator_config
from analytics.ranking.levels import LEVELS, entities, rank_level, with_parents
from analytics.ranking.normalise import RankingError
from analytics.verification import sample_cli
from core.periods import parse_quarter, quarter_zh
from warehouse import accounts, store

EXIT_OK, EXIT_FAILURE = 0, 1
RECORD_COLUMNS = ["unit_code", "unit_name", "score", "rank", "rank_median", "rank_q05", "rank_q95", "complete", "flags"]
LEVEL_COLUMNS = ["level", "parent_code", "parent_name", "lead_department"]  # with --level (issue 14)

_ARGPARSE_ZH = (
    ("the following arguments are required:", "缺少必填参数："),
    ("one of the arguments", "缺少必填参数（须填其一）："),
    (" is required", ""),
    ("not allowed with argument", "不能与以下参数同时使用："),
    ("unrecognized arguments:", "无法识别的参数："),
    ("invalid choice:", "取值无效："),
    ("expected one argument", "需要一个取值"),
    ("choose from", "可选"),
)


class _UsageError(Exception):
    pass


class _Formatter(argparse.HelpFormatter):
    def add_usage(self, usage, actions, groups, prefix=None):
        return super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class _Parser(argparse.ArgumentParser):
    """argparse with Chinese help and errors (its own would exit 2 in English; 2 means "input rejected" here)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **{**kwargs, "add_help": False, "formatter_class": _Formatter})
        self._optionals.title = "选项"
        if kwargs.get("add_help", True):
            self.add_argument("-h", "--help", action="help", help="显示帮助并退出")

    def error(self, message: str) -> None:
        for en, zh in _ARGPARSE_ZH:
            message = message.replace(en, zh)
        raise _UsageError(f"参数错误：{message}")


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="python -m analytics", description="季度综合排名、发布与抽样核查。")
    sub = p.add_subparsers(dest="command", required=True, parser_class=_Parser, title="命令",
                         metavar="{rank,publish,approve,annual,sample,document,goalposts,verify,precompute}")

    def common(sp: argparse.ArgumentParser, quarter_required: bool = True) -> None:
        if quarter_required:
            sp.add_argument("--quarter", required=True, help="季度，如 2025Q3")
        sp.add_argument("--group", help="排名分组 id（默认指标体系配置中的第一个分组）")
        sp.add_argument("--config", help="指标体系配置文件（默认 config/indicators.toml）")
        sp.add_argument("--warehouse", help="数据仓库路径（默认 data/warehouse.duckdb 或环境变量 WAREHOUSE）")
        sp.add_argument("--json", action="store_true", help="输出机器可读的 JSON")

    rank = sub.add_parser("rank", help="当前数据下的季度综合排名（预览）")
    common(rank)
    rank.add_argument("--format", choices=("table", "csv", "json"), default="table", help="输出格式")
    rank.add_argument("--weights", choices=tuple(WEIGHT_SCHEMES), default="expert",
                      help="权重方案：expert 专家权重（默认）、entropy 熵权法、critic CRITIC 法")
    rank.add_argument("--level", choices=tuple(LEVELS),
                      help="考核层级：unit 单位（默认）、county 县区、chain 产业链；指定后输出增加 level、parent_code、"
                           "parent_name、lead_department 列")
    rank.add_argument("--unit", help="县区排名限定的市州（名称、简称或代码，如 620100）；不填为全省县区")
    pub = sub.add_parser("publish", help="冻结并准备发布季度综合排名（--quarter）或年度考核结果（--year），待领导签批")
    common(pub, quarter_required=False)
    which = pub.add_mutually_exclusive_group(required=True)
    which.add_argument("--quarter", help="季度，如 2025Q3")
    which.add_argument("--year", help="年度，如 2025（发布年度考核结果）")
    pub.add_argument("--annual-config", help="年度考核配置文件（默认 config/annual.toml）")
    pub.add_argument("--by", required=True, help="发布人")
    pub.add_argument("--note", help="更正说明（该季度已发布时必填）")
    pub.add_argument("--incomplete-reason", help="数据不完整时仍要发布的理由")
    ann = sub.add_parser("annual", help="年度考核结果（预览）：与 rank 相同的列，另加等次 grade")
    common(ann, quarter_required=False)
    ann.add_argument("--year", required=True, help="年度，如 2025")
    ann.add_argument("--format", choices=("table", "csv", "json"), default="table", help="输出格式")
    ann.add_argument("--annual-config", help="年度考核配置文件（默认 config/annual.toml）")
    apr = sub.add_parser("approve", help="领导签批一项已准备的发布（季度排名或年度考核结果）")
    apr.add_argument("--publication", required=True, help="发布编号，如 2025Q3-01 或 2025-A-01")
    apr.add_argument("--user", required=True, help="签批人（领导）的用户名")
    apr.add_argument("--password-stdin", action="store_true", help="从标准输入读取签批人的密码")
    apr.add_argument("--warehouse", help="数据仓库路径（默认 data/warehouse.duckdb 或环境变量 WAREHOUSE）")
    apr.add_argument("--json", action="store_true", help="输出机器可读的 JSON")
    gp = sub.add_parser("goalposts", help="由某一年各单位的指标取值推算下一考核年度的固定上下限（供写入指标体系配置）")
    gp.add_argument("--year", required=True, type=int, help="取值年份，如 2025（用于 2026 年考核）")
    gp.add_argument("--group", help="排名分组 id（默认指标体系配置中的第一个分组）")
    gp.add_argument("--config", help="指标体系配置文件（默认 config/indicators.toml）")
    gp.add_argument("--warehouse", help="数据仓库路径（默认 data/warehouse.duckdb 或环境变量 WAREHOUSE）")
    gp.add_argument("--json", action="store_true", help="输出机器可读的 JSON")
    ver = sub.add_parser("verify", help="核验已发布结果：签名链完整、内容未被改动、按存档输入复算一致")
    ver.add_argument("--publication", help="只核验这一项发布（编号，如 2025Q3-01）；签名链整体的问题总会报告")
    ver.add_argument("--warehouse", help="数据仓库路径（默认 data/warehouse.duckdb 或环境变量 WAREHOUSE）")
    ver.add_argument("--json", action="store_true", help="输出机器可读的 JSON")
    pre = sub.add_parser("precompute", help="为当前数据快照预先计算各页面所需结果（加载或发布后自动在后台运行）")
    pre.add_argument("--warehouse", help="数据仓库路径（默认 data/warehouse.duckdb 或环境变量 WAREHOUSE）")
    pre.add_argument("--json", action="store_true", help="输出机器可读的 JSON")
    sub.add_parser("sample", help="抽取并记录抽样核查样本（python -m analytics sample --help）", add_help=False)
    doc = sub.add_parser("document", help="生成公文（月度通报、季度排名通报、年度考核通报、专报），Word 或 PDF")
    doc.add_argument("--kind", required=True, choices=tuple(KINDS),
                     help="公文种类：" + "、".join(f"{k} {v}" for k, v in KINDS.items()))
    doc.add_argument("--period", required=True, help="期间：月度通报和专报如 2025-09，季度排名通报如 2025Q3，年度如 2025")
    doc.add_argument("--version", choices=("public", "internal"), default="public",
                     help="public 公开版（默认）或 internal 内部版（含核查发现等）")
    doc.add_argument("--out", required=True, help="输出文件，扩展名 .docx 或 .pdf")
    doc.add_argument("--number", type=int, help="文号（期号）中的序号；不填则留空待填")
    doc.add_argument("--date", help="成文日期 YYYY-MM-DD（默认今天）")
    doc.add_argument("--documents-config", help="公文配置文件（默认 config/documents.toml）")
    doc.add_argument("--warehouse", help="数据仓库路径（默认 data/warehouse.duckdb 或环境变量 WAREHOUSE）")
    doc.add_argument("--json", action="store_true", help="输出机器可读的 JSON")
    return p


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def _interval(r: dict) -> str:
    return "" if r["rank_q05"] is None else f"{r['rank_q05']}–{r['rank_q95']}"


def _records(ranking: Ranking, with_level: bool) -> list[dict]:
    if not with_level:
        return ranking.records()
    return ranking.table.select(RECORD_COLUMNS + LEVEL_COLUMNS).to_dicts()


def format_table(ranking: Ranking, level: str | None = None) -> str:
    """Human-readable table with a header naming the quarter, data cut-off and method."""
    extra = {"county": ("所属市州", "parent_name"), "chain": ("链长部门（暂定）", "lead_department")}.get(level or "")
    head = ["排名", LEVELS[level or "unit"], *([extra[0]] if extra else []), "得分", "排名区间(5–95%)", "数据", "备注"]
    rows = [[str(r["rank"] or "—"), r["unit_name"], *([r[extra[1]] or ""] if extra else []),
             "—" if r["score"] is None else f"{r['score']:.2f}",
             _interval(r), "完整" if r["complete"] else "不完整", r["flags"]] for r in _records(ranking, bool(level))]
    widths = [max(_width(x) for x in col) for col in zip(head, *rows)]
    lines = [f"{quarter_zh(ranking.quarter)}综合排名（{ranking.group_name}）",
             f"数据截至：{ranking.data_cutoff:%Y-%m-%d %H:%M}" if ranking.data_cutoff else "数据截至：无数据",
             f"指标体系：{ranking.config_version}；方法：{ranking.engine_version}；权重：{WEIGHT_SCHEMES[ranking.weight_scheme]}",
             ""]
    lines += ["  ".join(_pad(x, w) for x, w in zip(line, widths)).rstrip() for line in [head, *rows]]
    if level and level != "unit":
        lines += ["", *ranking.weight_notes]
    return "\n".join(lines)


def format_csv(ranking: Ranking, with_level: bool = False) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=RECORD_COLUMNS + (LEVEL_COLUMNS if with_level else []), lineterminator="\n")
    w.writeheader()
    for r in _records(ranking, with_level):
        w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else str(v).lower()
                        if isinstance(v, bool) else v) for k, v in r.items()})
    return buf.getvalue()


def _snapshot(args) -> store.Snapshot:
    path = store.warehouse_path(args.warehouse)
    snap = store.current_snapshot(path)
    if not path.exists() or snap is None:
        raise _UsageError(f"数据仓库不存在或尚未初始化：{path}")
    return snap


def _rank(args, config) -> int:
    level = args.level
    if args.unit and level != "county":
        raise _UsageError("参数错误：--unit 只用于县区排名（--level county）")
    if args.group and level not in (None, "unit"):
        raise _UsageError("参数错误：--group 只用于单位排名")
    if level in (None, "unit"):
        ranking = with_parents(rank_quarter(_snapshot(args), args.quarter, config, args.group, args.weights),
                               "unit", entities("unit"))
    else:
        ranking = rank_level(_snapshot(args), args.quarter, level, args.unit, config, args.weights)
    if not ranking.table["ranked"].any():
        raise _UsageError(f"{quarter_zh(args.quarter)}没有可排名的数据：各{LEVELS[level or 'unit']}在指标期间均无数据")
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print(json.dumps(_records(ranking, bool(level)), ensure_ascii=False, allow_nan=False))
    elif fmt == "csv":
        sys.stdout.write(format_csv(ranking, bool(level)))
    else:
        print(format_table(ranking, level))
    return EXIT_OK


def _publish(args, config) -> int:
    ranking = rank_quarter(_snapshot(args), args.quarter, config, args.group)
    if not ranking.all_complete and not args.json:
        names = "、".join(ranking.incomplete_units()["unit_name"])
        print(f"注意：以下单位数据不完整：{names}", file=sys.stderr)
    out = publish(args.warehouse, ranking, config, by=args.by, note=args.note,
                  incomplete_reason=args.incomplete_reason)
    waiting = not out.duplicate and not signoff.one_person()
    if not out.duplicate:
        precompute.start_background(args.warehouse)  # the publication made a new snapshot
        accounts.audit_cli("publish", args.by, f"命令行{'准备' if waiting else '发布'} {quarter_zh(ranking.quarter)}"
                       f"（{ranking.group_name}）排名：编号 {out.publication_id}，内容哈希 {out.content_hash}",
                       warehouse=args.warehouse)
    if args.json:
        print(json.dumps({"publication_id": out.publication_id, "content_hash": out.content_hash,
                          "duplicate": out.duplicate, "corrects": out.corrects, "awaiting_approval": waiting},
                         ensure_ascii=False))
    else:
        done = "已准备" if waiting else "已发布"
        head = ("相同的发布请求已处理过，未重复发布" if out.duplicate
                else f"{done}{quarter_zh(ranking.quarter)}综合排名" + (f"（更正 {out.corrects}）" if out.corrects else "")
                + ("，待领导签批后发布" if waiting else ""))
        print(f"{head}\n发布编号：{out.publication_id}\n内容哈希：{out.content_hash}")
    return EXIT_OK


def _document(args) -> int:
    out = Path(args.out)
    fmt = out.suffix.lower().lstrip(".")
    if fmt not in ("docx", "pdf"):
        raise _UsageError(f"输出文件的扩展名应为 .docx 或 .pdf，收到“{args.out}”")
    try:
        date = dt.date.fromisoformat(args.date) if args.date else None
    except ValueError:
        raise _UsageError(f"成文日期应写作 2025-10-09，收到“{args.date}”") from None
    settings = load_document_settings(args.documents_config)
    document = build_document(_snapshot(args), args.kind, args.period, args.version, settings=settings,
                              number=args.number, date=date)
    data = render(document, fmt)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(data)
    if args.json:
        print(json.dumps({"out": str(out), "title": document.title, "bytes": len(data)}, ensure_ascii=False))
    else:
        print(f"已生成{KINDS[args.kind]}：{document.title}\n文件：{out}")
    return EXIT_OK


def _goalposts(args) -> int:
    found = derive_goalposts(_snapshot(args), args.year, load_indicator_config(args.config), args.group)
    if args.json:
        print(json.dumps([g.__dict__ for g in found], ensure_ascii=False))
    else:
        print(goalposts_toml(found, args.year))
    return EXIT_OK


def _precompute(args) -> int:
    _snapshot(args)  # the warehouse exists
    t = time.perf_counter()
    snapshots, done = precompute.run_current(args.warehouse, log=lambda m: print(f"未能预先计算：{m}", file=sys.stderr))
    if args.json:
        print(json.dumps({"snapshots": [s.identity for s in snapshots], "results": len(done),
                          "seconds": round(time.perf_counter() - t, 3)}, ensure_ascii=False))
    elif snapshots:
        print(f"已为 {len(snapshots)} 个数据快照预先计算 {len(done)} 项结果，用时 {time.perf_counter() - t:.1f} 秒")
    else:
        print("当前数据快照的预先计算已完成或正在进行，无需重复")
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["sample"]:
        return sample_cli.main(argv[1:])
    json_out = "--json" in argv
    try:
        args = build_parser().parse_args(argv)
        if args.command == "document":
            return _document(args)
        if args.command == "goalposts":
            return _goalposts(args)
        if args.command == "verify":
            return verify_cli.verify(args)
        if args.command == "precompute":
            return _precompute(args)
        if args.command == "approve":
            return annual_cli.approve(args)
        if args.command == "annual" or (args.command == "publish" and args.year):
            config = load_indicator_config(args.config)
            handler = annual_cli.annual if args.command == "annual" else annual_cli.publish
            return handler(args, _snapshot(args), config)
        args.quarter = args.quarter.strip().upper()
        parse_quarter(args.quarter)
        config = load_indicator_config(args.config)
        return _rank(args, config) if args.command == "rank" else _publish(args, config)
    except (_UsageError, IndicatorConfigError, DocumentConfigError, PublicationRefused, RankingError, ValueError, KeyError,
            OSError, TimeoutError, *annual_cli.ERRORS) as exc:
        message = str(exc.args[0]) if exc.args else str(exc)
        if json_out:
            print(json.dumps({"error": message, "exit_code": EXIT_FAILURE}, ensure_ascii=False))
        print(message, file=sys.stderr)
        return EXIT_FAILURE
