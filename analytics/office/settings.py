"""config/office.toml read through core.config: the 表扬/约谈 rules and the 督办 answer period."""
from __future__ import annotations

from decimal import Decimal

from pydantic import Field

from core import config
from core.config import Strict

DEFAULT_NAME = "office.toml"
WHAT = "表扬约谈与督办配置"


class _Praise(Strict):
    top: int = Field(title="表扬名次 top", ge=0, le=50)


class _Interview(Strict):
    last_place_quarters: int = Field(title="连续末位季度数 last_place_quarters", ge=0, le=8)
    behind_points: Decimal = Field(title="落后序时进度百分点 behind_points", ge=0, le=100)
    behind_months: int = Field(title="连续落后月数 behind_months", ge=0, le=12)


class _Supervision(Strict):
    answer_days: int = Field(title="答复期限天数 answer_days", ge=1, le=180)


class OfficeConfig(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    praise: _Praise
    interview: _Interview
    supervision: _Supervision


def load_office_config(name: str = DEFAULT_NAME) -> OfficeConfig:
    return config.read_model(name, OfficeConfig, WHAT)


def parse_office_config(text: str) -> OfficeConfig:
    return config.parse_model(text, OfficeConfig, WHAT)
