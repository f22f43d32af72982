"""The unified social credit code (统一社会信用代码, GB 32100-2015): its alphabet and check character."""
from __future__ import annotations

USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = tuple(pow(3, i, 31) for i in range(17))  # 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28
USCC_PATTERN = r"^[0-9A-HJ-NP-RTUW-Y]{18}$"
USCC_VALUE = {c: i for i, c in enumerate(USCC_CHARS)}
# The province code inside a USCC (its characters 3–4) of an enterprise registered in Gansu.
GANSU_REGION = "62"


def uscc_check_char(first17: str) -> str:
    """GB 32100-2015 check character for the first 17 characters of a USCC."""
    if len(first17) != 17 or any(c not in USCC_VALUE for c in first17):
        raise ValueError(f"统一社会信用代码前 17 位应由数字和大写字母组成（不含 I、O、Z、S、V），收到“{first17}”")
    total = sum(USCC_VALUE[c] * w for c, w in zip(first17, USCC_WEIGHTS, strict=True))
    return USCC_CHARS[(31 - total % 31) % 31]


def uscc_is_valid(code: object) -> bool:
    """True when `code` is 18 characters of the GB 32100-2015 set with a correct check character."""
    if not isinstance(code, str) or len(code) != 18 or any(c not in USCC_VALUE for c in code):
        return False
    return uscc_check_char(code[:17]) == code[17]
