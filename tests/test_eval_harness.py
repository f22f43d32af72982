"""The evaluation harness (bench/eval_sampling.py, bench/eval_independent.py) runs end to end on a small demo:
independent manipulations are generated, loaded, scored and sampled, and recall comes out per kind and variant.
No threshold on recall here (that is a figure for bench/, not a property of the code)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

import eval_independent  # noqa: E402
import eval_sampling  # noqa: E402

from bench.manipulations.generate import KINDS  # noqa: E402
from warehouse import store  # noqa: E402


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    work = tmp_path_factory.mktemp("eval")
    return eval_independent.build(work, scale=0.1, start="2025-07", seed_list=[7], first=False)


def test_independent_generator_is_evaluated_per_kind_and_variant(built):
    d = built["independent"][0]
    snap = store.current_snapshot(d.with_suffix(".duckdb"))
    q = eval_sampling.latest_quarter(snap)
    truth = eval_sampling.ground_truth(d, q)
    e = eval_sampling.evaluate(snap, truth, q, ablation=True, random_draws=5)
    kinds = {g for g in e["groups"] if "/" not in g}
    assert kinds and kinds <= set(KINDS)
    assert any(g.startswith("*/") for g in e["groups"])                  # pooled per variant
    for n, caught in e["groups"].values():
        assert 0 <= caught <= n
    assert e["certainty"] + e["probability"] == e["sample"]
    assert e["probability"] >= 0.3 * e["sample"]
    assert any(label.startswith("family:") for label in e["ablation"])
    text = eval_sampling.report(eval_sampling.merge([e, e]), "测试")
    assert "召回率" in text and "提升" in text and "消融" in text
    for kind in kinds:
        assert kind in text


def test_clean_rates_name_each_rule_and_the_certainty_stratum(built):
    per, certain = eval_independent.clean_rates(built["clean"][0], 0.05, 1)
    assert per.height > 0 and set(per.columns) >= {"code", "projects", "share", "strong", "strong_share"}
    assert 0 <= certain["certainty_strong"] <= certain["certainty"] < certain["population"]
