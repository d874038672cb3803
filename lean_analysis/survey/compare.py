"""Comparisons: waves, segments (with a multiple-testing correction), managers (shrunk)."""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests

from lean_analysis import targets
from lean_analysis.survey.design import (
    Design,
    DesignEstimate,
    _as_list,
    _bool_column,
    _column,
    _domains,
    _quantile,
    design_mean,
    design_share,
)

__all__ = [
    "Change",
    "wave_change",
    "segment_differences",
    "eb_shrink",
    "manager_league",
    "prob_at_least",
    "target_comparison",
    "wave_changes",
]


@dataclass
class Change:
    """Difference between two independent samples (waves): ``wave − prev_wave``."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float
    prev: float
    curr: float
    prev_wave: str
    wave: str
    n_prev: int
    n_curr: int
    level: float = 0.95

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def prob_at_least(estimate: float, se: float, target: float) -> float:
    """Probability that the population value is at least ``target``.

    ``Φ((estimate − target) / se)``: the normal approximation of the estimate's sampling
    distribution read as a posterior under a flat prior. Without a positive SE, 1 or 0.

    Parameters
    ----------
    estimate, se : float
        The estimate and its standard error.
    target : float
        The value to reach.

    Returns
    -------
    float
        The probability (NaN for a missing estimate without SE).

    Examples
    --------
    >>> round(prob_at_least(91.0, 1.0, 90.0), 4)
    0.8413
    """
    if not se > 0:
        return float(estimate >= target) if np.isfinite(estimate) else math.nan
    return float(stats.norm.cdf((estimate - target) / se))


def target_comparison(
    estimate: DesignEstimate,
    target: float,
    direction: str = ">=",
    figure_unit: str = "index",
    target_unit: str = "index",
) -> dict:
    """An estimate against a target (e.g. satisfaction index ≥ 90).

    The target is converted to the figure's unit (:func:`lean_analysis.targets.convert`:
    a share 0–1 ↔ a 0–100 scale, 0.90 share = 90 index). ``status``
    (:func:`lean_analysis.targets.status`) compares the point estimate ("met" /
    "not_met"); ``prob_meeting`` is :func:`prob_at_least` for ``>=``/``>`` (1 − it for
    ``<=``/``<``); ``interval`` says where the confidence interval lies: "above", "below"
    or "straddles" the target.

    Parameters
    ----------
    estimate : DesignEstimate
        The figure (estimate, se, ci_low, ci_high).
    target : float
        The target in ``target_unit``.
    direction : {">=", ">", "<=", "<"}, default ">="
        The comparison that counts as met.
    figure_unit, target_unit : str, default "index"
        Units of the figure and of the target; units that do not convert raise
        ``ValueError``.

    Returns
    -------
    dict
        ``actual``, ``ci_low``, ``ci_high``, ``target`` (in the figure's unit),
        ``direction``, ``unit``, ``status``, ``prob_meeting``, ``interval``.

    Examples
    --------
    >>> est = DesignEstimate(91.0, 1.0, 89.04, 92.96, n=400, deff=1.0, df=390)
    >>> cmp = target_comparison(est, 0.9, ">=", "index", "share")
    >>> cmp["target"], cmp["status"], round(cmp["prob_meeting"], 3), cmp["interval"]
    (90.0, 'met', 0.841, 'straddles')
    """
    try:
        tv = float(targets.convert(float(target), target_unit, figure_unit))
    except ValueError:
        raise ValueError(f"cannot compare a figure in {figure_unit!r} with a target in "
                         f"{target_unit!r}") from None
    if direction not in (">=", ">", "<=", "<"):
        raise ValueError(f"direction must be >=, >, <= or <, not {direction!r}")
    est = estimate.estimate
    up = direction in (">=", ">")
    p = prob_at_least(est, estimate.se, tv)
    status = targets.status(est if np.isfinite(est) else None, tv, direction)
    where = targets.compare_interval(tv, (estimate.ci_low, estimate.ci_high))
    return {"actual": est, "ci_low": estimate.ci_low, "ci_high": estimate.ci_high,
            "target": tv, "direction": direction, "unit": figure_unit, "status": status,
            "prob_meeting": p if up else 1 - p, "interval": where}


def wave_change(
    df: pd.DataFrame,
    var: str,
    prev_wave: str,
    wave: str,
    wave_col: str = "wave",
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    stat: str = "mean",
    level: float = 0.95,
    lonely_psu: str = "fail",
) -> Change:
    """Change of a design-based mean (or share) between two waves.

    Each wave is its own sample with its own design (weights and fpc of that wave), the
    two taken as independent: ``Δ = ȳ_wave − ȳ_prev``, ``SE(Δ) = sqrt(SE_wave² + SE_prev²)``,
    ``z = Δ/SE``, two-sided normal p-value, normal interval. If the same customers answer
    both waves their answers correlate positively, so this SE is conservative (too large).

    Parameters
    ----------
    df : DataFrame
        The respondents of both waves (at least).
    var : str
        The column to compare.
    prev_wave, wave : str
        The earlier and the later wave.
    wave_col : str, default "wave"
        The column naming each row's wave.
    weight, strata, psu, fpc : str, optional
        The design's columns, as in :func:`~lean_analysis.survey.design.design_mean`.
    stat : {"mean", "share"}, default "mean"
        :func:`design_mean` or :func:`design_share` per wave.
    level : float, default 0.95
        Confidence level of the interval.
    lonely_psu : {"fail", "remove", "adjust"}, default "fail"
        A stratum with one PSU (:class:`~lean_analysis.survey.design.Design`).

    Returns
    -------
    Change
        ``estimate`` (Δ), ``se``, ``ci_low``, ``ci_high``, ``z``, ``p_value``, ``prev``,
        ``curr``, the waves, ``n_prev``, ``n_curr``, ``level``.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, §2.4.

    Examples
    --------
    Means 80 and 90, each with SE ``sqrt(200/3)/2`` (four equally weighted answers):

    >>> df = pd.DataFrame({"wave": ["2026-04"] * 4 + ["2026-10"] * 4,
    ...                    "y": [70, 80, 90, 80, 80, 90, 100, 90],
    ...                    "ok": [0, 1, 1, 0, 1, 1, 1, 0]})
    >>> c = wave_change(df, "y", "2026-04", "2026-10")
    >>> c.estimate, round(c.se, 4), round(c.p_value, 4)
    (10.0, 5.7735, 0.0833)
    """
    if stat not in ("mean", "share"):
        raise ValueError(f"stat must be 'mean' or 'share', not {stat!r}")
    if wave_col not in df.columns:
        raise KeyError(f"survey: no column {wave_col!r}")
    est = []
    for w in (prev_wave, wave):
        sub = df[df[wave_col].astype(str) == str(w)]
        if sub.empty:
            raise ValueError(f"survey.{wave_col}: no responses in wave {w!r}")
        d = Design(sub, weight=weight, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu)
        est.append(design_share(d, var) if stat == "share" else design_mean(d, var))
    a, b = est
    diff = b.estimate - a.estimate
    se = math.sqrt(a.se**2 + b.se**2)
    z = diff / se if se > 0 else math.nan
    p = float(2 * stats.norm.sf(abs(z))) if se > 0 else math.nan
    q = _quantile(level, None)
    return Change(diff, se, diff - q * se, diff + q * se, z, p, a.estimate, b.estimate,
                  str(prev_wave), str(wave), a.n, b.n, level)


def wave_changes(
    df: pd.DataFrame,
    vars: Sequence[str],
    prev_wave: str,
    wave: str,
    shares: Sequence[str] = ("satisfied",),
    wave_col: str = "wave",
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    level: float = 0.95,
    lonely_psu: str = "fail",
) -> pd.DataFrame:
    """:func:`wave_change` for several variables.

    Parameters
    ----------
    df : DataFrame
        The respondents of both waves.
    vars : list of str
        The columns to compare.
    prev_wave, wave : str
        The earlier and the later wave.
    shares : list of str, default ("satisfied",)
        The variables compared as shares (the others as means).
    wave_col : str, default "wave"
        The column naming each row's wave.
    weight, strata, psu, fpc : str, optional
        The design's columns, as in :func:`~lean_analysis.survey.design.design_mean`.
    level : float, default 0.95
        Confidence level of the intervals.
    lonely_psu : {"fail", "remove", "adjust"}, default "fail"
        A stratum with one PSU.

    Returns
    -------
    DataFrame
        One row per variable: ``variable`` and the fields of :class:`Change`.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, §2.4.

    Examples
    --------
    >>> df = pd.DataFrame({"wave": ["2026-04"] * 4 + ["2026-10"] * 4,
    ...                    "y": [70, 80, 90, 80, 80, 90, 100, 90],
    ...                    "ok": [0, 1, 1, 0, 1, 1, 1, 0]})
    >>> ch = wave_changes(df, ["y", "ok"], "2026-04", "2026-10", shares=["ok"])
    >>> ch[["variable", "estimate", "se"]].round(4).values.tolist()
    [['y', 10.0, 5.7735], ['ok', 0.25, 0.3819]]
    """
    rows = []
    for v in _as_list(vars):
        c = wave_change(df, v, prev_wave, wave, wave_col=wave_col, weight=weight, strata=strata,
                        psu=psu, fpc=fpc, stat="share" if v in set(shares) else "mean",
                        level=level, lonely_psu=lonely_psu)
        rows.append({"variable": v, **asdict(c)})
    return pd.DataFrame(rows)


def segment_differences(
    data: pd.DataFrame | Design,
    var: str,
    by: str | Sequence[str],
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    compare: str = "rest",
    correction: str = "holm",
    alpha: float = 0.05,
    stat: str = "mean",
    level: float = 0.95,
    lonely_psu: str = "fail",
) -> pd.DataFrame:
    """Differences between segments of one sample with a multiple-testing correction.

    Each difference of domain means ``ȳ_a − ȳ_b`` gets its design SE from the difference
    of the two domains' influence values in the same design (so their covariance through
    shared strata is accounted for; Lumley 2010 §2.4), a two-sided normal p-value, and
    ``p_adjusted`` by ``correction`` over all rows (statsmodels ``multipletests``).

    Parameters
    ----------
    data : DataFrame or Design
        The respondents or their :class:`~lean_analysis.survey.design.Design`.
    var : str
        The column to compare.
    by : str or list of str
        The segment column(s).
    weight, strata, psu, fpc : str, optional
        The design's columns, as in :func:`~lean_analysis.survey.design.design_mean`.
    compare : {"rest", "pairs"}, default "rest"
        Each segment against all other respondents, or every pair of segments.
    correction : str, default "holm"
        A ``multipletests`` method: "holm" (Holm 1979), "fdr_bh" (Benjamini–Hochberg
        1995), "bonferroni", …
    alpha : float, default 0.05
        ``significant`` = ``p_adjusted < alpha``.
    stat : {"mean", "share"}, default "mean"
        Means, or shares of a 0/1 column.
    level : float, default 0.95
        Confidence level of the intervals (normal).
    lonely_psu : {"fail", "remove", "adjust"}, default "fail"
        A stratum with one PSU.

    Returns
    -------
    DataFrame
        segment, versus ("(rest)" or the other segment), estimate_a, estimate_b,
        difference, se, ci_low, ci_high, z, p_value, n_a, n_b, p_adjusted, significant;
        ``attrs["correction"]``.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, §2.4.
    Holm, S. (1979). A simple sequentially rejective multiple test procedure.
    *Scandinavian J. Statistics* 6, 65–70.
    Benjamini, Y. & Hochberg, Y. (1995). Controlling the false discovery rate: a practical
    and powerful approach to multiple testing. *J. Royal Statistical Society B* 57,
    289–300.

    Examples
    --------
    >>> df = pd.DataFrame({"stratum": ["A", "A", "B", "B", "B"], "y": [1, 3, 4, 6, 8],
    ...                    "segment": ["x", "y", "x", "y", "y"], "N": [4, 4, 6, 6, 6]})
    >>> d = segment_differences(df, "y", "segment", strata="stratum", fpc="N")
    >>> d[["segment", "difference", "p_value", "p_adjusted"]].round(4).values.tolist()
    [['x', -3.1667, 0.0337, 0.0674], ['y', 3.1667, 0.0337, 0.0674]]
    """
    if compare not in ("rest", "pairs"):
        raise ValueError(f"compare must be 'rest' or 'pairs', not {compare!r}")
    d = data if isinstance(data, Design) else Design(
        data, weight=weight, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu)
    by_cols = _as_list(by)
    levels, a = _domains(d, by_cols)
    labels = levels.astype(str).agg("/".join, axis=1).tolist()
    y = _bool_column(d, var) if stat == "share" else _column(d, var)
    if compare == "rest":
        pairs: list[tuple[int, int | None]] = [(k, None) for k in range(len(labels))]
    else:
        pairs = list(itertools.combinations(range(len(labels)), 2))
    if not pairs:
        return pd.DataFrame()
    parts = {"ea": [], "eb": [], "se": [], "na": [], "nb": []}
    chunk = 32  # pairs at a time: memory n × 2·chunk
    for start in range(0, len(pairs), chunk):
        cols = []
        for i, j in pairs[start:start + chunk]:
            cols += [a[:, i], ~a[:, i] if j is None else a[:, j]]
        dom = np.column_stack(cols)
        r, z = d.means(np.broadcast_to(y[:, None], dom.shape), dom)
        parts["se"].append(np.sqrt(d.variance(z[:, 0::2] - z[:, 1::2])))
        parts["ea"].append(r["estimate"][0::2])
        parts["eb"].append(r["estimate"][1::2])
        parts["na"].append(r["n"][0::2])
        parts["nb"].append(r["n"][1::2])
    ea, eb, se = (np.concatenate(parts[k]) for k in ("ea", "eb", "se"))
    diff = ea - eb
    with np.errstate(invalid="ignore", divide="ignore"):
        zs = diff / se
    p = 2 * stats.norm.sf(np.abs(zs))
    q = _quantile(level, None)
    out = pd.DataFrame({
        "segment": [labels[i] for i, _ in pairs],
        "versus": ["(rest)" if j is None else labels[j] for _, j in pairs],
        "estimate_a": ea, "estimate_b": eb,
        "difference": diff, "se": se, "ci_low": diff - q * se, "ci_high": diff + q * se,
        "z": zs, "p_value": p, "n_a": np.concatenate(parts["na"]),
        "n_b": np.concatenate(parts["nb"]),
    })
    ok = np.isfinite(out["p_value"].to_numpy())
    adj = np.full(len(out), np.nan)
    if ok.any():
        adj[ok] = multipletests(out["p_value"].to_numpy()[ok], alpha=alpha, method=correction)[1]
    out["p_adjusted"] = adj
    out["significant"] = out["p_adjusted"] < alpha
    out.attrs["correction"] = correction
    return out


def eb_shrink(estimates: np.ndarray | pd.Series, variances: np.ndarray | pd.Series) -> dict:
    """Empirical-Bayes (normal–normal) shrinkage of unit means towards the overall mean.

    Model: ``y_m ~ N(θ_m, v_m)`` with known sampling variance ``v_m`` and ``θ_m ~ N(μ, τ²)``.
    Between-unit variance by the method of moments (unweighted): since
    ``E Σ_m (y_m − ȳ)² = (M − 1) τ² + (1 − 1/M) Σ_m v_m``,
    ``τ̂² = max(0, [Σ_m (y_m − ȳ)² − (1 − 1/M) Σ_m v_m] / (M − 1))``.
    ``μ̂ = Σ y_m / (v_m + τ̂²) / Σ 1 / (v_m + τ̂²)``; shrinkage ``B_m = v_m / (v_m + τ̂²)``;
    posterior mean ``θ̂_m = μ̂ + (1 − B_m)(y_m − μ̂)``, posterior variance
    ``(1 − B_m) v_m + B_m² V(μ̂)`` with ``V(μ̂) = 1 / Σ 1/(v_m + τ̂²)`` (τ̂² plugged in).
    With τ̂² = 0 every unit is pulled fully to μ̂ and the units are indistinguishable.

    Parameters
    ----------
    estimates : array
        The unit means ``y_m`` (at least 3, finite).
    variances : array
        Their sampling variances ``v_m`` (finite, ≥ 0).

    Returns
    -------
    dict
        Arrays ``shrunk``, ``post_se``, ``B`` and scalars ``mu``, ``tau2``.

    References
    ----------
    Efron, B. & Morris, C. (1975). Data analysis using Stein's estimator and its
    generalizations. *J. American Statistical Association* 70, 311–319.
    Morris, C. N. (1983). Parametric empirical Bayes inference: theory and applications.
    *J. American Statistical Association* 78, 47–55.

    Examples
    --------
    ``Σ(y − ȳ)² = 800``, ``τ̂² = (800 − 200)/2 = 300``, ``B = 100/400 = 0.25``:

    >>> eb = eb_shrink(np.array([60.0, 80.0, 100.0]), np.array([100.0, 100.0, 100.0]))
    >>> eb["shrunk"].tolist(), float(eb["tau2"]), eb["B"].tolist()
    ([65.0, 80.0, 95.0], 300.0, [0.25, 0.25, 0.25])
    >>> round(float(eb["post_se"][0]), 4)  # sqrt(75 + 0.25² · 400/3)
    9.1287
    """
    y = np.asarray(estimates, dtype=float)
    v = np.asarray(variances, dtype=float)
    if y.shape != v.shape or y.ndim != 1:
        raise ValueError("estimates and variances must be 1-d arrays of one length")
    if np.any(~np.isfinite(y)) or np.any(~np.isfinite(v)) or np.any(v < 0):
        raise ValueError("eb_shrink: estimates must be finite and variances finite and ≥ 0")
    m = len(y)
    if m < 3:
        raise ValueError(f"eb_shrink: needs at least 3 units to estimate τ², got {m}")
    ss = float(((y - y.mean()) ** 2).sum())
    tau2 = max(0.0, (ss - (1 - 1 / m) * v.sum()) / (m - 1))
    if tau2 == 0.0 and not np.all(v > 0):
        raise ValueError("eb_shrink: τ̂² = 0 and a unit has zero sampling variance")
    prec = 1 / (v + tau2)
    mu = float((prec * y).sum() / prec.sum())
    var_mu = float(1 / prec.sum())
    b = v * prec
    shrunk = mu + (1 - b) * (y - mu)
    post_var = (1 - b) * v + b**2 * var_mu
    return {"shrunk": shrunk, "post_se": np.sqrt(post_var), "B": b, "mu": mu, "tau2": tau2}


def manager_league(
    df: pd.DataFrame,
    var: str,
    manager: str = "manager_id",
    weight: str | None = None,
    level: float = 0.95,
) -> pd.DataFrame:
    """A league table of managers on ``var`` (e.g. the respondent index), shrunk by EB.

    Raw mean per manager ``y_m`` (``weight``-weighted if given); sampling variance
    ``v_m = s² / n*_m`` with the pooled within-manager variance
    ``s² = Σ_m Σ_i w_i (y_i − y_m)² / Σ w × N/(N − M)`` and Kish's effective size
    ``n*_m = (Σ w)² / Σ w²`` (= n_m unweighted), pooled because a manager's own variance
    on three answers is itself noise. Then :func:`eb_shrink`: managers with few answers are
    pulled most towards the mean. Rows with a missing ``var`` are excluded and counted.

    Parameters
    ----------
    df : DataFrame
        One row per respondent.
    var : str
        The column to rank on.
    manager : str, default "manager_id"
        The manager column (missing values are an error).
    weight : str, optional
        Column of weights.
    level : float, default 0.95
        Confidence level of the posterior intervals (normal).

    Returns
    -------
    DataFrame
        Ranked by the shrunk value (1 = best): manager, n, n_missing, raw_mean, raw_se,
        shrunk, post_se, shrinkage, ci_low, ci_high, rank, rank_raw; ``attrs`` mu, tau2,
        s2.

    References
    ----------
    Morris, C. N. (1983). *J. American Statistical Association* 78, 47–55.
    Kish, L. (1965). *Survey Sampling*. Wiley (effective sample size).

    Examples
    --------
    Within-manager variance 25 on 3 answers each (``v = 25/3``), ``τ̂² = (200 − ⅔ · 25)/2``:

    >>> df = pd.DataFrame({"manager_id": list("aaabbbccc"),
    ...                    "index": [80, 85, 90, 70, 75, 80, 90, 95, 100]})
    >>> lg = manager_league(df, "index")
    >>> lg[["manager_id", "raw_mean", "rank"]].values.tolist()
    [['c', 95.0, 1], ['a', 85.0, 2], ['b', 75.0, 3]]
    >>> round(float(lg.attrs["tau2"]), 3), lg["shrunk"].round(3).tolist()
    (91.667, [94.167, 85.0, 75.833])
    """
    for c in [var, manager] + ([weight] if weight else []):
        if c not in df.columns:
            raise KeyError(f"survey: no column {c!r}")
    bad = df[manager].isna()
    if bad.any():
        rows = df.index[bad.to_numpy()][:5].tolist()
        raise ValueError(f"survey.{manager}: missing value(s) (rows {rows}); rule: every "
                         "respondent has a manager")
    y = pd.to_numeric(df[var], errors="coerce")
    w = pd.to_numeric(df[weight], errors="coerce") if weight else pd.Series(1.0, index=df.index)
    ok = y.notna()
    n_missing = (~ok).groupby(df[manager]).sum()
    d = pd.DataFrame({"m": df[manager][ok], "y": y[ok], "w": w[ok]})
    d["wy"] = d["w"] * d["y"]
    d["w2"] = d["w"] ** 2
    g = d.groupby("m", sort=True)
    sw, swy, sw2, n = g["w"].sum(), g["wy"].sum(), g["w2"].sum(), g.size()
    mean = swy / sw
    resid2 = d["w"] * (d["y"] - d["m"].map(mean)) ** 2
    big_n, m = len(d), len(mean)
    if big_n <= m:
        raise ValueError("manager_league: needs more answers than managers")
    s2 = float(resid2.sum() / d["w"].sum() * big_n / (big_n - m))
    n_eff = sw**2 / sw2
    v = s2 / n_eff
    eb = eb_shrink(mean.to_numpy(), v.to_numpy())
    q = _quantile(level, None)
    out = pd.DataFrame({
        manager: mean.index, "n": n.to_numpy(), "n_missing": n_missing.reindex(mean.index)
        .fillna(0).astype(int).to_numpy(), "raw_mean": mean.to_numpy(),
        "raw_se": np.sqrt(v.to_numpy()), "shrunk": eb["shrunk"], "post_se": eb["post_se"],
        "shrinkage": eb["B"],
    })
    out["ci_low"] = out["shrunk"] - q * out["post_se"]
    out["ci_high"] = out["shrunk"] + q * out["post_se"]
    out["rank"] = out["shrunk"].rank(ascending=False, method="min").astype(int)
    out["rank_raw"] = out["raw_mean"].rank(ascending=False, method="min").astype(int)
    out = out.sort_values("rank", kind="stable").reset_index(drop=True)
    out.attrs.update(mu=eb["mu"], tau2=eb["tau2"], s2=s2)
    return out
