"""A realistic demo set of Gansu monthly project submissions (`python -m etl demo`).

What it writes under `out_dir` (see README.txt in the output for the Chinese description):
`submissions/` (one file per unit × month as units send them, plus resubmissions and a few files that must be
rejected), `manifest.csv` (when each file arrived), `reference/five_hundred_<year>.csv` (synthetic 三个500强 lists),
`reference/enterprises_gansu.csv` (an extract of the enterprise register: the Gansu-registered companies),
`ground_truth/` (injected manipulations, expected rejections and warnings — outside `submissions/`) and `README.txt`.

The model: projects are signed every month in every unit, live through 已签约未开工 → 在建 → 已投产 (or 停滞 / 终止)
and receive money month by month. The simulation starts three years before `start` so that the first files already
carry the stock of older projects. To keep the default demo near 200,000 project-month rows it models fewer, larger
projects than Gansu really signs (~3,100 a year at the 2024 level instead of ~5,300, each ~1.7× as large); amounts
are then calibrated per (unit, signing year) so that every unit's yearly 到位资金 (省外境内 + 境外) matches its share
of the published province totals (docs/DOMAIN.md). `scale` multiplies the number of projects and the totals alike
(scale 5 gives ~1,000,000 rows for benchmarks).
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import io
import json
import math
import random
import re
import time
import zipfile
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from statistics import NormalDist

import numpy as np

from core import catalog, clock
from core.periods import last_complete_month
from core.template import SUBMISSION_COLUMNS
from core.uscc import GANSU_REGION, USCC_CHARS, uscc_check_char, uscc_is_valid
from simulator import names

HEADERS = tuple(c.header for c in SUBMISSION_COLUMNS)
(C_UNIT, C_MONTH, C_PID, C_NAME, C_COUNTY, C_CHAIN, C_INVESTOR, C_USCC, C_ORIGIN, C_F500, C_SOURCE, C_TYPE,
 C_SIGN_DATE, C_SIGNED, C_PLANNED, C_STATUS, C_START, C_PROD, C_FUNDS, C_CUM, C_HIGH_TECH, C_REMARK) = range(22)
MONEY_COLUMNS = (C_SIGNED, C_PLANNED, C_FUNDS, C_CUM)

# ----------------------------------------------------------------------------------------------- calibration
# Province 到位资金, 亿元 (docs/DOMAIN.md). 2025: the full year consistent with Q1–Q3 7170.91; later years +15 %.
PUBLISHED_FUNDS_YI = {2020: 3001.07, 2021: 3417.54, 2022: 4138.41, 2023: 5846.36, 2024: 7969.9, 2025: 9300.0}
GROWTH_AFTER_PUBLISHED = 0.15
# Share of a year's 到位资金 per month: small January–February, quarter-end months and December large
# (fits 2024 Jan–Apr 25.7 % and a Jan–Sep share between the 2024 and 2025 bulletins).
FUNDS_SEASON = (0.050, 0.045, 0.095, 0.067, 0.090, 0.125, 0.085, 0.090, 0.133, 0.055, 0.060, 0.105)
# Share of a year's signings per month (兰洽会 in July).
SIGN_SEASON = (0.06, 0.05, 0.09, 0.09, 0.09, 0.08, 0.14, 0.07, 0.08, 0.07, 0.08, 0.10)
# Each unit's share of the province total in 2023, 2024, 2025 (earlier years use 2023, later 2025), normalised.
# 兰州 first in 2024 (16.4 %); 庆阳 first in 2025 (1102.09亿 of ~9300); 兰州新区 sizeable; 嘉峪关, 甘南 small.
UNIT_SHARES = {
    "620100": (16.2, 16.4, 10.8), "621000": (9.5, 11.0, 12.0), "620171": (8.5, 9.5, 9.5),
    "620900": (9.5, 10.5, 10.5), "620400": (7.0, 7.2, 7.0), "620500": (7.0, 6.8, 6.6),
    "620600": (6.5, 6.3, 6.3), "620700": (6.0, 6.0, 6.2), "620800": (5.5, 5.0, 5.6),
    "621100": (5.5, 5.3, 5.5), "621200": (4.5, 4.0, 4.5), "622900": (4.5, 4.0, 4.5),
    "620300": (4.5, 4.2, 4.5), "620200": (2.5, 2.2, 2.5), "623000": (1.8, 1.6, 1.8),
}
SHARE_YEARS = (2023, 2024, 2025)

# Signings at the 2024 level (scale 1.0); counts grow with the square root of the funds level.
REGULAR_PER_YEAR = 3000
# 10亿元以上 projects (计划总投资 ≥ 100,000 万元): 19 signed Jan–Apr 2024 (docs/DOMAIN.md) → 65.5 a year at the 2024 level.
MAJOR_PER_YEAR = 19 / sum(SIGN_SEASON[:4])
MAJOR_WAN = 100_000
REGULAR_MEDIAN_WAN = 36_000  # planned investment of a regular project at the 2024 level
REGULAR_RAW_MAX_WAN = 72_000  # before calibration
REGULAR_CAP_WAN = 95_000      # after calibration: a regular project stays below the 10亿 tier

# Published value shares of the top chains (2024 Jan–Sep, % of funds); the 14 chains ≈ 53 %, the rest 其他.
CHAIN_VALUE_SHARE = {
    "新能源及其装备制造": 18.0, "特色农产品及食品加工": 10.1, "石化化工": 5.6, "文化旅游": 5.2, "冶金有色": 2.9,
    "信息产业": 2.0, "中医药": 1.6, "装备制造": 1.6, "新材料": 1.5, "生物医药": 1.0, "现代物流": 1.2,
    "清洁能源": 1.0, "绿色建材": 0.9, "节能环保": 0.7,
}
OTHER_CHAIN_SHARE = 50.0  # 46.7 published; unit affinities lift the chains
# Typical size of a chain's projects relative to the median (new energy and chemicals are large, herbs small).
CHAIN_SIZE = {"新能源及其装备制造": 1.4, "石化化工": 1.3, "冶金有色": 1.2, "新材料": 1.2, "信息产业": 1.2,
              "特色农产品及食品加工": 0.7, "文化旅游": 0.9, "中医药": 0.5, "其他": 0.85}
CHAIN_HIGH_TECH = {"新能源及其装备制造": 0.45, "信息产业": 0.75, "新材料": 0.65, "生物医药": 0.7, "装备制造": 0.5,
                   "中医药": 0.25, "石化化工": 0.25, "冶金有色": 0.2, "特色农产品及食品加工": 0.22,
                   "清洁能源": 0.45, "绿色建材": 0.2, "节能环保": 0.4, "现代物流": 0.1, "文化旅游": 0.03}
HIGH_TECH_OTHER = 0.2
# Where a unit's projects lean (multiplies the chain weights).
UNIT_CHAIN_AFFINITY = {
    "620900": {"新能源及其装备制造": 3.5}, "620300": {"冶金有色": 4.0, "新材料": 2.5, "新能源及其装备制造": 1.5},
    "620200": {"冶金有色": 4.0}, "621000": {"石化化工": 3.0, "新能源及其装备制造": 1.8},
    "620500": {"装备制造": 2.5, "特色农产品及食品加工": 1.2},
    "623000": {"文化旅游": 3.0, "特色农产品及食品加工": 1.2, "新能源及其装备制造": 0.4},
    "621200": {"特色农产品及食品加工": 1.5, "文化旅游": 1.5, "中医药": 1.5},
    "621100": {"中医药": 3.5, "特色农产品及食品加工": 1.2},
    "620100": {"生物医药": 2.0, "信息产业": 1.5, "石化化工": 1.5, "新能源及其装备制造": 0.7},
    "620171": {"新材料": 2.0, "石化化工": 1.5, "信息产业": 2.0, "现代物流": 1.5, "新能源及其装备制造": 0.7},
    "620700": {"特色农产品及食品加工": 1.3, "新能源及其装备制造": 2.0, "文化旅游": 1.3},
    "620600": {"新能源及其装备制造": 2.0, "特色农产品及食品加工": 1.2},
    "620400": {"冶金有色": 2.0, "石化化工": 1.5, "新材料": 1.5, "新能源及其装备制造": 1.3},
    "620800": {"石化化工": 1.3, "特色农产品及食品加工": 1.2},
    "622900": {"特色农产品及食品加工": 1.5, "文化旅游": 1.3},
}
# Reporting habits per unit: 报送单位 as written, 统计月份 style (iso 2025-03 | cn 2025年3月 | slash 2025/3 |
# cell = a date cell), share of CSV files in GB18030 and in UTF-8 with BOM, probability of a late file.
HABITS = {
    "620100": ("兰州市", "iso", 0.0, 0.0, 0.04), "620200": ("嘉峪关市", "iso", 0.0, 0.3, 0.06),
    "620300": ("620300", "iso", 0.05, 0.0, 0.05), "620400": ("白银市", "cell", 0.0, 0.0, 0.06),
    "620500": ("天水市", "cn", 0.0, 0.0, 0.05), "620600": ("武威市", "iso", 0.1, 0.0, 0.07),
    "620700": ("张掖市", "iso", 0.0, 0.05, 0.06), "620800": ("平凉", "slash", 0.0, 0.0, 0.08),
    "620900": ("酒泉市", "iso", 0.0, 0.0, 0.05), "621000": ("庆阳市", "iso", 0.0, 0.0, 0.04),
    "621100": ("定西市", "iso", 0.4, 0.0, 0.10), "621200": ("陇南市", "iso", 0.7, 0.0, 0.12),
    "622900": ("临夏州", "cn", 0.0, 0.5, 0.15), "623000": ("甘南州", "iso", 0.3, 0.2, 0.20),
    "620171": ("兰州新区", "iso", 0.0, 0.0, 0.05),
}
# Units that write dates as text 2024/3/5 rather than date cells.
SLASH_DATE_UNITS = ("620800", "621100")

# Share of projects per injected manipulation kind (of the projects that appear in the files); at least one each.
ANOMALY_RATES = {"inflated_funds": 0.004, "round_trip": 0.003, "quarter_end_bunching": 0.005,
                 "duplicate_across_units": 0.002, "repeat_signing": 0.0025, "fabricated_amounts": 0.005,
                 "fake_500_claim": 0.0025, "zombie_project": 0.004}
QUARANTINE_RATE = 0.003
VARIANT_RATE = 0.004
RESUBMISSION_RATE = 0.03
INVALID_USCC_RATE = 0.004
HONEST_CORRECTION_RATE = 0.003
LIST_NAMES = catalog.FIVE_HUNDRED_LISTS
WORLD, CHINA, PRIVATE = LIST_NAMES


@dataclass(frozen=True)
class DemoSummary:
    out_dir: Path
    start: str
    end: str
    seed: int
    scale: float
    messy: bool
    projects: int                 # projects that appear in the files
    data_files: int               # submission files that load (resubmissions included)
    resubmissions: int
    late_files: int
    pending: tuple[str, ...]      # "620100 2026-10": unit-months not yet received by today
    rejected_files: int
    rows: int                     # project rows in the data files (all versions)
    quarantined_rows: int
    injected: dict[str, int]      # manipulation kind -> projects
    funds_yi: dict[int, Decimal]  # counted 到位资金 per year as generated (latest versions), 亿元


# ----------------------------------------------------------------------------------------------- small helpers

def _mi(year: int, month: int) -> int:
    """Month index: months since year 0, so that consecutive months differ by one."""
    return year * 12 + month - 1


def _month_of(mi: int) -> tuple[int, int]:
    return mi // 12, mi % 12 + 1


def _label(mi: int) -> str:
    y, m = _month_of(mi)
    return f"{y}-{m:02d}"


def _parse_month(text: str) -> int:
    match = re.fullmatch(r"(\d{4})-(\d{1,2})", text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"月份应写成 YYYY-MM（如 2023-01），收到“{text}”")
    return _mi(int(match.group(1)), int(match.group(2)))


def _funds_yi(year: int) -> float:
    if year in PUBLISHED_FUNDS_YI:
        return PUBLISHED_FUNDS_YI[year]
    if year < min(PUBLISHED_FUNDS_YI):
        return PUBLISHED_FUNDS_YI[min(PUBLISHED_FUNDS_YI)]
    last = max(PUBLISHED_FUNDS_YI)
    return PUBLISHED_FUNDS_YI[last] * (1 + GROWTH_AFTER_PUBLISHED) ** (year - last)


def _unit_share(code: str, year: int) -> float:
    idx = min(max(year - SHARE_YEARS[0], 0), len(SHARE_YEARS) - 1)
    return UNIT_SHARES[code][idx] / sum(v[idx] for v in UNIT_SHARES.values())


def _short_province(province: str) -> str:
    """广东省 -> 广东, 新疆维吾尔自治区 -> 新疆, as in company names."""
    for suffix in ("维吾尔自治区", "回族自治区", "自治区", "省", "市"):
        if province.endswith(suffix):
            return province.removesuffix(suffix)
    return province


def _weighted(rng: random.Random, items: list, weights: list[float]):
    return rng.choices(items, weights)[0]


def _nice(wan: float, rng: random.Random) -> int:
    """A signing amount as people write it: two (sometimes three) significant figures, in 万元."""
    digits = 2 if rng.random() < 0.7 else 3
    step = 10 ** max(math.floor(math.log10(max(wan, 10))) - digits + 1, 1)
    return max(round(wan / step) * step, 10)


def _cents(wan: float) -> int:
    return round(wan * 100)


def _money(cents: int) -> Decimal:
    return Decimal(cents) / 100


def _day(rng: random.Random, mi: int, after: dt.date | None = None) -> dt.date:
    y, m = _month_of(mi)
    low = after.day if after and (after.year, after.month) == (y, m) else 1
    return dt.date(y, m, rng.randint(low, max(low, 28)))


def _org_code(rng: random.Random) -> str:
    """A GB 11714 organisation code (8 characters and its check character), as embedded in a USCC."""
    if rng.random() < 0.35:
        body = "MA" + "".join(rng.choice(USCC_CHARS) for _ in range(6))
    else:
        body = "".join(rng.choice("0123456789") for _ in range(8))
    total = sum((int(c) if c.isdigit() else ord(c) - 55) * w for c, w in zip(body, (3, 7, 9, 10, 5, 8, 4, 2)))
    check = 11 - total % 11
    return body + {10: "X", 11: "0"}.get(check, str(check))


# ----------------------------------------------------------------------------------------------- investors

@dataclass(eq=False)
class Investor:
    name: str
    uscc: str          # '' for foreign investors without a Chinese registration
    origin: str        # province, or country / region
    state_owned: bool
    claims: str = catalog.NO_FIVE_HUNDRED
    brand: str = ""    # the two-character trade name inside the company name (华腾 …), used in project names


@dataclass(eq=False)
class _Group:
    """A fictional 三个500强 enterprise group."""
    name: str
    uscc: str
    origin: str
    kind: str          # soe | private | foreign
    score: float
    brand: str


class _Companies:
    """Every company name and USCC of the demo, unique; the 500强 universe and the investor pools."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.names: set[str] = set()
        self.usccs: set[str] = set()
        self.pool: dict[tuple[str, str, bool], list[Investor]] = defaultdict(list)
        self.subsidiaries: dict[tuple[str, str], tuple[str, str]] = {}
        self.last_brand = ""
        self.groups = self._make_groups()

    def _brand(self) -> str:
        """A new trade name; the last one drawn is kept, so the accepted company name's brand is known."""
        self.last_brand = self.rng.choice(names.BRAND_CHARS) + self.rng.choice(names.BRAND_CHARS)
        return self.last_brand

    def _foreign_brand(self) -> str:
        self.last_brand = self.rng.choice(names.FOREIGN_BRANDS) + self.rng.choice(("", "", "斯", "尔", "特", "森", "顿", "克"))
        return self.last_brand

    def _unique(self, make: Callable[[], str]) -> str:
        for _ in range(1000):
            name = make().replace("科技科技", "科技")
            if name not in self.names:
                self.names.add(name)
                return name
        raise RuntimeError("演示数据的企业名称池已用尽，请缩小 --scale")

    def uscc(self, region: str) -> str:
        while True:
            body = "91" + region + _org_code(self.rng)
            code = body + uscc_check_char(body)
            if code not in self.usccs:
                self.usccs.add(code)
                return code

    def _province(self) -> tuple[str, str, str]:
        prov, _, cities = _weighted(self.rng, list(names.PROVINCES), [p[1] for p in names.PROVINCES])
        city, code = self.rng.choice(cities)
        return prov, city, code

    def _make_groups(self) -> list[_Group]:
        return [self._group(kind, mu) for kind, n, mu in (("soe", 300, 1.0), ("private", 700, 0.0), ("foreign", 380, 1.3))
                for _ in range(n)]

    def _group(self, kind: str, mu: float) -> _Group:
        rng = self.rng
        ind = rng.choice(names.GROUP_INDUSTRIES)
        if kind == "foreign":
            origin, _, prefix, _ = _weighted(rng, list(names.FOREIGN_ORIGINS), [o[1] for o in names.FOREIGN_ORIGINS])
            form = rng.choice(names.FOREIGN_GROUP_FORMS)
            local = origin in ("香港", "澳门", "台湾")  # Chinese brand names there
            name = self._unique(lambda: form.format(origin=prefix, ind=ind,
                                                    brand=self._brand() if local else self._foreign_brand()))
            return _Group(name, "", origin, kind, rng.gauss(mu, 0.8), self.last_brand)
        origin, city, region = self._province()
        if kind == "soe" and rng.random() < 0.8:  # most central SOEs are registered in Beijing
            origin, city, region = "北京市", "北京", rng.choice(("110102", "110105", "110108"))
        form = "中国{brand}{ind}集团有限公司" if kind == "soe" else rng.choice(names.PRIVATE_GROUP_FORMS)
        name = self._unique(lambda: form.format(brand=self._brand(), ind=ind, city=city))
        return _Group(name, self.uscc(region), origin, kind, rng.gauss(mu, 0.8), self.last_brand)

    def new_investor(self, chain: str, source: str, state_owned: bool, unit: str) -> Investor:
        rng = self.rng
        ind = rng.choice(names.INDUSTRY_WORDS.get(chain, names.INDUSTRY_WORDS["其他"]))
        if source == "境外":
            origin, _, prefix, suffix = _weighted(rng, list(names.FOREIGN_ORIGINS),
                                                  [o[1] for o in names.FOREIGN_ORIGINS])
            chinese_brand = origin in ("香港", "澳门", "台湾")
            name = self._unique(lambda: f"{prefix}{self._brand() if chinese_brand else self._foreign_brand()}"
                                        f"{ind if rng.random() < 0.5 else ''}{suffix}")
            uscc = self.uscc(rng.choice(names.FIE_REGION_CODES)) if rng.random() < 0.25 else ""
            return Investor(name, uscc, origin, False, brand=self.last_brand)
        if source == "省内市州外":
            other = rng.choice([u for u in catalog.units() if u.code != unit])
            short = other.aliases[0] if other.aliases else other.name
            name = self._unique(lambda: f"{rng.choice(('甘肃', short))}{self._brand()}{ind}"
                                        f"{_weighted(rng, *zip(*names.SUFFIXES))}")
            return Investor(name, self.uscc(other.code), "甘肃省", state_owned, brand=self.last_brand)
        prov, city, region = self._province()
        if state_owned:
            form = rng.choice(names.SOE_FORMS)
            if form.startswith("中"):  # central SOEs are registered in Beijing
                prov, city, region = "北京市", "北京", "110102"
            name = self._unique(lambda: form.format(brand=self._brand(), ind=ind, prov=_short_province(prov), city=city))
        else:
            name = self._unique(lambda: f"{city if rng.random() < 0.7 else _short_province(prov)}{self._brand()}{ind}"
                                        f"{_weighted(rng, *zip(*names.SUFFIXES))}")
        return Investor(name, self.uscc(region), prov, state_owned, brand=self.last_brand)

    def investor(self, chain: str, source: str, state_owned: bool, unit: str) -> Investor:
        """An investor for a new project: often one already investing in the same chain elsewhere."""
        pool = self.pool[(chain, source, state_owned)]
        if pool and self.rng.random() < 0.2:
            return self.rng.choice(pool)
        inv = self.new_investor(chain, source, state_owned, unit)
        pool.append(inv)
        return inv

    def group_investor(self, group: _Group, claims: str, chain: str) -> Investor:
        """The group itself (most of the time) or its Gansu subsidiary for that chain, claiming the group's lists."""
        if group.kind == "foreign" or self.rng.random() < 0.9:
            return Investor(group.name, group.uscc, group.origin, group.kind == "soe", claims, group.brand)
        key = (group.name, chain)
        if key not in self.subsidiaries:
            root = group.name.replace("集团股份有限公司", "").replace("集团有限公司", "").replace("有限公司", "")
            words = names.INDUSTRY_WORDS.get(chain, names.INDUSTRY_WORDS["其他"])
            name = self._unique(lambda: f"{root}{self.rng.choice(('（甘肃）', '甘肃', '酒泉', '兰州', '武威', '庆阳'))}"
                                        f"{self.rng.choice(words)}有限公司")
            self.subsidiaries[key] = (name, self.uscc(self.rng.choice(["620100", "620900", "620171"])))
        name, uscc = self.subsidiaries[key]
        return Investor(name, uscc, group.origin, group.kind == "soe", claims, group.brand)

    def sister(self, investor: Investor) -> Investor:
        """The investor's Gansu subsidiary or branch: another name and USCC behind the same money."""
        root = investor.name.removesuffix("有限公司").removesuffix("股份").removesuffix("集团")
        name = self._unique(lambda: root + self.rng.choice(("（甘肃）有限公司", "甘肃分公司", "甘肃有限公司",
                                                           "西北有限公司", "兰州分公司")))
        return Investor(name, self.uscc("620100"), investor.origin, investor.state_owned, investor.claims,
                        investor.brand)

    def fake_group_investor(self) -> Investor:
        """A company that calls itself a 500强 group but is on no list."""
        prov, city, region = self._province()
        name = self._unique(lambda: f"{city}{self._brand()}{self.rng.choice(('控股集团有限公司', '实业集团有限公司'))}")
        return Investor(name, self.uscc(region), prov, False, brand=self.last_brand)


