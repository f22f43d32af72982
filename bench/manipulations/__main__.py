"""python -m bench.manipulations --clean DIR --out DIR2 --seed N [--rate 0.03] [--variants all|exact|...]"""
from __future__ import annotations

import argparse
import sys

from .generate import VARIANTS, generate, summary


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m bench.manipulations",
                                description="Inject statistics-fraud manipulations into a clean demo directory.")
    p.add_argument("--clean", required=True, help="clean demo directory (python -m etl demo --clean)")
    p.add_argument("--out", required=True, help="output directory (replaced if it exists)")
    p.add_argument("--seed", type=int, required=True, help="1-99: development; 1000-1099: held out")
    p.add_argument("--rate", type=float, default=0.03, help="share of projects to manipulate (default 0.03)")
    p.add_argument("--variants", default="all",
                   help=f"all, or a comma-separated subset of: {', '.join(VARIANTS)}")
    args = p.parse_args(argv)
    chosen = None if args.variants == "all" else set(args.variants.split(","))
    if chosen is not None and not chosen <= set(VARIANTS):
        p.error(f"unknown variant(s): {', '.join(sorted(chosen - set(VARIANTS)))}")
    truths = generate(args.clean, args.out, args.seed, args.rate, chosen)
    print(summary(truths))
    print(f"written to {args.out} (ground truth: {args.out}/ground_truth/manipulations.csv)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
