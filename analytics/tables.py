"""Results as tables and figures a page, a workbook and a chart all show the same way.

A `Table` is a frame in exact 万元 with English column names, plus Chinese labels, units and definitions; `.display()`
gives the frame a page shows (in 亿元), `.xlsx()` the same as a workbook, `.plotted(col)` one column for a chart,
`.where(...)` / `.sort_by(col)` a filtered or sorted copy. A `Figure` is one number with its unit and definition."""
from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

from core import spreadsheet

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

        return spreadsheet.table_xlsx(self.title, self.display(), (self.definition,) if self.definition else (),
                                      self.definitions())


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
