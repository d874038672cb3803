"""Power of a difference-in-differences programme evaluation: how many target stores?

The DiD estimate on a balanced panel with one start date equals the difference between the
treated and the comparison units' average of ``D_i = mean(post) − mean(pre)`` (the unit
effect cancels). With within-unit covariance Σ of the errors over the m pre and r post
periods, and contrast c = (−1/m, …, −1/m, 1/r, …, 1/r),

    Var(D_i) = c' Σ c,      Var(β̂) = c' Σ c · (1/N_T + 1/N_C)

    MDE = (t_{1−α/2, ν} + t_{power, ν}) · sqrt(Var(β̂)),   ν = N_T + N_C − 2.

Σ is ``σ²`` on the diagonal and, off it,
- ``correlation="equi"``: ``ρσ²`` (constant correlation). Then c'Σc = σ²(1 − ρ)(1/m + 1/r),
  McKenzie (2012), J. Dev. Econ. 99, "Beyond baseline and follow-up", DiD case;
- ``correlation="ar1"``: ``ρ^|s−t| σ²`` (serial correlation decaying with distance), the
  kind of structure Burlig, Preonas & Woerman (2020, J. Dev. Econ. 144) show the constant-
  correlation formula gets wrong; any Σ can be passed as ``cov``.
σ is the outcome's SD per unit and period around the period means, ρ its within-unit
correlation (see :func:`panel_variance_inputs`). The critical values use the t distribution
(as Burlig et al.; Bloom 1995 uses the normal, ``dist="normal"``).

Example (a test checks it by hand and by simulation): σ = 10, ρ = 0.5 (equi), m = 12,
r = 6, 2 treated vs 40 comparison stores, α = 0.05, power 0.8:
c'Σc = 100 · 0.5 · (1/12 + 1/6) = 12.5; Var = 12.5 · (1/2 + 1/40) = 6.5625;
MDE = (t_.975,40 + t_.8,40) · 2.5617 = (2.0211 + 0.8507) · 2.5617 = 7.357 cartons.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from scipy import stats


def did_contrast_variance(
    n_pre: int, n_post: int, sigma: float, rho: float, correlation: str = "equi",
    cov: np.ndarray | None = None,
) -> float:
    """c'Σc: the variance of one unit's post-minus-pre mean difference.

    With contrast c = (−1/m, …, −1/m, 1/r, …, 1/r) over the m pre and r post periods and
    the within-unit error covariance Σ (σ² on the diagonal; ρσ² off it for ``"equi"``,
    ρ^|s−t| σ² for ``"ar1"``, or ``cov`` itself). For ``"equi"`` it equals
    σ²(1 − ρ)(1/m + 1/r).

    Parameters
    ----------
    n_pre, n_post : int
        The numbers of periods m before and r from the start (≥ 1 each).
    sigma : float
        The outcome's SD per unit and period (> 0; ignored with ``cov``).
    rho : float
        The within-unit correlation, in (−1, 1) (ignored with ``cov``).
    correlation : {"equi", "ar1"}, default "equi"
        The structure of Σ.
    cov : array of shape (m + r, m + r), optional
        Σ itself.

    Returns
    -------
    float
        c'Σc, in squared outcome units.

    References
    ----------
    McKenzie, D. (2012). Beyond baseline and follow-up: the case for more T in
    experiments. *Journal of Development Economics* 99(2), 210–221. (The DiD variance
    σ²(1 − ρ)(1/m + 1/r)(1/N_T + 1/N_C) under constant correlation.)

    Burlig, F., Preonas, L. & Woerman, M. (2020). Panel data and experimental design.
    *Journal of Development Economics* 144, 102458. (Serially correlated errors, any Σ;
    t critical values.)

    Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical
    power of experimental designs. *Evaluation Review* 19(5), 547–556. (MDE = (z_{1−α/2} +
    z_power) × SE.)

    Examples
    --------
    σ = 10, ρ = 0.5, 12 periods before and 6 after: by hand 100 × 0.5 × (1/12 + 1/6) = 12.5:

    >>> round(did_contrast_variance(12, 6, 10, 0.5), 9)
    12.5
    """
    if n_pre < 1 or n_post < 1:
        raise ValueError(f"n_pre and n_post must be ≥ 1, got {n_pre}, {n_post}")
    c = np.concatenate([np.full(n_pre, -1.0 / n_pre), np.full(n_post, 1.0 / n_post)])
    if cov is None:
        if sigma <= 0:
            raise ValueError(f"sigma must be > 0, got {sigma}")
        if not -1 < rho < 1:
            raise ValueError(f"rho must be in (-1, 1), got {rho}")
        k = np.arange(n_pre + n_post)
        if correlation == "equi":
            corr = np.where(k[:, None] == k[None, :], 1.0, rho)
        elif correlation == "ar1":
            corr = rho ** np.abs(k[:, None] - k[None, :])
        else:
            raise ValueError(f"correlation must be 'equi' or 'ar1', not {correlation!r}")
        cov = sigma**2 * corr
    cov = np.asarray(cov, dtype=float)
    if cov.shape != (len(c), len(c)):
        raise ValueError(f"cov must be {len(c)}×{len(c)} (n_pre + n_post), got {cov.shape}")
    return float(c @ cov @ c)


def _crit(alpha: float, power: float, df: float, dist: str) -> float:
    if dist == "t":
        return float(stats.t.ppf(1 - alpha / 2, df) + stats.t.ppf(power, df))
    if dist == "normal":
        return float(stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power))
    raise ValueError(f"dist must be 't' or 'normal', not {dist!r}")


def mde_did(
    n_treated: int, n_control: int, n_pre: int, n_post: int, sigma: float, rho: float,
    alpha: float = 0.05, power: float = 0.8, correlation: str = "equi", dist: str = "t",
    cov: np.ndarray | None = None,
) -> float:
    """Minimum detectable effect (outcome units per unit and period) of a DiD evaluation.

    MDE = (t_{1−α/2,ν} + t_{power,ν}) · sqrt(c'Σc · (1/N_T + 1/N_C)), ν = N_T + N_C − 2
    (c'Σc: :func:`did_contrast_variance`; ``dist="normal"`` uses z quantiles, as Bloom
    1995).

    Parameters
    ----------
    n_treated, n_control : int
        The numbers of target and comparison units (≥ 1 each).
    n_pre, n_post, sigma, rho, correlation, cov
        As :func:`did_contrast_variance`.
    alpha : float, default 0.05
        The two-sided test's level.
    power : float, default 0.8
        The power wanted at the MDE.
    dist : {"t", "normal"}, default "t"
        The distribution of the critical values.

    Returns
    -------
    float
        The smallest effect detected with probability ``power``.

    References
    ----------
    McKenzie, D. (2012). Beyond baseline and follow-up: the case for more T in
    experiments. *Journal of Development Economics* 99(2), 210–221. (The DiD variance
    σ²(1 − ρ)(1/m + 1/r)(1/N_T + 1/N_C) under constant correlation.)

    Burlig, F., Preonas, L. & Woerman, M. (2020). Panel data and experimental design.
    *Journal of Development Economics* 144, 102458. (Serially correlated errors, any Σ;
    t critical values.)

    Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical
    power of experimental designs. *Evaluation Review* 19(5), 547–556. (MDE = (z_{1−α/2} +
    z_power) × SE.)

    Examples
    --------
    The module docstring's case, 2 targets against 40 comparison stores: c'Σc = 12.5,
    Var(β̂) = 12.5 × (1/2 + 1/40) = 6.5625, MDE = (t_.975,40 + t_.8,40) × √6.5625
    = (2.0211 + 0.8507) × 2.5617 = 7.357 (a test checks it by simulation too):

    >>> round(mde_did(2, 40, 12, 6, 10, 0.5), 3)
    7.357
    """
    if n_treated < 1 or n_control < 1:
        raise ValueError(f"need ≥ 1 treated and ≥ 1 control unit, got {n_treated}, {n_control}")
    v = did_contrast_variance(n_pre, n_post, sigma, rho, correlation, cov)
    se = math.sqrt(v * (1 / n_treated + 1 / n_control))
    df = max(n_treated + n_control - 2, 1)
    return _crit(alpha, power, df, dist) * se


def power_did(
    n_treated: int, n_control: int, n_pre: int, n_post: int, sigma: float, rho: float,
    effect: float, alpha: float = 0.05, correlation: str = "equi", dist: str = "t",
    cov: np.ndarray | None = None,
) -> float:
    """Power to detect ``effect`` with a two-sided DiD test at ``alpha``.

        power = F_ν(|effect| / SE − t_{1−α/2,ν}),  SE = sqrt(c'Σc (1/N_T + 1/N_C)),

    ν = N_T + N_C − 2 (the far rejection tail is ignored, as in the MDE formula, so
    ``power_did`` at the MDE gives back ``power``).

    Parameters
    ----------
    n_treated, n_control, n_pre, n_post, sigma, rho, correlation, cov
        As :func:`mde_did`.
    effect : float
        The effect to detect, in outcome units per unit and period (a relative lift ×
        the baseline mean).
    alpha : float, default 0.05
        The two-sided test's level.
    dist : {"t", "normal"}, default "t"
        The distribution of the test statistic.

    Returns
    -------
    float
        The probability of rejecting "no effect" when the effect is ``effect``.

    References
    ----------
    McKenzie, D. (2012). Beyond baseline and follow-up: the case for more T in
    experiments. *Journal of Development Economics* 99(2), 210–221. (The DiD variance
    σ²(1 − ρ)(1/m + 1/r)(1/N_T + 1/N_C) under constant correlation.)

    Burlig, F., Preonas, L. & Woerman, M. (2020). Panel data and experimental design.
    *Journal of Development Economics* 144, 102458. (Serially correlated errors, any Σ;
    t critical values.)

    Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical
    power of experimental designs. *Evaluation Review* 19(5), 547–556. (MDE = (z_{1−α/2} +
    z_power) × SE.)

    Examples
    --------
    At the MDE of :func:`mde_did` the power is the 0.8 it was computed for:

    >>> mde = mde_did(2, 40, 12, 6, 10, 0.5)
    >>> round(power_did(2, 40, 12, 6, 10, 0.5, effect=mde), 9)
    0.8
    """
    v = did_contrast_variance(n_pre, n_post, sigma, rho, correlation, cov)
    se = math.sqrt(v * (1 / n_treated + 1 / n_control))
    df = max(n_treated + n_control - 2, 1)
    if dist == "t":
        return float(stats.t.cdf(abs(effect) / se - stats.t.ppf(1 - alpha / 2, df), df))
    if dist == "normal":
        return float(stats.norm.cdf(abs(effect) / se - stats.norm.ppf(1 - alpha / 2)))
    raise ValueError(f"dist must be 't' or 'normal', not {dist!r}")


def required_treated_did(
    effect: float, n_pre: int, n_post: int, sigma: float, rho: float,
    n_control: int | None = None, controls_per_treated: float | None = None,
    alpha: float = 0.05, power: float = 0.8, correlation: str = "equi", dist: str = "t",
    max_treated: int = 100_000,
) -> int | None:
    """The smallest number of target stores giving ``power`` to detect ``effect``.

    The smallest N_T with :func:`power_did` ≥ ``power`` (found by doubling, then bisection).

    Parameters
    ----------
    effect : float
        The effect to detect (outcome units per unit and period).
    n_pre, n_post, sigma, rho, correlation
        As :func:`did_contrast_variance`.
    n_control : int, optional
        A fixed comparison group size. Give this or ``controls_per_treated``.
    controls_per_treated : float, optional
        Comparison stores per target (e.g. 5 matched per target): N_C = ⌈k N_T⌉.
    alpha, power, dist
        As :func:`mde_did`.
    max_treated : int, default 100000
        The largest number of targets tried.

    Returns
    -------
    int or None
        The number of target stores; ``None`` when no number up to ``max_treated`` is
        enough (with a fixed comparison group, Var(β̂) never falls below c'Σc / N_C) or
        ``effect`` is 0.

    References
    ----------
    McKenzie, D. (2012). Beyond baseline and follow-up: the case for more T in
    experiments. *Journal of Development Economics* 99(2), 210–221. (The DiD variance
    σ²(1 − ρ)(1/m + 1/r)(1/N_T + 1/N_C) under constant correlation.)

    Burlig, F., Preonas, L. & Woerman, M. (2020). Panel data and experimental design.
    *Journal of Development Economics* 144, 102458. (Serially correlated errors, any Σ;
    t critical values.)

    Bloom, H. S. (1995). Minimum detectable effects: a simple way to report the statistical
    power of experimental designs. *Evaluation Review* 19(5), 547–556. (MDE = (z_{1−α/2} +
    z_power) × SE.)

    Examples
    --------
    To detect 5 cartons (σ = 10, ρ = 0.5, 12 + 6 months) with 10 comparison stores per
    target takes 5 targets; against only 3 comparison stores no number of targets is
    enough (with infinitely many targets the MDE is still (1.96 + 0.84) × √(12.5 / 3) ≈ 5.7):

    >>> required_treated_did(5.0, 12, 6, 10, 0.5, controls_per_treated=10)
    5
    >>> required_treated_did(5.0, 12, 6, 10, 0.5, n_control=3) is None
    True
    """
    if (n_control is None) == (controls_per_treated is None):
        raise ValueError("give exactly one of n_control and controls_per_treated")
    if effect == 0:
        return None

    def ok(nt: int) -> bool:
        nc = n_control if n_control is not None else max(1, math.ceil(controls_per_treated * nt))
        return power_did(nt, nc, n_pre, n_post, sigma, rho, effect, alpha, correlation, dist) >= power

    if n_control is not None and not ok(max_treated):
        return None
    lo, hi = 1, 1
    while not ok(hi):
        lo, hi = hi + 1, hi * 2
        if hi > max_treated:
            return None
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def panel_variance_inputs(panel: pd.DataFrame, unit: str, time: str, outcome: str) -> dict:
    """σ and ρ for the power functions, estimated from a (pre-period) panel.

    Residuals e_it = y_it − ȳ_t (period means removed); σ² = mean(e²); ρ = the average
    correlation of e between two distinct periods of one unit,
    ρ = [Σ_i ((Σ_t e_it)² − Σ_t e_it²)] / [Σ_i T_i(T_i − 1)] / σ². Assumes a roughly
    stationary pre-period (an assumption; pass σ, ρ directly otherwise).

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (rows with a missing value are left out).
    unit, time, outcome : str
        Column names.

    Returns
    -------
    dict
        ``sigma``, ``rho``, ``rho_lag1`` (the lag-1 autocorrelation of e, for
        ``correlation="ar1"``), ``n_units`` and ``n_periods``.

    References
    ----------
    Burlig, Preonas & Woerman (2020), as :func:`mde_did` (estimating the power inputs from
    pre-period data).

    Examples
    --------
    Two stores that differ by a constant: the residuals are −1, −1 and +1, +1, so σ = 1 and
    ρ = ((−2)² − 2 + 2² − 2) / (2 + 2) / 1 = 1 (perfectly correlated within a store):

    >>> import pandas as pd
    >>> pan = pd.DataFrame({"store": ["a", "a", "b", "b"], "month": [1, 2, 1, 2],
    ...                     "sales": [1.0, 2, 3, 4]})
    >>> panel_variance_inputs(pan, "store", "month", "sales")
    {'sigma': 1.0, 'rho': 1.0, 'rho_lag1': 1.0, 'n_units': 2, 'n_periods': 2}
    """
    df = panel[[unit, time, outcome]].dropna()
    e = df[outcome] - df.groupby(time)[outcome].transform("mean")
    sigma2 = float(np.mean(e**2))
    g = pd.DataFrame({"u": df[unit].to_numpy(), "t": df[time].to_numpy(), "e": e.to_numpy()})
    s = g.groupby("u")["e"].agg(["sum", "size"])
    ss = g.assign(e2=g["e"] ** 2).groupby("u")["e2"].sum()
    pairs = float((s["size"] * (s["size"] - 1)).sum())
    rho = float(((s["sum"] ** 2 - ss).sum()) / pairs / sigma2) if pairs and sigma2 else float("nan")
    g = g.sort_values(["u", "t"])
    lag = g.groupby("u")["e"].shift(1)
    m = lag.notna()
    rho1 = float((g.loc[m, "e"] * lag[m]).mean() / sigma2) if m.any() and sigma2 else float("nan")
    return {
        "sigma": math.sqrt(sigma2),
        "rho": rho,
        "rho_lag1": rho1,
        "n_units": int(df[unit].nunique()),
        "n_periods": int(df[time].nunique()),
    }


# --------------------------------------------------------------------------- the estimator's own power
#
# The formulas above describe an idealised DiD (equicorrelated errors, means of groups).
# The report states the power of the estimator it actually used: from the DiD's own
# cluster-robust standard error, or, for a synthetic control, from its placebo distribution.
# simulate_power_did / simulate_power_synth check a stated power by planting an effect of
# the stated size and re-running the estimator.


def _crit_df(q: float, df: float | None) -> float:
    return float(stats.t.ppf(q, df)) if df is not None else float(stats.norm.ppf(q))


def mde_from_se(se: float, alpha: float = 0.05, power: float = 0.8, df: float | None = None) -> float:
    """MDE = (t_{1−α/2,df} + t_{power,df}) × SE (Bloom 1995; ``df=None``: normal quantiles),
    with SE the estimator's own standard error (e.g. the DiD's cluster-robust SE, df = its
    clusters − 1).

    >>> round(mde_from_se(1.0), 4)  # 1.96 + 0.8416
    2.8016
    """
    return (_crit_df(1 - alpha / 2, df) + _crit_df(power, df)) * float(se)


def power_from_se(effect: float, se: float, alpha: float = 0.05, df: float | None = None) -> float:
    """Power of the two-sided test at ``alpha`` for ``effect`` when the estimate has
    standard error ``se``: F(|effect| / se − t_{1−α/2}) (the far tail ignored, so at
    :func:`mde_from_se` it gives back ``power``).

    >>> round(power_from_se(mde_from_se(2.0), 2.0), 9)
    0.8
    """
    q = _crit_df(1 - alpha / 2, df)
    z = abs(effect) / float(se) - q
    return float(stats.t.cdf(z, df)) if df is not None else float(stats.norm.cdf(z))


def scaled_se(se: float, n_now: int, n_new: int) -> float:
    """The standard error with ``n_new`` instead of ``n_now`` target customers, each with the
    same number of comparison customers: SE ∝ √(1/N_T + 1/N_C) = √((1 + 1/k) / N_T), so
    SE × √(n_now / n_new).

    >>> scaled_se(2.0, 4, 16)
    1.0
    """
    return float(se) * math.sqrt(n_now / n_new)


def required_targets_from_se(
    effect: float, se: float, n_now: int, alpha: float = 0.05, power: float = 0.8,
    controls_per_target: float | None = None, max_targets: int = 100_000,
) -> int | None:
    """The smallest number of target customers whose estimate (SE scaled by
    :func:`scaled_se`) detects ``effect`` with ``power``; the t degrees of freedom are those
    of the new design's clusters, N_T (1 + k) − 1 (normal quantiles when
    ``controls_per_target`` is None). ``None`` when ``effect`` is 0 or more than
    ``max_targets`` would be needed.

    >>> required_targets_from_se(2.8016, 1.0, 1)  # the MDE of 1 target: 1 target
    1
    >>> required_targets_from_se(2.8016 / 2, 1.0, 1)  # half of it: 4 times as many
    4
    """
    if effect == 0 or not np.isfinite(se) or se <= 0:
        return None

    def ok(n: int) -> bool:
        df = n * (1 + controls_per_target) - 1 if controls_per_target is not None else None
        return power_from_se(effect, scaled_se(se, n_now, n), alpha, df) >= power

    lo, hi = 1, 1
    while not ok(hi):
        lo, hi = hi + 1, hi * 2
        if hi > max_targets:
            return None
    while lo < hi:
        mid = (lo + hi) // 2
        if ok(mid):
            hi = mid
        else:
            lo = mid + 1
    return lo


def _draws(n: int, k: int, n_draws: int, rng) -> np.ndarray:
    import itertools

    if math.comb(n, k) <= n_draws:
        return np.array(list(itertools.combinations(range(n), k)), dtype=np.int64).reshape(-1, k)
    return np.array([rng.choice(n, size=k, replace=False) for _ in range(n_draws)])


def _synth_parts(detail) -> tuple[list, np.ndarray]:
    """The treated results and their scales (pre-period means with normalize="ratio")."""
    results = list(detail.results.values()) if hasattr(detail, "results") else [detail]
    f = np.array([r.baseline if detail.normalize == "ratio" else 1.0 for r in results], dtype=float)
    return results, f


def synth_power(detail, effect: float, alpha: float = 0.05, n_draws: int = 1000,
                seed: int = 0) -> float:
    """Power of a synthetic control (:func:`~lean_analysis.brand.synthetic_control`) to give
    a positive verdict (placebo interval above 0 *and* RMSPE-ratio p ≤ ``alpha``, as
    :func:`lean_analysis.targets.effect_verdict`) for an effect of ``effect`` outcome units
    per treated unit and period, from its placebo distribution.

    Each draw of as many placebo units as there are treated units (from those behind the
    interval) stands in for the treated units: ``effect`` is added to their post-period gaps
    (on each treated unit's scale). The draw is detected when its average post-period gap
    exceeds the placebo noise's (1 − α/2) quantile (the interval's lower end above 0) and its
    mean RMSPE ratio ranks within ``alpha`` among the unplanted placebo draws (the p-value).
    The power is the detected share of the draws (every combination when there are at most
    ``n_draws``, else ``n_draws`` random ones with ``seed``).
    """
    results, f = _synth_parts(detail)
    k = len(results)
    st = detail.placebo_stats
    if not len(st) or "in_interval" not in st.columns:
        return float("nan")
    pg = results[0].placebo_gaps
    factor = float(f.mean()) if k > 1 else float(f[0])
    wide = pg.pivot(index="time", columns="unit", values="gap").sort_index() / factor
    start = pd.Timestamp(results[0].start) if isinstance(wide.index, pd.DatetimeIndex) else results[0].start
    post = np.asarray(wide.index >= start)
    rng = np.random.default_rng(seed)
    units_p = st.loc[st["in_p_value"].to_numpy(dtype=bool), "unit"].tolist()
    units_i = st.loc[st["in_interval"].to_numpy(dtype=bool), "unit"].tolist()
    if len(units_i) < k or len(units_p) < k:
        return float("nan")
    stat = st.set_index("unit")
    # null distributions, as the estimator draws them
    null_ratio = stat.loc[units_p, "ratio"].to_numpy(dtype=float)[_draws(len(units_p), k, n_draws, rng)].mean(axis=1)
    gi = stat.loc[units_i, "post_mean_gap"].to_numpy(dtype=float)
    di = _draws(len(units_i), k, n_draws, rng)
    noise = (gi[di] * f[None, :]).mean(axis=1)
    q_hi = np.quantile(noise, 1 - alpha / 2, method="higher")
    # planted draws
    g = wide[units_i].to_numpy(dtype=float)  # time × placebo, transformed scale
    pre_rmspe = np.sqrt(np.mean(g[~post] ** 2, axis=0))
    ratios = np.empty((len(units_i), k))
    for i in range(k):
        shifted = g[post] + effect / f[i]
        ratios[:, i] = np.sqrt(np.mean(shifted**2, axis=0)) / np.where(pre_rmspe > 0, pre_rmspe, np.nan)
    mean_ratio = np.nanmean(ratios[di, np.arange(k)[None, :]], axis=1)
    est = noise + effect
    null_sorted = np.sort(null_ratio[np.isfinite(null_ratio)])
    n_ge = len(null_sorted) - np.searchsorted(null_sorted, mean_ratio, side="left")
    p = (1 + n_ge) / (1 + len(null_sorted))
    return float(np.mean((est - q_hi > 0) & (p <= alpha)))


def synth_mde(detail, alpha: float = 0.05, power: float = 0.8, n_draws: int = 1000,
              seed: int = 0, tol: float = 1e-3) -> float:
    """The smallest effect whose :func:`synth_power` reaches ``power`` (bisection; outcome
    units per treated unit and period). NaN without placebos."""
    results, f = _synth_parts(detail)
    hi = float(max(np.abs(detail.estimate), 1.0, float(np.nanmean([r.pre_rmspe for r in results]))))

    def pw(d):
        return synth_power(detail, d, alpha, n_draws, seed)

    if not np.isfinite(pw(hi)):
        return float("nan")
    n = 0
    while pw(hi) < power:
        hi *= 2
        n += 1
        if n > 30:
            return float("inf")
    lo = 0.0
    while hi - lo > tol * max(hi, 1.0):
        mid = (lo + hi) / 2
        if pw(mid) >= power:
            hi = mid
        else:
            lo = mid
    return hi


def simulate_power_did(
    panel: pd.DataFrame, unit: str, time: str, outcome: str, treated, start, effect: float,
    alpha: float = 0.05, reps: int = 200, seed: int = 0,
) -> float:
    """Share of ``reps`` re-estimations of :func:`~lean_analysis.brand.did` whose interval
    lies above 0 when ``effect`` is planted in the treated units' post-period outcome.

    Each replication keeps the panel's design and its fitted two-way fixed effects without
    the programme (the fit minus β̂ D), adds ``effect`` × D, and resamples the noise by a wild
    cluster bootstrap of the fit's residuals (one Rademacher sign per unit, so each unit's
    serial correlation is kept; Cameron, Gelbach & Miller 2008).
    """
    from lean_analysis.brand.did import did, twfe_residuals

    beta, resid, d, flag = twfe_residuals(panel, unit, time, outcome, treated, start)
    y = panel[outcome].to_numpy(dtype=float)
    base = y - resid - beta * d  # α_i + λ_t
    codes, uniq = pd.factorize(panel[unit])
    rng = np.random.default_rng(seed)
    hits = 0
    work = panel[[unit, time]].copy()
    work["_treated"] = flag
    for _ in range(reps):
        w = rng.choice([-1.0, 1.0], size=len(uniq))[codes]
        work[outcome] = base + effect * d + w * resid
        r = did(work, unit, time, outcome, "_treated", start, alpha=alpha, event_study=False)
        hits += r.ci_low > 0
    return hits / reps


def simulate_power_synth(
    panel: pd.DataFrame, unit: str, time: str, outcome: str, placebo_units: list, donors: list,
    n_treated: int, start, effect: float, alpha: float = 0.05, reps: int = 100, seed: int = 0,
    normalize: str = "ratio",
) -> float:
    """Share of ``reps`` re-estimations of a synthetic control that give a positive verdict
    (:func:`lean_analysis.targets.effect_verdict`) when ``effect`` is planted in the
    post-period outcome of ``n_treated`` units drawn at random from ``placebo_units`` (a
    resampled placebo assignment); the other ``donors`` are their pool."""
    from lean_analysis.brand.synth import synthetic_control
    from lean_analysis.targets import effect_verdict

    rng = np.random.default_rng(seed)
    tcol = panel[time]
    start_c = pd.Timestamp(start) if pd.api.types.is_datetime64_any_dtype(tcol) else start
    post = (tcol >= start_c).to_numpy()
    hits = 0
    units = list(placebo_units)
    for _ in range(reps):
        pick = list(rng.choice(len(units), size=n_treated, replace=False))
        fake = [units[i] for i in pick]
        keep = panel[unit].isin(set(donors) | set(fake)).to_numpy()
        work = panel[keep].copy()
        bump = work[unit].isin(set(fake)).to_numpy() & post[keep]
        work.loc[bump, outcome] = work.loc[bump, outcome] + effect
        pool = [u for u in donors if u not in set(fake)]
        r = synthetic_control(work, unit, time, outcome, fake if n_treated > 1 else fake[0], start,
                              donors=pool, alpha=alpha, normalize=normalize, seed=seed)
        hits += effect_verdict("synth", r.ci_low, r.ci_high, r.p_value, alpha) == "positive"
    return hits / reps
