"""The independent manipulation generator (bench/manipulations): determinism, ground truth, loadability."""
from __future__ import annotations

import csv
import itertools
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from bench.manipulations.dataset import read_dataset
from bench.manipulations.generate import KINDS

ROOT = Path(__file__).resolve().parent.parent
SEED = 7


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, check=False)


@pytest.fixture(scope="module")
def dirs(tmp_path_factory) -> dict[str, Path]:
    base = tmp_path_factory.mktemp("manip")
    clean = base / "clean"
    r = _run("-m", "etl", "demo", "--out", str(clean), "--clean", "--start", "2025-07", "--scale", "0.1")
    assert r.returncode == 0, r.stderr
    out_a, out_b = base / "a", base / "b"
    for out in (out_a, out_b):
        r = _run("-m", "bench.manipulations", "--clean", str(clean), "--out", str(out), "--seed", str(SEED))
        assert r.returncode == 0, r.stderr
    assert "inflated_funds" in r.stdout
    return {"base": base, "clean": clean, "a": out_a, "b": out_b}


@pytest.fixture(scope="module")
def truth(dirs) -> list[dict]:
    with (dirs["a"] / "ground_truth" / "manipulations.csv").open(encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def data(dirs):
    return read_dataset(dirs["clean"]), read_dataset(dirs["a"])


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def test_same_seed_same_output(dirs):
    assert _tree(dirs["a"]) == _tree(dirs["b"])


def test_other_seed_other_output(dirs):
    other = dirs["base"] / "c"
    r = _run("-m", "bench.manipulations", "--clean", str(dirs["clean"]), "--out", str(other), "--seed", "1001")
    assert r.returncode == 0, r.stderr
    assert (other / "ground_truth" / "manipulations.csv").read_bytes() != \
        (dirs["a"] / "ground_truth" / "manipulations.csv").read_bytes()


def test_every_kind_and_variant_present(truth):
    got = {(t["kind"], t["variant"]) for t in truth}
    assert got == {(k, v) for k, (_, vs) in KINDS.items() for v in vs}
    keys = [(t["unit_code"], t["project_id"], t["kind"]) for t in truth]
    assert len(keys) == len(set(keys))


def test_variant_filter(dirs):
    out = dirs["base"] / "exact"
    r = _run("-m", "bench.manipulations", "--clean", str(dirs["clean"]), "--out", str(out), "--seed", "2",
             "--variants", "exact")
    assert r.returncode == 0, r.stderr
    with (out / "ground_truth" / "manipulations.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert rows and {r["variant"] for r in rows} == {"exact"}


def test_truth_points_at_reported_projects(data, truth):
    _, out = data
    index = out.projects()
    for t in truth:
        months = index.get((t["unit_code"], t["project_id"]))
        assert months, t
        assert any(f"{m:%Y-%m}" == t["first_month"] for m in months), t


def _clean_key(t: dict) -> tuple[str, str]:
    """The source project of a copy ("copy of CODE:PID" / "re-signing of CODE:PID")."""
    ref = t["description"].split(" of ", 1)[1].split()[0]
    code, pid = ref.split(":")
    return code, pid


def _f(row: dict, key: str) -> float:
    return row["_" + key]


def test_each_kind_changes_the_data(data, truth):
    clean_ds, out_ds = data
    clean, out = clean_ds.projects(), out_ds.projects()
    for t in truth:
        key = (t["unit_code"], t["project_id"])
        o = dict(sorted(out[key].items()))
        c = clean.get(key, {})
        first = next(m for m in o if f"{m:%Y-%m}" == t["first_month"])
        kind, variant = t["kind"], t["variant"]
        if kind == "inflated_funds":
            if variant == "shifted":
                assert _f(o[first], "funds_month_wan") > _f(c[first], "funds_month_wan")
            else:
                assert _f(o[first], "funds_cum_wan") > _f(c[first], "funds_cum_wan"), t
        elif kind == "round_trip":
            cums = [_f(r, "funds_cum_wan") for m, r in o.items() if m >= first]
            assert any(b < a for a, b in itertools.pairwise(cums)), t
        elif kind == "funds_before_start":
            assert any(r["status"] == "已签约未开工" and not r["start_date"]
                       and _f(r, "funds_month_wan") > _f(c[m], "funds_month_wan") for m, r in o.items()), t
        elif kind == "zombie":
            stalled = [m for m, r in c.items() if r["status"] == "停滞"]
            assert stalled and all(o[m]["status"] != "停滞" for m in stalled if m >= first), t
        elif kind == "fabricated_amounts":
            fm = [_f(r, "funds_month_wan") for m, r in o.items() if m >= first][:5]
            if variant == "exact":
                assert len(set(fm)) == 1
            elif variant == "perturbed":
                assert all(v % 100 == 0 and v > 0 for v in fm)
            else:
                assert all(set(str(int(v))) <= set("568") for v in fm)
        elif kind == "source_misclass":
            assert c[first]["fund_source"] == "省内市州外" and o[first]["fund_source"] != "省内市州外"
        elif kind in ("duplicate_cross_unit", "resigning"):
            assert not c, t  # a project id the clean data never had
            src = clean[_clean_key(t)]
            src_row = next(iter(src.values()))
            assert o[first]["investor_name"] == src_row["investor_name"]
            assert o[first]["investor_uscc"] == src_row["investor_uscc"]
            ratio = _f(o[first], "signed_amount_wan") / _f(src_row, "signed_amount_wan")
            assert 0.89 <= ratio <= 1.11
            if kind == "resigning":
                assert o[first]["_signing_date"] > src_row["_signing_date"]
            else:
                assert t["unit_code"] != _clean_key(t)[0]
        elif kind == "false_500":
            assert c[first]["fortune500"] == "无" and o[first]["fortune500"] != "无"
            claim = o[first]["fortune500"]
            assert not any(out_ds.listed(claim, m.year, r["investor_name"], r["investor_uscc"]) for m, r in o.items())
        elif kind == "threshold_gaming":
            assert _f(c[first], "planned_investment_wan") < 100_000 <= _f(o[first], "planned_investment_wan")
            if variant != "merged":
                assert _f(o[first], "signed_amount_wan") < 104_000
        else:
            pytest.fail(f"unchecked kind {kind}")


def test_output_loads_without_quarantining_manipulated_rows(dirs, truth):
    out, wh = dirs["a"], dirs["base"] / "w.duckdb"
    for ref in sorted((out / "reference").glob("five_hundred_*.csv")):
        r = _run("-m", "etl", "load-reference", "five-hundred", str(ref), "--warehouse", str(wh))
        assert r.returncode == 0, r.stdout + r.stderr
    r = _run("-m", "etl", "load", str(out / "submissions"), "--manifest", str(out / "manifest.csv"),
             "--warehouse", str(wh))
    assert r.returncode in (0, 2), r.stderr
    con = duckdb.connect(str(wh), read_only=True)
    try:
        rejected = con.execute("SELECT file_name FROM load_audit WHERE outcome = 'rejected'").fetchall()
        assert rejected == []
        quarantined = con.execute(
            "SELECT DISTINCT v.unit_code, q.project_id FROM quarantine_rows q "
            "JOIN submission_versions v USING (submission_id)").fetchall()
        manipulated = {(t["unit_code"], t["project_id"]) for t in truth}
        assert not manipulated & set(quarantined)
        loaded = set(con.execute(
            "SELECT DISTINCT v.unit_code, p.project_id FROM project_rows p "
            "JOIN submission_versions v USING (submission_id)").fetchall())
        assert manipulated <= loaded
    finally:
        con.close()
