"""The data layer on the generated sample: it validates, plain aggregation recovers the
truths the generator planted (truth.json), and corruptions are all reported at once."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from lean_analysis import data


def _recovered(tables, volume: bool = True):
    """The truths of truth.json by plain aggregation: weekly series by key brand (yes/no)."""
    key = data.to_series(tables, level=["is_key_brand"], freq="W", value="amount")
    lines = key["n_lines"].sum()
    at_cap = (key["capped_share"].fillna(0) * key["n_cap_lines"]).sum()
    got = {
        "n_order_lines": int(lines),
        "rationed_line_share": key["n_cap_lines"].sum() / lines,
        "capped_line_share": at_cap / lines,
        "key_brand_value": key.loc[key.is_key_brand, "y"].sum() / key["y"].sum(),
    }
    if volume:
        qty = data.to_series(tables, level=["is_key_brand"], freq="W", value="order_qty")
        got["key_brand_volume"] = qty.loc[qty.is_key_brand, "y"].sum() / qty["y"].sum()
    return got


def test_small_sample_is_valid(small_dir):
    assert data.validate(small_dir) == []


def test_small_sample_truths_by_plain_aggregation(small_tables, small_truth):
    got = _recovered(small_tables)
    assert got["n_order_lines"] == small_truth["n_order_lines"]
    assert got["rationed_line_share"] == pytest.approx(small_truth["rationed_line_share"], abs=1e-12)
    assert got["capped_line_share"] == pytest.approx(small_truth["capped_line_share"], abs=1e-12)
    assert got["key_brand_value"] == pytest.approx(small_truth["key_brand_share"]["value"], rel=1e-9)
    assert got["key_brand_volume"] == pytest.approx(small_truth["key_brand_share"]["volume"], rel=1e-9)


def test_small_sample_new_products_start_at_launch(small_tables, small_truth):
    s = data.to_series(small_tables, level=["product_id"], freq="W")
    for p in small_truth["new_products"]:
        first = s.loc[s.unique_id == p["product_id"], "ds"].min()
        launch = pd.Timestamp(p["launch_date"])
        assert first == launch - pd.Timedelta(days=launch.weekday())
        nz = s[(s.unique_id == p["product_id"]) & (s.y > 0)]["ds"].min()
        assert nz == pd.Timestamp(p["first_order_week"])


def test_corrupted_sample_reports_everything_at_once(small_dir, tmp_path):
    src = tmp_path / "corrupt"
    shutil.copytree(small_dir, src)

    def edit(name, *changes):
        """Set cells (0-based row index, column, text) of a table's CSV."""
        path = src / f"{name}.csv"
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        for i, col, value in changes:
            df.loc[i, col] = value
        df.to_csv(path, index=False)
        return df

    edit("orders", (9, "order_qty", "-2"), (19, "customer_id", "C9999"),
         (29, "week", "2025-02-30"))
    edit("customers", (4, "tier", "31"))
    products = edit("products", (2, "retail_price", "1"))
    items = pd.read_csv(src / "survey_items.csv")
    item = items.loc[items.item_id != "overall"].iloc[0]
    edit("survey_responses", (0, item.item_id, str(int(item.scale_max) + 3)))
    problems = data.validate(src)
    found = {(p.table, p.column, p.rule, p.rows[0] if p.rows else None) for p in problems}
    expected = {
        ("orders", "order_qty", "range >= 0", 10),
        ("orders", "customer_id", "foreign key -> customers.customer_id", 20),
        ("orders", "week", "type date", 30),
        ("customers", "tier", "range 1–30", 5),
        ("products", "retail_price", "retail_price >= wholesale_price", 3),
        ("survey_responses", item.item_id, "items within scale", 1),
    }
    assert expected <= found
    assert all(p.severity == "error" for p in problems)
    assert len(problems) == len(expected)
    assert float(products.loc[2, "wholesale_price"]) > 1


@pytest.mark.slow
def test_county_truths_by_plain_aggregation(county_tables, county_truth):
    got = _recovered(county_tables, volume=False)
    assert got["n_order_lines"] == county_truth["n_order_lines"]
    assert got["capped_line_share"] == pytest.approx(county_truth["capped_line_share"], abs=1e-12)
    assert got["key_brand_value"] == pytest.approx(county_truth["key_brand_share"]["value"], rel=1e-9)
