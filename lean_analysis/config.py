"""Where things are. The one place that knows the project's paths.

Notebooks and the runner take every path from here (or from a parameter that defaults to
here), never from a hard-coded string. Set ``LEAN_ANALYSIS_HOME`` to use another project
folder (for example a copy with real exports); ``LEAN_ANALYSIS_DATA`` to point at another
data folder or DuckDB file.
"""

from __future__ import annotations

import os
from pathlib import Path


def _project_root() -> Path:
    env = os.environ.get("LEAN_ANALYSIS_HOME")
    if env:
        return Path(env).resolve()
    here = Path(__file__).resolve().parent.parent
    if (here / "pyproject.toml").exists() and (here / "notebooks").is_dir():
        return here
    return Path.cwd().resolve()


PROJECT_ROOT: Path = _project_root()
NOTEBOOKS_DIR: Path = PROJECT_ROOT / "notebooks"
PARAMS_DIR: Path = PROJECT_ROOT / "params"
OUTPUTS_DIR: Path = PROJECT_ROOT / "outputs"
SAMPLE_DIR: Path = PROJECT_ROOT / "data" / "sample-county"
TARGETS_FILE: Path = PARAMS_DIR / "targets.yaml"
BATCH_FILE: Path = PARAMS_DIR / "monthly.yaml"


def data_dir() -> Path | str:
    """The default data location: ``$LEAN_ANALYSIS_DATA`` (a folder, a DuckDB file or a
    database URL without password) or the built-in sample county."""
    env = os.environ.get("LEAN_ANALYSIS_DATA")
    if env and "://" in env:
        return env
    return Path(env).resolve() if env else SAMPLE_DIR


def data_source(value: str | os.PathLike | None = None) -> Path | str:
    """The data a notebook reads: ``value`` (a folder, a DuckDB file or a database URL, kept
    as text: ``Path`` would fold its ``//``), else :func:`data_dir`."""
    if value is None or str(value) == "":
        return data_dir()
    return str(value) if "://" in str(value) else Path(value)


def period_dir(period: str) -> Path:
    """``outputs/<period>/``: where one monthly run writes its reports."""
    return OUTPUTS_DIR / period


# Tier bands used wherever a report groups the 30 tiers (档位) into three.
TIER_BANDS: dict[str, tuple[int, int]] = {"1-10": (1, 10), "11-20": (11, 20), "21-30": (21, 30)}

# Units (DESIGN §2).
PACKS_PER_CARTON = 10
STICKS_PER_CARTON = 200
CARTONS_PER_CASE = 250


def tier_band(tier: int) -> str:
    """The band label ("1-10", "11-20", "21-30") of a tier 1–30."""
    for label, (lo, hi) in TIER_BANDS.items():
        if lo <= int(tier) <= hi:
            return label
    raise ValueError(f"tier {tier!r} is outside 1–30")
