"""Reliability of the questionnaire's dimensions: Cronbach's alpha and item diagnostics."""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

__all__ = [
    "Alpha",
    "cronbach_alpha",
    "item_total_correlations",
    "alpha_if_deleted",
    "reliability_table",
]


@dataclass
class Alpha:
    """Cronbach's alpha with its Feldt confidence interval."""

    alpha: float
    ci_low: float
    ci_high: float
    n: int  # respondents used
    k: int  # items
    n_excluded: int = 0  # respondents dropped (listwise: any item unanswered)
    level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def _numeric(items: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(items, pd.DataFrame):
        raise TypeError("items must be a DataFrame with one column per item")
    bad = [c for c in items.columns if items[c].dtype.kind not in "bifu"]
    if bad:
        raise ValueError(f"items: column(s) {bad} are not numeric; rule: alpha needs numeric items")
    return items.astype(float)


def _alpha_from_cov(c: np.ndarray) -> float:
    k = c.shape[0]
    total = c.sum()
    if total <= 0:
        return math.nan
    return k / (k - 1) * (1 - np.trace(c) / total)


def cronbach_alpha(items: pd.DataFrame, ci: float = 0.95,
                   nan_policy: str = "listwise") -> Alpha:
    """Cronbach's alpha of ``k`` items (Cronbach 1951, *Psychometrika* 16:297–334).

    ``α = k/(k−1) · (1 − Σ_i σ²_i / σ²_X)`` with ``σ²_i`` the item variances and ``σ²_X`` the
    variance of the sum score (sample covariances, n − 1).
    Interval (Feldt 1965; Feldt, Woodruff & Salih 1987), as pingouin and R ``psych`` give it:
    with ``a = 1 − ci``, ``d1 = n − 1``, ``d2 = (n − 1)(k − 1)`` and ``Q(p)`` the upper-``p``
    quantile of ``F(d1, d2)``: ``lower = 1 − (1 − α) Q(a/2)``, ``upper = 1 − (1 − α) Q(1 − a/2)``.

    ``nan_policy="listwise"`` drops respondents with any unanswered item (counted in
    ``n_excluded``); ``"pairwise"`` uses pairwise-complete covariances (R psych's default;
    ``n`` is then all rows).

    Example: pingouin's ``read_dataset("cronbach_alpha")`` (15 subjects × 10 items, long format pivoted wide)
    gives α = 0.5917, 95 % CI [0.195, 0.840] (pingouin docs, checked against R psych;
    test_survey_reliability).
    """
    if nan_policy not in ("listwise", "pairwise"):
        raise ValueError(f"nan_policy must be 'listwise' or 'pairwise', not {nan_policy!r}")
    x = _numeric(items)
    n_all, k = x.shape
    if k < 2:
        raise ValueError(f"items: alpha needs at least 2 items, got {k}")
    n_excluded = 0
    if nan_policy == "listwise":
        x = x.dropna(axis=0, how="any")
        n_excluded = n_all - len(x)
        c = np.cov(x.to_numpy(), rowvar=False) if len(x) > 1 else np.full((k, k), np.nan)
    else:
        c = x.cov().to_numpy()
    n = len(x)
    if n < 2:
        return Alpha(math.nan, math.nan, math.nan, n, k, n_excluded, ci)
    a = _alpha_from_cov(c)
    p = 1 - ci
    df1, df2 = n - 1, (n - 1) * (k - 1)
    lo = 1 - (1 - a) * stats.f.isf(p / 2, df1, df2)
    hi = 1 - (1 - a) * stats.f.isf(1 - p / 2, df1, df2)
    return Alpha(float(a), float(lo), float(hi), n, k, n_excluded, ci)


def item_total_correlations(items: pd.DataFrame) -> pd.Series:
    """Corrected item-total correlation (R psych's ``r.drop``): the Pearson correlation of
    each item with the sum of the OTHER items, on complete cases."""
    x = _numeric(items).dropna(axis=0, how="any")
    total = x.sum(axis=1)
    return pd.Series({c: float(np.corrcoef(x[c], total - x[c])[0, 1]) for c in x.columns},
                     name="item_total_r")


def alpha_if_deleted(items: pd.DataFrame) -> pd.Series:
    """Alpha of the remaining items when each item is left out (complete cases; NaN when
    fewer than 2 items remain)."""
    x = _numeric(items).dropna(axis=0, how="any")
    c = np.cov(x.to_numpy(), rowvar=False)
    out = {}
    for j, col in enumerate(x.columns):
        keep = [i for i in range(x.shape[1]) if i != j]
        out[col] = _alpha_from_cov(c[np.ix_(keep, keep)]) if len(keep) >= 2 else math.nan
    return pd.Series(out, name="alpha_if_deleted")


def reliability_table(scores: pd.DataFrame, items: pd.DataFrame, threshold: float = 0.7,
                      ci: float = 0.95) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Reliability per dimension and per item.

    ``scores``: item scores (one column per item_id, e.g. :func:`item_scores`); ``items``:
    ``survey_items``. Returns ``(dimensions, items)``:

    * dimensions: dimension, k, n, n_excluded, alpha, ci_low, ci_high, ``unreliable``
      (alpha < ``threshold``, the conventional 0.7 of Nunnally 1978) and ``note``
      ("single item" where alpha is undefined);
    * items: item_id, dimension, item_total_r, alpha_if_deleted, ``raises_alpha`` (leaving
      the item out raises the dimension's alpha).
    """
    it = items[items["item_id"] != "overall"]
    dims, rows = [], []
    for dim, grp in it.groupby("dimension", sort=False):
        cols = [c for c in grp["item_id"] if c in scores.columns]
        if len(cols) < 2:
            dims.append({"dimension": dim, "k": len(cols), "n": int(scores[cols].notna().all(
                axis=1).sum()) if cols else 0, "n_excluded": 0, "alpha": math.nan,
                "ci_low": math.nan, "ci_high": math.nan, "unreliable": False,
                "note": "single item"})
            continue
        a = cronbach_alpha(scores[cols], ci=ci)
        dims.append({"dimension": dim, "k": a.k, "n": a.n, "n_excluded": a.n_excluded,
                     "alpha": a.alpha, "ci_low": a.ci_low, "ci_high": a.ci_high,
                     "unreliable": bool(a.alpha < threshold), "note": ""})
        itc = item_total_correlations(scores[cols])
        aid = alpha_if_deleted(scores[cols])
        for c in cols:
            rows.append({"item_id": c, "dimension": dim, "item_total_r": itc[c],
                         "alpha_if_deleted": aid[c],
                         "raises_alpha": bool(aid[c] > a.alpha)})
    return pd.DataFrame(dims), pd.DataFrame(rows)
