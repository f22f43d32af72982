"""Manipulations of reported fund flows and project progress (到位资金, 项目状态, 资金来源).

Each function injects one instance into an unused project and returns its `Truth`, or None when the data hold no
suitable project. Unless a variant is about an inconsistent cumulative, 累计到位资金 is kept equal to last
month's cumulative plus this month's figure, as a careful reporter would keep it.
"""
from __future__ import annotations

import math

from .dataset import add_months, amount, fmt_amount, set_text
from .edits import (
    QUARTER_END,
    Ctx,
    History,
    Truth,
    add_funds,
    consecutive,
    set_month_funds,
)

ACTIVE = ("在建", "已投产")
PROVINCES = ("陕西省", "四川省", "北京市", "上海市", "广东省", "浙江省", "江苏省", "山东省", "河南省", "新疆维吾尔自治区")


def _signed(h: History) -> float:
    return amount(h[-1][1], "signed_amount_wan")


def _fm(row: dict) -> float:
    return amount(row, "funds_month_wan")


def _months(h: History) -> list:
    return [m for m, _ in h]


def _messy(rng, value: float) -> float:
    """A figure with the ordinary look of a booked amount (not round)."""
    return round(value * rng.uniform(0.97, 1.03), 2)


# ---------------------------------------------------------------------- inflated fund arrival

