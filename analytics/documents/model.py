"""The content of an official document (公文), independent of its file format.

A `Document` is what the .docx and the PDF builders both render, so the two files say the same thing. Its text is made
of `Sentence`s; each keeps the figures it prints (`Fact`: a stable key, the scope it is about and the value as
printed), so every number in a document can be traced to, and recomputed from, the warehouse.

Rounding is done once, from exact values: 亿元 with two decimals, percentages and 百分点 with one, half up.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from core import money

PUBLIC, INTERNAL = "public", "internal"
VERSIONS = {PUBLIC: "公开版", INTERNAL: "内部版"}
PROVINCE = "全省"


@dataclass(frozen=True)
class Fact:
    """One printed number: `key` names the measure (English, never printed), `scope` what it is about (全省, a unit
    code, a quarter), `value` the number exactly as printed, `text` its printed form (without the unit)."""

    key: str
    scope: str
    value: Decimal
    text: str
    unit: str = ""


@dataclass(frozen=True)
class Sentence:
    text: str
    facts: tuple[Fact, ...] = ()


class Writer:
    """Builds one sentence: `w.yi(...)`, `w.pct(...)`, `w.count(...)` record a fact and return its printed form."""

    def __init__(self) -> None:
        self.facts: list[Fact] = []

    def _add(self, key: str, scope: str, value: Decimal, text: str, unit: str) -> str:
        self.facts.append(Fact(key, scope, value, text, unit))
        return text

    def yi(self, key: str, scope: str, wan: Decimal) -> str:
        """An amount given in exact 万元, printed in 亿元 with two decimals."""
        v = money.wan_to_yi(wan)
        return self._add(key, scope, v, f"{v}", "亿元")

    def pct(self, key: str, scope: str, ratio: Decimal, absolute: bool = False) -> str:
        """A ratio (0.2175) printed as a percentage with one decimal (21.8); `absolute` prints its size only (for
        “增长/下降”, “高于/低于” wording)."""
        v = round_1(ratio * 100)
        shown = abs(v) if absolute else v
        return self._add(key, scope, v, f"{shown}", "%")

    def points(self, key: str, scope: str, value: Decimal, absolute: bool = True) -> str:
        """A value already in points (百分点, 分), one decimal (two for scores: see `score`)."""
        v = round_1(value)
        return self._add(key, scope, v, f"{abs(v) if absolute else v}", "个百分点")

    def score(self, key: str, scope: str, value: float, absolute: bool = False) -> str:
        v = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
        return self._add(key, scope, v, f"{abs(v) if absolute else v}", "分")

    def plain(self, key: str, scope: str, value: Decimal, unit: str = "") -> str:
        """A configured threshold, printed without trailing zeros (10, not 10.0)."""
        v = Decimal(value).normalize()
        return self._add(key, scope, v, f"{v:f}", unit)

    def exact(self, key: str, scope: str, value: Decimal, unit: str = "") -> str:
        """A value already rounded as it is to be printed (e.g. an average rank with one decimal)."""
        return self._add(key, scope, Decimal(value), f"{value}", unit)

    def count(self, key: str, scope: str, n: int) -> str:
        return self._add(key, scope, Decimal(int(n)), str(int(n)), "")

    def rank(self, key: str, scope: str, n: int) -> str:
        return self._add(key, scope, Decimal(int(n)), str(int(n)), "位")

    def done(self, text: str) -> Sentence:
        s = Sentence(text, tuple(self.facts))
        self.facts = []
        return s


def round_1(value: Decimal) -> Decimal:
    return Decimal(value).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def ratio(a: Decimal | int, b: Decimal | int) -> Decimal | None:
    return None if not b else Decimal(a) / Decimal(b)


@dataclass(frozen=True)
class Heading:
    level: int          # 1: “一、” 黑体; 2: “（一）” 楷体
    text: str


@dataclass(frozen=True)
class Paragraph:
    sentences: tuple[Sentence, ...]

    @property
    def text(self) -> str:
        return "".join(s.text for s in self.sentences)


@dataclass(frozen=True)
class Attachment:
    """An attached table: `rows` are printed strings; `numeric` marks right-aligned columns."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    note: str = ""
    numeric: tuple[bool, ...] = ()


@dataclass(frozen=True)
class Document:
    """One 公文 after GB/T 9704: 版头 (mark, 发文机关标志, 文号), 标题, 主送, 正文, 附件说明, 署名, 成文日期,
    附件, 版记."""

    kind: str
    version: str
    mark: str                    # 版头 top-left: 内部资料 for the internal version, else ''
    office_mark: str             # 发文机关标志 (red)
    number: str                  # 文号 / 期号
    title: str
    addressees: str              # 主送机关, ending with “：”; '' for a 专报
    body: tuple[Heading | Paragraph, ...]
    attachments: tuple[Attachment, ...]
    signatory: str
    date: dt.date
    copy_to: str = ""            # 版记: 抄送 / 报
    printer: str = ""            # 版记: 印发机关
    preview: bool = False        # a ranking not yet published (title says 预览，未发布)
    notes: tuple[str, ...] = field(default=())

    @property
    def is_briefing(self) -> bool:
        """A 专报 (简报 layout): issuer and date in the 版头 under the 期号, no 署名 at the end, 版记 “报：” only."""
        return self.kind == "briefing"

    @property
    def date_text(self) -> str:
        return chinese_date(self.date)

    def paragraphs(self) -> list[Paragraph]:
        return [b for b in self.body if isinstance(b, Paragraph)]

    def sentences(self) -> list[Sentence]:
        return [s for p in self.paragraphs() for s in p.sentences]


def chinese_date(day: dt.date) -> str:
    """成文日期 as GB/T 9704-2012 §7.3.5.1 writes it: Arabic numerals, year in full, no leading zeros (2025年10月9日)."""
    return f"{day.year}年{day.month}月{day.day}日"


def period_text(first_month: int, month: int) -> str:
    """1—9月 (an em dash between months, as Gansu bulletins write it); 9月 for a single month."""
    return f"{month}月" if first_month == month else f"{first_month}—{month}月"
