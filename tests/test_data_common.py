"""Small hand-made canonical tables for the data tests (no sample generator needed).

``good_frames()`` returns one valid DataFrame per table, as the files would hold them
(text columns as text, dates as ISO strings); ``write(folder, frames, fmt)`` writes them as
CSV, Parquet, Excel or a DuckDB file. The tests corrupt copies of these frames.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

MONDAYS = [dt.date(2025, 1, 6) + dt.timedelta(weeks=i) for i in range(13)]  # Jan..Mar 31


def good_frames() -> dict[str, pd.DataFrame]:
    rng = np.random.default_rng(3)
    customers = pd.DataFrame({
        "customer_id": ["007", "C002", "C003", "C004", "C005", "C006"],
        "customer_name": ["老王烟酒", "便民 <b>店</b>", "A&B 超市", "平价店", "张三食杂", "李四"],
        "area": ["urban", "urban", "rural", "rural", "urban", "rural"],
        "tier": [3, 12, 25, 30, 8, 15],
        "format": ["便利店", "食杂店", "超市", "食杂店", "便利店", "超市"],
        "manager_id": ["M1", "M1", "M2", "M2", "M1", "M2"],
        "is_modern_terminal": ["true", "false", "是", "否", "1", "0"],
        "active_from": ["2020-01-01"] * 5 + ["2024-06-01"],
        "active_to": [None, None, None, "2026-12-31", None, None],
    })
    products = pd.DataFrame({
        "product_id": ["P01", "P02", "P03", "0004"],
        "brand": ["芙蓉王", "红塔山", "白沙", "芙蓉王"],
        "product_name": ["芙蓉王(硬)", "红塔山(经典)", "白沙(精品)", "芙蓉王(新)"],
        "price_class": [1, 3, 2, 1],
        "wholesale_price": [220.0, 95.5, 80.0, 300.0],
        "retail_price": [250.0, 110.0, 90.0, 340.0],
        "is_key_brand": ["true", "true", "false", "true"],
        "launch_date": [None, None, None, "2025-01-20"],
    })
    rows = []
    for w in MONDAYS:
        for c in customers["customer_id"]:
            for p in products["product_id"]:
                if p == "0004" and w < dt.date(2025, 2, 3):
                    continue  # launched 2025-01-20, first ordered in February
                if p == "P03" and dt.date(2025, 2, 1) <= w < dt.date(2025, 3, 1):
                    continue  # no P03 orders in February: a zero month
                if rng.random() < 0.35:
                    continue
                demand = float(rng.integers(0, 12))
                cap = float(rng.integers(2, 8)) if p in ("P01", "0004") else None
                order = demand if cap is None else min(demand, cap)
                price = float(products.set_index("product_id").loc[p, "wholesale_price"])
                rows.append((w.isoformat(), c, p, demand, cap, order, round(order * price, 2)))
    orders = pd.DataFrame(rows, columns=["week", "customer_id", "product_id", "demand_qty",
                                         "cap_qty", "order_qty", "amount"])
    manager_forecasts = pd.DataFrame({
        "month": ["2025-01-01", "2025-02-01", "2025-01-01"],
        "product_id": ["P01", "P01", "P02"],
        "forecast_qty": [100.0, 120.0, 80.0],
        "manager_id": ["M1", None, "M2"],
    })
    shelf_checks = pd.DataFrame({
        "date": ["2025-01-10", "2025-01-10", "2025-02-14"],
        "customer_id": ["007", "C002", "007"],
        "product_id": ["P01", "P01", "P02"],
        "on_shelf": ["true", "false", "true"],
        "stock_qty": [3.0, None, 1.5],
    })
    programmes = pd.DataFrame({
        "programme_id": ["G1", "T1"],
        "name": ["芙蓉王培育", "标杆终端"],
        "brand": ["芙蓉王", None],
        "product_id": [None, "P02"],
        "start": ["2025-02-03", "2025-01-01"],
        "end": ["2025-06-30", None],
        "kind": ["cultivation", "terminal"],
    })
    programme_targets = pd.DataFrame({
        "programme_id": ["G1", "G1", "T1"],
        "customer_id": ["007", "C002", "C005"],
    })
    survey_items = pd.DataFrame({
        "item_id": ["q1", "q2", "q3", "overall"],
        "dimension": ["货源供应", "订货服务", "配送服务", "overall"],
        "label_zh": ["货源满足", "订货便利", "配送及时", "总体满意"],
        "label_en": ["supply", "ordering", "delivery", "overall"],
        "scale_min": [1, 1, 1, 0],
        "scale_max": [5, 5, 5, 10],
        "reverse": ["false", "false", "true", "false"],
        "weight": [0.4, 0.3, 0.3, 0.0],
    })
    survey_responses = pd.DataFrame({
        "wave": ["2025-03"] * 4,
        "customer_id": ["007", "C002", "C003", "C004"],
        "q1": [5, 4, None, 3],
        "q2": [4, 4, 2, 1],
        "q3": [5, 3, 3, 2],
        "overall": [9, 8, 6, 4],
        "comment": ["很好", "送货慢,\n希望改进", None, "价格 <script>"],
    })
    manager_tests = pd.DataFrame({
        "month": ["2025-01-01", "2025-01-01", "2025-02-01"],
        "manager_id": ["M1", "M2", "M1"],
        "score": [88.0, 92.5, 90.0],
    })
    closed_weeks = pd.DataFrame({  # a stock-taking week before the order weeks
        "week": ["2024-12-30"],
        "reason": ["年终盘点"],
    })
    # every (week, rationed product) of the orders has its supply (rule supply coverage)
    supply = (orders[orders["cap_qty"].notna()][["week", "product_id"]].drop_duplicates()
              .sort_values(["week", "product_id"]).reset_index(drop=True)
              .assign(supply_qty=10.0))
    return {
        "customers": customers, "products": products, "orders": orders,
        "manager_forecasts": manager_forecasts, "shelf_checks": shelf_checks,
        "programmes": programmes, "programme_targets": programme_targets,
        "survey_items": survey_items, "survey_responses": survey_responses,
        "manager_tests": manager_tests, "closed_weeks": closed_weeks, "supply": supply,
    }


def write(folder: Path, frames: dict[str, pd.DataFrame], fmt: str = "csv") -> Path:
    """Write ``frames`` to ``folder`` as csv / parquet / xlsx files, or as one DuckDB file
    ``folder/data.duckdb`` (fmt="duckdb"); returns the source to load."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    if fmt == "duckdb":
        path = folder / "data.duckdb"
        con = duckdb.connect(str(path))
        for name, df in frames.items():
            con.register("df", df)
            con.execute(f'CREATE TABLE "{name}" AS SELECT * FROM df')
            con.unregister("df")
        con.close()
        return path
    for name, df in frames.items():
        if fmt == "csv":
            df.to_csv(folder / f"{name}.csv", index=False)
        elif fmt == "parquet":
            df.to_parquet(folder / f"{name}.parquet", index=False)
        elif fmt == "xlsx":
            df.to_excel(folder / f"{name}.xlsx", index=False)
        else:
            raise ValueError(fmt)
    return folder
