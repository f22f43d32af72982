"""专报 to the provincial leadership: one page — the headline numbers, the three things that matter this month, risks.

Written from the same month's figures as the 月度通报 (`facts.month_facts`), shorter: no tables, no project detail.
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from analytics.documents import narrative
from analytics.documents.common import Body, document
from analytics.documents.facts import MonthFacts, month_facts
from analytics.documents.model import INTERNAL, PROVINCE, Document, Sentence, Writer, ratio
from analytics.documents.settings import DocumentSettings
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.targets.settings import Settings, load_settings
from warehouse.store import Snapshot

ORDINALS = ("一是", "二是", "三是")


def headline(f: MonthFacts, label: str) -> list[Sentence]:
    """The province funds sentence, then one sentence on signings, major projects and 三个500强."""
    funds = narrative.province_funds(f)[0]
    w = Writer()
    p = PROVINCE
    more = w.done(f"新签约项目{w.count('signed_count', p, f.signed_ytd.n[p])}个、签约额"
                  f"{w.yi('signed_amount', p, f.signed_ytd.wan[p])}亿元，其中{label}项目"
                  f"{w.count('major_count', p, f.major_ytd.n[p])}个；新引进三个500强企业"
                  f"{w.count('fh_enterprises', p, f.fh_enterprises_ytd[p])}家。")
    return [Sentence(funds.text.removesuffix("。") + "；", funds.facts), more]


def highlights(f: MonthFacts, label: str) -> list[Sentence]:
    """Three points, most telling first: the month's funds and the units on schedule, the month's major signings,
    the year-end outlook against the target (or, without a forecast, the red list)."""
    p, m = PROVINCE, f.month.month
    w = Writer()
    ahead = sum(1 for u in f.units if f.funds[u].ahead)
    points = [f"{m}月当月到位资金{w.yi('funds_month', p, f.province_month_wan)}亿元，"
              f"{w.count('units_ahead', p, ahead)}个单位达到序时进度"]
    points.append(f"{m}月新签约项目{w.count('signed_count_month', p, f.signed_month.n[p])}个，其中{label}项目"
                  f"{w.count('major_count_month', p, f.major_month.n[p])}个，计划总投资"
                  f"{w.yi('major_investment_month', p, f.major_month.wan[p])}亿元")
    if f.forecast_wan is not None and f.province_target_wan:
        points.append(f"按当前进度测算，全年到位资金预计{w.yi('forecast', p, f.forecast_wan)}亿元，为年度目标的"
                      f"{w.pct('forecast_share', p, ratio(f.forecast_wan, f.province_target_wan))}%")
    elif f.bulletin.red:
        points.append(f"{'、'.join(f.bulletin.red)}完成进度居全省前列")
    return [w.done("；".join(f"{ORDINALS[i]}{x}" for i, x in enumerate(points)) + "。")]


def risks(f: MonthFacts, internal: bool, black_gap: float) -> list[Sentence]:
    p = PROVINCE
    w = Writer()
    items = []
    if f.bulletin.black:
        items.append(f"{'、'.join(f.bulletin.black)}到位资金落后序时进度超过"
                     f"{w.plain('black_gap', p, Decimal(str(black_gap)) * 100)}"
                     "个百分点")
    if f.forecast_wan is not None and f.province_target_wan and f.forecast_wan < f.province_target_wan:
        items.append(f"按当前进度全年预计缺口{w.yi('forecast_gap', p, f.province_target_wan - f.forecast_wan)}亿元")
    if f.stalled[p]:
        items.append(f"全省符合停滞认定情形的项目{w.count('stalled', p, f.stalled[p])}个")
    missing = [f.unit_name(u) for u in f.units if u not in f.reported]
    if missing:
        items.append(f"{'、'.join(missing)}尚未报送{f.month.month}月报表")
    if internal and f.fh_unverified_ytd and len(items) < 3:
        items.append(f"{w.count('fh_unverified', p, f.fh_unverified_ytd)}个项目申报的三个500强类别未能在名录中核实")
    if not items:
        return [Sentence("本月未发现需要特别关注的风险。")]
    return [w.done("；".join(items[:3]) + "，需重点关注。")]


def briefing_document(snapshot: Snapshot, month: dt.date, settings: DocumentSettings, *, version: str,
                      number: int | None, date: dt.date, config: IndicatorConfig | None = None,
                      targets: Settings | None = None) -> Document:
    config = config or load_indicator_config()
    targets = targets or load_settings()
    f = month_facts(snapshot, month, config, targets)
    label = targets.tiers[0].label if targets.tiers else "10亿元以上"
    k = settings.kind("briefing")
    period = f"{f.month.year}年{narrative.period(f)}"
    body = Body()
    for section in k.sections:
        if section == "headline":
            body.section("主要指标", headline(f, label))
        elif section == "highlights":
            body.section("本月要点", highlights(f, label))
        elif section == "risks":
            body.section("风险提示", risks(f, version == INTERNAL, config.black_gap))
    return document("briefing", version, settings, year=f.month.year, number=number,
                    title=k.title.format(period=period), body=body, attachments=[], date=date)
