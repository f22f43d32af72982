"""The indicator system as configuration: reading and validating config/indicators.toml.

`load_indicator_config(path)` returns an `IndicatorConfig` or raises `IndicatorConfigError` with a Chinese message
naming the line (the TOML parser's line for syntax errors; the line of the offending key for semantic errors).
`load_indicator_config_or_last_valid(path, last_valid)` lets the app keep working on the last valid config.
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from dataclasses import dataclass, field, replace
from pathlib import Path

import polars as pl

from analytics.ranking.indicators import FORMULAS
from analytics.ranking.normalise import NORMALISER_NAMES, REFERENCE_NORMALISERS
from core import catalog, configfile

DEFAULT_PATH = configfile.CONFIG_DIR / "indicators.toml"

DIRECTIONS = {"higher": "越高越好", "lower": "越低越好"}
WINDOWS = {"ytd": "年初至季末", "quarter": "本季度"}
MISSING_POLICIES = {"flag": "按已报数据计算并参与排名，标注数据不完整", "exclude": "显示得分但不参与排名"}
WEIGHT_METHODS = ("uniform", "dirichlet")
ATTRIBUTION_REFERENCES = {"previous_quarter": "上季度参照", "goalposts": "固定上下限参照"}

_INDICATOR_KEYS = {"id", "name", "formula", "direction", "unit", "weight", "normaliser", "floor", "cap",
                   "target", "max_ratio", "goalposts", "params", "note"}
_ADJUSTMENT_KEYS = {"id", "name", "formula", "points_per", "max_points", "params", "note"}


class IndicatorConfigError(ValueError):
    """A config problem, with the line it was found on (None when the file as a whole is wrong)."""

    def __init__(self, message: str, line: int | None = None, path: str | None = None):
        self.message, self.line, self.path = message, line, path
        where = f"第 {line} 行：" if line else ""
        super().__init__(f"指标体系配置错误（{path or '配置文本'}）{where}{message}")


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


# --------------------------------------------------------------------------- locating lines

class _Lines:
    """Finds the line of a key in the config text: top-level, in [table], or in the n-th [[array]] entry."""

    def __init__(self, text: str):
        self.lines = text.splitlines()

    def _headers(self, name: str, array: bool) -> list[int]:
        pat = re.compile(r"^\s*\[\[\s*" + re.escape(name) + r"\s*\]\]" if array
                         else r"^\s*\[\s*" + re.escape(name) + r"\s*\]")
        return [i for i, s in enumerate(self.lines) if pat.match(s)]

    def _block_end(self, start: int) -> int:
        for i in range(start + 1, len(self.lines)):
            if re.match(r"^\s*\[", self.lines[i]):
                return i
        return len(self.lines)

    def find(self, table: str | None = None, key: str | None = None, index: int | None = None,
             value: str | None = None) -> int | None:
        """1-based line of `key` (or of the quoted `value` inside that key's, possibly multi-line, value)."""
        if table is None:
            start, end = -1, next((i for i, s in enumerate(self.lines) if re.match(r"^\s*\[", s)), len(self.lines))
        else:
            heads = self._headers(table, array=index is not None)
            if not heads:
                return None
            start = heads[index or 0] if (index or 0) < len(heads) else heads[-1]
            end = self._block_end(start)
        if key is not None:
            pat = re.compile(r"^\s*[\"']?" + re.escape(key) + r"[\"']?\s*=")
            for i in range(start + 1, end):
                if pat.match(self.lines[i]):
                    quoted = f'"{value}"'
                    hit = next((k for k in range(i, end) if quoted in self.lines[k]), i) if value else i
                    return hit + 1
        return start + 1 if start >= 0 else None


# --------------------------------------------------------------------------- parsing

_TOML_LINE = re.compile(r"\(at line (\d+), column (\d+)\)")


def parse_indicator_config(text: str, path: str | None = None, sha256: str | None = None) -> IndicatorConfig:
    """Validate config text (e.g. one stored with a publication) and build the config."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = _TOML_LINE.search(str(e))
        line = int(m.group(1)) if m else None
        col = f"第 {m.group(2)} 列" if m else ""
        raise IndicatorConfigError(f"TOML 语法错误{('（' + col + '）') if col else ''}：{_TOML_LINE.sub('', str(e)).strip()}",
                                   line, path) from None
    return _Builder(data, text, path, sha256 or hashlib.sha256(text.encode("utf-8")).hexdigest()).build()


def load_indicator_config(path: str | Path | None = None) -> IndicatorConfig:
    """Read and validate the indicator config file (default config/indicators.toml)."""
    p = Path(path) if path else DEFAULT_PATH
    try:
        raw = p.read_bytes()
    except OSError as e:
        raise IndicatorConfigError(f"无法读取配置文件：{e.strerror or e}", path=str(p)) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise IndicatorConfigError("配置文件不是 UTF-8 编码", path=str(p)) from None
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


class _Builder:
    def __init__(self, data: dict, text: str, path: str | None, sha256: str):
        self.data, self.text, self.path, self.sha256 = data, text, path, sha256
        self.lines = _Lines(text)

    def fail(self, message: str, table: str | None = None, key: str | None = None, index: int | None = None,
             value: str | None = None):
        raise IndicatorConfigError(message, self.lines.find(table, key, index, value), self.path)

    def number(self, value, what: str, table, key, index=None, *, positive=False, allow_none=False) -> float | None:
        if value is None and allow_none:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            self.fail(f"{what}应为数字，收到 {value!r}", table, key, index)
        if positive and value <= 0:
            self.fail(f"{what}应大于 0，收到 {value}", table, key, index)
        return float(value)

    def choice(self, value, allowed, what: str, table, key, index=None) -> str:
        if value not in allowed:
            self.fail(f"{what}“{value}”无效，可选：{'、'.join(allowed)}", table, key, index)
        return value

    def text_of(self, value, what: str, table, key, index=None) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(f"{what}应为非空文本", table, key, index)
        return value.strip()

    # ----------------------------------------------------------------------- sections

    def build(self) -> IndicatorConfig:
        d = self.data
        version = self.text_of(d.get("version"), "版本号 version", None, "version")
        scoring = self.table("scoring")
        default_norm = self.choice(scoring.get("default_normaliser", "efficacy"), REFERENCE_NORMALISERS,
                                   "默认标准化方法", "scoring", "default_normaliser")
        window = self.choice(scoring.get("window", "ytd"), WINDOWS, "指标期间 window", "scoring", "window")
        policy = self.choice(scoring.get("missing_policy", "flag"), MISSING_POLICIES,
                             "缺报处理 missing_policy", "scoring", "missing_policy")
        indicators = self.indicators(default_norm)
        adjustments = self.adjustments()
        attribution = self.table("attribution")
        reference = self.choice(attribution.get("reference", "previous_quarter"), ATTRIBUTION_REFERENCES,
                                "归因参照 reference", "attribution", "reference")
        if reference == "goalposts":
            for i, s in enumerate(indicators):
                if s.normaliser in REFERENCE_NORMALISERS and s.goalposts is None:
                    self.fail(f"归因参照为固定上下限，但指标“{s.id}”未配置 goalposts", "indicator", "id", i)
            if default_norm not in ("efficacy", "minmax"):
                self.fail("固定上下限参照只适用于功效系数法或极差标准化", "attribution", "reference")
        alt = self.table("alternative_weights")
        max_w = self.number(alt.get("max_weight", 1.0), "单项权重上限 max_weight", "alternative_weights",
                            "max_weight", positive=True)
        if max_w > 1 or max_w * len(indicators) < 1:
            self.fail(f"单项权重上限应在 1/{len(indicators)} 与 1 之间，收到 {max_w}", "alternative_weights", "max_weight")
        bulletin = self.table("monthly_bulletin")
        red_top = bulletin.get("red_top", 3)
        if isinstance(red_top, bool) or not isinstance(red_top, int) or red_top < 0:
            self.fail(f"红榜人数 red_top 应为非负整数，收到 {red_top!r}", "monthly_bulletin", "red_top")
        black_gap = self.number(bulletin.get("black_gap", 0.10), "黑榜差距 black_gap", "monthly_bulletin", "black_gap")
        return IndicatorConfig(
            version=version,
            title=str(d.get("title", "")),
            source=str(d.get("source", "")),
            path=self.path,
            sha256=self.sha256,
            text=self.text,
            default_normaliser=default_norm,
            window=window,
            missing_policy=policy,
            groups=self.groups(),
            robustness=self.robustness(),
            max_alternative_weight=max_w,
            attribution_reference=reference,
            red_top=red_top,
            black_gap=black_gap,
            indicators=indicators,
            adjustments=adjustments,
        )

    def table(self, name: str) -> dict:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            self.fail(f"[{name}] 应为表（section）", None, name)
        return value

    def array(self, name: str) -> list[dict]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(x, dict) for x in value):
            self.fail(f"{name} 应写成 [[{name}]] 表数组", None, name)
        return value

    def params(self, raw, formula: str, table: str, index: int) -> dict:
        if raw is None:
            return dict(FORMULAS[formula].params)
        if not isinstance(raw, dict):
            self.fail("params 应为表，例如 params = { min_months = 6 }", table, "params", index)
        allowed = FORMULAS[formula].params
        for k, v in raw.items():
            if k not in allowed:
                self.fail(f"公式“{formula}”没有参数“{k}”，可用参数：{'、'.join(allowed) or '无'}", table, "params", index)
            self.number(v, f"参数 {k} ", table, "params", index)
        return {**allowed, **raw}

    def formula(self, raw, kind: str, table: str, index: int) -> str:
        if raw not in FORMULAS:
            self.fail(f"未知的公式编号“{raw}”（见 analytics/indicators.py 的公式登记表）", table, "formula", index)
        if FORMULAS[raw].kind != kind:
            what = "指标" if kind == "indicator" else "加减分项"
            self.fail(f"公式“{raw}”不能用作{what}", table, "formula", index)
        return raw

    def check_keys(self, entry: dict, allowed: set, required: tuple, table: str, index: int, label: str):
        for k in entry:
            if k not in allowed:
                self.fail(f"{label}有未知的键“{k}”（拼写错误？）", table, k, index)
        for k in required:
            if k not in entry:
                self.fail(f"{label}缺少必填项“{k}”", table, None, index)

    def indicators(self, default_norm: str) -> tuple[IndicatorSpec, ...]:
        raw = self.array("indicator")
        if not raw:
            self.fail("至少需要一个 [[indicator]] 指标")
        seen, specs = set(), []
        for i, e in enumerate(raw):
            label = f"第 {i + 1} 个指标（{e.get('id', '未命名')}）"
            self.check_keys(e, _INDICATOR_KEYS, ("id", "name", "formula", "direction", "unit", "weight"),
                            "indicator", i, label)
            iid = self.text_of(e["id"], f"{label}的 id", "indicator", "id", i)
            if iid in seen:
                self.fail(f"指标 id“{iid}”重复", "indicator", "id", i)
            seen.add(iid)
            formula = self.formula(e["formula"], "indicator", "indicator", i)
            direction = self.choice(e["direction"], DIRECTIONS, f"{label}的方向 direction", "indicator", "direction", i)
            weight = self.number(e["weight"], f"{label}的权重", "indicator", "weight", i, positive=True)
            norm = self.choice(e.get("normaliser", default_norm), NORMALISER_NAMES, f"{label}的标准化方法",
                               "indicator", "normaliser", i)
            floor = self.number(e.get("floor"), f"{label}的下限 floor", "indicator", "floor", i, allow_none=True)
            cap = self.number(e.get("cap"), f"{label}的上限 cap", "indicator", "cap", i, allow_none=True)
            if floor is not None and cap is not None and floor >= cap:
                self.fail(f"{label}的下限 floor 应小于上限 cap", "indicator", "floor", i)
            target = self.number(e.get("target"), f"{label}的目标值 target", "indicator", "target", i,
                                 positive=True, allow_none=True)
            if norm == "completion" and target is None:
                self.fail(f"{label}使用目标完成度法，需配置目标值 target", "indicator", "normaliser", i)
            max_ratio = self.number(e.get("max_ratio", 1.0), f"{label}的封顶倍数 max_ratio", "indicator",
                                    "max_ratio", i, positive=True)
            goalposts = e.get("goalposts")
            if goalposts is not None:
                if (not isinstance(goalposts, list) or len(goalposts) != 2
                        or any(isinstance(x, bool) or not isinstance(x, (int, float)) for x in goalposts)
                        or goalposts[0] >= goalposts[1]):
                    self.fail(f"{label}的 goalposts 应为 [下限, 上限] 且下限小于上限", "indicator", "goalposts", i)
                goalposts = (float(goalposts[0]), float(goalposts[1]))
            if norm == "goalposts" and goalposts is None:
                self.fail(f"{label}使用固定上下限法，需配置 goalposts = [下限, 上限]", "indicator", "normaliser", i)
            specs.append(IndicatorSpec(
                id=iid, name=self.text_of(e["name"], f"{label}的名称", "indicator", "name", i), formula=formula,
                direction=direction, unit=str(e["unit"]), weight=weight, normaliser=norm, floor=floor, cap=cap,
                target=target, max_ratio=max_ratio, goalposts=goalposts,
                params=self.params(e.get("params"), formula, "indicator", i), note=str(e.get("note", "")),
            ))
        total = sum(s.weight for s in specs)
        if abs(total - 1) <= 1e-6:
            scale = 1.0
        elif abs(total - 100) <= 1e-4:
            scale = 100.0
        else:
            self.fail(f"各指标权重之和为 {total:g}，应为 1（或 100）", "indicator", "weight", 0)
        return tuple(replace(s, weight=s.weight / scale) for s in specs)

    def adjustments(self) -> tuple[AdjustmentSpec, ...]:
        out, seen = [], set()
        for i, e in enumerate(self.array("adjustment")):
            label = f"第 {i + 1} 个加减分项（{e.get('id', '未命名')}）"
            self.check_keys(e, _ADJUSTMENT_KEYS, ("id", "name", "formula", "points_per"), "adjustment", i, label)
            aid = self.text_of(e["id"], f"{label}的 id", "adjustment", "id", i)
            if aid in seen:
                self.fail(f"加减分项 id“{aid}”重复", "adjustment", "id", i)
            seen.add(aid)
            formula = self.formula(e["formula"], "adjustment", "adjustment", i)
            points = self.number(e["points_per"], f"{label}的每项分值", "adjustment", "points_per", i)
            if points == 0:
                self.fail(f"{label}的每项分值不能为 0", "adjustment", "points_per", i)
            out.append(AdjustmentSpec(
                id=aid, name=self.text_of(e["name"], f"{label}的名称", "adjustment", "name", i), formula=formula,
                points_per=points,
                max_points=self.number(e.get("max_points"), f"{label}的分值上限", "adjustment", "max_points", i,
                                       positive=True, allow_none=True),
                params=self.params(e.get("params"), formula, "adjustment", i), note=str(e.get("note", "")),
            ))
        return tuple(out)

    def groups(self) -> tuple[Group, ...]:
        raw = self.array("group")
        if not raw:
            return (Group("all", "全部被考核单位", tuple(u.code for u in catalog.units())),)
        out, seen = [], set()
        for i, e in enumerate(raw):
            self.check_keys(e, {"id", "name", "units"}, ("id", "name", "units"), "group", i, f"第 {i + 1} 个分组")
            gid = self.text_of(e["id"], "分组 id", "group", "id", i)
            if gid in seen:
                self.fail(f"分组 id“{gid}”重复", "group", "id", i)
            seen.add(gid)
            units = e["units"]
            if not isinstance(units, list) or not units:
                self.fail("分组的 units 应为非空列表", "group", "units", i)
            codes = []
            for text in units:
                unit = catalog.resolve_unit(text)
                if unit is None:
                    self.fail(f"分组“{gid}”中的单位“{text}”不在 config/units.toml 中", "group", "units", i, str(text))
                if unit.code in codes:
                    self.fail(f"分组“{gid}”中单位“{unit.name}”重复", "group", "units", i, str(text))
                codes.append(unit.code)
            out.append(Group(gid, self.text_of(e["name"], "分组名称", "group", "name", i), tuple(codes)))
        return tuple(out)

    def robustness(self) -> Robustness:
        r = self.table("robustness")
        draws = r.get("draws", 1000)
        if isinstance(draws, bool) or not isinstance(draws, int) or not 1 <= draws <= 100_000:
            self.fail(f"模拟次数 draws 应为 1–100000 的整数，收到 {draws!r}", "robustness", "draws")
        seed = r.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int) or seed < 0:
            self.fail(f"随机种子 seed 应为非负整数，收到 {seed!r}", "robustness", "seed")
        method = self.choice(r.get("weight_method", "uniform"), WEIGHT_METHODS, "权重扰动方法", "robustness",
                             "weight_method")
        spread = self.number(r.get("weight_spread", 0.25), "权重扰动幅度", "robustness", "weight_spread")
        if not 0 <= spread < 1:
            self.fail(f"权重扰动幅度 weight_spread 应在 [0, 1) 之间，收到 {spread}", "robustness", "weight_spread")
        conc = self.number(r.get("dirichlet_concentration", 50), "狄利克雷集中度", "robustness",
                           "dirichlet_concentration", positive=True)
        norms = r.get("normalisers", list(REFERENCE_NORMALISERS))
        if not isinstance(norms, list) or not norms:
            self.fail("normalisers 应为非空列表", "robustness", "normalisers")
        for n in norms:
            self.choice(n, REFERENCE_NORMALISERS, "模拟用标准化方法", "robustness", "normalisers")
        return Robustness(draws, seed, method, spread, conc, tuple(norms))
