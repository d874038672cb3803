"""``logs/run.log``: the runner's own log of a run (each report's log: :mod:`.execute`)."""

from __future__ import annotations

import logging
from pathlib import Path

_LOGGERS = ("lean_analysis.runner", "papermill")


def attach(path: Path) -> logging.Handler:
    """Send the runner's and papermill's messages (INFO and up) to ``path`` until
    :func:`detach`."""
    handler = logging.FileHandler(path, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.setLevel(logging.INFO)
    handler.previous_levels = {}  # type: ignore[attr-defined]
    for name in _LOGGERS:
        lg = logging.getLogger(name)
        lg.addHandler(handler)
        handler.previous_levels[name] = lg.level  # type: ignore[attr-defined]
        if lg.level == logging.NOTSET or lg.level > logging.INFO:
            lg.setLevel(logging.INFO)
    return handler


def detach(handler: logging.Handler) -> None:
    """Stop writing to the run's log and restore the loggers' levels."""
    for name in _LOGGERS:
        lg = logging.getLogger(name)
        lg.removeHandler(handler)
        lg.setLevel(handler.previous_levels.get(name, lg.level))  # type: ignore[attr-defined]
    handler.close()
