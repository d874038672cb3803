"""Small helpers shared by the effect estimators: input checks, period arithmetic and the
common part of their result classes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import ClassVar

import numpy as np
import pandas as pd


def require_columns(df: pd.DataFrame, columns: Iterable[str | None], where: str) -> None:
    """Raise a ValueError naming the missing columns of ``df``."""
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"{where}: expected a pandas DataFrame, got {type(df).__name__}")
    missing = [c for c in columns if c is not None and c not in df.columns]
    if missing:
        raise ValueError(
            f"{where}: column(s) {missing} not in the panel (have: {list(df.columns)})"
        )


def coerce_like(value, series: pd.Series):
    """``value`` (e.g. a ``start`` period given as "2026-03") in the type of ``series``."""
    if pd.api.types.is_datetime64_any_dtype(series):
        return pd.Timestamp(value)
    if isinstance(series.dtype, pd.PeriodDtype):
        return pd.Period(value, freq=series.dtype.freq)
    if pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series):
        return float(value) if isinstance(value, str) else value
    if isinstance(value, pd.Timestamp | np.datetime64):
        return str(pd.Timestamp(value).date())
    return value


def period_positions(times: pd.Series, start) -> tuple[np.ndarray, int, pd.Index]:
    """Ordinal positions of ``times`` among its sorted distinct values, and the position of
    the first period at or after ``start`` (the first treated period)."""
    start = coerce_like(start, times)
    periods = pd.Index(pd.unique(times.dropna())).sort_values()
    pos = periods.get_indexer(times)
    start_pos = int(periods.searchsorted(start, side="left"))
    if start_pos >= len(periods):
        raise ValueError(f"start {start!r} is after the last period of the panel ({periods[-1]!r})")
    if start_pos == 0:
        raise ValueError(
            f"start {start!r} is at or before the first period of the panel ({periods[0]!r}): "
            "no pre-treatment period to compare with"
        )
    return pos, start_pos, periods


def treated_units(panel: pd.DataFrame, unit: str | None, treated, where: str) -> pd.Series:
    """Row-wise boolean 'belongs to a treated unit' from a column name or a list of unit ids.

    A column must be constant within each unit (when a unit column is given); a list must
    name units present in the panel.
    """
    if isinstance(treated, str):
        require_columns(panel, [treated], where)
        col = panel[treated]
        if col.isna().any():
            row = col.index[col.isna()][0]
            raise ValueError(f"{where}: column {treated!r} is empty at row {row!r}")
        vals = set(pd.unique(col))
        if not vals <= {0, 1}:
            raise ValueError(
                f"{where}: column {treated!r} must be boolean (or 0/1); found {sorted(map(str, vals))[:5]}"
            )
        flag = col.astype(bool)
        if unit is not None:
            varies = flag.groupby(panel[unit]).nunique()
            if (varies > 1).any():
                bad = varies.index[varies > 1][0]
                raise ValueError(
                    f"{where}: column {treated!r} changes within unit {bad!r}; it must mark "
                    "treated units (use `start` for the treatment period)"
                )
        return flag
    if unit is None:
        raise ValueError(f"{where}: a list of treated units needs a `unit` column")
    ids = list(treated) if isinstance(treated, Sequence | set | pd.Index | np.ndarray) else [treated]
    present = set(pd.unique(panel[unit]))
    missing = [u for u in ids if u not in present]
    if missing:
        raise ValueError(f"{where}: treated unit(s) {missing[:10]} not found in column {unit!r}")
    return panel[unit].isin(ids)


def check_unique(panel: pd.DataFrame, keys: list[str], where: str) -> None:
    dup = panel.duplicated(keys, keep=False)
    if dup.any():
        row = panel.index[dup][0]
        raise ValueError(
            f"{where}: {int(dup.sum())} rows share a ({', '.join(keys)}) pair, e.g. row {row!r} "
            f"({', '.join(f'{k}={panel.at[row, k]!r}' for k in keys)}); aggregate the panel first"
        )


class EstimateResult:
    """What the effect results (:class:`~lean_analysis.brand.did.DidResult`,
    :class:`~lean_analysis.brand.synth.SynthResult`,
    :class:`~lean_analysis.brand.synth.SynthMultiResult`) have in common: an ``estimate``
    with its interval ``ci_low``/``ci_high`` and the treated pre-period mean ``baseline``,
    hence ``lift``; and a one-row :meth:`to_frame` built from the column list
    ``_frame_columns``. A column is read from the attribute of the same name, or from the
    one ``_frame_source`` maps it to.

    A plain mixin, not a dataclass: it adds no fields, so the subclasses' dataclass fields
    (their order, constructor and repr) are their own.
    """

    estimate: float
    ci_low: float
    ci_high: float
    baseline: float

    _frame_columns: ClassVar[tuple[str, ...]] = ()
    _frame_source: ClassVar[dict[str, str]] = {}

    @property
    def lift(self) -> float:
        """The estimate relative to the treated pre-period mean (``baseline``); NaN when
        the baseline is 0."""
        return self.estimate / self.baseline if self.baseline else float("nan")

    def _frame_row(self, **values) -> dict:
        """The ``to_frame`` row: ``values`` where given, else the attributes."""
        return {
            c: values[c] if c in values else getattr(self, self._frame_source.get(c, c))
            for c in self._frame_columns
        }

    def to_frame(self) -> pd.DataFrame:
        """One row with the columns ``_frame_columns``."""
        return pd.DataFrame([self._frame_row()])
