"""Synthetic control for a few treated units, with placebo-in-space inference.

For a treated unit with pre-period outcome path ``y1`` (T₀ periods) and donors' paths
``Y0`` (T₀ × J), the weights solve

    w* = argmin_w  (1/T₀) ‖y1 − Y0 w‖²   subject to  w ≥ 0,  Σ w = 1

(Abadie, Diamond & Hainmueller 2010, with the outcome path itself as the predictors and
V = identity), solved exactly by :func:`simplex_weights`. The synthetic control is
``Y0_all w*``; the gap is treated − synthetic in every period; RMSPE is the root mean squared
gap before (``pre_rmspe``) and from ``start`` (``post_rmspe``), and ``ratio`` their quotient.

Placebo-in-space (ADH 2010, §4): each donor in turn is treated as if treated, with the other
donors as its pool (treated units never enter a placebo's pool). The p-value is the rank of
the treated ratio among all ratios, largest first:

    p = (1 + #{placebos with ratio ≥ treated ratio}) / (1 + n_placebos)

so with J donors the smallest attainable p is 1/(J+1). The interval is a placebo interval:
under exchangeable gaps, ``post_mean_gap − τ`` is distributed like a placebo's post-mean gap,
so ``[gap − q(1 − α/2), gap − q(α/2)]`` with ``q`` the quantiles of the placebos' post-mean
gaps (test inversion in the spirit of Firpo & Possebom 2018). As in ADH (2010, Fig. 5–7),
placebos whose pre-period fit is poor (pre-RMSPE above ``fit_cap`` = 5 times the treated
unit's, or than the placebos' median pre-RMSPE when the treated unit fits better than that)
say nothing about the treated unit's noise and are left out of the interval (the placebos
used are counted in ``n_interval_placebos``); the ratio test needs no such cut. The interval is coarse
when few placebos remain (with fewer than 2/α − 1 its end points are the extreme placebos).

Several treated units (a programme with 2 stores): one synthetic control each and the
average of their effects; the average's placebo distribution is the average over draws of
as many distinct placebo units (Cavallo, Galiani, Noy & Pantano 2013).

Stores differ in size, and a weighted average of donors can only reach a level inside the
donors' range (a store larger than every donor gets a poor fit and a biased gap).
``normalize`` fits on a transformed outcome and reports the gaps back in outcome units:

- ``"none"`` (ADH 2010): levels;
- ``"demean"``: each unit's outcome minus its pre-period mean (an intercept, as in
  Doudchenko & Imbens 2016 and Ferman & Pinto 2021's demeaned synthetic control);
- ``"ratio"``: each unit's outcome divided by its pre-period mean, an index with pre-period
  mean 1 (*assumption*: store size scales sales and the effect proportionally, as a lift
  does); the treated unit's gaps are then multiplied back by its pre-period mean. Units
  whose pre-period mean is 0 (never sold the item) cannot be indexed and leave the pool
  (counted in ``excluded``).

Every statistic (weights, RMSPE, ratio, placebos) is computed on the transformed scale;
gaps, RMSPE, estimate and interval are reported in outcome units of the treated unit.
Placebos with a perfect pre-period fit (pre-RMSPE 0, e.g. a store that never sold the item)
carry no information on noise and are left out of the interval.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy.optimize import nnls

from lean_analysis.brand._util import EstimateResult, coerce_like, require_columns


def simplex_weights(y1: np.ndarray, y0: np.ndarray) -> np.ndarray:
    """Weights ``w ≥ 0, Σw = 1`` minimising ``‖y1 − y0 @ w‖²``.

    Solved in two exact steps: non-negative least squares (Lawson & Hanson's active set,
    ``scipy.optimize.nnls``) with the sum-to-one constraint as a heavily weighted extra row
    picks the donors with positive weight; on them, the equality-constrained least squares
    is solved from its KKT system ``[[A'A, 1], [1', 0]] [w; μ] = [A'b; 1]``. (If that step
    produced a negative weight the renormalised NNLS solution is kept.) Fast enough for the
    J placebo fits of a pool of a few hundred donors.

    Parameters
    ----------
    y1 : array of shape (T,)
        The treated unit's path (pre-period, possibly with predictor rows).
    y0 : array of shape (T, J)
        The donors' paths, one column per donor.

    Returns
    -------
    numpy.ndarray of shape (J,)
        The weights, non-negative and summing to 1.

    References
    ----------
    Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods for
    comparative case studies. *Journal of the American Statistical Association* 105(490),
    493–505. (The convex weights, with V = identity.)

    Lawson, C. L. & Hanson, R. J. (1974). *Solving Least Squares Problems*, ch. 23 (NNLS).

    Examples
    --------
    A treated path equal to 0.3 × donor A + 0.7 × donor B is recovered exactly; a third
    donor C = 3A + 10 gets no weight (also checked against pysyncon and a generic SLSQP
    solution by a test):

    >>> import numpy as np
    >>> a = np.array([1.0, 2, 3, 5, 4, 6, 7])
    >>> b = np.array([5.0, 1, 4, 2, 6, 3, 5])
    >>> w = simplex_weights(0.3 * a + 0.7 * b, np.column_stack([a, b, 3 * a + 10]))
    >>> w.round(9).tolist()
    [0.3, 0.7, 0.0]
    """
    y1 = np.asarray(y1, dtype=float)
    y0 = np.asarray(y0, dtype=float)
    t, j = y0.shape
    if j == 1:
        return np.ones(1)
    scale = float(np.abs(np.concatenate([y1, y0.ravel()])).max()) or 1.0
    a, b = y0 / scale, y1 / scale
    big = 1e3 * max(1.0, float(np.sqrt(t)))
    w, _ = nnls(np.vstack([a, np.full((1, j), big)]), np.concatenate([b, [big]]), maxiter=50 * j)
    w = np.clip(w, 0.0, None)
    w = w / w.sum() if w.sum() > 0 else np.full(j, 1.0 / j)
    support = np.flatnonzero(w > 1e-10)
    if len(support) >= 1:
        a_s = a[:, support]
        k = len(support)
        kkt = np.zeros((k + 1, k + 1))
        kkt[:k, :k] = a_s.T @ a_s
        kkt[:k, k] = kkt[k, :k] = 1.0
        rhs = np.concatenate([a_s.T @ b, [1.0]])
        sol = np.linalg.lstsq(kkt, rhs, rcond=None)[0][:k]
        if sol.min() >= -1e-12:
            polished = np.zeros(j)
            polished[support] = np.clip(sol, 0.0, None)
            polished /= polished.sum()
            if np.sum((b - a @ polished) ** 2) <= np.sum((b - a @ w) ** 2) + 1e-15:
                w = polished
    return w


_SYNTH_COLUMNS = (
    "method", "unit", "estimate", "ci_low", "ci_high", "p_value", "alpha", "baseline", "lift",
    "pre_rmspe", "post_rmspe", "ratio", "n_donors", "n_placebos", "n_interval_placebos",
)


class _PlaceboSets:
    """Which placebos are behind which statistic, as the result carries them.

    ``placebo_stats`` (one row per placebo unit) and the long ``placebo_gaps`` carry two
    flags: ``in_p_value`` (the placebo's RMSPE ratio is defined and enters the rank p-value)
    and ``in_interval`` (its pre-period fit passes ``fit_cap`` and its post-mean gap enters
    the placebo interval; counted in ``n_interval_placebos``). A plot of placebo gaps draws
    :meth:`used_placebo_gaps`, so that it shows the placebos the inference used.
    """

    PLACEBO_SETS = ("interval", "p_value")

    def placebo_units(self, which: str = "interval") -> list:
        """The placebo units behind the interval (``which="interval"``) or the p-value
        (``"p_value"``), sorted."""
        if which not in self.PLACEBO_SETS:
            raise ValueError(f"which must be one of {self.PLACEBO_SETS}, not {which!r}")
        st = self.placebo_stats
        col = f"in_{which}"
        if not len(st) or col not in st.columns:
            return []
        return sorted(st.loc[st[col].to_numpy(dtype=bool), "unit"].tolist(), key=str)

    def used_placebo_gaps(self, which: str = "interval") -> pd.DataFrame:
        """The rows of ``placebo_gaps`` (time, unit, gap, …) of :meth:`placebo_units`."""
        units = set(self.placebo_units(which))
        pg = self.placebo_gaps
        return pg[pg["unit"].isin(units)] if len(pg) else pg


@dataclass
class SynthResult(_PlaceboSets, EstimateResult):
    """One treated unit's synthetic control. Effects are treated − synthetic (outcome units);
    ``estimate`` is ``post_mean_gap`` and ``lift`` it relative to the treated unit's
    pre-period mean (``baseline``). ``placebo_stats`` and ``placebo_gaps`` flag the
    placebos behind the p-value and the interval (:meth:`placebo_units`)."""

    _frame_columns = _SYNTH_COLUMNS
    _frame_source = {"unit": "treated_unit"}

    treated_unit: object
    weights: pd.Series
    gap: pd.Series
    treated_path: pd.Series
    synthetic_path: pd.Series
    pre_rmspe: float
    post_rmspe: float
    post_mean_gap: float
    ratio: float
    p_value: float
    ci_low: float
    ci_high: float
    placebo_gaps: pd.DataFrame
    placebo_stats: pd.DataFrame
    start: object
    alpha: float = 0.05
    n_interval_placebos: int = 0
    baseline: float = float("nan")
    normalize: str = "none"
    excluded: dict[str, int] = field(default_factory=dict)
    method: str = "synthetic_control"

    @property
    def estimate(self) -> float:
        return self.post_mean_gap

    @property
    def n_donors(self) -> int:
        return int(len(self.weights))

    @property
    def n_placebos(self) -> int:
        return int(self.placebo_stats["ratio"].notna().sum()) if len(self.placebo_stats) else 0


@dataclass
class SynthMultiResult(_PlaceboSets, EstimateResult):
    """Several treated units: one :class:`SynthResult` each and their average effect.
    ``to_frame()``: the units' rows and an "average" row (mean RMSPEs and ratio, the largest
    donor count, the placebo draws as ``n_placebos``). ``placebo_stats`` flags the placebos
    the average's draws come from (p-value and interval; :meth:`placebo_units`)."""

    _frame_columns = _SYNTH_COLUMNS
    _frame_source = {"n_placebos": "n_draws"}

    results: dict
    estimate: float
    ci_low: float
    ci_high: float
    p_value: float
    gap: pd.Series
    placebo_gaps: pd.DataFrame
    alpha: float
    n_draws: int
    n_interval_placebos: int = 0
    baseline: float = float("nan")
    normalize: str = "none"
    excluded: dict[str, int] = field(default_factory=dict)
    method: str = "synthetic_control_multi"
    placebo_stats: pd.DataFrame = field(default_factory=pd.DataFrame)

    @property
    def post_mean_gap(self) -> float:
        return self.estimate

    @property
    def weights(self) -> pd.DataFrame:
        """Donor × treated-unit weight table."""
        return pd.DataFrame({u: r.weights for u, r in self.results.items()}).fillna(0.0)

    def to_frame(self) -> pd.DataFrame:
        res = list(self.results.values())
        rows = pd.concat([r.to_frame() for r in res], ignore_index=True)
        avg = self._frame_row(
            unit="average",
            pre_rmspe=float(np.mean([r.pre_rmspe for r in res])),
            post_rmspe=float(np.mean([r.post_rmspe for r in res])),
            ratio=float(np.mean([r.ratio for r in res])),
            n_donors=int(max(r.n_donors for r in res)),
        )
        return pd.concat([rows, pd.DataFrame([avg])], ignore_index=True)


