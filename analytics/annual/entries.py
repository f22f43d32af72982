"""What an administrator enters for the year: 加分/扣分 items (with an evidence note) and 半年督查 scores.

Each entry is one appended row in one transaction, then audited; bad input is refused with a Chinese message and
nothing is written. Nothing is updated or deleted: an item is withdrawn by a new row naming it, a 半年督查 score
is replaced by a newer row for the same unit and year (the newest counts; all stay visible).
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from analytics.annual.settings import AnnualConfig
from core import catalog, clock
from core.roles import User
from warehouse import accounts, store
from warehouse.writes import annual as writes

PERMISSION = "publish"
NOTE_MIN_CHARS = 4


class EntryRefused(ValueError):
    """Bad input for an annual entry (Chinese message saying what to fix)."""


def _who(user: User) -> str:
    return user.username if user.display_name == user.username else f"{user.display_name}（{user.username}）"


def _checks(user: User, unit: str, note: str | None, year: int) -> tuple[str, str]:
    if not user.can(PERMISSION):
        raise EntryRefused(f"无权录入：{user.display_name}（{user.role_label}）没有“发布排名”权限")
    resolved = catalog.resolve_unit(unit)
    if resolved is None:
        raise EntryRefused(f"未知的被考核单位“{unit}”")
    note = (note or "").strip()
    if len(note) < NOTE_MIN_CHARS:
        raise EntryRefused("请填写证明材料说明（依据的文件、会议或核查记录），不少于 4 个字；没有依据的加减分不予录入")
    if not 2000 <= int(year) <= 2100:
        raise EntryRefused(f"年度“{year}”无效")
    return resolved.code, note


def _number(text, what: str) -> Decimal:
    try:
        value = Decimal(str(text).strip())
    except (InvalidOperation, ValueError):
        raise EntryRefused(f"{what}应为数字，收到“{text}”") from None
    if not value.is_finite():
        raise EntryRefused(f"{what}应为数字，收到“{text}”")
    return value


def record_item(warehouse, config: AnnualConfig, year: int, unit: str, item_id: str, points, note: str | None,
                user: User) -> str:
    """Enter one 加分/扣分 item: points are given as a magnitude (the item's kind gives the sign) up to its cap."""
    code, note = _checks(user, unit, note, year)
    try:
        spec = config.item(item_id)
    except KeyError as e:
        raise EntryRefused(str(e.args[0])) from None
    value = abs(_number(points, "分值"))
    if value == 0 or value > spec.max_points:
        raise EntryRefused(f"“{spec.name}”的分值应大于 0、不超过 {spec.max_points} 分，收到 {points}")
    signed = value if spec.kind == "bonus" else -value
    with store.write_transaction(warehouse) as con:
        entry = writes.insert_item(con, int(year), code, spec.id, spec.name, signed, note, _who(user),
                                   clock.now_local())
    accounts.audit("annual_entry", user, f"{year}年度 {catalog.unit_name(code)} {spec.kind_zh}“{spec.name}”"
                                         f" {signed:+} 分（{entry}）；依据：{note}", warehouse=warehouse)
    return entry


def withdraw_item(warehouse, year: int, entry_id: str, note: str | None, user: User) -> str:
    """Withdraw an item by a new row naming it (the original stays visible)."""
    with store.write_transaction(warehouse) as con:
        found = writes.entry_exists(con, entry_id)
        if found is None or found[0] != int(year):
            raise EntryRefused(f"{year}年度没有编号为 {entry_id} 的加减分事项")
        y, unit, name, withdrawn = found
        code, note = _checks(user, unit, note, year)
        if withdrawn:
            raise EntryRefused(f"{entry_id} 已撤销或本身是撤销记录")
        entry = writes.insert_item(con, y, code, "withdrawal", f"撤销：{name}", Decimal(0), note, _who(user),
                                   clock.now_local(), withdraws=entry_id)
    accounts.audit("annual_entry", user, f"{year}年度撤销加减分事项 {entry_id}（{entry}）；理由：{note}",
                   warehouse=warehouse)
    return entry


def record_supervision(warehouse, year: int, unit: str, score, note: str | None, user: User) -> str:
    """Enter (or replace, by a newer row) a unit's 半年督查 result, 0–100 points."""
    code, note = _checks(user, unit, note, year)
    value = _number(score, "半年督查得分")
    if not 0 <= value <= 100:
        raise EntryRefused(f"半年督查得分应在 0–100 分之间，收到 {score}")
    with store.write_transaction(warehouse) as con:
        entry = writes.insert_supervision(con, int(year), code, value, note, _who(user), clock.now_local())
    accounts.audit("annual_entry", user, f"{year}年度 {catalog.unit_name(code)} 半年督查得分 {value}（{entry}）；"
                                         f"依据：{note}", warehouse=warehouse)
    return entry
