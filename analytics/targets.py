"""Targets of 甘办发〔2024〕6号 as configuration, and progress against them (the 目标进度 page).

- `load_settings(cfg)`: config/targets.toml parsed and checked; problems become Chinese messages, never tracebacks.
- `units_vs_tasks(snapshot, as_of_month)`: every assessed unit's year-to-date 到位资金 against its dispatched task
  and 序时进度, with the gaps still to bring in.
- `province_progress(snapshot, as_of_month)`: the province month by month against 序时进度 and the milestones,
  the year-end and 2026 forecasts, the chart path (this year, last year, 序时目标, forecast fan), the forecast's
  back-test by months ahead, and the units against their tasks (how many are ahead of schedule).
- `funds_projects(snapshot, as_of_month, unit_code)`: the projects behind any of those 到位资金 figures.

Results are `Table`s (a frame in exact 万元 with English column names, plus Chinese labels, units and
definitions; `.display()` gives the frame a page shows, in 亿元, `.xlsx()` the same as a workbook, `.plotted(col)`
one column for a chart, `.where(...)` / `.sort_by(col)` a filtered or sorted copy) and `Figure`s (one number with its
unit and definition). Money is exact Decimal 万元 throughout.
"""
from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Decimal

import polars as pl
import xlsxwriter

from analytics import domain, forecast, periods, tasks
from analytics.spreadsheet import neutralise
from warehouse.queries import targets as queries
from warehouse.store import Source

RATIO = Decimal("0.0001")
YI = Decimal(domain.YI_IN_WAN)


# --------------------------------------------------------------------------- presentation

@dataclass(frozen=True)
class Column:
    """A displayed column. unit '亿元': the frame holds 万元; '%': the frame holds a ratio (0.25 = 25 %)."""
    name: str
    label: str
    unit: str = ""
    definition: str = ""

    @property
    def header(self) -> str:
        return f"{self.label}（{self.unit}）" if self.unit else self.label


def column(columns: tuple[Column, ...], name: str) -> Column:
    return next(c for c in columns if c.name == name)


