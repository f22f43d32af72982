"""督办 of stalled projects: the administrator dispatches each unit its stalled-project list (项目全周期 stall rules);
the unit's reporter answers per project (已复工 / 推进中 / 拟退出 / 已终止 / 数据有误, with a note and a date).

Every action is one transaction, then audited; bad input is refused with a Chinese message and nothing is written.
Nothing is updated or deleted: a new dispatch becomes the unit's list to answer, every answer is a new row (the
newest per project counts). An answer is 逾期 when none came by the due date (config/office.toml answer_days).
"""
from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.office.settings import OfficeConfig, load_office_config
from analytics.targets.lifecycle import lifecycle_overview
from core import catalog, clock
from core.roles import User
from warehouse import accounts, store
from warehouse.queries import supervision as queries
from warehouse.writes import supervision as writes

DISPATCH, ANSWER = "supervise", "answer_supervision"
ANSWERS = ("已复工", "推进中", "拟退出", "已终止", "数据有误")
NOTE_MIN_CHARS = 4


class SupervisionRefused(ValueError):
    """Bad input for a 督办 action (Chinese message saying what to fix)."""


def _now() -> dt.datetime:
    """Now, on `clock.today()`'s date (the same as `clock.now_local()` unless DASHBOARD_TODAY freezes the day), so
    that due dates and answer times are compared on one calendar."""
    return dt.datetime.combine(clock.today(), clock.now_local().time())


def _who(user: User) -> str:
    return user.username if user.display_name == user.username else f"{user.display_name}（{user.username}）"


def dispatch(warehouse, as_of_month: dt.date, user: User, note: str = "",
             cfg: OfficeConfig | None = None) -> dict[str, str]:
    """Dispatch every unit with stalled projects at `as_of_month` its list; {unit_code: dispatch_id}."""
    if not user.can(DISPATCH):
        raise SupervisionRefused(f"无权派发督办：{user.display_name}（{user.role_label}）没有“派发督办”权限")
    cfg = cfg or load_office_config()
    life = lifecycle_overview(store.current_snapshot(warehouse), as_of_month)
    stalled = pl.DataFrame() if life is None else life.stalled.frame
    if stalled.is_empty():
        raise SupervisionRefused(f"截至{as_of_month:%Y年%-m月}没有符合停滞认定规则的项目，无需派发督办")
    now = _now()
    due = clock.today() + dt.timedelta(days=cfg.supervision.answer_days)
    out = {}
    with store.write_transaction(warehouse) as con:
        for (unit,), rows in stalled.sort("unit_code", "project_id").group_by("unit_code", maintain_order=True):
            items = [(r["project_id"], r["project_name"], r["rules"], r["detail"]) for r in rows.iter_rows(named=True)]
            out[unit] = writes.insert_dispatch(con, unit, life.as_of, due, (note or "").strip(), _who(user), now,
                                               items)
    summary = "；".join(f"{catalog.unit_name(u)} {int(stalled.filter(pl.col('unit_code') == u).height)} 个（{d}）"
                       for u, d in out.items())
    accounts.audit("supervision_dispatch", user, f"派发{life.as_of:%Y年%-m月}停滞项目督办清单，"
                                                 f"{due:%Y-%m-%d} 前答复：{summary}", warehouse=warehouse)
    return out


def answer(warehouse, project_id: str, reply: str, note: str | None, answer_date: dt.date | None,
           user: User) -> str:
    """The reporter's answer for one project on their unit's current 督办 list."""
    if not user.can(ANSWER) or not user.unit_code:
        raise SupervisionRefused(f"无权答复督办：{user.display_name}（{user.role_label}）不是被督办单位的填报员")
    if reply not in ANSWERS:
        raise SupervisionRefused(f"答复应为 {'、'.join(ANSWERS)} 之一，收到“{reply}”")
    note = (note or "").strip()
    if len(note) < NOTE_MIN_CHARS:
        raise SupervisionRefused("请填写情况说明（进展、原因或下一步安排），不少于 4 个字")
    if not isinstance(answer_date, dt.date):
        raise SupervisionRefused("请填写答复所述情况的日期")
    if answer_date > clock.today():
        raise SupervisionRefused(f"日期 {answer_date:%Y-%m-%d} 晚于今天，请填写已发生情况的日期")
    project_id = (project_id or "").strip()
    unit = user.unit_code
    with store.write_transaction(warehouse) as con:
        latest = writes.latest_dispatch(con, unit)
        if latest is None:
            raise SupervisionRefused(f"{catalog.unit_name(unit)}目前没有督办清单，无需答复")
        if not writes.on_list(con, latest[0], project_id):
            raise SupervisionRefused(f"项目“{project_id}”不在{catalog.unit_name(unit)}的督办清单（{latest[0]}）中，"
                                     "只能答复清单所列项目")
        answer_id = writes.insert_answer(con, latest[0], unit, project_id, reply, note, answer_date, _who(user), _now())
    accounts.audit("supervision_answer", user, f"{catalog.unit_name(unit)} 项目 {project_id} 答复“{reply}”"
                                               f"（{answer_date:%Y-%m-%d}，{answer_id}）：{note}", warehouse=warehouse)
    return answer_id


def status_table(snapshot, today: dt.date | None = None, unit_code: str | None = None) -> pl.DataFrame:
    """Each unit's current list with the newest answer and `state`: 已答复 / 逾期答复 / 待答复 / 逾期未答复."""
    today = today or clock.today()
    frame = queries.current_lists(snapshot)
    if unit_code:
        frame = frame.filter(pl.col("unit_code") == unit_code)
    due_end = pl.col("due_date").cast(pl.Datetime("us")) + pl.duration(days=1)
    return frame.with_columns(
        unit_name=pl.col("unit_code").map_elements(catalog.unit_name, return_dtype=pl.String),
        state=pl.when(pl.col("answer").is_null() & (pl.col("due_date") < pl.lit(today))).then(pl.lit("逾期未答复"))
        .when(pl.col("answer").is_null()).then(pl.lit("待答复"))
        .when(pl.col("first_answered_at") >= due_end).then(pl.lit("逾期答复"))
        .otherwise(pl.lit("已答复")))


def overdue(snapshot, today: dt.date | None = None) -> pl.DataFrame:
    """The projects whose answer is overdue (none by the due date), or came after it."""
    return status_table(snapshot, today).filter(pl.col("state").is_in(["逾期未答复", "逾期答复"]))


def latest_answers(snapshot) -> pl.DataFrame:
    """The newest answer of every answered project (项目全周期)."""
    return queries.latest_answers(snapshot).with_columns(
        unit_name=pl.col("unit_code").map_elements(catalog.unit_name, return_dtype=pl.String))
