"""Where the statsforecast calls of a backtest or a forecast run: this process, or Dask
through fugue.

``engine=None`` or ``"local"``: statsforecast in this process (``n_jobs`` processes).
``engine="dask"``: fugue's Dask engine with the current ``dask.distributed`` client (or a new
local one); a ``dask.distributed.Client``; or a scheduler address (``"tcp://host:8786"``).
The same statsforecast models run per series on the workers (statsforecast's
``FugueBackend``, partitioned by ``unique_id``), so the forecasts equal the local ones:
:func:`cross_validation` for :func:`~lean_analysis.forecast.backtest`, :func:`forecast` for
:func:`~lean_analysis.forecast.predict`.
"""

from __future__ import annotations

import copy
import warnings

import pandas as pd


def resolve(engine):
    """``None`` for local, else an object fugue accepts as an execution engine."""
    if engine is None or (isinstance(engine, str) and engine.lower() == "local"):
        return None
    if isinstance(engine, str):
        if engine.lower() == "dask":
            _need_dask()
            return "dask"
        if "://" in engine:
            _need_dask()
            from dask.distributed import Client

            return Client(engine)
        raise ValueError(f"engine must be None, 'local', 'dask', a dask Client or a scheduler "
                         f"address, not {engine!r}")
    if type(engine).__name__ == "Client":
        return engine
    raise NotImplementedError(f"engine {engine!r} is not supported; use None/'local', 'dask', a "
                              "dask.distributed.Client or a scheduler address")


def _need_dask() -> None:
    try:
        import dask.distributed  # noqa: F401
        import fugue_dask  # noqa: F401
    except ImportError as err:  # pragma: no cover - both are installed by the `scale` extra
        raise ImportError("engine='dask' needs dask[distributed] and fugue[dask] "
                          "(pip install lean-analysis[scale])") from err


def _float64_backend():
    """statsforecast's FugueBackend, but returning float64 (its schema says float32, which
    would round the forecasts and make them differ from the local engine's)."""
    import pyarrow as pa
    from fugue import Schema
    from statsforecast.distributed.fugue import FugueBackend

    class Float64Backend(FugueBackend):
        def _get_output_schema(self, **kwargs):
            schema = super()._get_output_schema(**kwargs)
            return Schema([pa.field(f.name, pa.float64()) if pa.types.is_floating(f.type) else f
                           for f in schema.fields])

        def _cv(self, df, *, models, **kwargs):
            # Each partition fits its own copies: statsforecast's models keep their fit on
            # the object (refit=False/int forwards from it), and a thread-based worker runs
            # partitions concurrently on the same objects.
            return FugueBackend._cv(self, df, models=copy.deepcopy(models), **kwargs)

        # fugue reads the in/out types from the annotations; under ``from __future__ import
        # annotations`` they would be strings, so give the types themselves
        _cv.__annotations__ = {"df": pd.DataFrame, "return": pd.DataFrame}

    return Float64Backend


def cross_validation(engine, sf, df: pd.DataFrame, kwargs: dict) -> pd.DataFrame:
    """statsforecast's cross-validation of ``df`` on ``engine``, as a local pandas frame in
    the local engine's layout (sorted by ``unique_id, cutoff, ds``)."""
    backend = _float64_backend()(engine, as_local=True)
    test_size = kwargs["h"] + kwargs["step_size"] * (kwargs["n_windows"] - 1)
    with warnings.catch_warnings():  # dask/pandas deprecation chatter inside fugue
        warnings.simplefilter("ignore", FutureWarning)
        out = _cv(backend, sf, df, kwargs, test_size)
    if not isinstance(out, pd.DataFrame):
        out = out.compute() if hasattr(out, "compute") else pd.DataFrame(out)
    for c in ("ds", "cutoff"):
        out[c] = pd.to_datetime(out[c]).astype("datetime64[ns]")
    for c in out.columns:
        if c not in ("unique_id", "ds", "cutoff"):
            out[c] = out[c].astype("float64")
    return out.sort_values(["unique_id", "cutoff", "ds"], kind="stable").reset_index(drop=True)


def _cv(backend, sf, df, kwargs, test_size):
    return backend.cross_validation(
        df=df, freq=sf.freq, models=sf.models, fallback_model=None, h=kwargs["h"],
        n_windows=kwargs["n_windows"], step_size=kwargs["step_size"], test_size=test_size,
        input_size=kwargs["input_size"], level=kwargs["level"], refit=kwargs["refit"],
        fitted=False, prediction_intervals=None, id_col="unique_id", time_col="ds",
        target_col="y",
    )



FUTURE = "_future"


def forecast(engine, sf, df: pd.DataFrame, h: int, X_df: pd.DataFrame | None,
             level: list | None) -> pd.DataFrame:
    """statsforecast's forecast of ``df`` (with the future exogenous values ``X_df``) on
    ``engine``, as a local pandas frame in the local engine's layout (``unique_id, ds`` and
    the models' columns, sorted by ``unique_id, ds``).

    The history and ``X_df`` travel as one frame (the future rows flagged), partitioned by
    ``unique_id`` like :func:`cross_validation`'s, so each partition holds one series' past
    and future and no second frame has to be zipped to it."""
    from fugue import transform

    backend = _float64_backend()(engine, as_local=True)
    both = df.assign(**{FUTURE: False})
    if X_df is not None:
        both = pd.concat([both, X_df.assign(y=float("nan"), **{FUTURE: True})],
                         ignore_index=True)
    schema = backend._get_output_schema(df=df, models=sf.models, level=level, mode="forecast",
                                        id_col="unique_id", time_col="ds", target_col="y")
    with warnings.catch_warnings():  # dask/pandas deprecation chatter inside fugue
        warnings.simplefilter("ignore", FutureWarning)
        out = transform(both, _forecast_partition, schema=schema,
                        params=dict(models=sf.models, freq=sf.freq, h=h, level=level),
                        partition={"by": "unique_id"}, engine=engine, as_local=True)
    if not isinstance(out, pd.DataFrame):
        out = out.compute() if hasattr(out, "compute") else pd.DataFrame(out)
    out["unique_id"] = out["unique_id"].astype(df["unique_id"].dtype)  # arrow gives strings
    out["ds"] = pd.to_datetime(out["ds"]).astype("datetime64[ns]")
    for c in out.columns:
        if c not in ("unique_id", "ds"):
            out[c] = out[c].astype("float64")
    return out.sort_values(["unique_id", "ds"], kind="stable").reset_index(drop=True)


def _forecast_partition(df, models, freq, h, level):
    """One partition's forecast (``df``: its series' history and, flagged, future rows),
    with its own copies of the models (a thread-based worker runs partitions at once)."""
    from statsforecast.core import _StatsForecast

    future = df[FUTURE].to_numpy(bool)
    hist = df.loc[~future].drop(columns=FUTURE)
    x_df = df.loc[future].drop(columns=[FUTURE, "y"]) if future.any() else None
    sf = _StatsForecast(models=copy.deepcopy(models), freq=freq, n_jobs=1)
    res = sf.forecast(df=hist.reset_index(drop=True), h=h,
                      X_df=None if x_df is None else x_df.reset_index(drop=True), level=level)
    return res.reset_index() if "unique_id" not in res.columns else res


# fugue reads the in/out types from the annotations (strings under ``from __future__``)
_forecast_partition.__annotations__ = {"df": pd.DataFrame, "return": pd.DataFrame}
