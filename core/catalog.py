"""The catalogue read from config/: assessed units and their counties, chains, loading rules.

The single place that knows unit codes, names and aliases, the chain list and the value sets of
the submission template (docs/CONTRACT.md §1). Everything is data in config/*.toml; this module only reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field, field_validator, model_validator

from core import config
from core.config import Strict

FUND_SOURCES = ("省外境内", "境外", "省内市州外")
PROJECT_TYPES = ("新建", "续建")
STATUSES = ("已签约未开工", "在建", "已投产", "停滞", "终止")
FIVE_HUNDRED_LISTS = ("世界500强", "中国企业500强", "中国民营企业500强")
NO_FIVE_HUNDRED = "无"
YES_NO = ("是", "否")


@dataclass(frozen=True)
class Unit:
    code: str
    name: str
    aliases: tuple[str, ...]
    counties: tuple[str, ...]


@dataclass(frozen=True)
class County:
    """A county-level division (县、市、区) of an assessed unit, with its statistical division code."""

    code: str
    name: str
    unit_code: str


@dataclass(frozen=True)
class Chain:
    """A key industrial chain with its code and lead department (链长部门), from config/chains.toml."""

    code: str
    name: str
    lead_department: str


class _UnitEntry(Strict):
    code: str = Field(title="单位代码 code", pattern=r"^\d{6}$")
    name: str = Field(title="单位名称 name", min_length=1)
    aliases: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()
    county_codes: dict[str, str] = Field({}, title="县区代码 county_codes")

    @model_validator(mode="after")
    def _codes(self):
        if not self.county_codes:
            return self
        prefix = self.code[:4]
        for name in self.counties:
            if name not in self.county_codes:
                raise ValueError(f"{self.name}的县区“{name}”没有县区代码（[unit.county_codes]）")
        for name, code in self.county_codes.items():
            if name not in self.counties:
                raise ValueError(f"县区代码中的“{name}”不在{self.name}的县区名单 counties 中")
            if len(code) != 6 or not code.isdigit() or not code.startswith(prefix) or code == self.code:
                raise ValueError(f"县区“{name}”的代码“{code}”无效：应为以 {prefix} 开头的 6 位统计区划代码")
        if len(set(self.county_codes.values())) < len(self.county_codes):
            raise ValueError(f"{self.name}的县区代码有重复")
        return self


class _UnitsFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    county_codes_source: str = ""
    unit: tuple[_UnitEntry, ...] = Field(title="单位 [[unit]]", min_length=1)


class _ChainInfo(Strict):
    code: str = Field(title="产业链代码 code", pattern=r"^[A-Za-z0-9_-]{1,16}$")
    lead_department: str = Field(title="链长部门 lead_department", min_length=1)


class _ChainsFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    provisional: bool = False
    other: str = "其他"
    chains: tuple[str, ...] = Field(title="产业链 chains", min_length=1)
    aliases: dict[str, str] = {}
    chain_info: dict[str, _ChainInfo] = Field({}, title="产业链代码与链长部门 [chain_info]")

    @model_validator(mode="after")
    def _info(self):
        if not self.chain_info:
            return self
        for name in self.chain_info:
            if name not in self.chains:
                raise ValueError(f"[chain_info] 中的“{name}”不在产业链名单 chains 中")
        for name in self.chains:
            if name not in self.chain_info:
                raise ValueError(f"产业链“{name}”缺少代码和链长部门（[chain_info]）")
        codes = [i.code for i in self.chain_info.values()]
        dup = next((c for i, c in enumerate(codes) if c in codes[:i]), None)
        if dup:
            raise ValueError(f"产业链代码“{dup}”重复")
        return self


@lru_cache(maxsize=1)
def units() -> tuple[Unit, ...]:
    """The assessed units in the official order (14 市州, then 兰州新区), from config/units.toml."""
    return tuple(Unit(u.code, u.name, u.aliases, u.counties) for u in _units_file().unit)


@lru_cache(maxsize=1)
def _units_file() -> _UnitsFile:
    return config.read_model("units.toml", _UnitsFile, "单位配置")


def county_codes_source() -> str:
    """Where the county codes come from (shown next to county figures)."""
    return _units_file().county_codes_source


@lru_cache(maxsize=1)
def counties() -> tuple[County, ...]:
    """Every county-level division with a code, by unit in the official order, then in config order (86)."""
    return tuple(County(e.county_codes[name], name, e.code)
                 for e in _units_file().unit for name in e.counties if name in e.county_codes)


def counties_of(unit_code: str) -> tuple[County, ...]:
    return tuple(c for c in counties() if c.unit_code == unit_code)


@lru_cache(maxsize=1)
def county_lookup() -> dict[str, County]:
    """County code -> County."""
    return {c.code: c for c in counties()}


def county_code(unit_code: str, name: str) -> str | None:
    """The code of a county named in a submission of `unit_code` (None for an empty or unknown name)."""
    return next((c.code for c in counties_of(unit_code) if c.name == name), None)


@lru_cache(maxsize=1)
def unit_lookup() -> dict[str, Unit]:
    """Every accepted spelling (code, full name, alias) -> Unit."""
    table: dict[str, Unit] = {}
    for u in units():
        for key in (u.code, u.name, *u.aliases):
            table[key] = u
    return table


def resolve_unit(text: object) -> Unit | None:
    """Unit for a name, short name or code as users type it; None if unknown."""
    if text is None:
        return None
    key = str(text).strip()
    if key.endswith(".0"):  # a code typed into a numeric Excel cell
        key = key[:-2]
    return unit_lookup().get(key)


def unit_name(code: str) -> str:
    return unit_lookup()[code].name


@lru_cache(maxsize=1)
def chain_config() -> _ChainsFile:
    return config.read_model("chains.toml", _ChainsFile, "产业链配置")


def chains() -> tuple[str, ...]:
    return chain_config().chains


def chains_provisional() -> bool:
    return chain_config().provisional


@lru_cache(maxsize=1)
def chain_entries() -> tuple[Chain, ...]:
    """The key chains in config order with code and lead department (empty codes if none are configured)."""
    cfg = chain_config()
    return tuple(Chain(cfg.chain_info[n].code if n in cfg.chain_info else "", n,
                       cfg.chain_info[n].lead_department if n in cfg.chain_info else "") for n in cfg.chains)


def chain_by_code(code: str) -> Chain | None:
    return next((c for c in chain_entries() if c.code == code.strip()), None)


def other_chain() -> str:
    return chain_config().other


def resolve_chain(text: str) -> str | None:
    """Canonical chain name, 其他, or None when the value is not a configured chain."""
    cfg = chain_config()
    t = text.strip()
    if t in cfg.chains or t == cfg.other:
        return t
    return cfg.aliases.get(t)


class _EtlFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    contract_version: str = Field(title="数据契约版本 contract_version", min_length=1)
    max_file_mb: int = Field(title="文件大小上限（MB）max_file_mb", gt=0, le=1024)
    max_rows: int = Field(title="数据行上限 max_rows", gt=0)
    earliest_month: str = Field(title="最早统计月份 earliest_month", pattern=r"^\d{4}-\d{2}$")
    deadline_day: int = Field(title="报送截止日 deadline_day", ge=1, le=28)
    counted_fund_sources: tuple[str, ...] = Field(title="计入到位资金的资金来源 counted_fund_sources", min_length=1)
    max_amount_wan: str = Field(title="单项金额上限（万元）max_amount_wan", pattern=r"^\d+$")
    earliest_date: str = Field(title="最早日期 earliest_date", pattern=r"^\d{4}-\d{2}-\d{2}$")
    date_horizon_months: int = Field(title="日期最多晚于统计月份的月数 date_horizon_months", ge=0, le=120)
    max_inflated_mb: int = Field(title="解压后大小上限（MB）max_inflated_mb", gt=0)
    max_columns: int = Field(title="列数上限 max_columns", ge=22)
    max_cells: int = Field(title="单元格数上限 max_cells", gt=0)
    parse_memory_mb: int = Field(title="解析进程内存上限（MB）parse_memory_mb", ge=256)
    combined_jan_feb_years: tuple[int, ...] = Field(
        (), title="1—2月合报年份 combined_jan_feb_years (CONTRACT.md 扩展：1—2月合报)")

    @field_validator("combined_jan_feb_years")
    @classmethod
    def _years(cls, v: tuple[int, ...]) -> tuple[int, ...]:
        bad = [str(y) for y in v if not 2000 <= y <= 2100]
        if bad:
            raise ValueError(f"1—2月合报年份“{'、'.join(bad)}”不是有效年份（应为如 2025 的四位年份）")
        return tuple(sorted(set(v)))

    @field_validator("counted_fund_sources")
    @classmethod
    def _sources(cls, v: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [x for x in v if x not in FUND_SOURCES]
        if unknown:
            raise ValueError(f"资金来源“{'、'.join(unknown)}”不在模板的取值中（{'、'.join(FUND_SOURCES)}）")
        return v


@lru_cache(maxsize=1)
def etl_settings() -> dict:
    """config/etl.toml, validated (Chinese, line-numbered errors), as the plain dict the loader reads."""
    return config.read_model("etl.toml", _EtlFile, "加载规则配置").model_dump()