@dataclass(frozen=True)
class Table:
    title: str
    frame: pl.DataFrame
    columns: tuple[Column, ...]
    definition: str = ""

    def _shown(self, c: Column) -> pl.Expr:
        col = pl.col(c.name)
        if self.frame.schema[c.name] == pl.Boolean:
            col = pl.when(col).then(pl.lit("是")).when(~col).then(pl.lit("否"))
        elif c.unit == "亿元":
            col = (col.cast(pl.Decimal(38, 8)) / 10_000).round(2, mode="half_away_from_zero").cast(pl.Decimal(38, 2))
        elif c.unit == "%":
            col = (col.cast(pl.Decimal(38, 8)) * 100).round(2, mode="half_away_from_zero").cast(pl.Decimal(38, 2))
        return col.alias(c.header)

    def display(self) -> pl.DataFrame:
        """The frame as a page shows it: Chinese headers with units, 亿元 and % with two decimals, 是/否."""
        return self.frame.select([self._shown(c) for c in self.columns])

    def column_formats(self) -> dict[str, tuple[str, str]]:
        """Header -> (kind, format) for a page's table widget: ("date", "YYYY-MM") for months, ("date",
        "YYYY-MM-DD") for other dates, ("number", "%.2f") for 亿元 and %; other columns need none."""
        formats = {}
        for c in self.columns:
            if self.frame.schema[c.name] == pl.Date:
                formats[c.header] = ("date", "YYYY-MM" if c.name == "month" or c.name.endswith("_month") else "YYYY-MM-DD")
            elif c.unit in ("亿元", "%"):
                formats[c.header] = ("number", "%.2f")
        return formats

    def plotted(self, name: str) -> list:
        """One column as the page shows it (亿元 / % with two decimals), numbers as floats for a chart."""
        values = self.frame.select(self._shown(column(self.columns, name))).to_series().to_list()
        return [float(v) if isinstance(v, Decimal) else v for v in values]

    def definitions(self) -> dict[str, str]:
        """Column header -> definition, for a page's 口径说明."""
        return {c.header: c.definition for c in self.columns if c.definition}

    def where(self, **equal: object) -> Table:
        """The same table restricted to the rows whose columns equal the given values (e.g. measure="10亿元以上")."""
        frame = self.frame
        for name, value in equal.items():
            frame = frame.filter(pl.col(name) == value)
        return replace(self, frame=frame)

    def sort_by(self, name: str, descending: bool = True) -> Table:
        """The same table sorted on one column, rows without a value last."""
        return replace(self, frame=self.frame.sort(name, descending=descending, nulls_last=True, maintain_order=True))

    def xlsx(self) -> bytes:
        """The table as a workbook, as the page shows it: the title, its definition, the displayed columns
        (亿元 and % with two decimals) and the 口径说明. Text is neutralised so that no cell is a formula."""

        shown = self.display()
        buf = io.BytesIO()
        wb = xlsxwriter.Workbook(buf, {"in_memory": True, "strings_to_formulas": False, "strings_to_urls": False})
        ws = wb.add_worksheet(re.sub(r"[\[\]:*?/\\]", "", self.title)[:31] or "明细")
        bold = wb.add_format({"bold": True})
        head = wb.add_format({"bold": True, "bg_color": "#D9E1F2", "border": 1, "text_wrap": True, "valign": "top"})
        formats = {pl.Date: wb.add_format({"num_format": "yyyy-mm-dd"}), "decimal": wb.add_format({"num_format": "0.00"})}
        ws.write_string(0, 0, neutralise(self.title), bold)
        row = 1
        if self.definition:
            ws.write_string(row, 0, neutralise(self.definition))
            row += 1
        ws.write_row(row, 0, [neutralise(h) for h in shown.columns], head)
        first = row
        for values in shown.iter_rows():
            row += 1
            for col, (value, dtype) in enumerate(zip(values, shown.dtypes)):
                if value is None:
                    continue
                if isinstance(value, str):
                    ws.write_string(row, col, neutralise(value))
                elif dtype == pl.Date:
                    ws.write_datetime(row, col, dt.datetime.combine(value, dt.time()), formats[pl.Date])
                elif isinstance(value, Decimal):
                    ws.write_number(row, col, float(value), formats["decimal"])
                else:
                    ws.write_number(row, col, value)
        ws.autofilter(first, 0, row, max(len(shown.columns) - 1, 0))
        ws.freeze_panes(first + 1, 0)
        ws.set_column(0, max(len(shown.columns) - 1, 0), 14)
        notes = self.definitions()
        if notes:
            row += 2
            ws.write_string(row, 0, "口径说明", bold)
            for header, text in notes.items():
                row += 1
                ws.write_string(row, 0, neutralise(f"{header}：{text}"))
        wb.close()
        return buf.getvalue()


@dataclass(frozen=True)
class Figure:
    """One headline number: `value` is already in `unit` (亿元 with two decimals, %, 个, 家)."""
    label: str
    value: Decimal | int | None
    unit: str
    definition: str
    note: str = ""

    def text(self) -> str:
        if self.value is None:
            return "—"
        return f"{self.value:,}" if isinstance(self.value, int) else f"{self.value:,.2f}"


def percent(ratio: Decimal | float | None) -> Decimal | None:
    return None if ratio is None else (Decimal(str(ratio)) * 100).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


# --------------------------------------------------------------------------- settings

@dataclass(frozen=True)
class Period:
    first: dt.date
    last: dt.date

    @property
    def months(self) -> int:
        return (self.last.year - self.first.year) * 12 + self.last.month - self.first.month + 1

    @property
    def label(self) -> str:
        return f"{self.first:%Y-%m}至{self.last:%Y-%m}"

    def month_list(self) -> list[dt.date]:
        return [periods.add_months(self.first, i) for i in range(self.months)]


@dataclass(frozen=True)
class Tier:
    level_wan: Decimal
    label: str


@dataclass(frozen=True)
class StallRules:
    not_started_months: int = 12
    no_money_months: int = 3
    low_funds_after_months: int = 6
    low_funds_share: Decimal = Decimal("0.15")


