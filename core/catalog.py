"""The catalogue read from config/: assessed units and their counties, chains, loading rules.

The single place that knows unit codes, names and aliases, the chain list and the value sets of
the submission template (docs/CONTRACT.md §1). Everything is data in config/*.toml; this module only reads it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from pydantic import Field

from core import config
from core.config import Strict, read_config

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


class _UnitEntry(Strict):
    code: str = Field(title="单位代码 code", pattern=r"^\d{6}$")
    name: str = Field(title="单位名称 name", min_length=1)
    aliases: tuple[str, ...] = ()
    counties: tuple[str, ...] = ()


class _UnitsFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    unit: tuple[_UnitEntry, ...] = Field(title="单位 [[unit]]", min_length=1)


class _ChainsFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    provisional: bool = False
    other: str = "其他"
    chains: tuple[str, ...] = Field(title="产业链 chains", min_length=1)
    aliases: dict[str, str] = {}


@lru_cache(maxsize=1)
def units() -> tuple[Unit, ...]:
    """The assessed units in the official order (14 市州, then 兰州新区), from config/units.toml."""
    data = config.read_model("units.toml", _UnitsFile, "单位配置")
    return tuple(Unit(u.code, u.name, u.aliases, u.counties) for u in data.unit)


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


def other_chain() -> str:
    return chain_config().other


def resolve_chain(text: str) -> str | None:
    """Canonical chain name, 其他, or None when the value is not a configured chain."""
    cfg = chain_config()
    t = text.strip()
    if t in cfg.chains or t == cfg.other:
        return t
    return cfg.aliases.get(t)


@lru_cache(maxsize=1)
def etl_settings() -> dict:
    return read_config("etl.toml")
