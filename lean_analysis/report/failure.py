"""What went wrong in a report: :class:`ReportFailed`.

The runner builds one from papermill's ``PapermillExecutionError`` (or from a kernel that
did not start, or HTML that could not be rendered); the reviewer HTML shows it at the top
of the page and the manifest keeps it (``reports[].error``: ename, evalue, traceback, cell).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (tracebacks of IPython carry them)."""
    return _ANSI.sub("", text)


@dataclass(frozen=True)
class ReportFailed:
    """Why a report failed.

    ``traceback`` is plain text (no colour codes); ``cell`` the position of the failing
    cell among the code cells of the source notebook, 1-based, the injected-parameters cell
    not counted (``None`` when no cell failed: the kernel did not start, rendering failed).
    The field order is the order of the keys in ``manifest.json``.
    """

    ename: str
    evalue: str
    traceback: str = ""
    cell: int | None = None

    @classmethod
    def from_output(cls, ename: str, evalue: str, traceback: Sequence[str] | str,
                    cell: int | None) -> ReportFailed:
        """From the fields of a notebook's error output (traceback: IPython's coloured
        lines)."""
        text = traceback if isinstance(traceback, str) else "\n".join(traceback)
        return cls(ename, evalue, strip_ansi(text), cell)

    @classmethod
    def from_exception(cls, exc: BaseException, message: str | None = None) -> ReportFailed:
        """Type and message of an exception that no cell reported (no traceback, no cell)."""
        return cls(type(exc).__name__, str(exc) if message is None else message)

    @classmethod
    def of(cls, value: ReportFailed | Mapping[str, Any] | None) -> ReportFailed | None:
        """``value`` as a :class:`ReportFailed`: itself, or from its mapping (an error read
        back from a manifest); ``None`` stays ``None``."""
        if value is None or isinstance(value, ReportFailed):
            return value
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in value.items() if k in known})

    @property
    def message(self) -> str:
        """``ename: evalue``, as the index and the run's output show it."""
        return f"{self.ename}: {self.evalue}"


def code_cell_number(cells: Sequence[Any], index: int) -> int:
    """The 1-based position of ``cells[index]`` among the code cells, the
    injected-parameters cell not counted (as an analyst counts the cells of her notebook)."""
    n = 0
    for cell in cells[: index + 1]:
        if cell.get("cell_type") != "code":
            continue
        if "injected-parameters" not in cell.get("metadata", {}).get("tags", []):
            n += 1
    return n
