"""Evaluate the verification sample on manipulations with known ground truth, from either generator.

    python -m etl demo --out DIR                                  (first generator: ground_truth/injected_anomalies.csv)
    python -m bench.manipulations --clean CLEAN --out DIR --seed N (second: ground_truth/manipulations.csv)
    .venv/bin/python bench/eval_sampling.py DIR --warehouse W [--quarter 2026Q4] [--rate 0.05] [--ablation]

Loads DIR into W when W does not exist yet (500强 lists and the enterprise register first: the loader checks
claims against the lists present when a file is loaded). Prints, for the quarter: recall of the risk-weighted 5 % sample over the manipulated
projects reported in the quarter (overall, per kind, per variant), the mean recall of seeded simple random 5 %
samples and the lift, the probability stratum's share, the share of the certainty stratum that is not manipulated,
and with --ablation each family's and rule's marginal contribution to recall (recall lost without it).
Reads only; records nothing. `bench/eval_independent.py` runs this over several generator seeds.
"""
from __future__ import annotations

import argparse
import csv
import math
import sys
from collections import Counter, defaultdict
from pathlib import Path

import numpy as np
import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics.verification import sampling, scoring  # noqa: E402
from core.periods import quarter_months, quarter_of  # noqa: E402
from warehouse import store  # noqa: E402

KEY = ("unit_code", "project_id")
FIRST_VARIANT = "-"   # the first generator has no variants


def load_demo(demo: Path, warehouse: Path) -> None:
    """Load a demo folder (reference lists first, then the submissions in manifest order) into a new warehouse."""
    from etl.load import load_files
    from etl.reference import load_five_hundred
    from etl.register import load_register

    if store.current_snapshot(warehouse) is not None:
        return
    for ref in sorted((demo / "reference").glob("five_hundred_*.csv")):
        load_five_hundred(ref, warehouse=warehouse, actor="eval")
    for ref in sorted((demo / "reference").glob("enterprises_*.csv")):
        load_register(ref, warehouse=warehouse, actor="eval")
    load_files([demo / "submissions"], warehouse=warehouse, manifest=demo / "manifest.csv", actor="eval")


def ground_truth(demo: Path, quarter: str) -> dict[tuple[str, str], set[tuple[str, str]]]:
    """(unit, project) -> {(kind, variant)}, for manipulations that began by the quarter's last month."""
    last = quarter_months(quarter)[-1].strftime("%Y-%m")
    path = demo / "ground_truth" / "manipulations.csv"
    if not path.exists():
        path = demo / "ground_truth" / "injected_anomalies.csv"
    truth: dict[tuple[str, str], set[tuple[str, str]]] = defaultdict(set)
    with open(path, encoding="utf-8-sig") as fh:
        for r in csv.DictReader(fh):
            if r["first_month"][:7] <= last:
                truth[(r["unit_code"], r["project_id"])].add((r["kind"], r.get("variant") or FIRST_VARIANT))
    return truth


def latest_quarter(snapshot) -> str:
    return quarter_of(store.frame(snapshot, "SELECT max(month) AS m FROM fact_project_month")["m"][0])


def _picked(projects: pl.DataFrame, quarter: str, size: int, seed: int) -> tuple[set, set]:
    """(sampled keys, certainty-stratum keys) of the configured design."""
    sample = sampling.draw(projects, quarter, sampling.Design.from_config(size, seed))
    items = sample.items.select(*KEY, "stratum")
    return ({tuple(k) for k in items.select(KEY).iter_rows()},
            {tuple(k) for k in items.filter(pl.col("stratum") == "certainty").select(KEY).iter_rows()})


def evaluate(snapshot, truth_all: dict, quarter: str, rate: float = 0.05, seed: int = 20251,
             random_draws: int = 50, ablation: bool = False) -> dict:
    """Recall and friends of one quarter's sample (see the module doc); counts, so seeds can be summed."""
    settings = scoring.sampling_config()["risk"]
    weights = scoring.prior_weights()
    ctx, _, hits = scoring.compute_signals(scoring.load_inputs(snapshot, quarter), settings)
    projects = scoring.rank_projects(ctx.population, hits, weights, settings)
    population = {tuple(k) for k in projects.select(KEY).iter_rows()}
    truth = {k: v for k, v in truth_all.items() if k in population}
    size = math.ceil(rate * projects.height)
    sample = sampling.draw(projects, quarter, sampling.Design.from_config(size, seed))
    picked = {tuple(k) for k in sample.items.select(KEY).iter_rows()}
    certain = {tuple(k) for k in sample.items.filter(pl.col("stratum") == "certainty").select(KEY).iter_rows()}

    rng = np.random.default_rng(seed)
    keys = sorted(population)
    random_caught = float(np.mean([
        len({keys[i] for i in rng.choice(len(keys), size, replace=False)} & truth.keys())
        for _ in range(random_draws)]))
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])   # "kind" or "kind/variant" -> [projects, caught]
    for k, tags in truth.items():
        for kind, variant in tags:
            for g in {kind, f"{kind}/{variant}", f"*/{variant}"} if variant != FIRST_VARIANT else {kind}:
                groups[g][0] += 1
                groups[g][1] += k in picked
    fired: dict[str, Counter] = defaultdict(Counter)
    for r in projects.select(*KEY, "reason_codes").iter_rows(named=True):
        for kind, _ in truth.get((r["unit_code"], r["project_id"]), ()):
            fired[kind].update(set(r["reason_codes"]))
    out = {
        "quarter": quarter, "population": projects.height, "manipulated": len(truth), "sample": size,
        "certainty": sample.certainty_size, "probability": sample.probability_size,
        "caught": len(picked & truth.keys()), "random_caught": random_caught,
        "certainty_clean": len(certain - truth.keys()),
        "groups": {g: tuple(v) for g, v in groups.items()},
        "fired": {kind: dict(c) for kind, c in fired.items()},
        "ablation": {},
    }
    if ablation:
        out["ablation"] = ablate(ctx.population, hits, weights, settings, truth, quarter, size, seed)
    return out