# ---------------------------------------------------------------------------------------


def _wide(panel, unit, time, outcome, predictors, where):
    require_columns(panel, [unit, time, outcome, *(predictors or [])], where)
    if panel.duplicated([unit, time]).any():
        row = panel.index[panel.duplicated([unit, time], keep=False)][0]
        raise ValueError(f"{where}: several rows for one ({unit}, {time}) pair, e.g. row {row!r}")
    wide = panel.pivot(index=time, columns=unit, values=outcome).sort_index()
    return wide.astype(float)


def _fit_one(y_work: pd.DataFrame, treated, donors, pre_mask, extra: pd.DataFrame | None):
    """Weights and transformed-scale synthetic path and gap of one unit."""
    pre = y_work.loc[pre_mask]
    y1 = pre[treated].to_numpy()
    y0 = pre[donors].to_numpy()
    if extra is not None:
        y1 = np.concatenate([y1, extra.loc[:, treated].to_numpy()])
        y0 = np.vstack([y0, extra.loc[:, donors].to_numpy()])
    w = simplex_weights(y1, y0)
    synth = y_work[donors].to_numpy() @ w
    gap = y_work[treated].to_numpy() - synth
    return w, synth, gap


def _stats(gap: np.ndarray, pre_mask: np.ndarray):
    pre = float(np.sqrt(np.mean(gap[pre_mask] ** 2)))
    post = float(np.sqrt(np.mean(gap[~pre_mask] ** 2)))
    mean_gap = float(np.mean(gap[~pre_mask]))
    if pre > 0:
        ratio = post / pre
    else:
        ratio = math.inf if post > 0 else float("nan")
    return pre, post, mean_gap, ratio


