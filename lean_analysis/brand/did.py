"""Difference-in-differences: two-way fixed effects with an event study, and the 2×2 case.

:func:`did` estimates the effect of a programme that starts at one date for a set of treated
units, against untreated units, on a unit × period panel:

    y_it = α_i + λ_t + β · D_it + ε_it,   D_it = 1[i treated and t ≥ start]

(two-way fixed effects, TWFE), with standard errors clustered by unit (CRV1, Stata's
small-sample factor, t with G − 1 degrees of freedom) computed by pyfixest. With one common
start date and never-treated controls, β is the classic difference in differences and TWFE
has none of the staggered-adoption problems. The event study replaces D by leads and lags

    y_it = α_i + λ_t + Σ_{k ≠ −1} β_k · 1[i treated, t − start = k] + ε_it

with the period before the start (k = −1) as reference. The pre-trend test is the joint Wald
test of β_k = 0 for all m leads k ≤ −2, W = b' V⁻¹ b with the clustered V, referred in its
Hotelling-T² small-sample form  W (G₁ − m) / (m (G₁ − 1)) ~ F(m, G₁ − m),  G₁ = the number
of treated clusters (or of control clusters if fewer); undefined (NaN) when G₁ ≤ m — narrow
``event_window`` then. The plain F(m, G − 1) over all G clusters over-rejects badly when the
treated clusters are few (31 % rejections at 5 % in simulations with 60 treated customers
and 15 leads; this form: 2.5 %).

With ``unit=None`` the data are repeated cross sections (the classic 2×2 of Card & Krueger
1994): ``y ~ treated + period dummies + D`` by OLS with heteroskedasticity-robust (HC1) SE;
with two periods this is ``y ~ treated + post + treated:post``.

References: Angrist & Pischke (2009), *Mostly Harmless Econometrics*, ch. 5; Card & Krueger
(1994), AER 84(4); Bertrand, Duflo & Mullainathan (2004) on clustering by unit.
"""

from __future__ import annotations

import contextlib
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats

from lean_analysis import targets as _targets
from lean_analysis.brand._util import (
    EstimateResult,
    check_unique,
    period_positions,
    require_columns,
    treated_units,
)

# The warning rule lives in lean_analysis.targets (reports apply it too); named here for callers.
PRETREND_WARN_LEVEL = _targets.PRETREND_WARN_LEVEL
pretrend_warning = _targets.pretrend_warning


_Y, _U, _T, _D, _G, _C, _REL = "_y", "_unit", "_time", "_D", "_treated", "_cluster", "_rel"


@dataclass
class DidResult(EstimateResult):
    """The result of :func:`did`. ``estimate`` is in the outcome's unit per unit and period;
    ``lift`` = estimate ÷ ``baseline`` (the treated units' pre-period mean); ``to_frame()``
    is one row: method, estimate, se, interval, p-value, lift, counts, pre-trend p."""

    _frame_columns = (
        "method", "estimate", "se", "ci_low", "ci_high", "p_value", "alpha", "baseline", "lift",
        "n_units", "n_treated", "n_obs", "n_excluded", "pretrend_p",
    )

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_units: int
    n_treated: int
    n_obs: int
    event_study: pd.DataFrame | None
    pretrend_p: float | None
    method: str
    alpha: float = 0.05
    n_clusters: int | None = None
    baseline: float = float("nan")
    cell_means: pd.DataFrame | None = None
    excluded: dict[str, int] = field(default_factory=dict)

    @property
    def n_excluded(self) -> int:
        """Rows of the input left out (missing values), all reasons together."""
        return int(sum(self.excluded.values()))


