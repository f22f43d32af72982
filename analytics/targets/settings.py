"""Targets of 甘办发〔2024〕6号 as configuration: config/targets.toml parsed and checked; problems become Chinese messages."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal

from analytics.targets import quotas
from core import clock, money, periods
from warehouse.queries import targets as queries
from warehouse.store import Source

YI = Decimal(money.YI_IN_WAN)

# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def months(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}至{self.last:%Y-%m}"

    def month_list(self) -> list[dt.date]:
        return [periods.add_months(self.first, i) for i in range(self.months)]


@dataclass(frozen=True)
class Tier:
    level_wan: Decimal
    label: str


@dataclass(frozen=True)
class StallRules:
    not_started_months: int = 12
    no_money_months: int = 3
    low_funds_after_months: int = 6
    low_funds_share: Decimal = Decimal("0.15")


FIVE_HUNDRED_KEY = "三个500强企业"


@dataclass(frozen=True)
class Settings:
    cfg: dict = field(repr=False, compare=False)
    version: str
    milestones_wan: dict[int, Decimal]
    required_growth: Decimal
    baseline: Period | None
    target: Period | None
    factor: Decimal
    baseline_counts: dict[str, int]        # tier label or FIVE_HUNDRED_KEY -> configured baseline count
    exclude_statuses: tuple[str, ...]
    major_threshold_wan: Decimal           # 10亿元以上 = 100,000 万元
    tiers: tuple[Tier, ...]
    verified_only: bool                    # count only 三个500强 claims found in the reference list
    group_match: bool                      # a subsidiary matches its group's list entry (name prefix)
    forecast_level: float
    stall: StallRules
    messages: tuple[str, ...]


def _month(text: object) -> dt.date | None:
    try:
        y, m = str(text).strip().split("-")[:2]
        return dt.date(int(y), int(m), 1)
    except ValueError:
        return None


def _period(raw: object, name: str, messages: list[str]) -> Period | None:
    raw = raw if isinstance(raw, dict) else {}
    first, last = _month(raw.get("from")), _month(raw.get("to"))
    if first is None or last is None or last < first:
        messages.append(f"翻番规则的{name}应写作 {{ from = \"2021-01\", to = \"2023-12\" }} 且起月不晚于止月，"
                        f"当前为“{raw}”；翻番进度无法计算")
        return None
    return Period(first, last)


def _positive(value: object, name: str, default: Decimal, messages: list[str]) -> Decimal:
    d = quotas.as_decimal(value) if value is not None else default
    if d is None or d <= 0:
        messages.append(f"配置项 {name} 应为正数，当前为“{value}”，按 {default} 计算")
        return default
    return d


def load_settings(cfg: dict | None = None) -> Settings:
    """Parse and check targets.toml (or `cfg`); every problem is a Chinese message in `messages`."""
    cfg = cfg if cfg is not None else quotas.targets_config()
    messages = quotas.validate(cfg)
    prov = cfg.get("province", {})
    milestones = {}
    for year, amount in prov.get("milestones_yi", {}).items():
        value = quotas.as_decimal(amount)
        if not str(year).isdigit() or value is None or value <= 0:
            messages.append(f"省级目标 milestones_yi 中“{year} = {amount}”无效（应为 年份 = 正的亿元数），已忽略")
            continue
        milestones[int(year)] = value * YI
    doubling = cfg.get("doubling", {})
    counts = {}
    for key, n in doubling.get("baseline_counts", {}).items():
        if isinstance(n, int) and not isinstance(n, bool) and n > 0:
            counts[key] = n
        else:
            messages.append(f"基期数 baseline_counts 中“{key} = {n}”应为正整数，已忽略（改用仓库数据计算）")
    tier_cfg = cfg.get("tiers", {})
    levels = [quotas.as_decimal(v) for v in tier_cfg.get("levels_wan", [100000])]
    labels = list(tier_cfg.get("labels", []))
    if any(v is None or v <= 0 for v in levels) or not levels:
        messages.append(f"项目规模档次 levels_wan 应为正数列表，当前为“{tier_cfg.get('levels_wan')}”，按 10亿元 计算")
        levels = [Decimal(100000)]
    if len(labels) != len(levels):
        if labels:
            messages.append("项目规模档次 labels 与 levels_wan 个数不一致，标签按金额自动生成")
        labels = [f"{(v / YI).normalize():f}亿元以上" for v in levels]
    tiers = tuple(sorted((Tier(v, lab) for v, lab in zip(levels, labels)), key=lambda t: t.level_wan))
    known = {t.label for t in tiers} | {FIVE_HUNDRED_KEY}
    for key in list(counts):
        if key not in known:
            messages.append(f"基期数 baseline_counts 中的“{key}”不是规模档次标签或“{FIVE_HUNDRED_KEY}”，已忽略")
            del counts[key]
    stall_cfg = cfg.get("stalled", {})
    defaults = StallRules()
    stall = StallRules(
        int(_positive(stall_cfg.get("not_started_months"), "stalled.not_started_months",
                      Decimal(defaults.not_started_months), messages)),
        int(_positive(stall_cfg.get("no_money_months"), "stalled.no_money_months",
                      Decimal(defaults.no_money_months), messages)),
        int(_positive(stall_cfg.get("low_funds_after_months"), "stalled.low_funds_after_months",
                      Decimal(defaults.low_funds_after_months), messages)),
        _positive(stall_cfg.get("low_funds_share"), "stalled.low_funds_share", defaults.low_funds_share, messages),
    )
    five = cfg.get("five_hundred", {})
    if five.get("basis", "claimed") not in ("claimed", "verified"):
        messages.append(f"三个500强计数口径 basis 应为 claimed 或 verified，当前为“{five.get('basis')}”，按 claimed 计算")
    level = float(_positive(cfg.get("forecast", {}).get("interval_level"), "forecast.interval_level",
                            Decimal("0.8"), messages))
    if level >= 1:
        messages.append(f"预测区间水平 interval_level 应小于 1，当前为 {level}，按 0.8 计算")
        level = 0.8
    return Settings(
        cfg=cfg,
        version=str(cfg.get("version", "")),
        milestones_wan=milestones,
        required_growth=_positive(prov.get("required_growth"), "province.required_growth", Decimal("0.15"), messages),
        baseline=_period(doubling.get("baseline"), "基期 baseline", messages),
        target=_period(doubling.get("target"), "目标期 target", messages),
        factor=_positive(doubling.get("factor"), "doubling.factor", Decimal(2), messages),
        baseline_counts=counts,
        exclude_statuses=tuple(doubling.get("exclude_statuses", ["终止"])),
        major_threshold_wan=_positive(tier_cfg.get("major_threshold_wan"), "tiers.major_threshold_wan",
                                      Decimal(100000), messages),
        tiers=tiers,
        verified_only=five.get("basis") == "verified",
        group_match=five.get("group_match", False) is True,
        forecast_level=level,
        stall=stall,
        messages=tuple(messages),
    )


def default_as_of(source: Source) -> dt.date | None:
    """The latest month with data, not after the current month."""
    latest = queries.latest_data_month(source)
    if latest is None:
        return None
    return min(latest, periods.month_start(clock.today()))