def _placebos(y_work, donors, pre_mask, extra):
    """Every donor in turn as a placebo treated unit, the other donors as its pool
    (transformed scale)."""
    rows, gaps = [], {}
    for d in donors:
        pool = [x for x in donors if x != d]
        if not pool:
            continue
        _, _, gap = _fit_one(y_work, d, pool, pre_mask, extra)
        pre, post, mean_gap, ratio = _stats(gap, pre_mask)
        rows.append(
            {"unit": d, "pre_rmspe": pre, "post_rmspe": post, "post_mean_gap": mean_gap, "ratio": ratio}
        )
        gaps[d] = gap
    stats_ = pd.DataFrame(rows, columns=["unit", "pre_rmspe", "post_rmspe", "post_mean_gap", "ratio"])
    gaps_wide = pd.DataFrame(gaps, index=y_work.index)
    return stats_, gaps_wide


NORMALIZE = ("none", "demean", "ratio")


def _prepare(panel, unit, time, outcome, treated_list, start, donors, predictors, normalize,
             where):
    """The wide outcome table, its transformed version, per-unit scales, pre mask, pool."""
    if normalize not in NORMALIZE:
        raise ValueError(f"{where}: normalize must be one of {NORMALIZE}, not {normalize!r}")
    y_wide = _wide(panel, unit, time, outcome, predictors, where)
    missing = [u for u in treated_list if u not in y_wide.columns]
    if missing:
        raise ValueError(f"{where}: treated unit(s) {missing} not found in column {unit!r}")
    excluded: dict[str, int] = {}
    start_c = coerce_like(start, panel[time])
    pre_mask = np.asarray(y_wide.index < start_c)
    if pre_mask.sum() < 1 or (~pre_mask).sum() < 1:
        raise ValueError(
            f"{where}: start {start!r} must leave periods both before and after it "
            f"(panel runs {y_wide.index[0]!r} … {y_wide.index[-1]!r})"
        )
    for u in treated_list:
        if y_wide[u].isna().any():
            t = y_wide.index[y_wide[u].isna()][0]
            raise ValueError(f"{where}: treated unit {u!r} has no {outcome!r} value for {time} {t!r}")
    if donors is None:
        pool = [u for u in y_wide.columns if u not in set(treated_list)]
    else:
        pool = list(dict.fromkeys(donors))
        absent = [u for u in pool if u not in y_wide.columns]
        if absent:
            raise ValueError(f"{where}: donor(s) {absent[:10]} not found in column {unit!r}")
        clash = [u for u in pool if u in set(treated_list)]
        if clash:
            raise ValueError(f"{where}: unit(s) {clash} are both treated and donors")
    incomplete = [u for u in pool if y_wide[u].isna().any()]
    if incomplete:
        excluded["donors with missing periods"] = len(incomplete)
        pool = [u for u in pool if u not in set(incomplete)]

    cols = [*treated_list, *pool]
    pre_mean = y_wide.loc[pre_mask, cols].mean()
    if normalize == "ratio":
        bad = [u for u in treated_list if not pre_mean[u] > 0]
        if bad:
            raise ValueError(f"{where}: treated unit(s) {bad} have no pre-period {outcome!r}; "
                             "use normalize='none' or 'demean'")
        zero = [u for u in pool if not pre_mean[u] > 0]
        if zero:
            excluded["donors with no pre-period outcome (ratio)"] = len(zero)
            pool = [u for u in pool if u not in set(zero)]
        cols = [*treated_list, *pool]
        scale = pre_mean[cols]
        y_work = y_wide[cols] / scale
    elif normalize == "demean":
        scale = pd.Series(1.0, index=cols)
        y_work = y_wide[cols] - pre_mean[cols]
    else:
        scale = pd.Series(1.0, index=cols)
        y_work = y_wide[cols]
    if len(pool) < 2:
        raise ValueError(f"{where}: need at least 2 complete donors, have {len(pool)}")
    extra = None
    if predictors:
        # each predictor's pre-period mean, rescaled to the (transformed) outcome's pre-period
        # SD, is one more row of the fit (an assumption: equal importance to one pre-period)
        sd_y = float(np.nanstd(y_work.loc[pre_mask].to_numpy())) or 1.0
        pre_rows = panel[panel[time] < start_c]
        means = pre_rows.groupby(unit)[list(predictors)].mean().T
        sd = means.std(axis=1).replace(0, 1.0)
        extra = means.sub(means.mean(axis=1), axis=0).div(sd, axis=0) * sd_y
        extra = extra.reindex(columns=y_work.columns)
    return y_wide, y_work, scale, pre_mask, pool, extra, excluded


