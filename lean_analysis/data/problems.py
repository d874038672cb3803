"""The problem and error types of the data: what opening and validating the tables report.

- :class:`Problem`: one problem found in the tables (a table, column, rows, rule).
- :class:`ValidationError`: the tables break the contract (``load`` raises it, listing every
  problem).
- :class:`DuckDBMemoryError`: DuckDB ran out of memory under its limit (not a problem of the
  data).

This module imports nothing else of the package: every other module of ``data`` may use it.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path


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
        head = (f"{len(errors)} error(s) and {len(warnings)} warning(s) in the tables"
                + (f" at {source}" if source is not None else "") + ":")
        lines = [head] + [f"- {p.severity}: {p.message}" for p in errors + warnings]
        super().__init__("\n".join(lines))


class DuckDBMemoryError(MemoryError):
    """DuckDB ran out of memory under its limit while working on the tables: not a problem
    of the data, but of the memory allowed (see :func:`lean_analysis.data.tables.connect`;
    :func:`lean_analysis.data.tables.memory_error` words it)."""
