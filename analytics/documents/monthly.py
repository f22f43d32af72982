"""月度通报 as a 公文: 到位资金 (month, year to date, growth, against 序时进度), 签约, 10亿元以上 projects, 三个500强,
开工投产, 红黑榜; the 内部版 adds stalled projects, unverified 500强 claims, the project list and verification findings."""
from __future__ import annotations

import datetime as dt

import polars as pl

from analytics.documents import narrative
from analytics.documents.common import POLICY, Body, cell_int, cell_pct, cell_points, cell_yi, document, text
from analytics.documents.facts import MonthFacts, month_facts
from analytics.documents.model import INTERNAL, PROVINCE, Attachment, Document, Sentence, Writer, round_1
from analytics.documents.settings import DocumentSettings
from analytics.office import supervision
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.targets.settings import Settings, load_settings
from core import catalog, money
from warehouse.store import Snapshot


def supervision_sentences(snapshot: Snapshot) -> list[Sentence]:
    """督办 of stalled projects (analytics/office/supervision.py): the units' answers so far and the overdue ones."""
    lists = supervision.status_table(snapshot)
    if lists.is_empty():
        return []
    w = Writer()
    answered = lists.filter(pl.col("answer").is_not_null())
    by_answer = "、".join(f"{a}{w.count(f'supervision:{a}', PROVINCE, answered.filter(pl.col('answer') == a).height)}个"
                          for a in supervision.ANSWERS if answered.filter(pl.col("answer") == a).height)
    late = lists.filter(pl.col("state") == "逾期未答复")
    text_ = (f"督办的停滞项目{w.count('supervision_total', PROVINCE, lists.height)}个，"
             f"已答复{w.count('supervision_answered', PROVINCE, answered.height)}个" + (f"（{by_answer}）" if by_answer else ""))
    if late.height:
        units = "、".join(u.name for u in catalog.units() if u.code in set(late["unit_code"]))  # official order
        text_ += f"，逾期未答复{w.count('supervision_overdue', PROVINCE, late.height)}个（{units}），请抓紧答复"
    return [w.done(text_ + "。")]


def _funds_table(f: MonthFacts) -> Attachment:
    m = f.month.month
    rows = []
    for u in f.units:
        p = f.funds[u]
        gap = None if p.completion is None else round_1(p.completion * 100) - round_1(f.schedule * 100)
        rows.append((f.unit_name(u), cell_yi(f.month_wan[u]), cell_yi(p.ytd_wan), cell_pct(p.growth),
                     cell_yi(p.task_wan), cell_pct(p.completion), cell_points(gap),
                     "红榜" if f.unit_name(u) in f.bulletin.red else "黑榜" if f.unit_name(u) in f.bulletin.black else ""))
    base = f.province_base_wan
    growth = None if not base else (f.province_ytd_wan - base) / base
    completion = None if not f.province_target_wan else f.province_ytd_wan / f.province_target_wan
    gap = None if completion is None else round_1(completion * 100) - round_1(f.schedule * 100)
    rows.append((PROVINCE, cell_yi(f.province_month_wan), cell_yi(f.province_ytd_wan), cell_pct(growth),
                 cell_yi(f.province_target_wan), cell_pct(completion), cell_points(gap), ""))
    return Attachment(
        f"{f.month.year}年1—{m}月各市州和兰州新区招商引资到位资金情况表",
        ("单位", f"{m}月到位资金（亿元）", f"1—{m}月累计（亿元）", "同比增长（%）", "年度任务（亿元）",
         "完成年度任务（%）", "较序时进度（百分点）", "红黑榜"),
        tuple(rows), f"序时进度为{round_1(f.schedule * 100)}%。全省年度任务为全省年度目标；"
                     "上年同期数据不全的单位不计算增速，以“—”表示。",
        (False, True, True, True, True, True, True, False))


