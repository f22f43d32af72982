"""Orchestration: choose how many instances of each (kind, variant), inject them, write the output directory.

The number of manipulated projects is `rate` x the number of projects in the clean data, at least one per
(kind, variant) selected. Everything random comes from one `random.Random(seed)`, and every candidate list is
sorted before drawing, so the same clean directory and seed give byte-identical output.
"""
from __future__ import annotations

import random
from collections import Counter
from pathlib import Path

from . import deals, funds
from .dataset import read_dataset, write_dataset
from .edits import Ctx, Truth

KINDS = {**funds.KINDS, **deals.KINDS}
VARIANTS = ("exact", "shifted", "perturbed", "renamed", "spread", "cross_unit", "merged")
MAX_TRIES = 5


def plan(n_projects: int, rate: float, variants: set[str] | None, rng: random.Random) -> list[tuple[str, str]]:
    """The (kind, variant) of every instance to inject, in a seeded order."""
    combos = [(k, v) for k, (_, vs) in KINDS.items() for v in vs if variants is None or v in variants]
    if not combos:
        return []
    total = max(len(combos), round(rate * n_projects))
    per, extra = divmod(total, len(combos))
    bonus = set(rng.sample(range(len(combos)), extra))
    todo = [c for i, c in enumerate(combos) for _ in range(per + (i in bonus))]
    rng.shuffle(todo)
    return todo


def generate(clean: str | Path, out: str | Path, seed: int, rate: float = 0.03,
             variants: set[str] | None = None) -> list[Truth]:
    ds = read_dataset(clean)
    rng = random.Random(seed)
    ctx = Ctx(ds, rng)
    truths: list[Truth] = []
    for kind, variant in plan(len(ctx.index), rate, variants, rng):
        fn = KINDS[kind][0]
        for _ in range(MAX_TRIES):  # a draw may find no partner (e.g. no other unit reported those months)
            t = fn(ctx, variant)
            if t is not None:
                truths.append(t)
                break
    write_dataset(ds, out, [t.as_dict() for t in truths])
    return truths


def summary(truths: list[Truth]) -> str:
    counts = Counter((t.kind, t.variant) for t in truths)
    lines = [f"injected {len(truths)} manipulations into {len({(t.unit_code, t.project_id) for t in truths})} projects"]
    for kind in KINDS:
        parts = [f"{v}={counts[(kind, v)]}" for v in KINDS[kind][1] if counts[(kind, v)]]
        n = sum(counts[(kind, v)] for v in KINDS[kind][1])
        lines.append(f"  {kind:<22} {n:>4}  ({', '.join(parts) or '-'})")
    return "\n".join(lines)
