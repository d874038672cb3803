"""Scoring: item scores, dimensions, the index and the satisfied share, by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis import survey


@pytest.fixture()
def items() -> pd.DataFrame:
    return pd.DataFrame({
        "item_id": ["s1", "s2", "d1", "d2", "overall"],
        "dimension": ["货源供应", "货源供应", "配送服务", "配送服务", "overall"],
        "label_zh": ["a", "b", "c", "d", "总体"], "label_en": ["a", "b", "c", "d", "overall"],
        "scale_min": [1, 1, 1, 0, 1], "scale_max": [5, 5, 5, 10, 5],
        "reverse": [False, True, False, False, False],
        "weight": [1.0, 1.0, 2.0, 0.0, 1.0],
    })


@pytest.fixture()
def responses() -> pd.DataFrame:
    return pd.DataFrame({
        "wave": ["2026-10"] * 3, "customer_id": ["c1", "c2", "c3"],
        "s1": [4, 5, np.nan], "s2": [2, 1, np.nan], "d1": [5, 1, 3], "d2": [10, 0, np.nan],
        "overall": [4, 3, np.nan], "comment": ["好", None, "慢"],
    })


def test_item_scores_and_reverse(responses, items):
    s = survey.item_scores(responses, items)
    # (4−1)/4·100 = 75; reverse item answered 2: 100 − 25 = 75; d2 on 0–10: 10 → 100
    assert s.loc[0].tolist() == [75.0, 75.0, 100.0, 100.0]
    assert s.loc[1].tolist() == [100.0, 100.0, 0.0, 0.0]
    assert np.isnan(s.loc[2, "s1"]) and s.loc[2, "d1"] == 50.0
    assert "overall" not in s.columns


def test_dimension_scores_mean_of_answered(responses, items):
    d = survey.dimension_scores(responses, items)
    assert list(d.columns) == ["货源供应", "配送服务"]
    assert d.loc[0].tolist() == [75.0, 100.0]
    assert np.isnan(d.loc[2, "货源供应"]) and d.loc[2, "配送服务"] == 50.0


def test_index_weights(responses, items):
    s = survey.item_scores(responses, items)
    w = survey.item_weights(items, "items")  # 1, 1, 2, 0
    idx = survey.respondent_index(s, w)
    assert idx[0] == pytest.approx((75 + 75 + 2 * 100) / 4)
    assert idx[1] == pytest.approx((100 + 100 + 0) / 4)
    assert idx[2] == pytest.approx(50.0)  # only d1 answered among weighted items
    eq = survey.respondent_index(s, survey.item_weights(items, "equal"))
    assert eq[0] == pytest.approx((75 + 75 + 100 + 100) / 4)
    # dimension weights are split over the dimension's items: 货源供应 3 → 1.5 each
    dw = survey.item_weights(items, {"货源供应": 3.0, "配送服务": 1.0})
    assert dw.to_dict() == {"s1": 1.5, "s2": 1.5, "d1": 0.5, "d2": 0.5}


def test_docstring_example_two_items():
    it = pd.DataFrame({"item_id": ["a", "b", "overall"], "dimension": ["x", "x", "overall"],
                       "label_zh": "", "label_en": "", "scale_min": 1, "scale_max": 5,
                       "reverse": False, "weight": 1.0})
    r = pd.DataFrame({"a": [4], "b": [5], "overall": [5]})
    out = survey.score_responses(r, it, weights="equal")
    assert out["index"].iloc[0] == 87.5


def test_satisfied_top2_box(responses, items):
    sat = survey.satisfied(responses, items)
    assert sat.iloc[0] == 1.0 and sat.iloc[1] == 0.0 and np.isnan(sat.iloc[2])
    it10 = items.copy()
    it10.loc[it10["item_id"] == "overall", ["scale_min", "scale_max"]] = [1, 10]
    r = responses.assign(overall=[9, 8, 10])
    assert survey.satisfied(r, it10).tolist() == [1.0, 0.0, 1.0]


def test_score_responses_columns(responses, items):
    out = survey.score_responses(responses, items)
    assert list(out.columns) == ["wave", "customer_id", "货源供应", "配送服务", "index",
                                 "overall_score", "satisfied"]
    assert out["overall_score"].tolist()[:2] == [75.0, 50.0]
    assert out.attrs["item_weights"] == {"s1": 1.0, "s2": 1.0, "d1": 2.0, "d2": 0.0}


def test_out_of_scale_is_a_clear_error(responses, items):
    bad = responses.copy()
    bad.loc[1, "s1"] = 6
    with pytest.raises(ValueError, match=r"survey_responses\.s1.*1–5.*rows \[1\].*within scale"):
        survey.item_scores(bad, items)
    with pytest.raises(KeyError, match="no column 'd2'"):
        survey.item_scores(responses.drop(columns="d2"), items)
    with pytest.raises(ValueError, match="no row 'overall'"):
        survey.item_scores(responses, items[items["item_id"] != "overall"])
    with pytest.raises(KeyError, match="neither item ids nor dimensions"):
        survey.item_weights(items, {"nope": 1.0})


def test_response_counts(responses, items):
    rc = survey.response_counts(responses, items).set_index("item_id")
    assert rc.loc["s1", ["answered", "missing"]].tolist() == [2, 1]
    assert rc.loc["overall", "missing"] == 1 and rc.loc["d1", "missing"] == 0


def test_select_waves():
    r = pd.DataFrame({"wave": ["2026-04", "2026-10", "2025-10"]})
    assert survey.select_waves(r, "2026-10") == ("2026-10", "2026-04")
    assert survey.select_waves(r, "2026-09") == ("2026-04", "2025-10")
    assert survey.select_waves(r, "2026-10", prev_wave="none") == ("2026-10", None)
    assert survey.select_waves(r, "2026-10", wave="2025-10") == ("2025-10", None)
    with pytest.raises(ValueError, match=r"no wave up to 2025-01 \(have"):
        survey.select_waves(r, "2025-01")