def inflated_funds(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng
    need_after = 2 if variant == "shifted" else (3 if variant == "spread" else 0)

    def spots(h: History) -> list:
        ms = _months(h)
        out = []
        for i, (m, row) in enumerate(h):
            if row["status"] not in ACTIVE or len(ms) - 1 - i < need_after:
                continue
            if variant == "spread" or m.month in QUARTER_END:
                if variant == "shifted" and sum(max(0.0, _fm(r)) for _, r in h[i + 1:i + 3]) <= 0:
                    continue
                out.append(m)
        return out

    key = ctx.pick(ctx.keys(lambda h: len(h) >= 4 and consecutive(h) and _signed(h) >= 1000 and bool(spots(h))))
    if key is None:
        return None
    h = ctx.history(key)
    m = rng.choice(spots(h))
    signed = _signed(h)
    avg = sum(max(0.0, _fm(r)) for _, r in h) / len(h)
    jump = _messy(rng, max(avg * rng.uniform(2, 5), signed * rng.uniform(0.05, 0.15)))
    if variant == "exact":
        add_funds(h, m, jump)
        desc = f"quarter-end jump: 本月到位 +{fmt_amount(jump)} 万元 in {m:%Y-%m}, carried into 累计"
    elif variant == "perturbed":
        add_funds(h, m, jump, month_figure=False)
        desc = f"累计到位 raised by {fmt_amount(jump)} 万元 from {m:%Y-%m} on without a matching 本月 figure"
    elif variant == "spread":
        ms = [x for x in _months(h) if x >= m][: rng.randint(3, 6)]
        total = 0.0
        for x in ms:
            row = dict(h)[x]
            extra = _messy(rng, max(max(0.0, _fm(row)) * rng.uniform(0.3, 0.8), signed * rng.uniform(0.01, 0.03)))
            add_funds(h, x, extra)
            total += extra
        desc = f"steady overstatement over {len(ms)} months from {m:%Y-%m}, total +{fmt_amount(total)} 万元"
    else:  # shifted: next months' real money pulled forward into the quarter-end month
        later = [x for x in _months(h) if x > m][:2]
        moved = sum(max(0.0, _fm(dict(h)[x])) for x in later)
        for x in later:
            add_funds(h, x, -max(0.0, _fm(dict(h)[x])))
        add_funds(h, m, moved)
        desc = f"{fmt_amount(moved)} 万元 of {', '.join(f'{x:%Y-%m}' for x in later)} booked early in {m:%Y-%m}"
    ctx.used.add(key)
    return Truth(key[0], key[1], "inflated_funds", variant, m, desc)


# ---------------------------------------------------------------------- funds that enter and leave

def round_trip(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng
    gap = 2 if variant in ("shifted", "spread") else 1

    def spots(h: History) -> list:
        ms = _months(h)
        return [m for i, (m, r) in enumerate(h[:-gap]) if r["status"] in ("在建", "已签约未开工")
                and ms[i + gap] == add_months(m, gap)]

    key = ctx.pick(ctx.keys(lambda h: len(h) >= gap + 1 and _signed(h) >= 2000 and bool(spots(h))))
    if key is None:
        return None
    h = ctx.history(key)
    options = spots(h)
    quarter = [m for m in options if m.month in QUARTER_END]
    m = rng.choice(quarter if quarter and rng.random() < 0.7 else options)
    booked = min(_signed(h) * rng.uniform(0.1, 0.35), 300_000)
    booked = round(booked, -2) if rng.random() < 0.5 else round(booked, 2)
    silent = rng.random() < 0.3
    add_funds(h, m, booked)
    if variant == "spread":
        part = round(booked * rng.uniform(0.3, 0.7), 2)
        backs = [(add_months(m, 1), part), (add_months(m, 2), round(booked - part, 2))]
    elif variant == "perturbed":
        backs = [(add_months(m, 1), round(booked * rng.uniform(0.9, 0.99), 2))]
    else:
        backs = [(add_months(m, gap), booked)]
    for month, back in backs:
        add_funds(h, month, -back, month_figure=not silent)
    how = "累计 drops with 本月 0" if silent else "negative 本月到位"
    desc = (f"{fmt_amount(booked)} 万元 booked in {m:%Y-%m}, withdrawn "
            + ", ".join(f"{fmt_amount(b)} in {x:%Y-%m}" for x, b in backs) + f" ({how})")
    ctx.used.add(key)
    return Truth(key[0], key[1], "round_trip", variant, m, desc)


# ---------------------------------------------------------------------- money on a project that has not started

def funds_before_start(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng

    def idle(h: History) -> list:
        return [m for m, r in h if r["status"] == "已签约未开工" and not r.get("start_date")]

    keys = ctx.keys(lambda h: len(idle(h)) >= 2 and _signed(h) >= 20_000)
    keys.sort(key=lambda k: -_signed(ctx.history(k)))
    key = ctx.pick(keys, top=max(5, len(keys) // 3))
    if key is None:
        return None
    h = ctx.history(key)
    months = idle(h)
    signed = _signed(h)
    if variant == "spread":
        start = rng.randrange(0, max(1, len(months) - 1))
        chosen = months[start:start + rng.randint(2, 4)]
        total = 0.0
        for x in chosen:
            v = _messy(rng, signed * rng.uniform(0.05, 0.15))
            add_funds(h, x, v)
            total += v
        desc = f"{fmt_amount(total)} 万元 reported over {len(chosen)} months while 已签约未开工 (签约 {fmt_amount(signed)})"
        first = chosen[0]
    else:
        first = rng.choice(months[:-1] or months)
        v = _messy(rng, signed * rng.uniform(0.2, 0.5))
        add_funds(h, first, v)
        desc = f"{fmt_amount(v)} 万元 arrived in {first:%Y-%m} while 已签约未开工, no 开工日期 (签约 {fmt_amount(signed)})"
    ctx.used.add(key)
    return Truth(key[0], key[1], "funds_before_start", variant, first, desc)


# ---------------------------------------------------------------------- zombie projects

def zombie(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng
    started = variant != "shifted"

    def stalled(h: History) -> list:
        return [m for m, r in h if r["status"] == "停滞" and bool(r.get("start_date")) == started
                and not r.get("production_date")]

    key = ctx.pick(ctx.keys(lambda h: len(stalled(h)) >= 3))
    if key is None:
        return None
    h = ctx.history(key)
    months = stalled(h)
    status = "在建" if started else "已签约未开工"
    tiny = variant == "perturbed" or (variant == "shifted" and rng.random() < 0.5)
    for x in months:
        row = dict(h)[x]
        set_text(row, "status", status)
        if tiny:
            set_month_funds(h, x, round(rng.uniform(1, 30), 2))
    what = "tiny 本月到位 (1-30 万元)" if tiny else "no funds"
    desc = f"停滞 reported as {status} for {len(months)} months from {months[0]:%Y-%m}, {what}"
    ctx.used.add(key)
    return Truth(key[0], key[1], "zombie", variant, months[0], desc)


# ---------------------------------------------------------------------- fabricated amounts

def fabricated_amounts(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng

    def active(h: History) -> list:
        return [m for m, r in h if r["status"] == "在建"]

    key = ctx.pick(ctx.keys(lambda h: len(active(h)) >= 5 and consecutive(h) and _signed(h) >= 2000))
    if key is None:
        return None
    h = ctx.history(key)
    months = active(h)
    start = rng.randrange(0, len(months) - 4)
    chosen = months[start:start + rng.randint(5, 8)]
    signed = _signed(h)
    scale = max(sum(max(0.0, _fm(dict(h)[x])) for x in chosen) / len(chosen), signed * rng.uniform(0.01, 0.04))
    if variant == "exact":
        v = round(scale * rng.uniform(0.8, 1.2), rng.choice([0, 1, 2]))
        values = [v] * len(chosen)
        desc = f"the same 本月到位 {fmt_amount(v)} 万元 repeated for {len(chosen)} months"
    elif variant == "perturbed":
        step = rng.choice([500, 1000]) if scale >= 800 else 100
        values = [max(step, math.ceil(max(_fm(dict(h)[x]), scale * rng.uniform(0.5, 1.5)) / step) * step)
                  for x in chosen]
        desc = f"round 本月到位 figures (multiples of {step}) for {len(chosen)} months"
    else:  # spread: invented digits (only 5, 6, 8) in every month
        digits = max(2, len(str(int(scale))))
        values = [float(int("".join(rng.choice("568") for _ in range(digits)))) for _ in chosen]
        desc = f"invented 本月到位 figures built from digits 5/6/8 only, {len(chosen)} months"
    for x, v in zip(chosen, values):
        set_month_funds(h, x, v)
    ctx.used.add(key)
    return Truth(key[0], key[1], "fabricated_amounts", variant, chosen[0], desc)


# ---------------------------------------------------------------------- fund source misclassification

def source_misclass(ctx: Ctx, variant: str) -> Truth | None:
    rng = ctx.rng
    need = 3 if variant == "shifted" else 2
    key = ctx.pick(ctx.keys(lambda h: len(h) >= need and all(r["fund_source"] == "省内市州外" for _, r in h)))
    if key is None:
        return None
    h = ctx.history(key)
    first = h[rng.randrange(1, len(h) - 1)][0] if variant == "shifted" else h[0][0]
    rows = [r for m, r in h if m >= first]
    if variant == "renamed":
        core = rows[0]["investor_name"]
        for suffix in ("股份有限公司", "有限责任公司", "有限公司"):
            core = core.removesuffix(suffix)
        name = f"香港{core[2:] if len(core) > 4 else core}投资有限公司"
        for r in rows:
            set_text(r, "fund_source", "境外")
            set_text(r, "investor_name", name)
            set_text(r, "investor_uscc", None)
            set_text(r, "investor_origin", "香港")
        desc = f"省内 investor reported as 境外 via Hong Kong name “{name}”, USCC dropped"
    else:
        origin = rng.choice(PROVINCES)
        for r in rows:
            set_text(r, "fund_source", "省外境内")
            set_text(r, "investor_origin", origin)
        when = f"from {first:%Y-%m} (mid-life)" if variant == "shifted" else "in every month"
        desc = f"省内市州外 money reported as 省外境内 (origin {origin}) {when}; the USCC is still a Gansu (62) one"
    ctx.used.add(key)
    return Truth(key[0], key[1], "source_misclass", variant, first, desc)


KINDS = {
    "inflated_funds": (inflated_funds, ("exact", "spread", "shifted", "perturbed")),
    "round_trip": (round_trip, ("exact", "shifted", "perturbed", "spread")),
    "funds_before_start": (funds_before_start, ("exact", "spread")),
    "zombie": (zombie, ("exact", "perturbed", "shifted")),
    "fabricated_amounts": (fabricated_amounts, ("exact", "perturbed", "spread")),
    "source_misclass": (source_misclass, ("exact", "shifted", "renamed")),
}