FIVE_HUNDRED_KEY = "三个500强企业"


@dataclass(frozen=True)
class Settings:
    cfg: dict = field(repr=False, compare=False)
    version: str
    milestones_wan: dict[int, Decimal]
    required_growth: Decimal
    baseline: Period | None
    target: Period | None
    factor: Decimal
    baseline_counts: dict[str, int]        # tier label or FIVE_HUNDRED_KEY -> configured baseline count
    exclude_statuses: tuple[str, ...]
    major_threshold_wan: Decimal           # 10亿元以上 = 100,000 万元
    tiers: tuple[Tier, ...]
    verified_only: bool                    # count only 三个500强 claims found in the reference list
    group_match: bool                      # a subsidiary matches its group's list entry (name prefix)
    forecast_level: float
    stall: StallRules
    messages: tuple[str, ...]


def _month(text: object) -> dt.date | None:
    try:
        y, m = str(text).strip().split("-")[:2]
        return dt.date(int(y), int(m), 1)
    except ValueError:
        return None


def _period(raw: object, name: str, messages: list[str]) -> Period | None:
    raw = raw if isinstance(raw, dict) else {}
    first, last = _month(raw.get("from")), _month(raw.get("to"))
    if first is None or last is None or last < first:
        messages.append(f"翻番规则的{name}应写作 {{ from = \"2021-01\", to = \"2023-12\" }} 且起月不晚于止月，"
                        f"当前为“{raw}”；翻番进度无法计算")
        return None
    return Period(first, last)


def _positive(value: object, name: str, default: Decimal, messages: list[str]) -> Decimal:
    d = tasks.as_decimal(value) if value is not None else default
    if d is None or d <= 0:
        messages.append(f"配置项 {name} 应为正数，当前为“{value}”，按 {default} 计算")
        return default
    return d


def load_settings(cfg: dict | None = None) -> Settings:
    """Parse and check targets.toml (or `cfg`); every problem is a Chinese message in `messages`."""
    cfg = cfg if cfg is not None else tasks.targets_config()
    messages = tasks.validate(cfg)
    prov = cfg.get("province", {})
    milestones = {}
    for year, amount in prov.get("milestones_yi", {}).items():
        value = tasks.as_decimal(amount)
        if not str(year).isdigit() or value is None or value <= 0:
            messages.append(f"省级目标 milestones_yi 中“{year} = {amount}”无效（应为 年份 = 正的亿元数），已忽略")
            continue
        milestones[int(year)] = value * YI
    doubling = cfg.get("doubling", {})
    counts = {}
    for key, n in doubling.get("baseline_counts", {}).items():
        if isinstance(n, int) and not isinstance(n, bool) and n > 0:
            counts[key] = n
        else:
            messages.append(f"基期数 baseline_counts 中“{key} = {n}”应为正整数，已忽略（改用仓库数据计算）")
    tier_cfg = cfg.get("tiers", {})
    levels = [tasks.as_decimal(v) for v in tier_cfg.get("levels_wan", [100000])]
    labels = list(tier_cfg.get("labels", []))
    if any(v is None or v <= 0 for v in levels) or not levels:
        messages.append(f"项目规模档次 levels_wan 应为正数列表，当前为“{tier_cfg.get('levels_wan')}”，按 10亿元 计算")
        levels = [Decimal(100000)]
    if len(labels) != len(levels):
        if labels:
            messages.append("项目规模档次 labels 与 levels_wan 个数不一致，标签按金额自动生成")
        labels = [f"{(v / YI).normalize():f}亿元以上" for v in levels]
    tiers = tuple(sorted((Tier(v, lab) for v, lab in zip(levels, labels)), key=lambda t: t.level_wan))
    known = {t.label for t in tiers} | {FIVE_HUNDRED_KEY}
    for key in list(counts):
        if key not in known:
            messages.append(f"基期数 baseline_counts 中的“{key}”不是规模档次标签或“{FIVE_HUNDRED_KEY}”，已忽略")
            del counts[key]
    stall_cfg = cfg.get("stalled", {})
    defaults = StallRules()
    stall = StallRules(
        int(_positive(stall_cfg.get("not_started_months"), "stalled.not_started_months",
                      Decimal(defaults.not_started_months), messages)),
        int(_positive(stall_cfg.get("no_money_months"), "stalled.no_money_months",
                      Decimal(defaults.no_money_months), messages)),
        int(_positive(stall_cfg.get("low_funds_after_months"), "stalled.low_funds_after_months",
                      Decimal(defaults.low_funds_after_months), messages)),
        _positive(stall_cfg.get("low_funds_share"), "stalled.low_funds_share", defaults.low_funds_share, messages),
    )
    five = cfg.get("five_hundred", {})
    if five.get("basis", "claimed") not in ("claimed", "verified"):
        messages.append(f"三个500强计数口径 basis 应为 claimed 或 verified，当前为“{five.get('basis')}”，按 claimed 计算")
    level = float(_positive(cfg.get("forecast", {}).get("interval_level"), "forecast.interval_level",
                            Decimal("0.8"), messages))
    if level >= 1:
        messages.append(f"预测区间水平 interval_level 应小于 1，当前为 {level}，按 0.8 计算")
        level = 0.8
    return Settings(
        cfg=cfg,
        version=str(cfg.get("version", "")),
        milestones_wan=milestones,
        required_growth=_positive(prov.get("required_growth"), "province.required_growth", Decimal("0.15"), messages),
        baseline=_period(doubling.get("baseline"), "基期 baseline", messages),
        target=_period(doubling.get("target"), "目标期 target", messages),
        factor=_positive(doubling.get("factor"), "doubling.factor", Decimal(2), messages),
        baseline_counts=counts,
        exclude_statuses=tuple(doubling.get("exclude_statuses", ["终止"])),
        major_threshold_wan=_positive(tier_cfg.get("major_threshold_wan"), "tiers.major_threshold_wan",
                                      Decimal(100000), messages),
        tiers=tiers,
        verified_only=five.get("basis") == "verified",
        group_match=five.get("group_match", False) is True,
        forecast_level=level,
        stall=stall,
        messages=tuple(messages),
    )


