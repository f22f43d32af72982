"""One sentence per unit on why its rank moved, generated from the attribution (`attribution.attribute_change`).

    白银市位列第2位，较上季度上升9位（由第11位升至第2位），综合得分提高3.21分，主要因为到位资金任务完成率提高
    （拉动2.10分）和新引进三个500强企业增加（拉动1.30分）；停滞项目占比上升抵消了0.19分。

The ranking page, the bulletins and the 公文 all use this one generator, so a unit's movement reads the same
everywhere. Every number printed is kept with the sentence (`Number`: a key, the unit code, the value as printed),
rounded once from the attribution's exact values (scores two decimals, half up), so a test can recompute each one.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import polars as pl

TOLERANCE = Decimal("0.01")   # a contribution that prints as 0.00 is not named
COUNT_UNITS = ("个", "家", "次")


@dataclass(frozen=True)
class Number:
    """One printed figure: `key` what it is (rank, rank_previous, rank_rise, rank_fall, score_change,
    contribution:<item id>), `scope` the unit code, `value` exactly as printed, `text` its printed form."""

    key: str
    scope: str
    value: Decimal
    text: str
    unit: str


@dataclass(frozen=True)
class Explanation:
    unit_code: str
    text: str
    numbers: tuple[Number, ...]


def score2(x: float) -> Decimal:
    """A score or contribution as printed: two decimals, half up, from the exact float."""
    return Decimal(repr(float(x))).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


class _Recorder:
    def __init__(self, scope: str) -> None:
        self.scope, self.numbers = scope, []

    def rank(self, key: str, n: int) -> str:
        self.numbers.append(Number(key, self.scope, Decimal(int(n)), str(int(n)), "位"))
        return str(int(n))

    def score(self, key: str, x: float) -> str:
        v = score2(x)
        self.numbers.append(Number(key, self.scope, v, f"{abs(v)}", "分"))
        return f"{abs(v)}"


def _movement(item: dict, count_units: set[str], public: bool) -> str:
    """What moved: 'X提高' / 'X下降' (values), 'X增加' / 'X减少' (counts, deductions)."""
    before, now = item["value_previous"], item["value_current"]
    if item["kind"] == "adjustment":
        name = "扣分事项" if public else item["item_name"]
        return f"{name}{'减少' if item['contribution'] > 0 else '增加'}"
    if item["kind"] == "reference":
        return "其他单位指标变化带来的参照变动"
    if before is None or now is None or before == now:
        return f"{item['item_name']}的计分权重变化"
    up = now > before
    if item["item_id"] in count_units:
        return f"{item['item_name']}{'增加' if up else '减少'}"
    return f"{item['item_name']}{'提高' if up else '下降'}"


def explain_unit(row: dict, items: pl.DataFrame, *, count_items: set[str] = frozenset(), public: bool = False,
                 with_name: bool = True, drivers: int = 2) -> Explanation:
    """The sentence for one row of `Attribution.summary`, from its rows of `Attribution.items`.

    `count_items`: indicator ids counted in items (个, 家: “增加/减少” rather than “提高/下降”); `public`: the 公开版
    does not name a deduction (it may be a verification finding), it says 扣分事项; `drivers`: how many items are
    named as the main cause.
    """
    u = row["unit_code"]
    w = _Recorder(u)
    rank, before = row["rank_current"], row["rank_previous"]
    head = f"{row['unit_name']}" if with_name else ""
    if rank is None:
        head += "本季度未参与排名"
    else:
        head += f"位列第{w.rank('rank', rank)}位"
        if before is None:
            head += "，上季度未参与排名"
        elif rank < before:
            head += (f"，较上季度上升{w.rank('rank_rise', before - rank)}位"
                     f"（由第{w.rank('rank_previous', before)}位升至第{rank}位）")
        elif rank > before:
            head += (f"，较上季度下降{w.rank('rank_fall', rank - before)}位"
                     f"（由第{w.rank('rank_previous', before)}位降至第{rank}位）")
        else:
            head += "，与上季度持平"
    change = row["change"]
    if abs(score2(change)) < TOLERANCE:
        return Explanation(u, f"{head}，综合得分与上季度基本持平。", tuple(w.numbers))
    up = change > 0
    head += f"，综合得分{'提高' if up else '下降'}{w.score('score_change', change)}分"
    mine = [r for r in items.filter(pl.col("unit_code") == u).iter_rows(named=True)
            if abs(score2(r["contribution"])) >= TOLERANCE]
    pushing = sorted((r for r in mine if (r["contribution"] > 0) == up), key=lambda r: -abs(r["contribution"]))
    against = sorted((r for r in mine if (r["contribution"] > 0) != up), key=lambda r: -abs(r["contribution"]))
    verb = "拉动" if up else "拉低"
    named = [f"{_movement(r, count_items, public)}（{verb}{w.score('contribution:' + r['item_id'], r['contribution'])}分）"
             for r in pushing[:drivers]]
    text = head
    if named:
        text += f"，主要因为{'和'.join(named)}"
    if against:
        r = against[0]
        text += (f"；{_movement(r, count_items, public)}"
                 f"抵消了{w.score('contribution:' + r['item_id'], r['contribution'])}分")
    return Explanation(u, text + "。", tuple(w.numbers))


def explain_all(attribution, indicators: pl.DataFrame | None = None, *, public: bool = False,
                with_name: bool = True) -> dict[str, Explanation]:
    """Per unit code, its sentence (`attribution`: an `Attribution`; `indicators`: `Ranking.indicators`, whose
    units tell counts from rates)."""
    counts = set() if indicators is None else set(
        indicators.filter(pl.col("unit").is_in(COUNT_UNITS))["indicator_id"].to_list())
    return {r["unit_code"]: explain_unit(r, attribution.items, count_items=counts, public=public, with_name=with_name)
            for r in attribution.summary.iter_rows(named=True)}
