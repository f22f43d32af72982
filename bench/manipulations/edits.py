"""Building blocks shared by the manipulation kinds: fund-flow edits, name variants, new ids, USCCs."""
from __future__ import annotations

import datetime as dt
import itertools
import random
import re
from collections import Counter
from dataclasses import dataclass

from core import catalog
from core.uscc import USCC_CHARS, uscc_check_char

from .dataset import Dataset, add_months, amount, month_text, set_amount

QUARTER_END = (3, 6, 9, 12)

# Light one-character slips seen in hand-typed names (similar looking or sounding characters).
ONE_CHAR = {
    "园": "圆", "项": "顼", "储": "贮", "链": "连", "材": "才", "造": "制", "基": "机", "地": "底",
    "产": "厂", "业": "叶", "新": "鑫", "能": "能源", "科": "料", "技": "枝", "工": "功", "农": "龙",
    "加": "嘉", "中": "忠", "心": "新", "物": "务", "流": "留", "源": "元", "电": "甸", "光": "广",
}
SUFFIXES = ("（二期）", "（一期）", "二期", "（扩建）", "（续建）", "（新建）", "（三期）")


@dataclass
class Truth:
    unit_code: str
    project_id: str
    kind: str
    variant: str
    first_month: dt.date
    description: str

    def as_dict(self) -> dict:
        return {"unit_code": self.unit_code, "project_id": self.project_id, "kind": self.kind,
                "variant": self.variant, "first_month": month_text(self.first_month),
                "description": self.description}


History = list[tuple[dt.date, dict]]  # one project's (month, row) pairs, in month order


def hist(index: dict, key: tuple[str, str]) -> History:
    return sorted(index[key].items())


def consecutive(h: History) -> bool:
    return all(add_months(a[0], 1) == b[0] for a, b in itertools.pairwise(h))


# ---------------------------------------------------------------------- fund flows

def add_funds(h: History, month: dt.date, delta: float, *, month_figure: bool = True,
              cumulative: bool = True) -> None:
    """Book `delta` 万元 in `month`: 本月 of that month and 累计 of that and every later month (by default)."""
    for m, row in h:
        if month_figure and m == month:
            set_amount(row, "funds_month_wan", amount(row, "funds_month_wan") + delta)
        if cumulative and m >= month:
            set_amount(row, "funds_cum_wan", max(0.0, amount(row, "funds_cum_wan") + delta))


def set_month_funds(h: History, month: dt.date, value: float) -> None:
    """Replace 本月 in `month` and carry the difference through 累计 (keeps 累计 = 上月累计 + 本月)."""
    row = dict(h)[month]
    add_funds(h, month, value - amount(row, "funds_month_wan"))


# ---------------------------------------------------------------------- names

def lightly_renamed(name: str, rng: random.Random) -> tuple[str, str]:
    """A light variant of a project or company name and a few words saying what changed."""
    ops = ["suffix", "char", "space", "punct"]
    rng.shuffle(ops)
    for op in ops:
        if op == "suffix":
            suffix = rng.choice(SUFFIXES)
            base = name.removesuffix("项目")
            return f"{base}{suffix}项目" if name.endswith("项目") else name + suffix, f"suffix {suffix}"
        if op == "char":
            spots = [i for i, c in enumerate(name) if i > 1 and c in ONE_CHAR]
            if spots:
                i = rng.choice(spots)
                return name[:i] + ONE_CHAR[name[i]] + name[i + 1:], f"char {name[i]}->{ONE_CHAR[name[i]]}"
        if op == "space" and len(name) > 4:
            i = rng.randint(2, len(name) - 2)
            sep = rng.choice([" ", "\u3000"])
            return name[:i] + sep + name[i:], "inner space"
        if op == "punct" and len(name) > 4:
            i = rng.randint(2, len(name) - 3)
            mark = rng.choice(["·", "-", "、"])
            return name[:i] + mark + name[i:], f"punctuation {mark}"
    return name + "（二期）", "suffix （二期）"


