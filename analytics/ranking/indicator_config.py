"""The indicator system as configuration: reading and validating config/indicators.toml.

`load_indicator_config(path)` returns an `IndicatorConfig` or raises `IndicatorConfigError` with a Chinese message
naming the line (the TOML parser's line for syntax errors; the line of the offending key for semantic errors).
`load_indicator_config_or_last_valid(path, last_valid)` lets the app keep working on the last valid config.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import polars as pl
from pydantic import Field, field_validator, model_validator

from analytics.ranking.formulas import FORMULAS
from analytics.ranking.normalise import NORMALISER_NAMES, REFERENCE_NORMALISERS
from core import catalog, config
from core.config import Strict

DEFAULT_PATH = config.CONFIG_DIR / "indicators.toml"
WHAT = "指标体系配置"

DIRECTIONS = {"higher": "越高越好", "lower": "越低越好"}
WINDOWS = {"ytd": "年初至季末", "quarter": "本季度"}
MISSING_POLICIES = {"flag": "按已报数据计算并参与排名，标注数据不完整", "exclude": "显示得分但不参与排名"}
WEIGHT_METHODS = ("uniform", "dirichlet")
ATTRIBUTION_REFERENCES = {"previous_quarter": "上季度参照", "goalposts": "固定上下限参照"}



class IndicatorConfigError(config.ConfigError):
    """A problem of the indicator config, with the line it was found on."""

    WHAT = WHAT  # the module constant: one name for the file in every message


@dataclass(frozen=True)
class IndicatorSpec:
    id: str
    name: str
    formula: str
    direction: str                  # "higher" | "lower"
    unit: str
    weight: float                   # normalised so that all weights sum to 1
    normaliser: str
    floor: float | None = None
    cap: float | None = None
    target: float | None = None
    max_ratio: float = 1.0
    goalposts: tuple[float, float] | None = None
    params: dict = field(default_factory=dict)
    note: str = ""

    @property
    def direction_zh(self) -> str:
        return DIRECTIONS[self.direction]

    @property
    def formula_text(self) -> str:
        return _formula_text(self.formula, self.params)


@dataclass(frozen=True)
class AdjustmentSpec:
    id: str
    name: str
    formula: str
    points_per: float
    max_points: float | None
    params: dict = field(default_factory=dict)
    note: str = ""

    @property
    def formula_text(self) -> str:
        return _formula_text(self.formula, self.params)


def _formula_text(formula: str, params: dict) -> str:
    """The registry's Chinese formula text with this indicator's parameters filled in."""
    return FORMULAS[formula].text.format(**{k: f"{v:g}" for k, v in params.items()})


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    units: tuple[str, ...]


@dataclass(frozen=True)
class Robustness:
    draws: int
    seed: int
    weight_method: str
    weight_spread: float
    dirichlet_concentration: float
    normalisers: tuple[str, ...]


@dataclass(frozen=True)
class IndicatorConfig:
    version: str
    title: str
    source: str
    path: str | None
    sha256: str
    text: str
    default_normaliser: str
    window: str
    missing_policy: str
    groups: tuple[Group, ...]
    robustness: Robustness
    max_alternative_weight: float
    attribution_reference: str
    red_top: int
    black_gap: float
    indicators: tuple[IndicatorSpec, ...]
    adjustments: tuple[AdjustmentSpec, ...]

    def group(self, group_id: str | None = None) -> Group:
        if group_id is None:
            return self.groups[0]
        for g in self.groups:
            if g.id == group_id:
                return g
        raise IndicatorConfigError(
            f"未配置的排名分组“{group_id}”，可选：{'、'.join(g.id for g in self.groups)}", path=self.path)

    def indicator_table(self) -> pl.DataFrame:
        """One row per indicator: what a page shows next to the ranking (name, unit, direction, formula)."""
        return pl.DataFrame(
            [(s.id, s.name, s.unit, s.direction, s.direction_zh, s.weight, s.normaliser,
              NORMALISER_NAMES[s.normaliser], s.floor, s.cap, s.formula, s.formula_text, s.note)
             for s in self.indicators],
            schema={"indicator_id": pl.String, "name": pl.String, "unit": pl.String, "direction": pl.String,
                    "direction_zh": pl.String, "weight": pl.Float64, "normaliser": pl.String,
                    "normaliser_zh": pl.String, "floor": pl.Float64, "cap": pl.Float64, "formula_id": pl.String,
                    "formula_text": pl.String, "note": pl.String},
            orient="row",
        )

    def adjustment_table(self) -> pl.DataFrame:
        """One row per bonus/deduction item."""
        return pl.DataFrame(
            [(a.id, a.name, a.points_per, a.max_points, a.formula, a.formula_text, a.note) for a in self.adjustments],
            schema={"adjustment_id": pl.String, "name": pl.String, "points_per": pl.Float64,
                    "max_points": pl.Float64, "formula_id": pl.String, "formula_text": pl.String, "note": pl.String},
            orient="row",
        )


# --------------------------------------------------------------------------- the file's shape

Number = float


class IndicatorEntry(Strict):
    id: str = Field(title="id", min_length=1)
    name: str = Field(title="名称", min_length=1)
    formula: str = Field(title="公式 formula")
    direction: Literal["higher", "lower"] = Field(title="方向 direction")
    unit: str = Field(title="单位 unit")
    weight: Number = Field(title="权重", gt=0)
    normaliser: str | None = Field(default=None, title="标准化方法")
    floor: Number | None = Field(default=None, title="下限 floor")
    cap: Number | None = Field(default=None, title="上限 cap")
    target: Number | None = Field(default=None, title="目标值 target", gt=0)
    max_ratio: Number = Field(default=1.0, title="封顶倍数 max_ratio", gt=0)
    goalposts: tuple[Number, Number] | None = Field(default=None, title="固定上下限 goalposts")
    params: dict[str, Number] | None = Field(default=None, title="参数 params")
    note: str = ""

    @field_validator("formula")
    @classmethod
    def _formula(cls, v: str) -> str:
        return _known_formula(v, "indicator")

    @field_validator("normaliser")
    @classmethod
    def _normaliser(cls, v: str | None) -> str | None:
        if v is not None and v not in NORMALISER_NAMES:
            raise ValueError(f"标准化方法“{v}”无效，可选：{'、'.join(NORMALISER_NAMES)}")
        return v

    @model_validator(mode="after")
    def _consistent(self):
        label = f"指标“{self.id}”"
        if self.floor is not None and self.cap is not None and self.floor >= self.cap:
            raise ValueError(f"{label}的下限 floor 应小于上限 cap")
        if self.goalposts is not None and self.goalposts[0] >= self.goalposts[1]:
            raise ValueError(f"{label}的 goalposts 应为 [下限, 上限] 且下限小于上限")
        return self

    _params = field_validator("params")(lambda v, info: _check_params(v, info.data.get("formula")))


class AdjustmentEntry(Strict):
    id: str = Field(title="id", min_length=1)
    name: str = Field(title="名称", min_length=1)
    formula: str = Field(title="公式 formula")
    points_per: Number = Field(title="每项分值")
    max_points: Number | None = Field(default=None, title="分值上限", gt=0)
    params: dict[str, Number] | None = Field(default=None, title="参数 params")
    note: str = ""

    @field_validator("formula")
    @classmethod
    def _formula(cls, v: str) -> str:
        return _known_formula(v, "adjustment")

    @field_validator("points_per")
    @classmethod
    def _not_zero(cls, v: float) -> float:
        if v == 0:
            raise ValueError("加减分项的每项分值不能为 0")
        return v

    _params = field_validator("params")(lambda v, info: _check_params(v, info.data.get("formula")))


class GroupEntry(Strict):
    id: str = Field(title="分组 id", min_length=1)
    name: str = Field(title="分组名称", min_length=1)
    units: list[str] = Field(title="单位 units", min_length=1)

    @field_validator("units")
    @classmethod
    def _units(cls, v: list[str]) -> list[str]:
        codes = []
        for text in v:
            unit = catalog.resolve_unit(text)
            if unit is None:
                raise ValueError(f"分组中的单位“{text}”不在 config/units.toml 中")
            if unit.code in codes:
                raise ValueError(f"分组中单位“{unit.name}”重复")
            codes.append(unit.code)
        return codes


class Scoring(Strict):
    default_normaliser: Literal["efficacy", "minmax", "zscore", "rank", "goalposts"] = Field(
        "efficacy", title="默认标准化方法")
    window: Literal["ytd", "quarter"] = Field("ytd", title="指标期间 window")
    missing_policy: Literal["flag", "exclude"] = Field("flag", title="缺报处理 missing_policy")


class RobustnessSection(Strict):
    draws: int = Field(1000, title="模拟次数 draws", ge=1, le=100_000)
    seed: int = Field(0, title="随机种子 seed", ge=0)
    weight_method: Literal["uniform", "dirichlet"] = Field("uniform", title="权重扰动方法")
    weight_spread: Number = Field(0.25, title="权重扰动幅度 weight_spread", ge=0, lt=1)
    dirichlet_concentration: Number = Field(50, title="狄利克雷集中度", gt=0)
    normalisers: list[Literal["efficacy", "minmax", "zscore", "rank", "goalposts"]] = Field(
        list(REFERENCE_NORMALISERS), title="模拟用标准化方法", min_length=1)


class AlternativeWeights(Strict):
    max_weight: Number = Field(1.0, title="单项权重上限 max_weight", gt=0, le=1)


class AttributionSection(Strict):
    reference: Literal["previous_quarter", "goalposts"] = Field("previous_quarter", title="归因参照 reference")


class MonthlyBulletinSection(Strict):
    red_top: int = Field(3, title="红榜人数 red_top", ge=0)
    black_gap: Number = Field(0.10, title="黑榜差距 black_gap")


class IndicatorFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    title: str = ""
    source: str = ""
    scoring: Scoring = Scoring()
    group: list[GroupEntry] = []
    robustness: RobustnessSection = RobustnessSection()
    alternative_weights: AlternativeWeights = AlternativeWeights()
    attribution: AttributionSection = AttributionSection()
    monthly_bulletin: MonthlyBulletinSection = MonthlyBulletinSection()
    indicator: list[IndicatorEntry] = Field(title="指标 [[indicator]]", min_length=1)
    adjustment: list[AdjustmentEntry] = []


def _known_formula(formula: str, kind: str) -> str:
    if formula not in FORMULAS:
        raise ValueError(f"未知的公式编号“{formula}”（见指标公式登记表）")
    if FORMULAS[formula].kind != kind:
        raise ValueError(f"公式“{formula}”不能用作{'指标' if kind == 'indicator' else '加减分项'}")
    return formula


def _check_params(params: dict | None, formula: str | None) -> dict | None:
    """Parameters the formula has (validated after `formula`, which comes first in the entry)."""
    if params is None or formula not in FORMULAS:
        return params
    allowed = FORMULAS[formula].params
    for k in params:
        if k not in allowed:
            raise ValueError(f"公式“{formula}”没有参数“{k}”，可用参数：{'、'.join(allowed) or '无'}")
    return params


# --------------------------------------------------------------------------- reading




def parse_indicator_config(text: str, path: str | None = None, sha256: str | None = None) -> IndicatorConfig:
    """Validate config text (e.g. one stored with a publication) and build the config."""
    f = config.parse_model(text, IndicatorFile, WHAT, path, IndicatorConfigError)
    lines = config.TomlLines(text)

    def fail(message: str, table: str | None = None, key: str | None = None, index: int | None = None):
        raise IndicatorConfigError(message, lines.find(table, key, index), path)

    seen: set[str] = set()
    for i, e in enumerate(f.indicator):
        if e.id in seen:
            fail(f"指标 id“{e.id}”重复", "indicator", "id", i)
        seen.add(e.id)
        norm = e.normaliser or f.scoring.default_normaliser
        if norm == "completion" and e.target is None:
            fail(f"第 {i + 1} 个指标（{e.id}）使用目标完成度法，需配置目标值 target", "indicator", "normaliser", i)
        if norm == "goalposts" and e.goalposts is None:
            fail(f"第 {i + 1} 个指标（{e.id}）使用固定上下限法，需配置 goalposts = [下限, 上限]", "indicator", "normaliser", i)
        if f.attribution.reference == "goalposts" and norm in REFERENCE_NORMALISERS and e.goalposts is None:
            fail(f"归因参照为固定上下限，但指标“{e.id}”未配置 goalposts", "indicator", "id", i)
    if f.attribution.reference == "goalposts" and f.scoring.default_normaliser not in ("efficacy", "minmax",
                                                                                        "goalposts"):
        fail("固定上下限参照只适用于固定上下限法、功效系数法或极差标准化", "attribution", "reference")
    for kind, entries in (("adjustment", f.adjustment), ("group", f.group)):
        ids = [e.id for e in entries]
        for i, x in enumerate(ids):
            if x in ids[:i]:
                fail(f"{'加减分项' if kind == 'adjustment' else '分组'} id“{x}”重复", kind, "id", i)
    total = sum(e.weight for e in f.indicator)
    if abs(total - 1) <= 1e-6:
        scale = 1.0
    elif abs(total - 100) <= 1e-4:
        scale = 100.0
    else:
        fail(f"各指标权重之和为 {total:g}，应为 1（或 100）", "indicator", "weight", 0)
    max_w = f.alternative_weights.max_weight
    if max_w * len(f.indicator) < 1:
        fail(f"单项权重上限应在 1/{len(f.indicator)} 与 1 之间，收到 {max_w}", "alternative_weights", "max_weight")
    r = f.robustness
    return IndicatorConfig(
        version=f.version.strip(), title=f.title, source=f.source, path=path,
        sha256=sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest(), text=text,
        default_normaliser=f.scoring.default_normaliser, window=f.scoring.window,
        missing_policy=f.scoring.missing_policy,
        groups=tuple(Group(g.id, g.name.strip(), tuple(g.units)) for g in f.group)
        or (Group("all", "全部被考核单位", tuple(u.code for u in catalog.units())),),
        robustness=Robustness(r.draws, r.seed, r.weight_method, r.weight_spread, r.dirichlet_concentration,
                              tuple(r.normalisers)),
        max_alternative_weight=max_w, attribution_reference=f.attribution.reference,
        red_top=f.monthly_bulletin.red_top, black_gap=f.monthly_bulletin.black_gap,
        indicators=tuple(IndicatorSpec(
            id=e.id.strip(), name=e.name.strip(), formula=e.formula, direction=e.direction, unit=e.unit,
            weight=e.weight / scale, normaliser=e.normaliser or f.scoring.default_normaliser, floor=e.floor,
            cap=e.cap, target=e.target, max_ratio=e.max_ratio, goalposts=e.goalposts,
            params={**FORMULAS[e.formula].params, **(e.params or {})}, note=e.note) for e in f.indicator),
        adjustments=tuple(AdjustmentSpec(
            id=a.id.strip(), name=a.name.strip(), formula=a.formula, points_per=a.points_per,
            max_points=a.max_points, params={**FORMULAS[a.formula].params, **(a.params or {})}, note=a.note)
            for a in f.adjustment),
    )


def load_indicator_config(path: str | Path | None = None) -> IndicatorConfig:
    """Read and validate the indicator config file (default config/indicators.toml)."""
    p = Path(path) if path else DEFAULT_PATH
    text, raw = config.read_text(p, WHAT, IndicatorConfigError)
    return parse_indicator_config(text, str(p), hashlib.sha256(raw).hexdigest())


def load_indicator_config_or_last_valid(
    path: str | Path | None, last_valid: IndicatorConfig | None
) -> tuple[IndicatorConfig, IndicatorConfigError | None]:
    """(config, None) when the file is valid; (last_valid, the error) when not, so the app keeps working.

    Without a last valid config the error is raised.
    """
    try:
        return load_indicator_config(path), None
    except IndicatorConfigError as e:
        if last_valid is None:
            raise
        return last_valid, e