class _FiveHundred:
    """Synthetic yearly 三个500强 lists over the group universe, and the groups active in Gansu."""

    def __init__(self, rng: random.Random, groups: list[_Group], years: range):
        self.years = years
        self.lists: dict[tuple[str, int], list[_Group]] = {}
        for year in years:
            score = {id(g): g.score + 0.05 * (year - years[0]) + rng.gauss(0, 0.12) for g in groups}
            chinese = [g for g in groups if g.kind != "foreign"]
            world = sorted(groups, key=lambda g: -(score[id(g)] - (0.6 if g.kind != "foreign" else 0)))[:500]
            self.lists[(WORLD, year)] = world
            self.lists[(CHINA, year)] = sorted(chinese, key=lambda g: -score[id(g)])[:500]
            self.lists[(PRIVATE, year)] = sorted([g for g in chinese if g.kind == "private"],
                                                 key=lambda g: -score[id(g)])[:500]
        self.members = {key: {id(g) for g in lst} for key, lst in self.lists.items()}
        stable = [g for g in groups if any(all(id(g) in self.members[(n, y)] for y in years) for n in LIST_NAMES)]
        by_kind = {k: [g for g in stable if g.kind == k] for k in ("soe", "private", "foreign")}
        self.active = (rng.sample(by_kind["soe"], min(40, len(by_kind["soe"])))
                       + rng.sample(by_kind["private"], min(22, len(by_kind["private"])))
                       + rng.sample(by_kind["foreign"], min(8, len(by_kind["foreign"]))))
        rng.shuffle(self.active)
        self.weights = [1 / (i + 1) for i in range(len(self.active))]

    def claims(self, group: _Group) -> str:
        """The lists an active group is on in every year: its claim can be verified whatever year is checked."""
        return "、".join(n for n in LIST_NAMES if all(id(group) in self.members[(n, y)] for y in self.years))

    def rows(self, year: int) -> list[tuple]:
        return [(n, year, rank, g.name, g.uscc) for n in LIST_NAMES
                for rank, g in enumerate(self.lists[(n, year)], start=1)]


