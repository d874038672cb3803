"""True demand behind capped orders: a right-censored, zero-truncated negative binomial.

An order at the cap says only that demand ≥ cap. Per rationed specification the weekly demand
of a line is modelled as negative binomial (NB2) with mean μ_t = exp(β0 + β1 z + β2 z²),
z = (tier − 15) / 10, and dispersion α (variance μ + α μ²), observed only when ≥ 1 (order
lines exist only where there is demand) and right-censored at the cap:

- exact lines (recorded demand present and not equal to a cap that was reached, or an order
  below the cap when demand is missing) contribute log P(D = y) − log P(D ≥ 1);
- censored lines (recorded demand missing or equal to the cap, order at the cap) contribute
  log P(D ≥ cap) − log P(D ≥ 1).

This is the count-data analogue of the Tobit model (Tobin 1958; Cameron & Trivedi,
*Regression Analysis of Count Data*, 2nd ed., 2013, §4.3 on censored and truncated counts).
The likelihood is written with ``scipy.special`` (log-gamma and the regularised incomplete
beta function: P(D ≥ c) = I_{1−p}(c, n)) and maximised by scipy BFGS (Nelder–Mead when BFGS
stops short), on lines grouped to distinct (tier, value, censored) with frequency weights;
:class:`NBTierModel` wraps the same likelihood for statsmodels' standard errors.
The demand estimate of a censored line is E[D | D ≥ cap] under the fitted model; of an exact
line, its value.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats
from scipy.optimize import minimize
from scipy.special import betainc, digamma, gammaln
from statsmodels.base.model import GenericLikelihoodModel
from statsmodels.duration.survfunc import SurvfuncRight

from lean_analysis.data import Tables
from lean_analysis.placement import _lines as L

__all__ = ["Uncensored", "uncensor", "censoring", "NBTierModel", "fit_nb", "fit_nb_many"]

Z_CENTRE, Z_SCALE = 15.0, 10.0


def _design(tier) -> np.ndarray:
    z = (np.asarray(tier, dtype=float) - Z_CENTRE) / Z_SCALE
    return np.column_stack([np.ones_like(z), z, z * z])


def _alpha(gamma, tier) -> np.ndarray:
    z = (np.asarray(tier, dtype=float) - Z_CENTRE) / Z_SCALE
    return np.exp(np.clip(gamma[0] + gamma[1] * z, -10, 10))


def _nb(mu, alpha):
    n = 1.0 / alpha
    return stats.nbinom(n, n / (n + mu))


def _nb_logpmf(y, n, logp, log1mp):
    """log P(D = y) of NB(n, p) (failures before the n-th success), p = n / (n + μ)."""
    return gammaln(y + n) - gammaln(n) - gammaln(y + 1.0) + n * logp + y * log1mp


def _nb_logsf_ge(c, n, p):
    """log P(D ≥ c) = log I_{1−p}(c, n) (regularised incomplete beta), c ≥ 1."""
    return np.log(np.maximum(betainc(c, n, 1.0 - p), 1e-300))


def _nll(params, y, tier_z, censored, weight):
    """Weighted negative log-likelihood of the zero-truncated, right-censored NB2 (vectorised
    with scipy.special: a frozen ``scipy.stats.nbinom`` per evaluation cost ~2 ms, this ~50 µs)."""
    beta, gamma = params[:3], params[3:5]
    eta = np.clip(beta[0] + beta[1] * tier_z + beta[2] * tier_z * tier_z, -20, 20)
    mu = np.exp(eta)
    alpha = np.exp(np.clip(gamma[0] + gamma[1] * tier_z, -10, 10))
    n = 1.0 / alpha
    logp = -np.log1p(mu * alpha)           # log(n / (n + μ))
    log1mp = np.log(mu * alpha) + logp     # log(μ / (n + μ))
    p = np.exp(logp)
    ll = np.where(censored, _nb_logsf_ge(np.maximum(y, 1.0), n, p), _nb_logpmf(y, n, logp, log1mp))
    ll0 = np.log(np.maximum(-np.expm1(n * logp), 1e-300))  # log P(D ≥ 1)
    return -float(np.sum(weight * (ll - ll0)))


def _terms(params, y, tier_z, censored, weight, lgy1=None, lgn=None, dgn=None):
    """Per line: the weighted log-likelihood and its weighted derivatives in η (log mean) and
    log α, which give :func:`_nll_grad`; ``params`` five numbers or a (5, lines) array (a
    parameter vector per line: several specifications in one evaluation); ``lgy1``
    optionally log Γ(y + 1) per line (it does not change between evaluations), ``lgn`` and
    ``dgn`` optionally log Γ(n) and ψ(n) per line (n depends on the tier only: a caller
    with many lines per tier computes them once per tier).

    With n = 1/α, f(j) = P(D = j): ∂log f(y)/∂μ = y/μ − (y+n)/(n+μ), ∂log f(y)/∂n =
    ψ(y+n) − ψ(n) + log(n/(n+μ)) + 1 − (y+n)/(n+μ); a censored line's
    ∂P(D ≥ c) = −Σ_{j<c} f(j) ∂log f(j) (caps are small counts, so the head sum is short;
    along it log Γ(j+n) − log Γ(n) and ψ(j+n) − ψ(n) are running sums of log(n+i) and
    1/(n+i), and P(D ≥ c) = 1 − Σ_{j<c} f(j) where that is > 0.1, the incomplete beta
    function only below); the zero truncation log P(D ≥ 1) = log(1 − f(0)); then
    ∂μ/∂β = μ·x and ∂n/∂γ = −n·(1, z).
    """
    beta, gamma = params[:3], params[3:5]
    z = tier_z
    eta_raw = beta[0] + beta[1] * z + beta[2] * z * z
    la_raw = gamma[0] + gamma[1] * z
    eta = np.clip(eta_raw, -20, 20)
    mu = np.exp(eta)
    alpha = np.exp(np.clip(la_raw, -10, 10))
    n = 1.0 / alpha
    logp = -np.log1p(mu * alpha)
    log1mp = np.log(mu * alpha) + logp
    npm = n + mu
    ll = np.empty_like(y)
    dmu = np.empty_like(y)
    dn = np.empty_like(y)
    ex = ~censored
    ye, ne, me = y[ex], n[ex], mu[ex]
    lgne = gammaln(ne) if lgn is None else lgn[ex]
    dgne = digamma(ne) if dgn is None else dgn[ex]
    lgy1e = gammaln(ye + 1.0) if lgy1 is None else lgy1[ex]
    ll[ex] = gammaln(ye + ne) - lgne - lgy1e + ne * logp[ex] + ye * log1mp[ex]
    dmu[ex] = ye / me - (ye + ne) / npm[ex]
    dn[ex] = digamma(ye + ne) - dgne + logp[ex] + 1 - (ye + ne) / npm[ex]
    if censored.any():
        c = np.maximum(y[censored], 1.0)
        nc, mc, lpc, l1c, npc = n[censored], mu[censored], logp[censored], log1mp[censored], npm[censored]
        cm = int(c.max())
        j = np.arange(cm, dtype=float)[None, :]
        ncol = nc[:, None]
        zero = np.zeros((len(c), 1))
        steps = ncol + j[:, :-1]                                    # n + i, i < cm − 1
        lg = np.concatenate([zero, np.cumsum(np.log(steps), axis=1)], axis=1)  # logΓ(j+n) − logΓ(n)
        dg = np.concatenate([zero, np.cumsum(1.0 / steps, axis=1)], axis=1)    # ψ(j+n) − ψ(n)
        head = j < c[:, None]
        lf = lg - gammaln(j + 1.0) + ncol * lpc[:, None] + j * l1c[:, None]
        f = np.where(head, np.exp(lf), 0.0)
        S = 1.0 - f.sum(axis=1)
        small = ~(S > 0.1)
        if small.any():
            S[small] = betainc(c[small], nc[small], 1.0 - np.exp(lpc[small]))
        S = np.maximum(S, 1e-300)
        ll[censored] = np.log(S)
        dlf_mu = j / mc[:, None] - (j + ncol) / npc[:, None]
        dlf_n = dg + lpc[:, None] + 1 - (j + ncol) / npc[:, None]
        dmu[censored] = -(f * dlf_mu).sum(axis=1) / S
        dn[censored] = -(f * dlf_n).sum(axis=1) / S
    f0 = np.exp(n * logp)
    one_m = np.maximum(-np.expm1(n * logp), 1e-300)
    ll0 = np.log(one_m)
    d0mu = -f0 * (-n / npm) / one_m
    d0n = -f0 * (logp + 1 - n / npm) / one_m
    # ∂/∂η and ∂/∂log α; where the clip binds, the likelihood does not move with the
    # parameters: a zero derivative there keeps the gradient that of the function minimised
    gmu = np.where(np.abs(eta_raw) < 20, weight * (dmu - d0mu) * mu, 0.0)
    gn = np.where(np.abs(la_raw) < 10, weight * (dn - d0n) * (-n), 0.0)
    return weight * (ll - ll0), gmu, gn


def _nll_grad(params, y, tier_z, censored, weight):
    """:func:`_nll` and its analytic gradient in the five parameters (see :func:`_terms`)."""
    ll, gmu, gn = _terms(params, y, tier_z, censored, weight)
    z = tier_z
    grad = -np.array([gmu.sum(), (gmu * z).sum(), (gmu * z * z).sum(), gn.sum(), (gn * z).sum()])
    return -float(np.sum(ll)), grad


class NBTierModel(GenericLikelihoodModel):
    """Zero-truncated, right-censored NB2 with log mean quadratic in tier (frequency weights).

    Kept for statsmodels users (``.fit()`` gives the usual results object with standard
    errors); :func:`uncensor` maximises the same likelihood with :func:`fit_nb`.
    """

    def __init__(self, y, tier, censored, weight, **kw):
        exog = _design(tier)
        super().__init__(np.asarray(y, float), exog, **kw)
        self.censored = np.asarray(censored, bool)
        self.weight = np.asarray(weight, float)
        self.exog_names[:] = ["const", "z", "z2"]
        self.nparams = 5

    def nloglikeobs(self, params):
        z = self.exog[:, 1]
        return np.array([_nll(params, self.endog[i:i + 1], z[i:i + 1], self.censored[i:i + 1],
                              self.weight[i:i + 1]) for i in range(len(self.endog))])

    def loglike(self, params):
        return -_nll(params, self.endog, self.exog[:, 1], self.censored, self.weight)

    def fit(self, start_params=None, maxiter=2000, **kw):
        if start_params is None:
            start_params = _start(self.endog, self.weight)
        return super().fit(start_params=start_params, maxiter=maxiter, disp=0, **kw)


def _start(y, w) -> np.ndarray:
    m = np.average(y, weights=w)
    return np.array([np.log(max(m, 0.5)), 0.5, 0.0, 0.0, 0.0])


def fit_nb(y, tier, censored, weight, start=None) -> tuple[np.ndarray, bool]:
    """Maximum-likelihood parameters (const, z, z2, log_alpha, log_alpha_z) of the model of
    the module docstring and whether the optimiser converged: BFGS (scipy) from the mean,
    Nelder–Mead from there when BFGS stops short."""
    y, w = np.asarray(y, float), np.asarray(weight, float)
    z = (np.asarray(tier, float) - Z_CENTRE) / Z_SCALE
    cen = np.asarray(censored, bool)
    scale = max(w.sum(), 1.0)  # the mean log-likelihood: BFGS's tolerances are then relative

    def f(p):
        return _nll(p, y, z, cen, w) / scale

    def fg(p):
        v, g = _nll_grad(p, y, z, cen, w)
        return v / scale, g / scale

    x0 = _start(y, w) if start is None or not np.isfinite(start).all() else np.asarray(start, float)
    res = minimize(fg, x0, jac=True, method="BFGS", options={"gtol": 1e-6, "maxiter": 2000})
    # BFGS may stop on "precision loss" at the optimum: a gradient ≈ 0 of the mean
    # log-likelihood counts as converged
    ok = bool(res.success) or bool(np.isfinite(res.fun) and np.abs(res.jac).max() < 1e-4)
    if not ok:
        res2 = minimize(f, res.x, method="Nelder-Mead",
                        options={"maxiter": 5000, "xatol": 1e-8, "fatol": 1e-12})
        if res2.fun <= res.fun:
            res = res2
        ok = bool(res2.success)
    return np.asarray(res.x, float), ok


def fit_nb_many(groups, starts=None, gtol: float = 1e-6, maxiter: int = 60,
                hess_start: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """:func:`fit_nb` of several independent specifications at once: ``groups`` a list of
    (y, tier, censored, weight); returns the parameters (one row each) and the converged
    flags.

    The likelihoods are evaluated together (their lines concatenated: one :func:`_terms`
    call per step instead of one per specification and step, which is what cost the time)
    and minimised by BFGS per specification in lockstep: the inverse-Hessian update and
    the stopping rule of :func:`fit_nb` (‖∇‖∞ < ``gtol`` of the mean negative log-likelihood),
    a backtracking line search (Armijo); the first inverse Hessian is that of the start
    (``hess_start``; else the identity scaled after the first step as in Nocedal & Wright
    2006, eq. 6.20). A specification that stops short falls back to :func:`fit_nb` from
    where it stopped. ``maxiter`` 60: the few slow specifications are left to that fallback
    sooner (every lockstep step scans all lines); on the county sample the policy backtest
    of notebook 04 took 20.6 s with 400 and 5.8 s with 60, its table identical."""
    B = len(groups)
    if B == 0:
        return np.zeros((0, 5)), np.zeros(0, bool)
    ys = [np.asarray(g[0], float) for g in groups]
    seg = np.repeat(np.arange(B), [len(y) for y in ys])
    y = np.concatenate(ys)
    z = (np.concatenate([np.asarray(g[1], float) for g in groups]) - Z_CENTRE) / Z_SCALE
    cen = np.concatenate([np.asarray(g[2], bool) for g in groups])
    w = np.concatenate([np.asarray(g[3], float) for g in groups])
    scale = np.maximum(np.bincount(seg, weights=w, minlength=B), 1.0)
    zz = np.column_stack([np.ones_like(z), z, z * z])
    lgy1 = gammaln(y + 1.0)
    # log Γ(n), ψ(n) once per (specification, tier): n = 1/α depends on the tier only
    key = seg * 1000 + np.round(z * Z_SCALE + Z_CENTRE).astype(int)
    ukey, u = np.unique(key, return_inverse=True)
    useg, uz = ukey // 1000, (ukey % 1000 - Z_CENTRE) / Z_SCALE

    def evaluate(X, which):
        rows = which[seg]
        sg = seg[rows]
        nu = 1.0 / np.exp(np.clip(X[useg, 3] + X[useg, 4] * uz, -10, 10))
        ur = u[rows]
        ll, gmu, gn = _terms(X[sg].T, y[rows], z[rows], cen[rows], w[rows], lgy1[rows],
                             gammaln(nu)[ur], digamma(nu)[ur])
        f = np.full(B, np.nan)
        g = np.full((B, 5), np.nan)
        f[which] = -np.bincount(sg, weights=ll, minlength=B)[which]
        for c in range(3):
            g[which, c] = -np.bincount(sg, weights=gmu * zz[rows, c], minlength=B)[which]
        for c in range(2):
            g[which, 3 + c] = -np.bincount(sg, weights=gn * zz[rows, c], minlength=B)[which]
        return f / scale, g / scale[:, None]

    X = np.array([_start(ys[i], groups[i][3]) if starts is None or starts[i] is None
                  or not np.isfinite(starts[i]).all() else np.asarray(starts[i], float)
                  for i in range(B)])
    everyone = np.ones(B, bool)
    f, g = evaluate(X, everyone)
    eye = np.eye(5)
    H = np.broadcast_to(eye, (B, 5, 5)).copy()
    fresh = np.ones(B, bool)                         # H not yet scaled by a step
    if hess_start:
        # H₀ from the Hessian at the start (forward differences of the analytic gradient,
        # five evaluations of all lines), eigenvalues taken absolute and floored
        h = 1e-5
        Hs = np.empty((B, 5, 5))
        for c in range(5):
            Xc = X.copy()
            Xc[:, c] += h
            Hs[:, :, c] = (evaluate(Xc, everyone)[1] - g) / h
        Hs = (Hs + Hs.transpose(0, 2, 1)) / 2
        good = np.isfinite(Hs).all(axis=(1, 2))
        if good.any():
            vals, vecs = np.linalg.eigh(Hs[good])
            top = np.abs(vals).max(axis=1, keepdims=True)
            vals = np.maximum(np.abs(vals), np.maximum(1e-6 * top, 1e-12))
            H[good] = (vecs / vals[:, None, :]) @ vecs.transpose(0, 2, 1)
            fresh[good] = False
    done = np.abs(g).max(axis=1) < gtol
    stuck = ~np.isfinite(f)
    for _ in range(maxiter):
        act = ~done & ~stuck
        if not act.any():
            break
        d = -np.einsum("bij,bj->bi", H, g)
        gd = (g * d).sum(axis=1)
        reset = act & ~(gd < 0)
        if reset.any():
            H[reset], fresh[reset] = eye, True
            d[reset] = -g[reset]
            gd[reset] = -(g[reset] ** 2).sum(axis=1)
        step = np.where(act, np.minimum(1.0, 5.0 / np.maximum(np.abs(d).max(axis=1), 1e-300)), 0.0)
        Xn, fn, gn_ = X.copy(), f.copy(), g.copy()
        pend = act.copy()
        for _ls in range(40):
            Xt = X + step[:, None] * d
            ft, gt = evaluate(Xt, pend)
            ok = pend & np.isfinite(ft) & (ft <= f + 1e-4 * step * gd)
            Xn[ok], fn[ok], gn_[ok] = Xt[ok], ft[ok], gt[ok]
            pend &= ~ok
            if not pend.any():
                break
            # a quadratic through f, f'·d and the trial value, kept within [0.1, 0.5] of the step
            den = 2 * (ft - f - gd * step)
            q = np.where(np.isfinite(ft) & (den > 0), -gd * step ** 2 / np.where(den > 0, den, 1), 0)
            step = np.where(pend, np.clip(q, 0.1 * step, 0.5 * step), step)
        stuck |= pend                                 # no decrease found: precision loss
        moved = act & ~pend
        s_ = Xn - X
        yv = gn_ - g
        sy = (s_ * yv).sum(axis=1)
        upd = moved & (sy > 1e-12)
        if upd.any():
            first = upd & fresh
            if first.any():                            # H₀ = (sᵀy / yᵀy) I before the update
                H[first] = eye * (sy[first] / (yv[first] ** 2).sum(axis=1))[:, None, None]
                fresh[first] = False
            rho = 1.0 / sy[upd]
            V = eye - rho[:, None, None] * s_[upd][:, :, None] * yv[upd][:, None, :]
            H[upd] = (V @ H[upd] @ V.transpose(0, 2, 1)
                      + rho[:, None, None] * s_[upd][:, :, None] * s_[upd][:, None, :])
        X, f, g = Xn, fn, gn_
        done |= moved & (np.abs(g).max(axis=1) < gtol)
    ok = done | (np.isfinite(f) & (np.abs(g).max(axis=1) < 1e-4))
    for i in np.flatnonzero(~ok):                     # as fit_nb: its BFGS, then Nelder–Mead
        X[i], ok[i] = fit_nb(ys[i], groups[i][1], groups[i][2], groups[i][3], X[i])
    return X, ok


def censoring(lines: pd.DataFrame, capped_is_censored: bool | str = "auto") -> pd.DataFrame:
    """``lines`` with ``value`` (exact demand or lower bound) and ``censored`` (bool).

    A line is censored when its order reached the cap and its recorded demand is missing, or
    equals the cap while the recording practice writes the cap for any demand above it. With
    ``capped_is_censored="auto"`` that practice is assumed for a specification only when none
    of its lines in the window records a demand above the cap (where demands above the cap
    are recorded, a demand equal to the cap is exact: treating it as censored would bias the
    fit, as the exact values above the cap would then be a selected sample). ``True`` /
    ``False`` force the rule. An order below the cap with demand missing gives demand = order.
    """
    d, cap, o = lines["demand_qty"], lines["cap_qty"], lines["order_qty"]
    at_cap = o >= cap
    if capped_is_censored == "auto":
        above = (d > cap).groupby(lines["product_id"]).transform("any")
        typed_cap = ~above
    else:
        typed_cap = pd.Series(bool(capped_is_censored), index=lines.index)
    cens = at_cap & (d.isna() | ((d <= cap) & typed_cap))
    value = np.where(cens, cap, np.where(d.isna(), o, np.maximum(d.fillna(0), o)))
    out = lines.copy()
    out["value"] = value
    out["censored"] = cens.to_numpy()
    return out


@dataclass
class Uncensored:
    """The fit per specification and the lines with their demand estimate.

    ``lines``: the rationed lines with ``censored``, ``value`` and ``demand_est``;
    ``params``: product_id, const, z, z2 (log mean), log_alpha, log_alpha_z (log dispersion
    = log_alpha + log_alpha_z · z), lines, censored_share, converged, identified.
    """

    lines: pd.DataFrame
    params: pd.DataFrame
    first: str = ""
    last: str = ""
    notes: list = field(default_factory=list)

    def by(self, keys=("product_id", "tier_band")) -> pd.DataFrame:
        """Σ recorded demand, Σ estimated demand, lines and censored lines per ``keys``."""
        g = self.lines.groupby(list(keys), observed=True)
        out = g.agg(lines=("value", "size"), censored=("censored", "sum"),
                    orders=("order_qty", "sum"), demand_recorded=("demand_qty", "sum"),
                    demand_est=("demand_est", "sum")).reset_index()
        out["censored_share"] = out["censored"] / out["lines"]
        return out

    def to_frame(self) -> pd.DataFrame:
        return self.by()

    def _row(self, product_id: str) -> np.ndarray:
        """const, z, z2, log_alpha, log_alpha_z of ``product_id`` (looked up once per object)."""
        cache = self.__dict__.setdefault("_rows", {})
        if not cache:
            cols = ["const", "z", "z2", "log_alpha", "log_alpha_z"]
            vals = self.params[cols].to_numpy(float)
            cache.update({str(pid): vals[i] for i, pid in enumerate(self.params["product_id"])})
        return cache[str(product_id)]

    def tail(self, product_id: str, tiers, kmax: int) -> np.ndarray:
        """P(D ≥ k | D ≥ 1) for k = 1 … kmax (columns) and ``tiers`` (rows)."""
        mu, alpha = self.mean(product_id, tiers, raw=True)
        return _tail(mu, alpha, kmax)

    def mean(self, product_id: str, tiers, raw: bool = False):
        """E[D | D ≥ 1] per tier (``raw``: the NB mean μ and α instead)."""
        row = self._row(product_id)
        mu = np.exp(_design(tiers) @ row[:3])
        alpha = _alpha(row[3:5], tiers)
        if raw:
            return mu, alpha
        return mu / _sf_ge(1.0, mu, alpha)


def _sf_ge(k, mu, alpha) -> np.ndarray:
    """P(D ≥ k) of NB2(μ, α) = I_{1−p}(k, n), n = 1/α, p = n/(n+μ) (what
    ``scipy.stats.nbinom(n, p).sf(k − 1)`` computes, without the frozen distribution)."""
    n = 1.0 / alpha
    return betainc(k, n, mu / (n + mu))


def _tail(mu, alpha, kmax: int) -> np.ndarray:
    """P(D ≥ k | D ≥ 1), k = 1 … kmax (columns), per element of ``mu`` / ``alpha`` (rows).

    P(D ≥ kmax) from the incomplete beta function, then P(D ≥ k) = P(D ≥ k+1) + P(D = k)
    downwards (a sum of positive terms, no cancellation), the pmf from its ratio
    P(D = j) / P(D = j−1) = (j − 1 + n)/j · μ/(n + μ) accumulated in logs: one ``betainc``
    per row instead of one per cell (that cost ~6 ms for 30 tiers × 200 cartons)."""
    mu, alpha = np.asarray(mu, float)[:, None], np.asarray(alpha, float)[:, None]
    if kmax < 1:
        return np.zeros((mu.shape[0], 0))
    n = 1.0 / alpha
    j = np.arange(1, kmax, dtype=float)[None, :]                      # 1 … kmax−1
    lq = np.log(mu / (n + mu))
    lpmf = np.cumsum(np.log((j - 1 + n) / j) + lq, axis=1) - n * np.log1p(mu / n)
    pmf = np.exp(lpmf)                                                # P(D = j)
    last = _sf_ge(float(kmax), mu, alpha)                             # P(D ≥ kmax)
    sf = np.concatenate([np.cumsum(pmf[:, ::-1], axis=1)[:, ::-1] + last, last], axis=1)
    return sf / sf[:, :1]


def _expect_above(mu, alpha, c) -> np.ndarray:
    """E[D | D ≥ c] for NB2 (vectorised; c ≥ 1)."""
    d = _nb(mu, alpha)
    c = np.asarray(c, float)
    kmax = int(np.nanmax(c)) if len(c) else 0
    below = np.zeros_like(mu)
    for j in range(1, kmax):  # Σ_{j < c} j·P(D = j)
        below += np.where(j < c, j * d.pmf(j), 0.0)
    return (mu - below) / d.sf(c - 1)


def _km_expect(part: pd.DataFrame) -> np.ndarray | None:
    """E[D | D ≥ c] of the censored lines of ``part`` from the Kaplan–Meier estimate of the
    demand distribution of ``part`` (statsmodels ``SurvfuncRight``; a line censored at c is
    entered at time c − ½, so "survives c − ½" reads D ≥ c). None when no exact value lies
    at or above the smallest censoring point (nothing to say beyond the cap). Mass the curve
    leaves above its last exact value sits at that value (a lower bound)."""
    cen = part["censored"].to_numpy()
    val = part["value"].to_numpy(float)
    if not cen.any():
        return np.zeros(0)
    if not (~cen & (val >= val[cen].min())).any():
        return None
    grp = pd.DataFrame({"t": np.where(cen, val - 0.5, val), "e": (~cen).astype(int)})
    grp = grp.groupby(["t", "e"]).size().reset_index(name="w")
    sf = SurvfuncRight(grp["t"].to_numpy(), grp["e"].to_numpy(), freq_weights=grp["w"].to_numpy(float))
    t, surv = np.asarray(sf.surv_times, float), np.asarray(sf.surv_prob, float)
    before = np.concatenate([[1.0], surv[:-1]])
    mass = before - surv
    mass[-1] += surv[-1]  # remaining tail at the largest exact value
    cs, inv = np.unique(val[cen], return_inverse=True)
    per = np.empty(len(cs))
    for i, c in enumerate(cs):
        m = t >= c
        per[i] = (t[m] * mass[m]).sum() / mass[m].sum() if mass[m].sum() > 0 else c
    return per[inv]


def uncensor(tables: Tables, period, months: int = 3, products=None,
             capped_is_censored: bool | str = "auto", method: str = "auto",
             strata: str = "tier_band", lines: pd.DataFrame | None = None,
             estimate: bool = True, start: pd.DataFrame | None = None) -> Uncensored:
    """Estimate the true demand of the rationed lines of the ``months`` months ending at
    ``period``.

    Parameters
    ----------
    tables : lean_analysis.data.Tables
    period : str
        Last month of the window (YYYY-MM).
    months : int
        Months fitted together (one fit per specification).
    products : list, optional
        Rationed specifications to fit (default: every product with capped lines).
    method : {"auto", "km", "nb"}
        ``km``: Kaplan–Meier per specification × ``strata`` (nonparametric; needs exact
        values above the caps, e.g. recorded demand of some customers); ``nb``: the censored
        NB regression over tiers (parametric tail, works when nothing above the cap is
        recorded); ``auto``: KM where it can answer, else NB. The NB fit is always made
        (``.params``, ``.tail`` use it).
    strata : str
        Column of the lines within which KM pools (default ``tier_band``).
    capped_is_censored : {"auto", True, False}
        Whether a recorded demand equal to the reached cap means "demand ≥ cap" (see
        :func:`censoring`; "auto": only for specifications that never record more).
    lines : DataFrame, optional
        The rationed lines of the window, as :func:`lean_analysis.placement._lines.lines`
        returns them, when the caller already has them (the backtest reads its whole window
        once); ``tables`` is then not read.
    estimate : bool
        False: fit the NB model only (``.params``, ``.tail``, ``.mean``; what
        :func:`recommend` uses) and leave ``demand_est`` = ``value`` (no Kaplan–Meier, no
        conditional expectations).
    start : DataFrame, optional
        ``.params`` of an earlier fit: each specification's optimisation starts there.

    Returns
    -------
    Uncensored
        ``.lines`` with ``demand_est`` (= value for exact lines, E[D | D ≥ cap] for censored
        lines), ``.params`` per specification, ``.by(keys)`` and ``.to_frame()`` (per product
        and tier band).

    Notes
    -----
    Model and likelihood: see the module docstring (zero-truncated right-censored NB2,
    Cameron & Trivedi 2013 §4.3; Tobin 1958). A specification whose lines are all censored at
    the same cap has no information on the tail beyond the cap: its fit is reported with
    ``identified = False`` and its censored lines keep the cap as estimate (a lower bound).
    """
    first, last = L.month_range(period, months)
    if lines is None:
        lines = L.lines(tables, first, last, products)
    elif products is not None:
        lines = lines[lines["product_id"].isin([str(p) for p in products])]
    df = censoring(lines.reset_index(drop=True), capped_is_censored)
    rows, est = [], np.asarray(df["value"], float).copy()
    cols = ["const", "z", "z2", "log_alpha", "log_alpha_z"]
    starts = ({} if start is None or start.empty else
              {str(r["product_id"]): np.asarray([r[c] for c in cols], float)
               for _, r in start.iterrows()})
    # every identified specification's NB fit in one batched optimisation (fit_nb_many)
    exact = df[~df["censored"] & (df["value"] >= 1)]
    n_exact = exact.groupby("product_id", sort=True)["value"].nunique()
    ident = [str(p) for p, k in n_exact.items() if k >= 2]
    pos = df[(df["value"] >= 1) & df["product_id"].isin(ident)]
    grp = pos.groupby(["product_id", "tier", "value", "censored"], sort=True).size().reset_index(name="w")
    bounds = np.searchsorted(grp["product_id"].to_numpy(), ident, side="left")
    bounds = np.append(bounds, len(grp))
    arr = [grp[c].to_numpy() for c in ("value", "tier", "censored", "w")]
    groups = [tuple(a[bounds[i]:bounds[i + 1]] for a in arr) for i in range(len(ident))]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        P, conv = fit_nb_many(groups, [starts.get(p) for p in ident])
    fits = {p: (P[i, :3], P[i, 3:5], bool(conv[i])) for i, p in enumerate(ident)}
    agg = df.groupby("product_id", sort=True)["censored"].agg(["size", "mean"])
    for pid, size, share in zip(agg.index, agg["size"].to_numpy(), agg["mean"].to_numpy(),
                                strict=True):
        beta, gamma, ok = fits.get(str(pid), (np.full(3, np.nan), np.full(2, np.nan), False))
        rows.append({"product_id": pid, "const": beta[0], "z": beta[1], "z2": beta[2],
                     "log_alpha": gamma[0], "log_alpha_z": gamma[1], "lines": int(size),
                     "censored_share": float(share), "converged": ok,
                     "identified": str(pid) in fits})
    for pid, part in df.groupby("product_id", sort=True) if estimate else ():
        idx = part.index.to_numpy()
        beta, gamma, _ = fits.get(str(pid), (None, None, False))
        identified = str(pid) in fits
        cen = part["censored"].to_numpy()
        done = np.zeros(len(part), bool)
        if method in ("auto", "km") and cen.any():
            for _, sub in part.groupby(strata, sort=False):
                e = _km_expect(sub)
                if e is not None and len(e):
                    sc = sub["censored"].to_numpy()
                    est[sub.index.to_numpy()[sc]] = np.maximum(e, sub["value"].to_numpy()[sc])
                    done[np.searchsorted(idx, sub.index.to_numpy()[sc])] = True
        cen = cen & ~done
        if method != "km" and identified and cen.any():
            tiers = part["tier"].to_numpy()[cen]
            mu = np.exp(_design(tiers) @ beta)
            est[idx[cen]] = np.maximum(_expect_above(mu, _alpha(gamma, tiers), part["value"].to_numpy()[cen]),
                                       part["value"].to_numpy()[cen])
    df["demand_est"] = est
    return Uncensored(lines=df, params=pd.DataFrame(rows), first=str(first), last=str(last))
