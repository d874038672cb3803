"""brand.match_comparison on hand-made customers, and brand.estimate_effect's choice."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from lean_analysis import brand


@pytest.fixture()
def customers() -> pd.DataFrame:
    rows = [
        # id, area, tier, format, pre-period sales
        ("T1", "urban", 25, "超市", 40.0),
        ("T2", "urban", 28, "超市", 80.0),
        ("c1", "urban", 25, "超市", 41.0),
        ("c2", "urban", 25, "超市", 60.0),
        ("c3", "urban", 27, "超市", 79.0),
        ("c4", "urban", 24, "便利店", 40.0),  # other format
        ("c5", "rural", 25, "超市", 40.0),  # other area
        ("c6", "urban", 15, "超市", 40.0),  # other tier band
        ("c7", "urban", 22, "超市", np.nan),  # no pre-period sales
    ]
    df = pd.DataFrame(rows, columns=["customer_id", "area", "tier", "format", "pre"])
    return df


def test_exact_cells_and_nearest_neighbours(customers):
    pre = customers.set_index("customer_id")["pre"]
    m = brand.match_comparison(customers.drop(columns="pre"), pre, ["T1", "T2"], k=1)
    # cell urban / 21-30 / 超市 holds c1, c2, c3 (c7 has no pre-period value)
    assert m.attrs["excluded"] == {"no pre-period value": 1}
    got = dict(zip(m["target_id"], m["customer_id"], strict=True))
    assert got == {"T1": "c1", "T2": "c3"}
    # hand distance T1-c1: SDs over the candidates c1..c6 (sample SD)
    cand = customers[customers["customer_id"].str.startswith("c") & customers["pre"].notna()]
    s_pre, s_tier = cand["pre"].std(), cand["tier"].std()
    hand = np.sqrt(((40 - 41) / s_pre) ** 2 + ((25 - 25) / s_tier) ** 2)
    assert m.set_index("target_id").loc["T1", "distance"] == pytest.approx(hand)
    assert set(m["matched_on"]) == {"area+tier_band+format"}


def test_without_replacement_and_relaxing(customers):
    pre = customers.set_index("customer_id")["pre"]
    m = brand.match_comparison(customers.drop(columns="pre"), pre, ["T1", "T2"], k=2)
    # T1 (nearest neighbour at distance ~0) is served first and takes c1, c2; T2 gets c3 and,
    # its exact cell then being short, is matched on area + tier band (no other in the cell)
    t1 = m[m["target_id"] == "T1"]["customer_id"].tolist()
    assert t1 == ["c1", "c2"]
    t2 = m[m["target_id"] == "T2"]
    assert len(set(t1) & set(t2["customer_id"])) == 0
    assert sorted(t2["customer_id"]) == ["c3", "c4"]
    assert set(t2["matched_on"]) == {"area+tier_band"}
    strict = brand.match_comparison(customers.drop(columns="pre"), pre, ["T1", "T2"], k=2,
                                    relax=False)
    assert strict.attrs["shortfall"] == {"T2": 1}


def test_unknown_target_is_named(customers):
    pre = customers.set_index("customer_id")["pre"]
    with pytest.raises(ValueError, match="'T9'"):
        brand.match_comparison(customers, pre, ["T9"])


def _panel(n_treated, seed=0, effect=4.0):
    rng = np.random.default_rng(seed)
    n, t, start = 30, 14, 10
    common = np.cumsum(rng.normal(0, 1, t))
    rows = []
    for i in range(n):
        y = 20 + common * rng.uniform(0.7, 1.3) + rng.normal(0, 0.5, t)
        if i < n_treated:
            y[start:] += effect
        rows.append(pd.DataFrame({"cid": f"k{i:02d}", "m": np.arange(t), "y": y, "tg": i < n_treated}))
    return pd.concat(rows, ignore_index=True)


def test_estimate_effect_chooses_and_explains():
    few = brand.estimate_effect(_panel(2), "cid", "m", "y", "tg", start=10)
    assert few.method == "synth" and "≤ 5" in few.reason
    assert list(few.table["unit"]) == ["k00", "k01", "all"]
    assert few.ci_low < 4.0 < few.ci_high
    many = brand.estimate_effect(_panel(8), "cid", "m", "y", "tg", start=10)
    assert many.method == "did" and "> 5" in many.reason
    assert many.ci_low < 4.0 < many.ci_high
    assert list(many.table.columns) == list(few.table.columns)
    forced = brand.estimate_effect(_panel(8), "cid", "m", "y", "tg", start=10, method="synth",
                                   max_donors=10)
    assert "closest pre-period path" in forced.reason
    assert forced.table["n_control"].max() == 10
