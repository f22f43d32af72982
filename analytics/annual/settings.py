"""The annual assessment (年终总评) method as configuration: config/annual.toml read through core.config.

`load_annual_config(path)` returns an `AnnualConfig`, or raises `AnnualConfigError` (a `core.config.ConfigError`)
with a Chinese message naming the line: weights that do not sum to 1, grade bands that overlap or leave a gap,
an unknown key. `annual_configured()` says whether an installation has an annual method at all (the 公文 fall
back to the quarters' average without one). Every number is an exact Decimal.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Literal

from pydantic import Field

from core import config
from core.config import Strict

DEFAULT_NAME = "annual.toml"
WHAT = "年度考核配置"
QUARTER_METHODS = {"weights": "四个季度指标得分加权", "q4_ytd": "第四季度（年初至年末）排名的指标得分"}
GRADING = {"score": "按得分分档", "rank": "按名次分档"}
ITEM_KINDS = {"bonus": "加分", "penalty": "扣分"}


class AnnualConfigError(config.ConfigError):
    """A problem of the annual assessment config, with the line it was found on."""

    WHAT = WHAT  # the module constant: one name for the file in every message


class _Quarters(Strict):
    method: Literal["weights", "q4_ytd"] = Field(title="季度汇总方法 method")
    weights: list[Decimal] | None = Field(None, title="季度权重 weights")


class _Composition(Strict):
    quarters: Decimal = Field(title="季度部分权重 quarters", ge=0, le=1)
    supervision: Decimal = Field(title="半年督查权重 supervision", ge=0, le=1)


class _Deductions(Strict):
    method: Literal["year"] = Field("year", title="扣分计算方法 method")


class _Items(Strict):
    max_bonus: Decimal = Field(title="加分上限 max_bonus", ge=0)
    max_penalty: Decimal = Field(title="扣分上限 max_penalty", ge=0)


class _Item(Strict):
    id: str = Field(title="编号 id", min_length=1)
    name: str = Field(title="名称 name", min_length=1)
    kind: Literal["bonus", "penalty"] = Field(title="类别 kind")
    max_points: Decimal = Field(title="单项分值上限 max_points", gt=0)


class _Grading(Strict):
    by: Literal["score", "rank"] = Field(title="分档方式 by")


class _Grade(Strict):
    name: str = Field(title="等次名称 name", min_length=1)
    low: Decimal = Field(alias="from", title="起点 from", ge=0)
    high: Decimal | None = Field(None, alias="to", title="终点 to", ge=0)


class _AnnualFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    title: str = Field(title="名称 title", min_length=1)
    source: str = ""
    quarters: _Quarters
    composition: _Composition
    deductions: _Deductions = _Deductions()
    items: _Items
    adjustment: list[_Item] = []
    grading: _Grading
    grade: list[_Grade] = Field(title="等次 [[grade]]", min_length=1)


@dataclass(frozen=True)
class ItemSpec:
    id: str
    name: str
    kind: str               # bonus | penalty
    max_points: Decimal     # absolute cap of one entry

    @property
    def kind_zh(self) -> str:
        return ITEM_KINDS[self.kind]


@dataclass(frozen=True)
class GradeBand:
    name: str
    low: Decimal            # score: inclusive; rank: inclusive
    high: Decimal | None    # score: exclusive (the top band includes 100); rank: inclusive, None = to the last

    def holds(self, by: str, score: Decimal, rank: int) -> bool:
        if by == "rank":
            return rank >= self.low and (self.high is None or rank <= self.high)
        return self.low <= score and (score < self.high or (self.high == 100 and score == 100))

    @property
    def text(self) -> str:
        return f"{self.low}–{self.high if self.high is not None else '末位'}"


@dataclass(frozen=True)
class AnnualConfig:
    version: str
    title: str
    source: str
    path: str | None
    sha256: str
    text: str
    quarter_method: str
    quarter_weights: tuple[Decimal, Decimal, Decimal, Decimal] | None
    quarters_share: Decimal
    supervision_share: Decimal
    max_bonus: Decimal
    max_penalty: Decimal
    items: tuple[ItemSpec, ...]
    grading: str
    grades: tuple[GradeBand, ...]     # best first

    def item(self, item_id: str) -> ItemSpec:
        for i in self.items:
            if i.id == item_id:
                return i
        raise KeyError(f"未配置的加减分项“{item_id}”，可选：{'、'.join(i.id for i in self.items)}")

    def grade_of(self, score: Decimal | None, rank: int | None) -> str | None:
        if score is None or rank is None:
            return None
        return next((g.name for g in self.grades if g.holds(self.grading, score, rank)), None)

    @property
    def method_text(self) -> str:
        if self.quarter_method == "weights":
            q = "季度部分 = " + " + ".join(f"第{'一二三四'[i]}季度指标得分 × {w}" for i, w in
                                          enumerate(self.quarter_weights))
        else:
            q = "季度部分 = 第四季度（年初至年末）排名的指标得分"
        return (f"{q}；年度得分 = 季度部分 × {self.quarters_share} + 半年督查得分 × {self.supervision_share}"
                f" + 全年扣分（按全年计一次） + 加减分项（加分最多 {self.max_bonus} 分，扣分最多 {self.max_penalty} 分），"
                f"截至 0–100 分；等次{GRADING[self.grading]}："
                + "、".join(f"{g.name}（{g.text}{'分' if self.grading == 'score' else '名'}）" for g in self.grades))


def parse_annual_config(text: str, path: str | None = None, sha256: str | None = None) -> AnnualConfig:
    f = config.parse_model(text, _AnnualFile, WHAT, path, AnnualConfigError)
    lines = config.TomlLines(text)

    def fail(message: str, table: str | None = None, key: str | None = None, index: int | None = None):
        raise AnnualConfigError(message, lines.find(table, key, index), path)

    weights = None
    if f.quarters.method == "weights":
        w = f.quarters.weights
        if w is None or len(w) != 4:
            fail("季度加权法需配置四个季度权重，如 weights = [0.2, 0.2, 0.3, 0.3]", "quarters", "weights")
        if any(x < 0 for x in w):
            fail("季度权重不能为负数", "quarters", "weights")
        if sum(w) != 1:
            fail(f"四个季度权重之和为 {sum(w)}，应为 1", "quarters", "weights")
        weights = tuple(w)
    elif f.quarters.weights is not None:
        fail("取第四季度年初至年末排名时不使用季度权重，请删除 weights", "quarters", "weights")
    c = f.composition
    if c.quarters + c.supervision != 1:
        fail(f"季度部分权重与半年督查权重之和为 {c.quarters + c.supervision}，应为 1", "composition", "quarters")
    ids = [i.id for i in f.adjustment]
    for k, x in enumerate(ids):
        if x in ids[:k]:
            fail(f"加减分项 id“{x}”重复", "adjustment", "id", k)
    grades = _check_grades(f, fail)
    return AnnualConfig(
        version=f.version.strip(), title=f.title.strip(), source=f.source, path=path,
        sha256=sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(), text=text,
        quarter_method=f.quarters.method, quarter_weights=weights, quarters_share=c.quarters,
        supervision_share=c.supervision, max_bonus=f.items.max_bonus, max_penalty=f.items.max_penalty,
        items=tuple(ItemSpec(i.id.strip(), i.name.strip(), i.kind, i.max_points) for i in f.adjustment),
        grading=f.grading.by, grades=grades,
    )


def _check_grades(f: _AnnualFile, fail) -> tuple[GradeBand, ...]:
    """Bands sorted best first; refused when they overlap or leave a gap (the message names both bands)."""
    names = [g.name for g in f.grade]
    for k, x in enumerate(names):
        if x in names[:k]:
            fail(f"等次名称“{x}”重复", "grade", "name", k)
    order = sorted(range(len(f.grade)), key=lambda k: f.grade[k].low)
    by_rank = f.grading.by == "rank"
    for k in order:
        g = f.grade[k]
        if by_rank and (g.low != int(g.low) or (g.high is not None and g.high != int(g.high))):
            fail(f"按名次分档时，等次“{g.name}”的名次应为整数", "grade", "from", k)
        if g.high is None and (not by_rank or k != order[-1]):
            fail(f"等次“{g.name}”缺少终点 to（只有按名次分档时的最后一档可以不写）", "grade", "name", k)
        if g.high is not None and (g.high < g.low if by_rank else g.high <= g.low):
            fail(f"等次“{g.name}”的终点 {g.high} 不大于起点 {g.low}", "grade", "to", k)
    first = f.grade[order[0]]
    if first.low != (1 if by_rank else 0):
        fail(f"等次分档应从{'第 1 名' if by_rank else ' 0 分'}起，最低一档“{first.name}”从 {first.low} 起，"
             f"{'第 1 名' if by_rank else '0 分'}至 {first.low} 之间有空缺", "grade", "from", order[0])
    for a, b in zip(order, order[1:]):
        lo, hi = f.grade[a], f.grade[b]
        expected = lo.high + 1 if by_rank else lo.high
        if hi.low < expected:
            fail(f"等次“{lo.name}”（{lo.low}–{lo.high}）与“{hi.name}”（{hi.low}–{hi.high or '末位'}）重叠，"
                 "请调整分档使其首尾相接", "grade", "from", b)
        if hi.low > expected:
            fail(f"等次“{lo.name}”（{lo.low}–{lo.high}）与“{hi.name}”（{hi.low}–{hi.high or '末位'}）之间有空缺，"
                 "请调整分档使其首尾相接", "grade", "from", b)
    last = f.grade[order[-1]]
    if not by_rank and last.high != 100:
        fail(f"等次分档应覆盖到 100 分，最高一档“{last.name}”止于 {last.high}", "grade", "to", order[-1])
    bands = [GradeBand(f.grade[k].name.strip(), f.grade[k].low, f.grade[k].high) for k in order]
    return tuple(reversed(bands)) if not by_rank else tuple(bands)


def config_path(path: str | Path | None = None) -> Path:
    return Path(path) if path else config.CONFIG_DIR / DEFAULT_NAME


def annual_configured(path: str | Path | None = None) -> bool:
    return config_path(path).exists()


def load_annual_config(path: str | Path | None = None) -> AnnualConfig:
    p = config_path(path)
    text, raw = config.read_text(p, WHAT, AnnualConfigError)
    return parse_annual_config(text, str(p), hashlib.sha256(raw).hexdigest())
