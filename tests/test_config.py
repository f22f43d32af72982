"""The one config layer (core.config): every problem of a config file becomes a Chinese message on its line."""
from __future__ import annotations

from typing import Literal

import pytest
from pydantic import Field

from core import catalog, config
from core.config import Strict


class Entry(Strict):
    id: str = Field(title="编号 id", min_length=1)
    kind: Literal["a", "b"] = Field(title="类型 kind")
    share: float = Field(title="比例 share", gt=0, le=1)


class File(Strict):
    version: str = Field(title="版本号 version", min_length=1)
    item: list[Entry] = Field(min_length=1)


GOOD = 'version = "v1"\n\n[[item]]\nid = "x"\nkind = "a"\nshare = 0.5\n\n[[item]]\nid = "y"\nkind = "b"\nshare = 1\n'


def error(text: str) -> config.ConfigError:
    with pytest.raises(config.ConfigError) as err:
        config.parse_model(text, File, "示例配置", "demo.toml")
    return err.value


def test_a_good_file_is_a_frozen_model():
    f = config.parse_model(GOOD, File)
    assert [e.id for e in f.item] == ["x", "y"] and f.item[1].share == 1.0


@pytest.mark.parametrize(("change", "message", "needle"), [
    (('kind = "b"', 'kind = "c"'), "第 2 个item（y）的类型 kind“c”无效，可选：a、b", 'kind = "c"'),
    (("share = 1\n", "share = 2\n"), "比例 share应不大于 1，收到 2", "share = 2"),
    (("share = 0.5", "shar = 0.5"), "有未知的键“shar”（拼写错误？）", "shar = 0.5"),
    (('kind = "a"\n', ""), "第 1 个item（x）缺少必填项“kind”", "[[item]]"),
])
def test_each_problem_names_its_line_in_chinese(change, message, needle):
    text = GOOD.replace(*change, 1)
    err = error(text)
    assert message in str(err) and str(err).startswith("示例配置错误（demo.toml）")
    assert text.splitlines()[err.line - 1].startswith(needle)


def test_toml_syntax_error_names_the_parsers_line_and_column():
    err = error(GOOD.replace('id = "y"', 'id = "y'))
    assert err.line == 9 and "TOML 语法错误（第" in str(err)


def test_shipped_catalogue_reads_through_the_layer():
    assert [u.name for u in catalog.units()][:2] == ["兰州市", "嘉峪关市"] and catalog.units()[-1].code == "620171"
    assert catalog.resolve_chain("数据信息") == "信息产业" and catalog.other_chain() == "其他"


def test_sampling_config_is_checked_on_its_line():
    from analytics.verification import scoring

    text = (config.CONFIG_DIR / "sampling.toml").read_text(encoding="utf-8")
    bad = text.replace("quarter_end_bunching = 0.85", "quarter_end_bunching = 1.85", 1)
    with pytest.raises(config.ConfigError, match="应不大于 1，收到 1.85") as err:
        config.parse_model(bad, scoring._SamplingFile, "抽样配置")
    assert bad.splitlines()[err.value.line - 1].startswith("quarter_end_bunching")
    bad = text.replace("round_unit_wan = 100", 'round_unit_wan = "一百"', 1)
    with pytest.raises(config.ConfigError, match="参数“round_unit_wan”应为数字"):
        config.parse_model(bad, scoring._SamplingFile, "抽样配置")
