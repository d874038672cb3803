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

The sampling frame and the weights of a wave (``N_h / n_h``, ``fpc = N_h``) are built by
:mod:`lean_analysis.survey.sampling`, which imports this module (not the reverse).

Example: a stratified random sample, stratum A with 4 customers of whom 2 answered and B
with 6 of whom 3 answered (weights ``N_h / n_h`` = 2 from the fpc):

>>> df = pd.DataFrame({"stratum": ["A", "A", "B", "B", "B"], "y": [1, 3, 4, 6, 8],
...                    "N": [4, 4, 6, 6, 6]})
>>> est = design_mean(df, "y", strata="stratum", fpc="N")
>>> round(est.estimate, 4), round(est.se, 4)
(4.4, 0.5657)

R's ``apistrat`` (``svymean(~api00, dstrat)`` = 662.29, SE 9.4089) and ``apiclus1`` are
reproduced in ``tests/test_survey_design.py``.

References
----------
Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley.
Lumley, T. R package ``survey``: ``svydesign``, ``svymean``, ``svyby``, ``svyciprop``.
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
    """Design-based mean of ``var`` with its linearised SE, interval and design effect
    (R ``svymean``).

    ``ȳ = Σ w y / Σ w``; ``V(ȳ) = Σ_h (1 − n_h/N_h) n_h/(n_h−1) Σ_j (z_hj − z̄_h)²`` with
    ``z_i = w_i (y_i − ȳ) / Σ w`` summed over PSU ``j`` (module docstring). Missing values
    of ``var`` are excluded as a domain (R ``na.rm=TRUE``; the design keeps every PSU) and
    counted in ``n_missing``. Interval ``ȳ ± q SE`` with the normal quantile by default.

    Parameters
    ----------
    data : DataFrame or Design
        The respondents, one row each, or a :class:`Design` built on them (then ``weight``,
        ``strata``, ``psu`` and ``fpc`` must be None).
    weight : str, optional
        Column of sampling weights (positive). Without it the weights are ``N_h / n_h``
        from ``fpc`` (as R), else 1.
    strata : str or list of str, optional
        Column(s) whose combinations are the strata; None: one stratum.
    psu : str, optional
        Column of the primary sampling units, nested in the strata; None: each row is its
        own PSU.
    fpc : str, optional
        Column of the stratum's population size ``N_h`` (values ≤ 1 are sampling
        fractions); None: no finite population correction.
    var : str
        The numeric (or bool) column to average.
    level : float, default 0.95
        Confidence level of the interval.
    ci_df : None, "normal", "design" or float, optional
        Degrees of freedom of the interval's quantile: None or "normal" the normal
        quantile (R's ``confint(svymean(...))``), "design" Student's t on the design
        degrees of freedom (``degf``), or that number.
    lonely_psu : {"fail", "remove", "adjust"}, default "fail"
        A stratum with one PSU: raise, let it contribute nothing, or centre it at the mean
        of all PSU totals (:class:`Design`).

    Returns
    -------
    DesignEstimate
        ``estimate``, ``se``, ``ci_low``, ``ci_high``; ``n`` respondents used; ``deff`` the
        design effect against simple random sampling without replacement (R
        ``deff=TRUE``); ``df`` = PSUs − strata (R ``degf``); ``n_missing``; ``pop_size`` =
        ``Σ w``.

    See Also
    --------
    design_means : several variables in one pass.
    design_by : domain means.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, §2.2–2.4.
    Lumley, T. R package ``survey``: ``svymean``, ``confint``, ``svyby``.

    Examples
    --------
    Stratum A: 4 customers, 2 answered (y = 1, 3); stratum B: 6 customers, 3 answered
    (y = 4, 6, 8); every weight is ``N_h / n_h`` = 2. By hand, ``ȳ = (2·4 + 2·18) / 10 =
    4.4`` and the textbook stratified variance ``Σ_h (N_h/N)² (1 − n_h/N_h) s²_h / n_h =
    0.16 · 0.5 · 2/2 + 0.36 · 0.5 · 4/3 = 0.32``:

    >>> df = pd.DataFrame({"stratum": ["A", "A", "B", "B", "B"], "y": [1, 3, 4, 6, 8],
    ...                    "ok": [0, 1, 1, 1, 0], "segment": ["x", "y", "x", "y", "y"],
    ...                    "N": [4, 4, 6, 6, 6]})
    >>> est = design_mean(df, "y", strata="stratum", fpc="N")
    >>> round(est.estimate, 4), round(est.se ** 2, 4), round(est.se, 4)
    (4.4, 0.32, 0.5657)
    >>> round(est.ci_low, 3), round(est.ci_high, 3), est.n, est.df, est.pop_size
    (3.291, 5.509, 5, 3, 10.0)

    The same with the weights given (R ``svydesign(id=~1, strata=~stratum, weights=~w,
    fpc=~N)``):

    >>> round(design_mean(df.assign(w=2.0), "y", weight="w", strata="stratum",
    ...                   fpc="N").se, 4)
    0.5657
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
    """:func:`design_mean` of several variables in one pass.

    Parameters
    ----------
    data : DataFrame or Design
        The respondents, one row each, or a :class:`Design` built on them (then ``weight``,
        ``strata``, ``psu`` and ``fpc`` must be None).
    weight : str, optional
        Column of sampling weights (positive). Without it the weights are ``N_h / n_h``
        from ``fpc`` (as R), else 1.
    strata : str or list of str, optional
        Column(s) whose combinations are the strata; None: one stratum.
    psu : str, optional
        Column of the primary sampling units, nested in the strata; None: each row is its
        own PSU.
    fpc : str, optional
        Column of the stratum's population size ``N_h`` (values ≤ 1 are sampling
        fractions); None: no finite population correction.
    vars : list of str
        The numeric columns.
    level : float, default 0.95
        Confidence level of the interval.
    ci_df : None, "normal", "design" or float, optional
        Degrees of freedom of the interval's quantile: None or "normal" the normal
        quantile (R's ``confint(svymean(...))``), "design" Student's t on the design
        degrees of freedom (``degf``), or that number.
    lonely_psu : {"fail", "remove", "adjust"}, default "fail"
        A stratum with one PSU: raise, let it contribute nothing, or centre it at the mean
        of all PSU totals (:class:`Design`).

    Returns
    -------
    DataFrame
        One row per variable with the fields of :class:`DesignEstimate`, ``variable``
        first.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, §2.2–2.4.
    Lumley, T. R package ``survey``: ``svymean``, ``confint``, ``svyby``.

    Examples
    --------
    >>> df = pd.DataFrame({"stratum": ["A", "A", "B", "B", "B"], "y": [1, 3, 4, 6, 8],
    ...                    "ok": [0, 1, 1, 1, 0], "segment": ["x", "y", "x", "y", "y"],
    ...                    "N": [4, 4, 6, 6, 6]})
    >>> est = design_means(df, ["y", "ok"], strata="stratum", fpc="N")
    >>> est[["variable", "estimate", "se"]].round(4)
      variable  estimate      se
    0        y       4.4  0.5657
    1       ok       0.6  0.2000
    """
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
    ``p̂(1−p̂)/SE²`` (design-effect adjusted; Kott & Carr 1997), normal quantile. At
    ``p̂`` = 0 or 1 both use Wilson's interval on ``n``. Missing values are excluded as a
    domain and counted.

    Parameters
    ----------
    data : DataFrame or Design
        The respondents, one row each, or a :class:`Design` built on them (then ``weight``,
        ``strata``, ``psu`` and ``fpc`` must be None).
    weight : str, optional
        Column of sampling weights (positive). Without it the weights are ``N_h / n_h``
        from ``fpc`` (as R), else 1.
    strata : str or list of str, optional
        Column(s) whose combinations are the strata; None: one stratum.
    psu : str, optional
        Column of the primary sampling units, nested in the strata; None: each row is its
        own PSU.
    fpc : str, optional
        Column of the stratum's population size ``N_h`` (values ≤ 1 are sampling
        fractions); None: no finite population correction.
    var : str
        A 0/1 or bool column (missing allowed); any other value raises ``ValueError``.
    method : {"logit", "wilson"}, default "logit"
        The interval.
    level : float, default 0.95
        Confidence level of the interval.
    ci_df : None, "normal", "design" or float, optional
        Degrees of freedom of the logit interval's t quantile: None (default) or "design"
        the design df ``degf`` (as R), "normal" the normal quantile, or that number.
    lonely_psu : {"fail", "remove", "adjust"}, default "fail"
        A stratum with one PSU (:class:`Design`).

    Returns
    -------
    DesignEstimate
        As :func:`design_mean`, ``method`` naming the interval.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, §2.2, §3.
    Lumley, T. R package ``survey``: ``svyciprop(method="logit")``.
    Kott, P. S. & Carr, D. A. (1997). Developing an estimation strategy for a pesticide
    data program. *J. Official Statistics* 13(4), 367–383.

    Examples
    --------
    3 of 5 answered yes, one in stratum A and two in B: ``p̂ = (2 + 4)/10 = 0.6``,
    ``V = 0.16 · 0.5 · 0.5/2 + 0.36 · 0.5 · (1/3)/3 = 0.04`` and the logit interval uses
    ``t`` on 5 − 2 = 3 df:

    >>> df = pd.DataFrame({"stratum": ["A", "A", "B", "B", "B"], "y": [1, 3, 4, 6, 8],
    ...                    "ok": [0, 1, 1, 1, 0], "segment": ["x", "y", "x", "y", "y"],
    ...                    "N": [4, 4, 6, 6, 6]})
    >>> p = design_share(df, "ok", strata="stratum", fpc="N")
    >>> round(p.estimate, 4), round(p.se, 4), p.df
    (0.6, 0.2, 3)
    >>> round(p.ci_low, 4), round(p.ci_high, 4)
    (0.0956, 0.9551)

    Three of four equally weighted respondents (SRS, no fpc): ``SE = sqrt(p̂(1 − p̂)/(n −
    1)) = 0.25``:

    >>> round(design_share(pd.DataFrame({"s": [1, 1, 1, 0]}), "s").se, 4)
    0.25
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
    """Domain estimates (R ``svyby(~var, ~by, design, svymean)``), one row per level of
    ``by``.

    Each domain's mean is the ratio over the domain's rows, but its variance comes from the
    influence values of the WHOLE design (zero outside the domain), so every stratum keeps
    its ``n_h`` sampled PSUs and fpc: the correct domain variance (Lumley 2010 §2.4), not
    that of a naively subset design.

    Parameters
    ----------
    data : DataFrame or Design
        The respondents, one row each, or a :class:`Design` built on them (then ``weight``,
        ``strata``, ``psu`` and ``fpc`` must be None).
    weight : str, optional
        Column of sampling weights (positive). Without it the weights are ``N_h / n_h``
        from ``fpc`` (as R), else 1.
    strata : str or list of str, optional
        Column(s) whose combinations are the strata; None: one stratum.
    psu : str, optional
        Column of the primary sampling units, nested in the strata; None: each row is its
        own PSU.
    fpc : str, optional
        Column of the stratum's population size ``N_h`` (values ≤ 1 are sampling
        fractions); None: no finite population correction.
    var : str or list of str
        The column(s) to estimate; a list gives one row per level and variable.
    by : str or list of str
        The domain column(s) (missing values are an error).
    stat : {"mean", "share"}, default "mean"
        Means (:func:`design_mean`) or shares of a 0/1 column (:func:`design_share`).
    method : {"logit", "wilson"}, default "logit"
        The interval of a share.
    level : float, default 0.95
        Confidence level of the interval.
    ci_df : None, "normal", "design" or float, optional
        Degrees of freedom of the interval's quantile: None or "normal" the normal
        quantile (R's ``confint(svymean(...))``), "design" Student's t on the design
        degrees of freedom (``degf``), or that number.
    lonely_psu : {"fail", "remove", "adjust"}, default "fail"
        A stratum with one PSU: raise, let it contribute nothing, or centre it at the mean
        of all PSU totals (:class:`Design`).

    Returns
    -------
    DataFrame
        The ``by`` columns, ``variable``, ``estimate``, ``se``, ``ci_low``, ``ci_high``,
        ``n``, ``deff``, ``df`` (PSUs − strata that contain the domain), ``n_missing``,
        ``pop_size``, ``method``, ``level``.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, §2.2–2.4.
    Lumley, T. R package ``survey``: ``svymean``, ``confint``, ``svyby``.

    Examples
    --------
    Domain ``x`` holds one respondent of each stratum (y = 1 and 4): ``ȳ_x = 2.5`` with
    ``V = 0.75²``, although a naively subset design would have one PSU per stratum:

    >>> df = pd.DataFrame({"stratum": ["A", "A", "B", "B", "B"], "y": [1, 3, 4, 6, 8],
    ...                    "ok": [0, 1, 1, 1, 0], "segment": ["x", "y", "x", "y", "y"],
    ...                    "N": [4, 4, 6, 6, 6]})
    >>> dom = design_by(df, "y", "segment", strata="stratum", fpc="N")
    >>> dom[["segment", "estimate", "se", "n", "df"]].round(4)
      segment  estimate      se  n  df
    0       x    2.5000  0.7500  2   0
    1       y    5.6667  0.8127  3   1
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
    """Difference of two domain means ``ȳ_a − ȳ_b`` in ONE design, with the covariance of
    the two estimates.

    ``V = V(Σ_i (z^a_i − z^b_i))`` on the design, ``z^a`` and ``z^b`` the domains'
    influence values (Lumley 2010 §2.4, ``svycontrast`` of an ``svyby``); two-sided normal
    test.

    Parameters
    ----------
    data : DataFrame or Design
        The respondents (a DataFrame is a simple random sample with equal weights) or a
        :class:`Design`.
    var : str
        The numeric column.
    domain_a, domain_b : array of bool
        The two domains, one value per row.
    level : float, default 0.95
        Confidence level of the interval.
    ci_df : None, "normal", "design" or float, optional
        Degrees of freedom of the interval's quantile (see :func:`design_mean`).

    Returns
    -------
    dict
        ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``z``, ``p_value`` (two-sided,
        normal), ``n_a``, ``n_b``.

    References
    ----------
    Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*. Wiley, §2.2–2.4.
    Lumley, T. R package ``survey``: ``svymean``, ``confint``, ``svyby``.

    Examples
    --------
    >>> df = pd.DataFrame({"stratum": ["A", "A", "B", "B", "B"], "y": [1, 3, 4, 6, 8],
    ...                    "ok": [0, 1, 1, 1, 0], "segment": ["x", "y", "x", "y", "y"],
    ...                    "N": [4, 4, 6, 6, 6]})
    >>> d = Design(df, strata="stratum", fpc="N")
    >>> r = design_difference(d, "y", df["segment"] == "y", df["segment"] == "x")
    >>> round(r["estimate"], 4), round(r["se"], 4), round(r["p_value"], 4)
    (3.1667, 1.491, 0.0337)
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
