"""``metrics.json``: a report's key figures, machine-readable.

Every figure carries its value, unit and definition, so the scorecard (and anyone else)
can read it without the notebook. Writing is deterministic (sorted keys, rounded floats)
so that the same data and parameters give the same bytes.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from lean_analysis.targets import _plain, check_figures, figure

METRICS_FILE = "metrics.json"


def metric(value: Any, unit: str, definition: str, **extra: Any) -> dict[str, Any]:
    """One figure: ``{"value": ..., "unit": ..., "definition": ..., **extra}`` (the same as
    :func:`lean_analysis.targets.figure`)."""
    return figure(value, unit, definition, **extra)


def write_metrics(output_dir: str | os.PathLike, report: str, period: str,
                  figures: dict[str, dict[str, Any]], **info: Any) -> Path:
    """Write ``<output_dir>/<report>.metrics.json`` atomically and return its path.

    ``figures`` maps a figure's name to :func:`metric` results; every name must be declared
    for ``report`` in :data:`lean_analysis.targets.FIGURES` (else
    :class:`~lean_analysis.targets.UnregisteredFigure`, nothing written). ``info`` adds
    top-level fields (e.g. ``model="ets"``, ``excluded={"rows": 3}``).
    """
    check_figures(report, figures)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    doc = {"report": report, "period": period, "figures": _plain(figures), **_plain(info)}
    text = json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
    path = out / f"{report}.{METRICS_FILE}"
    fd, tmp = tempfile.mkstemp(dir=out, prefix=".metrics-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    os.replace(tmp, path)
    return path


def read_metrics(output_dir: str | os.PathLike, report: str) -> dict[str, Any] | None:
    """The metrics of ``report`` in ``output_dir``, or ``None`` when it has none."""
    path = Path(output_dir) / f"{report}.{METRICS_FILE}"
    if not path.exists():
        return None
    return json.loads(path.read_text(encoding="utf-8"))
