"""季度排名通报 as a 公文: the frozen (published) ranking of the quarter, or — when none is published — the preview,
clearly marked 预览，未发布; each unit's rank movement explained in one sentence from the attribution; 表扬/约谈 lines
only where configured; the 内部版 adds the quarter's verification findings."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from analytics.documents.common import POLICY, Body, cell_int, document, text, top_and_bottom
from analytics.documents.model import INTERNAL, PROVINCE, Attachment, Document, Fact, Sentence, Writer
from analytics.documents.settings import DocumentSettings
from analytics.office.lists import OfficeLists, office_lists
from analytics.publication import signoff
from analytics.publication.archive import Publication, load_publication
from analytics.ranking.attribution import Attribution, attribute_change
from analytics.ranking.composite import Ranking, rank_quarter
from analytics.ranking.explain import COUNT_UNITS, explain_unit
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.ranking.indicators import IndicatorValues, compute_indicator_values
from analytics.ranking.normalise import RankingError
from core import periods
from warehouse.queries import documents as doc_queries
from warehouse.store import Snapshot


@dataclass(frozen=True)
class QuarterRanking:
    ranking: Ranking
    config: IndicatorConfig
    publication: Publication | None      # None: a preview on current data, not published

    @property
    def published(self) -> bool:
        return self.publication is not None


def quarter_ranking(snapshot: Snapshot, quarter: str, config: IndicatorConfig | None = None) -> QuarterRanking:
    """The quarter's current publication for the default group, else the preview on current data."""
    config = config or load_indicator_config()
    pid = signoff.current_published_id(snapshot, quarter, config.group().id)
    if pid:
        pub = load_publication(snapshot, pid)
        return QuarterRanking(pub.ranking, pub.config, pub)
    return QuarterRanking(rank_quarter(snapshot, quarter, config), config, None)


def _previous_inputs(snapshot: Snapshot, quarter: str, config: IndicatorConfig) -> IndicatorValues:
    prev = periods.previous_quarter(quarter)
    pid = signoff.current_published_id(snapshot, prev, config.group().id)
    if pid:
        return load_publication(snapshot, pid).ranking.inputs
    return compute_indicator_values(snapshot, prev, config, config.group().id)


def quarter_attribution(snapshot: Snapshot, qr: QuarterRanking) -> Attribution | None:
    """Change against the previous quarter (its publication's inputs when published), or None when not comparable."""
    try:
        return attribute_change(qr.ranking.inputs, _previous_inputs(snapshot, qr.ranking.quarter, qr.config),
                                qr.config, qr.ranking.weight_scheme)
    except (RankingError, ValueError):
        return None


def explanation(row: dict, items: pl.DataFrame, internal: bool = True,
                count_items: set[str] = frozenset()) -> Sentence:
    """One unit's rank movement in one sentence (`analytics.ranking.explain`, the generator the ranking page and the
    bulletins use). The 公开版 does not name a deduction (it may be a verification finding): it says 扣分事项."""
    e = explain_unit(row, items, count_items=count_items, public=not internal)
    return Sentence(e.text, tuple(Fact(n.key, n.scope, n.value, n.text, n.unit) for n in e.numbers))


def _ranking_sentences(r: Ranking) -> list[Sentence]:
    w = Writer()
    rows = list(r.table.filter(pl.col("ranked")).sort("rank").iter_rows(named=True))
    ends = top_and_bottom(rows, lambda x: f"{x['unit_name']}（{w.score('score', x['unit_code'], x['score'])}分）")
    return [w.done(f"{periods.quarter_zh(r.quarter)}综合排名{ends}。")] if ends else []


def _names(rows: list[dict]) -> str:
    return "、".join(r["unit_name"] for r in rows)


def _ranking_table(r: Ranking, attribution: Attribution | None) -> Attachment:
    before = {} if attribution is None else dict(attribution.summary.select("unit_code", "rank_previous").iter_rows())
    rows = []
    for x in r.table.iter_rows(named=True):
        prev = before.get(x["unit_code"])
        move = "—" if prev is None or x["rank"] is None else (
            "持平" if prev == x["rank"] else f"{'上升' if prev > x['rank'] else '下降'}{abs(prev - x['rank'])}位")
        rows.append((cell_int(x["rank"]) if x["rank"] is not None else "未排名", x["unit_name"],
                     "—" if x["score"] is None else f"{x['score']:.2f}", move, x["flags"] or ""))
    return Attachment(f"{periods.quarter_zh(r.quarter)}各市州和兰州新区招商引资工作综合排名表",
                      ("排名", "单位", "综合得分（分）", "较上季度", "备注"), tuple(rows),
                      "综合得分满分100分；名次并列时按竞赛排名法（1、2、2、4）排列。", (True, False, True, False, False))


