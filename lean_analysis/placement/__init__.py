"""Precise market placement (精准市场投放): scarce specifications rationed by a cap per tier.

>>> from lean_analysis import placement
>>> ev = placement.evaluate(tables, "2026-10", by=["tier_band"])          # doctest: +SKIP
>>> caps = placement.recommend(tables, None, "2026-11", policy="demand")  # doctest: +SKIP
"""

from lean_analysis.placement.backtest import Backtest, backtest
from lean_analysis.placement.evaluate import Evaluation, SupplyError, check_supply, evaluate, gini
from lean_analysis.placement.figures import (
    NO_RATIONED,
    NO_SUPPLY,
    READY,
    figures,
    mondays,
    next_supply,
    readiness,
    summary,
)
from lean_analysis.placement.recommend import (
    POLICIES,
    proportional_caps,
    recommend,
    solve_caps,
    supply_of,
)
from lean_analysis.placement.uncensor import Uncensored, censoring, uncensor

__all__ = ["NO_RATIONED", "NO_SUPPLY", "POLICIES", "READY", "Backtest", "Evaluation",
           "SupplyError", "Uncensored", "backtest", "censoring", "check_supply", "evaluate",
           "figures", "gini", "mondays", "next_supply", "proportional_caps", "readiness",
           "recommend", "solve_caps", "summary", "supply_of", "uncensor"]
