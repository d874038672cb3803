"""Scoring a satisfaction questionnaire: items to 0–100, dimensions, the index, the satisfied share.

Definitions (the sample generator uses the same ones for its true population index):

* item score ``s = (x − scale_min) / (scale_max − scale_min) × 100``, and ``100 − s`` for a
  reverse-worded item;
* dimension score = mean of the answered item scores of the dimension;
* respondent index = ``Σ_i w_i s_i / Σ_i w_i`` over the ANSWERED items of the dimensions
  (the item ``overall`` is excluded; its row of ``survey_items`` only gives the overall
  question's scale), with item weights ``w_i`` = ``survey_items.weight`` ("items"), all 1
  ("equal"), the driver importances ("drivers"), or a mapping;
* satisfied = top-2-box of ``overall``: ``x ≥ scale_max − 1`` on its own scale (for a reverse
  overall item, ``x ≤ scale_min + 1``).

Example: a 1–5 item answered 4 scores 75, reversed 25; a respondent answering 4 and 5 to two
equally weighted items has index 87.5 (test_survey_scoring).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

OVERALL = "overall"
ITEM_COLUMNS = ("item_id", "dimension", "scale_min", "scale_max", "reverse", "weight")

__all__ = [
    "OVERALL",
    "check_items",
    "check_responses",
    "item_scores",
    "dimension_scores",
    "item_weights",
    "respondent_index",
    "satisfied",
    "overall_score",
    "score_responses",
    "response_counts",
]


def check_items(items: pd.DataFrame) -> pd.DataFrame:
    """Validate ``survey_items`` (columns, unique ids, scale, weights, an ``overall`` row) and
    return it indexed by ``item_id``."""
    missing = [c for c in ITEM_COLUMNS if c not in items.columns]
    if missing:
        raise KeyError(f"survey_items: missing column(s) {missing}")
    it = items.reset_index(drop=True)
    dup = it["item_id"].duplicated()
    if dup.any():
        raise ValueError(f"survey_items.item_id: row {int(np.argmax(dup))} repeats "
                         f"{it['item_id'][dup].iloc[0]!r}; rule: item_id is unique")
    bad = ~(it["scale_max"] > it["scale_min"])
    if bad.any():
        r = int(np.argmax(bad))
        raise ValueError(f"survey_items.scale_max: row {r} (item {it['item_id'][r]!r}); "
                         "rule: scale_max > scale_min")
    w = pd.to_numeric(it["weight"], errors="coerce")
    bad = w.isna() | (w < 0)
    if bad.any():
        r = int(np.argmax(bad))
        raise ValueError(f"survey_items.weight: row {r} (item {it['item_id'][r]!r}); "
                         "rule: weight is a number ≥ 0")
    if OVERALL not in set(it["item_id"]):
        raise ValueError("survey_items.item_id: no row 'overall'; rule: the overall question's "
                         "scale is given by an item 'overall'")
    it = it.assign(reverse=it["reverse"].astype(bool), weight=w.astype(float))
    return it.set_index("item_id", drop=False)


def check_responses(responses: pd.DataFrame, items: pd.DataFrame) -> None:
    """Every item has a column; every answer is within its item's scale (or empty)."""
    it = check_items(items)
    for item_id, row in it.iterrows():
        if item_id not in responses.columns:
            raise KeyError(f"survey_responses: no column {item_id!r} for survey item {item_id!r}")
        x = pd.to_numeric(responses[item_id], errors="coerce")
        nonnum = x.isna() & responses[item_id].notna()
        bad = nonnum | (x < row["scale_min"]) | (x > row["scale_max"])
        if bad.any():
            rows = responses.index[bad.to_numpy()][:5].tolist()
            raise ValueError(
                f"survey_responses.{item_id}: {int(bad.sum())} value(s) outside the scale "
                f"{row['scale_min']}–{row['scale_max']} (rows {rows}, e.g. "
                f"{responses[item_id][bad].iloc[0]!r}); rule: items within scale")


