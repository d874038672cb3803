"""The common part of the project's wrappers around a statsforecast model.

statsforecast asks a model for ``new()`` (a fresh, unfitted copy for each series), names its
forecast column ``repr(model)`` and passes exogenous columns to it when ``uses_exog`` is set.
A wrapper (:class:`~lean_analysis.forecast.adjust.FestivalAdjusted`,
:class:`~lean_analysis.forecast.transform.LogTransformed`,
:class:`~lean_analysis.forecast.normal_intervals.NormalIntervals`,
:class:`~lean_analysis.forecast.search.SearchFirst`) is named, and given exogenous data, as
the model it wraps, and its ``new()`` copies its settings and renews the model inside.
"""

from __future__ import annotations

import copy


class ModelWrapper:
    """Base of a wrapper around ``model``; ``alias`` names it (default: the model's name)."""

    def __init__(self, model, alias: str | None = None):
        self.model = model
        self.alias = alias or repr(model)
        self.uses_exog = getattr(model, "uses_exog", False)

    def __repr__(self) -> str:
        return self.alias

    def new(self):
        """An unfitted copy: the same settings, :meth:`_renew` applied."""
        b = copy.copy(self)
        b._renew()
        return b

    def _renew(self) -> None:
        """Reset what a fit set (in the copy ``new`` made); here: a fresh inner model."""
        self.model = self.model.new()
