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
