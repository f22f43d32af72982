"""What each role's landing page shows, gathered in one place so the pages only lay it out.

- `leader_overview`: the latest complete quarter's ranking with the change since the quarter before, the province
  against 序时进度 and the year target with one forecast sentence, 10亿元以上 and 三个500强 progress, 红黑榜 and the
  units behind schedule.
- `changes_since`: new loads and new publications after a moment (the user's previous login).
- `work_queue`: the administrator's list for this month, each item naming the page that acts on it.
- `unit_status`: a reporter's own unit — this year's months, problems to fix, and the latest published rank.

Every function takes the serving snapshot first (pages cache per snapshot through `pages.data.load`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import polars as pl

from analytics.publication import monthly
from analytics.ranking import composite, history
from analytics.submissions import status
from analytics.targets import doubling, forecast, province
from analytics.targets.settings import FIVE_HUNDRED_KEY, load_settings
from core import catalog, periods, reporting
from core.money import wan_to_yi
from warehouse.queries import ranking as ranking_queries
from warehouse.queries import sampling as sampling_queries
from warehouse.queries import submissions as submission_queries
from warehouse.store import Snapshot

# --------------------------------------------------------------------------- the quarter to show

def latest_complete_quarter(snapshot: Snapshot, today: dt.date) -> str | None:
    """The latest quarter with data whose reporting deadlines have all passed (as 实时排名 defaults to)."""
    months = submission_queries.months_with_data(snapshot)
    if not months:
        return None
    return history.latest_complete_quarter(periods.quarter_of(max(months)), today, min(months))


# --------------------------------------------------------------------------- leader

@dataclass(frozen=True)
class Progress:
    label: str
    current: int | None
    target: int | None
    path: float | None          # 序时目标 (count expected by now)
    on_track: bool | None
    basis_complete: bool = True  # False: the baseline is not fully in the data, so no verdict

    @property
    def share(self) -> float | None:
        return self.current / self.target * 100 if self.current is not None and self.target else None


@dataclass(frozen=True)
class LeaderOverview:
    quarter: str | None
    ranking: pl.DataFrame            # rank, unit_code, unit_name, score, rank_change (+ = moved up), complete
    incomplete: tuple[str, ...]      # units whose quarter is incomplete
    as_of: dt.date | None            # latest month with data
    ytd_yi: Decimal | None
    target_yi: Decimal | None
    completion_pct: float | None
    schedule_pct: float | None
    forecast_sentence: str
    targets: tuple[Progress, ...]    # 10亿元以上 and 三个500强
    red: tuple[str, ...]
    black: tuple[str, ...]
    behind: pl.DataFrame             # unit_name, completion_pct, gap_pct (below 序时进度), worst first


def _forecast_sentence(p: province.ProvinceProgress | None) -> str:
    if p is None:
        return "暂无数据，无法预测全年到位资金。"
    ye = p.year_end
    if ye.point_wan is None:
        return "；".join(ye.messages) or "历史数据不足，暂不预测全年到位资金。"
    point = wan_to_yi(ye.point_wan)
    band = (f"（{province.interval_text(ye)}）"
            if ye.low_wan is not None or ye.reliability == forecast.UNRELIABLE else "")
    if not p.target_wan:
        return f"按往年同期进度推算，{p.year}年全年到位资金约 {point:,} 亿元{band}。"
    share = ye.point_wan / p.target_wan * 100
    verdict = province._verdict(p.target_wan, ye.point_wan, ye.low_wan, ye.high_wan, ye.reliability)
    return (f"按往年同期进度推算，{p.year}年全年到位资金约 {point:,} 亿元{band}，"
            f"为年度目标的 {share:.0f}%，{verdict}。")


def _progress_rows(major: doubling.MajorOverview | None) -> tuple[Progress, ...]:
    if major is None:
        return ()
    settings = load_settings()
    out = []
    for key in (settings.tiers[0].label, FIVE_HUNDRED_KEY):
        row = doubling._summary_row(major.doubling, key)
        label = key if key != FIVE_HUNDRED_KEY else "三个500强企业"
        if row is None:
            out.append(Progress(label, None, None, None, None))
            continue
        out.append(Progress(label, row["current_count"], row["target_count"], row.get("path_count"), row.get("on_track"),
                            bool(row.get("basis_complete", True))))
    return tuple(out)


def leader_overview(snapshot: Snapshot, today: dt.date) -> LeaderOverview:
    months = submission_queries.months_with_data(snapshot)
    as_of = months[-1] if months else None
    quarter = latest_complete_quarter(snapshot, today)
    table = pl.DataFrame(schema={"rank": pl.Int64, "unit_code": pl.String, "unit_name": pl.String,
                                 "score": pl.Float64, "rank_change": pl.Int64, "complete": pl.Boolean})
    incomplete: tuple[str, ...] = ()
    if quarter is not None:
        ranking = composite.rank_quarter(snapshot, quarter)
        past = history.rank_history(snapshot, quarter, quarters=2)
        table = history.rank_changes(ranking.table, past, quarter).select(
            pl.col("rank").cast(pl.Int64), "unit_code", "unit_name", "score",
            pl.col("rank_change").cast(pl.Int64), "complete")
        incomplete = tuple(ranking.incomplete_units()["unit_name"].to_list())
    prog = province.province_progress(snapshot) if as_of else None
    last = prog.months.frame.row(prog.months.frame.height - 1, named=True) if prog else None
    bulletin = monthly.monthly_bulletin(snapshot, as_of) if as_of else None
    behind = (bulletin.table.filter(pl.col("gap_pct") < 0).sort("gap_pct").select("unit_name", "completion_pct",
                                                                                  "gap_pct")
              if bulletin else pl.DataFrame(schema={"unit_name": pl.String, "completion_pct": pl.Float64,
                                                    "gap_pct": pl.Float64}))
    return LeaderOverview(
        quarter=quarter, ranking=table, incomplete=incomplete, as_of=as_of,
        ytd_yi=wan_to_yi(last["ytd_wan"]) if last else None,
        target_yi=wan_to_yi(prog.target_wan) if prog and prog.target_wan else None,
        completion_pct=float(last["completion"]) * 100 if last and last["completion"] is not None else None,
        schedule_pct=float(last["calendar_progress"]) * 100 if last else None,
        forecast_sentence=_forecast_sentence(prog),
        targets=_progress_rows(doubling.major_overview(snapshot) if as_of else None),
        red=bulletin.red if bulletin else (), black=bulletin.black if bulletin else (), behind=behind,
    )


# --------------------------------------------------------------------------- since the last visit

@dataclass(frozen=True)
class Changes:
    since: dt.datetime | None
    files_loaded: int
    units: tuple[str, ...]
    latest_month: dt.date | None
    publications: tuple[str, ...]    # e.g. "2026年第三季度（2026-10-20 发布）"


def changes_since(snapshot: Snapshot, since: dt.datetime | None) -> Changes:
    log = submission_queries.load_log(snapshot, limit=100_000).filter(pl.col("outcome") == "loaded")
    pubs = ranking_queries.publications(snapshot)
    if since is not None:
        log = log.filter(pl.col("loaded_at") > since)
        pubs = pubs.filter(pl.col("published_at") > since)
    codes = sorted(set(log["unit_code"].drop_nulls().to_list()), key=catalog.unit_name)
    return Changes(
        since, log.height, tuple(catalog.unit_name(c) for c in codes),
        log["month"].max() if log.height else None,
        tuple(f"{periods.quarter_zh(r['quarter'])}（{r['published_at']:%Y-%m-%d} 发布）" for r in pubs.iter_rows(named=True)),
    )


# --------------------------------------------------------------------------- administrator

@dataclass(frozen=True)
class Task:
    kind: str        # missing | late | quarantine | rejected | publish | sample
    text: str
    page: str        # url path of the page that acts on it
    action: str      # the link's label


def due_month(today: dt.date) -> dt.date:
    """The month whose reports fall due this calendar month (reports for month m are due early in m+1)."""
    return periods.add_months(today.replace(day=1), -1)


def work_queue(snapshot: Snapshot, today: dt.date, now: dt.datetime) -> tuple[dt.date, tuple[Task, ...]]:
    month = due_month(today)
    tasks: list[Task] = []
    classified = status.classify(submission_queries.completeness(snapshot, month.year, reporting.combined_jan_feb(month.year)), now)
    this = classified.filter(pl.col("month") == month)
    label = reporting.report_label(month)
    deadline = status.deadline_for(month)
    for kind, state, verb in (("missing", status.STATUS_MISSING, "已过截止日仍未报送"),
                              ("pending", status.STATUS_NOT_DUE, f"尚未报送（截止 {deadline:%m月%d日}）"),
                              ("late", status.STATUS_LATE, "迟报")):
        names = this.filter(pl.col("status") == state)["unit_name"].to_list()
        if names:
            tasks.append(Task(kind, f"{label}报表{verb}：{'、'.join(names)}（{len(names)} 个单位）", "submissions",
                              "去数据报送催报"))
    recent = classified.filter((pl.col("month") >= periods.add_months(month, -2)) & (pl.col("month") <= month)
                               & pl.col("has_quarantine"))
    for (m,), rows in sorted(recent.group_by("month"), key=lambda g: g[0][0], reverse=True):
        units = "、".join(f"{r['unit_name']} {r['rows_quarantined']} 行" for r in rows.sort("sort_order").iter_rows(named=True))
        tasks.append(Task("quarantine", f"{reporting.report_label(m)}报表有隔离行、待更正重报（{rows.height} 个单位）：{units}",
                          "submissions", "查看校验报告"))
    log = submission_queries.load_log(snapshot, limit=500)
    rejected = log.filter((pl.col("outcome") == "rejected") & (pl.col("loaded_at") >= dt.datetime.combine(
        today.replace(day=1), dt.time())))
    if rejected.height:
        tasks.append(Task("rejected", f"本月有 {rejected.height} 个文件被拒收（最近：{rejected['file_name'][0]}）",
                          "submissions", "查看拒收原因"))
    q = latest_complete_quarter(snapshot, today)
    if q:
        if ranking_queries.publications(snapshot, q).is_empty():
            tasks.append(Task("publish", f"{periods.quarter_zh(q)}数据已齐、报送截止日已过，排名尚未发布",
                              "publication", "去发布季度排名"))
        if sampling_queries.sample_count(snapshot, q) == 0:
            tasks.append(Task("sample", f"{periods.quarter_zh(q)}尚未抽取核查样本", "verification", "去抽样核查"))
    return month, tuple(tasks)


# --------------------------------------------------------------------------- reporter

@dataclass(frozen=True)
class UnitStatus:
    unit_code: str
    unit_name: str
    due_month: dt.date
    due_at: dt.datetime
    due_received: bool
    months: pl.DataFrame     # month label, status, received_at, rows_quarantined, warnings, file_name
    problems: tuple[str, ...]
    published_quarter: str | None
    published_rank: int | None
    published_units: int | None
    published_score: float | None


def unit_status(snapshot: Snapshot, unit_code: str, today: dt.date, now: dt.datetime) -> UnitStatus:
    month = due_month(today)
    classified = status.classify(submission_queries.completeness(snapshot, month.year, reporting.combined_jan_feb(month.year)), now).filter(
        (pl.col("unit_code") == unit_code) & (pl.col("month") <= month))
    due_row = classified.filter(pl.col("month") == month)
    problems = [f"{reporting.report_label(r['month'])}报表有 {r['rows_quarantined']} 行被隔离，请按校验报告更正后重报"
                for r in classified.filter(pl.col("has_quarantine")).iter_rows(named=True)]
    problems += [f"{reporting.report_label(r['month'])}报表缺报，请尽快补报"
                 for r in classified.filter(pl.col("status") == status.STATUS_MISSING).iter_rows(named=True)]
    pubs = ranking_queries.publications(snapshot).filter(pl.col("is_current"))
    rank = score = units = quarter = None
    if pubs.height:
        latest = pubs.row(0, named=True)
        quarter, units = latest["quarter"], latest["units"]
        own = ranking_queries.published_ranking(snapshot, latest["publication_id"]).filter(
            pl.col("unit_code") == unit_code)
        if own.height:
            rank, score = own["rank"][0], own["score"][0]
    months = classified.sort("month", descending=True).select(
        pl.col("month").map_elements(reporting.report_label, return_dtype=pl.String).alias("month"),
        "status", "received_at", pl.col("rows_quarantined").fill_null(0), pl.col("warnings").fill_null(0), "file_name")
    return UnitStatus(
        unit_code, catalog.unit_name(unit_code), month, status.deadline_for(month),
        bool(due_row.height and due_row["version"][0] is not None), months, tuple(problems),
        quarter, rank, units, score)