def did(
    panel: pd.DataFrame,
    unit: str | None,
    time: str,
    outcome: str,
    treated,
    start,
    cluster: str | None = None,
    alpha: float = 0.05,
    event_window: tuple[int, int] | None = None,
    covariates: list[str] | None = None,
    event_study: bool = True,
) -> DidResult:
    """Difference-in-differences of ``outcome`` for ``treated`` units from period ``start``.

    With ``unit`` given, two-way fixed effects ``y ~ D | unit + time`` with standard errors
    clustered by ``cluster`` (CRV1, t with G − 1 degrees of freedom), and an event study
    with its pre-trend test (module docstring). With ``unit=None``, repeated cross
    sections: OLS ``y ~ treated + period dummies + D`` with HC1 standard errors; with two
    periods the estimate is (ȳ_T,post − ȳ_T,pre) − (ȳ_C,post − ȳ_C,pre).

    Parameters
    ----------
    panel : pandas.DataFrame
        One row per unit and period (or, with ``unit=None``, one row per observation of
        repeated cross sections).
    unit : str or None
        Column of the unit ids; ``None`` means repeated cross sections.
    time, outcome : str
        Columns of the period and of the (numeric) outcome.
    treated : str or list
        A boolean (or 0/1) column marking treated units (constant within a unit), or a list
        of treated unit ids.
    start : scalar
        The first treated period, in the type of ``time`` (a string such as "2026-03" is
        converted for datetime columns).
    cluster : str, optional
        Column to cluster standard errors by; default ``unit``.
    alpha : float, default 0.05
        1 − the confidence level of the interval.
    event_window : (int, int), optional
        (lo, hi) relative periods of the event study; periods outside are binned into the
        end points; must contain −1. Default: every relative period.
    covariates : list of str, optional
        Extra time-varying regressors.
    event_study : bool, default True
        Also fit the event study (panel case); off saves time.

    Returns
    -------
    DidResult
        ``estimate`` (outcome units per unit and period), ``se``, ``ci_low``/``ci_high``,
        ``p_value``, counts (``n_units``, ``n_treated``, ``n_obs``, ``n_clusters``),
        ``baseline`` (the treated units' pre-period mean; ``lift`` = estimate ÷ baseline),
        ``cell_means`` (treated/control × pre/post means and counts), ``event_study`` (one
        row per relative period, −1 the reference at 0) and ``pretrend_p`` (NaN when there
        are too few treated clusters for the leads). Rows with a missing outcome (or unit,
        time, covariate) are left out and counted in ``excluded``; nothing is dropped
        silently. With repeated cross sections there are no units: ``n_units`` =
        ``n_obs`` and ``n_treated`` counts treated rows.

    Raises
    ------
    ValueError
        A missing column, a non-numeric outcome, treated units without rows on both sides
        of ``start``, no untreated rows, or several rows for one (unit, period).

    References
    ----------
    Card, D. & Krueger, A. B. (1994). Minimum wages and employment: a case study of the
    fast-food industry in New Jersey and Pennsylvania. *American Economic Review* 84(4),
    772–793. (The 2×2 design; ``tests/fixtures/njmin3.csv`` reproduces its published DiD
    of 2.75 full-time equivalents, checked by a test.)

    Bertrand, M., Duflo, E. & Mullainathan, S. (2004). How much should we trust
    differences-in-differences estimates? *Quarterly Journal of Economics* 119(1),
    249–275. (Serial correlation: cluster the standard errors by unit.)

    Cameron, A. C. & Miller, D. L. (2015). A practitioner's guide to cluster-robust
    inference. *Journal of Human Resources* 50(2), 317–372. (CRV1 and its small-sample
    factor.)

    Angrist, J. D. & Pischke, J.-S. (2009). *Mostly Harmless Econometrics*, ch. 5.

    Examples
    --------
    A hand-made 2×2 of repeated cross sections, two observations per cell: treated before
    10, 12 (mean 11) and after 15, 17 (mean 16); comparison before 8, 10 (mean 9) and after
    10, 12 (mean 11). By hand, DiD = (16 − 11) − (11 − 9) = 3. Every residual is ±1 around
    its cell mean, so the HC1 variance of the interaction is Σ_cells (2 / 2²) × 8 / (8 − 4)
    = 4 cells × 0.5 × 2 = 4, and se = 2:

    >>> import pandas as pd
    >>> cs = pd.DataFrame({"nj": [1, 1, 1, 1, 0, 0, 0, 0], "post": [0, 0, 1, 1, 0, 0, 1, 1],
    ...                    "fte": [10.0, 12, 15, 17, 8, 10, 10, 12]})
    >>> r = did(cs, unit=None, time="post", outcome="fte", treated="nj", start=1)
    >>> round(r.estimate, 9), round(r.se, 9), r.n_obs, r.method
    (3.0, 2.0, 8, 'did_2x2_ols_hc1')
    >>> round(r.baseline, 9), round(r.lift, 9)  # the treated pre-period mean 11
    (11.0, 0.272727273)

    With a unit column (the same numbers as two stores per group observed twice) the
    estimate is the same 3 by TWFE; that case runs pyfixest, too slow for a doctest, and is
    checked against the hand difference of means by ``tests/test_brand_did.py``.
    """
    where = "brand.did"
    if not 0 < alpha < 1:
        raise ValueError(f"{where}: alpha must be in (0, 1), got {alpha!r}")
    covariates = list(covariates or [])
    require_columns(panel, [unit, time, outcome, cluster, *covariates], where)
    if not pd.api.types.is_numeric_dtype(panel[outcome]):
        raise ValueError(f"{where}: outcome column {outcome!r} is not numeric ({panel[outcome].dtype})")

    flag = treated_units(panel, unit, treated, where)
    df = pd.DataFrame(
        {_Y: panel[outcome].astype(float), _T: panel[time], _G: flag.astype(int)}, index=panel.index
    )
    if unit is not None:
        df[_U] = panel[unit]
    for c in covariates:
        df[c] = panel[c]

    excluded: dict[str, int] = {}
    keep = pd.Series(True, index=df.index)
    for col, reason in [(_T, "missing time"), (_U, "missing unit"), (_Y, "missing outcome")]:
        if col in df:
            miss = df[col].isna() & keep
            if miss.any():
                excluded[reason] = int(miss.sum())
            keep &= ~miss
    for c in covariates:
        miss = df[c].isna() & keep
        if miss.any():
            excluded[f"missing {c}"] = int(miss.sum())
        keep &= ~miss
    df = df[keep]
    if df.empty:
        raise ValueError(f"{where}: no rows left after excluding missing values ({excluded})")

    pos, start_pos, _periods = period_positions(df[_T], start)
    df["_pos"] = pos
    df["_post"] = (pos >= start_pos).astype(int)
    df[_D] = df[_G] * df["_post"]
    if df.loc[df[_G] == 1, "_post"].nunique() < 2:
        raise ValueError(f"{where}: treated units need rows both before and from start {start!r}")
    if df.loc[df[_G] == 0].empty:
        raise ValueError(f"{where}: no untreated (comparison) rows in the panel")

    cells = (
        df.groupby([_G, "_post"])[_Y]
        .agg(["mean", "size"])
        .rename(columns={"size": "n"})
        .reset_index()
        .rename(columns={_G: "treated", "_post": "post"})
    )
    cells["treated"] = cells["treated"].astype(bool)
    cells["post"] = cells["post"].astype(bool)
    baseline = float(df.loc[(df[_G] == 1) & (df["_post"] == 0), _Y].mean())

    if unit is None:
        return _did_cross_sections(df, covariates, alpha, excluded, cells, baseline)

    check_unique(df.rename(columns={_U: unit, _T: time}), [unit, time], where)
    clus = df[_U] if cluster is None or cluster == unit else panel.loc[df.index, cluster]
    # integer codes: pyfixest factorises string fixed effects on every call
    df[_C] = pd.factorize(clus)[0]
    df["_unit_code"] = pd.factorize(df[_U])[0]
    result = _did_twfe(df, covariates, alpha, excluded, cells, baseline)
    if event_study:
        es, pre_p = _event_study(df, start_pos, covariates, alpha, event_window)
        result.event_study, result.pretrend_p = es, pre_p
    return result


