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
    """Cronbach's alpha of ``k`` items with the Feldt confidence interval.

    ``α = k/(k−1) · (1 − Σ_i σ²_i / σ²_X)`` with ``σ²_i`` the item variances and ``σ²_X`` the
    variance of the sum score (sample covariances, n − 1). Interval (Feldt 1965; Feldt,
    Woodruff & Salih 1987), as pingouin and R ``psych`` give it: with ``a = 1 − ci``,
    ``d1 = n − 1``, ``d2 = (n − 1)(k − 1)`` and ``Q(p)`` the upper-``p`` quantile of
    ``F(d1, d2)``: ``lower = 1 − (1 − α) Q(a/2)``, ``upper = 1 − (1 − α) Q(1 − a/2)``.

    Parameters
    ----------
    items : DataFrame
        One numeric column per item, one row per respondent.
    ci : float, default 0.95
        Confidence level of the interval.
    nan_policy : {"listwise", "pairwise"}, default "listwise"
        "listwise" drops respondents with any unanswered item (counted in
        ``n_excluded``); "pairwise" uses pairwise-complete covariances (R psych's default;
        ``n`` is then all rows).

    Returns
    -------
    Alpha
        ``alpha``, ``ci_low``, ``ci_high``, ``n`` respondents used, ``k`` items,
        ``n_excluded``, ``level``. All NaN when fewer than 2 respondents remain.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika* 16, 297–334.
    Feldt, L. S. (1965). The approximate sampling distribution of Kuder-Richardson
    reliability coefficient twenty. *Psychometrika* 30, 357–370.
    Feldt, L. S., Woodruff, D. J. & Salih, F. A. (1987). Statistical inference for
    coefficient alpha. *Applied Psychological Measurement* 11, 93–103.

    Examples
    --------
    pingouin's data set (15 subjects × 10 items): α = 0.5917, 95 % CI [0.195, 0.840] as
    published in pingouin's documentation and checked there against R ``psych``:

    >>> import pingouin as pg
    >>> long = pg.read_dataset("cronbach_alpha")  # shipped with pingouin: 15 × 10, long
    >>> items = long.pivot(index="Subj", columns="Items", values="Scores")
    >>> a = cronbach_alpha(items)
    >>> round(a.alpha, 4), round(a.ci_low, 3), round(a.ci_high, 3), a.n, a.k
    (0.5917, 0.195, 0.84, 15, 10)

    Two identical items are perfectly consistent:

    >>> cronbach_alpha(pd.DataFrame({"a": [1, 2, 3], "b": [1, 2, 3]})).alpha
    1.0
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
    """Corrected item-total correlations (R psych's ``r.drop``).

    Parameters
    ----------
    items : DataFrame
        One numeric column per item; complete cases are used.

    Returns
    -------
    Series
        Per item, the Pearson correlation of the item with the sum of the OTHER items
        (name ``item_total_r``).

    References
    ----------
    Revelle, W. R package ``psych``: ``alpha`` (``item.stats$r.drop``).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4], "c": [2, 1, 4, 3]})
    >>> item_total_correlations(df).round(3).tolist()
    [0.894, 0.894, 0.6]
    """
    x = _numeric(items).dropna(axis=0, how="any")
    total = x.sum(axis=1)
    return pd.Series({c: float(np.corrcoef(x[c], total - x[c])[0, 1]) for c in x.columns},
                     name="item_total_r")


def alpha_if_deleted(items: pd.DataFrame) -> pd.Series:
    """Cronbach's alpha of the remaining items when each item is left out.

    Parameters
    ----------
    items : DataFrame
        One numeric column per item; complete cases are used.

    Returns
    -------
    Series
        Per item, the alpha without it (name ``alpha_if_deleted``; NaN when fewer than 2
        items remain).

    References
    ----------
    Cronbach, L. J. (1951). *Psychometrika* 16, 297–334.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1, 2, 3, 4], "b": [1, 2, 3, 4], "c": [2, 1, 4, 3]})
    >>> alpha_if_deleted(df).round(3).tolist()
    [0.75, 0.75, 1.0]
    """
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

    Parameters
    ----------
    scores : DataFrame
        Item scores, one column per ``item_id`` (e.g. :func:`item_scores`).
    items : DataFrame
        ``survey_items`` (``item_id``, ``dimension``); the ``overall`` item is left out.
    threshold : float, default 0.7
        A dimension with alpha below it is ``unreliable`` (the conventional 0.7 of
        Nunnally 1978).
    ci : float, default 0.95
        Confidence level of the alpha intervals.

    Returns
    -------
    dimensions : DataFrame
        dimension, k, n, n_excluded, alpha, ci_low, ci_high, ``unreliable`` and ``note``
        ("single item" where alpha is undefined).
    items : DataFrame
        item_id, dimension, item_total_r, alpha_if_deleted, ``raises_alpha`` (leaving the
        item out raises the dimension's alpha).

    References
    ----------
    Cronbach, L. J. (1951). *Psychometrika* 16, 297–334.
    Feldt, L. S. (1965). *Psychometrika* 30, 357–370.
    Nunnally, J. C. (1978). *Psychometric Theory*, 2nd ed. McGraw-Hill.

    Examples
    --------
    >>> items = pd.DataFrame({"item_id": ["q1", "q2", "q3", "overall"],
    ...                       "dimension": ["配送服务", "配送服务", "投诉处理", "overall"]})
    >>> scores = pd.DataFrame({"q1": [1, 2, 3, 4], "q2": [2, 2, 3, 5], "q3": [3, 1, 2, 4]})
    >>> dims, per_item = reliability_table(scores, items)
    >>> dims["alpha"].round(3).tolist(), dims["note"].tolist()
    ([0.952, nan], ['', 'single item'])
    >>> per_item[["item_id", "raises_alpha"]].to_dict("records")
    [{'item_id': 'q1', 'raises_alpha': False}, {'item_id': 'q2', 'raises_alpha': False}]
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
