"""Where configuration lives and how a TOML file is read (config/ holds data only, no code)."""
from __future__ import annotations

import tomllib
from pathlib import Path

CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"


def read_config(name: str) -> dict:
    """The parsed TOML file config/<name>."""
    with open(CONFIG_DIR / name, "rb") as f:
        return tomllib.load(f)