# ----------------------------------------------------------------------------------------------- projects

@dataclass(eq=False)
class Project:
    unit: str
    loc: str                      # place prefix of the name ('' when the name starts with a scenic spot)
    tail: str                     # the name without the place prefix
    county: str
    chain: str
    investor: Investor
    fund_source: str
    project_type: str
    sign: int                     # month index of signing
    sign_date: dt.date
    big: bool
    planned_raw: float            # 万元, before calibration
    signed_frac: float            # 签约金额 / 计划总投资
    high_tech: bool
    remark: str
    status: list[str]             # per month offset from `sign`, through the last month reported
    start: int | None             # offset of 开工
    start_date: dt.date | None
    prod: int | None              # offset of 投产
    prod_date: dt.date | None
    weights: list[float]          # share of 签约金额 arriving at each offset
    whole_wan: bool               # reports funds in whole 万元
    pid: str = ""
    planned: int = 0              # cents (0.01 万元) after calibration
    signed: int = 0
    funds: list[int] = field(default_factory=list)
    cum_adj: list[int] = field(default_factory=list)  # corrections to 累计 that 本月 does not show

    @property
    def name(self) -> str:
        return self.loc + self.tail

    @property
    def last(self) -> int:
        return self.sign + len(self.status) - 1

    def cum(self) -> list[int]:
        out, total = [], 0
        for f, a in zip(self.funds, self.cum_adj):
            total += f + a
            out.append(total)
        return out

    def extend_to(self, n: int, status: str) -> None:
        while len(self.status) < n:
            self.status.append(status)
            self.funds.append(0)
            self.cum_adj.append(0)
            self.weights.append(0.0)


def _chain_weights(unit: str, big: bool) -> tuple[list[str], list[float]]:
    chains = list(catalog.chains()) + [catalog.other_chain()]
    affinity = UNIT_CHAIN_AFFINITY.get(unit, {})
    weights = []
    for c in chains:
        value = CHAIN_VALUE_SHARE.get(c, 1.0) if c != catalog.other_chain() else OTHER_CHAIN_SHARE
        size = CHAIN_SIZE.get(c, 1.0)
        # Regular projects are drawn by count (value / size) so that value shares follow the published ones.
        weights.append(affinity.get(c, 1.0) * (value if big else value / size))
    return chains, weights


def _project_name(rng: random.Random, unit: catalog.Unit, chain: str, planned: float,
                  taken: set[str], investor: Investor) -> tuple[str, str, str]:
    county = rng.choice(unit.counties) if unit.counties else ""
    if not county:
        loc = unit.name
    else:
        loc = f"{unit.name}{county}" if rng.random() < 0.5 else county
    pattern, divisor = rng.choice(names.NAME_TEMPLATES.get(chain, names.NAME_TEMPLATES["其他"]))
    q = max(_nice(planned / divisor, rng) if divisor else 0, 1)
    fields = {"q": q, "q2": 2 * q, "product": rng.choice(names.PRODUCTS[unit.code]),
              "herb": rng.choice(names.HERBS.get(unit.code, names.DEFAULT_HERBS)),
              "spot": rng.choice(names.SPOTS[unit.code])}
    if pattern.startswith("{loc}"):
        tail = pattern[len("{loc}"):].format(**fields)
    else:
        loc, tail = "", pattern.format(**fields)
    for candidate in (tail, investor.brand + tail, tail.replace("项目", "（二期）项目"), tail.replace("项目", "（三期）项目")):
        if loc + candidate not in taken:
            tail = candidate
            break
    taken.add(loc + tail)
    return loc, tail, county


def _lifecycle(rng: random.Random, sign: int, big: bool, continuing: bool) -> dict:
    """Start, production, stall or termination offsets, arrival weights and monthly statuses of one project."""
    never = not continuing and rng.random() < (0.06 if big else 0.16)
    start = 0 if continuing else min(int(rng.expovariate(1 / 3.5)), 24)
    build = min(max(round(rng.lognormvariate(math.log(18 if big else 9), 0.5)), 2), 48)
    stall = term = None
    if never:
        cut = rng.randint(12, 20)
        start = cut + rng.randint(1, 6)  # the start that would have come; never reached
        stall, term = (cut, None) if rng.random() < 0.6 else (None, cut)
    else:
        u = rng.random()
        if u < 0.07:
            stall = start + rng.randint(1, max(1, build - 1))
        elif u < 0.09:
            term = start + rng.randint(1, build)
    prod = start + build
    tail = rng.randint(0, 3)
    horizon = prod + tail + 1
    weights = [0.0] * horizon
    if rng.random() < 0.3:
        weights[0] += 0.08  # registered capital paid in at signing
    for k in range(1, start):
        if rng.random() < 0.12:
            weights[k] += 0.03
    for k in range(start, prod):
        if rng.random() < 0.62:
            weights[k] += rng.gammavariate(2, 1) * _season_factor(sign + k)
    for k in range(prod, horizon):
        weights[k] += rng.gammavariate(1.5, 1) * 0.4 * _season_factor(sign + k)
    if sum(weights) == 0:
        weights[start] = 1.0
    ratio = rng.uniform(0.75, 1.0)
    total = sum(weights)
    weights = [w * ratio / total for w in weights]
    if stall is not None or term is not None:
        cut = stall if stall is not None else term
        weights = [w if k < cut else 0.0 for k, w in enumerate(weights)]
    if term is not None:
        last = term
    elif stall is not None:
        y, _ = _month_of(sign + stall)
        last = _mi(y + 1, 12) - sign
    else:
        paid = max(k for k, w in enumerate(weights) if w > 0)
        last = max(prod, paid) + rng.randint(0, 2)
    weights = (weights + [0.0] * (last + 1))[:last + 1]
    status = []
    for k in range(last + 1):
        if term is not None and k == term:
            status.append("终止")
        elif stall is not None and k >= stall:
            status.append("停滞")
        elif k < start:
            status.append("已签约未开工")
        elif k < prod:
            status.append("在建")
        else:
            status.append("已投产")
    started = start <= last and (stall is None or start < stall) and (term is None or start < term)
    produced = started and prod <= last and "已投产" in status
    return {"status": status, "start": start if started else None, "prod": prod if produced else None,
            "weights": weights}


def _season_factor(mi: int) -> float:
    return FUNDS_SEASON[mi % 12] * 12


def _simulate(rng: random.Random, companies: _Companies, fh: _FiveHundred, first: int, last: int,
              scale: float) -> list[Project]:
    units = catalog.units()
    carry: dict = defaultdict(float)
    taken: dict[str, set[str]] = defaultdict(set)
    projects = []
    major_sizes: list[float] = []
    for mi in range(first, last + 1):
        year, month = _month_of(mi)
        level = _funds_yi(year) / _funds_yi(2024)
        regular = REGULAR_PER_YEAR * level ** 0.5 * SIGN_SEASON[month - 1] * scale
        majors = MAJOR_PER_YEAR * level ** 0.8 * scale  # a year's 10亿 projects, spread by SIGN_SEASON
        if month == 1 or mi == first:
            major_sizes = _major_sizes(rng, majors)
        n_major = round(majors * sum(SIGN_SEASON[:month])) - round(majors * sum(SIGN_SEASON[:month - 1]))
        plan = []
        for u in units:
            carry[u.code] += regular * _unit_share(u.code, year)
            n = int(carry[u.code])
            carry[u.code] -= n
            plan += [(u, False)] * n
        # 10亿 projects go to the larger units more than in proportion: the unit that is most owed one gets it.
        weights = [_unit_share(u.code, year) ** 1.3 for u in units]
        for _ in range(n_major):
            for u, w in zip(units, weights):
                carry[("major", u.code)] += w / sum(weights)
            unit = max(units, key=lambda u: carry[("major", u.code)])
            carry[("major", unit.code)] -= 1
            plan.append((unit, True))
        for unit, big in plan:
            size = (major_sizes.pop() if major_sizes else _major_size(rng.random())) if big else None
            projects.append(_new_project(rng, companies, fh, unit, mi, size, level, taken[unit.code]))
    return projects


def _major_size(u: float) -> float:
    """计划总投资 (万元) of a 10亿元以上 project at quantile u: heavy-tailed, median ~55亿."""
    return MAJOR_WAN * (1 + math.exp(math.log(4.5) + 0.75 * NormalDist().inv_cdf(u)))


def _major_sizes(rng: random.Random, expected: float) -> list[float]:
    """A year's 10亿 project sizes, one from each quantile stratum, in random order (a steady yearly mix)."""
    n = max(math.ceil(expected), 1)
    sizes = [_major_size((i + rng.random()) / n) for i in range(n)]
    rng.shuffle(sizes)
    return sizes


