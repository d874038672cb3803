"""Key-driver analysis: how much of overall satisfaction each dimension explains.

Two decompositions of the R² of the linear regression of the outcome on the predictors
(dimension scores), both summing to R²:

* Shapley / LMG (Lindeman, Merenda & Gold 1980; Grömping 2006, *J. Stat. Softw.* 17(1)):
  a predictor's share is its increase in R² when added, averaged over all orders of entry —
  exactly, over the ``2^p`` subsets;
* relative weights (Johnson 2000, *Multivariate Behav. Res.* 35(1)): R² split through the
  orthogonal counterpart of the predictors.

An importance–performance table then sets each dimension's importance against its score.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "DriverResult",
    "driver_importance",
    "lmg",
    "relative_weights",
    "subset_r2",
    "ipa_table",
]

MAX_PREDICTORS = 15
QUADRANTS = ("fix_first", "keep_up", "low_priority", "possible_overkill")


@dataclass
class DriverResult:
    """Relative importance of the predictors; ``table`` has one row per predictor."""

    table: pd.DataFrame  # predictor, importance (R² part), share (of R²), rank, r, beta
    r2: float
    method: str
    outcome: str
    n: int
    n_excluded: int = 0  # rows with a missing outcome or predictor (listwise)
    extra: dict = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        return self.table.assign(r2=self.r2, method=self.method, n=self.n)


def _weighted_corr(x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    if w is None:
        return np.corrcoef(x, rowvar=False)
    w = w / w.sum()
    m = w @ x
    d = x - m
    c = (d * w[:, None]).T @ d
    s = np.sqrt(np.diag(c))
    return c / np.outer(s, s)


def subset_r2(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """R² of every subset of predictors, from the correlation matrices.

    For the subset coded by the bits of ``m`` (bit ``j`` = predictor ``j``),
    ``R²(S) = r_S' R_SS⁻¹ r_S``; at most :data:`MAX_PREDICTORS` predictors.

    Parameters
    ----------
    rxx : ndarray, shape (p, p)
        Correlation matrix of the predictors.
    rxy : ndarray, shape (p,)
        Correlations of the predictors with the outcome.

    Returns
    -------
    ndarray, shape (2**p,)
        ``R²`` of each subset, indexed by its bit code (0: the empty subset, R² = 0).

    Examples
    --------
    >>> rxx = np.array([[1.0, 0.2], [0.2, 1.0]])
    >>> rxy = np.array([0.5, 0.3])
    >>> subset_r2(rxx, rxy).round(4).tolist()
    [0.0, 0.25, 0.09, 0.2917]
    """
    p = len(rxy)
    if p > MAX_PREDICTORS:
        raise ValueError(f"{p} predictors: exact Shapley needs 2^p regressions; at most "
                         f"{MAX_PREDICTORS}")
    out = np.zeros(1 << p)
    for m in range(1, 1 << p):
        idx = [j for j in range(p) if m >> j & 1]
        r = rxy[idx]
        out[m] = float(r @ np.linalg.lstsq(rxx[np.ix_(idx, idx)], r, rcond=None)[0])
    return out


def lmg(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Shapley/LMG shares of R²: each predictor's increase in R² when added, averaged
    over all orders of entry.

    ``LMG_j = Σ_{S ⊆ P∖{j}} |S|! (p − |S| − 1)! / p! · [R²(S ∪ {j}) − R²(S)]``, exactly
    over the ``2^p`` subsets (:func:`subset_r2`). The shares sum to the full R².

    Parameters
    ----------
    rxx : ndarray, shape (p, p)
        Correlation matrix of the predictors.
    rxy : ndarray, shape (p,)
        Correlations of the predictors with the outcome.

    Returns
    -------
    ndarray, shape (p,)
        The R² part of each predictor.

    References
    ----------
    Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction to Bivariate and
    Multivariate Analysis*. Scott, Foresman.
    Grömping, U. (2006). Relative importance for linear regression in R: the package
    relaimpo. *J. Statistical Software* 17(1).
    Shapley, L. S. (1953). A value for n-person games. *Contributions to the Theory of
    Games* II, 307–317.

    Examples
    --------
    Two predictors: ``R² = (0.25 + 0.09 − 2 · 0.5 · 0.3 · 0.2) / (1 − 0.04) = 0.2917`` and
    ``LMG_1 = (r_1² + R² − r_2²) / 2``:

    >>> rxx = np.array([[1.0, 0.2], [0.2, 1.0]])
    >>> rxy = np.array([0.5, 0.3])
    >>> lmg(rxx, rxy).round(4).tolist()
    [0.2258, 0.0658]
    >>> round(float(lmg(rxx, rxy).sum()), 4)
    0.2917
    """
    p = len(rxy)
    r2 = subset_r2(rxx, rxy)
    sizes = np.array([bin(m).count("1") for m in range(1 << p)])
    fact = [math.factorial(i) for i in range(p + 1)]
    out = np.zeros(p)
    for j in range(p):
        bit = 1 << j
        for m in range(1 << p):
            if m & bit:
                continue
            s = sizes[m]
            out[j] += fact[s] * fact[p - s - 1] / fact[p] * (r2[m | bit] - r2[m])
    return out


