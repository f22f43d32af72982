"""Evaluate the verification sample on both manipulation generators, over several seeds, from scratch.

    .venv/bin/python bench/eval_independent.py --workdir bench/out/eval --seeds 1-3 [--scale 1] [--ablation]
    .venv/bin/python bench/eval_independent.py --workdir bench/out/eval --seeds 1000-1004   (held out: report only)

Builds (or reuses, in --workdir) a clean demo (`python -m etl demo --clean --start 2025-01`), one manipulated copy
per seed from the independent generator (`python -m bench.manipulations`), and the first generator's demo (a normal
demo with the seed as its demo seed), loads each into its own warehouse and prints, per generator, the recall
table of `bench/eval_sampling.py` summed over the seeds (per kind, per variant, lift, probability share, share of
the certainty stratum without manipulation, ablation), and on the clean demo how often each rule fires (share of
projects, and share with strong evidence) and what the certainty stratum would hold there.

Seed policy (bench/manipulations/README.md): 1–99 development, 1000–1099 held out (never tune on them).
"""
from __future__ import annotations

import argparse
import math
import subprocess
import sys
from pathlib import Path

import polars as pl

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import eval_sampling  # noqa: E402

from analytics.verification import sampling, scoring  # noqa: E402
from warehouse import store  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def seeds(text: str) -> list[int]:
    out = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        out.extend(range(int(lo), int(hi or lo) + 1))
    return out


def _run(*args: str) -> None:
    subprocess.run([sys.executable, *args], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)


def build(workdir: Path, scale: float, start: str, seed_list: list[int], first: bool) -> dict[str, list[Path]]:
    """Folders (demo dirs) per generator; each is loaded into DIR.duckdb."""
    workdir.mkdir(parents=True, exist_ok=True)
    clean = workdir / "clean"
    if not clean.exists():
        _run("-m", "etl", "demo", "--out", str(clean), "--clean", "--start", start, "--scale", str(scale))
    out: dict[str, list[Path]] = {"clean": [clean], "independent": [], "first": []}
    for s in seed_list:
        manip = workdir / f"independent-{s}"
        if not manip.exists():
            _run("-m", "bench.manipulations", "--clean", str(clean), "--out", str(manip), "--seed", str(s))
        out["independent"].append(manip)
        if first:
            demo = workdir / f"first-{s}"
            if not demo.exists():
                _run("-m", "etl", "demo", "--out", str(demo), "--start", start, "--scale", str(scale),
                     "--seed", str(s))
            out["first"].append(demo)
    for dirs in out.values():
        for d in dirs:
            eval_sampling.load_demo(d, d.with_suffix(".duckdb"))
    return out


def clean_rates(clean: Path, rate: float, seed: int) -> tuple[pl.DataFrame, dict]:
    """Per rule on the clean demo: projects it fires on (share) and with strong evidence; and the certainty
    stratum there (every project in it is a false positive; how many of them have strong evidence)."""
    snap = store.current_snapshot(clean.with_suffix(".duckdb"))
    quarter = eval_sampling.latest_quarter(snap)
    settings = scoring.sampling_config()["risk"]
    ctx, _, hits = scoring.compute_signals(scoring.load_inputs(snap, quarter), settings)
    n = ctx.population.height
    per = hits.group_by("code").agg(
        pl.struct(*eval_sampling.KEY).n_unique().alias("projects"),
        pl.struct(*eval_sampling.KEY).filter(pl.col("evidence") >= scoring.STRENGTH_ZH[0][0]).n_unique()
        .alias("strong"),
    ).with_columns(share=pl.col("projects") / n, strong_share=pl.col("strong") / n).sort("share")
    projects = scoring.rank_projects(ctx.population, hits, scoring.prior_weights(), settings)
    size = math.ceil(rate * n)
    sample = sampling.draw(projects, quarter, sampling.Design.from_config(size, seed))
    certain = sample.items.filter(pl.col("stratum") == "certainty")
    strong = certain.filter(pl.col("reasons").list.first().str.starts_with("【强证据】")).height
    return per, {"population": n, "certainty": certain.height, "certainty_strong": strong}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--seeds", default="1-3", help="e.g. 1-3 or 1000-1004 or 1,5,9")
    p.add_argument("--scale", type=float, default=1.0)
    p.add_argument("--start", default="2025-01")
    p.add_argument("--rate", type=float, default=0.05)
    p.add_argument("--sample-seed", type=int, default=20251)
    p.add_argument("--ablation", action="store_true")
    p.add_argument("--no-first", action="store_true", help="only the independent generator")
    args = p.parse_args(argv)
    dirs = build(args.workdir, args.scale, args.start, seeds(args.seeds), not args.no_first)
    for generator in ("first", "independent"):
        runs = []
        for d in dirs[generator]:
            snap = store.current_snapshot(d.with_suffix(".duckdb"))
            q = eval_sampling.latest_quarter(snap)
            runs.append(eval_sampling.evaluate(snap, eval_sampling.ground_truth(d, q), q, args.rate,
                                               args.sample_seed, ablation=args.ablation))
        if runs:
            title = f"{'第一生成器（演示数据）' if generator == 'first' else '独立生成器'} seeds {args.seeds}"
            print(eval_sampling.report(eval_sampling.merge(runs), title))
    per, certain = clean_rates(dirs["clean"][0], args.rate, args.sample_seed)
    print(f"== 干净数据（{certain['population']} 个项目）：各规则触发率（全部 / 强证据）")
    for r in per.iter_rows(named=True):
        print(f"  {r['code']:<34}{r['projects']:>6} {r['share']:>7.2%}   强 {r['strong']:>4} {r['strong_share']:>7.2%}")
    print(f"  干净数据上确定层 {certain['certainty']} 个（全部为误报），其中首要原因为强证据的 "
          f"{certain['certainty_strong']} 个")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
