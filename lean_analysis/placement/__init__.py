"""Precise market placement (精准市场投放): evaluation, uncensored demand, caps, backtest."""
