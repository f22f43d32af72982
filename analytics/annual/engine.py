"""年终总评 engine: the year's score per unit from the quarters, the 半年督查 result, the year's deductions (once) and
the administrator's 加分/扣分 items; ranks and grades.

`annual_inputs(snapshot, year, ...)` reads everything from the warehouse into `AnnualInputs` (JSON-ready: stored
with a publication); `assess(inputs, config)` is the pure part (also used to recompute a publication).

Declared rules (config/annual.toml says the numbers):
- A quarter's *indicator score* is the quarterly ranking's weighted indicator score WITHOUT its bonus/deduction
  points (Σ of the contributions of kind "indicator"), to 0.0001 point. The quarterly ranking is the quarter's
  current published ranking when there is one, else the preview on current data (marked).
- Deductions are counted once: the quarterly ranking counts its deductions over the year-to-date window, so a
  January late report is inside Q1's, Q2's, Q3's and Q4's scores. The annual score therefore never takes them from
  the quarters; it recounts every deduction once over January–December and applies each deduction's cap once.
- Quarters part: Σ wₙ × scoreₙ (weights sum to 1; a unit without a quarter's score has that weight shared among
  its other quarters, flagged), or the Q4 year-to-date indicator score.
- A unit without its 半年督查 score: the quarters part takes the supervision share too (flagged; not publishable).
- Items: bonuses summed and capped at max_bonus, penalties at max_penalty.
- Score kept within 0–100 (the cut is shown), to 0.00000001 point; competition ranks (1, 2, 2, 4) on it.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from analytics.annual.settings import AnnualConfig
from analytics.publication import signoff
from analytics.publication.archive import load_publication
from analytics.ranking.composite import Ranking, rank_quarter
from analytics.ranking.indicator_config import IndicatorConfig, load_indicator_config
from analytics.ranking.indicators import compute_indicator_values
from analytics.ranking.normalise import RankingError
from core import catalog, periods
from warehouse.queries import annual as q
from warehouse.queries import targets as target_queries
from warehouse.store import Snapshot

ENGINE_VERSION = "annual-engine-1.0"
QUARTER_NAMES = "一二三四"
SCORE_PLACES = Decimal("0.00000001")
QUARTER_PLACES = Decimal("0.0001")
HUNDRED = Decimal(100)

TABLE_SCHEMA = {"unit_code": pl.String, "unit_name": pl.String, "score": pl.Float64, "rank": pl.Int64,
                "rank_median": pl.Int64, "rank_q05": pl.Int64, "rank_q95": pl.Int64, "complete": pl.Boolean,
                "ranked": pl.Boolean, "grade": pl.String, "score_exact": pl.String, "quarters_part": pl.String,
                "supervision": pl.String, "deductions": pl.String, "items": pl.String, "cut": pl.String,
                "flags": pl.String}
BREAKDOWN_SCHEMA = {"unit_code": pl.String, "part": pl.String, "item": pl.String, "value": pl.String,
                    "weight": pl.String, "points": pl.String, "detail": pl.String}
RECORD_COLUMNS = ["unit_code", "unit_name", "score", "rank", "rank_median", "rank_q05", "rank_q95", "complete",
                  "flags", "grade"]


def dec(x) -> Decimal | None:
    return None if x is None else Decimal(str(x))


def _s(x: Decimal | None) -> str | None:
    return None if x is None else format(x, "f")


@dataclass(frozen=True)
class AnnualInputs:
    """Everything the annual score is computed from (JSON-ready; numbers as exact decimal strings).

    quarters: [{quarter, source: published|preview|missing, publication_id, indicator_version, window,
                scores: {unit: "81.2345" | None}}]
    deductions: {specs: [{id, name, points_per, max_points}], counts: {unit: {id: n}}, details: {unit: {id: text}}}
    supervision: {unit: {entry_id, score, note, entered_by}}
    items: [{entry_id, unit_code, item_id, item_name, points, note, entered_by}]
    """

    year: int
    group_id: str
    group_name: str
    units: tuple[tuple[str, str], ...]
    quarters: tuple[dict, ...]
    deductions: dict
    supervision: dict
    items: tuple[dict, ...]
    data_cutoff: str | None

    def to_dict(self) -> dict:
        d = dataclasses.asdict(self)
        d["units"], d["quarters"], d["items"] = [list(u) for u in self.units], list(self.quarters), list(self.items)
        return d

    @classmethod
    def from_dict(cls, d: dict) -> "AnnualInputs":
        return cls(d["year"], d["group_id"], d["group_name"], tuple(tuple(u) for u in d["units"]),
                   tuple(d["quarters"]), d["deductions"], d["supervision"], tuple(d["items"]), d["data_cutoff"])

    @property
    def previewed(self) -> tuple[str, ...]:
        return tuple(x["quarter"] for x in self.quarters if x["source"] == "preview")

    @property
    def published(self) -> tuple[str, ...]:
        return tuple(x["quarter"] for x in self.quarters if x["source"] == "published")

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(x["quarter"] for x in self.quarters if x["source"] == "missing")


@dataclass(frozen=True)
class AnnualAssessment:
    """The year's result. table: TABLE_SCHEMA ordered by rank; breakdown: per unit, every part of the score."""

    year: int
    group_id: str
    group_name: str
    config_version: str
    config_sha256: str
    engine_version: str
    method_text: str
    table: pl.DataFrame
    breakdown: pl.DataFrame
    inputs: AnnualInputs

    @property
    def all_complete(self) -> bool:
        return bool(self.table["complete"].all())

    def records(self) -> list[dict]:
        """The `rank` command's columns plus grade."""
        return self.table.select(RECORD_COLUMNS).to_dicts()

    def results_dict(self) -> dict:
        return {"engine_version": self.engine_version, "table": self.table.to_dicts(),
                "breakdown": self.breakdown.to_dicts()}

    def missing_supervision(self) -> list[str]:
        """Ranked units without a 半年督查 score, in the official unit order."""
        order = {u.code: i for i, u in enumerate(catalog.units())}
        rows = sorted((r for r in self.table.iter_rows(named=True) if r["ranked"] and r["supervision"] is None),
                      key=lambda r: order.get(r["unit_code"], len(order)))
        return [r["unit_name"] for r in rows]


