"""Dispatched annual 到位资金 tasks and calendar progress (序时进度), from config/targets.toml.

The one definition of a unit's task, used by the ranking (task completion indicator) and the targets pages.
Every function takes an optional `cfg` (the parsed targets.toml) so that callers and tests can pass another one.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache

from core import catalog, config, reporting

WAN = Decimal("0.0001")


@lru_cache(maxsize=1)
def targets_config() -> dict:
    """config/targets.toml as read (checked leniently by `validate` and `settings.load_settings`)."""
    return config.read_config("targets.toml", "目标任务配置")


def as_decimal(value: object) -> Decimal | None:
    """A configured amount as a Decimal; None when it is not a finite number."""
    if isinstance(value, bool):
        return None
    try:
        d = Decimal(str(value))
    except InvalidOperation:
        return None
    return d if d.is_finite() else None


def annual_task_wan(unit_code: str, year: int, prior_year_actual_wan: Decimal | None,
                    cfg: dict | None = None) -> Decimal | None:
    """The unit's task for `year` in 万元: an override if configured, else last year's actual × multiplier.

    None when there is neither a numeric override nor a prior-year actual (the task is unknown, not zero);
    a non-numeric override is ignored (`validate` reports it). A configured 0 is returned as 0: callers report
    it (see `task_problem`) instead of dividing by it.
    """
    section = (cfg or targets_config()).get("tasks", {})
    override = override_wan(unit_code, year, cfg)
    if override is not None:
        return override
    multiplier = as_decimal(section.get("dispatched_multiplier"))
    if prior_year_actual_wan is None or multiplier is None:
        return None
    return (Decimal(prior_year_actual_wan) * multiplier).quantize(WAN)


def unit_task_wan(unit_code: str, year: int, prior_year_wan: Decimal | None, prior_months: int,
                  cfg: dict | None = None) -> Decimal | None:
    """The task as every page and the ranking use it: last year's actual is a base only when all report months of
    last year were submitted (12, or 11 in a 1—2月合报 year) (a partial year would understate the task); an override always applies."""
    return annual_task_wan(unit_code, year, prior_year_wan if prior_months >= reporting.months_per_year(year - 1) else None, cfg)


def override_wan(unit_code: str, year: int, cfg: dict | None = None) -> Decimal | None:
    """The negotiated task configured for (unit, year), if it is a number."""
    section = (cfg or targets_config()).get("tasks", {})
    return as_decimal(section.get("overrides", {}).get(str(year), {}).get(unit_code))


def task_problem(task_wan: Decimal | None, prior_months: int = 0) -> str | None:
    """Why a completion rate cannot be computed from this task (Chinese), or None when it can."""
    if task_wan is None:
        if 0 < prior_months < 12:
            return f"上年仅报送 {prior_months} 个月且未配置任务，年度任务未知，无法计算完成率"
        return "未配置任务且无上年实绩，年度任务未知，无法计算完成率"
    if task_wan <= 0:
        return f"任务为 {task_wan.normalize():f} 万元，无法计算完成率（请管理员核对下达任务）"
    return None


def validate(cfg: dict | None = None) -> list[str]:
    """Problems in the [tasks] section, as Chinese messages (an empty list when it is usable)."""
    section = (cfg or targets_config()).get("tasks", {})
    messages = []
    multiplier = as_decimal(section.get("dispatched_multiplier"))
    if multiplier is None or multiplier <= 0:
        messages.append(f"任务下达系数 dispatched_multiplier 应为正数，当前为“{section.get('dispatched_multiplier')}”；"
                        "未单独配置任务的单位将无任务")
    for year, table in section.get("overrides", {}).items():
        if not str(year).isdigit() or not isinstance(table, dict):
            messages.append(f"任务配置 [tasks.overrides.{year}] 的年份应为四位数字，且其下为“单位代码 = 金额”")
            continue
        for code, value in table.items():
            unit = catalog.resolve_unit(code)
            if unit is None or unit.code != code:
                hint = f"，应写作统计代码 {unit.code}" if unit else ""
                messages.append(f"{year}年任务配置中的单位“{code}”不是被考核单位代码{hint}，该项未生效")
                continue
            amount = as_decimal(value)
            if amount is None:
                messages.append(f"{year}年{unit.name}的任务“{value}”不是数字，该项未生效（按上年实绩×系数计算）")
            elif amount <= 0:
                messages.append(f"{year}年{unit.name}的任务为 {value} 万元，无法计算完成率")
    return messages


def calendar_progress(month: int) -> Decimal:
    """序时进度 at the end of month m: m/12 (exact to 6 places)."""
    if not 1 <= month <= 12:
        raise ValueError(f"月份应在 1–12 之间，收到 {month}")
    return (Decimal(month) / Decimal(12)).quantize(Decimal("0.000001"))


def calendar_expected_wan(task_wan: Decimal, month: int) -> Decimal:
    """The part of the task due by the end of month m by the calendar: task × m / 12, in 万元."""
    calendar_progress(month)  # validates the month
    return (task_wan * month / 12).quantize(WAN)
