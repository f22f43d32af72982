"""The province month by month against 序时进度 and the milestones, the year-end and 2026 forecasts, the chart path and the forecast's back-test (the 目标进度 page)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from analytics import metrics
from analytics.tables import Column, Figure, Table, column, percent
from analytics.targets import forecast, quotas
from analytics.targets.settings import Settings, default_as_of, load_settings
from analytics.targets.unit_tasks import RATIO, UnitsProgress, units_progress
from core import catalog, money, reporting
from warehouse.queries import targets as queries
from warehouse.store import Source

# --------------------------------------------------------------------------- province

PROVINCE_COLUMNS = (
    Column("month", "月份"),
    Column("units_reported", "报送单位数", "个", "当月已报送的被考核单位数"),
    Column("funds_month_wan", "当月到位资金", "亿元", "全省当月到位资金（省外境内、境外资金）"),
    Column("ytd_wan", "年初至今到位资金", "亿元", "本年1月至当月累计"),
    Column("yoy", "同比增长", "%", "年初至今到位资金较上年同期的增长率"),
    metrics.CALENDAR_PROGRESS.column(),
    Column("expected_wan", "序时目标", "亿元", "年度目标 × m ÷ 12"),
    Column("completion", "目标完成率", "%", "年初至今到位资金 ÷ 年度目标"),
    Column("ahead", "达到序时进度", definition="目标完成率不低于序时进度"),
    Column("forecast_wan", "全年预测", "亿元", forecast.DEFINITION),
    Column("forecast_low_wan", "预测下限", "亿元", "预测区间下限"),
    Column("forecast_high_wan", "预测上限", "亿元", "预测区间上限"),
)

MILESTONE_COLUMNS = (
    Column("year", "年度"),
    Column("milestone_wan", "目标", "亿元", "甘办发〔2024〕6号确定的全省到位资金目标"),
    Column("actual_wan", "实际/年初至今", "亿元", "已结束年度为全年实际数，当年为年初至今数"),
    Column("forecast_wan", "预测", "亿元", "当年为全年预测，以后年度为按历史增长外推"),
    Column("forecast_low_wan", "预测下限", "亿元"),
    Column("forecast_high_wan", "预测上限", "亿元"),
    Column("required_growth", "所需年均增长", "%", "从当年预测值到达目标所需的年均增长率"),
    Column("status", "判断"),
)


PATH_COLUMNS = (
    Column("month", "月份"),
    Column("ytd_wan", "本年累计", "亿元", "本年1月至当月末累计到位资金（截至所选月份）"),
    Column("last_year_wan", "上年同期累计", "亿元", "上年1月至同月末累计到位资金；上年有缺报月份时不显示"),
    Column("calendar_wan", "序时目标", "亿元", "年度目标 × m ÷ 12"),
    Column("forecast_wan", "预测累计", "亿元", "自所选月份起各月末累计到位资金的预测（季节占比法，12月即全年预测）"),
    Column("forecast_low_wan", "预测下限", "亿元", "预测区间下限"),
    Column("forecast_high_wan", "预测上限", "亿元", "预测区间上限"),
)

BACKTEST_COLUMNS = (
    Column("horizon", "提前月数", "个月", "预测时点距年末的月数：用1–m月数据预测全年，即提前 12−m 个月"),
    Column("forecasts", "回测次数", "次", "以往完整年度中可在该提前期做出预测的次数"),
    Column("mape", "平均绝对百分比误差", "%", "|预测全年 − 实际全年| ÷ 实际全年，按回测次数平均（MAPE）"),
    Column("interval_forecasts", "有区间的回测次数", "次", "此前已有两个及以上完整年度、能给出预测区间的次数"),
    Column("coverage", "区间覆盖率", "%", "实际全年落在预测区间内的比例，应接近区间的名义水平"),
)


@dataclass(frozen=True)
class ProvinceProgress:
    year: int
    month: int
    target_wan: Decimal | None
    target_source: str
    months: Table
    milestones: Table
    path: Table                       # 12 months: this year, last year, 序时目标 and the forecast fan (for the chart)
    year_end: forecast.YearEndForecast
    backtest: Table                   # MAPE and interval coverage by months ahead
    backtest_error: Figure            # the back-test MAPE at this forecast's horizon
    units: UnitsProgress              # every unit against its task at the same month
    figures: tuple[Figure, ...]
    messages: tuple[str, ...]
    technical: tuple[str, ...] = ()   # method version and data fingerprint, for the admin 技术信息 fold only


def annual_target(totals: dict[int, dict[int, Decimal]], year: int, settings: Settings) -> tuple[Decimal | None, str]:
    """The province's 到位资金 target for `year`: the configured milestone, else last year × (1 + required growth)."""
    if year in settings.milestones_wan:
        return settings.milestones_wan[year], f"省定目标（{year}年）"
    prior = totals.get(year - 1, {})
    if len(prior) == reporting.months_per_year(year - 1):
        growth = settings.required_growth
        return (sum(prior.values()) * (1 + growth)).quantize(quotas.WAN), f"上年实绩×(1+{growth})"
    return None, "无（未配置当年目标且上年数据不完整）"


