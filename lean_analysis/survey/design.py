"""Design-based estimates for a (stratified, clustered) sample, as R's ``survey`` computes them.

The design is one-stage: strata ``h``, primary sampling units (PSUs) ``j`` inside a stratum
(each row its own PSU when ``psu`` is None), sampling weights ``w_i``, and optionally the
population size of each stratum (``fpc``: the number of population units, or of PSUs for a
cluster sample; values ≤ 1 are read as sampling fractions, as in R).

A mean over a domain ``d`` (rows where the variable is answered, and the domain indicator
is true) is the ratio ``ȳ_d = Σ w_i a_i y_i / Σ w_i a_i``. Its linearised (Taylor) variance
is the stratified with-replacement-at-PSU-level variance of the influence values
``z_i = w_i a_i (y_i − ȳ_d) / Σ w_i a_i``:

    V(ȳ_d) = Σ_h (1 − f_h) · n_h / (n_h − 1) · Σ_j (z_hj − z̄_h)²

where ``z_hj`` is the PSU total of ``z``, ``z̄_h`` the stratum mean of the PSU totals, ``n_h`` the
number of sampled PSUs in stratum ``h`` (in the WHOLE sample, not the domain: a domain is
never estimated by naively subsetting the design) and ``f_h = n_h / N_h`` (0 without fpc).
This is ``svyrecvar``/``svymean`` of R's ``survey`` (Lumley 2010, *Complex Surveys*, §2.2, §2.4).
PSU ids are taken as nested within strata (R's ``nest=TRUE``).

Defaults follow R:

* intervals of a mean use the normal quantile (``confint`` of an ``svymean`` has ``df=Inf``);
  ``ci_df="design"`` uses Student's t on the design degrees of freedom instead;
* the design degrees of freedom are ``#PSUs − #strata`` (R's ``degf``), counted over the PSUs
  and strata that contain the domain;
* a share's logit interval is that of ``svyciprop(method="logit")``: ``logit p̂ ± t_{df} ·
  SE(p̂) / (p̂ (1 − p̂))`` with ``df = degf(design)``;
* the design effect is R's ``deff=TRUE``: ``V(ȳ) / V_srs`` with ``V_srs = s² (N̂ − n)/(N̂ n)``,
  ``s² = n/(n−1) · Σ w (y − ȳ)² / Σ w`` (``svyvar``) and ``N̂ = Σ w`` (simple random sampling
  WITHOUT replacement of the same size).

Example (R's ``apistrat``, reproduced in the tests)::

    >>> est = design_mean(apistrat, "api00", weight="pw", strata="stype", fpc="fpc")
    >>> round(est.estimate, 2), round(est.se, 4)
    (662.29, 9.4089)
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

__all__ = [
    "Design",
    "DesignEstimate",
    "design_mean",
    "design_means",
    "design_share",
    "design_by",
    "design_difference",
]

LONELY_PSU = ("fail", "remove", "adjust")


@dataclass
class DesignEstimate:
    """A design-based estimate (mean or share) with its linearised standard error."""

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    n: int  # respondents that enter the estimate (answered, in the domain)
    deff: float  # design effect vs simple random sampling without replacement (R deff=TRUE)
    df: int  # design degrees of freedom: PSUs − strata (R degf)
    level: float = 0.95
    n_missing: int = 0  # rows of the domain without an answer: excluded and counted here
    pop_size: float = math.nan  # N̂ = Σ w over the respondents
    variable: str = ""
    method: str = "mean"  # "mean", or the share interval: "logit" | "wilson"

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame([asdict(self)])


def _as_list(x: str | Sequence[str] | None) -> list[str]:
    if x is None:
        return []
    return [x] if isinstance(x, str) else list(x)


def _codes(df: pd.DataFrame, cols: list[str], table: str, role: str) -> np.ndarray:
    """Integer codes of the combinations of ``cols``; missing values are an error."""
    for c in cols:
        if c not in df.columns:
            raise KeyError(f"{table}: no column {c!r} (the design's {role})")
        bad = df[c].isna().to_numpy()
        if bad.any():
            rows = df.index[bad][:5].tolist()
            raise ValueError(
                f"{table}.{c}: {int(bad.sum())} missing value(s) in the design's {role} "
                f"(rows {rows}); rule: every respondent needs a {role}"
            )
    if len(cols) == 1:
        return pd.factorize(df[cols[0]], sort=True)[0]
    return df.groupby(cols, sort=True, observed=True).ngroup().to_numpy()


def _positive_column(df: pd.DataFrame, col: str, table: str, role: str, rule: str) -> np.ndarray:
    """Column ``col`` (the design's ``role``) as floats; a missing, non-numeric or
    non-positive value is an error naming the rows and ``rule``."""
    if col not in df.columns:
        raise KeyError(f"{table}: no column {col!r} (the design's {role})")
    v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(v) | (v <= 0)
    if bad.any():
        rows = df.index[bad][:5].tolist()
        raise ValueError(f"{table}.{col}: {int(bad.sum())} row(s) {rows}: rule: {rule}")
    return v


class Design:
    """A survey design over ``df`` (R's ``svydesign(id=psu, strata=, weights=, fpc=)``).

    Build it once and pass it to :func:`design_mean`, :func:`design_share`,
    :func:`design_by` instead of a DataFrame to reuse the strata/PSU bookkeeping.

    ``lonely_psu``: a stratum with one PSU has no variance estimate. "fail" (R's default)
    raises; "remove" lets it contribute nothing (R "remove"/"certainty"); "adjust" centres
    its PSU total at the mean of all PSU totals, factor ``1 − f_h`` (R documents "adjust" as
    centring the stratum at the population mean; this option is not checked against R).
    """

    def __init__(
        self,
        df: pd.DataFrame,
        weight: str | None = None,
        strata: str | Sequence[str] | None = None,
        psu: str | None = None,
        fpc: str | None = None,
        lonely_psu: str = "fail",
        table: str = "survey",
    ):
        if lonely_psu not in LONELY_PSU:
            raise ValueError(f"lonely_psu must be one of {LONELY_PSU}, not {lonely_psu!r}")
        self.df = df
        self.table = table
        self.weight_col, self.strata_cols, self.psu_col, self.fpc_col = (
            weight, _as_list(strata), psu, fpc)
        n = len(df)
        if n == 0:
            raise ValueError(f"{table}: no rows to estimate from")
        self.n = n
        strat = _codes(df, self.strata_cols, table, "stratum") if self.strata_cols else np.zeros(
            n, dtype=np.int64)
        self.strata = strat
        self.n_strata = int(strat.max()) + 1
        if psu is None:
            psu_idx = np.arange(n)
        else:
            psu_idx = _codes(df, [*self.strata_cols, psu], table, "PSU")  # nested in strata
        self.psu = psu_idx
        self.n_psu_total = int(psu_idx.max()) + 1
        # stratum of each PSU
        psu_stratum = np.zeros(self.n_psu_total, dtype=np.int64)
        psu_stratum[psu_idx] = strat
        self.psu_stratum = psu_stratum
        n_h = np.bincount(psu_stratum, minlength=self.n_strata).astype(float)
        self.n_h = n_h

        # finite population correction
        f_h = np.zeros(self.n_strata)
        N_h = np.full(self.n_strata, np.nan)
        if fpc is not None:
            fv = _positive_column(df, fpc, table, "fpc", "fpc must be a positive number")
            lo = np.full(self.n_strata, np.inf)
            hi = np.full(self.n_strata, -np.inf)
            np.minimum.at(lo, strat, fv)
            np.maximum.at(hi, strat, fv)
            if np.any(hi - lo > 1e-9 * np.maximum(1.0, hi)):
                h = int(np.argmax(hi - lo))
                raise ValueError(f"{table}.{fpc}: not constant within stratum {self._label(h)}; "
                                 "rule: fpc is the population size of the stratum")
            as_fraction = bool(np.all(fv <= 1))
            if as_fraction:
                f_h = hi.copy()
                N_h = n_h / f_h
            else:
                N_h = hi.copy()
                f_h = n_h / N_h
            over = f_h > 1 + 1e-12
            if over.any():
                h = int(np.argmax(over))
                raise ValueError(f"{table}.{fpc}: stratum {self._label(h)} has {int(n_h[h])} "
                                 f"sampled units but a population of {N_h[h]:g}; "
                                 "rule: fpc ≥ sample size")
        self.f_h, self.N_h = f_h, N_h

        # weights
        if weight is not None:
            w = _positive_column(df, weight, table, "weight",
                                 "weights must be positive numbers")
        elif fpc is not None:
            w = (N_h / n_h)[strat]  # R: probabilities from the fpc when no weights are given
        else:
            w = np.ones(n)  # R warns "assuming equal probability"
        self.w = w

        # variance scale per stratum
        with np.errstate(divide="ignore", invalid="ignore"):
            scale = (1.0 - f_h) * n_h / (n_h - 1.0)
        lonely = n_h < 2
        if lonely.any():
            if lonely_psu == "fail":
                h = int(np.argmax(lonely))
                raise ValueError(f"{table}: stratum {self._label(h)} has only one PSU "
                                 "(lonely PSU); pass lonely_psu='remove' or 'adjust'")
            scale[lonely] = 0.0 if lonely_psu == "remove" else (1.0 - f_h[lonely])
        self.lonely = lonely
        self.lonely_psu = lonely_psu
        self.scale = scale
        self._S = sparse.csr_matrix(
            (np.ones(n), (psu_idx, np.arange(n))), shape=(self.n_psu_total, n))
        self._H = sparse.csr_matrix(
            (np.ones(self.n_psu_total), (psu_stratum, np.arange(self.n_psu_total))),
            shape=(self.n_strata, self.n_psu_total))

    def _label(self, h: int) -> str:
        if not self.strata_cols:
            return "(all)"
        row = self.df.iloc[int(np.argmax(self.strata == h))]
        return "/".join(str(row[c]) for c in self.strata_cols)

    @property
    def degf(self) -> int:
        return int(self.n_psu_total - self.n_strata)

    # --- core ----------------------------------------------------------------------------
    def variance(self, z: np.ndarray) -> np.ndarray:
        """Linearised variance of the totals of the influence columns ``z`` (n × k)."""
        z = np.asarray(z, dtype=float)
        one = z.ndim == 1
        if one:
            z = z[:, None]
        t = self._S @ z if self.psu_col is not None else z  # PSU totals
        ps = self.psu_stratum
        means = (self._H @ t) / self.n_h[:, None]
        if self.lonely.any() and self.lonely_psu == "adjust":
            means[self.lonely] = t.mean(axis=0)
        dev = t - means[ps]
        v = self.scale[ps] @ (dev * dev)
        return v[0] if one else v

    def domain_df(self, a: np.ndarray) -> np.ndarray:
        """R's ``degf`` of the subset design: PSUs − strata that contain rows of ``a`` (n × k)."""
        cnt = self._S @ a.astype(float) if self.psu_col is not None else a.astype(float)
        has_psu = cnt > 0
        n_psu = has_psu.sum(axis=0)
        st = self._H @ has_psu.astype(float)
        n_str = (st > 0).sum(axis=0)
        return (n_psu - n_str).astype(int)

    def means(self, y: np.ndarray, a: np.ndarray | None = None):
        """Domain means of the columns of ``y`` (n × k) over the rows where ``a`` (n × k bool)
        is true and ``y`` is not missing. Returns a dict of arrays (estimate, se, n,
        n_missing, deff, df, pop_size) and the influence matrix ``z``."""
        y = np.asarray(y, dtype=float)
        if y.ndim == 1:
            y = y[:, None]
        a = np.ones_like(y, dtype=bool) if a is None else np.asarray(a, dtype=bool)
        if a.ndim == 1:
            a = np.broadcast_to(a[:, None], y.shape)
        ok = a & ~np.isnan(y)
        n_missing = (a & np.isnan(y)).sum(axis=0)
        w = self.w[:, None] * ok
        y0 = np.where(ok, y, 0.0)
        W = w.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = (w * y0).sum(axis=0) / W
            resid = np.where(ok, y0 - est, 0.0)
            z = w * resid / W
        var = self.variance(z)
        n = ok.sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            s2 = (w * resid * resid).sum(axis=0) / W * n / (n - 1)
            vsrs = s2 * (W - n) / (W * n)
            deff = var / vsrs
        return {
            "estimate": est, "se": np.sqrt(var), "n": n, "n_missing": n_missing,
            "deff": deff, "df": self.domain_df(ok), "pop_size": W,
        }, z


    def partition_means(self, y: np.ndarray, codes: np.ndarray, n_levels: int) -> dict:
        """Domain means of ``y`` for a PARTITION of the rows into ``n_levels`` domains
        (``codes`` 0..L−1 per row). Same result as :meth:`means` with one indicator column
        per domain, but in O(n) memory: the PSU totals of the influence values are formed
        per (PSU, domain) pair, and ``Σ_j (t_hj − m_h)² = S2 − 2 m_h S1 + n_h m_h²`` per
        stratum, where the ``n_h`` PSUs include those without a row of the domain."""
        y = np.asarray(y, dtype=float)
        L = int(n_levels)
        ok = ~np.isnan(y)
        c_ok, w_ok = codes[ok], self.w[ok]
        W = np.bincount(c_ok, w_ok, L)
        n = np.bincount(c_ok, minlength=L)
        n_missing = np.bincount(codes[~ok], minlength=L)
        with np.errstate(invalid="ignore", divide="ignore"):
            est = np.bincount(c_ok, w_ok * y[ok], L) / W
            resid = y[ok] - est[c_ok]
            z = w_ok * resid / W[c_ok]
            s2 = np.bincount(c_ok, w_ok * resid * resid, L) / W * n / (n - 1)
        key = self.psu[ok].astype(np.int64) * L + c_ok
        uk, inv = np.unique(key, return_inverse=True)
        t = np.bincount(inv, z, len(uk))
        k_psu, k_dom = uk // L, uk % L
        k_str = self.psu_stratum[k_psu]
        hk = k_str * L + k_dom
        H = self.n_strata
        s1 = np.bincount(hk, t, H * L).reshape(H, L)
        sq = np.bincount(hk, t * t, H * L).reshape(H, L)
        nh = self.n_h[:, None]
        m = s1 / nh
        if self.lonely.any() and self.lonely_psu == "adjust":
            m[self.lonely] = s1.sum(axis=0) / self.n_psu_total
        var = self.scale @ (sq - 2 * m * s1 + nh * m * m)
        n_psu_d = np.bincount(k_dom, minlength=L)
        n_str_d = np.bincount(np.unique(hk) % L, minlength=L)
        with np.errstate(invalid="ignore", divide="ignore"):
            vsrs = s2 * (W - n) / (W * n)
            deff = var / vsrs
        return {"estimate": est, "se": np.sqrt(var), "n": n, "n_missing": n_missing,
                "deff": deff, "df": (n_psu_d - n_str_d).astype(int), "pop_size": W}


def _design(data, weight, strata, psu, fpc, lonely_psu="fail") -> Design:
    if isinstance(data, Design):
        if any(x is not None for x in (weight, strata, psu, fpc)):
            raise ValueError("pass either a Design or weight/strata/psu/fpc, not both")
        return data
    return Design(data, weight=weight, strata=strata, psu=psu, fpc=fpc, lonely_psu=lonely_psu)


def _column(design: Design, var: str) -> np.ndarray:
    df = design.df
    if var not in df.columns:
        raise KeyError(f"{design.table}: no column {var!r}")
    col = df[var]
    if col.dtype == bool:
        return col.to_numpy(dtype=float)
    vals = pd.to_numeric(col, errors="coerce")
    bad = vals.isna() & col.notna()
    if bad.any():
        rows = df.index[bad.to_numpy()][:5].tolist()
        raise ValueError(f"{design.table}.{var}: rows {rows}: rule: values must be numeric")
    return vals.to_numpy(dtype=float)


def _quantile(level: float, df=None):
    """The two-sided ``level`` quantile: normal when ``df`` is None/inf, else Student's t on
    ``df`` (NaN where ``df`` ≤ 0). ``df`` may be an array."""
    if not 0 < level < 1:
        raise ValueError(f"level must be in (0, 1), not {level!r}")
    p = (1 + level) / 2
    if df is None:
        return float(stats.norm.ppf(p))
    d = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        q = np.where(np.isinf(d), stats.norm.ppf(p),
                     stats.t.ppf(p, np.where(d > 0, d, np.nan)))
    return float(q) if q.ndim == 0 else q


def _ci_df(ci_df: str | float | None, design_df):
    """The df for an interval: None (normal) for None/"normal", the design df for "design",
    else the number given."""
    if ci_df is None or ci_df == "normal":
        return None
    if ci_df == "design":
        return design_df
    return float(ci_df)


def design_mean(
    data: pd.DataFrame | Design,
    var: str,
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    level: float = 0.95,
    ci_df: str | float | None = None,
    lonely_psu: str = "fail",
) -> DesignEstimate:
    """Design-based mean of ``var`` with linearised SE (R ``svymean``), CI and design effect.

    ``ȳ = Σ w y / Σ w``; ``V(ȳ) = Σ_h (1 − n_h/N_h) n_h/(n_h−1) Σ_j (z_hj − z̄_h)²`` with
    ``z_i = w_i (y_i − ȳ) / Σ w`` summed over PSU ``j`` (module docstring; Lumley 2010).
    Missing values of ``var`` are excluded as a domain (R ``na.rm=TRUE``; the design keeps
    every PSU) and counted in ``n_missing``. CI: ``ȳ ± z_{(1+level)/2} SE`` as R's
    ``confint(svymean(...))`` (normal); ``ci_df="design"`` for t on ``degf``.

    Example (R ``survey``'s ``apistrat``, checked by ``tests/test_survey_design.py``)::

        >>> design_mean(apistrat, "api00", weight="pw", strata="stype", fpc="fpc")
        DesignEstimate(estimate=662.287…, se=9.4089…, ...)
    """
    d = _design(data, weight, strata, psu, fpc, lonely_psu)
    y = _column(d, var)
    r, _ = d.means(y)
    return _one(_mean_frame(r, level, ci_df, var))


def _mean_frame(r: dict, level: float, ci_df, var: str) -> pd.DataFrame:
    """Result columns for means (vectorised over the domains of ``r``)."""
    est, se = np.asarray(r["estimate"], float), np.asarray(r["se"], float)
    q = _quantile(level, _ci_df(ci_df, np.asarray(r["df"])))
    return _frame(r, est - q * se, est + q * se, level, var, "mean")


def _share_frame(r: dict, level: float, method: str, ci_df, var: str) -> pd.DataFrame:
    """Result columns for shares, intervals by :func:`_share_ci`."""
    lo, hi = _share_ci(r["estimate"], r["se"], r["n"], r["df"], level, method, ci_df)
    return _frame(r, lo, hi, level, var, method)


def _frame(r, lo, hi, level, var, method) -> pd.DataFrame:
    return pd.DataFrame({
        "estimate": np.asarray(r["estimate"], float), "se": np.asarray(r["se"], float),
        "ci_low": lo, "ci_high": hi, "n": np.asarray(r["n"], int),
        "deff": np.asarray(r["deff"], float), "df": np.asarray(r["df"], int), "level": level,
        "n_missing": np.asarray(r["n_missing"], int), "pop_size": np.asarray(r["pop_size"], float),
        "variable": var, "method": method,
    })


def _one(frame: pd.DataFrame) -> DesignEstimate:
    row = frame.iloc[0]
    return DesignEstimate(
        estimate=float(row["estimate"]), se=float(row["se"]), ci_low=float(row["ci_low"]),
        ci_high=float(row["ci_high"]), n=int(row["n"]), deff=float(row["deff"]),
        df=int(row["df"]), level=float(row["level"]), n_missing=int(row["n_missing"]),
        pop_size=float(row["pop_size"]), variable=str(row["variable"]),
        method=str(row["method"]))


def _share_ci(p, se, n, df, level: float, method: str, ci_df):
    """Interval for shares ``p`` with design SEs ``se`` (arrays).

    logit (R ``svyciprop(method="logit")``): ``expit(logit p ± q · se / (p (1 − p)))`` with
    ``q`` the t quantile on the design df (R's default ``df=degf(design)``).
    wilson: the Wilson score interval on the effective sample size ``n* = p (1 − p) / se²``
    (Kish's design-effect-adjusted n; Kott & Carr 1997) with a normal quantile.
    At ``p`` = 0 or 1 (no variance: logit undefined, ``n*`` undefined) both use Wilson
    with ``n* = n``.
    """
    if method not in ("logit", "wilson"):
        raise ValueError(f"method must be 'logit' or 'wilson', not {method!r}")
    p = np.atleast_1d(np.asarray(p, float))
    se = np.atleast_1d(np.asarray(se, float))
    n = np.atleast_1d(np.asarray(n, float))
    df = np.atleast_1d(np.asarray(df, float))
    with np.errstate(invalid="ignore", divide="ignore"):
        edge = (p <= 0) | (p >= 1) | ~(se > 0)
        # Wilson on n* (or n at the edges)
        n_eff = np.where(edge, n, p * (1 - p) / se**2)
        qn = _quantile(level, None)
        q2 = qn * qn
        centre = (p + q2 / (2 * n_eff)) / (1 + q2 / n_eff)
        half = qn / (1 + q2 / n_eff) * np.sqrt(p * (1 - p) / n_eff + q2 / (4 * n_eff**2))
        lo, hi = np.maximum(0.0, centre - half), np.minimum(1.0, centre + half)
        if method == "logit":
            dfq = df if ci_df is None else _ci_df(ci_df, df)
            q = _quantile(level, dfq) * np.ones_like(p)
            pc = np.clip(p, 1e-300, 1 - 1e-16)
            lg = np.log(pc / (1 - pc))
            h = q * se / (pc * (1 - pc))
            lo = np.where(edge, lo, 1 / (1 + np.exp(-(lg - h))))
            hi = np.where(edge, hi, 1 / (1 + np.exp(-(lg + h))))
    nan = ~np.isfinite(p)
    return np.where(nan, np.nan, lo), np.where(nan, np.nan, hi)


def _bool_column(design: Design, var: str) -> np.ndarray:
    y = _column(design, var)
    bad = ~np.isnan(y) & (y != 0) & (y != 1)
    if bad.any():
        rows = design.df.index[bad][:5].tolist()
        raise ValueError(f"{design.table}.{var}: rows {rows}: rule: a share needs 0/1 (or bool) "
                         "values")
    return y


def design_means(
    data: pd.DataFrame | Design,
    vars: Sequence[str],
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    level: float = 0.95,
    ci_df: str | float | None = None,
    lonely_psu: str = "fail",
) -> pd.DataFrame:
    """:func:`design_mean` of several variables in one pass: one row per variable with the
    columns of :class:`DesignEstimate` (``variable`` first)."""
    d = _design(data, weight, strata, psu, fpc, lonely_psu)
    vs = _as_list(vars)
    y = np.column_stack([_column(d, v) for v in vs])
    r, _ = d.means(y)
    frames = [_mean_frame({k: np.atleast_1d(v)[[i]] for k, v in r.items()}, level, ci_df, v)
              for i, v in enumerate(vs)]
    out = pd.concat(frames, ignore_index=True)
    return out[["variable", *[c for c in out.columns if c != "variable"]]]


def design_share(
    data: pd.DataFrame | Design,
    var: str,
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    method: str = "logit",
    level: float = 0.95,
    ci_df: str | float | None = None,
    lonely_psu: str = "fail",
) -> DesignEstimate:
    """Design-based share of a 0/1 (bool) column with a logit or Wilson interval.

    ``p̂ = Σ w y / Σ w`` (a mean of 0/1) with its linearised SE (see :func:`design_mean`).
    ``method="logit"``: as R's ``svyciprop(~y, design, method="logit")``, i.e.
    ``expit(logit p̂ ± t_{degf} · SE(p̂) / (p̂(1 − p̂)))`` (the intercept-only
    quasi-binomial ``svyglm``; its sandwich SE on the logit scale is exactly this).
    ``method="wilson"``: Wilson's score interval on the effective sample size
    ``p̂(1−p̂)/SE²`` (design-effect adjusted; Kott & Carr 1997), normal quantile.
    Missing values are excluded as a domain and counted. ``ci_df`` overrides the t df of the
    logit interval ("normal" for a normal quantile).

    Example: 3 of 4 equally weighted respondents satisfied (SRS, no fpc) → p̂ = 0.75,
    SE = sqrt(p̂(1−p̂)/(n−1)) = 0.25 (test_survey_design).
    """
    d = _design(data, weight, strata, psu, fpc, lonely_psu)
    y = _bool_column(d, var)
    r, _ = d.means(y)
    return _one(_share_frame(r, level, method, ci_df, var))


def _domain_codes(design: Design, by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Levels of ``by`` (sorted) and each row's level code; missing values are an error."""
    df = design.df
    for c in by:
        if c not in df.columns:
            raise KeyError(f"{design.table}: no column {c!r} (domain)")
        bad = df[c].isna().to_numpy()
        if bad.any():
            rows = df.index[bad][:5].tolist()
            raise ValueError(f"{design.table}.{c}: {int(bad.sum())} missing value(s) (rows "
                             f"{rows}); rule: every respondent needs a domain value")
    g = df.groupby(by, sort=True, observed=True)
    codes = g.ngroup().to_numpy()
    levels = g.size().reset_index()[by]
    return levels.reset_index(drop=True), codes


def _domains(design: Design, by: list[str]) -> tuple[pd.DataFrame, np.ndarray]:
    """Levels of ``by`` and an n × L indicator matrix."""
    levels, codes = _domain_codes(design, by)
    a = np.zeros((len(codes), len(levels)), dtype=bool)
    a[np.arange(len(codes)), codes] = True
    return levels, a


def design_by(
    data: pd.DataFrame | Design,
    var: str | Sequence[str],
    by: str | Sequence[str],
    weight: str | None = None,
    strata: str | Sequence[str] | None = None,
    psu: str | None = None,
    fpc: str | None = None,
    stat: str = "mean",
    method: str = "logit",
    level: float = 0.95,
    ci_df: str | float | None = None,
    lonely_psu: str = "fail",
) -> pd.DataFrame:
    """Domain estimates (R ``svyby(~var, ~by, design, svymean)``), one row per level of ``by``.

    Each domain's mean is the ratio over the domain's rows, but its variance comes from the
    influence values of the WHOLE design (zero outside the domain), so every stratum keeps
    its ``n_h`` sampled PSUs and fpc: the correct domain variance (Lumley 2010 §2.4), not
    that of a naively subset design. ``stat="share"`` gives shares of a 0/1 column with
    the ``method`` interval. ``var`` may be a list: one row per level and variable.

    Columns: the ``by`` columns, ``variable``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
    ``n``, ``n_missing``, ``deff``, ``df``, ``pop_size``.
    """
    if stat not in ("mean", "share"):
        raise ValueError(f"stat must be 'mean' or 'share', not {stat!r}")
    d = _design(data, weight, strata, psu, fpc, lonely_psu)
    by_cols = _as_list(by)
    levels, codes = _domain_codes(d, by_cols)
    frames = []
    for v in _as_list(var):
        y = _bool_column(d, v) if stat == "share" else _column(d, v)
        r = d.partition_means(y, codes, len(levels))
        f = (_share_frame(r, level, method, ci_df, v) if stat == "share"
             else _mean_frame(r, level, ci_df, v))
        frames.append(pd.concat([levels, f], axis=1))
    out = pd.concat(frames, ignore_index=True)
    cols = [*by_cols, *[c for c in out.columns if c not in by_cols and c != "level"], "level"]
    return out[cols]


def design_difference(
    data: pd.DataFrame | Design,
    var: str,
    domain_a: np.ndarray | pd.Series,
    domain_b: np.ndarray | pd.Series,
    level: float = 0.95,
    ci_df: str | float | None = None,
) -> dict:
    """Difference of the domain means ``ȳ_a − ȳ_b`` in ONE design, with the covariance of
    the two estimates: ``V = V(Σ_i (z^a_i − z^b_i))`` on the design (Lumley 2010 §2.4,
    ``svycontrast`` of an ``svyby``). Returns estimate, se, ci_low, ci_high, z, p_value
    (two-sided, normal), n_a, n_b.
    """
    d = data if isinstance(data, Design) else Design(data)
    y = _column(d, var)
    a = np.column_stack([np.asarray(domain_a, dtype=bool), np.asarray(domain_b, dtype=bool)])
    r, z = d.means(np.column_stack([y, y]), a)
    diff = float(r["estimate"][0] - r["estimate"][1])
    se = float(math.sqrt(d.variance(z[:, 0] - z[:, 1])))
    q = _quantile(level, _ci_df(ci_df, d.degf))
    zstat = diff / se if se > 0 else math.nan
    p = float(2 * stats.norm.sf(abs(zstat))) if se > 0 else math.nan
    return {"estimate": diff, "se": se, "ci_low": diff - q * se, "ci_high": diff + q * se,
            "z": zstat, "p_value": p, "n_a": int(r["n"][0]), "n_b": int(r["n"][1])}
