"""The survey analysis recovers the truths planted by the sample generator (truth.json)."""

from __future__ import annotations

import pandas as pd
import pytest

from lean_analysis import survey


def _scored(tables):
    resp = tables["survey_responses"]
    items = tables["survey_items"]
    return survey.score_responses(resp, items, weights="items")


def _check_population_values(tables, truth):
    """The design-based index (weights from the frame's counts per area × tier band) covers
    the true population index of every wave; likewise the satisfied share; every dimension
    score lies within 3 SE of its population value."""
    sv = truth["survey"]
    scored = _scored(tables)
    dims = scored.attrs["dimensions"]
    assert dims == sv["dimensions"]
    for wave in sv["waves"]:
        smp = survey.weighted_sample(scored, tables["customers"], wave)
        assert smp.excluded == {"not_in_frame": 0, "all_empty": 0}
        assert len(smp.data) == sv["n_respondents"][wave]
        # the strata counts are the generator's
        got = {f"{r.area}|{r.tier_band}": {"N": r.N_h, "n": r.n_h} for r in smp.strata.itertuples()}
        assert got == sv["strata"][wave]
        d = smp.design()
        idx = survey.design_mean(d, "index")
        true_idx = sv["population_index"][wave]
        assert idx.ci_low <= true_idx <= idx.ci_high, (wave, idx, true_idx)
        share = survey.design_share(d, "satisfied")
        true_share = sv["population_satisfied_share"][wave]
        assert share.ci_low <= true_share <= share.ci_high, (wave, share, true_share)
        for dim in dims:
            e = survey.design_mean(d, dim)
            assert abs(e.estimate - sv["population_dimension_scores"][wave][dim]) < 3 * e.se


def test_small_sample_population_values(small_tables, small_truth):
    _check_population_values(small_tables, small_truth)


@pytest.mark.slow
def test_county_population_values_inside_intervals(county_tables, county_truth):
    _check_population_values(county_tables, county_truth)


@pytest.mark.slow
def test_county_driver_weights_recovered_in_order(county_tables, county_truth):
    """Rank of the Shapley importance of each dimension for the overall question equals the
    rank of the planted driver weights, in every wave (both decompositions)."""
    sv = county_truth["survey"]
    planted = sorted(sv["driver_weights"], key=lambda k: -sv["driver_weights"][k])
    assert planted == sv["driver_order"]
    scored = _scored(county_tables)
    dims = scored.attrs["dimensions"]
    for wave in sv["waves"]:
        df = scored[scored["wave"] == wave]
        for method in ("shapley", "relative_weights"):
            res = survey.driver_importance(df, "overall_score", dims, method=method)
            order = res.table.sort_values("rank")["predictor"].tolist()
            assert order == planted, (wave, method, res.table)


@pytest.mark.slow
def test_county_wave_change_covers_true_change(county_tables, county_truth):
    sv = county_truth["survey"]
    prev, curr = sv["waves"][-2], sv["waves"][-1]
    scored = _scored(county_tables)
    parts = [survey.weighted_sample(scored, county_tables["customers"], w).data
             for w in (prev, curr)]
    both = pd.concat(parts)
    ch = survey.wave_change(both, "index", prev_wave=prev, wave=curr, weight="weight",
                            strata=["area", "tier_band"], fpc="fpc")
    true = sv["population_index"][curr] - sv["population_index"][prev]
    assert ch.ci_low <= true <= ch.ci_high