def relative_weights(rxx: np.ndarray, rxy: np.ndarray) -> np.ndarray:
    """Johnson's relative weights: R² split through the orthogonal counterparts of the
    predictors.

    With ``R_xx = Q Λ Q'`` and ``Λ* = Q Λ^{1/2} Q'`` (the correlations of the predictors
    with their closest orthogonal counterparts ``Z``), ``β = Λ*⁻¹ r_xy`` (the regression of
    y on Z) and ``ε_j = Σ_k Λ*_jk² β_k²``. Sums to R²; for uncorrelated predictors
    ``ε_j = r_j²``.

    Parameters
    ----------
    rxx : ndarray, shape (p, p)
        Correlation matrix of the predictors.
    rxy : ndarray, shape (p,)
        Correlations of the predictors with the outcome.

    Returns
    -------
    ndarray, shape (p,)
        The relative weight (R² part) of each predictor.

    References
    ----------
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. *Multivariate Behavioral Research* 35(1),
    1–19.

    Examples
    --------
    >>> relative_weights(np.eye(2), np.array([0.5, 0.3])).round(4).tolist()
    [0.25, 0.09]
    >>> rxx = np.array([[1.0, 0.2], [0.2, 1.0]])
    >>> rxy = np.array([0.5, 0.3])
    >>> round(float(relative_weights(rxx, rxy).sum()), 4)
    0.2917
    """
    evals, evecs = np.linalg.eigh(rxx)
    evals = np.clip(evals, 0, None)
    lam = evecs @ np.diag(np.sqrt(evals)) @ evecs.T
    beta = np.linalg.lstsq(lam, rxy, rcond=None)[0]
    return (lam**2) @ (beta**2)


def driver_importance(
    df: pd.DataFrame,
    outcome: str = "overall",
    predictors: Sequence[str] | None = None,
    method: str = "shapley",
    weight: str | None = None,
) -> DriverResult:
    """Relative importance of ``predictors`` (e.g. the dimension scores) for ``outcome``.

    Both methods decompose the R² of the linear regression of ``outcome`` on all
    predictors, computed from the (``weight``-weighted) correlation matrix on the complete
    cases; rows with any missing value are excluded and counted.

    Parameters
    ----------
    df : DataFrame
        One row per respondent.
    outcome : str, default "overall"
        The outcome column (e.g. ``overall_score``).
    predictors : list of str, optional
        The predictor columns; None: every other numeric column.
    method : {"shapley", "lmg", "relative_weights"}, default "shapley"
        :func:`lmg` ("lmg" is an alias of "shapley") or :func:`relative_weights`.
    weight : str, optional
        Column of weights for the correlations.

    Returns
    -------
    DriverResult
        ``table`` (predictor, ``importance`` = R² part, ``share`` = importance / R²,
        ``r`` zero-order correlation, ``beta`` standardised coefficient, ``rank`` 1 = most
        important), ``r2``, ``method``, ``outcome``, ``n``, ``n_excluded``.

    References
    ----------
    Lindeman, R. H., Merenda, P. F. & Gold, R. Z. (1980). *Introduction to Bivariate and
    Multivariate Analysis*. Scott, Foresman.
    Grömping, U. (2006). Relative importance for linear regression in R: the package
    relaimpo. *J. Statistical Software* 17(1).
    Shapley, L. S. (1953). A value for n-person games. *Contributions to the Theory of
    Games* II, 307–317.
    Johnson, J. W. (2000). A heuristic method for estimating the relative weight of
    predictor variables in multiple regression. *Multivariate Behavioral Research* 35(1),
    1–19.

    Examples
    --------
    >>> df = pd.DataFrame({"x1": [1, 2, 3, 4, 5, 6], "x2": [2, 1, 4, 3, 6, 5],
    ...                    "y": [1, 3, 2, 5, 4, 6]})
    >>> res = driver_importance(df, "y", ["x1", "x2"])
    >>> round(res.r2, 4), res.table["importance"].round(4).tolist()
    (0.981, [0.7648, 0.2162])
    >>> res.table["rank"].tolist(), res.n
    ([1, 2], 6)
    """
    if method not in ("shapley", "lmg", "relative_weights"):
        raise ValueError(f"method must be 'shapley', 'lmg' or 'relative_weights', not {method!r}")
    if predictors is None:
        predictors = [c for c in df.columns if c != outcome and df[c].dtype.kind in "fiu"]
    predictors = list(predictors)
    cols = [*predictors, outcome] + ([weight] if weight else [])
    missing = [c for c in cols if c not in df.columns]
    if missing:
        raise KeyError(f"driver analysis: no column(s) {missing}")
    if len(predictors) < 1:
        raise ValueError("driver analysis: needs at least one predictor")
    data = df[cols].apply(pd.to_numeric, errors="coerce")
    ok = data.notna().all(axis=1)
    n_excl = int((~ok).sum())
    data = data[ok]
    n = len(data)
    if n <= len(predictors) + 1:
        raise ValueError(f"driver analysis: {n} complete rows for {len(predictors)} predictors")
    w = data[weight].to_numpy(float) if weight else None
    const = [c for c in [*predictors, outcome] if data[c].std() == 0]
    if const:
        raise ValueError(f"driver analysis: column(s) {const} are constant")
    c = _weighted_corr(data[[*predictors, outcome]].to_numpy(float), w)
    rxx, rxy = c[:-1, :-1], c[:-1, -1]
    imp = relative_weights(rxx, rxy) if method == "relative_weights" else lmg(rxx, rxy)
    beta = np.linalg.lstsq(rxx, rxy, rcond=None)[0]
    r2 = float(rxy @ beta)
    table = pd.DataFrame({"predictor": predictors, "importance": imp,
                          "share": imp / r2 if r2 > 0 else np.nan, "r": rxy, "beta": beta})
    table["rank"] = table["importance"].rank(ascending=False, method="min").astype(int)
    return DriverResult(table=table, r2=r2, method="shapley" if method == "lmg" else method,
                        outcome=outcome, n=n, n_excluded=n_excl)