# --------------------------------------------------------------------------- the pure part

def _clip(x: Decimal, cap: Decimal) -> Decimal:
    return max(-cap, min(cap, x))


def _quarters_part(config: AnnualConfig, inputs: AnnualInputs, unit: str, rows: list, flags: list):
    scores = [dec(x["scores"].get(unit)) for x in inputs.quarters]
    if config.quarter_method == "q4_ytd":
        s = scores[3]
        rows.append(("quarters", f"{inputs.year}Q4", _s(s), "1", _s(s), "第四季度（年初至年末）指标得分"))
        if s is None:
            flags.append("第四季度无排名，无法计算年度得分")
        return s
    weights = config.quarter_weights
    have = [(w, s, x["quarter"]) for w, s, x in zip(weights, scores, inputs.quarters) if s is not None]
    total = sum((w for w, _, _ in have), Decimal(0))
    for w, s, x in zip(weights, scores, inputs.quarters):
        note = {"published": f"已发布排名 {x['publication_id']}", "preview": "预览（未发布）",
                "missing": "无数据"}[x["source"]]
        rows.append(("quarters", x["quarter"], _s(s), _s(w), _s(None if s is None else s * w), note))
    if not have or total == 0:
        flags.append("各季度均无排名，无法计算年度得分")
        return None
    lacking = [periods.quarter_zh(x["quarter"]) for s, x in zip(scores, inputs.quarters) if s is None]
    if lacking:
        flags.append(f"{'、'.join(lacking)}无排名，其权重按比例分配给其余季度")
    return (sum((w * s for w, s, _ in have), Decimal(0)) / total).quantize(SCORE_PLACES, ROUND_HALF_UP)


def _deductions(inputs: AnnualInputs, unit: str, rows: list) -> Decimal:
    total = Decimal(0)
    counts = inputs.deductions["counts"].get(unit, {})
    details = inputs.deductions["details"].get(unit, {})
    for spec in inputs.deductions["specs"]:
        n = int(counts.get(spec["id"], 0))
        per = dec(spec["points_per"])
        cap = dec(spec["max_points"])
        points = (n * per if cap is None else _clip(n * per, cap)) + Decimal(0)  # + 0: no negative zero
        total += points
        rows.append(("deductions", spec["name"], str(n), _s(per), _s(points),
                     f"全年（1—12月）{details.get(spec['id'], '')}；全年只计一次"
                     + (f"，最多 {cap} 分" if cap is not None else "")))
    return total


