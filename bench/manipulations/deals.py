"""Manipulations of what a deal is: duplicates across units, re-signing, false 500强 claims, threshold gaming."""
from __future__ import annotations

import datetime as dt

from .dataset import add_months, amount, fmt_amount, set_amount, set_date, set_text
from .edits import (
    Ctx,
    History,
    Truth,
    county_for,
    lightly_renamed,
    new_project_id,
    new_uscc,
    random_day,
    relocated_name,
)

LISTS = ("世界500强", "中国企业500强", "中国民营企业500强")
THRESHOLD = 100_000  # 10亿元 in 万元
EVENTS = ("兰洽会签约项目", "重大项目集中签约活动签约项目", "招商推介会签约项目", "云签约项目")


def _signed(h: History) -> float:
    return amount(h[-1][1], "signed_amount_wan")


def _month_end(m: dt.date) -> dt.date:
    return add_months(m, 1) - dt.timedelta(days=1)


def _scale(row: dict, factor: float, keys=("signed_amount_wan", "planned_investment_wan")) -> None:
    for k in keys:
        set_amount(row, k, amount(row, k) * factor)


def _other_unit(ctx: Ctx, code: str, months: list) -> str | None:
    """A unit other than `code` that submitted a file for every one of `months`."""
    options = [u.code for u in ctx.ds.units() if u.code != code
               and all(ctx.ds.file(u.code, m) is not None for m in months)]
    return ctx.rng.choice(options) if options else None


def _shift(row: dict, days: int) -> None:
    for k in ("signing_date", "start_date", "production_date"):
        if row.get("_" + k):
            set_date(row, k, row["_" + k] + dt.timedelta(days=days))


# ---------------------------------------------------------------------- the same deal in two units