def _placebo_interval(estimate, noise, alpha):
    """[estimate − q(1 − α/2), estimate − q(α/2)] over the placebo noise draws."""
    vals = np.asarray(noise, dtype=float)
    vals = vals[np.isfinite(vals)]
    if len(vals) == 0:
        return float("nan"), float("nan")
    lo_q = np.quantile(vals, alpha / 2, method="lower")
    hi_q = np.quantile(vals, 1 - alpha / 2, method="higher")
    return float(estimate - hi_q), float(estimate - lo_q)


def _fit_ok(placebo_stats: pd.DataFrame, treated_pre: float, fit_cap: float | None) -> np.ndarray:
    pre = placebo_stats["pre_rmspe"].to_numpy(dtype=float)
    ok = np.isfinite(placebo_stats["post_mean_gap"].to_numpy(dtype=float)) & (pre > 0)
    if fit_cap is not None and ok.any():
        ref = max(treated_pre, float(np.nanmedian(pre[ok])))
        ok &= pre <= fit_cap * ref
    return ok


def _rank_p(stat, placebo_stats):
    vals = np.asarray(placebo_stats, dtype=float)
    vals = vals[~np.isnan(vals)]
    if np.isnan(stat):
        return float("nan")
    return float((1 + np.sum(vals >= stat)) / (1 + len(vals)))


