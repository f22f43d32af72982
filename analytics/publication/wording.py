"""Shared wording of the ranking's bulletins (xlsx, HTML, PDF): title, meta lines, each unit's achievements and remarks."""
from __future__ import annotations

import polars as pl

from analytics.publication.archive import Publication
from analytics.ranking.attribution import Attribution
from analytics.ranking.composite import WEIGHT_SCHEMES, Ranking
from analytics.ranking.explain import explain_all
from core import periods

# --------------------------------------------------------------------------- shared wording

def _value_text(value: float | None, unit: str) -> str:
    if value is None:
        return "—"
    return f"{value:.1f}{unit}" if unit == "%" else f"{value:g}{unit}"


def unit_achievements(ranking: Ranking) -> dict[str, str]:
    """Per unit the 指标完成情况 line: each indicator's value with its unit."""
    units = dict(zip(ranking.indicators["indicator_id"], ranking.indicators["unit"]))
    out: dict[str, list[str]] = {}
    for r in ranking.contributions.filter(pl.col("kind") == "indicator").iter_rows(named=True):
        out.setdefault(r["unit_code"], []).append(f"{r['item_name']} {_value_text(r['value'], units[r['item_id']])}")
    return {u: "；".join(parts) for u, parts in out.items()}


def unit_remarks(ranking: Ranking) -> dict[str, str]:
    """Per unit the 备注: flags, bonus/deduction points, the robustness interval."""
    points: dict[str, list[str]] = {}
    for r in ranking.contributions.filter(pl.col("kind") == "adjustment").iter_rows(named=True):
        if r["contribution"]:
            points.setdefault(r["unit_code"], []).append(f"{r['item_name']} {r['contribution']:+.1f}分（{r['detail']}）")
    out = {}
    for r in ranking.table.iter_rows(named=True):
        parts = [r["flags"]] if r["flags"] else []
        parts += points.get(r["unit_code"], [])
        if r["rank_q05"] is not None:
            parts.append(f"排名区间 {r['rank_q05']}–{r['rank_q95']}")
        out[r["unit_code"]] = "；".join(parts)
    return out


def bulletin_title(ranking: Ranking) -> str:
    return f"{periods.quarter_zh(ranking.quarter)}招商引资工作综合排名通报（{ranking.group_name}）"


def meta_lines(ranking: Ranking, publication: Publication | None) -> list[str]:
    """The bulletin's plain-Chinese lines under the title. Versions, hashes and snapshot names stay in the publication
    record (and the admin 技术信息 fold), never in what leaders read."""
    cutoff = f"{ranking.data_cutoff:%Y年%m月%d日 %H:%M}" if ranking.data_cutoff else "无数据"
    lines = [f"所用报表收件截至：{cutoff}；权重：{WEIGHT_SCHEMES[ranking.weight_scheme]}"]
    if publication is not None:
        lines.append(f"发布编号：{publication.publication_id}；发布人：{publication.published_by}；"
                     f"发布时间：{publication.published_at:%Y-%m-%d %H:%M}")
        if publication.corrects:
            lines.append(f"本通报更正 {publication.corrects}，更正说明：{publication.note}")
        elif publication.note:
            lines.append(f"说明：{publication.note}")
        if publication.incomplete_reason:
            lines.append(f"部分单位数据不完整，发布理由：{publication.incomplete_reason}")
    else:
        lines.append("预览：尚未发布")
    return lines


def movement_sentences(ranking: Ranking, attribution: Attribution | None) -> list[str]:
    """名次变化说明: one sentence per unit (analytics.ranking.explain), in the ranking's order."""
    if attribution is None:
        return []
    sentences = explain_all(attribution, ranking.indicators)
    return [sentences[u].text for u in ranking.table["unit_code"] if u in sentences]
