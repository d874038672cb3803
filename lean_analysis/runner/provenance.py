"""Where a run's outputs come from, as the manifest and the HTML headers show it: the code's
commit, the package versions, the run time, the data (path as shown to readers, fingerprint,
order weeks) and the parameters without the staging path.

None of this goes into ``metrics.json``: the same data and parameters give the same bytes.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from importlib import metadata as importlib_metadata
from pathlib import Path
from typing import Any

from lean_analysis import config
from lean_analysis.params import DataInfo

VERSIONED = ("lean-analysis", "pandas", "numpy", "duckdb", "pyarrow", "statsforecast",
             "statsmodels", "scipy", "pyfixest", "pysyncon", "pingouin", "matplotlib", "seaborn",
             "papermill", "nbconvert", "nbclient", "ipykernel", "jupyter_client")


def now() -> dt.datetime:
    """The local time, to the second, with its UTC offset."""
    return dt.datetime.now().astimezone().replace(microsecond=0)


def git_commit(root: Path | None = None) -> str:
    """``git rev-parse --short=12 HEAD`` (+ ``-dirty`` with uncommitted changes), or ""."""
    root = root or config.PROJECT_ROOT
    try:
        rev = subprocess.run(["git", "rev-parse", "--short=12", "HEAD"], cwd=root,
                             capture_output=True, text=True, timeout=20)
        if rev.returncode != 0:
            return ""
        dirty = subprocess.run(
            ["git", "--no-optional-locks", "status", "--porcelain", "--untracked-files=no"],
            cwd=root, capture_output=True, text=True, timeout=20)
    except (OSError, subprocess.SubprocessError):
        return ""
    return rev.stdout.strip() + ("-dirty" if dirty.stdout.strip() else "")


def package_versions() -> dict[str, str]:
    """Python's version and those of the packages of :data:`VERSIONED` that are installed."""
    out = {"python": sys.version.split()[0]}
    for name in VERSIONED:
        try:
            out[name] = importlib_metadata.version(name)
        except importlib_metadata.PackageNotFoundError:
            pass
    return out


def data_record(info: DataInfo) -> dict[str, Any]:
    """The manifest's ``data``: the path as shown to readers (secrets masked, relative to the
    project), its kind, fingerprint, tables and order weeks."""
    return {
        "path": info.display_path,
        "kind": info.kind,
        "fingerprint": info.fingerprint,
        "tables": info.tables,
        "first_week": str(info.first_week),
        "last_week": str(info.last_week),
    }


def shown_parameters(params: dict[str, Any], data_display: str) -> dict[str, Any]:
    """The parameters as shown to readers: no staging path, the data path masked/relative."""
    shown = {k: v for k, v in params.items() if k != "output_dir"}
    if "data_dir" in shown:
        shown["data_dir"] = data_display
    return shown
