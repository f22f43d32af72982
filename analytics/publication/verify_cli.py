"""`python -m analytics verify [--publication ID] [--warehouse W] [--json]`: the integrity check of publications.

Reads the warehouse file itself (read-only, under the writer lock), so an edit made to the file since the last
snapshot is seen. Exit 0: every check passed; 1: a problem was found (each named in Chinese) or the check could
not run. A failure is recorded in the audit log with the operating-system user.
"""
from __future__ import annotations

import json

from analytics.publication.integrity import check
from warehouse import accounts, store


def verify(args) -> int:
    path = store.warehouse_path(args.warehouse)
    if not path.exists():
        raise ValueError(f"数据仓库不存在或尚未初始化：{path}")
    with store.read_warehouse(path) as con:
        report = check(con, args.publication, head=True)
    if not report.ok:
        accounts.audit_cli("integrity_failure", None, "命令行核验：" + "；".join(report.messages())[:2000],
                           warehouse=path)
    if args.json:
        print(json.dumps(report.to_dict(), ensure_ascii=False))
    else:
        what = f"发布 {args.publication}" if args.publication else f"全部 {len(report.checked)} 项发布"
        if report.ok:
            print(f"核验通过：{what}的签名链完整，内容未被改动，按存档输入复算结果一致。"
                  f"（签名链 {report.chain_entries} 条，其中建链前的发布 {report.legacy} 条）")
        else:
            print(f"核验未通过：{what}发现 {len(report.problems)} 处问题")
            for m in report.messages():
                print(f"  - {m}")
    return 0 if report.ok else 1
