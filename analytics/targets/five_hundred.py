"""三个500强 claims: identify each claiming investor (USCC, else normalised name; optionally its group) and check the
claim against the loaded list of the signing year, else the latest earlier year. Claims not found are kept and marked.
"""
from __future__ import annotations

import unicodedata

import polars as pl

from core import catalog

ORG_SUFFIXES = ("集团股份有限公司", "集团有限责任公司", "集团有限公司", "股份有限公司", "有限责任公司", "有限公司", "集团")
VERIFIED, NOT_FOUND, NO_LIST = "已核实", "名录中未找到", "无对应名录"


def normalise_name(name: str | None) -> str:
    """Company name for matching: NFKC (full-width → half-width, （）→ ()), no whitespace, case-folded."""
    if not name:
        return ""
    text = unicodedata.normalize("NFKC", name)
    return "".join(text.split()).casefold()


def _core(name: str) -> str:
    """A normalised company name without its organisation-form suffix (for group matching)."""
    for suffix in ORG_SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def _uscc(value: str | None) -> str | None:
    text = unicodedata.normalize("NFKC", value or "").strip().upper()
    return text or None


# --------------------------------------------------------------------------- 三个500强 claims

class ReferenceLists:
    """The loaded 三个500强 lists, indexed for matching by USCC, by normalised name and (group rule) by core name."""

    def __init__(self, reference: pl.DataFrame, group_match: bool = False):
        self.group_match = group_match
        self.years: dict[str, list[int]] = {}
        self.by_uscc: dict[tuple[str, int, str], str] = {}
        self.by_name: dict[tuple[str, int, str], str] = {}
        self.by_core: dict[tuple[str, int, str], str] = {}
        for list_name, year, company, uscc in reference.select("list_name", "year", "company_name", "uscc").iter_rows():
            norm, code = normalise_name(company), _uscc(uscc)
            key = code or f"名称:{norm}"
            self.years.setdefault(list_name, []).append(year)
            if code:
                self.by_uscc[(list_name, year, code)] = key
            self.by_name[(list_name, year, norm)] = key
            self.by_core[(list_name, year, _core(norm))] = key
        self.years = {k: sorted(set(v)) for k, v in self.years.items()}

    def year_for(self, list_name: str, signing_year: int) -> int | None:
        """The list year to check a claim against: the signing year, else the latest earlier year."""
        earlier = [y for y in self.years.get(list_name, []) if y <= signing_year]
        return earlier[-1] if earlier else None

    def match(self, list_name: str, year: int, uscc: str | None, name: str) -> str | None:
        """The matched list entry's identity, or None."""
        if uscc and (list_name, year, uscc) in self.by_uscc:
            return self.by_uscc[(list_name, year, uscc)]
        if (list_name, year, name) in self.by_name:
            return self.by_name[(list_name, year, name)]
        if self.group_match:  # a subsidiary: its name starts with the group's core name
            for end in range(len(name), 1, -1):
                hit = self.by_core.get((list_name, year, name[:end]))
                if hit:
                    return hit
        return None


def investor_keys(names: list[str], codes: list[str | None]) -> list[str]:
    """An identity per row: its USCC; else the one USCC seen with the same normalised name; else the name."""
    name_codes: dict[str, set[str]] = {}
    for n, c in zip(names, codes):
        if c:
            name_codes.setdefault(n, set()).add(c)
    keys = []
    for n, c in zip(names, codes):
        linked = name_codes.get(n, set())
        keys.append(c or (next(iter(linked)) if len(linked) == 1 else f"名称:{n}"))
    return keys


def verify_claim(lists: ReferenceLists, claimed: str, signing_year: int, uscc: str | None,
                 name: str) -> tuple[str | None, str]:
    """Check each list named in a claim ('、'-joined): (the matched entry or None, Chinese verification text)."""
    entry, texts = None, []
    for list_name in claimed.split("、"):
        used = lists.year_for(list_name, signing_year)
        if used is None:
            texts.append(f"{list_name}：{NO_LIST}（未载入{signing_year}年及以前的名录）")
            continue
        hit = lists.match(list_name, used, uscc, name)
        entry = entry or hit
        texts.append(f"{list_name}：{VERIFIED if hit else NOT_FOUND}（{used}年名录）")
    return entry, "；".join(texts)


def claims_frame(projects: pl.DataFrame, reference: pl.DataFrame, group_match: bool = False) -> pl.DataFrame:
    """Pure: the projects claiming 三个500强 investors, each with its enterprise identity and verification.

    Adds investor_key, enterprise_id, enterprise_name, verified (bool) and verification (Chinese)."""
    claims = projects.filter(pl.col("fortune500") != catalog.NO_FIVE_HUNDRED)
    rows = claims.select("investor_name", "investor_uscc", "fortune500", "signing_date").to_dicts()
    names = [normalise_name(r["investor_name"]) for r in rows]
    keys = investor_keys(names, [_uscc(r["investor_uscc"]) for r in rows])
    lists = ReferenceLists(reference, group_match)
    checks = [verify_claim(lists, r["fortune500"], r["signing_date"].year,
                           None if key.startswith("名称:") else key, name)
              for r, name, key in zip(rows, names, keys)]
    # With group matching a subsidiary takes its group's identity, so the group counts once.
    group_of = {key: entry for key, (entry, _) in zip(keys, checks) if entry} if group_match else {}
    out = claims.with_columns(
        pl.Series("investor_key", keys, pl.String),
        pl.Series("enterprise_id", [group_of.get(k, k) for k in keys], pl.String),
        pl.Series("verified", [entry is not None for entry, _ in checks], pl.Boolean),
        pl.Series("verification", [text for _, text in checks], pl.String),
    )
    display = (out.sort("signing_date", descending=True).group_by("enterprise_id", maintain_order=True)
               .agg(pl.col("investor_name").first().alias("enterprise_name")))
    return out.join(display, on="enterprise_id", how="left")