def _projects_table(f: MonthFacts, label: str, internal: bool) -> Attachment:
    m = f.month.month
    heads = ["单位", "签约项目（个）", "签约额（亿元）", f"{label}项目（个）", "三个500强企业（家）", "新开工项目（个）",
             "新投产项目（个）"]
    if internal:
        heads.append("停滞项目（个）")
    rows = []
    for u in (*f.units, PROVINCE):
        row = [f.unit_name(u) if u != PROVINCE else PROVINCE, cell_int(f.signed_ytd.n[u]), cell_yi(f.signed_ytd.wan[u]),
               cell_int(f.major_ytd.n[u]), cell_int(f.fh_enterprises_ytd[u]), cell_int(f.started_ytd[u]),
               cell_int(f.producing_ytd[u])]
        if internal:
            row.append(cell_int(f.stalled[u]))
        rows.append(tuple(row))
    return Attachment(f"{f.month.year}年1—{m}月各市州和兰州新区项目签约及推进情况表", tuple(heads), tuple(rows),
                      "三个500强企业同一企业在多个单位投资的，各单位分别计算，全省只计一次。",
                      (False, *([True] * (len(heads) - 1))))


def _major_list(f: MonthFacts, label: str) -> Attachment:
    rows = tuple((f.unit_name(r["unit_code"]), r["project_id"], r["project_name"], r["investor_name"] or "",
                  f"{r['signing_date']:%Y-%m-%d}", f"{money.wan_to_yi(r['planned_investment_wan'])}")
                 for r in f.major_list.iter_rows(named=True))
    return Attachment(f"{f.month.year}年1—{f.month.month}月新签约{label}项目清单", ("单位", "项目编号", "项目名称",
                      "投资方", "签约日期", "计划总投资（亿元）"), rows, "",
                      (False, False, False, False, False, True))


def _verification_table(f: MonthFacts) -> Attachment | None:
    v = f.verification
    if v.is_empty():
        return None
    rows = tuple((f.unit_name(u), str(c), str(d), str(n))
                 for u, c, d, n in v.select("unit_code", "checked", "discrepancies", "unverifiable").iter_rows())
    return Attachment(f"{f.month.year}年抽样核查情况表", ("单位", "核查项目（个）", "存在差异（个）", "无法核实（个）"),
                      rows, "", (False, True, True, True))


def monthly_document(snapshot: Snapshot, month: dt.date, settings: DocumentSettings, *, version: str,
                     number: int | None, date: dt.date, config: IndicatorConfig | None = None,
                     targets: Settings | None = None) -> Document:
    config = config or load_indicator_config()
    targets = targets or load_settings()
    f = month_facts(snapshot, month, config, targets)
    internal = version == INTERNAL
    label = targets.tiers[0].label if targets.tiers else "10亿元以上"
    period = f"{f.month.year}年{narrative.period(f)}"
    k = settings.kind("monthly")
    body = Body()
    body.add(text(f"为及时掌握全省招商引资工作进展，按照{POLICY}“月跟进、季考核”的要求，现将{period}全省招商引资"
                  "工作进展情况通报如下。"))
    for section in k.sections:
        if section == "funds":
            body.section("到位资金情况", narrative.province_funds(f), narrative.unit_funds(f))
        elif section == "signings":
            body.section("项目签约情况", narrative.signings(f))
        elif section == "major":
            body.section(f"{label}项目情况", narrative.major(f, label))
        elif section == "five_hundred":
            body.section("引进三个500强企业情况", narrative.five_hundred(f, internal))
        elif section == "lifecycle":
            body.section("项目开工投产情况", narrative.lifecycle(f, internal)
                         + (supervision_sentences(snapshot) if internal else []))
        elif section == "lists":
            body.section("红黑榜", narrative.lists(f, config.black_gap))
        elif section == "verification" and internal:
            body.section("抽样核查发现的问题", narrative.verification(f))
        elif section == "requirements" and k.requirements:
            body.section("下一步工作要求", *(text(r) for r in k.requirements))
    attachments = [_funds_table(f), _projects_table(f, label, internal)]
    if internal:
        attachments.append(_major_list(f, label))
        table = _verification_table(f) if "verification" in k.sections else None
        if table:
            attachments.append(table)
    return document("monthly", version, settings, year=f.month.year, number=number,
                    title=k.title.format(period=period), body=body, attachments=attachments, date=date)