def default_as_of(source: Source) -> dt.date | None:
    """The latest month with data, not after the current month."""
    latest = queries.latest_data_month(source)
    if latest is None:
        return None
    return min(latest, periods.month_start(domain.today()))


# --------------------------------------------------------------------------- units against tasks

UNIT_COLUMNS = (
    Column("unit_name", "被考核单位"),
    Column("status", "报送情况", definition="截至所选月份本年度的报送情况；尚未报送的单位不计完成率"),
    Column("task_wan", "年度任务", "亿元", "单位下达的到位资金年度任务：配置了协商任务的取配置数，否则为上年实绩×下达系数"),
    Column("task_source", "任务来源"),
    Column("ytd_wan", "年初至今到位资金", "亿元", "本年1月至所选月份各月到位资金之和（省外境内、境外资金，取各月最新版本）"),
    Column("completion", "任务完成率", "%", "年初至今到位资金 ÷ 年度任务"),
    Column("calendar_progress", "序时进度", "%", "所选月份 m 的序时进度 = m ÷ 12"),
    Column("ahead", "达到序时进度", definition="任务完成率不低于序时进度"),
    Column("gap_calendar_wan", "距序时进度差额", "亿元", "年度任务×m÷12 − 年初至今到位资金，已达到的为 0"),
    Column("gap_task_wan", "距全年任务差额", "亿元", "年度任务 − 年初至今到位资金，已完成的为 0"),
    Column("note", "说明"),
)


@dataclass(frozen=True)
class UnitsProgress:
    year: int
    month: int
    table: Table
    figures: tuple[Figure, ...]
    messages: tuple[str, ...]


