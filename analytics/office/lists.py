"""表扬/约谈 lists by rule (config/office.toml), each entry with the rule that fired and the history behind it.

- 通报表扬: the first `top` places (ties included) of the quarter's published ranking;
- 约谈 (末位): last place of the published ranking in `last_place_quarters` consecutive quarters up to this one;
- 约谈 (落后序时进度): 任务完成率 behind 序时进度 by more than `behind_points` percentage points in each of the
  `behind_months` months up to the quarter's last month with data (exactly `behind_points` does not fire).

Only published (signed-off) rankings count: a preview never puts a unit on a list. The rule functions are pure
(`praise_entries`, `last_place_entries`, `behind_entries`); `office_lists(snapshot, quarter)` gathers their inputs.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from analytics.office.settings import OfficeConfig, load_office_config
from analytics.publication import signoff
from analytics.publication.archive import load_publication
from analytics.ranking.indicator_config import load_indicator_config
from analytics.targets.settings import load_settings
from analytics.targets.unit_tasks import unit_progress_frame
from core import periods
from warehouse.queries import ranking as ranking_queries
from warehouse.queries import targets as target_queries
from warehouse.store import Snapshot

PRAISE, INTERVIEW = "通报表扬", "约谈"
SCHEMA = {"unit_code": pl.String, "unit_name": pl.String, "rule_id": pl.String, "rule": pl.String,
          "history": pl.String}


@dataclass(frozen=True)
class OfficeLists:
    quarter: str
    published: bool              # False: the quarter has no published ranking (no 表扬, no 末位 rule)
    praise: pl.DataFrame         # SCHEMA
    interview: pl.DataFrame      # SCHEMA (a unit fired by two rules appears twice, once per rule)
    rules: tuple[str, ...]       # the rules in force, in words
    config: OfficeConfig


def _frame(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame(rows, schema=SCHEMA)


def _ranked(table: pl.DataFrame) -> pl.DataFrame:
    return table.filter(pl.col("ranked") & pl.col("rank").is_not_null()).sort("rank", "unit_code")


def praise_entries(quarter: str, table: pl.DataFrame | None, top: int) -> pl.DataFrame:
    """Units ranked `top` or better (ties included) in the quarter's published ranking table."""
    if table is None or top <= 0:
        return _frame([])
    label = periods.quarter_zh(quarter)
    rule = f"季度综合排名前{top}位（含并列）"
    return _frame([{"unit_code": r["unit_code"], "unit_name": r["unit_name"], "rule_id": "praise", "rule": rule,
                    "history": f"{label}第{r['rank']}名（综合得分{r['score']:.2f}分）"}
                   for r in _ranked(table).filter(pl.col("rank") <= top).iter_rows(named=True)])


def last_place_entries(tables: list[tuple[str, pl.DataFrame | None]], quarters: int) -> pl.DataFrame:
    """Units last in each of the last `quarters` quarters of `tables` ((quarter, published table or None), oldest
    first). A quarter without a published ranking breaks the run."""
    if quarters <= 0 or len(tables) < quarters:
        return _frame([])
    run = tables[-quarters:]
    if any(t is None for _, t in run):
        return _frame([])
    lasts = []
    for q, t in run:
        ranked = _ranked(t)
        if ranked.is_empty():
            return _frame([])
        bottom = ranked["rank"].max()
        lasts.append({r["unit_code"]: (q, r, ranked.height) for r in ranked.filter(pl.col("rank") == bottom)
                      .iter_rows(named=True)})
    always = set(lasts[0]).intersection(*lasts[1:])
    rule = f"连续{quarters}个季度综合排名末位"
    rows = []
    for code in sorted(always):
        history = "；".join(f"{periods.quarter_zh(q)}第{r['rank']}名（共{n}个单位排名，末位）"
                            for q, r, n in (x[code] for x in lasts))
        rows.append({"unit_code": code, "unit_name": lasts[-1][code][1]["unit_name"], "rule_id": "last_place",
                     "rule": rule,
                     "history": history})
    return _frame(rows)


def _points(x: Decimal) -> str:
    return f"{(x * 100).quantize(Decimal('0.1'))}"