def short_place(unit: catalog.Unit) -> str:
    return unit.aliases[0] if unit.aliases else unit.name


def relocated_name(name: str, src: catalog.Unit, dst: catalog.Unit, rng: random.Random) -> str:
    """The name as another unit would write it: the leading place name of `src` replaced by one of `dst`."""
    places = sorted([*src.counties, src.name, *src.aliases], key=len, reverse=True)
    target = rng.choice(list(dst.counties)) if dst.counties and rng.random() < 0.6 else dst.name
    rest, stripped = name, True
    while stripped:  # e.g. 酒泉市 then 阿克塞哈萨克族自治县
        stripped = False
        for p in places:
            if rest.startswith(p) and len(rest) > len(p) + 2:
                rest, stripped = rest[len(p):], True
                break
    return target + rest if rest != name else name


def county_for(unit: catalog.Unit, rng: random.Random) -> str | None:
    return rng.choice(list(unit.counties)) if unit.counties else None


# ---------------------------------------------------------------------- identifiers

def new_project_id(ds: Dataset, unit_code: str, year: int, taken: set[str]) -> str:
    """Next free 项目编号 in the unit's own style (PREFIX-YYYY-NNNN), never used in any month."""
    own = ds.project_ids(unit_code)
    styles = Counter(m.group(1) for p in own if (m := re.match(r"^([A-Z]+)-\d{4}-\d+$", p)))
    prefix = min(styles, key=lambda x: (-styles[x], x)) if styles else f"P{unit_code}"
    existing = own | taken
    seqs = [int(p.rsplit("-", 1)[1]) for p in existing if p.startswith(f"{prefix}-{year}-")]
    n = max(seqs, default=0) + 1
    while f"{prefix}-{year}-{n:04d}" in existing:
        n += 1
    pid = f"{prefix}-{year}-{n:04d}"
    taken.add(pid)
    return pid


def new_uscc(rng: random.Random, region: str = "91110000") -> str:
    """A well-formed USCC (GB 32100-2015 check character) with a random organisation code."""
    body = region[:8] + "".join(rng.choice(USCC_CHARS) for _ in range(9))
    return body + uscc_check_char(body)


def random_day(month: dt.date, rng: random.Random) -> dt.date:
    return month.replace(day=rng.randint(1, 28))


class Ctx:
    """What every kind works with: the data set, a project index kept in step with edits, the random stream."""

    def __init__(self, ds: Dataset, rng: random.Random):
        self.ds = ds
        self.rng = rng
        self.index = ds.projects()
        self.used: set[tuple[str, str]] = set()  # projects already manipulated (or used as a source)
        self.taken: set[str] = set()             # project ids handed out

    def keys(self, pred=None) -> list[tuple[str, str]]:
        """Unused projects (sorted, so the draw depends on the seed only) whose history satisfies `pred`."""
        return [k for k in sorted(self.index) if k not in self.used and (pred is None or pred(hist(self.index, k)))]

    def pick(self, keys: list, top: int | None = None):
        if not keys:
            return None
        return self.rng.choice(keys[:top] if top else keys)

    def history(self, key: tuple[str, str]) -> History:
        return hist(self.index, key)

    def unit(self, code: str) -> catalog.Unit:
        return catalog.unit_lookup()[code]

    def add_row(self, unit_code: str, month: dt.date, row: dict) -> dict:
        new = self.ds.add_row(unit_code, month, row)
        self.index.setdefault((unit_code, new["project_id"]), {})[month] = new
        return new

    def remove_project(self, key: tuple[str, str]) -> None:
        for month in list(self.index.get(key, {})):
            self.ds.remove_row(key[0], month, key[1])
        self.index.pop(key, None)

    def touch(self, key: tuple[str, str], months=None) -> None:
        """Mark the files of a project's edited months as modified."""
        for month in (months if months is not None else self.index[key]):
            self.ds.touch(key[0], month)