def province_months_frame(monthly: pl.DataFrame, as_of: dt.date, target: Decimal | None,
                          level: float, bt: forecast.Backtest | None = None) -> pl.DataFrame:
    """Pure: the province month by month for as_of's year through as_of, with the forecast made at each month
    (its interval calibrated by the back-test `bt` when given: see forecast.calibrate)."""
    table = forecast.monthly_table(monthly)
    units = {m: n for m, n in monthly.select("month", "units_reported").iter_rows()}
    this, last = table.get(as_of.year, {}), table.get(as_of.year - 1, {})
    rows, ytd, prior_ytd = [], Decimal(0), Decimal(0)
    for m in range(1, as_of.month + 1):
        month_date = dt.date(as_of.year, m, 1)
        ytd += this.get(m, Decimal(0))
        prior_ytd += last.get(m, Decimal(0))
        if not reporting.has_own_report(month_date):  # 1—2月合报: January is shown as part of 1—2月, no row
            continue
        f = forecast.forecast_year_end(monthly, as_of.year, m, level)
        f = forecast.calibrate(f, bt) if bt is not None else f
        full_prior = all(i in last for i in range(1, m + 1) if reporting.has_own_report(dt.date(as_of.year - 1, i, 1)))
        rows.append({
            "month": month_date, "units_reported": units.get(month_date, 0),
            "funds_month_wan": this.get(m), "ytd_wan": ytd,
            "yoy": (ytd / prior_ytd - 1).quantize(RATIO, rounding=ROUND_HALF_UP) if full_prior and prior_ytd > 0 else None,
            "calendar_progress": quotas.calendar_progress(m),
            "expected_wan": quotas.calendar_expected_wan(target, m) if target else None,
            "completion": (ytd / target).quantize(RATIO, rounding=ROUND_HALF_UP) if target else None,
            "ahead": ytd * 12 >= target * m if target else None,
            "forecast_wan": f.point_wan, "forecast_low_wan": f.low_wan, "forecast_high_wan": f.high_wan,
        })
    amount = pl.Decimal(18, 4)
    schema = {"month": pl.Date, "units_reported": pl.Int32, "funds_month_wan": amount, "ytd_wan": amount,
              "yoy": pl.Decimal(18, 4), "calendar_progress": pl.Decimal(18, 6), "expected_wan": amount,
              "completion": pl.Decimal(18, 4), "ahead": pl.Boolean, "forecast_wan": amount,
              "forecast_low_wan": amount, "forecast_high_wan": amount}
    return pl.DataFrame(rows, schema=schema)


