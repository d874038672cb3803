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
    """Probability that the population value is at least ``target``:
    ``Φ((estimate − target) / se)``, the normal approximation of the estimate's sampling
    distribution read as a posterior under a flat prior. Example: estimate 91, SE 1, target
    90 → Φ(1) = 0.841 (test_survey_compare)."""
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

    The target is converted to the figure's unit (a share 0–1 ↔ a 0–100 scale: 0.90 share =
    90 index). ``status`` compares the point estimate ("met" / "not_met");
    ``prob_meeting`` = :func:`prob_at_least` for ``>=``/``>`` (1 − it for ``<=``/``<``);
    ``interval`` says where the confidence interval lies: "above", "below" or "straddles"
    the target. Example: index 91.0, SE 1.0 against 90 → met, prob 0.841, interval
    [89.04, 92.96] straddles (test_survey_compare).
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

    Example: means 80 and 83 with SEs 1.2 and 1.6 → Δ = 3, SE = 2, z = 1.5, p = 0.134.
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
    """:func:`wave_change` for several variables (those in ``shares`` as shares): one row
    per variable with ``variable`` and the fields of :class:`Change`."""
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

    ``compare="rest"``: each segment against all other respondents; ``"pairs"``: every pair
    of segments. Each difference of domain means ``ȳ_a − ȳ_b`` gets its design SE from the
    difference of the two domains' influence values in the same design (so their covariance
    through shared strata is accounted for; Lumley 2010 §2.4), a two-sided normal p-value,
    and ``p_adjusted`` by ``correction`` ("holm" = Holm 1979, "fdr_bh" = Benjamini–Hochberg
    1995; statsmodels ``multipletests``) over all rows. ``significant`` = p_adjusted < alpha.
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
    ``(1 − B_m) v_m + B_m² V(μ̂)`` with ``V(μ̂) = 1 / Σ 1/(v_m + τ̂²)`` (τ̂² plugged in;
    Efron & Morris 1975, Morris 1983). With τ̂² = 0 every unit is pulled fully to μ̂ and
    the units are indistinguishable (equal rank).
    Returns dict of arrays: shrunk, post_se, B, and scalars mu, tau2.

    Example: y = (60, 80, 100), v = (100, 100, 100) → Σ(y − ȳ)² = 800, τ̂² = (800 −
    200)/2 = 300, B = 0.25, shrunk = (65, 80, 95), posterior SD sqrt(75 + 0.25² · 400/3)
    (test_survey_compare).
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
    pulled most towards the mean. Ranked by the shrunk value (1 = best); ``rank_raw`` for
    comparison. Rows with a missing ``var`` are excluded and counted in ``n_missing``.
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
