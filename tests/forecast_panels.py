"""A small monthly panel for the forecast tests (tests/test_forecast_predict.py,
tests/test_forecast_reuse.py): seasonal series with noise, in order-week units."""

from __future__ import annotations

import numpy as np
import pandas as pd

from lean_analysis.forecast.panel import weeks_in_month


def panel(n=(40, 40, 21), seed=3) -> pd.DataFrame:
    """Series ``p0``, ``p1``, … of ``n`` months each, ending 2024-04: level 50 + 10 i, a
    yearly sine of amplitude 8, N(0, 2) noise, scaled by the month's ordering weeks ÷ 4."""
    rng = np.random.default_rng(seed)
    parts = []
    for i, k in enumerate(n):
        t = np.arange(k)
        ds = pd.date_range(end="2024-04-01", periods=k, freq="MS")
        y = 50 + 10 * i + 8 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, k)
        parts.append(pd.DataFrame({"unique_id": f"p{i}", "ds": ds, "y": y * weeks_in_month(ds) / 4}))
    return pd.concat(parts, ignore_index=True)