def province_path_frame(monthly: pl.DataFrame, as_of: dt.date, target: Decimal | None,
                        level: float, bt: forecast.Backtest | None = None) -> pl.DataFrame:
    """Pure: the twelve months of as_of's year: the cumulative actual through as_of, last year's cumulative,
    the 序时目标 path and, from as_of on, the forecast of the cumulative with its interval (the fan, calibrated by
    the back-test `bt` when given)."""
    table = forecast.monthly_table(monthly)
    this, last = table.get(as_of.year, {}), table.get(as_of.year - 1, {})
    path = forecast.forecast_path(monthly, as_of.year, as_of.month, level)
    if bt is not None:
        model = forecast.forecast_year_end(monthly, as_of.year, as_of.month, level)
        path = forecast.calibrate_path(path, model, forecast.calibrate(model, bt))
    fan = {r["month"].month: r for r in path.iter_rows(named=True)}
    rows, ytd, prior = [], Decimal(0), Decimal(0)
    for m in range(1, 13):
        ytd += this.get(m, Decimal(0)) if m <= as_of.month else Decimal(0)
        prior += last.get(m, Decimal(0))
        f = fan.get(m, {})
        rows.append({
            "month": dt.date(as_of.year, m, 1), "ytd_wan": ytd if m <= as_of.month else None,
            "last_year_wan": prior if all(i in last for i in range(1, m + 1)) else None,
            "calendar_wan": quotas.calendar_expected_wan(target, m) if target else None,
            "forecast_wan": f.get("forecast_wan"), "forecast_low_wan": f.get("low_wan"),
            "forecast_high_wan": f.get("high_wan"),
        })
    amount = pl.Decimal(18, 4)
    return pl.DataFrame(rows, schema={"month": pl.Date, "ytd_wan": amount, "last_year_wan": amount,
                                      "calendar_wan": amount, "forecast_wan": amount, "forecast_low_wan": amount,
                                      "forecast_high_wan": amount})


def backtest_view(monthly: pl.DataFrame, as_of: dt.date, level: float,
                  bt: forecast.Backtest | None = None) -> tuple[Table, Figure]:
    """Pure: the back-test of the forecast on the complete years in `monthly` (data through as_of only), as a table
    by months ahead, and the error at the horizon of the forecast made at as_of."""
    bt = bt or forecast.backtest(monthly, level)
    years = sorted(set(bt.detail["year"].to_list()))
    horizon = 12 - as_of.month
    label = f"回测误差（提前 {horizon} 个月）"
    definition = "以往每个完整年度在同一月份用同一方法（只用当时已有的数据）预测全年，预测与实际之差占实际的平均比例"
    if not years:
        table = Table("预测方法回测", bt.by_horizon, BACKTEST_COLUMNS,
                      "完整年度不足两个（回测需要至少一个更早的完整年度作为依据），暂无法回测")
        return table, Figure(label, None, "%", definition, note="完整年度不足两个，暂无法回测")
    span = f"{years[0]}–{years[-1]}年" if len(years) > 1 else f"{years[0]}年"
    table = Table(f"预测方法回测（{span}，共 {bt.detail.height} 次）", bt.by_horizon, BACKTEST_COLUMNS,
                  f"区间名义水平 {level:.0%}；区间覆盖率明显低于名义水平时，预测区间改按回测误差放宽或不予显示；"
                  f"可回测的完整年度仅 {len(years)} 个时误差估计很不稳定，请谨慎看待")
    at = bt.by_horizon.filter(pl.col("horizon") == horizon)
    if horizon == 0 or at.is_empty():
        note = "所选月份为年末，全年为实际数" if horizon == 0 else "该提前期没有回测结果"
        return table, Figure(label, None, "%", definition, note=note)
    r = at.row(0, named=True)
    coverage = (f"区间覆盖率 {percent(r['coverage'])}%（{r['interval_forecasts']} 次）" if r["interval_forecasts"]
                else "尚无带区间的回测，区间覆盖率无法检验")
    return table, Figure(label, percent(r["mape"]), "%", definition,
                         note=f"基于 {span} {r['forecasts']} 次回测；{coverage}")


