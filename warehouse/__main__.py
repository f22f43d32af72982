"""`python -m warehouse`: local accounts and the audit log.

    python -m warehouse users add USERNAME --role admin|leader|reporter [--unit 兰州] [--name 显示名] [--email E]
                                  [--password-stdin | --generate-password]
    python -m warehouse users disable|enable USERNAME
    python -m warehouse users reset-password USERNAME [--password-stdin | --generate-password]
    python -m warehouse users list
    python -m warehouse users demo [--out FILE]      # make run: demo accounts with random passwords
    python -m warehouse users unlock NAME
    python -m warehouse audit [--limit N]
    python -m warehouse publish                      # publish the serving snapshot again (after a failed publish)

Every command takes --warehouse PATH (the accounts file lives beside it) and --json. Without a password option
the password is asked for on the terminal; there is no default password. Exit codes: 0 success, 1 failure.
"""
from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
import os
import sys
from pathlib import Path

from core import catalog, roles
from warehouse import accounts, store


def _actor() -> str:
    """Account changes on the command line are recorded as cli:<operating-system user>."""
    return f"cli:{accounts.os_user()}"


def _read_password(args: argparse.Namespace) -> tuple[str, bool]:
    """(password, generated?) from stdin, a generator, or a terminal prompt."""
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n"), False
    if args.generate_password:
        return accounts.generate_password(), True
    if not sys.stdin.isatty():
        raise ValueError("未提供密码：请用 --password-stdin 从标准输入传入，或用 --generate-password 生成随机密码")
    first = getpass.getpass("密码：")
    if getpass.getpass("再次输入密码：") != first:
        raise ValueError("两次输入的密码不一致")
    return first, False


def _emit(args: argparse.Namespace, payload: object, text: str) -> None:
    print(json.dumps(payload, ensure_ascii=False, default=str) if args.json else text)


def _generated_note(password: str, generated: bool) -> str:
    return f"\n初始密码（只显示这一次，请妥善转交）：{password}" if generated else ""


def _status(acc: accounts.Account) -> str:
    if acc.disabled:
        return "已停用"
    if acc.locked_until and acc.locked_until > accounts.now():
        return f"锁定至 {acc.locked_until:%Y-%m-%d %H:%M}"
    return "正常"


