"""What a run returns: :class:`RunResult` with one :class:`ReportResult` per report of the
batch, and the exit codes of ``lean-analysis run``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lean_analysis.report.failure import ReportFailed

STATUSES = ("ok", "failed", "skipped")
EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


@dataclass
class ReportResult:
    """One report of a run, as its manifest entry (``manifest.json`` ``reports[]``) holds it."""

    name: str
    title: str
    notebook: str
    status: str  # ok | failed | skipped
    note: str = ""
    error: ReportFailed | None = None
    parameters: dict[str, Any] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    started: str = ""
    outputs: dict[str, str] = field(default_factory=dict)
    carried_over: bool = False

    @classmethod
    def from_manifest(cls, entry: dict[str, Any], **changes: Any) -> ReportResult:
        """The result a previous run's manifest entry describes (its unknown keys ignored)."""
        fields = {k: entry[k] for k in cls.__dataclass_fields__ if k in entry}
        fields["error"] = ReportFailed.of(fields.get("error"))
        return cls(**{**fields, **changes})


@dataclass
class RunResult:
    period: str
    status: str  # ok | failed
    exit_code: int
    folder: Path  # where the run was written: outputs/<period> or outputs/<period>.failed-…
    published: bool  # True when folder is outputs/<period>
    reports: list[ReportResult]
    manifest: dict[str, Any]

    @property
    def index(self) -> Path:
        return self.folder / "index.html"

    def report(self, name: str) -> ReportResult:
        return next(r for r in self.reports if r.name == name)
