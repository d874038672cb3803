"""Combination rules of lean_analysis.forecast.ensemble against independent numpy sums.

The rules: the mean and the median of the members' forecasts and bounds, and inverse-error
weights learnt from earlier windows only (window k's weights never see window k's errors).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis.forecast.ensemble import combine, combine_weighted, inverse_error_weights

MODELS = ["ets", "theta", "arima", "ces"]
IDS = ["P1", "P2", "P3"]
CUTOFFS = pd.date_range("2025-01-31", periods=5, freq="ME")


@pytest.fixture(scope="module")
def cube():
    """Forecasts, 80 % bounds and actuals as arrays (model × series × cutoff)."""
    rng = np.random.default_rng(7)
    shape = (len(MODELS), len(IDS), len(CUTOFFS))
    f = rng.uniform(50, 150, shape)
    lo = f - rng.uniform(1, 20, shape)
    hi = f + rng.uniform(1, 20, shape)
    y = rng.uniform(50, 150, shape[1:])
    return f, lo, hi, y


def frames(cube) -> dict[str, pd.DataFrame]:
    f, lo, hi, y = cube
    out = {}
    for i, m in enumerate(MODELS):
        rows = []
        for j, u in enumerate(IDS):
            for k, c in enumerate(CUTOFFS):
                rows.append({"model": m, "unique_id": u, "cutoff": c,
                             "ds": c + pd.offsets.MonthBegin(1), "y": y[j, k],
                             "forecast": f[i, j, k], "lo_80": lo[i, j, k], "hi_80": hi[i, j, k]})
        out[m] = pd.DataFrame(rows)
    return out


def as_cube(out: pd.DataFrame, col: str) -> np.ndarray:
    return out.pivot(index="unique_id", columns="cutoff", values=col).loc[IDS, CUTOFFS].to_numpy()


@pytest.mark.parametrize("rule,fn", [("mean", np.mean), ("median", np.median)])
def test_mean_and_median_match_numpy(cube, rule, fn):
    f, lo, hi, y = cube
    out = combine(list(frames(cube).values()), "comb", rule=rule)
    assert len(out) == len(IDS) * len(CUTOFFS) and set(out["model"]) == {"comb"}
    np.testing.assert_allclose(as_cube(out, "forecast"), fn(f, axis=0), rtol=1e-12)
    np.testing.assert_allclose(as_cube(out, "lo_80"), fn(lo, axis=0), rtol=1e-12)
    np.testing.assert_allclose(as_cube(out, "hi_80"), fn(hi, axis=0), rtol=1e-12)
    np.testing.assert_allclose(as_cube(out, "y"), y, rtol=1e-12)


def test_median_differs_from_mean_on_a_skewed_member():
    base = {"unique_id": ["a"], "cutoff": [1], "ds": [2], "y": [100.0]}
    members = [pd.DataFrame({**base, "forecast": [v]}) for v in (90.0, 100.0, 170.0)]
    assert combine(members, "m")["forecast"].iloc[0] == pytest.approx(120.0)
    assert combine(members, "m", rule="median")["forecast"].iloc[0] == pytest.approx(100.0)
    with pytest.raises(ValueError, match="rule 'mode'"):
        combine(members, "m", rule="mode")


def test_only_points_every_member_forecast_are_combined(cube):
    fr = frames(cube)
    fr["ces"] = fr["ces"].iloc[1:]  # drops P1 at the first cutoff
    out = combine(list(fr.values()), "comb")
    assert len(out) == len(IDS) * len(CUTOFFS) - 1
    assert not ((out["unique_id"] == "P1") & (out["cutoff"] == CUTOFFS[0])).any()


def numpy_weights(err: np.ndarray) -> np.ndarray:
    """err: window × model -> weights window × model (independent implementation)."""
    n_w, n_m = err.shape
    w = np.empty_like(err)
    w[0] = 1 / n_m
    for k in range(1, n_w):
        inv = 1 / err[:k].mean(axis=0)
        w[k] = inv / inv.sum()
    return w


def error_frame(err: np.ndarray, uid: str | None = None) -> pd.DataFrame:
    rows = [{"cutoff": CUTOFFS[k], "model": m, "error": err[k, i]}
            for k in range(err.shape[0]) for i, m in enumerate(MODELS)]
    df = pd.DataFrame(rows)
    return df.assign(unique_id=uid) if uid else df


def test_inverse_error_weights_match_numpy():
    rng = np.random.default_rng(3)
    err = rng.uniform(0.2, 3.0, (len(CUTOFFS), len(MODELS)))
    w = inverse_error_weights(error_frame(err))
    got = w.pivot(index="cutoff", columns="model", values="weight").loc[CUTOFFS, MODELS]
    np.testing.assert_allclose(got.to_numpy(), numpy_weights(err), rtol=1e-12)
    np.testing.assert_allclose(got.sum(axis=1), 1.0)
    # the second window's weights: 1/e of window 1 only, e.g. by hand for the first model
    assert got.iloc[1, 0] == pytest.approx((1 / err[0, 0]) / (1 / err[0]).sum())


def test_inverse_error_weights_per_series():
    rng = np.random.default_rng(4)
    errs = {u: rng.uniform(0.1, 5.0, (len(CUTOFFS), len(MODELS))) for u in IDS}
    e = pd.concat([error_frame(errs[u], u) for u in IDS], ignore_index=True)
    w = inverse_error_weights(e, by=["unique_id"])
    for u in IDS:
        got = w[w["unique_id"] == u].pivot(index="cutoff", columns="model", values="weight")
        np.testing.assert_allclose(got.loc[CUTOFFS, MODELS].to_numpy(), numpy_weights(errs[u]),
                                   rtol=1e-12)


@pytest.mark.parametrize("k", [0, 2, 4])
def test_no_leakage_window_k_weights_ignore_window_k_errors(k):
    rng = np.random.default_rng(5)
    err = rng.uniform(0.5, 2.0, (len(CUTOFFS), len(MODELS)))
    before = inverse_error_weights(error_frame(err)).set_index(["cutoff", "model"])["weight"]
    bad = err.copy()
    bad[k] = [100.0, 0.01, 50.0, 7.0]  # window k's errors changed wildly
    after = inverse_error_weights(error_frame(bad)).set_index(["cutoff", "model"])["weight"]
    upto = before.index.get_level_values("cutoff") <= CUTOFFS[k]
    pd.testing.assert_series_equal(before[upto], after[upto])
    if k + 1 < len(CUTOFFS):  # ... and the later windows do see them
        nxt = before.index.get_level_values("cutoff") == CUTOFFS[k + 1]
        assert not np.allclose(before[nxt], after[nxt])


def test_zero_error_models_share_the_weight():
    err = np.ones((2, len(MODELS)))
    err[0, 1] = err[0, 3] = 0.0
    w = inverse_error_weights(error_frame(err))
    second = w[w["cutoff"] == CUTOFFS[1]].set_index("model")["weight"]
    assert second.to_dict() == {"arima": 0.0, "ces": 0.5, "ets": 0.0, "theta": 0.5}


def test_missing_error_column_is_named():
    with pytest.raises(ValueError, match="column 'error' is missing"):
        inverse_error_weights(pd.DataFrame({"cutoff": [1], "model": ["a"], "mae": [1.0]}))


def test_weighted_combination_matches_numpy(cube):
    f, lo, hi, y = cube
    rng = np.random.default_rng(6)
    err = rng.uniform(0.2, 3.0, (len(CUTOFFS), len(MODELS)))
    w = inverse_error_weights(error_frame(err))
    out = combine_weighted(frames(cube), w, "invw")
    wn = numpy_weights(err)  # cutoff × model
    for col, arr in (("forecast", f), ("lo_80", lo), ("hi_80", hi)):
        expect = np.einsum("km,mjk->jk", wn, arr)
        np.testing.assert_allclose(as_cube(out, col), expect, rtol=1e-12)
    # first cutoff: equal weights, i.e. the plain mean
    np.testing.assert_allclose(as_cube(out, "forecast")[:, 0], f[:, :, 0].mean(axis=0))


def test_weighted_combination_per_series_weights(cube):
    f = cube[0]
    rng = np.random.default_rng(8)
    errs = {u: rng.uniform(0.1, 5.0, (len(CUTOFFS), len(MODELS))) for u in IDS}
    e = pd.concat([error_frame(errs[u], u) for u in IDS], ignore_index=True)
    w = inverse_error_weights(e, by=["unique_id"])
    out = combine_weighted(frames(cube), w, "invw", by=["unique_id"])
    got = as_cube(out, "forecast")
    for j, u in enumerate(IDS):
        np.testing.assert_allclose(got[j], np.einsum("km,mk->k", numpy_weights(errs[u]),
                                                     f[:, j, :]), rtol=1e-12)


def test_weighted_combination_names_a_missing_weight(cube):
    w = inverse_error_weights(error_frame(np.ones((len(CUTOFFS), len(MODELS)))))
    with pytest.raises(ValueError, match="no weight for model 'ces'"):
        combine_weighted(frames(cube), w[w["model"] != "ces"], "invw")
