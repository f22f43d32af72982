"""Results import (all or nothing), projection, precision per reason, re-learning the weights."""
import numpy as np
import openpyxl
import polars as pl
import pytest
from test_sampling import population
from test_sampling_warehouse import Builder, background

from analytics.verification import results, sample_cli, sampling, scoring, worklist
from analytics.verification.results import (
    ResultsRejected,
    ht_rate,
    import_results,
    korn_graubard_upper,
    learn_weights,
    precision_by_reason,
    project_error_rate,
)
from analytics.verification.rules import FAMILIES
from analytics.verification.sampling import Design, draw
from warehouse import store
from warehouse.queries import sampling as q


@pytest.fixture
def drawn(tmp_path):
    b = Builder(tmp_path / "w.duckdb")
    background(b, 10, start="2025-04", months=6)
    path = b.write()
    s = sampling.draw_and_record(path, "2025Q3", 12, 3, "张三")
    return path, s, worklist.export_work_list(s, tmp_path / "清单.xlsx")


def fill(path, outcomes, edit=None):
    """Write results into the exported work list like the firm would; `edit(header->column, sheet)` tampers."""
    wb = openpyxl.load_workbook(path)
    ws = wb["核查清单"]
    col = {c.value: c.column for c in ws[1]}
    for r in range(2, ws.max_row + 1):
        key = (ws.cell(r, col["报送单位代码"]).value, ws.cell(r, col["项目编号"]).value)
        if key in outcomes:
            outcome, amount, note = outcomes[key]
            ws.cell(r, col["核查结论"], outcome)
            ws.cell(r, col["核实金额（万元）"], amount)
            ws.cell(r, col["核查说明"], note)
    if edit:
        edit(col, ws)
    wb.save(path)
    return path


def all_rows(sample, discrepancy=()):
    return {(r["unit_code"], r["project_id"]):
            ("存在差异" if r["project_id"] in discrepancy else "核实无误", 100.5, "现场核查")
            for r in sample.items.iter_rows(named=True)}


def results_count(path) -> int:
    return q.verification_results(store.current_snapshot(path)).height


def test_import_writes_results_and_feeds_the_findings_mart(drawn):
    path, s, xlsx = drawn
    bad = s.items["project_id"][:3].to_list()
    report = import_results(path, fill(xlsx, all_rows(s, bad)), "核查公司")
    assert (report.sample_id, report.imported, report.already, report.blank) == (s.sample_id, 12, 0, 0)
    snap = store.current_snapshot(path)
    res = q.verification_results(snap)
    assert res.height == 12 and set(res["quarter"]) == {"2025Q3"}
    assert res.filter(pl.col("outcome") == "存在差异").height == 3
    assert res["verified_amount_wan"].cast(float).to_list() == [100.5] * 12
    mart = store.frame(snap, "SELECT sum(projects_checked) AS c, sum(discrepancies) AS d FROM mart_verification_findings")
    assert mart.row(0) == (12, 3)
    projection = results.evaluate_sample(snap, s.sample_id)
    assert projection.rate is not None and projection.upper >= projection.rate
    assert projection.certainty_checked + projection.verified == 12
    assert "推算其余" in projection.summary()


def test_partial_results_then_the_rest(drawn):
    path, s, xlsx = drawn
    rows = all_rows(s)
    first_half = dict(list(rows.items())[:6])
    report = import_results(path, fill(xlsx, first_half), "核查公司")
    assert (report.imported, report.blank) == (6, 6)
    report = import_results(path, fill(xlsx, rows), "核查公司")
    assert (report.imported, report.already, report.blank) == (6, 6, 0)
    assert results_count(path) == 12


def test_sample_findings_join_what_was_found_to_what_was_drawn(drawn):
    path, s, xlsx = drawn
    rows = all_rows(s, discrepancy=s.items["project_id"][:1].to_list())
    half = dict(list(rows.items())[:6])
    import_results(path, fill(xlsx, half), "核查公司")
    found = results.sample_findings(store.current_snapshot(path), s.sample_id)
    assert found["project_id"].to_list() == s.items["project_id"].to_list()     # selection order
    assert found["outcome"].null_count() == 6 and found["is_error"].sum() == 1
    assert set(found.filter(pl.col("outcome").is_not_null())["imported_by"]) == {"核查公司"}
    assert found["verified_amount_wan"].drop_nulls().cast(float).to_list() == [100.5] * 6