def behind_entries(frames: list[tuple[dt.date, pl.DataFrame]], points: Decimal, months: int) -> pl.DataFrame:
    """Units whose 任务完成率 is behind 序时进度 by more than `points` percentage points in each of the last `months`
    months of `frames` ((month, unit_progress_frame), oldest first, consecutive months)."""
    if months <= 0 or len(frames) < months:
        return _frame([])
    run = frames[-months:]
    limit = points / 100
    behind: list[dict[str, dict]] = []
    for _, f in run:
        rows = f.filter(pl.col("completion").is_not_null()).iter_rows(named=True)
        behind.append({r["unit_code"]: r for r in rows if r["calendar_progress"] - r["completion"] > limit})
    always = set(behind[0]).intersection(*behind[1:])
    rule = f"连续{months}个月任务完成率落后序时进度超过{points.normalize():f}个百分点"
    out = []
    for code in sorted(always):
        parts = []
        for (m, _), b in zip(run, behind, strict=True):
            r = b[code]
            parts.append(f"{periods.month_label(m)}完成率{_points(r['completion'])}%、序时进度"
                         f"{_points(r['calendar_progress'])}%，落后{_points(r['calendar_progress'] - r['completion'])}"
                         "个百分点")
        out.append({"unit_code": code, "unit_name": run[-1][1].filter(pl.col("unit_code") == code)["unit_name"][0],
                    "rule_id": "behind", "rule": rule, "history": "；".join(parts)})
    return _frame(out)


def published_table(snapshot: Snapshot, quarter: str, group_id: str) -> pl.DataFrame | None:
    """The quarter's current published (signed-off) ranking table of the group, or None."""
    pubs = ranking_queries.publications(snapshot, quarter)
    if pubs.is_empty():
        return None
    current = signoff.with_status(pubs, signoff.signoff_table(snapshot)).filter(
        pl.col("current_published") & (pl.col("group_id") == group_id))
    if current.is_empty():
        return None
    return load_publication(snapshot, current["publication_id"][0]).ranking.table


def rules_text(cfg: OfficeConfig) -> tuple[str, ...]:
    i = cfg.interview
    out = []
    if cfg.praise.top:
        out.append(f"通报表扬：季度已发布综合排名前{cfg.praise.top}位（含并列）")
    if i.last_place_quarters:
        out.append(f"约谈：连续{i.last_place_quarters}个季度已发布综合排名末位")
    if i.behind_months:
        out.append(f"约谈：连续{i.behind_months}个月任务完成率落后序时进度超过{i.behind_points.normalize():f}个百分点")
    return tuple(out)


def office_lists(snapshot: Snapshot, quarter: str, cfg: OfficeConfig | None = None,
                 group_id: str | None = None) -> OfficeLists:
    """The quarter's 表扬 and 约谈 lists by the configured rules (rankings of `group_id`, default: the first group)."""
    cfg = cfg or load_office_config()
    periods.parse_quarter(quarter)
    group = group_id or load_indicator_config().group().id
    i = cfg.interview
    quarters = [quarter]
    while len(quarters) < max(i.last_place_quarters, 1):
        quarters.insert(0, periods.previous_quarter(quarters[0]))
    tables = [(q, published_table(snapshot, q, group)) for q in quarters]
    current = tables[-1][1]
    interview = [last_place_entries(tables, i.last_place_quarters)]
    if i.behind_months:
        with target_queries.session(snapshot) as con:
            unit_months = target_queries.unit_months(con)
            submitted = [m for m in target_queries.submitted_months(con) if m <= periods.quarter_months(quarter)[-1]]
        if submitted:
            settings = load_settings()
            last = max(submitted)
            months = [last]
            while len(months) < i.behind_months:
                months.insert(0, (months[0] - dt.timedelta(days=1)).replace(day=1))
            frames = [(m, unit_progress_frame(unit_months, m, settings)[0]) for m in months]
            interview.append(behind_entries(frames, i.behind_points, i.behind_months))
    return OfficeLists(quarter, current is not None, praise_entries(quarter, current, cfg.praise.top),
                       pl.concat(interview), rules_text(cfg), cfg)
