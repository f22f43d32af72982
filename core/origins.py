"""投资方来源地 → the regions the policy names (config/origins.toml): 长三角, 珠三角/粤港澳, 京津冀, 成渝, 东西部协作."""
from __future__ import annotations

from functools import lru_cache

from pydantic import Field, model_validator

from core import config
from core.config import Strict


class _Region(Strict):
    name: str = Field(title="区域名称 name", min_length=1)
    provinces: tuple[str, ...] = Field(title="省份 provinces", min_length=1)
    overlay: bool = Field(False, title="“其中”行，不计入合计 overlay")
    provisional: bool = Field(False, title="暂定 provisional")


class _Other(Strict):
    domestic: str = Field(title="其他省份 domestic", min_length=1)
    abroad: str = Field(title="境外 abroad", min_length=1)
    empty: str = Field(title="未填 empty", min_length=1)
    provinces: tuple[str, ...] = Field(title="其他省级名称 provinces")


class _OriginsFile(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    region: tuple[_Region, ...] = Field(title="区域 region", min_length=1)
    other: _Other = Field(title="其他 other")

    @model_validator(mode="after")
    def _distinct(self) -> "_OriginsFile":
        names = [r.name for r in self.region] + [self.other.domestic, self.other.abroad, self.other.empty]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(f"区域名称“{'、'.join(dup)}”重复")
        return self


@lru_cache(maxsize=1)
def origins_config() -> _OriginsFile:
    return config.read_model("origins.toml", _OriginsFile, "投资来源地区域配置")


def partition() -> tuple[str, ...]:
    """The regions every project falls in exactly one of, in display order (their sums are the total)."""
    cfg = origins_config()
    return (*(r.name for r in cfg.region if not r.overlay), cfg.other.domestic, cfg.other.abroad, cfg.other.empty)


def overlays() -> tuple[tuple[str, tuple[str, ...], bool], ...]:
    """(name, provinces, provisional) of the "of which" regions (东西部协作), not part of the partition."""
    return tuple((r.name, r.provinces, r.provisional) for r in origins_config().region if r.overlay)


def _norm(text: str | None) -> str:
    """Trimmed, without a leading 中国 ("中国香港" is 香港; "中国" alone stays)."""
    t = (text or "").strip()
    return t[2:].strip() if t.startswith("中国") and len(t) > 2 else t


def _matches(text: str, provinces: tuple[str, ...]) -> bool:
    return any(text.startswith(p) for p in provinces)


def province_of(text: str | None) -> str | None:
    """The province-level name `text` starts with (any configured one), or None (abroad or empty)."""
    cfg = origins_config()
    t = _norm(text)
    for name in (*(p for r in cfg.region for p in r.provinces), *cfg.other.provinces):
        if t.startswith(name):
            return name
    return None


def region_of(text: str | None) -> str:
    """The partition region of one 投资方来源地 text."""
    cfg = origins_config()
    t = _norm(text)
    if not t:
        return cfg.other.empty
    for r in cfg.region:
        if not r.overlay and _matches(t, r.provinces):
            return r.name
    return cfg.other.domestic if province_of(t) else cfg.other.abroad


def in_overlay(text: str | None, name: str) -> bool:
    """Whether the origin belongs to the overlay region `name`."""
    t = _norm(text)
    return any(r.name == name and t and _matches(t, r.provinces) for r in origins_config().region)