def _one_blas_thread():
    """Single-threaded BLAS for the fits: the products are tall and thin (N × k, k ≤ ~40),
    where threads gain little and, on a busy 2-core machine, oversubscription made the
    event study 3× slower in the benchmark."""
    global _CONTROLLER
    if _CONTROLLER is None:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - threadpoolctl comes with statsforecast
            return contextlib.nullcontext()
        _CONTROLLER = ThreadpoolController()
    return _CONTROLLER.limit(limits=1, user_api="blas")


_CONTROLLER = None


# Convergence tolerance of pyfixest's iterative demeaning. Its default (1e-8) stops at a
# point that depends on the (parallel, not order-stable) iteration path: the same panel gave
# estimates differing at ~1e-10 from run to run, so metrics.json was not reproducible. At
# 1e-13 the demeaned values are exact to ~1e-14 and repeated runs agree to the last digit
# that metrics.json keeps (10 decimals).
FIXEF_TOL = 1e-13


def _feols(fml: str, df: pd.DataFrame):
    import pyfixest as pf

    with warnings.catch_warnings(), _one_blas_thread():
        warnings.simplefilter("ignore")
        return pf.feols(
            fml, df, vcov={"CRV1": _C}, fixef_rm="none", copy_data=False, store_data=False,
            fixef_tol=FIXEF_TOL,
        )