def test_changing_an_imported_result_is_refused(drawn):
    path, s, xlsx = drawn
    rows = all_rows(s)
    import_results(path, fill(xlsx, rows), "核查公司")
    key = next(iter(rows))
    rows[key] = ("存在差异", 50, "改口")
    with pytest.raises(ResultsRejected, match="已导入的结果不能改写"):
        import_results(path, fill(xlsx, rows), "核查公司")
    assert q.verification_results(store.current_snapshot(path)).filter(pl.col("outcome") == "存在差异").is_empty()


def _set(header, value, row=2):
    def edit(col, ws):
        ws.cell(row, col[header], value)
    return edit


@pytest.mark.parametrize("edit, message", [
    (_set("项目编号", "NOPE"), "不在样本"),
    (_set("核查结论", "差不多"), "核查结论“差不多”无效"),
    (_set("核实金额（万元）", "约500"), "不是数字"),
    (_set("核实金额（万元）", -5), "不能为负数"),
    (_set("样本编号", "2025Q3-099"), None),                 # two sample ids in one file
    (_set("核查结论", "核查状态", row=1), "缺少必需的列：核查结论"),
], ids=["unknown-project", "invalid-outcome", "not-a-number", "negative", "two-samples", "missing-column"])
def test_bad_input_is_rejected_whole(drawn, edit, message):
    path, s, xlsx = drawn
    with pytest.raises(ResultsRejected) as exc:
        import_results(path, fill(xlsx, all_rows(s), edit), "核查公司")
    if message:
        assert any(message in e for e in exc.value.errors)
    assert results_count(path) == 0          # nothing half-imported


def test_results_for_a_sample_never_drawn(drawn):
    path, s, xlsx = drawn

    def every_row(col, ws):
        for r in range(2, ws.max_row + 1):
            ws.cell(r, col["样本编号"], "2024Q1-001")
    with pytest.raises(ResultsRejected, match="从未抽取"):
        import_results(path, fill(xlsx, all_rows(s), every_row), "核查公司")
    assert results_count(path) == 0


def test_results_command_exit_codes(drawn, capsys, tmp_path):
    path, s, xlsx = drawn
    bad = fill(xlsx, all_rows(s), _set("核查结论", "差不多"))
    assert sample_cli.main(["--results", str(bad), "--warehouse", str(path)]) == 2
    assert "核查结论“差不多”无效" in capsys.readouterr().err
    good = fill(xlsx, all_rows(s), _set("核查结论", "核实无误"))
    assert sample_cli.main(["--results", str(good), "--warehouse", str(path)]) == 0
    assert "导入 12 条核查结果" in capsys.readouterr().out
    other = tmp_path / "x.txt"
    other.write_text("hello")
    assert sample_cli.main(["--results", str(other), "--warehouse", str(path)]) == 2


def test_horvitz_thompson_is_unbiased_over_repeated_draws():
    """Seeded simulation of the real design: the mean HT estimate of the frame's error rate is within
    4 simulation standard errors of the truth, although errors concentrate in high-risk projects."""
    pop = population(n_units=4, per_unit=150, seed=1)
    rng = np.random.default_rng(2)
    truth_y = rng.uniform(size=pop.height) < 0.02 + 0.5 * pop["risk_score"].to_numpy()
    pop = pop.with_columns(error=pl.Series(truth_y))
    estimates, ses = [], []
    frame_rate = None
    for seed in range(250):
        s = draw(pop, "2025Q3", Design.from_config(60, seed=seed, min_per_unit=2))
        items = s.items.join(pop.select("unit_code", "project_id", "error"), on=["unit_code", "project_id"])
        items = items.with_columns(outcome=pl.when(pl.col("error")).then(pl.lit("存在差异")).otherwise(pl.lit("核实无误")))
        if frame_rate is None:
            certain = set(s.items.filter(pl.col("stratum") == "certainty")["project_id"])
            frame_rate = pop.filter(~pl.col("project_id").is_in(list(certain)))["error"].mean()
        p = project_error_rate(items, s.strata, "sim", confidence=0.95)
        estimates.append(p.rate)
        ses.append(p.se)
    estimates = np.array(estimates)
    sim_se = estimates.std(ddof=1) / np.sqrt(len(estimates))
    assert abs(estimates.mean() - frame_rate) < 4 * sim_se
    # the with-replacement variance is conservative: its mean is at least the simulated variance (within noise)
    assert np.mean(np.square(ses)) > 0.8 * estimates.var(ddof=1)


