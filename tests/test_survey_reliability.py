"""Cronbach's alpha against pingouin's published reference, and item diagnostics."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis import survey


@pytest.fixture(scope="module")
def pingouin_items() -> pd.DataFrame:
    # pingouin ships this data set inside the package (pingouin/datasets/cronbach_alpha.csv):
    # it is read from disk, no network. 15 subjects × 10 Likert items, long format (150 rows).
    import pingouin as pg

    long = pg.read_dataset("cronbach_alpha")
    return long.pivot(index="Subj", columns="Items", values="Scores")


def test_alpha_matches_pingouin_reference(pingouin_items):
    # pingouin docs (checked there against R psych): alpha 0.5917, 95% CI [0.195, 0.840]
    a = survey.cronbach_alpha(pingouin_items)
    assert a.alpha == pytest.approx(0.5917, abs=1e-4)
    assert round(a.ci_low, 3) == 0.195 and round(a.ci_high, 3) == 0.840
    assert (a.n, a.k, a.n_excluded) == (15, 10, 0)


def test_alpha_by_hand_and_listwise():
    x = pd.DataFrame({"a": [1, 2, 3, 4, 5.0], "b": [2, 2, 4, 4, 5.0], "c": [1, 3, 3, 5, 4.0]})
    c = x.cov().to_numpy()
    k = 3
    expected = k / (k - 1) * (1 - np.trace(c) / c.sum())
    assert survey.cronbach_alpha(x).alpha == pytest.approx(expected)
    xm = pd.concat([x, pd.DataFrame({"a": [np.nan], "b": [1.0], "c": [2.0]})], ignore_index=True)
    a = survey.cronbach_alpha(xm)
    assert a.alpha == pytest.approx(expected) and a.n == 5 and a.n_excluded == 1


def test_item_total_and_alpha_if_deleted(pingouin_items):
    x = pingouin_items
    itc = survey.item_total_correlations(x)
    col = x.columns[0]
    rest = x.drop(columns=col).sum(axis=1)
    assert itc[col] == pytest.approx(np.corrcoef(x[col], rest)[0, 1])
    aid = survey.alpha_if_deleted(x)
    assert aid[col] == pytest.approx(survey.cronbach_alpha(x.drop(columns=col)).alpha)


def test_reliability_table_flags_unreliable():
    rng = np.random.default_rng(1)
    n = 400
    f = rng.normal(size=n)
    scores = pd.DataFrame({
        "a1": f + 0.3 * rng.normal(size=n), "a2": f + 0.3 * rng.normal(size=n),
        "a3": f + 0.3 * rng.normal(size=n),
        "b1": rng.normal(size=n), "b2": rng.normal(size=n),  # unrelated: alpha ≈ 0
        "c1": rng.normal(size=n),
    })
    items = pd.DataFrame({"item_id": ["a1", "a2", "a3", "b1", "b2", "c1", "overall"],
                          "dimension": ["A", "A", "A", "B", "B", "C", "overall"]})
    dims, per_item = survey.reliability_table(scores, items, threshold=0.7)
    d = dims.set_index("dimension")
    assert d.loc["A", "alpha"] > 0.9 and not d.loc["A", "unreliable"]
    assert d.loc["B", "alpha"] < 0.7 and d.loc["B", "unreliable"]
    assert d.loc["C", "note"] == "single item" and np.isnan(d.loc["C", "alpha"])
    assert set(per_item["item_id"]) == {"a1", "a2", "a3", "b1", "b2"}
