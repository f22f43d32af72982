"""The annual and sign-off commands of `python -m analytics` (parsed by analytics/cli.py, run here):

    python -m analytics annual --year 2025 [--format table|csv|json] [--group ID] [--annual-config PATH]
    python -m analytics publish --year 2025 --by NAME [--note TEXT] [--incomplete-reason TEXT]
    python -m analytics approve --publication ID --user NAME --password-stdin

`annual` prints the same columns as `rank` plus `grade`. `publish --year` prepares the annual publication (with
two-person sign-off it is published when a leader approves it). `approve` reads the leader's password from
standard input and checks it exactly as a login does (lockout, audit) before approving.
"""
from __future__ import annotations

import csv
import io
import json
import sys
import unicodedata

from analytics.annual.archive import publish_annual
from analytics.annual.engine import RECORD_COLUMNS, AnnualAssessment, assess_year
from analytics.annual.settings import AnnualConfigError, load_annual_config
from analytics.publication import signoff
from warehouse import accounts

ERRORS = (AnnualConfigError, signoff.ApprovalRefused)


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_table(a: AnnualAssessment) -> str:
    head = ["排名", "被考核单位", "年度得分", "等次", "数据", "备注"]
    rows = [[str(r["rank"] or "—"), r["unit_name"], "—" if r["score"] is None else f"{r['score']:.2f}",
             r["grade"] or "—", "完整" if r["complete"] else "不完整", r["flags"]] for r in a.table.iter_rows(named=True)]
    widths = [max(_width(x) for x in col) for col in zip(head, *rows)]
    inputs = a.inputs
    sources = "；".join(f"{x['quarter']} " + {"published": f"已发布 {x['publication_id']}", "preview": "预览（未发布）",
                                              "missing": "无数据"}[x["source"]] for x in inputs.quarters)
    lines = [f"{a.year}年度考核结果（{a.group_name}）", f"考核办法：{a.config_version}；方法：{a.engine_version}",
             f"计分：{a.method_text}", f"季度排名：{sources}", ""]
    lines += ["  ".join(_pad(x, w) for x, w in zip(line, widths)).rstrip() for line in [head, *rows]]
    return "\n".join(lines)


def format_csv(a: AnnualAssessment) -> str:
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=RECORD_COLUMNS, lineterminator="\n")
    w.writeheader()
    for r in a.records():
        w.writerow({k: ("" if v is None else repr(v) if isinstance(v, float) else str(v).lower()
                        if isinstance(v, bool) else v) for k, v in r.items()})
    return buf.getvalue()


def _year(args) -> int:
    try:
        year = int(str(args.year).strip())
    except ValueError:
        raise ValueError(f"年度应写作 2025，收到“{args.year}”") from None
    if not 2000 <= year <= 2100:
        raise ValueError(f"年度应写作 2025，收到“{args.year}”")
    return year


def _assessment(args, snapshot, indicator_config):
    config = load_annual_config(args.annual_config)
    return assess_year(snapshot, _year(args), config, indicator_config, args.group), config


def annual(args, snapshot, indicator_config) -> int:
    a, _ = _assessment(args, snapshot, indicator_config)
    fmt = "json" if args.json else args.format
    if fmt == "json":
        print(json.dumps(a.records(), ensure_ascii=False, allow_nan=False))
    elif fmt == "csv":
        sys.stdout.write(format_csv(a))
    else:
        print(format_table(a))
    return 0


def publish(args, snapshot, indicator_config) -> int:
    a, config = _assessment(args, snapshot, indicator_config)
    out = publish_annual(args.warehouse, a, config, by=args.by, note=args.note,
                         incomplete_reason=args.incomplete_reason)
    waiting = not out.duplicate and not signoff.one_person()
    if not out.duplicate:
        accounts.audit_cli("publish", args.by, f"命令行{'准备' if waiting else '发布'} {a.year}年度考核结果：编号 "
                       f"{out.publication_id}，内容哈希 {out.content_hash}", warehouse=args.warehouse)
    if args.json:
        print(json.dumps({"publication_id": out.publication_id, "content_hash": out.content_hash,
                          "duplicate": out.duplicate, "corrects": out.corrects, "awaiting_approval": waiting},
                         ensure_ascii=False))
    else:
        head = ("相同的发布请求已处理过，未重复发布" if out.duplicate else
                f"已准备{a.year}年度考核结果，待领导签批后发布" if waiting else f"已发布{a.year}年度考核结果")
        print(f"{head}" + (f"（更正 {out.corrects}）" if out.corrects else "")
              + f"\n发布编号：{out.publication_id}\n内容哈希：{out.content_hash}")
    return 0


def approve(args) -> int:
    if not args.password_stdin:
        raise ValueError("请用 --password-stdin 从标准输入提供密码（不要把密码写在命令行上）")
    password = sys.stdin.readline().rstrip("\r\n")
    login = accounts.open_accounts(args.warehouse).authenticate(args.user, password)
    if not login.ok:
        raise signoff.ApprovalRefused(f"签批人身份核验未通过：{login.message}")
    done = signoff.approve(args.warehouse, args.publication, login.user,
                           via=f"（命令行，操作系统用户 {accounts.os_user()}）")
    if args.json:
        print(json.dumps({"publication_id": done.publication_id, "approved_by": done.approved_by,
                          "prepared_by": done.prepared_by}, ensure_ascii=False))
    else:
        print(f"已签批{signoff.KINDS[done.kind]}发布 {done.publication_id}（准备人 {done.prepared_by}），自此正式发布。")
    return 0
