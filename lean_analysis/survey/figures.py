"""The published figures of the satisfaction-survey report and the checks before computing them.

:func:`figures` turns the wave's estimates into the figures of
``03_satisfaction_survey.metrics.json`` (each built by :func:`lean_analysis.targets.figure`
and declared in :data:`lean_analysis.targets.FIGURES`); :func:`compared_figure` says which of
the two headline figures the yearly target is compared with, :func:`headline_comparison`
compares it, and :func:`require_tables` checks that the survey tables were loaded.

Note: this module's name is also the name of the function :func:`figures` that
``lean_analysis.survey`` exports, so ``lean_analysis.survey.figures`` is the function; import
the module's other names from ``lean_analysis.survey`` (or ``from
lean_analysis.survey.figures import DIMENSION_KEYS``).

>>> compared_figure("", {"value": 90, "unit": "index", "compared_with": "satisfied_share"})
'satisfied_share'
>>> dimension_key("配送服务"), dimension_key("自定义维度")
('delivery', '自定义维度')
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pandas as pd

from lean_analysis import targets
from lean_analysis.survey.compare import target_comparison
from lean_analysis.survey.design import DesignEstimate

__all__ = [
    "COMPARED_FIGURES",
    "DIMENSION_KEYS",
    "REPORT",
    "SURVEY_TABLES",
    "compared_figure",
    "dimension_key",
    "figures",
    "headline_comparison",
    "require_tables",
]

REPORT = targets.SURVEY  # "03_satisfaction_survey"
# Dimension names of survey_items (zh) -> the key of DESIGN §7: the figure
# ``dimension_<key>`` and the report's label ``dim_<key>``.
DIMENSION_KEYS = {"货源供应": "supply", "订货服务": "ordering", "配送服务": "delivery",
                  "客户经理服务": "manager", "品牌宣传": "promotion", "投诉处理": "complaints",
                  "市场管理": "market"}
# The headline figures a satisfaction target can be compared with, and their units.
COMPARED_FIGURES = {"satisfaction_index": "index", "satisfied_share": "share"}
SURVEY_TABLES = ("survey_items", "survey_responses")


def dimension_key(name: Any) -> str:
    """The key of a dimension: the DESIGN §7 key for the seven standard dimensions, else the
    name as given (so a questionnaire's own dimension still gets a figure)."""
    return DIMENSION_KEYS.get(str(name), str(name))


def require_tables(tables: Mapping[str, Any], source: Any = "data") -> None:
    """Raise ``ValueError`` unless ``tables`` (from ``data.load``) holds the survey tables
    ``survey_items`` and ``survey_responses``; ``source`` (the data directory) starts the
    message."""
    if any(name not in tables for name in SURVEY_TABLES):
        raise ValueError(f"{source}: the survey tables survey_items and survey_responses are "
                         "needed")


def compared_figure(target_definition: str, target_spec: Mapping[str, Any] | targets.Target
                    ) -> str:
    """The figure the satisfaction target is compared with: ``target_definition`` (the
    notebook parameter) when given, else the target's ``compared_with``, else
    ``satisfaction_index``. Anything but ``satisfaction_index`` or ``satisfied_share`` raises
    ``ValueError`` naming the setting it came from.

    >>> compared_figure("satisfied_share", {"value": 90})
    'satisfied_share'
    >>> compared_figure("index", {"value": 90})
    Traceback (most recent call last):
    ...
    ValueError: target_definition must be satisfaction_index or satisfied_share, not 'index'
    """
    spec = target_spec.extra if isinstance(target_spec, targets.Target) else target_spec
    if target_definition:
        compared, where = target_definition, "target_definition"
    else:
        compared = spec.get("compared_with", "satisfaction_index")
        where = "targets.satisfaction.compared_with"
    if compared not in COMPARED_FIGURES:
        raise ValueError(f"{where} must be satisfaction_index or satisfied_share, not "
                         f"{compared!r}")
    return str(compared)


def headline_comparison(idx: DesignEstimate, share: DesignEstimate, compared: str,
                        target_spec: Mapping[str, Any]) -> dict:
    """:func:`~lean_analysis.survey.compare.target_comparison` of the headline figure
    ``compared`` (``idx`` for ``satisfaction_index``, ``share`` for ``satisfied_share``)
    against the target ``target_spec`` (``value``, ``unit``, ``direction`` default ``>=``)."""
    if compared not in COMPARED_FIGURES:
        raise ValueError(f"compared must be satisfaction_index or satisfied_share, not "
                         f"{compared!r}")
    est = idx if compared == "satisfaction_index" else share
    return target_comparison(est, target_spec["value"], target_spec.get("direction", ">="),
                             COMPARED_FIGURES[compared], target_spec["unit"])


def figures(idx: DesignEstimate, share: DesignEstimate, cmp: Mapping[str, Any], compared: str,
            dims: pd.DataFrame, level: float,
            changes: pd.DataFrame | None = None) -> dict[str, dict[str, Any]]:
    """The figures of ``03_satisfaction_survey.metrics.json``.

    Parameters
    ----------
    idx, share : DesignEstimate
        The design-based satisfaction index (0–100, :func:`design_mean` of ``index``) and
        satisfied share (0–1, :func:`design_share` of ``satisfied``).
    cmp : mapping
        The target comparison (:func:`headline_comparison`) of the figure ``compared``.
    compared : str
        ``"satisfaction_index"`` or ``"satisfied_share"``: the figure that carries target,
        direction, status and probability of meeting the target.
    dims : DataFrame
        :func:`design_means` of the dimension scores (``variable``, ``estimate``, ``se``,
        ``ci_low``, ``ci_high``, ``n``).
    level : float
        The confidence level of the intervals.
    changes : DataFrame, optional
        :func:`wave_changes` since the previous wave; its ``index`` row gives
        ``satisfaction_index_change``.

    Returns
    -------
    dict
        Figure name -> :func:`lean_analysis.targets.figure`: ``satisfaction_index`` and
        ``satisfied_share`` with SE, interval, level, n and design effect;
        ``dimension_<key>`` per dimension (:data:`DIMENSION_KEYS`, else the name);
        ``satisfaction_index_change`` when ``changes`` has the index.

    Examples
    --------
    >>> idx = DesignEstimate(88.0, 0.5, 87.02, 88.98, 400, 1.1, 394)
    >>> share = DesignEstimate(0.68, 0.02, 0.64, 0.72, 398, 1.2, 394)
    >>> cmp = target_comparison(idx, 90, ">=", "index", "index")
    >>> dims = pd.DataFrame({"variable": ["配送服务"], "estimate": [80.0], "se": [1.0],
    ...                      "ci_low": [78.0], "ci_high": [82.0], "n": [400]})
    >>> figs = figures(idx, share, cmp, "satisfaction_index", dims, 0.95)
    >>> sorted(figs)
    ['dimension_delivery', 'satisfaction_index', 'satisfied_share']
    >>> figs["satisfaction_index"]["status"], figs["dimension_delivery"]["value"]
    ('not_met', 80.0)
    """
    def est_extra(e) -> dict[str, Any]:
        return {"se": e.se, "ci_low": e.ci_low, "ci_high": e.ci_high, "level": level,
                "n": e.n, "deff": e.deff}

    figs: dict[str, dict[str, Any]] = {}
    tgt = {"target": cmp["target"], "direction": cmp["direction"], "status": cmp["status"],
           "prob_meeting": cmp["prob_meeting"]}
    figs["satisfaction_index"] = targets.figure(
        idx.estimate, "index",
        "design-based mean of the respondent index (weighted item scores 0–100) over the "
        "wave's frame; stratified weights, linearised SE with fpc",
        **est_extra(idx), **(tgt if compared == "satisfaction_index" else {}))
    figs["satisfied_share"] = targets.figure(
        share.estimate, "share",
        "design-based share answering the overall question in its top two boxes; "
        "logit interval as R svyciprop" if share.method == "logit" else
        "design-based share answering the overall question in its top two boxes; Wilson "
        "interval on the effective sample size",
        **est_extra(share), **(tgt if compared == "satisfied_share" else {}))
    for _, r in dims.iterrows():
        figs[f"dimension_{dimension_key(r['variable'])}"] = targets.figure(
            r["estimate"], "index", f"design-based mean dimension score: {r['variable']}",
            se=r["se"], ci_low=r["ci_low"], ci_high=r["ci_high"], level=level, n=r["n"])
    if changes is not None and len(changes):
        c = changes.set_index("variable")
        if "index" in c.index:
            r = c.loc["index"]
            figs["satisfaction_index_change"] = targets.figure(
                r["estimate"], "index", f"satisfaction index {r['wave']} − {r['prev_wave']} "
                "(independent samples)", se=r["se"], ci_low=r["ci_low"], ci_high=r["ci_high"],
                p_value=r["p_value"])
    return figs