def duplicate_cross_unit(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng
    key = ctx.pick(ctx.keys(lambda h: len(h) >= 3 and _signed(h) >= 3000
                            and all(r["status"] != "终止" for _, r in h)))
    if key is None:
        return None
    h = ctx.history(key)
    start = rng.randrange(0, len(h) - 2)
    months = [m for m, _ in h[start:]]
    target = _other_unit(ctx, key[0], months)
    if target is None:
        return None
    src, dst = ctx.unit(key[0]), ctx.unit(target)
    first = dict(h)[months[0]]
    pid = new_project_id(ctx.ds, target, first["_signing_date"].year, ctx.taken)
    county = county_for(dst, rng)
    name = first["project_name"]
    if variant == "renamed":
        name, _how = lightly_renamed(relocated_name(name, src, dst, rng), rng)
    factor = 1 + rng.choice([-1, 1]) * rng.uniform(0.01, 0.1)
    days = rng.choice([-1, 1]) * rng.randint(14, 120)
    if variant == "shifted" and first["_signing_date"] + dt.timedelta(days=days) > _month_end(months[0]):
        days = -abs(days)
    for m in months:
        row = dict(dict(h)[m])
        row["project_id"], row["county"], row["project_name"] = pid, county, name
        if variant == "perturbed":
            _scale(row, factor, ("signed_amount_wan", "planned_investment_wan", "funds_month_wan", "funds_cum_wan"))
        if variant == "shifted":
            _shift(row, days)
        ctx.add_row(target, m, row)
    detail = {
        "exact": "identical copy",
        "shifted": f"dates shifted by {days:+d} days",
        "perturbed": f"amounts x{factor:.3f}",
        "renamed": f"renamed “{name}”",
    }[variant]
    ctx.used.update({key, (target, pid)})
    return Truth(target, pid, "duplicate_cross_unit", variant, months[0],
                 f"copy of {key[0]}:{key[1]} reported by {dst.name} ({detail})")


# ---------------------------------------------------------------------- re-signing an old deal as new

def resigning(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng
    ds = ctx.ds
    last = ds.months[-1]

    def fits(h: History) -> bool:
        signed = h[0][1]["_signing_date"]
        return (_signed(h) >= 2000 and signed is not None
                and any(add_months(m, 2) <= last and m >= add_months(signed.replace(day=1), 6) for m, _ in h))

    key = ctx.pick(ctx.keys(fits))
    if key is None:
        return None
    h = ctx.history(key)
    signed0 = h[0][1]["_signing_date"]
    options = [m for m, _ in h if add_months(m, 2) <= last and m >= add_months(signed0.replace(day=1), 6)]
    m0 = rng.choice(options)
    months = [add_months(m0, i) for i in range(rng.randint(3, 8)) if add_months(m0, i) <= last]
    target = key[0]
    if variant == "cross_unit":
        target = _other_unit(ctx, key[0], months)
    elif any(ds.file(target, m) is None for m in months):
        target = None
    if target is None:
        return None
    src_row = dict(h)[m0]
    pid = new_project_id(ds, target, m0.year, ctx.taken)
    name = src_row["project_name"]
    county = src_row["county"]
    if variant == "renamed":
        name, _ = lightly_renamed(name, rng)
    if variant == "cross_unit":
        src, dst = ctx.unit(key[0]), ctx.unit(target)
        name, county = relocated_name(name, src, dst, rng), county_for(dst, rng)
    factor = 1 + rng.choice([-1, 1]) * rng.uniform(0.01, 0.1) if variant == "perturbed" else 1.0
    signing = random_day(m0, rng)
    start = random_day(add_months(m0, 1), rng)
    event = f"{m0.year}年{rng.choice(EVENTS)}"
    cum = 0.0
    for i, m in enumerate(months):
        row = dict(src_row)
        row.update(project_id=pid, project_name=name, county=county, project_type="新建", remark=event)
        _scale(row, factor)
        set_date(row, "signing_date", signing)
        set_date(row, "production_date", None)
        if i == 0:
            set_text(row, "status", "已签约未开工")
            set_date(row, "start_date", None)
            month_funds = 0.0
        else:
            set_text(row, "status", "在建")
            set_date(row, "start_date", start)
            src_month = ctx.index[key].get(m)
            base = max(0.0, amount(src_month, "funds_month_wan")) if src_month else 0.0
            month_funds = round(base * rng.uniform(0.3, 0.7) or amount(row, "signed_amount_wan")
                                * rng.uniform(0.01, 0.04), 2)
        cum += month_funds
        set_amount(row, "funds_month_wan", month_funds)
        set_amount(row, "funds_cum_wan", cum)
        ctx.add_row(target, m, row)
    ctx.used.update({key, (target, pid)})
    where = f" by {ctx.unit(target).name}" if target != key[0] else ""
    return Truth(target, pid, "resigning", variant, months[0],
                 f"re-signing of {key[0]}:{key[1]} (signed {signed0}) as new project{where} on {signing}, "
                 f"same investor, amount x{factor:.3f}, name “{name}”")


# ---------------------------------------------------------------------- false 三个500强 claims

def _years(h: History) -> set[int]:
    return {m.year for m, _ in h}


def false_500(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng
    ds = ctx.ds
    key = ctx.pick(ctx.keys(lambda h: len(h) >= 2 and all(r["fortune500"] == "无" and r["fund_source"] == "省外境内"
                                                           for _, r in h)))
    if key is None:
        return None
    h = ctx.history(key)
    years = _years(h)
    row0 = h[0][1]
    name, uscc = row0["investor_name"], row0["investor_uscc"]
    domestic = [x for x in LISTS if x != "世界500强"]
    if variant == "exact":
        lists = [x for x in LISTS if not any(ds.listed(x, y, name, uscc) for y in years)]
        if not lists:
            return None
        claim = rng.choice(lists)
        desc = f"claims {claim}; investor “{name}” is on no {claim} list of {sorted(years)}"
    elif variant == "shifted":
        claim = rng.choice(domestic)
        pool = sorted({c for (lst, y), cs in ds.companies.items() if lst == claim and y not in years
                       for c in cs if c[1]}
                      - {c for y in years for c in ds.companies.get((claim, y), [])})
        pool = [c for c in pool if not any(ds.listed(claim, y, c[0], c[1]) for y in years)]
        if not pool:
            return None
        name, uscc = rng.choice(pool)
        on = sorted(y for (lst, y), cs in ds.companies.items() if lst == claim and (name, uscc) in cs)
        desc = f"claims {claim} for “{name}”, listed only in {on}, not in {sorted(years)}"
    else:  # renamed: a different company whose name resembles a listed one
        claim = rng.choice(domestic)
        listed = sorted({c for y in years for c in ds.companies.get((claim, y), [])})
        if not listed:
            return None
        real_name, real_uscc = rng.choice(listed)
        for _ in range(5):
            if "集团有限公司" in real_name and rng.random() < 0.6:
                name = real_name.replace("集团有限公司", rng.choice(["（甘肃）有限公司", "甘肃分公司", "投资有限公司"]))
            else:
                name, _how = lightly_renamed(real_name, rng)
            if not any(ds.listed(claim, y, name, None) for y in years):
                break
        uscc = new_uscc(rng, real_uscc[:8] if real_uscc else "91620100")
        desc = f"claims {claim} for “{name}” (USCC {uscc}), a look-alike of listed “{real_name}”"
    for _, r in h:
        set_text(r, "fortune500", claim)
        set_text(r, "investor_name", name)
        set_text(r, "investor_uscc", uscc)
    ctx.used.add(key)
    return Truth(key[0], key[1], "false_500", variant, h[0][0], desc)


# ---------------------------------------------------------------------- 10亿元 threshold gaming

def _below(h: History, low: float = 60_000) -> bool:
    return all(low <= amount(r, "planned_investment_wan") < THRESHOLD
               and amount(r, "signed_amount_wan") < THRESHOLD for _, r in h)


def threshold_gaming(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng
    if variant == "merged":
        return _merged(ctx)
    key = ctx.pick(ctx.keys(lambda h: len(h) >= (3 if variant == "shifted" else 1) and _below(h)))
    if key is None:
        return None
    h = ctx.history(key)
    first = h[rng.randrange(1, len(h) - 1)][0] if variant == "shifted" else h[0][0]
    signed = float(THRESHOLD + rng.choice([0, 10, 50, 100, 200, 500, 800, 1000, 1500, 2500]))
    planned = signed + rng.choice([0, 0, 500, 1000, 2000])
    before = amount(h[0][1], "planned_investment_wan")
    for m, r in h:
        if m >= first:
            set_amount(r, "signed_amount_wan", signed)
            set_amount(r, "planned_investment_wan", planned)
    when = f"raised from {first:%Y-%m} on" if variant == "shifted" else "in every month"
    desc = (f"签约 {fmt_amount(signed)} / 计划总投资 {fmt_amount(planned)} 万元 (was {fmt_amount(before)}), "
            f"just above 10亿元, {when}")
    ctx.used.add(key)
    return Truth(key[0], key[1], "threshold_gaming", variant, first, desc)


def _merged(ctx: Ctx) -> Truth | None:
    """Two projects of one unit reported as one, so that the sum crosses 10亿元."""
    rng = ctx.rng
    by_unit: dict[str, list] = {}
    for k in ctx.keys(lambda h: len(h) >= 2 and _below(h, 30_000)):
        by_unit.setdefault(k[0], []).append(k)
    pairs = []
    for code in sorted(by_unit):
        keys = by_unit[code]
        for a in keys:
            ha = ctx.history(a)
            ma = {m for m, _ in ha}
            for b in keys:
                if a >= b:
                    continue
                hb = ctx.history(b)
                total = amount(ha[-1][1], "planned_investment_wan") + amount(hb[-1][1], "planned_investment_wan")
                if THRESHOLD <= total <= 1.6 * THRESHOLD and {m for m, _ in hb} <= ma:
                    pairs.append((a, b))
    if not pairs:
        return None
    a, b = rng.choice(pairs)
    ha, hb = ctx.history(a), dict(ctx.history(b))
    last_b = None
    for m, r in ha:
        rb = hb.get(m)
        if rb is not None:
            last_b = rb
            for k in ("signed_amount_wan", "planned_investment_wan", "funds_month_wan", "funds_cum_wan"):
                set_amount(r, k, amount(r, k) + amount(rb, k))
        elif last_b is not None:  # b's money stays counted after b left the list
            for k in ("signed_amount_wan", "planned_investment_wan", "funds_cum_wan"):
                set_amount(r, k, amount(r, k) + amount(last_b, k))
        else:
            for k in ("signed_amount_wan", "planned_investment_wan"):
                set_amount(r, k, amount(r, k) + amount(next(iter(hb.values())), k))
    name = ha[0][1]["project_name"]
    for _, r in ha:
        set_text(r, "project_name", f"{name}（含二期）")
    total = amount(ha[0][1], "planned_investment_wan")
    ctx.remove_project(b)
    ctx.used.update({a, b})
    return Truth(a[0], a[1], "threshold_gaming", "merged", ha[0][0],
                 f"merged with {b[1]} into one project of 计划总投资 {fmt_amount(total)} 万元 (>= 10亿元)")


KINDS = {
    "duplicate_cross_unit": (duplicate_cross_unit, ("exact", "shifted", "perturbed", "renamed")),
    "resigning": (resigning, ("exact", "perturbed", "renamed", "cross_unit")),
    "false_500": (false_500, ("exact", "shifted", "renamed")),
    "threshold_gaming": (threshold_gaming, ("exact", "shifted", "merged")),
}
