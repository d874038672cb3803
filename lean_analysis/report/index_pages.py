"""The index pages of the monthly run: ``outputs/<period>/index.html`` and ``outputs/index.html``.

- :func:`period_index_html`: one period's reports (status, link, duration, note) and the
  scorecard headline (:func:`scorecard_rows`), from the period's ``manifest.json`` and the
  scorecard report's ``metrics.json``;
- :func:`write_periods_index`: the list of periods and failed runs kept aside, from the
  folders of ``outputs/`` and their manifests.

Like all of ``report``, this module uses no analysis module and not the runner: what it
shows comes from the manifest and the metrics files, and figure status from
:func:`lean_analysis.targets.status`.
"""

from __future__ import annotations

import functools
import json
import os
import re
import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from lean_analysis import targets
from lean_analysis.report.html import HTML_LANG, TEMPLATES, css, embed_cjk_font
from lean_analysis.report.texts import t

RUN_STATUSES = ("ok", "failed", "skipped")
PERIOD_DIR = re.compile(r"^\d{4}-\d{2}$")
FAILED_DIR = re.compile(r"^(\d{4}-\d{2})\.failed-(\d{8}T\d{6})(-\d+)?$")


# --------------------------------------------------------------------------- scorecard
def scorecard_rows(metrics: Mapping[str, Any] | None, lang: str,
                   target_labels: Mapping[str, targets.Target] | None = None) -> list[dict[str, Any]]:
    """The scorecard headline: every figure of the scorecard report's metrics that carries a
    ``target``, in the order of their ``order`` field (the targets file's order), else of
    the file.

    Label: the figure's ``label_<lang>``/``label``; else, when ``target_labels`` is given
    (e.g. :func:`lean_analysis.targets.read_targets`), the label of the target the figure
    stands for (``scorecard_<target>``); else a report text of that name, or the figure's
    name. Status: the figure's ``status``, else :func:`lean_analysis.targets.status` of value
    against target with its ``direction`` (default >=).
    """
    from lean_analysis.report.show import format_metric
    from lean_analysis.report.texts import keys

    rows = []
    known = set(keys())
    figures = ((metrics or {}).get("figures") or {}).items()
    ordered = sorted(figures, key=lambda kv: (not isinstance(kv[1], dict)
                                              or not isinstance(kv[1].get("order"), int),
                                              kv[1].get("order", 0) if isinstance(kv[1], dict) else 0))
    for name, fig in ordered:
        if not isinstance(fig, dict) or "target" not in fig:
            continue
        value, target, unit = fig.get("value"), fig.get("target"), fig.get("unit")
        status = fig.get("status")
        if status not in targets.STATUSES:
            status = _status(value, target, fig.get("direction", ">="))
        rows.append({"label": _label(name, fig, lang, known, target_labels),
                     "actual": format_metric(value, unit, lang),
                     "target": format_metric(target, unit, lang), "status": status})
    return rows


def _label(name: str, fig: Mapping[str, Any], lang: str, known: set[str],
           target_labels: Mapping[str, targets.Target] | None) -> str:
    label = fig.get(f"label_{lang}") or fig.get("label")
    if isinstance(label, dict):
        label = label.get(lang)
    if label:
        return label
    base = name.removeprefix("scorecard_")
    target = (target_labels or {}).get(base)
    if target is not None and target.label(lang):
        return target.label(lang)
    return t(base, lang) if base in known else base


def _status(value: Any, target: Any, direction: str) -> str | None:
    """:func:`lean_analysis.targets.status` of a figure read back from metrics.json (None when
    its target or direction cannot be read)."""
    try:
        return targets.status(value, float(target), direction)
    except (TypeError, ValueError):
        return None


# --------------------------------------------------------------------------- one period
def period_index_html(manifest: Mapping[str, Any], folder: Path,
                      scorecard_report: str | None = None) -> str:
    """``outputs/<period>/index.html`` of the run described by ``manifest`` (the contents of
    its ``manifest.json``), whose files are in ``folder``; ``scorecard_report`` names the
    report whose metrics hold the scorecard headline."""
    from lean_analysis.report.metrics import read_metrics

    lang, period = manifest["lang"], manifest["period"]
    reports = manifest["reports"]
    rows = []
    for r in reports:
        dur = (r.get("timings") or {}).get("total_s")
        rows.append({"name": r["name"], "title": r["title"], "status": r["status"],
                     "html": (r.get("outputs") or {}).get("html"),
                     "duration": f"{dur:.1f}" if dur else "", "note": r.get("note", "")})
    scorecard, link, title = [], None, None
    if scorecard_report is not None:
        scorecard = scorecard_rows(read_metrics(folder, scorecard_report), lang)
        res = next((r for r in reports if r["name"] == scorecard_report), None)
        if res is not None and (res.get("outputs") or {}).get("html"):
            link, title = res["outputs"]["html"], res["title"]
    meta = [
        (t("run_status", lang), t(f"run_status_{manifest['status']}", lang)),
        (t("run_run_time", lang), manifest["started"].replace("T", " ")),
        (t("run_commit", lang), manifest["commit"] or "—"),
        (t("run_data", lang), manifest["data"]["path"]),
        (t("run_data_fingerprint", lang), manifest["data"]["fingerprint"]),
        (t("run_batch", lang), manifest["batch"]),
    ]
    return render_period_index(period=period, lang=lang, reports=rows, scorecard=scorecard,
                               meta=meta, scorecard_link=link, scorecard_title=title,
                               footer=f"lean-analysis · {period} · {manifest['finished']}")