def synthetic_control(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treated_unit,
    start,
    donors: list | None = None,
    placebo: bool = True,
    predictors: list[str] | None = None,
    alpha: float = 0.05,
    normalize: str = "none",
    fit_cap: float | None = 5.0,
    n_draws: int = 1000,
    seed: int = 0,
):
    """Synthetic control of ``treated_unit`` from ``start``, with placebo-in-space inference.

    The weights fit the treated unit's pre-period path by a convex combination of donors
    (:func:`simplex_weights`); the gap is treated − synthetic in every period, the estimate
    its mean from ``start``. Each donor in turn is a placebo (the other donors its pool):
    the p-value ranks the treated post/pre RMSPE ratio among the placebos' ratios,
    ``p = (1 + #{placebo ratio ≥ treated ratio}) / (1 + n_placebos)``; the interval
    inverts the placebos' post-period mean gaps (formulas: module docstring).

    Parameters
    ----------
    panel : pandas.DataFrame
        Long table, one row per unit and period (balanced for the units used).
    unit, time, outcome : str
        Columns of the unit ids, the period and the outcome.
    treated_unit : unit id or list of unit ids
        One id gives a :class:`SynthResult`; a list gives a :class:`SynthMultiResult` (one
        synthetic control each plus the average effect, :func:`synthetic_control_multi`).
    start : scalar
        The first treated period (same type as ``time``; "2026-03" works for dates).
    donors : list, optional
        The donor pool; default every untreated unit. Donors with a missing period are
        left out and counted in ``result.excluded``.
    placebo : bool, default True
        Run the placebo-in-space fits (p-value, interval, placebo lines).
    predictors : list of str, optional
        Columns whose pre-period means join the pre-period path in the fit.
    alpha : float, default 0.05
        1 − the level of the placebo interval.
    normalize : {"none", "demean", "ratio"}, default "none"
        The scale of the fit: levels (ADH), each unit minus or divided by its pre-period
        mean (module docstring).
    fit_cap : float or None, default 5.0
        Placebos with a pre-RMSPE above ``fit_cap`` × the treated unit's (or × the
        placebos' median, if larger) are left out of the interval (ADH 2010); ``None``
        keeps all. The ratio test uses every placebo with a defined ratio.
    n_draws, seed : int
        Placebo averages drawn for several treated units (every combination when there
        are at most ``n_draws``).

    Returns
    -------
    SynthResult or SynthMultiResult
        ``weights`` (by donor), ``gap``, ``treated_path``, ``synthetic_path``,
        ``pre_rmspe``, ``post_rmspe``, ``ratio``, ``estimate`` (= ``post_mean_gap``),
        ``p_value``, ``ci_low``/``ci_high``, ``baseline`` and ``lift``; ``placebo_stats``
        (one row per placebo) and ``placebo_gaps`` (long) with the flags ``in_p_value`` and
        ``in_interval``: :meth:`~SynthResult.placebo_units` names the placebos behind
        each statistic (``n_placebos`` and ``n_interval_placebos`` count them).

    References
    ----------
    Abadie, A., Diamond, A. & Hainmueller, J. (2010). Synthetic control methods for
    comparative case studies: estimating the effect of California's tobacco control
    program. *Journal of the American Statistical Association* 105(490), 493–505.
    (Weights, placebo-in-space, the RMSPE ratio test and the pre-fit cut.)

    Firpo, S. & Possebom, V. (2018). Synthetic control method: inference, sensitivity
    analysis and confidence sets. *Journal of Causal Inference* 6(2). (Test inversion.)

    Examples
    --------
    Four donors, a treated store equal to 0.3 A + 0.7 B and 2 more from year 7 on. By hand:
    the weights are (0.3, 0.7, 0, 0), the gap is 0 before and 2 after, so the estimate is 2;
    the treated pre-RMSPE is 0, its ratio larger than every placebo's, so p = (1 + 0) /
    (1 + 4) = 0.2, the smallest p four donors allow. Donor D (flat at 40) fits badly as a
    placebo (pre-RMSPE 19.0 > 5 × the placebos' median 3.75) and is left out of the
    interval only; with 3 placebos the 95 % interval runs between the extremes,
    2 − 12.74 (C's post-mean gap) and 2 − (−4) (B's):

    >>> import numpy as np, pandas as pd
    >>> a = np.array([1.0, 2, 3, 5, 4, 6, 7, 8, 9, 10])
    >>> b = np.array([5.0, 1, 4, 2, 6, 3, 5, 4, 6, 5])
    >>> t = 0.3 * a + 0.7 * b + np.where(np.arange(10) >= 7, 2.0, 0.0)
    >>> wide = pd.DataFrame({"A": a, "B": b, "C": 3 * a + 10, "D": 0 * b + 40, "T": t})
    >>> panel = wide.rename_axis("year").reset_index().melt(
    ...     id_vars="year", var_name="store", value_name="sales")
    >>> r = synthetic_control(panel, "store", "year", "sales", "T", start=7)
    >>> r.weights.round(6).to_dict()
    {'A': 0.3, 'B': 0.7, 'C': 0.0, 'D': 0.0}
    >>> round(r.estimate, 6), round(r.p_value, 6), r.n_placebos, r.n_interval_placebos
    (2.0, 0.2, 4, 3)
    >>> r.placebo_units("p_value"), r.placebo_units("interval")
    (['A', 'B', 'C', 'D'], ['A', 'B', 'C'])
    >>> round(r.ci_low, 3), round(r.ci_high, 3)
    (-10.738, 6.0)
    """
    where = "brand.synthetic_control"
    if isinstance(treated_unit, list | tuple | set | pd.Index | np.ndarray):
        return synthetic_control_multi(
            panel, unit, time, outcome, list(treated_unit), start, donors=donors,
            placebo=placebo, predictors=predictors, alpha=alpha, normalize=normalize,
            fit_cap=fit_cap, n_draws=n_draws, seed=seed,
        )
    y_wide, y_work, scale, pre_mask, pool, extra, excluded = _prepare(
        panel, unit, time, outcome, [treated_unit], start, donors, predictors, normalize, where
    )
    placebo_stats, placebo_gaps = (
        _placebos(y_work, pool, pre_mask, extra) if placebo else (pd.DataFrame(), pd.DataFrame())
    )
    return _result_for(y_wide, y_work, scale, treated_unit, pool, pre_mask, extra, placebo_stats,
                       placebo_gaps, start, alpha, fit_cap, normalize, excluded)


