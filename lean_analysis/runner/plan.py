"""Planning a run before any kernel starts.

:func:`plan_batch` makes every check that needs no kernel: the period, the batch file, the
data's tables and order weeks, each report's notebook, parameters cell and params file (keys
and types). A problem raises :class:`~lean_analysis.params.ParamError` naming the file and
key; otherwise the plan says which reports run (with their parameters), which are skipped
this month and which ``--only`` leaves as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lean_analysis import config
from lean_analysis.params import (
    COMMON_PARAMETERS,
    Batch,
    DataInfo,
    ParamError,
    ReportSpec,
    check_period,
    check_report,
    check_tables,
    inspect_data,
    load_batch,
    rel,
)
from lean_analysis.report.texts import t


@dataclass
class _Plan:
    """A checked run: what :func:`plan_batch` returns and :func:`~lean_analysis.runner.batch.run_batch` executes."""

    batch: Batch
    period: str
    lang: str
    data: DataInfo
    run: list[tuple[ReportSpec, dict[str, Any]]]  # reports to execute, with their parameters
    skipped: list[tuple[ReportSpec, str]]  # (report, note)
    kept: list[ReportSpec]  # --only: reports not selected, their previous outputs kept
    notes: list[str] = field(default_factory=list)  # for the run log

    @property
    def scorecard_report(self) -> str | None:
        """The report whose metrics hold the scorecard headline of the period's index."""
        return next((s.name for s in self.batch.reports if s.scorecard), None)


def plan_batch(batch_path: str | Path | None, period: str, data: str | Path | None = None,
               only: list[str] | None = None, lang: str | None = None) -> _Plan:
    """Every check that needs no kernel. Raises :class:`ParamError` naming file and key."""
    from lean_analysis.calendar import parse_period
    from lean_analysis.data.schemas import REQUIRED_TABLES

    try:
        p = parse_period(period)
    except ValueError as e:
        raise ParamError(None, "--period", str(e)) from None
    period_s = str(p)
    batch = load_batch(batch_path)
    if only:
        for name in only:
            batch.get(name)  # unknown names fail here
    if lang is not None and lang not in ("zh", "en"):
        raise ParamError(None, "--lang", f"must be zh or en, not {lang!r}")
    lang = lang or batch.defaults.get("lang", "zh")
    info = inspect_data(data if data is not None else config.data_dir(), "--data")
    check_tables(info, REQUIRED_TABLES, info.display_path, "tables")
    check_period(info, period_s)
    run, skipped, kept, notes = [], [], [], []
    for spec in batch.reports:
        if only and spec.name not in only:
            kept.append(spec)
            continue
        if not only and not spec.runs_in(p.month):
            skipped.append((spec, t("run_skipped_months", lang,
                                    months=", ".join(map(str, spec.months or [])))))
            continue
        declared, values = check_report(spec, batch.path)
        check_tables(info, spec.tables, rel(batch.path), f"{spec.name}.tables")
        params = {k: v for k, v in values.items() if k not in COMMON_PARAMETERS}
        params.update(period=period_s, data_dir=str(info.path), lang=lang)
        for k in values:
            if k in COMMON_PARAMETERS and k != "output_dir" and values[k] != params[k]:
                notes.append(f"report {spec.name}: {k}={values[k]!r} of "
                             f"{rel(spec.params_file)} is set by the runner to {params[k]!r}")
        run.append((spec, params))
    return _Plan(batch, period_s, lang, info, run, skipped, kept, notes)


def report_title(spec: ReportSpec, lang: str) -> str:
    """The report's title in ``lang``: the batch file's ``title``, else the report text
    ``run_title_<name>``, else its name."""
    if spec.title and spec.title.get(lang):
        return spec.title[lang]
    from lean_analysis.report.texts import keys

    key = f"run_title_{spec.name}"
    return t(key, lang) if key in keys() else spec.name