def milestones_frame(monthly: pl.DataFrame, year_end: forecast.YearEndForecast,
                     settings: Settings) -> tuple[pl.DataFrame, list[str]]:
    """Pure: each configured milestone with the actual, the forecast and a verdict."""
    table = forecast.monthly_table(monthly)
    rows, messages = [], []
    for year, goal in sorted(settings.milestones_wan.items()):
        row = {"year": year, "milestone_wan": goal, "actual_wan": None, "forecast_wan": None,
               "forecast_low_wan": None, "forecast_high_wan": None, "required_growth": None}
        months = table.get(year, {})
        if year < year_end.year:
            if len(months) == reporting.months_per_year(year):
                row["actual_wan"] = sum(months.values())
                row["status"] = "已达成" if row["actual_wan"] >= goal else "未达成"
            else:
                row["actual_wan"] = sum(months.values()) if months else None
                row["status"] = f"{year}年数据不完整（{len(months)}/{reporting.months_per_year(year)} 个月），无法判断"
        else:
            f = forecast.forecast_year(monthly, year_end, year)
            row.update(forecast_wan=f.point_wan, forecast_low_wan=f.low_wan, forecast_high_wan=f.high_wan)
            if year == year_end.year:
                row["actual_wan"] = year_end.ytd_wan
            if year == year_end.year and year_end.month == 12 and year_end.point_wan == year_end.ytd_wan:
                row["status"] = "已达成" if year_end.ytd_wan >= goal else "未达成"
            elif year_end.reliability == forecast.UNRELIABLE:
                row.update(forecast_low_wan=None, forecast_high_wan=None, status=UNRELIABLE_VERDICT)
            elif f.point_wan is None:
                row["status"] = "暂无法预测"
                messages.extend(f"{year}年目标：{m}" for m in f.messages)
            else:
                row["status"] = _verdict(goal, f.point_wan, f.low_wan, f.high_wan)
            if year > year_end.year and year_end.point_wan:
                k = year - year_end.year
                row["required_growth"] = Decimal(str(round(float(goal / year_end.point_wan) ** (1 / k) - 1, 4)))
        rows.append(row)
    amount = pl.Decimal(18, 4)
    schema = {"year": pl.Int32, "milestone_wan": amount, "actual_wan": amount, "forecast_wan": amount,
              "forecast_low_wan": amount, "forecast_high_wan": amount, "required_growth": pl.Decimal(18, 4),
              "status": pl.String}
    return pl.DataFrame(rows, schema=schema), messages


UNRELIABLE_VERDICT = "预测不可靠，暂不判断"


def _verdict(goal: Decimal, point: Decimal, low: Decimal | None, high: Decimal | None, reliability: str = "") -> str:
    """The verdict of a forecast against a goal; an interval that failed its back-test decides nothing."""
    if reliability == forecast.UNRELIABLE:
        return UNRELIABLE_VERDICT
    if low is not None and low >= goal:
        return "预计达成（区间下限亦达到）"
    if high is not None and high < goal:
        return "预计难以达成（区间上限仍不足）"
    return "预计达成" if point >= goal else "预计存在缺口"


def province_progress(source: Source, as_of_month: dt.date | None = None,
                      settings: Settings | None = None) -> ProvinceProgress | None:
    """The province against 序时进度 and the milestones through `as_of_month` (default: latest data)."""
    settings = settings or load_settings()
    with queries.session(source) as con:
        as_of = as_of_month or default_as_of(con)
        if as_of is None:
            return None
        unit_months = queries.unit_months(con).filter(pl.col("month") <= as_of)
    units = units_progress(unit_months, as_of, settings)
    monthly = forecast.province_monthly(unit_months)
    target, target_source = annual_target(forecast.monthly_table(monthly), as_of.year, settings)
    bt = forecast.backtest(monthly, settings.forecast_level)
    frame = province_months_frame(monthly, as_of, target, settings.forecast_level, bt)
    year_end = forecast.calibrate(forecast.forecast_year_end(monthly, as_of.year, as_of.month, settings.forecast_level),
                                  bt)
    backtest, backtest_error = backtest_view(monthly, as_of, settings.forecast_level, bt)
    stones, stone_messages = milestones_frame(monthly, year_end, settings)
    last = frame.row(frame.height - 1, named=True)
    ahead = units.figures[0]
    figures = (
        Figure("年初至今到位资金", money.wan_to_yi(last["ytd_wan"]), "亿元", column(PROVINCE_COLUMNS, "ytd_wan").definition),
        Figure("同比增长", percent(last["yoy"]), "%", column(PROVINCE_COLUMNS, "yoy").definition,
               note=f"政策要求年均增长不低于 {percent(settings.required_growth)}%"),
        Figure("年度目标", money.wan_to_yi(target), "亿元", "全省到位资金年度目标", note=target_source),
        Figure("目标完成率", percent(last["completion"]), "%", column(PROVINCE_COLUMNS, "completion").definition,
               note=f"序时进度 {percent(last['calendar_progress'])}%"),
        Figure("全年预测", money.wan_to_yi(year_end.point_wan), "亿元", forecast.DEFINITION,
               note=interval_text(year_end)),
        ahead,
        units.figures[1],
    )
    messages = [*settings.messages, *year_end.messages, *stone_messages]
    if year_end.reliability in (forecast.WIDENED, forecast.UNRELIABLE):
        messages.append(f"全年预测：{year_end.reliability_note}")
    if target is None:
        messages.append(f"{as_of.year}年未配置全省目标且上年数据不完整，无法计算目标完成率")
    if last["units_reported"] < len(catalog.units()):
        messages.append(f"{as_of.year}年{as_of.month}月仅 {last['units_reported']}/{len(catalog.units())} 个单位已报送，"
                        "当月数据不完整")
    return ProvinceProgress(
        as_of.year, as_of.month, target, target_source,
        Table(f"{as_of.year}年全省到位资金逐月进度", frame, PROVINCE_COLUMNS),
        Table("全省到位资金目标", stones, MILESTONE_COLUMNS),
        Table(f"{as_of.year}年全省累计到位资金：实际、上年同期、序时目标与预测",
              province_path_frame(monthly, as_of, target, settings.forecast_level, bt), PATH_COLUMNS,
              f"预测区间为 {settings.forecast_level:.0%} 预测区间"),
        year_end, backtest, backtest_error, units, figures, tuple(messages),
        (f"预测方法 {bt.method}", f"回测数据指纹 {bt.fingerprint}"))


