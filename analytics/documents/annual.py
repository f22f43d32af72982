"""年度考核通报 as a 公文, ready for the annual assessment.

When an annual assessment method is configured (config/annual.toml, analytics/annual), the result is the 年终总评:
the year's current approved annual publication, else the assessment previewed on current data (marked 预览).
Without one, the year's result is built from the quarters' rankings — each quarter's published ranking, else its
preview — averaged per unit, and the document says so: 按季度排名汇总（年度考核办法未配置时）.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from analytics.annual import settings as annual_settings
from analytics.annual.archive import annual_publication_list, load_annual_publication
from analytics.annual.engine import assess_year
from analytics.documents.common import POLICY, Body, document, text, top_and_bottom
from analytics.documents.model import INTERNAL, Attachment, Document, Sentence, Writer
from analytics.documents.quarterly import quarter_ranking, verification_sentences
from analytics.documents.settings import DocumentSettings
from analytics.publication import signoff
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.ranking.normalise import RankingError
from core import periods
from warehouse.queries import targets as target_queries
from warehouse.store import Snapshot

QUARTERLY_BASIS = "按季度排名汇总（年度考核办法未配置时）"
QUARTER_NAMES = "一二三四"


@dataclass(frozen=True)
class AnnualResult:
    """The year's result per unit. rows: unit_code, unit_name, rank, avg_rank (Decimal, 1 decimal), avg_score
    (Decimal, 2 decimals), quarters (how many quarters ranked the unit)."""

    year: int
    basis: str
    rows: pl.DataFrame
    published: tuple[str, ...]      # quarters whose published ranking was used
    previewed: tuple[str, ...]      # quarters ranked on current data (not published)
    missing: tuple[str, ...]        # quarters without any data


def _q(value: float | Decimal, places: str) -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


def annual_from_quarters(snapshot: Snapshot, year: int, config: IndicatorConfig | None = None) -> AnnualResult:
    """Average each unit's rank (and score) over the year's quarters that can be ranked; order by average rank, then
    by average score; competition ranks."""
    config = config or load_indicator_config()
    frames, published, previewed, missing = [], [], [], []
    reported = set(target_queries.submitted_months(snapshot))
    for q in range(1, 5):
        quarter = periods.quarter_label(year, q)
        if not reported & set(periods.quarter_months(quarter)):  # no report in the quarter: nothing to rank
            missing.append(quarter)
            continue
        try:
            qr = quarter_ranking(snapshot, quarter, config)
        except RankingError:
            missing.append(quarter)
            continue
        if not qr.ranking.table["ranked"].any():
            missing.append(quarter)
            continue
        (published if qr.published else previewed).append(quarter)
        frames.append(qr.ranking.table.filter(pl.col("ranked")).select("unit_code", "unit_name", "rank", "score"))
    if not frames:
        raise ValueError(f"{year}年各季度均无可排名的数据，无法汇总年度结果")
    agg = (pl.concat(frames).group_by("unit_code", "unit_name", maintain_order=True)
           .agg(pl.col("rank").mean().alias("avg_rank"), pl.col("score").mean().alias("avg_score"),
                pl.len().alias("quarters")))
    rows = [{**r, "avg_rank": _q(r["avg_rank"], "0.1"), "avg_score": _q(r["avg_score"], "0.01")}
            for r in agg.iter_rows(named=True)]
    rows.sort(key=lambda r: (r["avg_rank"], -r["avg_score"], r["unit_code"]))
    for i, r in enumerate(rows):
        same = i and (r["avg_rank"], r["avg_score"]) == (rows[i - 1]["avg_rank"], rows[i - 1]["avg_score"])
        r["rank"] = rows[i - 1]["rank"] if same else i + 1
    frame = pl.DataFrame(rows, schema={"unit_code": pl.String, "unit_name": pl.String, "avg_rank": pl.Decimal(6, 1),
                                       "avg_score": pl.Decimal(8, 2), "quarters": pl.UInt32, "rank": pl.Int64})
    return AnnualResult(year, QUARTERLY_BASIS, frame, tuple(published), tuple(previewed), tuple(missing))


def annual_from_assessment(snapshot: Snapshot, year: int, annual: annual_settings.AnnualConfig,
                           config: IndicatorConfig | None = None) -> AnnualResult:
    """The 年终总评 as an AnnualResult: the current approved annual publication, else the preview.
    rows: unit_code, unit_name, rank, score (Decimal, 2 decimals), grade."""
    config = config or load_indicator_config()
    pubs = annual_publication_list(snapshot)
    pubs = signoff.with_status(pubs, signoff.signoff_table(snapshot)) if pubs.height else pubs
    current = pubs.filter(pl.col("current_published") & (pl.col("year") == year)
                          & (pl.col("group_id") == config.group().id)) if pubs.height else pubs
    if current.height:
        pid = current["publication_id"][0]
        a = load_annual_publication(snapshot, pid).assessment
        basis, preview = f"{annual.title}（已发布 {pid}）", ()
    else:
        a = assess_year(snapshot, year, annual, config)
        basis, preview = f"{annual.title}（预览，未发布）", ("annual",)
    rows = [{"unit_code": r["unit_code"], "unit_name": r["unit_name"], "rank": r["rank"], "grade": r["grade"],
             "score": _q(Decimal(r["score_exact"]), "0.01")} for r in a.table.filter(pl.col("ranked")).iter_rows(named=True)]
    frame = pl.DataFrame(rows, schema={"unit_code": pl.String, "unit_name": pl.String, "rank": pl.Int64,
                                       "grade": pl.String, "score": pl.Decimal(8, 2)})
    return AnnualResult(year, basis, frame, a.inputs.published, a.inputs.previewed + preview, a.inputs.missing)


def _quarters_text(quarters: tuple[str, ...]) -> str:
    return "、".join(f"第{QUARTER_NAMES[periods.parse_quarter(q)[1] - 1]}季度" for q in quarters)


def _basis_sentence(a: AnnualResult) -> Sentence:
    parts = []
    if "grade" in a.rows.columns:
        return Sentence(f"本通报年度结果为{a.basis}的结果：年度得分由四个季度的指标得分、半年督查结果、全年扣分（每项只计一次）"
                        "和加减分项构成，按年度得分排列名次并评定等次。")
    if a.published:
        parts.append(f"{_quarters_text(a.published)}采用已发布排名")
    if a.previewed:
        parts.append(f"{_quarters_text(a.previewed)}排名尚未发布，采用预览结果")
    if a.missing:
        parts.append(f"{_quarters_text(a.missing)}尚无数据，未纳入汇总")
    return Sentence(f"本通报年度结果为{a.basis}的结果：各单位以各季度综合排名的平均名次排列，平均名次相同的按平均得分"
                    f"排列；其中{'，'.join(parts)}。")


def annual_document(snapshot: Snapshot, year: int, settings: DocumentSettings, *, version: str,
                    number: int | None, date: dt.date, config: IndicatorConfig | None = None,
                    result: AnnualResult | None = None, annual: annual_settings.AnnualConfig | None | str = "default",
                    ) -> Document:
    if annual == "default":  # config/annual.toml when the installation has one
        annual = annual_settings.load_annual_config() if annual_settings.annual_configured() else None
    a = result or (annual_from_assessment(snapshot, year, annual, config) if annual
                   else annual_from_quarters(snapshot, year, config))
    assessed = "grade" in a.rows.columns
    k = settings.kind("annual")
    rows = list(a.rows.iter_rows(named=True))
    body = Body()
    body.add(text(f"按照{POLICY}“年终总评”的要求，现将{year}年度各市州和兰州新区招商引资工作考核情况通报如下。"))
    for section in k.sections:
        if section == "ranking":
            w = Writer()
            fmt = (lambda r: f"{r['unit_name']}（{w.exact('score', r['unit_code'], r['score'])}分，{r['grade']}）"  # noqa: E731
                   ) if assessed else (
                lambda r: f"{r['unit_name']}（平均第{w.exact('avg_rank', r['unit_code'], r['avg_rank'])}位）")
            lines = [_basis_sentence(a)]
            ends = top_and_bottom(rows, fmt)
            if ends:
                lines.append(w.done(f"{year}年度{ends}。"))
            lines.append(Sentence("各单位年度名次详见附件。"))
            body.section("年度考核结果", lines)
        elif section == "verification" and version == INTERNAL:
            sentences, _ = verification_sentences(snapshot, [periods.quarter_label(year, q) for q in range(1, 5)],
                                                  f"{year}年")
            body.section("抽样核查发现的问题", sentences)
        elif section == "requirements" and k.requirements:
            body.section("工作要求", *(text(x) for x in k.requirements))
    table = Attachment(
        f"{year}年度各市州和兰州新区招商引资工作考核结果", ("名次", "单位", "年度得分（分）", "等次"),
        tuple((str(r["rank"]), r["unit_name"], f"{r['score']}", r["grade"] or "—") for r in rows),
        f"本表为{a.basis}的结果；年度得分保留两位小数，名次按未取整得分排列。", (True, False, True, True),
    ) if assessed else Attachment(
        f"{year}年度各市州和兰州新区招商引资工作考核结果",
        ("名次", "单位", "季度平均名次", "季度平均得分（分）", "纳入季度数"),
        tuple((str(r["rank"]), r["unit_name"], f"{r['avg_rank']}", f"{r['avg_score']}", str(r["quarters"]))
              for r in rows),
        f"本表为{a.basis}的结果；季度平均名次、平均得分为该单位参与排名各季度的算术平均。", (True, False, True, True, True))
    return document("annual", version, settings, year=year, number=number, title=k.title.format(period=f"{year}年"),
                    body=body, attachments=[table], date=date, preview=bool(a.previewed))