def _scores(x: pd.Series, lo: float, hi: float, reverse: bool) -> pd.Series:
    s = (pd.to_numeric(x, errors="coerce").astype(float) - lo) / (hi - lo) * 100.0
    return 100.0 - s if reverse else s


def item_scores(responses: pd.DataFrame, items: pd.DataFrame,
                include_overall: bool = False) -> pd.DataFrame:
    """Item scores 0–100, one column per item (same index as ``responses``).

    ``s = (x − scale_min)/(scale_max − scale_min) × 100``; ``100 − s`` when ``reverse``.
    Empty answers stay NaN. ``overall`` is left out unless ``include_overall``.
    """
    check_responses(responses, items)
    it = check_items(items)
    if not include_overall:
        it = it[it["item_id"] != OVERALL]
    out = {i: _scores(responses[i], r["scale_min"], r["scale_max"], r["reverse"])
           for i, r in it.iterrows()}
    return pd.DataFrame(out, index=responses.index)


def dimension_scores(responses: pd.DataFrame, items: pd.DataFrame,
                     scores: pd.DataFrame | None = None) -> pd.DataFrame:
    """Dimension scores: the mean of the answered item scores of each dimension (NaN when a
    respondent answered none of its items). Columns in the order of first appearance in
    ``survey_items``."""
    it = check_items(items)
    it = it[it["item_id"] != OVERALL]
    s = item_scores(responses, items) if scores is None else scores
    out = {}
    for dim, grp in it.groupby("dimension", sort=False):
        out[dim] = s[grp["item_id"].tolist()].mean(axis=1, skipna=True)
    return pd.DataFrame(out, index=s.index)


def item_weights(items: pd.DataFrame,
                 weights: str | Mapping[str, float] | pd.Series = "items") -> pd.Series:
    """Item weights for the index, indexed by item_id (``overall`` excluded).

    ``"items"``: ``survey_items.weight``; ``"equal"``: 1 for every item; a mapping/Series keyed
    by item_id (missing items get 0) or by dimension (a dimension weight ``W_d`` is split
    equally over its ``k_d`` items: ``w_i = W_d / k_d``; e.g. driver importances).
    """
    it = check_items(items)
    it = it[it["item_id"] != OVERALL]
    if isinstance(weights, str):
        if weights == "items":
            w = it["weight"].astype(float)
        elif weights == "equal":
            w = pd.Series(1.0, index=it.index)
        else:
            raise ValueError(f"weights must be 'items', 'equal', 'drivers' or a mapping, not "
                             f"{weights!r} ('drivers' is resolved by score_responses)")
    else:
        m = dict(weights)
        keys = set(m)
        dims = set(it["dimension"])
        if keys <= dims:
            k = it.groupby("dimension")["item_id"].transform("size")
            w = it["dimension"].map(m).fillna(0.0).astype(float) / k
        elif keys <= set(it["item_id"]):
            w = it["item_id"].map(m).fillna(0.0).astype(float)
        else:
            unknown = sorted(keys - dims - set(it["item_id"]))
            raise KeyError(f"weights: keys {unknown} are neither item ids nor dimensions of "
                           "survey_items")
        if (w < 0).any() or not np.isfinite(w).all():
            raise ValueError("weights: every weight must be a finite number ≥ 0")
    if w.sum() <= 0:
        raise ValueError("weights: the item weights sum to 0")
    w.index.name = "item_id"
    return w.rename("weight")