def _long_gaps(placebo_gaps: pd.DataFrame, placebo_stats: pd.DataFrame, factor: float) -> pd.DataFrame:
    """Placebo gaps as a long table (time, unit, gap, pre_rmspe, ratio), on the scale of a
    treated unit (``factor`` = its pre-period mean with normalize="ratio", else 1)."""
    if not len(placebo_gaps):
        return pd.DataFrame(columns=["time", "unit", "gap", "pre_rmspe", "ratio", *_FLAGS])
    pg = (placebo_gaps * factor).rename_axis(index="time").reset_index().melt(
        id_vars="time", var_name="unit", value_name="gap")
    cols = ["unit", "pre_rmspe", "ratio", *(c for c in _FLAGS if c in placebo_stats.columns)]
    st = placebo_stats[cols].assign(pre_rmspe=lambda d: d["pre_rmspe"] * factor)
    return pg.merge(st, on="unit", how="left")


_FLAGS = ("in_p_value", "in_interval")


def _flagged(placebo_stats: pd.DataFrame, in_p_value, in_interval) -> pd.DataFrame:
    """A copy of ``placebo_stats`` with the boolean columns ``in_p_value`` and
    ``in_interval`` (see :class:`_PlaceboSets`)."""
    out = placebo_stats.copy()
    out["in_p_value"] = np.asarray(in_p_value, dtype=bool)
    out["in_interval"] = np.asarray(in_interval, dtype=bool)
    return out