def _new_project(rng: random.Random, companies: _Companies, fh: _FiveHundred, unit: catalog.Unit, mi: int,
                 major_size: float | None, level: float, taken: set[str]) -> Project:
    big = major_size is not None
    chains, weights = _chain_weights(unit.code, big)
    chain = _weighted(rng, chains, weights)
    if big:
        # Heavy-tailed above 10亿; a small unit's largest project stays in proportion to its economy.
        cap = min(3_000_000, max(500_000, _unit_share(unit.code, 2024) * 30_000_000))
        planned = min(major_size, cap)
    else:
        median = REGULAR_MEDIAN_WAN * level ** 0.5 * CHAIN_SIZE.get(chain, 1.0)
        planned = rng.lognormvariate(math.log(median), 0.8)
        while not 300 <= planned <= REGULAR_RAW_MAX_WAN:  # truncated: leaves room for calibration below 10亿
            planned = rng.lognormvariate(math.log(median), 0.8)
    signed_frac = 1.0 if rng.random() < 0.6 else rng.uniform(0.6, 0.95)
    state_owned = rng.random() < (0.5 if big else 0.2)
    u = rng.random()
    source = "省内市州外" if u < 0.05 else "境外" if u < 0.12 else "省外境内"
    if rng.random() < (0.4 if big else 0.04):
        group = _weighted(rng, fh.active, fh.weights)
        source = "境外" if group.kind == "foreign" else "省外境内"
        investor = companies.group_investor(group, fh.claims(group), chain)
    else:
        investor = companies.investor(chain, source, state_owned, unit.code)
    loc, tail, county = _project_name(rng, unit, chain, planned, taken, investor)
    continuing = rng.random() < 0.15
    life = _lifecycle(rng, mi, big, continuing)
    year, month = _month_of(mi)
    if month == 7 and rng.random() < 0.7:
        remark = names.lanzhou_fair(year)
    elif rng.random() < 0.12:
        remark = rng.choice(names.EVENT_REMARKS).format(year=year)
    elif rng.random() < 0.08:
        remark = rng.choice(names.OTHER_REMARKS)
    else:
        remark = ""
    sign_date = _day(rng, mi)
    start_date = _day(rng, mi + life["start"], sign_date) if life["start"] is not None else None
    prod_date = _day(rng, mi + life["prod"], start_date) if life["prod"] is not None else None
    return Project(unit.code, loc, tail, county, chain, investor, source, "续建" if continuing else "新建",
                   mi, sign_date, big, planned, signed_frac,
                   rng.random() < CHAIN_HIGH_TECH.get(chain, HIGH_TECH_OTHER), remark, life["status"],
                   life["start"], start_date, life["prod"], prod_date, life["weights"], rng.random() < 0.3)


# ----------------------------------------------------------------------------------------------- calibration

def _calibrate(rng: random.Random, projects: list[Project], out_first: int, out_last: int, scale: float,
               counted: tuple[str, ...]) -> None:
    """Scale each (unit, signing year) cohort so that every unit's yearly funds match its published share.

    A cohort's money arrives over several calendar years, so the factors come from a small least-squares fit per
    unit (kept close to one common factor), then one more per cohort for the province totals. Amounts are then
    rounded as people write them; 10亿 projects stay in their tier and regular ones below it.
    """
    years = sorted({_month_of(mi)[0] for mi in range(out_first, out_last + 1)})
    target = {y: _funds_yi(y) * 10_000 * scale * sum(FUNDS_SEASON[_month_of(mi)[1] - 1]
                                                      for mi in range(out_first, out_last + 1)
                                                      if _month_of(mi)[0] == y) for y in years}
    cohorts = sorted({_month_of(p.sign)[0] for p in projects})
    model = defaultdict(float)  # (unit, year, cohort) -> 万元
    for p in projects:
        if p.fund_source not in counted:
            continue
        signed = p.planned_raw * p.signed_frac
        for k, w in enumerate(p.weights):
            if w and out_first <= p.sign + k <= out_last:
                model[(p.unit, _month_of(p.sign + k)[0], _month_of(p.sign)[0])] += signed * w
    # Per unit: fit its yearly shares, staying close to one common factor; then per cohort for the province.
    factor = {}
    province = np.zeros((len(years), len(cohorts)))
    for u in catalog.units():
        m = np.array([[model[(u.code, y, c)] for c in cohorts] for y in years])
        t = np.array([target[y] * _unit_share(u.code, y) for y in years])
        g = np.clip(_fit_factors(m, t, prior=t.sum() / m.sum()), 0.5, 2.0)
        factor.update({(u.code, c): f for c, f in zip(cohorts, g)})
        province += m * g
    total = np.array([target[y] for y in years])
    h = np.clip(_fit_factors(province, total, prior=total.sum() / province.sum()), 0.5, 2.0)
    factor = {(u, c): f * h[cohorts.index(c)] for (u, c), f in factor.items()}
    for p in projects:
        g = factor[(p.unit, _month_of(p.sign)[0])]
        if p.big:  # stays in the 10亿 tier whatever the factor
            planned = max(_nice(p.planned_raw * g, rng), MAJOR_WAN)
            signed = min(_nice(p.planned_raw * p.signed_frac * g, rng), planned)
        else:
            signed = min(_nice(p.planned_raw * p.signed_frac * g, rng), REGULAR_CAP_WAN)
            planned = signed if p.signed_frac == 1.0 else max(min(_nice(signed / p.signed_frac, rng), 99_000), signed)
        p.planned, p.signed = _cents(planned), _cents(signed)
        _set_funds(p)


def _fit_factors(m: np.ndarray, t: np.ndarray, prior: float, ridge: float = 0.002) -> np.ndarray:
    """Cohort factors g minimising Σ_year ((m·g − t)/t)² + ridge·Σ_cohort (g − prior)²."""
    w = m / t[:, None]
    a = w.T @ w + ridge * np.eye(m.shape[1])
    return np.linalg.solve(a, w.T @ np.ones(len(t)) + ridge * prior)


def _set_funds(p: Project) -> None:
    """Monthly 本月到位资金 in cents from the arrival weights; the cumulative rounds exactly."""
    grain = 100 if p.whole_wan else 1
    funds, done, share = [], 0, 0.0
    for w in p.weights:
        share += w
        cum = round(p.signed * share / grain) * grain
        funds.append(cum - done)
        done = cum
    p.funds = funds
    p.cum_adj = [0] * len(funds)


def _honest_corrections(rng: random.Random, projects: list[Project]) -> None:
    """A few honest over-reports corrected the next month with a negative amount (not manipulation)."""
    for p in rng.sample(projects, int(len(projects) * HONEST_CORRECTION_RATE)):
        paid = [k for k in range(len(p.funds) - 1) if p.funds[k] > 0]
        if paid:
            k = rng.choice(paid)
            c = int(p.funds[k] * rng.uniform(0.05, 0.3)) // 100 * 100
            p.funds[k] += c
            p.funds[k + 1] -= c


# ----------------------------------------------------------------------------------------------- manipulation

@dataclass(eq=False)
class Injected:
    kind: str
    project: Project
    first: int                    # month index where the pattern first shows in the files
    describe: Callable[[], str]   # Chinese description, rendered once 项目编号 are assigned


# Leading digits of made-up amounts: people favour 5–8 (Benford expects 1 in 30 % of cases).
FABRICATED_LEADING = (0.07, 0.08, 0.11, 0.10, 0.14, 0.13, 0.12, 0.14, 0.11)


def _wan_text(cents: int) -> str:
    return f"{_money(cents):,}"