def cmd_add(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    password, generated = _read_password(args)
    acc = db.add_user(args.username, args.role, password, display_name=args.name, unit=args.unit,
                          email=args.email, actor=_actor())
    unit = f"，{catalog.unit_name(acc.unit_code)}" if acc.unit_code else ""
    payload = {"username": acc.username, "role": acc.role, "unit_code": acc.unit_code}
    if generated:
        payload["password"] = password
    _emit(args, payload, f"已新增账户 {acc.username}（{roles.role(acc.role).label}{unit}）"
                         + _generated_note(password, generated))


def cmd_disable(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    db.set_disabled(args.username, True, actor=_actor())
    _emit(args, {"username": args.username, "disabled": True}, f"已停用账户 {args.username}，其会话已结束")


def cmd_enable(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    db.set_disabled(args.username, False, actor=_actor())
    _emit(args, {"username": args.username, "disabled": False}, f"已启用账户 {args.username}")


def cmd_unlock(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    db.unlock(args.username, actor=_actor())
    _emit(args, {"unlocked": args.username}, f"已解除账户锁定：{args.username}")


def cmd_reset(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    password, generated = _read_password(args)
    db.reset_password(args.username, password, actor=_actor())
    payload = {"username": args.username, **({"password": password} if generated else {})}
    _emit(args, payload, f"已重置账户 {args.username} 的密码，锁定已解除，原有会话已结束"
                         + _generated_note(password, generated))


def cmd_list(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    accs = db.list_accounts()
    lines = [f"{'用户名':<12}\t{'姓名':<10}\t角色\t单位\t状态\t创建时间"]
    for a in accs:
        unit = catalog.unit_name(a.unit_code) if a.unit_code else "—"
        lines.append(f"{a.username:<12}\t{a.display_name:<10}\t{roles.role(a.role).label}\t{unit}\t{_status(a)}"
                     f"\t{a.created_at:%Y-%m-%d %H:%M}")
    lines.append(f"共 {len(accs)} 个账户")
    _emit(args, [dataclasses.asdict(a) for a in accs], "\n".join(lines))


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (mode 0600), even if it existed with wider permissions."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)


def cmd_demo(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    out = Path(args.out) if args.out else store.warehouse_path(args.warehouse).parent / "demo-accounts.txt"
    created = accounts.create_demo_accounts(args.warehouse)
    if not created:
        _emit(args, {}, f"演示账户均已存在，未作修改（首次创建时的密码见 {out}）")
        return
    lines = [f"{name}\t{password}" for name, password in created.items()]
    _write_private(out, "演示账户（用户名\t密码），仅供本机演示使用\n" + "\n".join(lines) + "\n")
    _emit(args, created, "已创建演示账户（密码只显示这一次，已写入 " + f"{out}，仅本人可读）：\n" + "\n".join(lines))


def cmd_audit(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    entries = db.recent_audit(args.limit)
    lines = [f"{e.at:%Y-%m-%d %H:%M:%S}\t{e.label}\t{e.username or '—'}\t{e.detail}" for e in entries]
    _emit(args, [{**dataclasses.asdict(e), "label": e.label} for e in entries],
          "\n".join(["时间\t事件\t用户\t详情", *lines]) if entries else "审计日志为空")


def _password_options(p: argparse.ArgumentParser) -> None:
    g = p.add_mutually_exclusive_group()
    g.add_argument("--password-stdin", action="store_true", help="从标准输入读取密码（第一行）")
    g.add_argument("--generate-password", action="store_true", help="生成随机密码并显示一次")


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--warehouse", help="数据仓库路径（账户库位于其旁），默认 $WAREHOUSE 或 data/warehouse.duckdb")
    common.add_argument("--json", action="store_true", help="输出 JSON")

    parser = argparse.ArgumentParser(prog="python -m warehouse", description="账户与审计日志管理")
    sub = parser.add_subparsers(dest="command", required=True)

    users = sub.add_parser("users", help="账户管理").add_subparsers(dest="action", required=True)
    add = users.add_parser("add", parents=[common], help="新增账户")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=sorted(roles.roles()), help="角色")
    add.add_argument("--unit", help="填报员绑定的单位（名称、简称或代码）")
    add.add_argument("--name", help="显示名称")
    add.add_argument("--email", help="统一身份认证（OIDC）登录邮箱")
    _password_options(add)
    add.set_defaults(func=cmd_add)
    for name, func, text in (("disable", cmd_disable, "停用账户"), ("enable", cmd_enable, "启用账户")):
        p = users.add_parser(name, parents=[common], help=text)
        p.add_argument("username")
        p.set_defaults(func=func)
    unlock = users.add_parser("unlock", parents=[common], help="解除账户锁定（不改密码）")
    unlock.add_argument("username")
    unlock.set_defaults(func=cmd_unlock)
    reset = users.add_parser("reset-password", parents=[common], help="重置密码并解除锁定")
    reset.add_argument("username")
    _password_options(reset)
    reset.set_defaults(func=cmd_reset)
    users.add_parser("list", parents=[common], help="列出账户").set_defaults(func=cmd_list)
    demo = users.add_parser("demo", parents=[common], help="创建演示账户（随机密码）")
    demo.add_argument("--out", help="密码文件，默认在数据仓库目录下 demo-accounts.txt")
    demo.set_defaults(func=cmd_demo)

    publish = sub.add_parser("publish", parents=[common], help="重新发布供页面查询的快照（快照发布失败后重试）")
    publish.set_defaults(func=cmd_publish)

    log = sub.add_parser("audit", parents=[common], help="查看审计日志")
    log.add_argument("--limit", type=int, default=50, help="显示最近 N 条（默认 50）")
    log.set_defaults(func=cmd_audit)
    return parser


def cmd_publish(args: argparse.Namespace, db: accounts.AccountStore) -> None:
    snapshot = store.publish_now(args.warehouse)
    accounts.audit_cli("cli_write", None, f"重新发布供页面查询的快照 {snapshot.name}", warehouse=args.warehouse)
    _emit(args, {"snapshot": str(snapshot)}, f"快照已发布：{snapshot.name}，页面将显示最新数据")


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "publish":
            cmd_publish(args, None)
            return 0
        args.func(args, accounts.open_accounts(args.warehouse))
    except ValueError as exc:
        print(f"错误：{exc}", file=sys.stderr)
        return 1
    except store.SnapshotNotPublished as exc:
        print(exc.message, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
