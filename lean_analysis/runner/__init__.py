"""The monthly run (``lean-analysis run``; the command itself is in :mod:`lean_analysis.cli`).

``run_batch`` reads the batch file (``params/monthly.yaml``), checks everything it can
before any kernel starts (the batch, each notebook's parameters cell, each params file's
keys and types, the data's tables and the period's order weeks: a problem ends the run with
a message naming the file and key), then executes each report with papermill in a kernel of
*this* Python environment, renders its reviewer HTML, and writes the period's index and
manifest.

Outputs of a period (``outputs/<period>/``)::

    <report>.ipynb          the executed notebook
    <report>.html           the reviewer HTML (report/html.py)
    <report>.metrics.json   the report's key figures, written by the notebook itself
    index.html              the reports with their status and the scorecard headline
    manifest.json           statuses, durations, parameters, data fingerprint, commit, versions
    logs/run.log            the runner's log; logs/<report>.log: each cell's streams and errors

and ``outputs/index.html`` lists the periods.

Publishing. A run is built in a staging folder ``outputs/.staging-<period>-<random>/`` and
moved into place only when it has finished, so a reader never sees a half-written period:

* every report ok (or skipped): the staging folder replaces ``outputs/<period>/`` (the old
  folder is renamed aside, the new one renamed in, the old one deleted);
* a report failed and ``outputs/<period>/`` holds a good run (its manifest says ok): the
  good run stays untouched and the failed run is kept as
  ``outputs/<period>.failed-<YYYYmmddTHHMMSS>/`` (listed under "failed runs" in
  ``outputs/index.html``);
* a report failed and there is no good run of that period: the failed run is published as
  ``outputs/<period>/`` (its index shows which report failed; the others are readable).

``--only NAME`` reruns some reports of a period: the staging folder starts as a copy of the
published period, so the other reports (and their metrics, which the overview reads) are
kept. A report with ``months:`` runs only in those months, unless named with ``--only``.

The executed notebooks carry the staging folder as their ``output_dir`` parameter; the
manifest and HTML headers leave that path out. Run time and commit go in the manifest and
the HTML, never in ``metrics.json``: the same data and parameters give the same bytes.

The modules, one job each:

* :mod:`.plan`: every check before any kernel (``plan_batch``);
* :mod:`.kernel`: the kernel manager whose kernels are this environment's Python;
* :mod:`.execute`: one report: its notebook, its HTML, its log, its result (``run_report``);
* :mod:`.publish`: lock, atomic writes, staging → published folder or failed run, the
  previous manifest and the reports ``--only`` carries over;
* :mod:`.provenance`: commit, package versions, run time, the data and parameters as shown;
* :mod:`.run_log`: ``logs/run.log``;
* :mod:`.results`: ``RunResult``, ``ReportResult``, exit codes;
* :mod:`.batch`: ``run_batch`` and the manifest.

The index pages are written by :mod:`lean_analysis.report.index_pages`.
"""

from __future__ import annotations

from lean_analysis.params import ParamError, mask_secrets
from lean_analysis.report.failure import ReportFailed
from lean_analysis.report.index_pages import scorecard_rows, write_periods_index
from lean_analysis.runner.batch import run_batch
from lean_analysis.runner.execute import execute_notebook, run_report
from lean_analysis.runner.kernel import KERNEL_NAME, kernel_manager_class
from lean_analysis.runner.plan import plan_batch
from lean_analysis.runner.provenance import git_commit
from lean_analysis.runner.results import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    ReportResult,
    RunResult,
)

__all__ = ["run_batch", "plan_batch", "run_report", "execute_notebook", "RunResult",
           "ReportResult", "ReportFailed", "ParamError", "mask_secrets", "write_periods_index",
           "scorecard_rows", "kernel_manager_class", "git_commit", "KERNEL_NAME", "EXIT_OK",
           "EXIT_FAILED", "EXIT_INVALID"]