def _result_for(y_wide, y_work, scale, treated_unit, pool, pre_mask, extra, placebo_stats,
                placebo_gaps, start, alpha, fit_cap, normalize, excluded) -> SynthResult:
    w, _, gap_w = _fit_one(y_work, treated_unit, pool, pre_mask, extra)
    pre_w, post_w, mean_w, ratio = _stats(gap_w, pre_mask)
    f = float(scale[treated_unit])  # back to outcome units
    n_int = 0
    if len(placebo_stats):
        p = _rank_p(ratio, placebo_stats["ratio"])
        ok = _fit_ok(placebo_stats, pre_w, fit_cap)
        n_int = int(ok.sum())
        lo, hi = _placebo_interval(mean_w, placebo_stats["post_mean_gap"][ok], alpha)
        ci_low, ci_high = lo * f, hi * f
        # the placebos behind each statistic, as _rank_p and the interval select them
        placebo_stats = _flagged(placebo_stats, ~np.isnan(placebo_stats["ratio"].to_numpy(dtype=float)),
                                 ok)
    else:
        p = ci_low = ci_high = float("nan")
    idx = y_wide.index
    gap = gap_w * f
    treated = y_wide[treated_unit].to_numpy()
    return SynthResult(
        treated_unit=treated_unit,
        weights=pd.Series(w, index=pd.Index(pool, name="donor"), name="weight"),
        gap=pd.Series(gap, index=idx, name="gap"),
        treated_path=pd.Series(treated, index=idx, name="treated"),
        synthetic_path=pd.Series(treated - gap, index=idx, name="synthetic"),
        pre_rmspe=pre_w * f,
        post_rmspe=post_w * f,
        post_mean_gap=mean_w * f,
        ratio=ratio,
        p_value=p,
        ci_low=ci_low,
        ci_high=ci_high,
        placebo_gaps=_long_gaps(placebo_gaps, placebo_stats, f),
        placebo_stats=placebo_stats,
        start=start,
        alpha=alpha,
        n_interval_placebos=n_int,
        baseline=float(y_wide.loc[pre_mask, treated_unit].mean()),
        normalize=normalize,
        excluded=dict(excluded),
    )


def _draws(idx: np.ndarray, k: int, n_draws: int, seed: int) -> np.ndarray:
    """Every k-subset of ``idx`` when there are at most ``n_draws``, else random ones."""
    if math.comb(len(idx), k) <= n_draws:
        return np.array(list(itertools.combinations(idx, k)), dtype=np.int64).reshape(-1, k)
    rng = np.random.default_rng(seed)
    return np.array([rng.choice(idx, size=k, replace=False) for _ in range(n_draws)])