def respondent_index(scores: pd.DataFrame, weights: pd.Series) -> pd.Series:
    """Respondent index ``Σ_i w_i s_i / Σ_i w_i`` over the answered items (NaN if none with
    positive weight was answered)."""
    cols = [c for c in weights.index if weights[c] > 0]
    missing = [c for c in cols if c not in scores.columns]
    if missing:
        raise KeyError(f"item scores lack the weighted item(s) {missing}")
    s = scores[cols].to_numpy(dtype=float)
    w = weights[cols].to_numpy(dtype=float)
    ok = ~np.isnan(s)
    num = np.where(ok, s, 0.0) @ w
    den = ok @ w
    with np.errstate(invalid="ignore", divide="ignore"):
        idx = np.where(den > 0, num / den, np.nan)
    return pd.Series(idx, index=scores.index, name="index")


def overall_score(responses: pd.DataFrame, items: pd.DataFrame) -> pd.Series:
    """The overall question on 0–100 (same scoring rule as the items)."""
    it = check_items(items)
    r = it.loc[OVERALL]
    if OVERALL not in responses.columns:
        raise KeyError("survey_responses: no column 'overall'")
    return _scores(responses[OVERALL], r["scale_min"], r["scale_max"], r["reverse"]).rename(
        "overall_score")


def satisfied(responses: pd.DataFrame, items: pd.DataFrame, top: int = 2) -> pd.Series:
    """Top-``top``-box of ``overall``: 1.0 when ``x ≥ scale_max − (top − 1)`` (reverse item:
    ``x ≤ scale_min + top − 1``), 0.0 otherwise, NaN when unanswered."""
    it = check_items(items)
    r = it.loc[OVERALL]
    x = pd.to_numeric(responses[OVERALL], errors="coerce").astype(float)
    hit = x <= r["scale_min"] + top - 1 if r["reverse"] else x >= r["scale_max"] - (top - 1)
    return hit.astype(float).where(x.notna()).rename("satisfied")


def score_responses(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    weights: str | Mapping[str, float] | pd.Series = "items",
    top: int = 2,
) -> pd.DataFrame:
    """One row per response: the id columns present (wave, customer_id, …), dimension scores,
    ``index``, ``overall_score`` (0–100) and ``satisfied`` (0/1), same index as ``responses``.

    ``weights="drivers"`` first computes the dimension scores, then the Shapley (LMG)
    importance of the dimensions for ``overall_score`` on these same responses
    (:func:`lean_analysis.survey.drivers.driver_importance`) and uses the importances as
    dimension weights (split equally over each dimension's items). The item weights used are
    in ``out.attrs["item_weights"]``.
    """
    it = check_items(items)
    s = item_scores(responses, items)
    dims = dimension_scores(responses, items, scores=s)
    ov = overall_score(responses, items)
    if isinstance(weights, str) and weights == "drivers":
        from lean_analysis.survey.drivers import driver_importance

        frame = pd.concat([dims, ov], axis=1)
        res = driver_importance(frame, outcome="overall_score", predictors=list(dims.columns))
        weights = res.table.set_index("predictor")["importance"].to_dict()
    w = item_weights(it, weights)
    keep = [c for c in responses.columns
            if c not in set(it["item_id"]) and c != "comment"]
    out = pd.concat([responses[keep], dims, respondent_index(s, w), ov,
                     satisfied(responses, items, top)], axis=1)
    out.attrs["item_weights"] = w.to_dict()
    out.attrs["dimensions"] = list(dims.columns)
    return out


def response_counts(responses: pd.DataFrame, items: pd.DataFrame) -> pd.DataFrame:
    """Per item (``overall`` included): item_id, dimension, ``answered``, ``missing`` (empty
    answers: left out of that item's scores and counted here) and ``missing_share``."""
    it = check_items(items)
    rows = []
    for item_id, r in it.iterrows():
        if item_id not in responses.columns:
            raise KeyError(f"survey_responses: no column {item_id!r} for survey item {item_id!r}")
        miss = int(responses[item_id].isna().sum())
        rows.append({"item_id": item_id, "dimension": r["dimension"],
                     "answered": len(responses) - miss, "missing": miss,
                     "missing_share": miss / len(responses) if len(responses) else float("nan")})
    return pd.DataFrame(rows)