def interval_text(f: forecast.YearEndForecast) -> str:
    """The forecast's interval as leaders read it, with what the back-test says of it."""
    if f.reliability == forecast.UNRELIABLE:
        return f"{forecast.UNRELIABLE}：{f.reliability_note}"
    if f.low_wan is None:
        return "；".join(f.messages) or "无预测区间"
    band = f"{f.level:.0%} 预测区间 {money.wan_to_yi(f.low_wan):,}–{money.wan_to_yi(f.high_wan):,} 亿元"
    return f"{band}（{f.reliability}）" if f.reliability else band


def gap_sentence(p: ProvinceProgress) -> str | None:
    """One sentence on why the province and its units can stand differently against 序时进度: the units' dispatched
    tasks do not add up to the province target (both numbers, and why)."""
    frame = p.units.table.frame
    tasks = frame.filter(pl.col("task_wan").is_not_null())
    if p.target_wan is None or tasks.is_empty():
        return None
    total = tasks["task_wan"].sum()
    diff = total - p.target_wan
    relation = (f"高于全省年度目标 {money.wan_to_yi(p.target_wan):,} 亿元（{p.target_source}）"
                f"{money.wan_to_yi(diff):,} 亿元" if diff > 0 else
                f"低于全省年度目标 {money.wan_to_yi(p.target_wan):,} 亿元（{p.target_source}）"
                f"{money.wan_to_yi(-diff):,} 亿元" if diff < 0 else
                f"与全省年度目标 {money.wan_to_yi(p.target_wan):,} 亿元相等")
    sources = sorted(set(tasks["task_source"].to_list()))
    why = ("各单位任务按各自上年实绩×下达系数或协商任务逐一确定（任务来源：" + "、".join(sources)
           + "），与全省目标分别确定，合计并不等于全省目标"
           if diff else "各单位任务与全省目标分别确定")
    rated = frame.filter(pl.col("completion").is_not_null())
    behind = int((~rated["ahead"]).sum())
    last = p.months.frame.row(p.months.frame.height - 1, named=True)
    standing = ("全省达到序时进度" if last["ahead"] else "全省未达到序时进度") if last["ahead"] is not None else ""
    both = (f"。当前{standing}，而 {rated.height} 个单位中 {behind} 个未达到，差别即由此而来"
            if standing and behind else "")
    return (f"各单位下达任务合计 {money.wan_to_yi(total):,} 亿元（{tasks.height} 个单位），{relation}：{why}；"
            f"全省完成率以全省目标为分母，单位完成率以各自任务为分母{both}。")