def synthetic_control_multi(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treated_units: list,
    start,
    donors: list | None = None,
    placebo: bool = True,
    predictors: list[str] | None = None,
    alpha: float = 0.05,
    normalize: str = "none",
    fit_cap: float | None = 5.0,
    n_draws: int = 1000,
    seed: int = 0,
) -> SynthMultiResult:
    """One synthetic control per treated unit (shared donor pool) and the average effect.

    The average effect is the mean of the units' post-period mean gaps (outcome units). Its
    placebo distribution: averages over draws of ``k`` distinct placebo units (k = number of
    treated units; every combination when there are at most ``n_draws``, else ``n_draws``
    random draws with ``seed``), placebo j standing in for treated unit i on i's scale.
    p-value: rank of the treated units' mean RMSPE ratio among the placebo draws' mean
    ratios; interval: placebo interval of the average post-mean gap over draws of placebos
    whose pre-RMSPE is within ``fit_cap`` × the treated units' mean (transformed scale).

    Parameters
    ----------
    panel, unit, time, outcome, start, donors, placebo, predictors, alpha, normalize, fit_cap
        As :func:`synthetic_control`.
    treated_units : list
        The treated unit ids (each is left out of every donor pool).
    n_draws, seed : int
        The number of placebo draws when there are more combinations, and their seed.

    Returns
    -------
    SynthMultiResult
        ``results`` (one :class:`SynthResult` per treated unit), ``estimate``, ``ci_low``,
        ``ci_high``, ``p_value``, the average ``gap``, ``n_draws``, ``n_interval_placebos``
        and ``placebo_stats`` flagging the placebos the draws come from
        (:meth:`~SynthMultiResult.placebo_units`).

    References
    ----------
    Cavallo, E., Galiani, S., Noy, I. & Pantano, J. (2013). Catastrophic natural disasters
    and economic growth. *Review of Economics and Statistics* 95(5), 1549–1561. (The
    placebo distribution of an average of several synthetic-control effects.)

    Abadie, Diamond & Hainmueller (2010), as :func:`synthetic_control`.

    Examples
    --------
    Two treated stores built from five donors, effects 2 and 4 from year 7: the average
    effect is 3; both fit perfectly before the start, so their mean ratio beats every one of
    the C(5, 2) = 10 placebo pairs and p = (1 + 0) / (1 + 10) = 1/11:

    >>> import numpy as np, pandas as pd
    >>> a = np.array([1.0, 2, 3, 5, 4, 6, 7, 8, 9, 10])
    >>> b = np.array([5.0, 1, 4, 2, 6, 3, 5, 4, 6, 5])
    >>> c = 3 * a + 10
    >>> after = np.arange(10) >= 7
    >>> wide = pd.DataFrame({"A": a, "B": b, "C": c, "D": 0 * b + 40, "E": 2 * b + 3,
    ...                      "T1": 0.3 * a + 0.7 * b + 2 * after, "T2": 0.5 * a + 0.5 * c + 4 * after})
    >>> panel = wide.rename_axis("year").reset_index().melt(
    ...     id_vars="year", var_name="store", value_name="sales")
    >>> r = synthetic_control_multi(panel, "store", "year", "sales", ["T1", "T2"], start=7)
    >>> round(r.estimate, 6), r.n_draws, round(r.p_value, 6), round(1 / 11, 6)
    (3.0, 10, 0.090909, 0.090909)
    >>> r.results["T2"].weights.round(6).to_dict()
    {'A': 0.5, 'B': 0.0, 'C': 0.5, 'D': 0.0, 'E': 0.0}
    """
    where = "brand.synthetic_control"
    treated_units = list(dict.fromkeys(treated_units))
    if not treated_units:
        raise ValueError(f"{where}: empty list of treated units")
    y_wide, y_work, scale, pre_mask, pool, extra, excluded = _prepare(
        panel, unit, time, outcome, treated_units, start, donors, predictors, normalize, where
    )
    placebo_stats, placebo_gaps = (
        _placebos(y_work, pool, pre_mask, extra) if placebo else (pd.DataFrame(), pd.DataFrame())
    )
    results = {
        u: _result_for(y_wide, y_work, scale, u, pool, pre_mask, extra, placebo_stats,
                       placebo_gaps, start, alpha, fit_cap, normalize, excluded)
        for u in treated_units
    }
    k = len(treated_units)
    factors = np.array([float(scale[u]) for u in treated_units])
    est = float(np.mean([r.post_mean_gap for r in results.values()]))
    mean_ratio = float(np.mean([r.ratio for r in results.values()]))
    gap = pd.concat([r.gap for r in results.values()], axis=1).mean(axis=1).rename("gap")
    p = ci_low = ci_high = float("nan")
    n_used = n_int = 0
    in_p, in_int = set(), set()
    if placebo and len(placebo_stats):
        ok = placebo_stats[placebo_stats["ratio"].notna()].reset_index(drop=True)
        if len(ok) >= k:
            in_p = set(ok["unit"])
            draws = _draws(np.arange(len(ok)), k, n_draws, seed)
            n_used = len(draws)
            p = _rank_p(mean_ratio, ok["ratio"].to_numpy()[draws].mean(axis=1))
            pre_t = float(np.mean([r.pre_rmspe / f for r, f in zip(results.values(), factors,
                                                                     strict=True)]))
            good = np.flatnonzero(_fit_ok(ok, pre_t, fit_cap))
            if len(good) >= k:
                gdraws = _draws(good, k, n_draws, seed + 1)
                n_int = len(good)
                in_int = set(ok["unit"].iloc[good])
                noise = (ok["post_mean_gap"].to_numpy()[gdraws] * factors[None, :]).mean(axis=1)
                ci_low, ci_high = _placebo_interval(est, noise, alpha)
    baseline = float(np.mean([r.baseline for r in results.values()]))
    if len(placebo_stats):
        placebo_stats = _flagged(placebo_stats, placebo_stats["unit"].isin(in_p).to_numpy(),
                                 placebo_stats["unit"].isin(in_int).to_numpy())
    return SynthMultiResult(
        results=results,
        estimate=est,
        ci_low=ci_low,
        ci_high=ci_high,
        p_value=p,
        gap=gap,
        placebo_gaps=_long_gaps(placebo_gaps, placebo_stats, float(factors.mean())),
        alpha=alpha,
        n_draws=n_used,
        n_interval_placebos=n_int,
        baseline=baseline,
        normalize=normalize,
        excluded=excluded,
        placebo_stats=placebo_stats,
    )
