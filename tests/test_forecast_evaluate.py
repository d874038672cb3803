"""forecast.evaluate / value_added / recommend on hand-made backtests (worked by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis import forecast

D = pd.Timestamp


@pytest.fixture()
def train():
    # one series, 2020-01 … 2020-05: y = 10, 12, 11, 14, 13
    return pd.DataFrame({"unique_id": "a", "ds": pd.date_range("2020-01-01", periods=5, freq="MS"),
                         "y": [10.0, 12, 11, 14, 13], "brand": "X",
                         "capped_share": [np.nan, 0.1, 0.3, 0.5, np.nan]})


@pytest.fixture()
def bt():
    # cutoffs 2020-03 and 2020-04, h = 1 (targets 2020-04: y 14, 2020-05: y 13)
    rows = [
        ("a", D("2020-03-01"), D("2020-04-01"), 1, "m1", 14.0, 11.0, 10.0, 13.0),
        ("a", D("2020-04-01"), D("2020-05-01"), 1, "m1", 13.0, 14.0, 12.0, 15.0),
        ("a", D("2020-03-01"), D("2020-04-01"), 1, "m2", 14.0, 14.0, np.nan, np.nan),
        ("a", D("2020-04-01"), D("2020-05-01"), 1, "m2", 13.0, 12.0, np.nan, np.nan),
    ]
    out = pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "step", "model", "y", "forecast",
                                      "lo_80", "hi_80"])
    out.attrs = {"params": {"season_length": 1}}
    return out


def test_scores_by_model_by_hand(bt, train):
    sc = forecast.evaluate(bt, train=train, by=["model"]).set_index("model")
    m1 = sc.loc["m1"]
    # errors −3, +1; scales (naive MAE up to each cutoff, m = 1): (2+1)/2 = 1.5, (2+1+3)/3 = 2
    assert m1["n"] == 2
    assert m1["mase"] == pytest.approx((3 / 1.5 + 1 / 2) / 2)  # 1.25
    assert m1["accuracy"] == pytest.approx(((1 - 3 / 14) + (1 - 1 / 13)) / 2)
    assert m1["accuracy_weighted"] == pytest.approx(1 - 4 / 27)
    assert m1["bias"] == pytest.approx(-1.0) and m1["bias_pct"] == pytest.approx(-2 / 27)
    assert m1["rmse"] == pytest.approx(np.sqrt((9 + 1) / 2))
    # 80 % intervals [10, 13] (14 above: width 3 + 10·1) and [12, 15] (13 inside: width 3)
    assert m1["coverage_80"] == pytest.approx(0.5)
    assert m1["winkler_80"] == pytest.approx((13 + 3) / 2)
    m2 = sc.loc["m2"]
    assert m2["mase"] == pytest.approx((0 / 1.5 + 1 / 2) / 2)  # 0.25
    assert np.isnan(m2["coverage_80"])


def test_grouping_by_month_and_level_columns(bt, train):
    sc = forecast.evaluate(bt, train=train, by=["brand", "model", "month"])
    assert sc[["brand", "model", "month"]].values.tolist() == [
        ["X", "m1", 4], ["X", "m1", 5], ["X", "m2", 4], ["X", "m2", 5]]
    assert sc["n"].tolist() == [1, 1, 1, 1]
    assert sc["mae"].tolist() == [3.0, 1.0, 0.0, 1.0]
    one = forecast.evaluate(bt, train=train, by=[])
    assert one["n"].tolist() == [4]
    with pytest.raises(ValueError, match="'region'"):
        forecast.evaluate(bt, train=train, by=["region"])


def test_mase_scale_uses_no_data_after_the_cutoff(bt, train):
    later = train.copy()
    later.loc[later["ds"] > D("2020-04-01"), "y"] = 1e6  # changes only data after both cutoffs
    a = forecast.evaluate(bt, train=train, by=["model"])
    b = forecast.evaluate(bt, train=later, by=["model"])
    assert a["mase"].tolist() == b["mase"].tolist()
    no_train = forecast.evaluate(bt, by=["model"])
    assert no_train["mase"].isna().all()


def test_censored_points_with_and_without(bt, train):
    sc = forecast.evaluate(bt, train=train, by=["model"], censored="capped_share",
                           censor_threshold=0.2).set_index("model")
    # 2020-04 has capped_share 0.5 > 0.2 (flagged); 2020-05 has none (NaN: not flagged)
    assert sc.loc["m1", "n_censored"] == 1
    assert sc.loc["m1", "accuracy_uncensored"] == pytest.approx(1 - 1 / 13)
    assert sc.loc["m2", "mase_uncensored"] == pytest.approx(1 / 2)
    assert sc.loc["m1", "accuracy"] == pytest.approx(((1 - 3 / 14) + (1 - 1 / 13)) / 2)
    mask = np.array([False, True, False, True])
    by_mask = forecast.evaluate(bt, train=train, censored=mask).set_index("model")
    assert by_mask.loc["m1", "accuracy_uncensored"] == pytest.approx(1 - 3 / 14)
    with pytest.raises(ValueError, match="one value per row"):
        forecast.evaluate(bt, censored=np.array([True]))


def test_common_points_only(bt, train):
    mgr = pd.DataFrame([("a", D("2020-04-01"), D("2020-05-01"), 1, "manager", 13.0, 13.0,
                         np.nan, np.nan)], columns=bt.columns)
    both = pd.concat([bt, mgr], ignore_index=True)
    sc = forecast.evaluate(both, train=train, by=["model"], common=True).set_index("model")
    assert sc["n"].tolist() == [1, 1, 1]
    assert sc.loc["m1", "mae"] == 1.0 and sc.loc["manager", "mae"] == 0.0


def test_value_added_signs_and_benchmarks():
    scores = pd.DataFrame({
        "model": ["manager", "ets", "theta", "snaive"],
        "accuracy": [0.90, 0.85, 0.88, 0.80],
        "accuracy_weighted": [0.91, 0.86, 0.89, 0.82],
        "wape": [0.09, 0.14, 0.11, 0.18],
        "mase": [0.60, 0.80, 0.70, 1.00],
        "bias_pct": [0.08, -0.01, 0.02, 0.00],
    })
    va = forecast.value_added(scores).set_index(["benchmark_role", "metric"])
    assert va.loc[("best", "mase"), "benchmark"] == "theta"  # lowest MASE of the models
    assert va.loc[("best", "mase"), "value_added"] == pytest.approx(0.70 - 0.60)
    assert va.loc[("baseline", "accuracy"), "value_added"] == pytest.approx(0.90 - 0.80)
    assert va.loc[("baseline", "wape"), "value_added"] == pytest.approx(0.18 - 0.09)
    # bias compares sizes: |0.02| − |0.08| < 0: the managers' bias costs value
    assert va.loc[("best", "bias_pct"), "value_added"] == pytest.approx(0.02 - 0.08)


def test_recommend_lowest_mase_per_group():
    scores = pd.DataFrame({
        "price_class": [1, 1, 1, 1, 2, 2, 2],
        "model": ["ets", "theta", "snaive", "manager", "ets", "theta", "snaive"],
        "mase": [0.9, 0.8, 1.0, 0.5, 0.7, 0.75, 0.7],
    })
    rec = forecast.recommend(scores, by=["price_class"]).set_index("price_class")
    assert rec.loc[1, "model"] == "theta"  # the managers are not a candidate
    assert rec.loc[1, "runner_up"] == "ets"
    assert rec.loc[1, "improvement"] == pytest.approx(1 - 0.8 / 1.0)
    assert rec.loc[2, "model"] == "ets"  # tie with snaive at 0.7: the name that sorts first
    assert rec.loc[2, "improvement"] == pytest.approx(0.0)


def test_evaluate_a_real_backtest_matches_the_metric_functions():
    rng = np.random.default_rng(4)
    y = 50 + 10 * np.sin(np.arange(36) * 2 * np.pi / 12) + rng.normal(0, 2, 36)
    s = pd.DataFrame({"unique_id": "z", "ds": pd.date_range("2021-01-01", periods=36, freq="MS"),
                      "y": y})
    bt = forecast.backtest(s, models=["snaive"], h=1, n_windows=6, level=[95])
    sc = forecast.evaluate(bt, train=s).iloc[0]
    # snaive at cutoff row c forecasts y[c+1−12]; scale = mean |y_t − y_{t−12}|, t ≤ c
    cuts = range(36 - 6 - 1, 35)
    err = [abs(y[c + 1 - 12] - y[c + 1]) for c in cuts]
    scale = [np.mean(np.abs(y[12:c + 1] - y[:c + 1 - 12])) for c in cuts]
    assert sc["mase"] == pytest.approx(np.mean(np.array(err) / np.array(scale)))
    assert sc["mae"] == pytest.approx(np.mean(err))


def test_bottom_up_aggregation_by_hand():
    c, d = D("2020-03-01"), D("2020-04-01")
    rows = [  # two products of brand X (p1, p2) and one of brand Y (p3); cutoff c, target d
        ("p1", c, d, 1, "m1", 10.0, 12.0), ("p2", c, d, 1, "m1", 20.0, 15.0),
        ("p3", c, d, 1, "m1", 5.0, 5.0),
        ("p1", c, d, 1, "manager", 10.0, 11.0), ("p3", c, d, 1, "manager", 5.0, 6.0),
    ]
    bt = pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "step", "model", "y", "forecast"])
    bt["lo_80"] = bt["hi_80"] = 1.0
    series = pd.DataFrame({"unique_id": ["p1", "p2", "p3", "p1", "p2", "p3"],
                           "ds": [c, c, c, d, d, d], "y": [9.0, 18, 4, 10, 20, 5]})
    groups = pd.DataFrame({"unique_id": ["p1", "p2", "p3"], "brand": ["X", "X", "Y"]})
    agg, s_agg = forecast.aggregate(bt, series, groups, by=["brand"])
    got = agg.set_index(["unique_id", "model"])
    assert got.loc[("X", "m1"), ["y", "forecast"]].tolist() == [30.0, 27.0]
    assert got.loc[("Y", "m1"), ["y", "forecast"]].tolist() == [5.0, 5.0]
    assert got.loc[("Y", "manager"), "forecast"] == 6.0
    # the managers did not forecast p2: brand X is left out for them, and counted
    assert ("X", "manager") not in got.index
    assert agg.attrs["incomplete"] == {"manager": 1}
    assert agg["lo_80"].isna().all()
    assert s_agg.set_index(["unique_id", "ds"])["y"].to_dict() == {
        ("X", c): 27.0, ("X", d): 30.0, ("Y", c): 4.0, ("Y", d): 5.0}
    total, _ = forecast.aggregate(bt, series, groups, by="total")
    assert total.set_index("model").loc["m1", "forecast"] == 32.0


def test_aggregation_sums_every_model_over_the_same_members():
    c, d = D("2020-03-01"), D("2020-04-01")
    rows = [("p1", c, d, 1, "m1", 10.0, 12.0), ("p2", c, d, 1, "m1", 20.0, 15.0),
            ("p1", c, d, 1, "m2", 10.0, 9.0)]  # m2 could not run on p2 (say, too short)
    bt = pd.DataFrame(rows, columns=["unique_id", "cutoff", "ds", "step", "model", "y", "forecast"])
    series = pd.DataFrame({"unique_id": ["p1", "p2"], "ds": [d, d], "y": [10.0, 20.0]})
    groups = pd.DataFrame({"unique_id": ["p1", "p2"], "brand": ["X", "X"]})
    agg, s_agg = forecast.aggregate(bt, series, groups, by="brand")
    # both models summed over p1 only: comparable
    assert agg.set_index("model")["forecast"].to_dict() == {"m1": 12.0, "m2": 9.0}
    assert agg["y"].tolist() == [10.0, 10.0] and s_agg["y"].tolist() == [10.0]
    every, _ = forecast.aggregate(bt, series, groups, by="brand", common_models=None)
    assert every.set_index("model")["forecast"].to_dict() == {"m1": 27.0}
    assert every.attrs["incomplete"] == {"m2": 1}