def verification_sentences(snapshot: Snapshot, quarters: list[str], label: str) -> tuple[list[Sentence], pl.DataFrame]:
    v = doc_queries.verification_summary(snapshot, quarters)
    if v.is_empty() or int(v["checked"].sum()) == 0:
        return [Sentence(f"{label}尚无抽样核查结果。")], v
    w = Writer()
    return [w.done(f"{label}第三方抽样核查共核查项目{w.count('checked', PROVINCE, int(v['checked'].sum()))}个，"
                   f"发现数据存在差异的项目{w.count('discrepancies', PROVINCE, int(v['discrepancies'].sum()))}个、"
                   f"无法核实的项目{w.count('unverifiable', PROVINCE, int(v['unverifiable'].sum()))}个，"
                   "相关扣分已计入综合得分。")], v


def _rule_words(w: Writer, rule_id: str, office: OfficeLists) -> str:
    """The rule in words, each configured threshold recorded as a figure (config/office.toml)."""
    i = office.config.interview
    if rule_id == "praise":
        return f"季度综合排名前{w.count('praise_top', PROVINCE, office.config.praise.top)}位（含并列）"
    if rule_id == "last_place":
        return f"连续{w.count('interview_last_quarters', PROVINCE, i.last_place_quarters)}个季度综合排名末位"
    return (f"连续{w.count('interview_behind_months', PROVINCE, i.behind_months)}个月任务完成率落后序时进度超过"
            f"{w.plain('interview_behind_points', PROVINCE, i.behind_points)}个百分点")


def praise_and_interview(section: str, office: OfficeLists) -> list[Sentence]:
    """The 表扬 or 约谈 lines from the office's rules (config/office.toml), one sentence per rule that fired."""
    frame = office.praise if section == "praise" else office.interview
    if not office.published and section == "praise":
        return [Sentence("综合排名经审定发布后，按规则确定拟通报表扬的单位。")]
    if frame.is_empty():
        return [Sentence("本季度无单位符合通报表扬规则。" if section == "praise" else "本季度无单位触发约谈规则。")]
    out = []
    for (rule_id,), rows in frame.group_by("rule_id", maintain_order=True):
        w = Writer()
        out.append(w.done(f"按照“{_rule_words(w, rule_id, office)}”的规则，拟对{'、'.join(rows['unit_name'])}" + (
            "予以通报表扬（待领导小组审定）。" if section == "praise" else "主要负责同志进行约谈（待领导小组审定）。")))
    return out


def quarterly_document(snapshot: Snapshot, quarter: str, settings: DocumentSettings, *, version: str,
                       number: int | None, date: dt.date, config: IndicatorConfig | None = None) -> Document:
    periods.parse_quarter(quarter)
    qr = quarter_ranking(snapshot, quarter, config)
    r = qr.ranking
    if not r.table["ranked"].any():
        raise ValueError(f"{periods.quarter_zh(quarter)}没有可排名的数据：各单位在指标期间均无报表")
    attribution = quarter_attribution(snapshot, qr)
    k = settings.kind("quarterly")
    label = periods.quarter_zh(quarter)
    body = Body()
    lead = (f"按照{POLICY}“季考核”的要求，领导小组办公室对各市州和兰州新区{label}招商引资工作进行了综合排名。"
            "现将有关情况通报如下。")
    body.add(text(lead))
    if not qr.published:
        body.add(text("本通报所列排名为预览结果，尚未经审定发布，仅供研究参考，不得对外引用；正式排名以发布结果为准。"))
    ranked = list(r.table.filter(pl.col("ranked")).sort("rank").iter_rows(named=True))
    office = None
    for section in k.sections:
        if section == "ranking":
            cutoff = f"（数据截至{r.data_cutoff.year}年{r.data_cutoff.month}月{r.data_cutoff.day}日）" if r.data_cutoff else ""
            body.section("综合排名结果", [*_ranking_sentences(r), Sentence(f"各单位排名详见附件{cutoff}。")])
        elif section == "explanations":
            if attribution is None:
                body.section("名次变化情况", [Sentence("上季度无可比数据，本季度不作名次变化说明。")])
            else:
                order = {x["unit_code"]: i for i, x in enumerate(ranked)}
                rows = sorted(attribution.summary.iter_rows(named=True), key=lambda x: order.get(x["unit_code"], 99))
                counts = set(r.indicators.filter(pl.col("unit").is_in(COUNT_UNITS))["indicator_id"])
                body.section("名次变化情况", *([explanation(x, attribution.items, version == INTERNAL, counts)]
                                                for x in rows))
        elif section in ("praise", "interview"):
            if k.praise_top if section == "praise" else k.interview_bottom:  # 0 in documents.toml: no section
                office = office or office_lists(snapshot, quarter, group_id=qr.config.group().id)
                body.section("表扬" if section == "praise" else "约谈", praise_and_interview(section, office))
        elif section == "verification" and version == INTERNAL:
            sentences, _ = verification_sentences(snapshot, [quarter], label)
            body.section("抽样核查发现的问题", sentences)
        elif section == "requirements" and k.requirements:
            body.section("工作要求", *(text(x) for x in k.requirements))
    year, q = periods.parse_quarter(quarter)
    return document("quarterly", version, settings, year=year, number=number, title=k.title.format(period=label),
                    body=body, attachments=[_ranking_table(r, attribution)], date=date, preview=not qr.published)