def test_ht_rate_and_the_korn_graubard_bound():
    rate, se = ht_rate(np.array([1.0, 0.0, 0.0, 0.0]), np.array([0.5, 0.25, 0.25, 0.5]), 20)
    assert rate == pytest.approx(2 / 20)
    assert se > 0
    # no errors found: the exact binomial bound 1 − (1 − c)^(1/n)
    assert korn_graubard_upper(0.0, 0.0, 59, 0.95) == pytest.approx(1 - 0.05 ** (1 / 59))
    assert korn_graubard_upper(0.0, 0.0, 59, 0.95) < 0.05 < korn_graubard_upper(0.0, 0.0, 58, 0.95)
    assert korn_graubard_upper(0.1, 0.02, 200, 0.95) > 0.1 + 1.64 * 0.02 * 0.9


def labelled(n, seed=0, truth=None):
    """Verified items with family scores; errors follow `truth` weights (logistic)."""
    rng = np.random.default_rng(seed)
    scores = {f"score_{f}": rng.uniform(size=n) * (rng.uniform(size=n) < 0.4) for f in FAMILIES}
    truth = truth or {"intercept": -3.0, **{f: 0.0 for f in FAMILIES}, "timing": 6.0}
    logit = truth["intercept"] + sum(truth[f] * scores[f"score_{f}"] for f in FAMILIES)
    error = rng.uniform(size=n) < 1 / (1 + np.exp(-logit))
    return pl.DataFrame({
        **scores,
        "outcome": np.where(error, "存在差异", "核实无误"),
        "reason_codes": [["quarter_end_bunching"] if t > 0 else ["round_numbers"] for t in scores["score_timing"]],
    })


def test_precision_per_reason_finds_the_predictive_signal():
    table = precision_by_reason(labelled(600))
    reasons = {r["code"]: r for r in table.filter(pl.col("level") == "reason").iter_rows(named=True)}
    assert reasons["quarter_end_bunching"]["precision"] > 2 * reasons["round_numbers"]["precision"]
    assert reasons["quarter_end_bunching"]["name"] == "资金集中在季末月"
    fam = {r["code"]: r for r in table.filter(pl.col("level") == "family").iter_rows(named=True)}
    assert fam["timing"]["lift"] > 1.5


def test_learning_moves_weights_toward_what_the_labels_show():
    prior = scoring.prior_weights()
    few = learn_weights(labelled(10), prior)
    assert few.blended == prior and few.fitted is None and "沿用先验权重" in few.note
    update = learn_weights(labelled(800, seed=4), prior)
    assert update.labels == 800 and update.holdout == pytest.approx(240, abs=2)
    assert update.fitted["timing"] > update.fitted["duplication"]
    assert prior["timing"] < update.blended["timing"] < update.fitted["timing"]
    assert update.precision_after >= update.precision_before
    assert update.table().height == len(FAMILIES) + 1


def test_current_weights_without_labels_are_the_prior(drawn):
    path, _, _ = drawn
    assert results.current_weights(store.current_snapshot(path)) == scoring.prior_weights()


def test_findings_feed_the_weights_of_the_next_sample(tmp_path):
    """Upload (bytes) → labels → re-learned weights → recorded with the next draw."""
    b = Builder(tmp_path / "w.duckdb")
    background(b, 10, start="2025-04", months=6)
    path = b.write()
    s = sampling.draw_and_record(path, "2025Q3", 40, 1, "张三")
    flagged = set(s.items.filter(pl.col("score_lifecycle") > 0)["project_id"])
    assert 0 < len(flagged) < 40
    xlsx = tmp_path / "returned.xlsx"
    xlsx.write_bytes(worklist.work_list_xlsx(s))
    fill(xlsx, all_rows(s, flagged))
    report = import_results(path, xlsx.read_bytes(), "核查公司", name="核查结果.xlsx")
    assert report.imported == 40
    snap = store.current_snapshot(path)
    update = results.learning_report(snap)
    assert update.labels == 40 and update.fitted["lifecycle"] > 0 and update.blended != scoring.prior_weights()
    precision = results.precision_report(snap)
    assert precision.filter((pl.col("level") == "family") & (pl.col("code") == "lifecycle"))["precision"][0] == 1.0
    nxt = sampling.draw_and_record(path, "2025Q3", 10, 2, "张三")
    assert nxt.params["weights"] == pytest.approx(update.blended)
    assert sampling.quarter_risk(snap, "2025Q3").weights == pytest.approx(update.blended)