def ipa_table(importance: pd.Series | DriverResult, performance: pd.Series,
              split: str = "mean") -> pd.DataFrame:
    """Importance–performance analysis: each dimension's importance against its score.

    Each axis is split at its ``mean`` (or ``median``) over the dimensions; quadrants:
    ``fix_first`` (importance above, performance below: "concentrate here"), ``keep_up``
    (both above), ``low_priority`` (both below), ``possible_overkill`` (importance below,
    performance above). A value equal to the cut counts as above.

    Parameters
    ----------
    importance : Series or DriverResult
        Share of R² per dimension (a :class:`DriverResult` gives its ``share``).
    performance : Series
        The dimension scores (0–100), indexed by dimension.
    split : {"mean", "median"}, default "mean"
        Where each axis is cut.

    Returns
    -------
    DataFrame
        dimension, importance, performance, quadrant, ``fix_first``, ``priority`` (fix_first
        first, then keep_up, low_priority, possible_overkill, each by importance); the cuts
        in ``attrs["importance_cut"]`` and ``attrs["performance_cut"]``.

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. *J. Marketing*
    41(1), 77–79.

    Examples
    --------
    >>> ipa = ipa_table(pd.Series({"supply": 0.5, "delivery": 0.3, "market": 0.2}),
    ...                 pd.Series({"supply": 70.0, "delivery": 90.0, "market": 80.0}))
    >>> ipa[["dimension", "quadrant", "priority"]].values.tolist()
    [['supply', 'fix_first', 1], ['delivery', 'possible_overkill', 2], ['market', 'possible_overkill', 3]]
    """
    if isinstance(importance, DriverResult):
        importance = importance.table.set_index("predictor")["share"]
    if split not in ("mean", "median"):
        raise ValueError(f"split must be 'mean' or 'median', not {split!r}")
    missing = sorted(set(importance.index) - set(performance.index))
    if missing:
        raise KeyError(f"performance lacks dimension(s) {missing}")
    t = pd.DataFrame({"importance": importance.astype(float),
                      "performance": performance.reindex(importance.index).astype(float)})
    f = np.mean if split == "mean" else np.median
    ci, cp = float(f(t["importance"])), float(f(t["performance"]))
    hi_i, hi_p = t["importance"] >= ci, t["performance"] >= cp
    t["quadrant"] = np.select([hi_i & ~hi_p, hi_i & hi_p, ~hi_i & ~hi_p],
                              QUADRANTS[:3], QUADRANTS[3])
    t["fix_first"] = t["quadrant"] == "fix_first"
    order = {q: i for i, q in enumerate(QUADRANTS)}
    t = t.rename_axis("dimension").reset_index()
    t = t.sort_values(by=["quadrant", "importance"], key=lambda s: s.map(order)
                      if s.name == "quadrant" else -s, kind="stable")
    t["priority"] = np.arange(1, len(t) + 1)
    t.attrs.update(importance_cut=ci, performance_cut=cp)
    return t.reset_index(drop=True)
