"""Money: amounts are exact decimals in 万元; 10亿元 = 100,000 万元; shown in 亿元 with two decimals."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

YI_IN_WAN = 10_000


def wan_to_yi(wan: Decimal | None) -> Decimal | None:
    """万元 -> 亿元 with two decimals, rounded half up, as published (exact; display only)."""
    if wan is None:
        return None
    return (Decimal(wan) / YI_IN_WAN).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
