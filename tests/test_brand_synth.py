"""brand.synthetic_control against independent solutions, and its placebo inference."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import minimize

from lean_analysis import brand


def long_panel(paths: dict[str, np.ndarray]) -> pd.DataFrame:
    wide = pd.DataFrame(paths)
    wide.index.name = "year"
    return wide.reset_index().melt(id_vars="year", var_name="state", value_name="sales")


def test_hand_solved_convex_combination_of_two_donors():
    # treated = 0.3 A + 0.7 B exactly before the start; C and D are far away
    a = np.array([1, 2, 3, 5, 4, 6, 7, 8, 9, 10], dtype=float)
    b = np.array([5, 1, 4, 2, 6, 3, 5, 4, 6, 5], dtype=float)
    c = a * 3 + 10
    d = b * 0 + 40
    tr = 0.3 * a + 0.7 * b
    tr[7:] += 2.0  # effect 2 from year 7
    r = brand.synthetic_control(long_panel({"A": a, "B": b, "C": c, "D": d, "T": tr}),
                                "state", "year", "sales", "T", start=7)
    w = r.weights
    assert (w >= 0).all() and w.sum() == pytest.approx(1.0, abs=1e-12)
    assert w["A"] == pytest.approx(0.3, abs=1e-3)
    assert w["B"] == pytest.approx(0.7, abs=1e-3)
    assert w["C"] == pytest.approx(0.0, abs=1e-3) and w["D"] == pytest.approx(0.0, abs=1e-3)
    assert r.pre_rmspe < 1e-3
    assert r.post_mean_gap == pytest.approx(2.0, abs=1e-3)
    assert r.gap.loc[7:].to_numpy() == pytest.approx([2.0, 2.0, 2.0], abs=1e-3)


def random_case(seed=11, t_pre=25, n_donors=8):
    rng = np.random.default_rng(seed)
    y0 = rng.normal(10, 2, size=(t_pre, n_donors)).cumsum(axis=0) / 5 + rng.normal(size=(t_pre, n_donors))
    y1 = y0[:, :3] @ np.array([0.5, 0.3, 0.2]) + rng.normal(0, 0.4, t_pre)
    return y1, y0


def test_weights_match_pysyncon_and_slsqp():
    from pysyncon import Synth

    y1, y0 = random_case()
    ours = brand.simplex_weights(y1, y0)
    assert (ours >= 0).all() and ours.sum() == pytest.approx(1.0, abs=1e-12)

    # pysyncon with the outcome path as predictors: it rescales each row by its SD across
    # units, so V = SD^2 gives back the unscaled objective ||y1 - Y0 w||^2
    names = [f"d{j}" for j in range(y0.shape[1])]
    z0, z1 = pd.DataFrame(y0, columns=names), pd.Series(y1, name="treated")
    v = pd.concat([z0, z1], axis=1).std(axis=1) ** 2
    sy = Synth()
    sy.fit(X0=z0, X1=z1, Z0=z0, Z1=z1, custom_V=v.to_numpy())
    assert np.abs(sy.W - ours).max() < 1e-3

    # a generic constrained optimiser (SLSQP on the simplex, tight tolerance)
    j = y0.shape[1]
    res = minimize(lambda w: np.sum((y1 - y0 @ w) ** 2), np.full(j, 1 / j), method="SLSQP",
                   bounds=[(0, 1)] * j, constraints=[{"type": "eq", "fun": lambda w: w.sum() - 1}],
                   options={"ftol": 1e-14, "maxiter": 1000})
    assert np.abs(res.x - ours).max() < 1e-3
    # and ours is at least as good as both
    loss = lambda w: np.sum((y1 - y0 @ w) ** 2)  # noqa: E731
    assert loss(ours) <= min(loss(res.x), loss(sy.W)) + 1e-9


def test_weights_on_many_donors_satisfy_the_optimality_conditions():
    # KKT of min ||y1 - Y0 w||^2 on the simplex: the gradient g = 2 Y0'(Y0 w - y1) equals
    # -mu on the donors with weight and is >= -mu on the others
    rng = np.random.default_rng(5)
    y0 = rng.normal(10, 3, size=(30, 120))
    y1 = y0[:, :5].mean(axis=1) + rng.normal(0, 1, 30)
    w = brand.simplex_weights(y1, y0)
    g = 2 * y0.T @ (y0 @ w - y1)
    on = w > 1e-9
    mu = -g[on].mean()
    assert np.abs(g[on] + mu).max() < 1e-6 * np.abs(g).max()
    assert (g[~on] >= -mu - 1e-6 * np.abs(g).max()).all()


def placebo_panel(effect=5.0, n_donors=19, seed=3, start=20, n_years=26):
    rng = np.random.default_rng(seed)
    common = np.cumsum(rng.normal(0, 1, n_years))
    paths = {f"u{j:02d}": 50 + common * rng.uniform(0.5, 1.5) + rng.normal(0, 1, n_years)
             for j in range(n_donors)}
    tr = np.mean([paths["u00"], paths["u01"], paths["u02"]], axis=0) + rng.normal(0, 0.3, n_years)
    tr[start:] += effect
    paths["T"] = tr
    return long_panel(paths)


def test_placebo_p_value_on_planted_effect():
    r = brand.synthetic_control(placebo_panel(effect=5.0), "state", "year", "sales", "T", start=20)
    # the planted effect gives the largest post/pre RMSPE ratio: rank 1 of 20 -> p = 1/20
    assert r.n_placebos == 19
    assert r.ratio > r.placebo_stats["ratio"].max()
    assert r.p_value == pytest.approx(1 / 20)
    assert r.ci_low < 5.0 < r.ci_high
    assert r.ci_low > 0  # the interval excludes zero for a 5-unit effect
    # placebo lines for the plot: one per donor and period
    assert set(r.placebo_gaps.columns) >= {"time", "unit", "gap", "pre_rmspe", "ratio"}
    assert len(r.placebo_gaps) == 19 * 26


def test_placebo_p_value_is_the_rank_formula():
    r = brand.synthetic_control(placebo_panel(effect=0.0, seed=8), "state", "year", "sales", "T",
                                start=20)
    ratios = r.placebo_stats["ratio"].to_numpy()
    assert r.p_value == pytest.approx((1 + np.sum(ratios >= r.ratio)) / (1 + len(ratios)))
    assert r.p_value > 0.05
    assert r.ci_low < 0 < r.ci_high


def test_two_treated_units_average_effect():
    panel = placebo_panel(effect=5.0, seed=5)
    # a second treated store: mix of other donors plus the same effect
    wide = panel.pivot(index="year", columns="state", values="sales")
    t2 = 0.6 * wide["u05"] + 0.4 * wide["u06"]
    t2.loc[20:] += 5.0
    panel = pd.concat([panel, pd.DataFrame({"year": wide.index, "state": "T2", "sales": t2.to_numpy()})])
    r = brand.synthetic_control(panel, "state", "year", "sales", ["T", "T2"], start=20)
    assert isinstance(r, brand.SynthMultiResult)
    assert set(r.results) == {"T", "T2"}
    for res in r.results.values():
        assert res.weights.sum() == pytest.approx(1.0, abs=1e-9)
        assert "T" not in res.weights.index and "T2" not in res.weights.index
    assert r.results["T2"].weights[["u05", "u06"]].to_numpy() == pytest.approx([0.6, 0.4], abs=1e-3)
    assert r.estimate == pytest.approx(np.mean([x.post_mean_gap for x in r.results.values()]))
    assert r.ci_low < 5.0 < r.ci_high
    assert r.p_value == pytest.approx(1 / (1 + 171))  # all C(19, 2) = 171 placebo pairs
    frame = r.to_frame()
    assert list(frame["unit"]) == ["T", "T2", "average"]


def test_incomplete_donors_are_counted_and_bad_inputs_refused():
    panel = placebo_panel(seed=4)
    panel = panel[~((panel["state"] == "u03") & (panel["year"] == 2))]
    r = brand.synthetic_control(panel, "state", "year", "sales", "T", start=20, placebo=False)
    assert r.excluded == {"donors with missing periods": 1}
    assert "u03" not in r.weights.index
    with pytest.raises(ValueError, match="both treated and donors"):
        brand.synthetic_control(panel, "state", "year", "sales", "T", start=20, donors=["T", "u01"])
    with pytest.raises(ValueError, match="not found"):
        brand.synthetic_control(panel, "state", "year", "sales", "nobody", start=20)


def test_placebo_interval_by_hand_leaves_out_badly_fitted_placebos():
    panel = placebo_panel(effect=5.0, seed=6)
    rng = np.random.default_rng(0)
    wild = pd.DataFrame({"year": np.arange(26), "state": "wild", "sales": 50 + rng.normal(0, 30, 26)})
    r = brand.synthetic_control(pd.concat([panel, wild]), "state", "year", "sales", "T", start=20)
    st = r.placebo_stats.set_index("unit")
    ref = max(r.pre_rmspe, st["pre_rmspe"].median())
    kept = st[st["pre_rmspe"] <= 5 * ref]
    assert "wild" not in kept.index and len(kept) == r.n_placebos - 1 == r.n_interval_placebos
    q_lo = np.quantile(kept["post_mean_gap"], 0.025, method="lower")
    q_hi = np.quantile(kept["post_mean_gap"], 0.975, method="higher")
    assert (r.ci_low, r.ci_high) == pytest.approx((r.post_mean_gap - q_hi, r.post_mean_gap - q_lo))
    assert r.ci_low < 5.0 < r.ci_high
