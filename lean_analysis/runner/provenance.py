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
from lean_analysis.redact import mask_secrets, mask_secrets_in

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


def shown_data_path(info: DataInfo) -> str:
    """The data as the manifest, the HTML headers and the index show them, secrets masked: a
    database by its URL without password, a path inside the project relative to it, any
    other path by its name only (no absolute path of the machine)."""
    if info.source:
        return mask_secrets(info.source)
    p = Path(info.path)
    try:
        return mask_secrets(p.resolve().relative_to(config.PROJECT_ROOT).as_posix())
    except ValueError:
        return mask_secrets(p.name)


def data_record(info: DataInfo) -> dict[str, Any]:
    """The manifest's ``data``: the path as shown to readers (:func:`shown_data_path`), its
    kind, fingerprint, tables and order weeks."""
    return {
        "path": shown_data_path(info),
        "kind": info.kind,
        "fingerprint": info.fingerprint,
        "tables": info.tables,
        "first_week": str(info.first_week),
        "last_week": str(info.last_week),
    }


def shown_parameters(params: dict[str, Any], data_display: str) -> dict[str, Any]:
    """The parameters as shown to readers: no staging path, the data path as
    :func:`shown_data_path` gives it, secrets masked."""
    shown = {k: v for k, v in params.items() if k != "output_dir"}
    if "data_dir" in shown:
        shown["data_dir"] = data_display
    return mask_secrets_in(shown)
