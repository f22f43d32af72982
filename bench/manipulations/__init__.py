"""Independent evaluation data: statistics-fraud manipulations injected into a clean demo directory.

See README.md in this folder. Entry points: `generate(clean, out, seed, rate, variants)` and
`python -m bench.manipulations`.
"""
from .generate import KINDS, VARIANTS, generate

__all__ = ["KINDS", "VARIANTS", "generate"]