def _did_twfe(df, covariates, alpha, excluded, cells, baseline) -> DidResult:
    rhs = " + ".join([_D, *covariates])
    data = pd.DataFrame({_Y: df[_Y].to_numpy(), _D: df[_D].to_numpy(dtype=np.float64),
                         _U: df["_unit_code"].to_numpy(), _T: df["_pos"].to_numpy(),
                         _C: df[_C].to_numpy(), **{c: df[c].to_numpy() for c in covariates}})
    fit = _feols(f"{_Y} ~ {rhs} | {_U} + {_T}", data)
    tidy = fit.tidy(alpha=alpha)
    row = tidy.loc[_D]
    return DidResult(
        estimate=float(row["Estimate"]),
        se=float(row["Std. Error"]),
        ci_low=float(row.iloc[4]),
        ci_high=float(row.iloc[5]),
        p_value=float(row["Pr(>|t|)"]),
        n_units=int(df[_U].nunique()),
        n_treated=int(df.loc[df[_G] == 1, _U].nunique()),
        n_obs=int(fit._N),
        event_study=None,
        pretrend_p=None,
        method="did_twfe",
        alpha=alpha,
        n_clusters=int(df[_C].nunique()),
        baseline=baseline,
        cell_means=cells,
        excluded=excluded,
    )