class _Injector:
    """Plants the manipulation patterns of ANOMALY_RATES into honest projects; records the ground truth."""

    def __init__(self, rng: random.Random, projects: list[Project], first: int, last: int,
                 companies: _Companies, counted: tuple[str, ...]):
        self.rng, self.projects, self.first, self.last = rng, projects, first, last
        self.companies, self.counted = companies, counted
        self.used: set[int] = set()
        self.records: list[Injected] = []
        self.added: list[Project] = []
        self.units = {u.code: u for u in catalog.units()}

    def visible(self, p: Project) -> range:
        """Offsets of the project's rows that fall in the output months."""
        return range(max(self.first - p.sign, 0), min(self.last - p.sign, len(p.status) - 1) + 1)

    def take(self, n: int, ok: Callable[[Project], bool], pool: list[Project] | None = None) -> list[Project]:
        candidates = [p for p in (self.projects if pool is None else pool) if id(p) not in self.used and ok(p)]
        chosen = self.rng.sample(candidates, min(n, len(candidates)))
        self.used.update(id(p) for p in chosen)
        return chosen

    def record(self, kind: str, p: Project, first: int, describe: Callable[[], str]) -> None:
        self.records.append(Injected(kind, p, first, describe))

    def building(self, p: Project, min_paid: int) -> list[int]:
        ks = [k for k in self.visible(p) if p.status[k] == "在建" and p.funds[k] > 0]
        return ks if p.fund_source in self.counted and len(ks) >= min_paid else []

    def run(self, n_visible: int) -> None:
        counts = {kind: max(1, round(rate * n_visible)) for kind, rate in ANOMALY_RATES.items()}
        # Unit-wide practices first (they pick a unit), then project-level patterns.
        self.quarter_end_bunching(counts["quarter_end_bunching"])
        self.fabricated_amounts(counts["fabricated_amounts"])
        self.zombie_project(counts["zombie_project"])
        self.inflated_funds(counts["inflated_funds"])
        self.round_trip(counts["round_trip"])
        self.duplicate_across_units(counts["duplicate_across_units"])
        self.repeat_signing(counts["repeat_signing"])
        self.fake_500_claim(counts["fake_500_claim"])

    # -- the patterns

    def inflated_funds(self, n: int) -> None:
        for p in self.take(n, lambda p: len(self.building(p, 3)) >= 3):
            ks = self.building(p, 3)
            k0 = self.rng.choice(ks[:max(1, len(ks) // 2)])
            month = _label(p.sign + k0)
            if self.rng.random() < 0.5:
                factor, span = self.rng.uniform(1.6, 2.8), self.rng.randint(4, 10)
                for k in range(k0, min(k0 + span, len(p.funds))):
                    if p.funds[k] > 0:
                        p.funds[k] = int(p.funds[k] * factor)
                text = f"自{month}起连续约{span}个月本月到位资金虚报为实际到位的{factor:.1f}倍左右"
            else:
                ratio = self.rng.uniform(1.05, 1.35)
                before = sum(p.funds[:k0]) + sum(p.cum_adj[:k0])
                p.funds[k0] = (int(p.signed * ratio) - before) // 100 * 100
                text = (f"{month}本月到位资金填报{_wan_text(p.funds[k0])}万元，累计到位资金升至签约金额的"
                        f"{ratio:.0%}，超过签约金额")
            self.record("inflated_funds", p, p.sign + k0, lambda t=text: t)

    def round_trip(self, n: int) -> None:
        def ok(p: Project) -> bool:
            return any(k + 3 in self.visible(p) for k in self.building(p, 1))
        for p in self.take(n, ok):
            k0 = self.rng.choice([k for k in self.building(p, 1) if k + 3 in self.visible(p)])
            lag = self.rng.randint(1, 3)
            amount = _cents(_nice(p.signed / 100 * self.rng.uniform(0.2, 0.5), self.rng))
            back = amount if self.rng.random() < 0.5 else amount * self.rng.choice((80, 85, 90, 95)) // 100
            p.funds[k0] += amount
            m0, m1 = _label(p.sign + k0), _label(p.sign + k0 + lag)
            if self.rng.random() < 0.6:
                p.funds[k0 + lag] -= back
                how = f"{m1}以负数冲减本月到位资金{_wan_text(back)}万元"
            else:
                p.cum_adj[k0 + lag] -= back
                how = f"{m1}累计到位资金直接调减{_wan_text(back)}万元，本月到位资金未作冲减"
            text = f"{m0}填报到位资金{_wan_text(amount)}万元（资金“过桥”后以工程款名义转出），{how}"
            self.record("round_trip", p, p.sign + k0, lambda t=text: t)

    def _full_quarters(self, p: Project) -> list[list[int]]:
        """Visible quarters (three offsets each) that the project spans completely."""
        quarters = defaultdict(list)
        for k in self.visible(p):
            y, m = _month_of(p.sign + k)
            quarters[(y, (m - 1) // 3)].append(k)
        return [ks for _, ks in sorted(quarters.items()) if len(ks) == 3]

    def quarter_end_bunching(self, n: int) -> None:
        """One unit's practice (most cases) plus a few elsewhere: money only at quarter ends, large and round."""
        def ok(p: Project) -> bool:
            return (p.fund_source in self.counted
                    and sum(1 for q in self._full_quarters(p) if sum(p.funds[k] for k in q) > 0) >= 2)
        unit = self.rng.choice(["620400", "620600", "620700", "620800", "621100"])
        chosen = self.take(max(1, n * 2 // 3), ok, [p for p in self.projects if p.unit == unit])
        chosen += self.take(n - len(chosen), ok)
        for p in chosen:
            carry, first = 0, None
            for q in self._full_quarters(p):
                total = sum(p.funds[k] for k in q) + carry
                if total <= 0 and first is None:
                    continue
                end = _cents(_nice(total / 100, self.rng)) if total > 10_000 else max(total, 0)
                carry = total - end
                for k in q[:2]:
                    p.funds[k] = 0
                p.funds[q[2]] = end
                if first is None and end > 0:
                    first = p.sign + q[2]
            text = f"自{_label(first)}起到位资金只在季末月份填报且为整数（非季末月份为零），与实际到位时间不符"
            self.record("quarter_end_bunching", p, first, lambda t=text: t)

    def fabricated_amounts(self, n: int) -> None:
        """A unit makes up its amounts for a year or so: round figures whose leading digits do not follow Benford."""
        start = self.rng.randint(self.first, max(self.first, self.last - 9))
        stop = min(self.last, start + self.rng.randint(9, 15))
        unit = self.rng.choice(["620300", "620500", "621200", "622900", "620900"])

        def paid(p: Project) -> list[int]:
            return [k for k in self.visible(p) if start <= p.sign + k <= stop and p.funds[k] > 0]
        chosen = self.take(n, lambda p: p.fund_source in self.counted and len(paid(p)) >= 2,
                           [p for p in self.projects if p.unit == unit])
        for p in chosen:
            ks = paid(p)
            for k in ks:
                p.funds[k] = self._fabricate(p.funds[k])
            text = (f"{_label(p.sign + ks[0])}至{_label(p.sign + ks[-1])}本月到位资金为编造的整数金额"
                    f"（如{_wan_text(p.funds[ks[0]])}万元），首位数字分布不符合本福特定律")
            self.record("fabricated_amounts", p, p.sign + ks[0], lambda t=text: t)

    def _fabricate(self, cents: int) -> int:
        digits = len(str(max(cents // 100, 1)))
        lead = _weighted(self.rng, list(range(1, 10)), list(FABRICATED_LEADING))
        second = self.rng.choice((0, 0, 0, 5, 5, 2, 8))
        value = (lead * 10 + second) * 10 ** (digits - 2) if digits >= 2 else lead
        return value * 100

    def zombie_project(self, n: int) -> None:
        """Started, then no money for many months, yet still reported 在建 (stalled projects first)."""
        shortest = min(9, max(3, self.last - self.first - 1))  # months without money, in a short demo fewer

        def onset(p: Project) -> int | None:
            if p.start is None or p.fund_source not in self.counted:
                return None
            room = [k for k in self.visible(p) if p.status[k] in ("在建", "停滞") and k > p.start
                    and shortest <= self.last - p.sign - k <= 24]
            stalled = [k for k in room if p.status[k] == "停滞"]
            return stalled[0] if stalled else (room[0] if room else None)
        stalled = [p for p in self.projects if "停滞" in p.status and p.start is not None]
        chosen = self.take(n, lambda p: onset(p) is not None, stalled)
        chosen += self.take(n - len(chosen), lambda p: onset(p) is not None)
        for p in chosen:
            k0 = onset(p)
            end = self.last - p.sign
            del p.status[k0:], p.funds[k0:], p.cum_adj[k0:], p.weights[k0:]
            p.extend_to(end + 1, "在建")
            p.prod = p.prod_date = None
            text = f"自{_label(p.sign + k0)}起连续{end - k0 + 1}个月无到位资金，仍填报为“在建”（实际已停滞）"
            self.record("zombie_project", p, p.sign + k0, lambda t=text: t)

    def duplicate_across_units(self, n: int) -> None:
        """The neighbouring unit reports the same project (same investor, money and dates) as its own."""
        def ok(p: Project) -> bool:
            return len(self.building(p, 2)) >= 2 and p.unit in names.NEIGHBOURS
        for p in self.take(n, ok):
            unit = self.units[self.rng.choice(names.NEIGHBOURS[p.unit])]
            county = self.rng.choice(unit.counties) if unit.counties else ""
            copy = _clone(p, unit.code)
            copy.county = county
            if self.rng.random() < 0.5:
                copy.loc = county or unit.name
            if self.rng.random() < 0.3:
                copy.funds = [f // 100 * 100 for f in p.funds]
            self.used.add(id(copy))
            self.added.append(copy)
            first = max(p.sign, self.first)
            self.record("duplicate_across_units", copy, first,
                        lambda p=p: f"与{catalog.unit_name(p.unit)}项目{p.pid}（{p.name}）为同一投资方的同一项目，"
                                    f"两个单位重复统计到位资金")

    def repeat_signing(self, n: int) -> None:
        """The same project signed again at a later event under a new 项目编号; its money reported twice."""
        def offsets(p: Project) -> list[int]:
            return [d for d in range(3, 13) if d in self.visible(p) and d + 2 in self.visible(p)
                    and p.status[d] in ("在建", "已签约未开工")]
        for p in self.take(n, lambda p: p.fund_source in self.counted and bool(offsets(p)) and p.signed > 0):
            d = self.rng.choice(offsets(p))
            q = _clone(p, p.unit)
            q.sign = p.sign + d
            q.sign_date = _day(self.rng, q.sign)
            year, month = _month_of(q.sign)
            q.remark = names.lanzhou_fair(year) if month == 7 else self.rng.choice(names.EVENT_REMARKS).format(year=year)
            q.project_type = "新建"
            q.status, q.weights = p.status[d:], p.weights[d:]
            q.funds = [int(f * self.rng.uniform(0.85, 1.0)) // 100 * 100 for f in p.funds[d:]]
            q.cum_adj = [0] * len(q.funds)
            q.signed = min(_cents(_nice(p.signed / 100 * self.rng.choice((1.0, 1.0, 0.8, 1.2)), self.rng)),
                           p.planned if p.big else _cents(REGULAR_CAP_WAN))
            q.planned = max(p.planned, q.signed)
            if p.start is not None:
                q.start = max(p.start - d, 0)
                if q.start == 0 and self.rng.random() < 0.5:
                    q.start_date = _day(self.rng, q.sign, q.sign_date)
            if p.prod is not None:
                q.prod = max(p.prod - d, 0)
            q.tail = self.rng.choice((q.tail.replace("项目", "建设项目"), q.investor.brand + q.tail,
                                      q.tail.replace("项目", "（一期）项目")))
            if self.rng.random() < 0.4 and q.investor.uscc:
                q.investor = self.companies.sister(q.investor)
            self.used.add(id(q))
            self.added.append(q)
            self.record("repeat_signing", q, q.sign,
                        lambda p=p, q=q: f"与本单位项目{p.pid}（{p.name}）为同一项目，{_label(q.sign)}在“{q.remark}”"
                                         f"中以新编号再次签约，到位资金重复填报")

    def fake_500_claim(self, n: int) -> None:
        def ok(p: Project) -> bool:
            return (p.investor.claims == catalog.NO_FIVE_HUNDRED and p.fund_source == "省外境内"
                    and not p.investor.state_owned and p.signed >= 500_000 and p.sign >= self.first - 6
                    and len(self.visible(p)) > 0)
        for p in self.take(n, ok):
            p.investor = self.companies.fake_group_investor()
            p.investor.claims = _weighted(self.rng, [PRIVATE, f"{CHINA}、{PRIVATE}", WORLD], [0.6, 0.25, 0.15])
            first = max(p.sign, self.first)
            text = f"投资方“{p.investor.name}”自称{p.investor.claims}，但不在{_month_of(p.sign)[0]}年名录中"
            self.record("fake_500_claim", p, first, lambda t=text: t)


def _clone(p: Project, unit: str) -> Project:
    return Project(unit, p.loc, p.tail, p.county, p.chain, p.investor, p.fund_source, p.project_type, p.sign,
                   p.sign_date, p.big, p.planned_raw, p.signed_frac, p.high_tech, p.remark, list(p.status),
                   p.start, p.start_date, p.prod, p.prod_date, list(p.weights), p.whole_wan, "",
                   p.planned, p.signed, list(p.funds), list(p.cum_adj))


def _assign_ids(projects: list[Project]) -> None:
    """项目编号 in signing order within each unit and signing year, e.g. LZ-2024-0137."""
    by_unit_year = defaultdict(list)
    for p in projects:
        by_unit_year[(p.unit, _month_of(p.sign)[0])].append(p)
    for (unit, year), group in by_unit_year.items():
        group.sort(key=lambda p: p.sign_date)
        for i, p in enumerate(group, start=1):
            p.pid = f"{names.UNIT_PREFIX[unit]}-{year}-{i:04d}"


def _invalid_usccs(rng: random.Random, projects: list[Project], visible: Callable[[Project], bool],
                   used: set[int]) -> list[Project]:
    """Typos in a few investors' USCC check character (they stay in the ledger month after month)."""
    investors: dict[int, Investor] = {}
    for p in projects:
        if visible(p) and p.investor.uscc and p.investor.claims == catalog.NO_FIVE_HUNDRED and id(p) not in used:
            investors.setdefault(id(p.investor), p.investor)
    chosen = rng.sample(list(investors.values()), max(1, int(len(investors) * INVALID_USCC_RATE)))
    for inv in chosen:
        inv.uscc = inv.uscc[:17] + rng.choice([c for c in USCC_CHARS if c != inv.uscc[17]])
    ids = {id(i) for i in chosen}
    return [p for p in projects if id(p.investor) in ids and visible(p)]


# ----------------------------------------------------------------------------------------------- submissions

@dataclass(eq=False)
class _File:
    unit: catalog.Unit
    month: int
    version: int
    fmt: str                      # xlsx | gb18030 | utf-8-sig
    rows: list[list]
    received: dt.datetime
    late: bool
    name: str = ""

    def label(self) -> str:
        return _label(self.month)


@dataclass
class _Expected:
    """A row the loader must quarantine, or one that must load although written unusually."""
    file: _File
    row: list
    column: int
    value: str
    code: str
    reason: str


def _rows(projects: list[Project], first: int, last: int) -> dict[tuple[str, int], list[list]]:
    """The truth: every project's row in its unit's file for every month it is reported."""
    chain_alias = {("620171", "信息产业"): "数据信息"}
    out: dict[tuple[str, int], list[list]] = defaultdict(list)
    for p in sorted(projects, key=lambda p: p.pid):
        cum = p.cum()
        inv = p.investor
        for k in range(max(first - p.sign, 0), min(last - p.sign, len(p.status) - 1) + 1):
            status = p.status[k]
            started = p.start is not None and k >= p.start and status != "已签约未开工"
            out[(p.unit, p.sign + k)].append([
                None, None, p.pid, p.name, p.county or None, chain_alias.get((p.unit, p.chain), p.chain),
                inv.name, inv.uscc or None, inv.origin, inv.claims, p.fund_source, p.project_type, p.sign_date,
                _money(p.signed), _money(p.planned), status, p.start_date if started else None,
                p.prod_date if status == "已投产" else None, _money(p.funds[k]), _money(cum[k]),
                "是" if p.high_tech else "否", p.remark or None,
            ])
    return out


def _month_cell(unit: str, mi: int, fmt: str):
    y, m = _month_of(mi)
    style = HABITS[unit][1]
    if style == "cell" and fmt == "xlsx":
        return dt.date(y, m, 1)
    return {"cn": f"{y}年{m}月", "slash": f"{y}/{m}"}.get(style, f"{y}-{m:02d}")


def _stamp(rows: list[list], unit: str, mi: int, fmt: str) -> list[list]:
    """Fill in 报送单位 and 统计月份 as this unit writes them."""
    unit_cell, month_cell = HABITS[unit][0], _month_cell(unit, mi, fmt)
    for r in rows:
        r[C_UNIT], r[C_MONTH] = unit_cell, month_cell
    return rows


def _received(rng: random.Random, mi: int, late: bool) -> dt.datetime:
    y, m = _month_of(mi + 1)
    deadline_day = catalog.etl_settings()["deadline_day"]
    if late:
        days = _weighted(rng, [rng.randint(1, 7), rng.randint(8, 14), rng.randint(15, 45)], [0.7, 0.22, 0.08])
        day = dt.date(y, m, deadline_day) + dt.timedelta(days=days)
    else:
        day = dt.date(y, m, rng.choices(range(1, deadline_day + 1), range(1, deadline_day + 1))[0])
    hour = _weighted(rng, list(range(8, 22)), [2, 6, 8, 8, 4, 5, 8, 8, 6, 4, 2, 1, 1, 1])
    return dt.datetime.combine(day, dt.time(hour, rng.randint(0, 59), rng.randint(0, 59)))


def _plan_files(rng: random.Random, truth: dict[tuple[str, int], list[list]], first: int, last: int,
                today: dt.date, messy: bool) -> tuple[list[_File], list[str]]:
    files, pending = [], []
    for mi in range(first, last + 1):
        for unit in catalog.units():
            rows = truth.get((unit.code, mi))
            if not rows:
                continue
            _, _, gb, bom, late_p = HABITS[unit.code]
            u = rng.random()
            fmt = "gb18030" if u < gb else "utf-8-sig" if u < gb + bom else "xlsx"
            late = messy and rng.random() < late_p
            received = _received(rng, mi, late)
            if received.date() > today:
                pending.append(f"{unit.code} {_label(mi)}")
                continue
            rows = _stamp(rows, unit.code, mi, fmt)
            if messy and rng.random() < RESUBMISSION_RATE:
                again = received + dt.timedelta(days=rng.randint(1, 20), hours=rng.randint(-4, 4))
                if again.date() <= today:
                    files.append(_File(unit, mi, 1, fmt, _first_version(rng, rows), received, late))
                    files.append(_File(unit, mi, 2, fmt, rows, again, again > _deadline(mi)))
                    continue
            files.append(_File(unit, mi, 1, fmt, rows, received, late))
    for f in files:
        ext = "xlsx" if f.fmt == "xlsx" else "csv"
        f.name = f"{f.unit.code}_{f.unit.name}_{f.label()}{'_v2' if f.version == 2 else ''}.{ext}"
    return files, pending


def _deadline(mi: int) -> dt.datetime:
    y, m = _month_of(mi + 1)
    return dt.datetime.combine(dt.date(y, m, catalog.etl_settings()["deadline_day"]), dt.time(23, 59, 59))


def _first_version(rng: random.Random, rows: list[list]) -> list[list]:
    """The version a resubmission corrects: a few mistyped amounts, sometimes a project left out."""
    rows = [list(r) for r in rows]
    paid = [r for r in rows if isinstance(r[C_FUNDS], Decimal) and r[C_FUNDS] >= 10]
    for r in rng.sample(paid, min(len(paid), rng.randint(1, 3))):
        wrong = _weighted(rng, [r[C_FUNDS] * 10, (r[C_FUNDS] / 10).quantize(Decimal("0.01")),
                                Decimal(str(int(r[C_FUNDS]))[::-1])], [0.4, 0.3, 0.3])
        r[C_CUM] += wrong - r[C_FUNDS]
        r[C_FUNDS] = wrong
    if len(rows) > 5 and rng.random() < 0.3:
        rows.pop(rng.randrange(len(rows)))
    return rows


def _mess_rows(rng: random.Random, files: list[_File]) -> tuple[list[_Expected], list[_Expected]]:
    """Rows the loader must quarantine (~0.3 %) and rows written unusually that must still load (~0.4 %)."""
    quarantine, variants, inserts = [], [], []
    used = {kind: 0 for kind in _QUARANTINE_FITS}
    for f in files:
        for r in f.rows:
            u = rng.random()
            if u < QUARANTINE_RATE:
                kind = min((k for k, fits in _QUARANTINE_FITS.items() if fits(r)), key=used.__getitem__)
                used[kind] += 1
                quarantine += _quarantine_row(rng, f, r, kind, inserts)
            elif u < QUARANTINE_RATE + VARIANT_RATE:
                variants += _variant_row(rng, f, r)
    for f, after, dup in inserts:
        f.rows.insert(next(i for i, r in enumerate(f.rows) if r is after) + 1, dup)
    return quarantine, variants


def _paid(value) -> bool:
    return isinstance(value, Decimal) and value >= 10


# Kinds of rows to quarantine, and which rows each can be planted in.
_QUARANTINE_FITS: dict[str, Callable[[list], bool]] = {
    "amount_text": lambda r: _paid(r[C_FUNDS]) or r[C_SIGNED] >= 10_000,
    "missing_name": lambda r: True,
    "bad_status": lambda r: True,
    "duplicate_id": lambda r: True,
    "negative_cum": lambda r: _paid(r[C_CUM]),
    "missing_start": lambda r: r[C_STATUS] == "在建" and r[C_START] is not None,
}


def _quarantine_row(rng: random.Random, f: _File, r: list, kind: str, inserts: list) -> list[_Expected]:
    h = HEADERS
    if kind == "amount_text":
        if _paid(r[C_FUNDS]) and (r[C_SIGNED] < 10_000 or rng.random() < 0.6):
            r[C_FUNDS] = f"约{int(r[C_FUNDS]):d}"
            return [_Expected(f, r, C_FUNDS, r[C_FUNDS], "amount_not_number", f"{h[C_FUNDS]}“{r[C_FUNDS]}”不是数字")]
        r[C_SIGNED] = f"{(r[C_SIGNED] / 10_000).normalize():f}亿"
        return [_Expected(f, r, C_SIGNED, r[C_SIGNED], "amount_not_number", f"{h[C_SIGNED]}“{r[C_SIGNED]}”不是数字")]
    if kind == "missing_name":
        r[C_NAME] = None
        return [_Expected(f, r, C_NAME, "", "missing_required", "缺少必填项：项目名称")]
    if kind == "bad_status":
        r[C_STATUS] = rng.choice(names.BAD_STATUSES)
        return [_Expected(f, r, C_STATUS, r[C_STATUS], "invalid_value",
                          f"项目状态“{r[C_STATUS]}”不在允许值（{'、'.join(catalog.STATUSES)}）中")]
    if kind == "duplicate_id":
        dup = list(r)
        if isinstance(dup[C_FUNDS], Decimal) and isinstance(dup[C_CUM], Decimal):
            dup[C_FUNDS] = (dup[C_FUNDS] * Decimal("1.1")).quantize(Decimal("0.01"))
            dup[C_CUM] = dup[C_CUM] - r[C_FUNDS] + dup[C_FUNDS]
        inserts.append((f, r, dup))
        reason = f"项目编号“{r[C_PID]}”在文件中出现 2 次"
        return [_Expected(f, x, C_PID, r[C_PID], "duplicate_project_id", reason) for x in (r, dup)]
    if kind == "negative_cum":
        r[C_CUM] = -r[C_CUM]
        return [_Expected(f, r, C_CUM, str(r[C_CUM]), "negative_cumulative", f"累计到位资金为负数（{r[C_CUM]}）")]
    r[C_START] = None  # missing_start
    return [_Expected(f, r, C_START, "", "missing_start_date", "项目状态为在建，但未填开工日期")]


_FULL_WIDTH = str.maketrans("0123456789.-", "０１２３４５６７８９．－")


def _variant_row(rng: random.Random, f: _File, r: list) -> list[_Expected]:
    kind = rng.choice(("thousands", "full_width", "date_cn", "date_dot"))
    if kind in ("thousands", "full_width"):
        col = rng.choice((C_FUNDS, C_CUM))
        value = r[col]
        if not isinstance(value, Decimal) or value == 0 or (kind == "thousands" and abs(value) < 1000):
            return []
        r[col] = f"{value:,.2f}".rstrip("0").rstrip(".") if kind == "thousands" else f"{value:.2f}".translate(_FULL_WIDTH)
        return [_Expected(f, r, col, r[col], kind, f"{value:.2f}")]
    col = C_START if kind == "date_dot" and isinstance(r[C_START], dt.date) else C_SIGN_DATE
    d = r[col]
    r[col] = f"{d.year}年{d.month}月{d.day}日" if kind == "date_cn" else f"{d.year}.{d.month}.{d.day}"
    return [_Expected(f, r, col, r[col], kind, d.isoformat())]


def _excel_rows(files: list[_File]) -> dict[int, int]:
    """id(row) -> the row number the reporter sees (xlsx data sits under a title, a 填报单位 line and the header)."""
    return {id(r): i + (4 if f.fmt == "xlsx" else 2) for f in files for i, r in enumerate(f.rows)}


# ----------------------------------------------------------------------------------------------- writers

# A minimal SpreadsheetML writer: the template is one sheet of plain cells, and xlsxwriter took five times as
# long for 200,000 rows (measured: ~8,700 vs ~42,000 rows/s). Strings are inline; zip entries carry the file's
# received time, so the same seed gives byte-identical files.
_NS = "http://schemas.openxmlformats.org"
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_XLSX_PARTS = {
    "[Content_Types].xml": (
        f'<Types xmlns="{_NS}/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
        '<Override PartName="/xl/styles.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
        '<Override PartName="/docProps/core.xml" ContentType="application/vnd.openxmlformats-package.core-properties+xml"/>'
        '<Override PartName="/docProps/app.xml" '
        'ContentType="application/vnd.openxmlformats-officedocument.extended-properties+xml"/></Types>'),
    "_rels/.rels": (
        f'<Relationships xmlns="{_NS}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/>'
        f'<Relationship Id="rId2" Type="{_NS}/package/2006/relationships/metadata/core-properties" '
        'Target="docProps/core.xml"/>'
        f'<Relationship Id="rId3" Type="{_NS}/officeDocument/2006/relationships/extended-properties" '
        'Target="docProps/app.xml"/></Relationships>'),
    "docProps/app.xml": (f'<Properties xmlns="{_NS}/officeDocument/2006/extended-properties">'
                         '<Application>Microsoft Excel</Application></Properties>'),
    "xl/workbook.xml": (
        f'<workbook xmlns="{_NS}/spreadsheetml/2006/main" xmlns:r="{_NS}/officeDocument/2006/relationships">'
        '<bookViews><workbookView/></bookViews><sheets><sheet name="项目明细" sheetId="1" r:id="rId1"/></sheets></workbook>'),
    "xl/_rels/workbook.xml.rels": (
        f'<Relationships xmlns="{_NS}/package/2006/relationships">'
        f'<Relationship Id="rId1" Type="{_NS}/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        f'<Relationship Id="rId2" Type="{_NS}/officeDocument/2006/relationships/styles" Target="styles.xml"/>'
        '</Relationships>'),
    # Cell styles: 0 plain, 1 title, 2 header, 3 date, 4 month, 5 amount, 6 total amount.
    "xl/styles.xml": (
        f'<styleSheet xmlns="{_NS}/spreadsheetml/2006/main">'
        '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/>'
        '<numFmt numFmtId="165" formatCode="yyyy&quot;年&quot;m&quot;月&quot;"/></numFmts>'
        '<fonts count="3"><font><sz val="11"/><name val="宋体"/><charset val="134"/></font>'
        '<font><b/><sz val="11"/><name val="宋体"/><charset val="134"/></font>'
        '<font><b/><sz val="16"/><name val="宋体"/><charset val="134"/></font></fonts>'
        '<fills count="3"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill>'
        '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'
        '</fills><borders count="2"><border><left/><right/><top/><bottom/><diagonal/></border>'
        '<border><left style="thin"/><right style="thin"/><top style="thin"/><bottom style="thin"/><diagonal/></border>'
        '</borders><cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
        '<cellXfs count="7"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
        '<xf numFmtId="0" fontId="2" fillId="0" borderId="0" xfId="0" applyFont="1" applyAlignment="1">'
        '<alignment horizontal="center" vertical="center"/></xf>'
        '<xf numFmtId="0" fontId="1" fillId="2" borderId="1" xfId="0" applyFont="1" applyFill="1" applyBorder="1" '
        'applyAlignment="1"><alignment horizontal="center" vertical="center" wrapText="1"/></xf>'
        '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
        '<xf numFmtId="4" fontId="1" fillId="0" borderId="0" xfId="0" applyNumberFormat="1" applyFont="1"/></cellXfs>'
        '<cellStyles count="1"><cellStyle name="常规" xfId="0" builtinId="0"/></cellStyles></styleSheet>'),
}
_COLUMN_LETTERS = [chr(ord("A") + i) for i in range(26)]
_COLUMN_WIDTHS = (10, 10, 14, 36, 12, 18, 30, 22, 12, 14, 10, 8, 12, 14, 14, 12, 12, 12, 14, 14, 8, 20)
_EXCEL_EPOCH = dt.date(1899, 12, 30)


@lru_cache(maxsize=65536)
def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _cell(ref: str, value, style: int = 0, *, text_date: bool = False, month: bool = False) -> str:
    """One cell: amounts as numbers, dates as date serials (or the unit's 2024/3/5 text), the rest inline text."""
    if isinstance(value, Decimal):
        return f'<c r="{ref}" s="{style or 5}"><v>{value:f}</v></c>'
    if isinstance(value, dt.date) and (month or not text_date):
        return f'<c r="{ref}" s="{4 if month else 3}"><v>{(value - _EXCEL_EPOCH).days}</v></c>'
    if isinstance(value, dt.date):
        value = f"{value.year}/{value.month}/{value.day}"
    return f'<c r="{ref}" s="{style}" t="inlineStr"><is><t>{_xml_text(value)}</t></is></c>'


def _xlsx_bytes(f: _File, rows: list[list], headers: tuple[str, ...] = HEADERS) -> bytes:
    """The unit's monthly report as Excel saves it: a merged title, the 填报单位 line, the header, rows, 合计."""
    y, m = _month_of(f.month)
    office = names.reporting_office(f.unit.name)
    last_col = _COLUMN_LETTERS[len(headers) - 1]
    text_dates = f.unit.code in SLASH_DATE_UNITS
    total_row = len(rows) + 4
    sheet = [_XML, f'<worksheet xmlns="{_NS}/spreadsheetml/2006/main">',
             f'<dimension ref="A1:{last_col}{total_row}"/>',
             ('<sheetViews><sheetView workbookViewId="0"><pane xSplit="4" ySplit="3" topLeftCell="E4" '
              'activePane="bottomRight" state="frozen"/><selection pane="bottomRight"/></sheetView></sheetViews>'),
             '<sheetFormatPr defaultRowHeight="15"/><cols>',
             *(f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>' for i, w in enumerate(_COLUMN_WIDTHS, 1)),
             '</cols><sheetData>',
             f'<row r="1" ht="28" customHeight="1">{_cell("A1", f"{f.unit.name}{y}年{m}月招商引资项目报表", 1)}</row>',
             (f'<row r="2">{_cell("A2", f"填报单位（盖章）：{office}")}'
              f'{_cell("K2", f"填报日期：{f.received:%Y年%m月%d日}")}</row>'),
             f'<row r="3">{"".join(_cell(f"{c}3", h, 2) for c, h in zip(_COLUMN_LETTERS, headers))}</row>']
    totals = [Decimal(0)] * len(headers)
    for i, r in enumerate(rows, start=4):
        cells = []
        for c, (letter, v) in enumerate(zip(_COLUMN_LETTERS, r)):
            if v is not None:
                cells.append(_cell(f"{letter}{i}", v, text_date=text_dates, month=c == C_MONTH))
                if isinstance(v, Decimal):
                    totals[c] += v
        sheet.append(f'<row r="{i}">{"".join(cells)}</row>')
    sheet.append(f'<row r="{total_row}">{_cell(f"A{total_row}", "合计")}'
                 f'{"".join(_cell(f"{_COLUMN_LETTERS[c]}{total_row}", totals[c], 6) for c in MONEY_COLUMNS)}</row>')
    sheet.append(f'</sheetData><mergeCells count="3"><mergeCell ref="A1:{last_col}1"/><mergeCell ref="A2:J2"/>'
                 f'<mergeCell ref="K2:{last_col}2"/></mergeCells>'
                 '<pageMargins left="0.7" right="0.7" top="0.75" bottom="0.75" header="0.3" footer="0.3"/></worksheet>')
    stamp = f.received.strftime("%Y-%m-%dT%H:%M:%SZ")
    core = (f'<cp:coreProperties xmlns:cp="{_NS}/package/2006/metadata/core-properties" '
            'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" '
            'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dc:title>{f.unit.name}招商引资项目报表</dc:title><dc:creator>{office}</dc:creator>'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{stamp}</dcterms:created>'
            f'<dcterms:modified xsi:type="dcterms:W3CDTF">{stamp}</dcterms:modified></cp:coreProperties>')
    parts = dict(_XLSX_PARTS)
    parts["docProps/core.xml"] = core
    parts["xl/worksheets/sheet1.xml"] = "".join(sheet)
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        for name, text in parts.items():
            info = zipfile.ZipInfo(name, f.received.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, text if text.startswith(_XML) else _XML + text)
    return buf.getvalue()


def _csv_bytes(f: _File, rows: list[list], encoding: str) -> bytes:
    slash = f.unit.code in SLASH_DATE_UNITS
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(HEADERS)
    for r in rows:
        w.writerow(["" if v is None else f"{v:.2f}" if isinstance(v, Decimal)
                    else (f"{v.year}/{v.month}/{v.day}" if slash else v.isoformat()) if isinstance(v, dt.date)
                    else v for v in r])
    return out.getvalue().encode(encoding)


def _file_bytes(f: _File) -> bytes:
    return _xlsx_bytes(f, f.rows) if f.fmt == "xlsx" else _csv_bytes(f, f.rows, f.fmt)


def _bad_files(rng: random.Random, files: list[_File], truth: dict, today: dt.date) -> list[tuple[_File, bytes, str, str]]:
    """Files the loader must reject: (file, bytes, reason code, Chinese reason). Named bad_… on purpose."""
    xlsx = [f for f in files if f.fmt == "xlsx" and f.version == 1 and len(f.rows) >= 3]
    picks = rng.sample(xlsx, min(5, len(xlsx)))
    out = []

    def copy(f: _File, tag: str, month: int | None = None) -> _File:
        m = f.month if month is None else month
        name = f"bad_{tag}_{f.unit.code}_{f.unit.name}_{_label(m)}.xlsx"
        received = f.received + dt.timedelta(hours=rng.randint(1, 30))
        return _File(f.unit, m, 1, "xlsx", [list(r) for r in f.rows], min(received, _morning(today)), False, name)

    for tag, f in zip(("corrupt", "txt_renamed", "english_headers", "two_units", "future_month"), picks):
        if tag == "corrupt":
            b = copy(f, tag)
            data = _xlsx_bytes(b, b.rows)
            out.append((b, data[: len(data) * 3 // 5], "corrupt", "文件已损坏（传输中断，内容不完整），无法读取"))
        elif tag == "txt_renamed":
            b = copy(f, tag)
            text = (f"{f.unit.name}{f.label()}招商引资工作情况说明\r\n本月新签约项目{len(f.rows) // 10}个，"
                    f"详见附表。\r\n").encode("gb18030")
            out.append((b, text, "not_xlsx", "文件实际是文本文件，只是扩展名改成了 .xlsx"))
        elif tag == "english_headers":
            b = copy(f, tag)
            out.append((b, _xlsx_bytes(b, b.rows, names.ENGLISH_HEADERS), "missing_columns",
                        "表头为英文，缺少必需的中文列名"))
        elif tag == "two_units":
            other = next((u for u in catalog.units() if u.code != f.unit.code and truth.get((u.code, f.month))), None)
            if other is None:  # a tiny demo where nobody else reported that month
                continue
            b = copy(f, tag)
            extra = _stamp([list(r) for r in truth[(other.code, f.month)][:3]], other.code, f.month, "xlsx")
            b.rows += extra
            out.append((b, _xlsx_bytes(b, b.rows), "multiple_units",
                        f"同一文件中出现两个报送单位：{HABITS[f.unit.code][0]}、{HABITS[other.code][0]}"))
        else:
            future = _mi(today.year + 1, today.month)
            b = copy(f, tag, future)
            _stamp(b.rows, f.unit.code, future, "xlsx")
            out.append((b, _xlsx_bytes(b, b.rows), "future_month", f"统计月份 {_label(future)} 晚于当前月份"))
    return out


def _morning(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8, 0))


def _gansu_register(projects: list[Project], companies: _Companies) -> list[tuple[str, str, str]]:
    """An extract of the enterprise register: every Gansu-registered company of the simulation (investors and the
    groups' Gansu subsidiaries), with the market-regulation authority of its registration region."""
    offices = {u.code: u.name for u in catalog.units()}
    found = {(p.investor.name, p.investor.uscc) for p in projects} | set(companies.subsidiaries.values())
    return sorted(
        (name, uscc, f"{offices.get(uscc[2:8], '甘肃省')}市场监督管理局")
        for name, uscc in found if uscc[2:4] == GANSU_REGION and uscc_is_valid(uscc)
    )


def _write_csv(path: Path, header: tuple[str, ...], rows: list[tuple], encoding: str = "utf-8") -> None:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))


def _readme(s: DemoSummary, first_year: int) -> str:
    kinds = "、".join(f"{k}（{v}）" for k, v in s.injected.items()) or "无"
    funds = "；".join(f"{y}年 {v:,.2f} 亿元" for y, v in s.funds_yi.items())
    return f"""甘肃省招商引资项目月报演示数据
================================

本目录由 `python -m etl demo` 生成（随机种子 {s.seed}，规模 {s.scale:g}，统计月份 {s.start} 至 {s.end}）。
数据全部为虚构：项目、企业名称、统一社会信用代码和三个500强名录都是按真实格式编造的，
县区名称和行政区划代码为真实值。省级到位资金总量、各市州占比、产业链结构、10亿元以上项目和
三个500强项目数量按公开通报数据校准（模型按约一半的项目数、每个项目约两倍规模生成）。

目录说明
--------
submissions/            各市州、兰州新区报送的月报文件，每个单位每月一个（{s.data_files} 个可加载文件）。
                        文件名形如 620100_兰州市_2025-03.xlsx；更正后重报的为 …_2025-03_v2.xlsx（{s.resubmissions} 个），
                        首次报送的版本仍保留。多数为 xlsx（带标题行、填报单位行和末尾合计行），
                        部分单位报送 GB18030 或带 BOM 的 UTF-8 编码 CSV。
                        以 bad_ 开头的 {s.rejected_files} 个文件是必须整体拒收的测试文件（损坏、改扩展名、英文表头、
                        两个报送单位、统计月份在未来）。
manifest.csv            每个文件的收到时间（北京时间），加载时用作报送时间；逾期报送 {s.late_files} 个
                        （截止日为次月 5 日）。尚未报送：{'、'.join(s.pending) or '无'}。
reference/              {first_year} 年起各年度三个500强名录（虚构），列为 名录,年度,排名,企业名称,统一社会信用代码。
ground_truth/           核查用的“标准答案”，不属于报送数据，请勿加载：
  injected_anomalies.csv   注入的数据造假模式，每个（单位、项目、类型）一行：{kinds}。
  expected_rejections.csv  必须拒收的文件和必须隔离的数据行（共 {s.quarantined_rows} 行），附原因。
  expected_warnings.csv    应产生警告的项目（统一社会信用代码校验位错误）。
  format_variants.csv      写法特殊但合法、必须正常加载的单元格（如 1,234.5、全角数字、2025年3月15日）。

规模
----
项目 {s.projects:,} 个，项目月度数据行 {s.rows:,} 行。
按最新版本统计的到位资金（省外境内＋境外）：{funds}。

另外，少数项目有正常的负数冲减（上月多报、本月更正），不属于造假，不在标准答案中。
"""


def _write_ground_truth(out: Path, injected: list[Injected], quarantine: list[_Expected], variants: list[_Expected],
                        bad: list[tuple[_File, bytes, str, str]], uscc_warned: list[Project],
                        row_no: dict[int, int]) -> None:
    gt = out / "ground_truth"
    gt.mkdir(parents=True, exist_ok=True)
    _write_csv(gt / "injected_anomalies.csv", ("unit_code", "project_id", "kind", "first_month", "description"),
               [(r.project.unit, r.project.pid, r.kind, _label(r.first), r.describe()) for r in injected])
    rejections = [(b.name, "file", "", "", "", code, reason) for b, _, code, reason in bad]
    rejections += [(e.file.name, "row", row_no[id(e.row)], e.row[C_PID], HEADERS[e.column], e.code, e.reason)
                   for e in quarantine]
    _write_csv(gt / "expected_rejections.csv",
               ("file", "scope", "excel_row", "project_id", "column", "reason_code", "reason"), rejections)
    _write_csv(gt / "expected_warnings.csv", ("unit_code", "project_id", "code", "column", "value", "description"),
               [(p.unit, p.pid, "uscc_check_digit", HEADERS[C_USCC], p.investor.uscc, "统一社会信用代码校验位错误（填报笔误）")
                for p in uscc_warned])
    _write_csv(gt / "format_variants.csv", ("file", "excel_row", "project_id", "column", "value", "normalized"),
               [(e.file.name, row_no[id(e.row)], e.row[C_PID], HEADERS[e.column], e.value, e.reason)
                for e in variants])


def generate(out_dir: str | Path, *, seed: int = 20241, start: str = "2023-01", end: str | None = None,
             scale: float = 1.0, messy: bool = True) -> DemoSummary:
    """Write the demo set under `out_dir` (see the module docstring) and return what was written."""
    today = clock.today()
    latest = last_complete_month(today)
    first = _parse_month(start)
    last = _parse_month(end) if end else _mi(latest.year, latest.month)
    if not first <= last <= _mi(latest.year, latest.month):
        raise ValueError(f"统计月份范围 {start} 至 {end or _label(last)} 无效：起始不能晚于结束，"
                         f"结束不能晚于上一个完整月份 {_label(_mi(latest.year, latest.month))}")
    if scale <= 0:
        raise ValueError(f"规模 --scale 应大于 0，收到 {scale}")
    out = Path(out_dir)
    if (out / "submissions").exists() and any((out / "submissions").iterdir()):
        raise ValueError(f"输出目录 {out} 中已有 submissions/，请换一个目录或先删除旧的演示数据")
    counted = tuple(catalog.etl_settings()["counted_fund_sources"])
    rng = {name: random.Random(f"{seed}-{name}") for name in
           ("companies", "lists", "projects", "calibrate", "inject", "files", "mess", "bad")}

    sim_first = first - 36  # older projects are still being reported in the first months
    companies = _Companies(rng["companies"])
    years = range(_month_of(sim_first)[0], _month_of(last)[0] + 1)
    lists = _FiveHundred(rng["lists"], companies.groups, years)
    projects = _simulate(rng["projects"], companies, lists, sim_first, last, scale)
    _calibrate(rng["calibrate"], projects, first, last, scale, counted)
    _honest_corrections(rng["calibrate"], projects)

    def visible(p: Project) -> bool:
        return p.sign <= last and p.last >= first

    injected, uscc_warned = [], []
    if messy:
        injector = _Injector(rng["inject"], projects, first, last, companies, counted)
        injector.run(sum(1 for p in projects if visible(p)))
        projects += injector.added
        injected = injector.records
        uscc_warned = _invalid_usccs(rng["inject"], projects, visible, injector.used)
    _assign_ids(projects)

    truth = _rows(projects, first, last)
    files, pending = _plan_files(rng["files"], truth, first, last, today, messy)
    funds = defaultdict(Decimal)
    for f in files:
        if f.rows is truth[(f.unit.code, f.month)]:  # the latest version holds the truth rows
            funds[_month_of(f.month)[0]] += sum(r[C_FUNDS] for r in f.rows if r[C_SOURCE] in counted)
    quarantine, variants = _mess_rows(rng["mess"], files) if messy else ([], [])
    bad = _bad_files(rng["bad"], files, truth, today) if messy else []

    sub = out / "submissions"
    sub.mkdir(parents=True, exist_ok=True)
    for f in files:
        (sub / f.name).write_bytes(_file_bytes(f))
    for b, data, _, _ in bad:
        (sub / b.name).write_bytes(data)
    arrivals = sorted([(f.received, f.name) for f in files] + [(b.received, b.name) for b, _, _, _ in bad])
    _write_csv(out / "manifest.csv", ("file", "received_at"), [(n, t.isoformat()) for t, n in arrivals])
    ref = out / "reference"
    ref.mkdir(exist_ok=True)
    shown = [p for p in projects if visible(p)]
    first_year = min(_month_of(p.sign)[0] for p in shown)
    for year in range(first_year, _month_of(last)[0] + 1):
        _write_csv(ref / f"five_hundred_{year}.csv", ("名录", "年度", "排名", "企业名称", "统一社会信用代码"),
                   lists.rows(year), encoding="utf-8-sig")
    _write_csv(ref / "enterprises_gansu.csv", ("企业名称", "统一社会信用代码", "登记机关"),
               _gansu_register(projects, companies), encoding="utf-8-sig")
    _write_ground_truth(out, injected, quarantine, variants, bad, uscc_warned, _excel_rows(files))

    kinds: dict[str, int] = defaultdict(int)
    for r in injected:
        kinds[r.kind] += 1
    summary = DemoSummary(
        out_dir=out, start=_label(first), end=_label(last), seed=seed, scale=scale, messy=messy,
        projects=len({(p.unit, p.pid) for p in shown}), data_files=len(files),
        resubmissions=sum(f.version == 2 for f in files), late_files=sum(f.late for f in files),
        pending=tuple(pending), rejected_files=len(bad), rows=sum(len(f.rows) for f in files),
        quarantined_rows=len(quarantine), injected=dict(kinds),
        funds_yi={y: (v / 10_000).quantize(Decimal("0.01")) for y, v in sorted(funds.items())},
    )
    (out / "README.txt").write_text(_readme(summary, first_year), encoding="utf-8")
    return summary


def _summary_zh(s: DemoSummary, seconds: float) -> str:
    funds = "\n".join(f"    {y}年：{v:,.2f} 亿元" for y, v in s.funds_yi.items())
    injected = "、".join(f"{k} {v}" for k, v in s.injected.items()) or "无"
    return (f"已生成演示数据：{s.out_dir}\n"
            f"  统计月份 {s.start} 至 {s.end}，随机种子 {s.seed}，规模 {s.scale:g}\n"
            f"  报表文件 {s.data_files} 个（更正重报 {s.resubmissions} 个，逾期 {s.late_files} 个），"
            f"应拒收文件 {s.rejected_files} 个，尚未报送 {len(s.pending)} 个\n"
            f"  项目 {s.projects:,} 个，项目月度数据行 {s.rows:,} 行，其中应隔离 {s.quarantined_rows} 行\n"
            f"  注入的造假模式（项目数）：{injected}\n"
            f"  到位资金（省外境内＋境外，最新版本）：\n{funds}\n"
            f"  用时 {seconds:.1f} 秒")


def main(argv: list[str]) -> int:
    """`python -m etl demo --out DIR [--seed N] [--start YYYY-MM] [--end YYYY-MM] [--scale X]` (argv after `demo`)."""
    parser = argparse.ArgumentParser(prog="python -m etl demo", description="生成甘肃省招商引资项目月报演示数据"
                                     "（只写文件，不写数据仓库；加载请用 python -m etl load）")
    parser.add_argument("--out", required=True, help="输出目录")
    parser.add_argument("--warehouse", help="为与其他命令一致而接受此参数，但不使用：演示数据只写文件，不写数据仓库")
    parser.add_argument("--seed", type=int, default=20241, help="随机种子（相同种子生成完全相同的文件）")
    parser.add_argument("--start", default="2023-01", help="起始统计月份，如 2023-01")
    parser.add_argument("--end", default=None, help="结束统计月份，默认为上一个完整月份")
    parser.add_argument("--scale", type=float, default=1.0, help="项目数量（及金额总量）的倍数")
    parser.add_argument("--clean", action="store_true", help="只生成干净数据（无逾期、重报、错误和造假模式）")
    parser.add_argument("--json", action="store_true", help="输出机器可读的摘要")
    args = parser.parse_args(argv)
    began = time.perf_counter()
    try:
        s = generate(args.out, seed=args.seed, start=args.start, end=args.end, scale=args.scale, messy=not args.clean)
    except ValueError as exc:
        print(f"错误：{exc}")
        return 1
    seconds = time.perf_counter() - began
    if args.json:
        print(json.dumps({"out_dir": str(s.out_dir), "start": s.start, "end": s.end, "seed": s.seed,
                          "scale": s.scale, "projects": s.projects, "data_files": s.data_files,
                          "resubmissions": s.resubmissions, "late_files": s.late_files, "pending": list(s.pending),
                          "rejected_files": s.rejected_files, "rows": s.rows,
                          "quarantined_rows": s.quarantined_rows, "injected": s.injected,
                          "funds_yi": {str(y): str(v) for y, v in s.funds_yi.items()}, "seconds": round(seconds, 1)},
                         ensure_ascii=False))
    else:
        print(_summary_zh(s, seconds))
    return 0