def ablate(population, hits, weights, settings, truth, quarter, size, seed) -> dict[str, int]:
    """Manipulated projects caught without each family ("family:x") and without each rule ("rule:x") that
    fired on a manipulated project."""
    manipulated = pl.DataFrame(list(truth), schema=list(KEY), orient="row") if truth else None
    codes = sorted(set(hits.join(manipulated, on=list(KEY), how="semi")["code"])) if truth else []
    families = sorted(set(hits["family"]))
    out = {}
    for label, keep in [*[(f"family:{f}", pl.col("family") != f) for f in families],
                        *[(f"rule:{c}", pl.col("code") != c) for c in codes]]:
        projects = scoring.rank_projects(population, hits.filter(keep), weights, settings)
        picked, _ = _picked(projects, quarter, size, seed)
        out[label] = len(picked & truth.keys())
    return out


def merge(runs: list[dict]) -> dict:
    """Sum the counts of several evaluations (seeds)."""
    total = {k: sum(r[k] for r in runs) for k in ("population", "manipulated", "sample", "certainty",
                                                    "probability", "caught", "random_caught", "certainty_clean")}
    groups: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    fired: dict[str, Counter] = defaultdict(Counter)
    ablation: Counter = Counter()
    for r in runs:
        for g, (n, c) in r["groups"].items():
            groups[g][0] += n
            groups[g][1] += c
        for kind, c in r["fired"].items():
            fired[kind].update(c)
        ablation.update(r["ablation"])
    labels = set().union(*(r["ablation"] for r in runs))
    for r in runs:   # a rule that fired on nothing in a run loses nothing there
        for label in labels - set(r["ablation"]):
            ablation[label] += r["caught"]
    return {**total, "quarter": ",".join(sorted({r["quarter"] for r in runs})), "runs": len(runs),
            "groups": {g: tuple(v) for g, v in groups.items()}, "fired": {k: dict(c) for k, c in fired.items()},
            "ablation": dict(ablation)}


def _pct(num: float, den: float) -> str:
    return f"{num / den:.1%}" if den else "—"


def report(e: dict, title: str = "") -> str:
    recall = e["caught"] / max(e["manipulated"], 1)
    random_recall = e["random_caught"] / max(e["manipulated"], 1)
    lines = [
        f"== {title or e['quarter']}（{e.get('runs', 1)} 次）：{e['population']} 个项目，操纵 {e['manipulated']} 个；"
        f"样本 {e['sample']}（确定层 {e['certainty']}，概率层 {e['probability']}，概率层占 "
        f"{_pct(e['probability'], e['certainty'] + e['probability'])}）",
        f"召回率 {recall:.1%}（{e['caught']}/{e['manipulated']}）；随机 5% 样本 {random_recall:.1%}，提升 "
        f"{recall / random_recall if random_recall else float('nan'):.1f} 倍；确定层中无操纵项目占 "
        f"{_pct(e['certainty_clean'], e['certainty'])}",
        f"  {'kind / variant':<34}{'n':>5}{'caught':>8}{'recall':>9}   top rules",
    ]
    for g in sorted(e["groups"], key=lambda g: (g.startswith("*"), g.split("/")[0], "/" in g, g)):
        n, c = e["groups"][g]
        if g.startswith("*"):
            lines.append(f"  {'variant ' + g[2:] + '（各类合计）':<30}{n:>5}{c:>8}{_pct(c, n):>9}")
            continue
        kind = g.split("/")[0]
        rules = ", ".join(f"{code}×{k}" for code, k in Counter(e["fired"].get(kind, {})).most_common(3)) \
            if "/" not in g else ""
        name = g if "/" not in g else "    " + g.split("/", 1)[1]
        lines.append(f"  {name:<34}{n:>5}{c:>8}{_pct(c, n):>9}   {rules}")
    if e["ablation"]:
        lines.append("  消融（去掉后少抓的操纵项目数，即边际贡献）：")
        for label, caught in sorted(e["ablation"].items(), key=lambda kv: (kv[1], kv[0])):
            lines.append(f"    {label:<40}{e['caught'] - caught:>+5}  （召回率 {_pct(caught, e['manipulated'])}）")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("demo", type=Path, help="a demo folder with ground_truth/")
    p.add_argument("--warehouse", type=Path, required=True, help="loaded from the demo folder if it does not exist")
    p.add_argument("--quarter", action="append", help="quarter(s) to evaluate; default: the latest with data")
    p.add_argument("--rate", type=float, default=0.05)
    p.add_argument("--seed", type=int, default=20251)
    p.add_argument("--random-draws", type=int, default=50)
    p.add_argument("--ablation", action="store_true")
    args = p.parse_args(argv)
    load_demo(args.demo, args.warehouse)
    snap = store.current_snapshot(args.warehouse)
    for q in args.quarter or [latest_quarter(snap)]:
        e = evaluate(snap, ground_truth(args.demo, q), q, args.rate, args.seed, args.random_draws, args.ablation)
        print(report(e))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
