"""One entry point that picks the estimator the design allows and says why."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from lean_analysis.brand._util import coerce_like, require_columns, treated_units
from lean_analysis.brand.did import DidResult, did
from lean_analysis.brand.synth import SynthMultiResult, SynthResult, synthetic_control

VERDICTS = ("positive", "suggestive", "negative", "unclear")


def verdict(method: str, ci_low: float, ci_high: float, p_value: float, alpha: float) -> str:
    """The plain-language verdict on an effect from its interval (and, for a synthetic
    control, its placebo p-value):

    - ``"positive"``: the interval lies above 0 (synthetic control: and p ≤ ``alpha``);
    - ``"suggestive"``: synthetic control whose interval lies above 0 but whose placebo
      ratio test is not significant (p > ``alpha`` or missing);
    - ``"negative"``: the interval lies below 0;
    - ``"unclear"``: the interval contains 0 or is missing.

    >>> verdict("did", 1.0, 3.0, 0.01, 0.05), verdict("synth", 1.0, 3.0, 0.11, 0.05)
    ('positive', 'suggestive')
    >>> verdict("did", -3.0, -1.0, 0.01, 0.05), verdict("did", -1.0, 3.0, 0.4, 0.05)
    ('negative', 'unclear')
    """
    lo, hi = float(ci_low), float(ci_high)
    if np.isnan(lo) or np.isnan(hi):
        return "unclear"
    weak = method == "synth" and not (float(p_value) <= alpha)
    if lo > 0:
        return "suggestive" if weak else "positive"
    if hi < 0:
        return "negative"
    return "unclear"


TABLE_COLUMNS = [
    "method", "unit", "estimate", "ci_low", "ci_high", "p_value", "alpha", "baseline", "lift",
    "n_treated", "n_control", "interval", "pretrend_p", "pre_rmspe",
]


@dataclass
class EffectResult:
    """``table``: one row per treated unit (synthetic control) plus the overall row
    (``unit == "all"``), with the same columns whatever the method."""

    method: str
    reason: str
    table: pd.DataFrame
    detail: DidResult | SynthResult | SynthMultiResult

    def _overall(self) -> pd.Series:
        return self.table[self.table["unit"] == "all"].iloc[0]

    @property
    def estimate(self) -> float:
        return float(self._overall()["estimate"])

    @property
    def ci_low(self) -> float:
        return float(self._overall()["ci_low"])

    @property
    def ci_high(self) -> float:
        return float(self._overall()["ci_high"])

    @property
    def p_value(self) -> float:
        return float(self._overall()["p_value"])

    @property
    def lift(self) -> float:
        return float(self._overall()["lift"])

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def verdict(self, alpha: float) -> str:
        """:func:`verdict` of the overall row."""
        return verdict(self.method, self.ci_low, self.ci_high, self.p_value, alpha)


def nearest_donors(panel, unit, time, outcome, treated_ids, start, n: int) -> list:
    """The ``n`` untreated units whose pre-period path is closest (RMS difference) to the
    treated units' mean path; only units observed in every period qualify."""
    wide = panel.pivot(index=time, columns=unit, values=outcome).sort_index()
    wide = wide.loc[:, wide.notna().all()]
    pre = wide[wide.index < coerce_like(start, panel[time])]
    target = pre[[u for u in treated_ids if u in pre.columns]].mean(axis=1)
    cand = pre.drop(columns=[u for u in treated_ids if u in pre.columns])
    d = np.sqrt(((cand.sub(target, axis=0)) ** 2).mean())
    d = d.sort_index().sort_values(kind="mergesort")
    return list(d.index[:n])


def estimate_effect(
    panel: pd.DataFrame,
    unit: str,
    time: str,
    outcome: str,
    treated,
    start,
    method: str = "auto",
    alpha: float = 0.05,
    donors: list | None = None,
    max_synth_treated: int = 5,
    max_donors: int = 60,
    event_window: tuple[int, int] | None = None,
    normalize: str = "none",
    seed: int = 0,
) -> EffectResult:
    """Estimate a programme's effect with ``method`` = ``"did"``, ``"synth"`` or ``"auto"``.

    ``auto`` uses the synthetic control when there are at most ``max_synth_treated`` treated
    units (clustered standard errors need many treated clusters; with a handful they are far
    too small — Conley & Taber 2011, MacKinnon & Webb 2017), otherwise TWFE DiD with
    customer-clustered SE. The synthetic control's donor pool is ``donors`` or, when not
    given, the ``max_donors`` untreated units with the closest pre-period path (the reason
    says so); ``normalize`` is passed to :func:`~lean_analysis.brand.synth.synthetic_control`
    ("ratio" suits stores of different sizes). ``reason`` explains the choice in one
    sentence (English; reports translate).
    """
    if method not in ("auto", "did", "synth"):
        raise ValueError(f"method must be 'auto', 'did' or 'synth', not {method!r}")
    require_columns(panel, [unit, time, outcome], "brand.estimate_effect")
    flag = treated_units(panel, unit, treated, "brand.estimate_effect")
    treated_ids = sorted(pd.unique(panel.loc[flag, unit]))
    n_t = len(treated_ids)
    n_c = int(panel.loc[~flag, unit].nunique())
    if n_t == 0:
        raise ValueError("brand.estimate_effect: no treated unit in the panel")
    if method == "auto":
        chosen = "synth" if n_t <= max_synth_treated else "did"
        reason = (
            f"{n_t} treated unit(s) ≤ {max_synth_treated}: too few for cluster-robust DiD "
            "standard errors, so synthetic control with placebo-in-space inference"
            if chosen == "synth"
            else f"{n_t} treated units > {max_synth_treated}: two-way fixed-effects DiD with "
            "customer-clustered standard errors and an event-study pre-trend test"
        )
    else:
        chosen = method
        reason = f"method {method!r} requested"

    if chosen == "did":
        r = did(panel, unit, time, outcome, list(treated_ids), start, alpha=alpha,
                event_window=event_window)
        table = pd.DataFrame([{
            "method": "did", "unit": "all", "estimate": r.estimate, "ci_low": r.ci_low,
            "ci_high": r.ci_high, "p_value": r.p_value, "alpha": alpha, "baseline": r.baseline,
            "lift": r.lift, "n_treated": r.n_treated, "n_control": r.n_units - r.n_treated,
            "interval": "cluster-robust t", "pretrend_p": r.pretrend_p, "pre_rmspe": np.nan,
        }])
        return EffectResult("did", reason, table[TABLE_COLUMNS], r)

    if donors is None and n_c > max_donors:
        donors = nearest_donors(panel, unit, time, outcome, treated_ids, start, max_donors)
        reason += f"; donor pool: the {max_donors} units with the closest pre-period path"
    r = synthetic_control(panel, unit, time, outcome,
                          treated_ids if n_t > 1 else treated_ids[0], start,
                          donors=donors, alpha=alpha, normalize=normalize, seed=seed)
    rows = r.to_frame()
    rows["unit"] = rows["unit"].replace({"average": "all"})
    if n_t == 1:
        overall = rows.copy()
        overall["unit"] = "all"
        rows = pd.concat([rows, overall], ignore_index=True)
    rows["method"] = "synth"
    rows["n_treated"] = np.where(rows["unit"] == "all", n_t, 1)
    rows["n_control"] = rows.pop("n_donors")
    rows["interval"] = "placebo"
    rows["pretrend_p"] = np.nan
    return EffectResult("synth", reason, rows[TABLE_COLUMNS], r)
