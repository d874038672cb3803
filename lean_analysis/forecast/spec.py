"""What a forecast runs: :class:`ForecastSpec`, made by :func:`prepare`.

:func:`~lean_analysis.forecast.backtest` and :func:`~lean_analysis.forecast.predict` share
one prepared spec, the way statsforecast's ``StatsForecast(models=…, freq=…)`` is shared by
its ``cross_validation`` and ``forecast``: the models resolved by name (with the ensemble's
members), the interval levels, the calendar adjustment, the Spring Festival regressor, the
eligibility groups (which series each model may be fitted to) and the engine. A backtest
and the forecast after it therefore fit the same models to the same data.

>>> spec = prepare(["snaive", "ensemble"], season_length=12, level=[95, 80])
>>> spec.names, [s.name for s in spec.run], spec.level
(('snaive', 'ensemble'), ['snaive', 'ets', 'theta', 'arima', 'ces', 'ces_log'], (80, 95))
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from statsforecast import StatsForecast

from . import engine as _engine
from .ensemble import combine
from .models import ENSEMBLE, ENSEMBLE_RULE, MANAGER, ModelSpec, resolve
from .panel import (
    SF_COLUMN,
    add_spring_festival,
    calendar_factor,
    check_panel,
    check_regular,
    infer_freq,
)

CALENDAR_ADJUSTMENTS = (None, "weeks")


def interval_columns(level) -> list[str]:
    """``lo_80, hi_80, lo_95, hi_95`` for ``level=(80, 95)``."""
    out = []
    for lv in sorted(level or ()):
        out += [f"lo_{lv:g}", f"hi_{lv:g}"]
    return out


@dataclass(frozen=True)
class ForecastSpec:
    """The models and data treatment of a backtest or forecast (see :func:`prepare`).

    Attributes
    ----------
    models
        The requested models in order (:class:`~lean_analysis.forecast.models.ModelSpec`;
        the ensemble and the managers included): the models a result reports.
    run
        The statistical models that are fitted: the requested ones and the ensemble's
        members.
    season_length, level, freq
        Season length ``m``; interval levels (sorted); pandas frequency (``None``: inferred
        from the series).
    spring_festival, festival_adjust, calendar_adjust
        The Spring Festival regressor for ``arima`` (and, with ``festival_adjust``, for the
        smoothing models); ``"weeks"``: model ``y`` per order week.
    nonnegative
        Clip forecasts and bounds at 0.
    n_jobs, engine
        statsforecast processes; the resolved engine (``None``: this process).
    """

    models: tuple[ModelSpec, ...]
    run: tuple[ModelSpec, ...]
    season_length: int = 12
    level: tuple = (80, 95)
    freq: str | None = None
    spring_festival: bool = True
    festival_adjust: bool = False
    calendar_adjust: str | None = None
    nonnegative: bool = True
    n_jobs: int = 1
    engine: Any = None

    @property
    def names(self) -> tuple[str, ...]:
        """The requested models' names, in order."""
        return tuple(s.name for s in self.models)

    @property
    def ensemble(self) -> ModelSpec | None:
        """The ensemble's spec when it is requested."""
        return next((s for s in self.models if s.name == ENSEMBLE), None)

    @property
    def interval_columns(self) -> list[str]:
        return interval_columns(self.level)

    def key(self) -> tuple:
        """What makes two specs' forecasts of the same data by a model equal: the data
        treatment, and per fitted model its class, constructor settings and data needs
        (``(treatment, {name: model key})``). A backtest's forecast after the data is
        reused by :func:`~lean_analysis.forecast.predict` only for models of the same key.
        Read it before the models are fitted."""
        return ((self.season_length, self.level, self.spring_festival, self.festival_adjust,
                 self.calendar_adjust),
                {s.name: (s.min_train, s.uses_exog, _settings(s.model)) for s in self.run})

    def panel(self, series: pd.DataFrame) -> tuple[pd.DataFrame, str]:
        """``series`` checked (``unique_id, ds, y`` sorted, no gaps) and its frequency."""
        df = check_panel(series)
        freq = infer_freq(df, self.freq)
        check_regular(df, freq)
        return df, freq

    def groups(self, n_fit: pd.Series, skipped: list, n_windows: int = 0,
               refit: bool | int = True) -> list[dict]:
        """Split the fitted models into statsforecast calls: same eligible series (a model
        needs ``min_train`` points, ``n_fit`` per series), compatible exogenous needs and
        refit mode. Appends the too-short series × model pairs to ``skipped``
        (``n_windows`` windows missing each)."""
        groups: dict = {}
        for s in self.run:
            ok = n_fit[n_fit >= s.min_train]
            for uid, n in n_fit[n_fit < s.min_train].items():
                skipped.append(skip_record(uid, s.name, f"too short: {int(n)} points for the "
                                           f"first fit, {s.name} needs {s.min_train}", int(n),
                                           n_windows, "too_short", s.min_train))
            if ok.empty:
                continue
            ids = tuple(ok.index)
            r = refit if (refit is True or s.has_forward) else True
            exog = "X" if s.uses_exog else ("noX" if getattr(s.model, "uses_exog", False)
                                            else "any")
            groups.setdefault((ids, r), []).append((exog, s))
        out = []
        for (ids, r), items in groups.items():
            with_x = [s for e, s in items if e == "X"]
            no_x = [s for e, s in items if e == "noX"]
            anyx = [s for e, s in items if e == "any"]
            if with_x:
                out.append({"ids": ids, "refit": r, "exog": True, "specs": with_x + anyx})
                if no_x:
                    out.append({"ids": ids, "refit": r, "exog": False, "specs": no_x})
            else:
                out.append({"ids": ids, "refit": r, "exog": False, "specs": no_x + anyx})
        return out

    def model_data(self, df: pd.DataFrame, freq: str, groups: list[dict]) -> pd.DataFrame:
        """The data the models see: with the Spring Festival column when a model of
        ``groups`` uses it, and ``y`` divided by the calendar factor."""
        needs_sf = any(s.uses_exog for g in groups for s in g["specs"])
        data = add_spring_festival(df, freq) if needs_sf else df
        if self.calendar_adjust is not None:
            data = data.assign(y=data["y"] / calendar_factor(data["ds"], freq,
                                                             self.calendar_adjust))
        return data

    @staticmethod
    def columns(g: dict) -> list[str]:
        """The columns of the model data a group's statsforecast call gets."""
        return ["unique_id", "ds", "y"] + ([SF_COLUMN] if g["exog"] else [])

    def future_exog(self, part: pd.DataFrame, h: int, freq: str) -> pd.DataFrame:
        """The Spring Festival regressor of the ``h`` periods after each series of ``part``
        (fixed in advance by the lunar calendar), as statsforecast's ``X_df``."""
        from .panel import future_dates

        last = part.groupby("unique_id")["ds"].max()
        fut = pd.concat([pd.DataFrame({"unique_id": uid, "ds": future_dates(d, h, freq)})
                         for uid, d in last.items()], ignore_index=True)
        return add_spring_festival(fut.assign(y=0.0), freq)[["unique_id", "ds", SF_COLUMN]]

    def statsforecast(self, g: dict, freq: str, n_fits: int = 0) -> StatsForecast:
        """The statsforecast object of a group (its models, the frequency, ``n_jobs``) for
        one call that fits each series ``n_fits`` times, the last of which searches the
        automatic models' form (:meth:`lean_analysis.forecast.search.SearchFirst.for_call`;
        ``0``: only the first fit does)."""
        from .search import SearchFirst

        # a fresh copy of a SearchFirst per call: what one call saw must not steer another's
        return StatsForecast(models=[s.model.for_call(n_fits) if isinstance(s.model, SearchFirst)
                                     else s.model for s in g["specs"]],
                             freq=freq, n_jobs=self.n_jobs)

    def restore(self, out: pd.DataFrame, freq: str) -> pd.DataFrame:
        """Undo the calendar adjustment in a statsforecast result: every value column
        (forecasts, bounds, ``y``) times the target period's factor. In place; returned."""
        if self.calendar_adjust is not None:
            f = calendar_factor(out["ds"], freq, self.calendar_adjust)
            vals = [c for c in out.columns if c not in ("unique_id", "ds", "cutoff")]
            out[vals] = out[vals].mul(f, axis=0)
        return out

    def long(self, out: pd.DataFrame, name: str) -> pd.DataFrame:
        """Model ``name``'s rows of a statsforecast result in the long layout ``model,
        unique_id, cutoff, ds, y, forecast, lo_<l>, hi_<l>``."""
        cols = {"unique_id": "unique_id", "cutoff": "cutoff", "ds": "ds", "y": "y",
                name: "forecast"}
        for lv in self.level:
            cols[f"{name}-lo-{lv:g}"] = f"lo_{lv:g}"
            cols[f"{name}-hi-{lv:g}"] = f"hi_{lv:g}"
        present = {k: v for k, v in cols.items() if k in out.columns}
        res = out[list(present)].rename(columns=present)
        for c in self.interval_columns:
            if c not in res.columns:
                res[c] = np.nan
        res.insert(0, "model", name)
        return res

    def combine(self, by_name: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
        """The ensemble's rows from its members' (``by_name``: model -> long rows), or None
        when it is not requested or a member did not run."""
        ens = self.ensemble
        if ens is None:
            return None
        members = [by_name.get(m) for m in ens.members]
        if any(m is None for m in members):
            return None
        return combine(members, ENSEMBLE, rule=ENSEMBLE_RULE)

    def clip(self, out: pd.DataFrame) -> int:
        """With ``nonnegative``: clip forecasts and bounds at 0 in place; the number of
        point forecasts that were negative."""
        if not self.nonnegative or not len(out):
            return 0
        cols = ["forecast", *self.interval_columns]
        n = int(out["forecast"].lt(0).sum())
        out[cols] = out[cols].clip(lower=0)
        return n


def prepare(models=("ets",), season_length: int = 12, level=(80, 95), freq: str | None = None,
            spring_festival: bool = True, model_options: dict[str, dict] | None = None,
            min_train: dict[str, int] | None = None, festival_adjust: bool = False,
            calendar_adjust: str | None = None, nonnegative: bool = True, n_jobs: int = 1,
            engine=None, manager: bool | None = None, search: str = "first") -> ForecastSpec:
    """The :class:`ForecastSpec` of ``models`` and the data treatment, checked.

    Parameters
    ----------
    models
        Names (:mod:`lean_analysis.forecast.models`) and/or statsforecast model objects.
    season_length
        Season length ``m`` (a positive integer).
    level
        Interval levels, each strictly between 0 and 100.
    freq
        pandas frequency of the series; ``None``: inferred from them.
    spring_festival, festival_adjust, model_options, min_train
        As in :func:`lean_analysis.forecast.backtest`.
    calendar_adjust
        ``None`` or ``"weeks"``.
    nonnegative, n_jobs, engine
        As in :func:`lean_analysis.forecast.backtest`; ``engine`` is resolved here
        (:func:`lean_analysis.forecast.engine.resolve`).
    manager
        ``None``: the models as listed; ``True``: add ``"manager"`` when it is not listed
        (a backtest given the managers' forecasts); ``False``: leave it out (a forecast).
    search
        ``"first"`` or ``"every"``: when ``ets`` and ``arima`` choose their form
        (:mod:`lean_analysis.forecast.search`).

    Returns
    -------
    ForecastSpec
    """
    season_length = positive_int(season_length, "season_length")
    level = tuple(sorted(level or ()))
    for lv in level:
        if not 0 < lv < 100:
            raise ValueError(f"level {lv!r}: interval levels lie strictly between 0 and 100")
    if calendar_adjust not in CALENDAR_ADJUSTMENTS:
        raise ValueError(f"calendar_adjust must be None or 'weeks', not {calendar_adjust!r}")
    eng = _engine.resolve(engine)
    specs = resolve(models, season_length, spring_festival, model_options, min_train,
                    festival_adjust, search)
    if manager is False:
        specs = [s for s in specs if s.name != MANAGER]
    elif manager is True and MANAGER not in [s.name for s in specs]:
        specs.append(resolve([MANAGER], season_length)[0])
    run = [s for s in specs if s.model is not None]
    have = {s.name for s in run}
    for s in specs:
        for m in s.members:
            if m not in have:
                run += resolve([m], season_length, spring_festival, model_options, min_train,
                               festival_adjust, search)
                have.add(m)
    return ForecastSpec(models=tuple(specs), run=tuple(run), season_length=season_length,
                        level=level, freq=freq, spring_festival=spring_festival,
                        festival_adjust=festival_adjust, calendar_adjust=calendar_adjust,
                        nonnegative=nonnegative, n_jobs=n_jobs, engine=eng)


def _settings(model) -> tuple:
    """A model object's class and simple settings (numbers, strings, tuples; a wrapper's
    and its inner model's)."""
    simple = (int, float, str, bool, type(None), tuple)
    items = tuple(sorted((k, _settings(v) if hasattr(v, "forecast") else v)
                         for k, v in vars(model).items()
                         if (isinstance(v, simple) and not k.endswith("_"))
                         or hasattr(v, "forecast")))
    return (type(model).__name__, items)


def positive_int(x, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, int | np.integer) or x < 1:
        raise ValueError(f"{name} must be a positive integer, not {x!r}")
    return int(x)


def skip_record(uid, model, reason, n_points, n_missing, code, need=None) -> dict:
    """One series × model pair not forecast (see :func:`lean_analysis.forecast.skipped`)."""
    return {"unique_id": uid, "model": model, "reason": reason, "n_points": int(n_points),
            "n_windows_missing": int(n_missing), "code": code, "need": need}