def _items(config: AnnualConfig, inputs: AnnualInputs, unit: str, rows: list, flags: list) -> Decimal:
    bonus, penalty = Decimal(0), Decimal(0)
    for it in inputs.items:
        if it["unit_code"] != unit:
            continue
        p = dec(it["points"])
        bonus, penalty = (bonus + p, penalty) if p > 0 else (bonus, penalty - p)
        rows.append(("items", it["item_name"], None, None, _s(p),
                     f"{it['entry_id']}，{it['entered_by']} 录入；依据：{it['note']}"))
    if bonus > config.max_bonus:
        flags.append(f"加分合计 {bonus} 分，按上限 {config.max_bonus} 分计")
        bonus = config.max_bonus
    if penalty > config.max_penalty:
        flags.append(f"扣分合计 {penalty} 分，按上限 {config.max_penalty} 分计")
        penalty = config.max_penalty
    return bonus - penalty


def _competition_ranks(scores: list[Decimal | None]) -> list[int | None]:
    return [None if s is None else 1 + sum(1 for t in scores if t is not None and t > s) for s in scores]


def assess(inputs: AnnualInputs, config: AnnualConfig) -> AnnualAssessment:
    """The annual score, rank and grade of every unit (pure: no warehouse access)."""
    rows, breakdown = [], []
    for unit, name in inputs.units:
        flags, parts = [], []
        qp = _quarters_part(config, inputs, unit, parts, flags)
        sup_entry = inputs.supervision.get(unit)
        sup = dec(sup_entry["score"]) if sup_entry else None
        ded = _deductions(inputs, unit, parts)
        items = _items(config, inputs, unit, parts, flags)
        complete = not flags
        score = raw = cut = None
        if qp is not None:
            if sup is None and config.supervision_share > 0:
                flags.append("半年督查结果未录入，暂按季度部分计（不能发布）")
                complete = False
                base = qp
            else:
                base = qp * config.quarters_share + (sup or Decimal(0)) * config.supervision_share
            raw = (base + ded + items).quantize(SCORE_PLACES, ROUND_HALF_UP)
            score = max(Decimal(0), min(HUNDRED, raw))
            cut = score - raw
            if cut:
                flags.append("得分超出 0–100，已截至边界")
        parts.insert(0, ("supervision", "半年督查", _s(sup), _s(config.supervision_share),
                         _s(None if sup is None else sup * config.supervision_share),
                         f"{sup_entry['entry_id']}，{sup_entry['entered_by']} 录入；{sup_entry['note']}" if sup_entry
                         else "未录入"))
        share = Decimal(1) if sup is None and config.supervision_share > 0 else config.quarters_share
        parts.insert(0, ("quarters_part", "季度部分", _s(qp), _s(share),
                         _s(None if qp is None else qp * share), config.method_text.split("；")[0]))
        if cut:
            parts.append(("cut", "得分截至 0–100", None, None, _s(cut), ""))
        breakdown += [(unit, *p) for p in parts]
        rows.append({"unit_code": unit, "unit_name": name, "exact": score, "complete": complete,
                     "qp": qp, "sup": sup, "ded": ded, "items": items, "cut": cut, "flags": flags})
    ranks = _competition_ranks([r["exact"] for r in rows])
    table = pl.DataFrame([{
        "unit_code": r["unit_code"], "unit_name": r["unit_name"],
        "score": None if r["exact"] is None else float(r["exact"]), "rank": k,
        "rank_median": None, "rank_q05": None, "rank_q95": None, "complete": r["complete"],
        "ranked": r["exact"] is not None, "grade": config.grade_of(r["exact"], k),
        "score_exact": _s(r["exact"]), "quarters_part": _s(r["qp"]), "supervision": _s(r["sup"]),
        "deductions": _s(r["ded"]), "items": _s(r["items"]), "cut": _s(r["cut"]), "flags": "；".join(r["flags"]),
    } for r, k in zip(rows, ranks)], schema=TABLE_SCHEMA).sort(["rank", "unit_code"], nulls_last=True)
    return AnnualAssessment(
        year=inputs.year, group_id=inputs.group_id, group_name=inputs.group_name, config_version=config.version,
        config_sha256=config.sha256, engine_version=ENGINE_VERSION, method_text=config.method_text, table=table,
        breakdown=pl.DataFrame(breakdown, schema=BREAKDOWN_SCHEMA, orient="row"), inputs=inputs)


# --------------------------------------------------------------------------- reading the warehouse

def indicator_scores(ranking: Ranking) -> dict[str, str | None]:
    """Per unit: the ranking's weighted indicator score without bonus/deduction points (None when not ranked)."""
    sums = (ranking.contributions.filter(pl.col("kind") == "indicator")
            .group_by("unit_code").agg(pl.col("contribution").sum()))
    by_unit = dict(sums.iter_rows())
    return {r["unit_code"]: _s(dec(by_unit[r["unit_code"]]).quantize(QUARTER_PLACES, ROUND_HALF_UP))
            if r["ranked"] else None for r in ranking.table.iter_rows(named=True)}


