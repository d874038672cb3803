"""brand power functions: the docstring example by hand, and a simulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from lean_analysis import brand


def test_mde_hand_computation():
    # sigma 10, rho 0.5 (equicorrelated), 12 pre / 6 post months, 2 targets vs 40 comparison
    v_unit = 100 * (1 - 0.5) * (1 / 12 + 1 / 6)  # McKenzie (2012) DiD: 12.5
    assert brand.did_contrast_variance(12, 6, 10, 0.5) == pytest.approx(v_unit)
    se = np.sqrt(v_unit * (1 / 2 + 1 / 40))  # 2.5617
    crit = stats.t.ppf(0.975, 40) + stats.t.ppf(0.8, 40)  # 2.0211 + 0.8507
    assert brand.mde_did(2, 40, 12, 6, 10, 0.5) == pytest.approx(crit * se, rel=1e-12)
    assert brand.mde_did(2, 40, 12, 6, 10, 0.5) == pytest.approx(7.357, abs=5e-4)
    # normal critical values (Bloom 1995): (1.95996 + 0.84162) * se
    assert brand.mde_did(2, 40, 12, 6, 10, 0.5, dist="normal") == pytest.approx(2.80158 * se, rel=1e-5)
    # power at the MDE is the requested power
    assert brand.power_did(2, 40, 12, 6, 10, 0.5, effect=7.356735) == pytest.approx(0.8, abs=1e-6)


def test_ar1_contrast_variance_by_hand():
    # m = r = 1: Var(y2 - y1) = 2 sigma^2 (1 - rho), whatever the structure
    assert brand.did_contrast_variance(1, 1, 2.0, 0.3, "ar1") == pytest.approx(2 * 4 * 0.7)
    # m = 2, r = 1, AR(1): c = (-1/2, -1/2, 1); c'Σc = sigma^2 (1/4 (2 + 2 rho) + 1 - (rho^2 + rho))
    rho = 0.6
    hand = 0.25 * (2 + 2 * rho) + 1 - (rho**2 + rho)
    assert brand.did_contrast_variance(2, 1, 1.0, rho, "ar1") == pytest.approx(hand)


def test_required_treated_is_the_smallest_sufficient_number():
    n = brand.required_treated_did(effect=3.0, n_pre=12, n_post=6, sigma=10, rho=0.5,
                                   controls_per_treated=5)
    assert n == 14
    assert brand.power_did(n, 70, 12, 6, 10, 0.5, effect=3.0) >= 0.8
    assert brand.power_did(n - 1, 65, 12, 6, 10, 0.5, effect=3.0) < 0.8
    # a fixed comparison group of 40 cannot detect 1 carton: Var never falls below v/40
    assert brand.required_treated_did(1.0, 12, 6, 10, 0.5, n_control=40) is None


@pytest.mark.parametrize("correlation", ["equi", "ar1"])
def test_simulation_matches_formula(correlation):
    """4,000 simulated programmes: SD of the DiD estimate and power at the MDE."""
    rng = np.random.default_rng(20261027)
    n_t, n_c, m, r, sigma, rho = 4, 30, 8, 4, 5.0, 0.6
    k = np.arange(m + r)
    corr = np.where(k[:, None] == k[None, :], 1.0, rho) if correlation == "equi" else rho ** np.abs(k[:, None] - k[None, :])
    chol = np.linalg.cholesky(sigma**2 * corr)
    mde = brand.mde_did(n_t, n_c, m, r, sigma, rho, correlation=correlation)
    reps = 4000
    e = rng.standard_normal((reps, n_t + n_c, m + r)) @ chol.T
    e[:, :n_t, m:] += mde  # planted effect = MDE on the treated units after the start
    d = e[:, :, m:].mean(axis=2) - e[:, :, :m].mean(axis=2)  # each unit's post - pre
    est = d[:, :n_t].mean(axis=1) - d[:, n_t:].mean(axis=1)
    se_formula = np.sqrt(brand.did_contrast_variance(m, r, sigma, rho, correlation) * (1 / n_t + 1 / n_c))
    assert est.std(ddof=1) == pytest.approx(se_formula, rel=0.05)
    tstat = stats.ttest_ind(d[:, :n_t], d[:, n_t:], axis=1).statistic
    power = np.mean(np.abs(tstat) > stats.t.ppf(0.975, n_t + n_c - 2))
    assert power == pytest.approx(0.8, abs=0.03)  # MC SE 0.006


def test_variance_inputs_recovered_from_a_panel():
    rng = np.random.default_rng(3)
    n, t, sigma, rho = 400, 12, 10.0, 0.5
    unit = rng.normal(0, sigma * np.sqrt(rho), n)
    y = unit[:, None] + rng.normal(0, sigma * np.sqrt(1 - rho), (n, t)) + np.arange(t) * 2
    panel = pd.DataFrame({"c": np.repeat(np.arange(n), t), "m": np.tile(np.arange(t), n), "y": y.ravel()})
    got = brand.panel_variance_inputs(panel, "c", "m", "y")
    assert got["sigma"] == pytest.approx(10.0, rel=0.05)
    assert got["rho"] == pytest.approx(0.5, abs=0.05)
    assert (got["n_units"], got["n_periods"]) == (400, 12)