def unit_progress_frame(unit_months: pl.DataFrame, as_of_month: dt.date,
                        settings: Settings) -> tuple[pl.DataFrame, list[str]]:
    """Pure: one row per assessed unit (config order) at the end of `as_of_month`, from unit-months
    (unit_code, month, funds_month_wan) covering at least last year and this year through `as_of_month`."""
    year, m = as_of_month.year, as_of_month.month
    this_year = unit_months.filter((pl.col("month").dt.year() == year) & (pl.col("month") <= as_of_month))
    prior = {code: (Decimal(total), months) for code, months, total in
             unit_months.filter(pl.col("month").dt.year() == year - 1).group_by("unit_code")
             .agg(pl.len(), pl.col("funds_month_wan").sum()).iter_rows()}
    multiplier = settings.cfg.get("tasks", {}).get("dispatched_multiplier")
    expected_months = set(range(1, m + 1))
    rows, messages = [], []
    for u in domain.units():
        mine = this_year.filter(pl.col("unit_code") == u.code)
        reported = set(mine["month"].dt.month().to_list())
        prior_wan, prior_months = prior.get(u.code, (None, 0))
        task = tasks.unit_task_wan(u.code, year, prior_wan, prior_months, settings.cfg)
        if tasks.override_wan(u.code, year, settings.cfg) is not None:
            task_source = "配置任务"
        elif task is not None:
            task_source = f"上年实绩×{multiplier}"
        else:
            task_source = "—"
        problem = tasks.task_problem(task, prior_months)
        if problem:
            messages.append(f"{u.name}：{problem}")
        row = {"unit_code": u.code, "unit_name": u.name, "task_wan": task, "task_source": task_source,
               "prior_year_wan": prior_wan, "months_reported": len(reported),
               "calendar_progress": tasks.calendar_progress(m), "ytd_wan": None, "completion": None,
               "ahead": None, "gap_calendar_wan": None, "gap_task_wan": None}
        if not reported:
            row["status"] = f"尚未报送{year}年数据"
        else:
            missing = sorted(expected_months - reported)
            row["status"] = "已报送" if not missing else f"缺报 {'、'.join(f'{i}月' for i in missing)}"
            ytd = Decimal(mine["funds_month_wan"].sum())
            row["ytd_wan"] = ytd
            if problem is None:
                row["completion"] = (ytd / task).quantize(RATIO, rounding=ROUND_HALF_UP)
                row["ahead"] = ytd * 12 >= task * m          # exact: completion ≥ m/12
                row["gap_calendar_wan"] = max(tasks.calendar_expected_wan(task, m) - ytd, Decimal(0))
                row["gap_task_wan"] = max(task - ytd, Decimal(0))
        row["note"] = problem or ""
        rows.append(row)
    schema = {"unit_code": pl.String, "unit_name": pl.String, "status": pl.String, "task_wan": pl.Decimal(18, 4),
              "task_source": pl.String, "prior_year_wan": pl.Decimal(18, 4), "months_reported": pl.Int32,
              "ytd_wan": pl.Decimal(18, 4), "completion": pl.Decimal(18, 4), "calendar_progress": pl.Decimal(18, 6),
              "ahead": pl.Boolean, "gap_calendar_wan": pl.Decimal(18, 4), "gap_task_wan": pl.Decimal(18, 4),
              "note": pl.String}
    frame = pl.DataFrame(rows, schema=schema).sort(
        pl.col("completion").is_null(), pl.col("completion"), descending=[False, True], maintain_order=True)
    return frame, messages


def units_vs_tasks(source: Source, as_of_month: dt.date | None = None,
                   settings: Settings | None = None) -> UnitsProgress | None:
    """All assessed units against their dispatched tasks at the end of `as_of_month` (default: latest data)."""
    settings = settings or load_settings()
    with queries.session(source) as con:
        as_of = as_of_month or default_as_of(con)
        if as_of is None:
            return None
        unit_months = queries.unit_months(con)
    return units_progress(unit_months, as_of, settings)


def units_progress(unit_months: pl.DataFrame, as_of: dt.date, settings: Settings) -> UnitsProgress:
    """Pure part of `units_vs_tasks`."""
    frame, messages = unit_progress_frame(unit_months, as_of, settings)
    return UnitsProgress(as_of.year, as_of.month, Table(f"{as_of.year}年1–{as_of.month}月各单位任务完成情况",
                                                        frame, UNIT_COLUMNS), unit_figures(frame),
                         (*settings.messages, *messages))


