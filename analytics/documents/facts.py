"""The month's figures behind the 月度通报 and the 专报, exact (万元, Decimal), read from the warehouse snapshot.

Definitions (each figure's key in the documents):
- 到位资金 (funds_*): mart_unit_month, the counted 资金来源; year to date = January through the month; growth against
  last year's same months (only when every unit reported each of them); the province's annual target as on the
  目标进度 page (the configured milestone, else last year × (1 + required growth)); a unit's task as dispatched.
- 签约 (signed_*), 10亿元以上 (major_*), 三个500强 (fh_*), 开工/投产 (started/producing): projects as known at the end
  of the month, on the 到位资金 basis and not in an excluded status (终止), by 签约日期 / 开工日期 / 投产日期 in the period.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from analytics.publication.monthly import MonthlyBulletin, monthly_bulletin
from analytics.ranking.formulas import FundsProgress, funds_progress
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.targets import forecast
from analytics.targets.doubling import claims_frame, counted_projects
from analytics.targets.lifecycle import stall_rule_hits, stalled_projects
from analytics.targets.province import annual_target
from analytics.targets.settings import Settings, load_settings
from core import catalog, periods
from warehouse.queries import documents as doc_queries
from warehouse.queries import ranking as ranking_queries
from warehouse.queries import targets as target_queries
from warehouse.store import Snapshot


@dataclass(frozen=True)
class Counts:
    """Per unit code (and PROVINCE) a count and an amount in 万元."""

    n: dict[str, int]
    wan: dict[str, Decimal]


@dataclass(frozen=True)
class MonthFacts:
    month: dt.date
    units: tuple[str, ...]                       # the group's unit codes, in official order
    group_name: str
    funds: dict[str, FundsProgress]              # per unit
    month_wan: dict[str, Decimal]                # per unit: the month's funds (0 when not reported)
    reported: tuple[str, ...]                    # units with the month's report
    province_ytd_wan: Decimal
    province_month_wan: Decimal
    province_base_wan: Decimal | None            # last year's same months; None unless every unit reported them
    province_target_wan: Decimal | None
    forecast_wan: Decimal | None                 # the year-end forecast (目标进度 page's method), None when impossible
    bulletin: MonthlyBulletin                    # 红黑榜 as on the 月度通报 page
    signed_ytd: Counts
    signed_month: Counts
    major_ytd: Counts                            # amount: 计划总投资
    major_month: Counts
    fh_enterprises_ytd: dict[str, int]           # distinct 三个500强 enterprises with a signing (province once)
    fh_projects_ytd: dict[str, int]
    fh_unverified_ytd: int                       # claims not found in the year's list (内部版)
    started_ytd: dict[str, int]
    producing_ytd: dict[str, int]
    stalled: dict[str, int]                      # stalled projects as of the month (内部版, 专报)
    major_list: pl.DataFrame                     # the ytd 10亿元以上 projects (内部版 attachment)
    verification: pl.DataFrame                   # unit_code, checked, discrepancies, unverifiable (year's quarters)

    @property
    def schedule(self) -> Decimal:
        return Decimal(self.month.month) / 12

    def unit_name(self, code: str) -> str:
        return catalog.unit_name(code)


def _counts(frame: pl.DataFrame, amount: str | None, units: tuple[str, ...]) -> Counts:
    n = dict(frame.group_by("unit_code").len().iter_rows())
    wan = dict(frame.group_by("unit_code").agg(pl.col(amount).sum()).iter_rows()) if amount else {}
    out_n = {u: int(n.get(u, 0)) for u in units}
    out_w = {u: Decimal(wan.get(u) or 0) for u in units}
    out_n["全省"] = sum(out_n.values())
    out_w["全省"] = sum(out_w.values(), Decimal(0))
    return Counts(out_n, out_w)


def _in(col: str, first: dt.date, last: dt.date) -> pl.Expr:
    return pl.col(col).is_between(first, periods.add_months(last, 1), closed="left")


def _per_unit(frame: pl.DataFrame, units: tuple[str, ...]) -> dict[str, int]:
    n = dict(frame.group_by("unit_code").len().iter_rows())
    out = {u: int(n.get(u, 0)) for u in units}
    out["全省"] = sum(out.values())
    return out


def month_facts(snapshot: Snapshot, month: dt.date, config: IndicatorConfig | None = None,
                settings: Settings | None = None, group_id: str | None = None) -> MonthFacts:
    config = config or load_indicator_config()
    settings = settings or load_settings()
    month = periods.month_start(month)
    group = config.group(group_id)
    units = tuple(group.units)
    jan = dt.date(month.year, 1, 1)
    with target_queries.session(snapshot) as con:
        unit_months = ranking_queries.unit_months(con, list(units), dt.date(month.year - 1, 1, 1), month)
        all_months = target_queries.unit_months(con).filter(pl.col("month") <= month)
        projects = target_queries.project_states(con, month)
        reference = target_queries.five_hundred_reference(con)
        quarters = sorted({periods.quarter_of(m) for m in periods.month_range(jan, month)})
        verification = doc_queries.verification_summary(con, quarters)
    funds = funds_progress(unit_months, units, month.year, month)
    this = unit_months.filter(pl.col("month") == month)
    month_wan = {u: Decimal(0) for u in units} | dict(this.select("unit_code", "funds_month_wan").iter_rows())
    bases = [funds[u].last_year_same_period_wan for u in units]
    province = forecast.province_monthly(all_months)
    target, _ = annual_target(forecast.monthly_table(province), month.year, settings)
    year_end = forecast.forecast_year_end(province, month.year, month.month, settings.forecast_level)

    counted = counted_projects(projects, settings)
    signed_ytd = counted.filter(_in("signing_date", jan, month))
    signed_month = counted.filter(_in("signing_date", month, month))
    major = pl.col("planned_investment_wan") >= settings.major_threshold_wan
    claims = claims_frame(signed_ytd, reference, settings.group_match)
    counted_claims = claims.filter(pl.col("verified")) if settings.verified_only else claims
    fh_ent = {u: counted_claims.filter(pl.col("unit_code") == u)["enterprise_id"].n_unique() for u in units}
    fh_ent["全省"] = counted_claims["enterprise_id"].n_unique()
    live = projects.filter(pl.col("status") != "终止")
    stalled = stalled_projects(live, stall_rule_hits(live, settings.stall))
    return MonthFacts(
        month=month, units=units, group_name=group.name, funds=funds, month_wan=month_wan,
        reported=tuple(u for u in units if u in set(this["unit_code"])),
        province_ytd_wan=sum((funds[u].ytd_wan for u in units), Decimal(0)),
        province_month_wan=sum(month_wan.values(), Decimal(0)),
        province_base_wan=sum(bases, Decimal(0)) if all(b is not None for b in bases) else None,
        province_target_wan=target, forecast_wan=year_end.point_wan,
        bulletin=monthly_bulletin(snapshot, month, config, group_id),
        signed_ytd=_counts(signed_ytd, "signed_amount_wan", units),
        signed_month=_counts(signed_month, "signed_amount_wan", units),
        major_ytd=_counts(signed_ytd.filter(major), "planned_investment_wan", units),
        major_month=_counts(signed_month.filter(major), "planned_investment_wan", units),
        fh_enterprises_ytd=fh_ent,
        fh_projects_ytd=_per_unit(counted_claims, units),
        fh_unverified_ytd=claims.filter(~pl.col("verified")).height,
        started_ytd=_per_unit(counted.filter(_in("start_date", jan, month)), units),
        producing_ytd=_per_unit(counted.filter(_in("production_date", jan, month)), units),
        stalled=_per_unit(stalled, units),
        major_list=signed_ytd.filter(major).sort("planned_investment_wan", "unit_code", "project_id",
                                                 descending=[True, False, False]),
        verification=verification.filter(pl.col("unit_code").is_in(list(units))),
    )
