"""Shared fixtures: the small sample county (seconds) and, for `slow` tests, the county.

Each sample gives three session fixtures, made by :func:`_sample_fixtures`:
``<size>_dir`` (the generated CSV tables + truth.json), ``<size>_truth`` (truth.json as a
dict) and ``<size>_tables`` (``data.load`` of the directory). The suite runs on two
pytest-xdist workers (pyproject ``addopts``); a sample is written once per run and the
workers share it (a file lock; each worker still has its own ``<size>_tables``).
"""

from __future__ import annotations

import atexit
import fcntl
import json
import os
import shutil
import tempfile
from pathlib import Path

import pytest

# The checked copies of the tables (lean_analysis.data.checked_copy) of this test process go to
# a folder of its own, removed at the end, never to the project's data/.cache; the kernels and
# subprocesses the tests start inherit it.
os.environ["LEAN_ANALYSIS_LOAD_CACHE"] = tempfile.mkdtemp(prefix="lean-checked-")
atexit.register(shutil.rmtree, os.environ["LEAN_ANALYSIS_LOAD_CACHE"], True)

SMALL_SEED = 7
COUNTY_SEED = 20261027  # the default seed, as `make report` uses


def _sample_fixtures(size: str, seed: int, what: str):
    """The session fixtures ``<size>_dir``, ``<size>_truth`` and ``<size>_tables`` of the
    sample ``write_sample(out, size=size, seed=seed)``."""

    def sample_dir(tmp_path_factory) -> Path:
        from lean_analysis.sample import write_sample

        base = tmp_path_factory.getbasetemp()
        if os.environ.get("PYTEST_XDIST_WORKER"):
            base = base.parent  # the run's folder: its workers write the sample once
        out, done = base / f"sample-{size}-{seed}", base / f"sample-{size}-{seed}.done"
        with open(base / f"sample-{size}-{seed}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # the other worker waits, then reads it
            if not done.exists():
                shutil.rmtree(out, ignore_errors=True)
                write_sample(out, size=size, seed=seed)
                done.touch()
        return out

    sample_dir.__doc__ = f"A freshly generated {what} (CSV tables + truth.json)."

    def sample_truth(request) -> dict:
        """The sample's truth.json (the figures the generator planted)."""
        out = request.getfixturevalue(f"{size}_dir")
        return json.loads((out / "truth.json").read_text(encoding="utf-8"))

    def sample_tables(request):
        """The sample loaded and validated by ``data.load``."""
        from lean_analysis import data

        return data.load(request.getfixturevalue(f"{size}_dir"))

    return tuple(
        pytest.fixture(func, scope="session", name=f"{size}_{kind}")
        for func, kind in ((sample_dir, "dir"), (sample_truth, "truth"), (sample_tables, "tables"))
    )


small_dir, small_truth, small_tables = _sample_fixtures("small", SMALL_SEED, "small sample county")
county_dir, county_truth, county_tables = _sample_fixtures(
    "county", COUNTY_SEED, "county-size sample (≈1,000 customers, 80 specifications, 3 years)"
)


PERIOD = "2026-10"  # the small sample's last full month


def write_batch(tmp: Path, names: list[str] | None = None) -> Path:
    """params/monthly.yaml with absolute notebook and params paths (to run from elsewhere),
    restricted to the report notebooks that exist (and to ``names``, when given)."""
    import yaml

    from lean_analysis import config

    doc = yaml.safe_load(config.BATCH_FILE.read_text(encoding="utf-8"))
    entries = []
    for r in doc["reports"]:
        nb = config.PROJECT_ROOT / r.get("notebook", f"notebooks/{r['name']}.ipynb")
        if nb.exists() and (names is None or r["name"] in names):
            e = dict(r, notebook=str(nb))
            if r.get("params"):
                e["params"] = str(config.PROJECT_ROOT / r["params"])
            entries.append(e)
    doc["reports"] = entries
    batch = tmp / "monthly.yaml"
    batch.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return batch


@pytest.fixture(scope="session")
def small_batch(small_dir, tmp_path_factory):
    """``small_batch(lang)``: the real monthly batch on the small sample, run once per
    language for the whole session; returns (RunResult, the period's output folder)."""
    from lean_analysis import runner

    done: dict[str, tuple] = {}

    def run(lang: str = "zh"):
        if lang not in done:
            tmp = tmp_path_factory.mktemp(f"batch-{lang}")
            res = runner.run_batch(write_batch(tmp), period=PERIOD, data=small_dir,
                                   outputs=tmp / "outputs", lang=lang, progress=False,
                                   jobs=2)
            done[lang] = (res, tmp / "outputs" / PERIOD)
        return done[lang]

    return run