def _event_study(df, start_pos, covariates, alpha, window):
    rel = np.where(df[_G].to_numpy() == 1, df["_pos"].to_numpy() - start_pos, -1)
    if window is not None:
        lo, hi = int(window[0]), int(window[1])
        if not lo <= -1 <= hi:
            raise ValueError(f"brand.did: event_window {window!r} must contain -1 (the reference)")
        rel = np.clip(rel, lo, hi)
    ks = sorted(k for k in np.unique(rel) if k != -1)
    names = {k: (f"_ev_m{-k}" if k < 0 else f"_ev_p{k}") for k in ks}
    dummies = (rel[:, None] == np.asarray(ks)[None, :]).astype(np.float64)
    data = pd.DataFrame(dummies, columns=list(names.values()))
    data[_Y] = df[_Y].to_numpy()
    data[_U] = df["_unit_code"].to_numpy()
    data[_T] = df["_pos"].to_numpy()
    data[_C] = df[_C].to_numpy()
    for c in covariates:
        data[c] = df[c].to_numpy()
    fit = _feols(f"{_Y} ~ {' + '.join([*names.values(), *covariates])} | {_U} + {_T}", data)
    tidy = fit.tidy(alpha=alpha)
    rows = [{"rel_time": -1, "estimate": 0.0, "se": 0.0, "ci_low": 0.0, "ci_high": 0.0}]
    for k in ks:
        if names[k] in tidy.index:
            r = tidy.loc[names[k]]
            rows.append(
                {
                    "rel_time": k,
                    "estimate": float(r["Estimate"]),
                    "se": float(r["Std. Error"]),
                    "ci_low": float(r.iloc[4]),
                    "ci_high": float(r.iloc[5]),
                }
            )
    es = pd.DataFrame(rows).sort_values("rel_time", ignore_index=True)
    n_rel = pd.Series(rel[df[_G].to_numpy() == 1]).value_counts()
    es["n_obs_treated"] = es["rel_time"].map(n_rel).fillna(0).astype(int)

    coefnames = list(fit._coefnames)
    leads = [i for i, c in enumerate(coefnames) if c.startswith("_ev_m") and int(c[5:]) >= 2]
    pre_p = float("nan")
    if leads:
        b = np.asarray(fit._beta_hat)[leads]
        v = np.asarray(fit._vcov)[np.ix_(leads, leads)]
        w = float(b @ np.linalg.pinv(v) @ b)
        m = len(leads)
        treated_c = df.loc[df[_G] == 1, _C].unique()
        g1 = min(len(treated_c), int(df[_C].nunique()) - len(treated_c))
        if g1 > m:
            pre_p = float(stats.f.sf(w * (g1 - m) / (m * (g1 - 1)), m, g1 - m))
    return es, pre_p


def _did_cross_sections(df, covariates, alpha, excluded, cells, baseline) -> DidResult:
    """OLS y ~ 1 + treated + period dummies + D (+ covariates), HC1 SE."""
    import statsmodels.api as sm

    period_dummies = pd.get_dummies(df["_pos"], prefix="_p", drop_first=True, dtype=float)
    x = pd.concat(
        [pd.Series(1.0, index=df.index, name="const"), df[[_G]].astype(float), period_dummies,
         df[[_D]].astype(float), df[covariates].astype(float)],
        axis=1,
    )
    fit = sm.OLS(df[_Y].to_numpy(), x).fit(cov_type="HC1")
    est, se = float(fit.params[_D]), float(fit.bse[_D])
    dof = int(fit.df_resid)
    tq = stats.t.ppf(1 - alpha / 2, dof)
    p = float(2 * stats.t.sf(abs(est / se), dof))
    return DidResult(
        estimate=est,
        se=se,
        ci_low=est - tq * se,
        ci_high=est + tq * se,
        p_value=p,
        n_units=len(df),
        n_treated=int(df[_G].sum()),
        n_obs=len(df),
        event_study=None,
        pretrend_p=None,
        method="did_2x2_ols_hc1",
        alpha=alpha,
        n_clusters=None,
        baseline=baseline,
        cell_means=cells,
        excluded=excluded,
    )


def twfe_residuals(panel: pd.DataFrame, unit: str, time: str, outcome: str, treated, start):
    """The TWFE fit ``y ~ D | unit + time`` of :func:`did` on a complete panel (no missing
    values): ``(β̂, residuals, D, treated)`` as arrays aligned with ``panel``'s rows (``D`` =
    treated and from ``start``; ``treated`` = the unit is treated). For power simulations
    (:func:`lean_analysis.brand.power.simulate_power_did`)."""
    flag = treated_units(panel, unit, treated, "brand.twfe_residuals").to_numpy(dtype=bool)
    pos, start_pos, _ = period_positions(panel[time], start)
    d = (flag & (np.asarray(pos) >= start_pos)).astype(np.float64)
    data = pd.DataFrame({_Y: panel[outcome].to_numpy(dtype=float), _D: d,
                         _U: pd.factorize(panel[unit])[0], _T: np.asarray(pos),
                         _C: pd.factorize(panel[unit])[0]})
    fit = _feols(f"{_Y} ~ {_D} | {_U} + {_T}", data)
    beta = float(fit.coef()[_D])
    resid = np.asarray(fit.resid(), dtype=float)
    return beta, resid, d, flag