def _quarter(snapshot: Snapshot, quarter: str, config: IndicatorConfig, group_id: str, reported: set,
             published_id) -> tuple[dict, dt.datetime | None]:
    if not reported & set(periods.quarter_months(quarter)):
        return {"quarter": quarter, "source": "missing", "publication_id": None, "indicator_version": None,
                "window": None, "scores": {}}, None
    pid = published_id(snapshot, quarter, group_id)
    if pid:
        pub = load_publication(snapshot, pid)
        ranking, window, source = pub.ranking, pub.config.window, "published"
    else:
        try:
            ranking = rank_quarter(snapshot, quarter, config, group_id)
        except RankingError:
            return {"quarter": quarter, "source": "missing", "publication_id": None, "indicator_version": None,
                    "window": None, "scores": {}}, None
        window, source = config.window, "preview"
    return {"quarter": quarter, "source": source, "publication_id": pid, "indicator_version": ranking.config_version,
            "window": window, "scores": indicator_scores(ranking)}, ranking.data_cutoff


def annual_inputs(snapshot: Snapshot, year: int, config: AnnualConfig, indicator_config: IndicatorConfig | None = None,
                  group_id: str | None = None, published_id=None) -> AnnualInputs:
    """Read the year: each quarter's indicator scores, the year's deduction counts, 半年督查 scores, items.

    `published_id(snapshot, quarter, group_id)` names the quarter's current published ranking (None: preview).
    """
    indicator_config = indicator_config or load_indicator_config()
    group = indicator_config.group(group_id)
    published_id = published_id or signoff.current_published_id
    reported = set(target_queries.submitted_months(snapshot))
    quarters, cutoffs = [], []
    for n in range(1, 5):
        x, cutoff = _quarter(snapshot, periods.quarter_label(year, n), indicator_config, group.id, reported,
                             published_id)
        quarters.append(x)
        cutoffs.append(cutoff)
    if all(x["source"] == "missing" for x in quarters):
        raise ValueError(f"{year}年各季度均无可排名的数据，无法进行年度考核")
    if config.quarter_method == "q4_ytd" and quarters[3]["window"] not in (None, "ytd"):
        raise ValueError("年度考核办法取第四季度年初至年末排名，但该排名的指标期间为“本季度”：请将指标体系的 "
                         "window 设为 \"ytd\"，或在 config/annual.toml 改用季度加权法")
    year_values = compute_indicator_values(
        snapshot, periods.quarter_label(year, 4), dataclasses.replace(indicator_config, window="ytd"), group.id)
    counts, details = {}, {}
    for r in year_values.adjustments.iter_rows(named=True):
        counts.setdefault(r["unit_code"], {})[r["adjustment_id"]] = r["count"]
        details.setdefault(r["unit_code"], {})[r["adjustment_id"]] = r["detail"]
    specs = [{"id": a.id, "name": a.name, "points_per": _s(dec(a.points_per)), "max_points": _s(dec(a.max_points))}
             for a in indicator_config.adjustments]
    sup = {r["unit_code"]: {"entry_id": r["entry_id"], "score": _s(r["score"]), "note": r["note"],
                            "entered_by": r["entered_by"]} for r in q.supervision(snapshot, year).iter_rows(named=True)
           if r["unit_code"] in group.units}
    items = tuple({"entry_id": r["entry_id"], "unit_code": r["unit_code"], "item_id": r["item_id"],
                   "item_name": r["item_name"], "points": _s(r["points"]), "note": r["note"],
                   "entered_by": r["entered_by"]} for r in q.items(snapshot, year).iter_rows(named=True)
                  if r["unit_code"] in group.units)
    known = [c for c in cutoffs if c is not None]
    return AnnualInputs(
        year=year, group_id=group.id, group_name=group.name,
        units=tuple((u, catalog.unit_name(u)) for u in group.units), quarters=tuple(quarters),
        deductions={"specs": specs, "counts": counts, "details": details}, supervision=sup, items=items,
        data_cutoff=max(known).isoformat() if known else None)


def assess_year(snapshot: Snapshot, year: int, config: AnnualConfig, indicator_config: IndicatorConfig | None = None,
                group_id: str | None = None, published_id=None) -> AnnualAssessment:
    return assess(annual_inputs(snapshot, year, config, indicator_config, group_id, published_id), config)
