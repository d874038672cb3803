"""Shared fixtures: the small sample county (seconds) and, for `slow` tests, the county."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

SMALL_SEED = 7
COUNTY_SEED = 20261027  # the default seed, as `make report` uses


@pytest.fixture(scope="session")
def small_dir(tmp_path_factory) -> Path:
    """A freshly generated small sample county (CSV tables + truth.json)."""
    from lean_analysis.sample import write_sample

    out = tmp_path_factory.mktemp("small")
    write_sample(out, size="small", seed=SMALL_SEED)
    return out


@pytest.fixture(scope="session")
def small_truth(small_dir) -> dict:
    return json.loads((small_dir / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def small_tables(small_dir):
    from lean_analysis import data

    return data.load(small_dir)


@pytest.fixture(scope="session")
def county_dir(tmp_path_factory) -> Path:
    """The county-size sample (≈1,000 customers, 80 specifications, 3 years)."""
    from lean_analysis.sample import write_sample

    out = tmp_path_factory.mktemp("county")
    write_sample(out, size="county", seed=COUNTY_SEED)
    return out


@pytest.fixture(scope="session")
def county_truth(county_dir) -> dict:
    return json.loads((county_dir / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def county_tables(county_dir):
    from lean_analysis import data

    return data.load(county_dir)