def unit_figures(frame: pl.DataFrame) -> tuple[Figure, ...]:
    with_task = frame.filter(pl.col("completion").is_not_null())
    return (
        Figure("达到序时进度的单位", int(with_task["ahead"].sum()), "个",
               f"任务完成率不低于序时进度的单位数（共 {with_task.height} 个单位可计算完成率）"),
        Figure("下达任务合计", domain.wan_to_yi(frame["task_wan"].sum()) if frame["task_wan"].is_not_null().any() else None, "亿元",
               f"各单位年度到位资金任务之和（{frame['task_wan'].is_not_null().sum()} 个单位有任务）"),
        Figure("尚未报送的单位", frame.filter(pl.col("ytd_wan").is_null()).height, "个", "本年度尚无任何报送的单位数"),
    )


# --------------------------------------------------------------------------- province

PROVINCE_COLUMNS = (
    Column("month", "月份"),
    Column("units_reported", "报送单位数", "个", "当月已报送的被考核单位数"),
    Column("funds_month_wan", "当月到位资金", "亿元", "全省当月到位资金（省外境内、境外资金）"),
    Column("ytd_wan", "年初至今到位资金", "亿元", "本年1月至当月累计"),
    Column("yoy", "同比增长", "%", "年初至今到位资金较上年同期的增长率"),
    Column("calendar_progress", "序时进度", "%", "月份 m 的序时进度 = m ÷ 12"),
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


def annual_target(totals: dict[int, dict[int, Decimal]], year: int, settings: Settings) -> tuple[Decimal | None, str]:
    """The province's 到位资金 target for `year`: the configured milestone, else last year × (1 + required growth)."""
    if year in settings.milestones_wan:
        return settings.milestones_wan[year], f"省定目标（{year}年）"
    prior = totals.get(year - 1, {})
    if len(prior) == 12:
        growth = settings.required_growth
        return (sum(prior.values()) * (1 + growth)).quantize(tasks.WAN), f"上年实绩×(1+{growth})"
    return None, "无（未配置当年目标且上年数据不完整）"


def province_months_frame(monthly: pl.DataFrame, as_of: dt.date, target: Decimal | None,
                          level: float) -> pl.DataFrame:
    """Pure: the province month by month for as_of's year through as_of, with the forecast made at each month."""
    table = forecast.monthly_table(monthly)
    units = {m: n for m, n in monthly.select("month", "units_reported").iter_rows()}
    this, last = table.get(as_of.year, {}), table.get(as_of.year - 1, {})
    rows, ytd, prior_ytd = [], Decimal(0), Decimal(0)
    for m in range(1, as_of.month + 1):
        month_date = dt.date(as_of.year, m, 1)
        ytd += this.get(m, Decimal(0))
        prior_ytd += last.get(m, Decimal(0))
        f = forecast.forecast_year_end(monthly, as_of.year, m, level)
        full_prior = len([i for i in range(1, m + 1) if i in last]) == m
        rows.append({
            "month": month_date, "units_reported": units.get(month_date, 0),
            "funds_month_wan": this.get(m), "ytd_wan": ytd,
            "yoy": (ytd / prior_ytd - 1).quantize(RATIO, rounding=ROUND_HALF_UP) if full_prior and prior_ytd > 0 else None,
            "calendar_progress": tasks.calendar_progress(m),
            "expected_wan": tasks.calendar_expected_wan(target, m) if target else None,
            "completion": (ytd / target).quantize(RATIO, rounding=ROUND_HALF_UP) if target else None,
            "ahead": ytd * 12 >= target * m if target else None,
            "forecast_wan": f.point_wan, "forecast_low_wan": f.low_wan, "forecast_high_wan": f.high_wan,
        })
    money = pl.Decimal(18, 4)
    schema = {"month": pl.Date, "units_reported": pl.Int32, "funds_month_wan": money, "ytd_wan": money,
              "yoy": pl.Decimal(18, 4), "calendar_progress": pl.Decimal(18, 6), "expected_wan": money,
              "completion": pl.Decimal(18, 4), "ahead": pl.Boolean, "forecast_wan": money,
              "forecast_low_wan": money, "forecast_high_wan": money}
    return pl.DataFrame(rows, schema=schema)


def province_path_frame(monthly: pl.DataFrame, as_of: dt.date, target: Decimal | None,
                        level: float) -> pl.DataFrame:
    """Pure: the twelve months of as_of's year: the cumulative actual through as_of, last year's cumulative,
    the 序时目标 path and, from as_of on, the forecast of the cumulative with its interval (the fan)."""
    table = forecast.monthly_table(monthly)
    this, last = table.get(as_of.year, {}), table.get(as_of.year - 1, {})
    fan = {r["month"].month: r for r in forecast.forecast_path(monthly, as_of.year, as_of.month, level).iter_rows(named=True)}
    rows, ytd, prior = [], Decimal(0), Decimal(0)
    for m in range(1, 13):
        ytd += this.get(m, Decimal(0)) if m <= as_of.month else Decimal(0)
        prior += last.get(m, Decimal(0))
        f = fan.get(m, {})
        rows.append({
            "month": dt.date(as_of.year, m, 1), "ytd_wan": ytd if m <= as_of.month else None,
            "last_year_wan": prior if all(i in last for i in range(1, m + 1)) else None,
            "calendar_wan": tasks.calendar_expected_wan(target, m) if target else None,
            "forecast_wan": f.get("forecast_wan"), "forecast_low_wan": f.get("low_wan"),
            "forecast_high_wan": f.get("high_wan"),
        })
    money = pl.Decimal(18, 4)
    return pl.DataFrame(rows, schema={"month": pl.Date, "ytd_wan": money, "last_year_wan": money,
                                      "calendar_wan": money, "forecast_wan": money, "forecast_low_wan": money,
                                      "forecast_high_wan": money})


def backtest_view(monthly: pl.DataFrame, as_of: dt.date, level: float) -> tuple[Table, Figure]:
    """Pure: the back-test of the forecast on the complete years in `monthly` (data through as_of only), as a table
    by months ahead, and the error at the horizon of the forecast made at as_of."""
    bt = forecast.backtest(monthly, level)
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
                  f"方法 {bt.method}，区间名义水平 {level:.0%}，数据指纹 {bt.fingerprint[:16]}；"
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
            if len(months) == 12:
                row["actual_wan"] = sum(months.values())
                row["status"] = "已达成" if row["actual_wan"] >= goal else "未达成"
            else:
                row["actual_wan"] = sum(months.values()) if months else None
                row["status"] = f"{year}年数据不完整（{len(months)}/12 个月），无法判断"
        else:
            f = forecast.forecast_year(monthly, year_end, year)
            row.update(forecast_wan=f.point_wan, forecast_low_wan=f.low_wan, forecast_high_wan=f.high_wan)
            if year == year_end.year:
                row["actual_wan"] = year_end.ytd_wan
            if year == year_end.year and year_end.month == 12 and year_end.point_wan == year_end.ytd_wan:
                row["status"] = "已达成" if year_end.ytd_wan >= goal else "未达成"
            elif f.point_wan is None:
                row["status"] = "暂无法预测"
                messages.extend(f"{year}年目标：{m}" for m in f.messages)
            else:
                row["status"] = _verdict(goal, f.point_wan, f.low_wan, f.high_wan)
            if year > year_end.year and year_end.point_wan:
                k = year - year_end.year
                row["required_growth"] = Decimal(str(round(float(goal / year_end.point_wan) ** (1 / k) - 1, 4)))
        rows.append(row)
    money = pl.Decimal(18, 4)
    schema = {"year": pl.Int32, "milestone_wan": money, "actual_wan": money, "forecast_wan": money,
              "forecast_low_wan": money, "forecast_high_wan": money, "required_growth": pl.Decimal(18, 4),
              "status": pl.String}
    return pl.DataFrame(rows, schema=schema), messages


def _verdict(goal: Decimal, point: Decimal, low: Decimal | None, high: Decimal | None) -> str:
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
    frame = province_months_frame(monthly, as_of, target, settings.forecast_level)
    year_end = forecast.forecast_year_end(monthly, as_of.year, as_of.month, settings.forecast_level)
    backtest, backtest_error = backtest_view(monthly, as_of, settings.forecast_level)
    stones, stone_messages = milestones_frame(monthly, year_end, settings)
    last = frame.row(frame.height - 1, named=True)
    ahead = units.figures[0]
    figures = (
        Figure("年初至今到位资金", domain.wan_to_yi(last["ytd_wan"]), "亿元", column(PROVINCE_COLUMNS, "ytd_wan").definition),
        Figure("同比增长", percent(last["yoy"]), "%", column(PROVINCE_COLUMNS, "yoy").definition,
               note=f"政策要求年均增长不低于 {percent(settings.required_growth)}%"),
        Figure("年度目标", domain.wan_to_yi(target), "亿元", "全省到位资金年度目标", note=target_source),
        Figure("目标完成率", percent(last["completion"]), "%", column(PROVINCE_COLUMNS, "completion").definition,
               note=f"序时进度 {percent(last['calendar_progress'])}%"),
        Figure("全年预测", domain.wan_to_yi(year_end.point_wan), "亿元", forecast.DEFINITION,
               note=(f"{year_end.level:.0%} 预测区间 {domain.wan_to_yi(year_end.low_wan)}–{domain.wan_to_yi(year_end.high_wan)} 亿元"
                     if year_end.low_wan is not None else "；".join(year_end.messages))),
        ahead,
        units.figures[1],
    )
    messages = [*settings.messages, *year_end.messages, *stone_messages]
    if target is None:
        messages.append(f"{as_of.year}年未配置全省目标且上年数据不完整，无法计算目标完成率")
    if last["units_reported"] < len(domain.units()):
        messages.append(f"{as_of.year}年{as_of.month}月仅 {last['units_reported']}/{len(domain.units())} 个单位已报送，"
                        "当月数据不完整")
    return ProvinceProgress(
        as_of.year, as_of.month, target, target_source,
        Table(f"{as_of.year}年全省到位资金逐月进度", frame, PROVINCE_COLUMNS),
        Table("全省到位资金目标", stones, MILESTONE_COLUMNS),
        Table(f"{as_of.year}年全省累计到位资金：实际、上年同期、序时目标与预测",
              province_path_frame(monthly, as_of, target, settings.forecast_level), PATH_COLUMNS,
              f"预测区间为 {settings.forecast_level:.0%} 预测区间"),
        year_end, backtest, backtest_error, units, figures, tuple(messages))


# --------------------------------------------------------------------------- drill-down

FUNDS_PROJECT_COLUMNS = (
    Column("unit_name", "被考核单位"),
    Column("project_id", "项目编号"),
    Column("project_name", "项目名称"),
    Column("chain", "所属产业链"),
    Column("investor_name", "投资方名称"),
    Column("fund_source", "资金来源"),
    Column("status", "项目状态"),
    Column("months_reported", "报送月数", "个"),
    Column("funds_wan", "期间到位资金", "亿元", "所选期间各月本月到位资金之和"),
)


def funds_projects(source: Source, as_of_month: dt.date, unit_code: str | None = None,
                   first_month: dt.date | None = None) -> Table:
    """The projects behind year-to-date 到位资金 (from January, or `first_month`, through `as_of_month`) of one unit
    or the province; their funds add up exactly to the figure."""
    first = first_month or dt.date(as_of_month.year, 1, 1)
    frame = queries.funds_by_project(source, first, as_of_month, unit_code)
    scope = domain.unit_name(unit_code) if unit_code else "全省"
    return Table(f"{scope}{first:%Y年%-m月}至{as_of_month:%Y年%-m月}到位资金项目明细（{frame.height} 个项目）", frame,
                 FUNDS_PROJECT_COLUMNS, "期间内有到位资金记录（资金来源为省外境内、境外）的项目，其期间到位资金之和即该范围的到位资金")