# --------------------------------------------------------------------------- all periods
def periods_index_html(out_root: Path, lang: str = "zh") -> str:
    """``outputs/index.html``: the period folders and failed runs present in ``out_root``."""
    periods, failed = [], []
    for d in sorted(out_root.iterdir(), reverse=True) if out_root.is_dir() else []:
        if not d.is_dir():
            continue
        m = _read_json(d / "manifest.json") or {}
        reports = m.get("reports", [])
        ok = sum(1 for r in reports if r.get("status") == "ok")
        counts = f"{ok} / {len(reports)}" if reports else ""
        if PERIOD_DIR.match(d.name):
            periods.append({"period": d.name, "href": f"{d.name}/index.html",
                            "status": m.get("status", "ok") if m.get("status") in RUN_STATUSES else "ok",
                            "counts": counts,
                            "finished": str(m.get("finished", "")).replace("T", " ")})
        elif FAILED_DIR.match(d.name):
            failed.append({"folder": d.name, "href": f"{d.name}/index.html", "counts": counts})
    return render_periods_index(lang=lang, periods=periods, failed=failed, footer="lean-analysis")


def write_periods_index(out_root: Path, lang: str = "zh") -> Path:
    """(Re)write ``outputs/index.html`` (:func:`periods_index_html`) atomically."""
    path = out_root / "index.html"
    _write_atomic(path, periods_index_html(out_root, lang))
    return path


def _read_json(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None


def _write_atomic(path: Path, text: str) -> None:
    """Write ``path`` through a temporary file in the same folder, then rename (a reader
    never sees half a page). The file is created with the usual permissions (the umask's)."""
    tmp = path.with_name(f".{path.name}-{uuid.uuid4().hex[:12]}")
    try:
        with open(tmp, "x", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


# --------------------------------------------------------------------------- templates
@functools.cache
def _env():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)),
        autoescape=True,
        trim_blocks=False,
        keep_trailing_newline=True,
    )


def render_period_index(
    *,
    period: str,
    lang: str,
    reports: list[dict[str, Any]],
    scorecard: list[dict[str, Any]],
    meta: list[tuple[str, str]],
    scorecard_link: str | None = None,
    scorecard_title: str | None = None,
    footer: str = "",
) -> str:
    """``outputs/<period>/index.html``. ``reports``: dicts with name, title, status, html
    (relative link or None), duration, note. ``scorecard``: dicts with label, actual, target,
    status (met/not_met/not_measured or None)."""
    rows = [{**r, "status_text": t(f"run_status_{r['status']}", lang)} for r in reports]
    cards = [{**s, "status_text": t(s["status"], lang) if s.get("status") else ""} for s in scorecard]
    labels = {
        "columns": [t("run_report", lang), t("run_status", lang), t("run_duration", lang),
                    t("run_note", lang)],
        "scorecard": t("run_scorecard", lang),
        "scorecard_columns": [t("run_figure", lang), t("actual", lang), t("target", lang),
                              t("run_status", lang)],
        "no_scorecard": t("run_no_scorecard", lang),
        "all_periods": t("run_all_periods", lang),
    }
    return embed_cjk_font(_env().get_template("period_index.html.j2").render(
        html_lang=HTML_LANG.get(lang, lang), title=t("run_index_title", lang, period=period),
        css=css(), meta=meta, reports=rows, scorecard=cards, labels=labels,
        scorecard_link=scorecard_link, scorecard_title=scorecard_title, footer=footer,
    ))


def render_periods_index(*, lang: str, periods: list[dict[str, Any]],
                         failed: list[dict[str, Any]], footer: str = "") -> str:
    """``outputs/index.html``. ``periods``: dicts with period, href, status, counts,
    finished; ``failed``: dicts with folder, href, counts."""
    rows = [{**p, "status_text": t(f"run_status_{p['status']}", lang)} for p in periods]
    labels = {
        "columns": [t("period", lang), t("run_status", lang), t("run_reports_ok", lang),
                    t("run_finished", lang)],
        "failed_runs": t("run_failed_runs", lang),
    }
    return embed_cjk_font(_env().get_template("periods.html.j2").render(
        html_lang=HTML_LANG.get(lang, lang), title=t("run_periods_title", lang), css=css(),
        periods=rows, failed=failed, labels=labels, footer=footer,
    ))
