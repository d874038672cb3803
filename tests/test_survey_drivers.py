"""Key drivers: LMG/Shapley and relative weights against closed forms and brute force."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from lean_analysis import survey


def _r2(df: pd.DataFrame, y: str, xs: list[str]) -> float:
    if not xs:
        return 0.0
    return float(sm.OLS(df[y], sm.add_constant(df[xs])).fit().rsquared)


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    rng = np.random.default_rng(42)
    n = 500
    z = rng.normal(size=n)
    x = pd.DataFrame({f"x{j}": z * 0.5 * j / 3 + rng.normal(size=n) for j in range(4)})
    x["y"] = 0.8 * x["x0"] + 0.5 * x["x1"] + 0.3 * x["x2"] + 0.0 * x["x3"] + rng.normal(size=n)
    return x


def test_lmg_two_predictors_closed_form(data):
    # p = 2: LMG_1 = (r1² + (R² − r2²)) / 2
    res = survey.driver_importance(data, "y", ["x0", "x1"])
    r1 = data["x0"].corr(data["y"]) ** 2
    r2 = data["x1"].corr(data["y"]) ** 2
    big = _r2(data, "y", ["x0", "x1"])
    imp = res.table.set_index("predictor")["importance"]
    assert imp["x0"] == pytest.approx((r1 + big - r2) / 2, rel=1e-10)
    assert imp["x1"] == pytest.approx((r2 + big - r1) / 2, rel=1e-10)
    assert res.r2 == pytest.approx(big, rel=1e-10)


def test_lmg_equals_average_over_orders(data):
    xs = ["x0", "x1", "x2", "x3"]
    brute = dict.fromkeys(xs, 0.0)
    orders = list(itertools.permutations(xs))
    for order in orders:  # OLS R² of statsmodels, independent of our correlation algebra
        for i, x in enumerate(order):
            brute[x] += _r2(data, "y", list(order[: i + 1])) - _r2(data, "y", list(order[:i]))
    res = survey.driver_importance(data, "y", xs, method="shapley")
    imp = res.table.set_index("predictor")["importance"]
    for x in xs:
        assert imp[x] == pytest.approx(brute[x] / math.factorial(4), rel=1e-8)
    assert imp.sum() == pytest.approx(res.r2)
    assert res.table.set_index("predictor")["rank"].to_dict() == {"x0": 1, "x1": 2, "x2": 3,
                                                                  "x3": 4}


def test_relative_weights_orthogonal_and_sum():
    # orthogonal predictors (exactly uncorrelated): ε_j = r_j², the same as LMG
    x1 = np.array([1, -1, 1, -1, 1, -1, 1, -1], float)
    x2 = np.array([1, 1, -1, -1, 1, 1, -1, -1], float)
    y = 2 * x1 + x2 + np.array([0.3, -0.2, 0.1, 0.5, -0.4, 0.2, -0.1, 0.0])
    df = pd.DataFrame({"x1": x1, "x2": x2, "y": y})
    rw = survey.driver_importance(df, "y", ["x1", "x2"], method="relative_weights")
    imp = rw.table.set_index("predictor")["importance"]
    assert imp["x1"] == pytest.approx(df["x1"].corr(df["y"]) ** 2)
    assert imp["x2"] == pytest.approx(df["x2"].corr(df["y"]) ** 2)
    lm = survey.driver_importance(df, "y", ["x1", "x2"]).table["importance"].to_numpy()
    np.testing.assert_allclose(imp.to_numpy(), lm)


def test_relative_weights_sum_to_r2(data):
    xs = ["x0", "x1", "x2", "x3"]
    rw = survey.driver_importance(data, "y", xs, method="relative_weights")
    assert rw.table["importance"].sum() == pytest.approx(_r2(data, "y", xs), rel=1e-10)
    assert rw.table["share"].sum() == pytest.approx(1.0)


def test_missing_rows_excluded_and_counted(data):
    d = data.copy()
    d.loc[:9, "x1"] = np.nan
    res = survey.driver_importance(d, "y", ["x0", "x1"])
    assert res.n == 490 and res.n_excluded == 10


def test_ipa_quadrants():
    imp = pd.Series({"A": 0.40, "B": 0.30, "C": 0.20, "D": 0.10})
    perf = pd.Series({"A": 70.0, "B": 90.0, "C": 60.0, "D": 95.0})
    t = survey.ipa_table(imp, perf).set_index("dimension")
    # cuts: importance mean 0.25, performance mean 78.75
    assert t["quadrant"].to_dict() == {"A": "fix_first", "B": "keep_up", "C": "low_priority",
                                       "D": "possible_overkill"}
    assert t.loc["A", "priority"] == 1 and bool(t.loc["A", "fix_first"])
