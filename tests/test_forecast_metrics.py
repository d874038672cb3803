"""Each accuracy measure on hand-worked examples (numbers worked out here, by hand)."""

from __future__ import annotations

import doctest
import math

import numpy as np
import pytest

from lean_analysis.forecast import metrics as M

# The common example of the metrics module: A = [100, 50, 0, 20], F = [90, 80, 0, 5].
A = [100, 50, 0, 20]
F = [90, 80, 0, 5]
# e = F - A = [-10, 30, 0, -15]; |e| = [10, 30, 0, 15]; Σ|e| = 55; ΣA = 170; Σe = 5


def test_docstring_examples_hold():
    result = doctest.testmod(M, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted >= 14
    assert result.failed == 0


def test_point_accuracy_by_hand():
    # 1 - 10/100 = 0.9; 1 - 30/50 = 0.4; A = 0 and F = 0 -> 1; 1 - 15/20 = 0.25
    assert M.point_accuracy(A, F) == pytest.approx([0.9, 0.4, 1.0, 0.25])
    # floored at 0: |F - A| / A = 3 -> 1 - 3 < 0 -> 0; A = 0 with F > 0 -> 0
    assert M.point_accuracy([10, 0], [40, 1]).tolist() == [0.0, 0.0]


def test_accuracy_and_weighted_by_hand():
    assert M.accuracy(A, F) == pytest.approx((0.9 + 0.4 + 1.0 + 0.25) / 4)  # 0.6375
    assert M.wape(A, F) == pytest.approx(55 / 170)
    assert M.accuracy_weighted(A, F) == pytest.approx(1 - 55 / 170)  # 0.67647
    # no volume at all: the weighted form is undefined (NaN), the mean counts perfect zeros
    assert math.isnan(M.accuracy_weighted([0, 0], [0, 0]))
    assert M.accuracy([0, 0], [0, 0]) == 1.0


def test_scale_dependent_errors_by_hand():
    assert M.mae(A, F) == pytest.approx(55 / 4)  # 13.75
    assert M.rmse(A, F) == pytest.approx(math.sqrt((100 + 900 + 0 + 225) / 4))  # 17.5
    assert M.bias(A, F) == pytest.approx(5 / 4)
    assert M.bias_pct(A, F) == pytest.approx(5 / 170)


def test_percentage_errors_by_hand():
    # MAPE leaves out A = 0: (10/100 + 30/50 + 15/20) / 3
    assert M.mape(A, F) == pytest.approx((0.1 + 0.6 + 0.75) / 3)
    # sMAPE: 2·10/190, 2·30/130, 0 (0/0), 2·15/25
    assert M.smape(A, F) == pytest.approx((20 / 190 + 60 / 130 + 0 + 30 / 25) / 4)
    assert math.isnan(M.mape([0, 0], [1, 2]))


def test_mase_by_hand():
    # seasonal naive in-sample MAE, m = 2: |3-1|, |4-2|, |5-3|, |7-4| -> 9/4
    assert M.seasonal_naive_mae([1, 2, 3, 4, 5, 7], 2) == pytest.approx(2.25)
    assert math.isnan(M.seasonal_naive_mae([1, 2], 2))
    assert M.mase(A, F, 10) == pytest.approx(13.75 / 10)
    # per-point scales; a zero scale (constant history) is left out
    assert M.mase([10, 10, 10], [12, 16, 99], [2, 3, 0]) == pytest.approx((1 + 2) / 2)


def test_interval_scores_by_hand():
    lo, hi = [80, 60, 0, 10], [100, 100, 5, 30]
    # inside: 100 ∈ [80,100] yes (boundary counts), 50 ∈ [60,100] no, 0 ∈ [0,5] yes, 20 yes
    assert M.coverage(A, lo, hi) == pytest.approx(0.75)
    # 80 %: α = 0.2, 2/α = 10; widths 20, 40, 5, 20; the miss at 50 < 60 adds 10 · 10
    assert M.winkler(A, lo, hi, 80) == pytest.approx((20 + 40 + 100 + 5 + 20) / 4)
    # 95 %: 2/α = 40 -> the same miss costs 400
    assert M.winkler(A, lo, hi, 95) == pytest.approx((20 + 440 + 5 + 20) / 4)
    with pytest.raises(ValueError, match="level"):
        M.winkler(A, lo, hi, 100)


def test_shapes_must_agree():
    with pytest.raises(ValueError, match="shape"):
        M.mae([1, 2, 3], [1, 2])


def test_perfect_forecast_scores():
    y = np.array([5.0, 7.0, 9.0])
    assert M.accuracy(y, y) == 1.0
    assert M.accuracy_weighted(y, y) == 1.0
    assert M.mae(y, y) == 0.0 and M.smape(y, y) == 0.0 and M.bias_pct(y, y) == 0.0
