"""The problem and error types of the data: what opening and validating the tables report.

- :class:`Problem`: one problem found in the tables (a table, column, rows, rule).
- :class:`ValidationError`: the tables break the contract (``load`` raises it, listing every
  problem).
- :class:`DuckDBMemoryError`: DuckDB ran out of memory under its limit (not a problem of the
  data).

Also how messages show paths and foreign error texts: :func:`shown_path` (a path as the
messages show it: never an absolute machine path) and :func:`scrub` (a DuckDB / OS error
text with its paths shown so and its secrets masked).

This module imports only ``config`` and ``redact`` of the package: every other module of
``data`` may use it.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

from lean_analysis import config
from lean_analysis.redact import mask_secrets


def shown_path(path: str | Path) -> str:
    """``path`` as messages show it, never as an absolute machine path: relative to the
    project folder when inside it, else relative to the working folder when inside that,
    else its name alone; secrets in it masked (:func:`lean_analysis.redact.mask_secrets`).

    >>> shown_path(config.PROJECT_ROOT / "data" / "sample-county")
    'data/sample-county'
    >>> shown_path("/srv/exports/2026-10")
    '2026-10'
    """
    p = Path(path).expanduser()
    try:
        a = p.resolve()
    except (OSError, RuntimeError):  # pragma: no cover - a loop of links
        a = Path(os.path.abspath(p))
    for base in (config.PROJECT_ROOT, Path.cwd()):
        if Path(base).resolve() == Path(Path(base).resolve().anchor):
            continue  # relative to / is the absolute path again
        try:
            r = a.relative_to(Path(base).resolve()).as_posix()
        except ValueError:
            continue
        return mask_secrets(r if r != "." else a.name)
    return mask_secrets(a.name or str(a))


# an absolute POSIX path in a foreign message (not the // of a URL)
_ABS_PATH = re.compile(r"(?<![\w:/.~-])/(?:[^\s'\"/:,()]+/)*[^\s'\"/:,()]+")


def scrub(text: str, paths: list[str | Path] | tuple = ()) -> str:
    """A foreign message (DuckDB's, the OS's) as ours show it: each of ``paths`` (and any
    other absolute path in it) shown by :func:`shown_path`, secrets masked."""
    out = str(text)
    for p in sorted({str(x) for x in paths} | {str(Path(x).resolve()) for x in paths},
                    key=len, reverse=True):
        if p and p not in (".", "/"):
            out = out.replace(p, shown_path(p))
    out = _ABS_PATH.sub(lambda m: shown_path(m.group(0)), out)
    return mask_secrets(out)


def first_line(e: BaseException, paths: list[str | Path] | tuple = ()) -> str:
    """The first line of an exception's message (its type when empty), scrubbed."""
    text = str(e).strip()
    return scrub(text.splitlines()[0] if text else type(e).__name__, paths)


@dataclass
class Problem:
    """One problem found in the tables.

    ``rows`` are 1-based data rows of the table's file (at most
    :data:`~lean_analysis.data.validate.MAX_ROWS`); ``n_rows`` is the full number of rows
    with this problem (0 for a problem of a table or column as a whole). For a table split
    into parts, ``files`` gives the file of each row. ``values`` are example offending
    values, as written.
    """

    table: str
    column: str | None
    rows: list[int]
    rule: str
    severity: str  # "error" | "warning"
    message: str
    n_rows: int = 0
    values: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        if self.severity not in ("error", "warning"):
            raise ValueError(f"severity must be 'error' or 'warning', not {self.severity!r}")
        if not self.n_rows and self.rows:
            self.n_rows = len(self.rows)

    def to_dict(self) -> dict:
        return asdict(self)


class ValidationError(ValueError):
    """The tables break the contract. ``.problems`` holds every problem found (errors and
    warnings); the message lists them all."""

    def __init__(self, problems: list[Problem], source: str | Path | None = None):
        self.problems = list(problems)
        errors = [p for p in self.problems if p.severity == "error"]
        warnings = [p for p in self.problems if p.severity == "warning"]
        shown = (source if "://" in str(source) else shown_path(source)) \
            if source is not None else None
        head = (f"{len(errors)} error(s) and {len(warnings)} warning(s) in the tables"
                + (f" at {mask_secrets(shown)}" if shown is not None else "") + ":")
        lines = [head] + [f"- {p.severity}: {p.message}" for p in errors + warnings]
        super().__init__("\n".join(lines))


class DuckDBMemoryError(MemoryError):
    """DuckDB ran out of memory under its limit while working on the tables: not a problem
    of the data, but of the memory allowed (see :func:`lean_analysis.data.tables.connect`;
    :func:`lean_analysis.data.tables.memory_error` words it)."""
