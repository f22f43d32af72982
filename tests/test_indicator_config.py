"""The indicator system as configuration: the shipped default, and bad configs getting a Chinese error on the
right line."""
from __future__ import annotations

from pathlib import Path

import pytest

from analytics.ranking.formulas import FORMULAS
from analytics.ranking.indicator_config import (
    DEFAULT_PATH,
    IndicatorConfigError,
    load_indicator_config,
    load_indicator_config_or_last_valid,
)
from analytics.ranking.indicators import formula_table

DEFAULT_TEXT = DEFAULT_PATH.read_text(encoding="utf-8")


def line_of(text: str, needle: str, occurrence: int = 1, whole_line: bool = False) -> int:
    """1-based line number of the n-th line containing `needle` (or equal to it)."""
    hits = [i + 1 for i, line in enumerate(text.splitlines())
            if (line.strip() == needle if whole_line else needle in line)]
    return hits[occurrence - 1]


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "indicators.toml"
    p.write_text(text, encoding="utf-8")
    return p


def test_default_config_is_complete_and_explains_itself():
    cfg = load_indicator_config()
    assert sum(s.weight for s in cfg.indicators) == pytest.approx(1.0)
    assert {s.id for s in cfg.indicators} >= {"task_completion", "funds_yoy", "major_projects", "fortune500",
                                              "high_tech_share", "key_chain_share", "start_rate", "arrival_rate",
                                              "stalled_share"}
    assert {a.id for a in cfg.adjustments} >= {"late_reports", "quarantined_rows", "verified_discrepancies"}
    table = cfg.indicator_table()
    assert table["formula_text"].str.len_chars().min() > 10 and table["direction_zh"].is_in(["越高越好", "越低越好"]).all()
    assert table.filter(table["indicator_id"] == "stalled_share")["direction_zh"][0] == "越低越好"
    assert "签约满 6 个月" in table.filter(table["indicator_id"] == "start_rate")["formula_text"][0]
    assert cfg.source and cfg.version and len(cfg.sha256) == 64
    # 兰州新区 in or apart is configuration: the default group has 15 units, the second 14
    assert len(cfg.group().units) == 15 and "620171" not in cfg.group("prefectures").units
    assert set(formula_table()["formula_id"]) == set(FORMULAS)


def test_toml_syntax_error_names_the_parsers_line(tmp_path):
    text = DEFAULT_TEXT.replace('unit = "个"', 'unit = "个', 1)
    with pytest.raises(IndicatorConfigError) as err:
        load_indicator_config(write(tmp_path, text))
    assert err.value.line == line_of(text, 'unit = "个')
    assert f"第 {err.value.line} 行" in str(err.value) and "TOML 语法错误" in str(err.value)


def test_weights_not_summing_to_one_name_the_line(tmp_path):
    text = DEFAULT_TEXT.replace("weight = 0.25", "weight = 0.20", 1)
    with pytest.raises(IndicatorConfigError, match="权重之和为 0.95，应为 1（或 100）") as err:
        load_indicator_config(write(tmp_path, text))
    assert err.value.line == line_of(text, "weight = 0.20")


def test_weights_in_percent_are_accepted(tmp_path):
    text = DEFAULT_TEXT
    for w in ("0.25", "0.15", "0.10", "0.08", "0.06"):
        text = text.replace(f"weight = {w}\n", f"weight = {round(float(w) * 100)}\n")
    cfg = load_indicator_config(write(tmp_path, text))
    assert cfg.indicators[0].weight == pytest.approx(0.25)
    assert sum(s.weight for s in cfg.indicators) == pytest.approx(1.0)


def test_unknown_formula_id_names_the_line(tmp_path):
    text = DEFAULT_TEXT.replace('formula = "start_rate"', 'formula = "start_rates"')
    with pytest.raises(IndicatorConfigError, match="未知的公式编号“start_rates”") as err:
        load_indicator_config(write(tmp_path, text))
    assert err.value.line == line_of(text, 'formula = "start_rates"')


def test_missing_direction_names_the_indicators_header(tmp_path):
    text = DEFAULT_TEXT.replace('direction = "lower"\n', "")
    with pytest.raises(IndicatorConfigError, match="stalled_share.*缺少必填项“direction”") as err:
        load_indicator_config(write(tmp_path, text))
    # the [[indicator]] header of stalled_share, the ninth indicator
    assert err.value.line == line_of(text, "[[indicator]]", 9, whole_line=True)


def test_misspelt_key_and_bad_values_are_caught(tmp_path):
    cases = [
        (DEFAULT_TEXT.replace("weight = 0.06", "weigth = 0.06"), "未知的键“weigth”", "weigth = 0.06"),
        (DEFAULT_TEXT.replace('direction = "lower"', 'direction = "down"'), "方向 direction“down”无效",
         'direction = "down"'),
        (DEFAULT_TEXT.replace('formula = "late_submissions"', 'formula = "start_rate"'), "不能用作加减分项",
         'formula = "start_rate"\npoints_per'),
        (DEFAULT_TEXT.replace('"621000", "621100"', '"621000", "陇东市"', 1), "“陇东市”不在 config/units.toml",
         '"陇东市"'),
        (DEFAULT_TEXT.replace("params = { min_months = 6 }", "params = { min_month = 6 }"), "没有参数“min_month”",
         "min_month = 6"),
        (DEFAULT_TEXT.replace("draws = 1000", "draws = 0"), "模拟次数", "draws = 0"),
    ]
    for text, message, needle in cases:
        with pytest.raises(IndicatorConfigError, match=message) as err:
            load_indicator_config(write(tmp_path, text))
        assert err.value.line == line_of(text, needle.split("\n")[0],
                                         2 if needle.startswith('formula = "start_rate"') else 1), message


def test_app_keeps_the_last_valid_config(tmp_path):
    good = load_indicator_config()
    path = write(tmp_path, DEFAULT_TEXT.replace("weight = 0.25", "weight = 0.2", 1))
    cfg, error = load_indicator_config_or_last_valid(path, good)
    assert cfg is good and isinstance(error, IndicatorConfigError) and "权重之和" in str(error)
    cfg, error = load_indicator_config_or_last_valid(DEFAULT_PATH, good)
    assert error is None and cfg.sha256 == good.sha256
    with pytest.raises(IndicatorConfigError):
        load_indicator_config_or_last_valid(path, None)
