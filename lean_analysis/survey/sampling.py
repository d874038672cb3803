"""The sampling frame of a survey wave and the design weights of its respondents.

A wave's frame is the customers active on the first day of the wave month
(:func:`population_frame`), stratified by area × tier band. The respondents of a stratum
``h`` are taken as a simple random sample of its ``N_h`` frame units, so each carries the
weight ``w_i = N_h / n_h`` and the finite population correction ``fpc_i = N_h``
(:func:`stratified_weights`; Lumley 2010, *Complex Surveys*, §2.2). :func:`weighted_sample`
joins one wave's respondents to their customers and returns a :class:`SurveySample`, whose
:meth:`SurveySample.design` is the :class:`~lean_analysis.survey.design.Design` that the
estimators of :mod:`lean_analysis.survey.design` take. :func:`select_waves` picks the wave
to report and the one to compare with.

>>> sample = pd.DataFrame({"area": ["urban"] * 2 + ["rural"] * 3})
>>> frame = pd.DataFrame({"area": ["urban"] * 10 + ["rural"] * 6})
>>> stratified_weights(sample, frame, "area")[["area", "weight", "fpc"]].drop_duplicates()
    area  weight   fpc
0  urban     5.0  10.0
2  rural     2.0   6.0
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from lean_analysis.survey.design import Design, _as_list

__all__ = [
    "CUSTOMER_COLUMNS",
    "SurveySample",
    "population_frame",
    "select_waves",
    "strata_table",
    "stratified_weights",
    "weighted_sample",
]


# --- weights for a stratified sample ------------------------------------------------------
def strata_table(sample: pd.DataFrame, population: pd.DataFrame,
                 strata: str | Sequence[str]) -> pd.DataFrame:
    """Per stratum: population count ``N_h``, respondents ``n_h``, weight ``N_h / n_h``,
    sampling fraction, and ``empty`` (a population stratum without respondents).

    Raises when a respondent's stratum is absent from the population or ``n_h > N_h``.
    """
    cols = _as_list(strata)
    for name, frame in (("sample", sample), ("population", population)):
        for c in cols:
            if c not in frame.columns:
                raise KeyError(f"{name}: no column {c!r} (stratum)")
            bad = frame[c].isna().to_numpy()
            if bad.any():
                rows = frame.index[bad][:5].tolist()
                raise ValueError(f"{name}.{c}: {int(bad.sum())} missing value(s) (rows {rows}); "
                                 "rule: every unit needs a stratum")
    N = population.groupby(cols, observed=True).size().rename("N_h")
    n = sample.groupby(cols, observed=True).size().rename("n_h")
    tab = pd.concat([N, n], axis=1).fillna(0).astype({"N_h": int, "n_h": int})
    unknown = tab[tab["N_h"] == 0]
    if len(unknown):
        raise ValueError(f"sample: stratum {unknown.index[0]!r} ({int(unknown['n_h'].iloc[0])} "
                         "respondents) has no population units; rule: respondents belong to the "
                         "population")
    over = tab[tab["n_h"] > tab["N_h"]]
    if len(over):
        raise ValueError(f"sample: stratum {over.index[0]!r} has {int(over['n_h'].iloc[0])} "
                         f"respondents but only {int(over['N_h'].iloc[0])} population units; "
                         "rule: n_h ≤ N_h")
    tab["weight"] = np.where(tab["n_h"] > 0, tab["N_h"] / tab["n_h"].where(tab["n_h"] > 0), np.nan)
    tab["fraction"] = tab["n_h"] / tab["N_h"]
    tab["empty"] = tab["n_h"] == 0
    return tab.reset_index()


def stratified_weights(
    sample: pd.DataFrame,
    population: pd.DataFrame,
    strata: str | Sequence[str],
    weight_col: str = "weight",
    fpc_col: str = "fpc",
    on_empty: str = "raise",
) -> pd.DataFrame:
    """Weights and fpc for a stratified random sample from population counts per stratum.

    ``w_i = N_h / n_h`` and ``fpc_i = N_h`` for a respondent in stratum ``h`` (``N_h``
    population units, e.g. active customers per area × tier band; ``n_h`` respondents).
    Returns a copy of ``sample`` with ``weight_col`` and ``fpc_col`` added. A population
    stratum without respondents cannot be represented: ``on_empty="raise"`` (default) says
    which; ``"warn"`` proceeds with a warning (the estimate then covers only the strata with
    respondents).

    Example: 2 of 10 urban and 3 of 6 rural customers answered → urban weight 5, rural 2
    (test_survey_design).
    """
    if on_empty not in ("raise", "warn"):
        raise ValueError(f"on_empty must be 'raise' or 'warn', not {on_empty!r}")
    cols = _as_list(strata)
    tab = strata_table(sample, population, cols)
    empty = tab[tab["empty"]]
    if len(empty):
        msg = (f"population strata without respondents: "
               f"{empty[cols].astype(str).agg('/'.join, axis=1).tolist()} "
               f"({int(empty['N_h'].sum())} population units not represented)")
        if on_empty == "raise":
            raise ValueError(msg + "; pass on_empty='warn' to estimate over the other strata")
        warnings.warn(msg, stacklevel=2)
    m = sample[cols].merge(tab[[*cols, "N_h", "weight"]], on=cols, how="left")
    out = sample.copy()
    out[weight_col] = m["weight"].to_numpy()
    out[fpc_col] = m["N_h"].to_numpy(dtype=float)
    return out


# --- the wave's frame and its weighted respondents --------------------------------------
CUSTOMER_COLUMNS = ("area", "tier", "format", "manager_id", "is_modern_terminal")


@dataclass
class SurveySample:
    """The respondents of one wave with design weights, and the frame they represent."""

    data: pd.DataFrame  # respondents + customer columns + tier_band + weight + fpc
    population: pd.DataFrame  # the frame: customers active on the first day of the wave
    strata: pd.DataFrame  # strata_table: N_h, n_h, weight, fraction, empty
    strata_cols: list[str]
    wave: str
    excluded: dict  # rule -> responses left out: not_in_frame, all_empty

    def design(self, lonely_psu: str = "fail") -> Design:
        """R's ``svydesign(id=~1, strata=~area+tier_band, weights=~weight, fpc=~fpc)``."""
        return Design(self.data, weight="weight", strata=self.strata_cols, fpc="fpc",
                      lonely_psu=lonely_psu, table="survey_responses")


def population_frame(customers: pd.DataFrame, wave: str) -> pd.DataFrame:
    """Customers active on the first day of the wave month (``active_from ≤ day`` and
    ``active_to`` empty or ``≥ day``), with ``tier_band`` (config.TIER_BANDS) added."""
    from lean_analysis.config import tier_band

    day = pd.Timestamp(f"{wave}-01")
    start = pd.to_datetime(customers["active_from"])
    end = pd.to_datetime(customers["active_to"])
    ok = (start <= day) & (end.isna() | (end >= day))
    out = customers[ok.to_numpy()].copy()
    out["tier_band"] = out["tier"].map(tier_band)
    return out.reset_index(drop=True)


def weighted_sample(
    responses: pd.DataFrame,
    customers: pd.DataFrame,
    wave: str,
    strata: Sequence[str] = ("area", "tier_band"),
    on_empty: str = "raise",
) -> SurveySample:
    """The wave's respondents joined to their customer (area, tier, tier band, format,
    manager …) with stratified weights from the frame's counts per stratum
    (:func:`stratified_weights`, ``w = N_h / n_h``, ``fpc = N_h``).

    ``responses`` (raw or scored) must have ``wave`` and ``customer_id``. A respondent whose
    customer is unknown is an error; one whose customer is not in the wave's frame (not
    active on the first day of the wave month) is left out and counted in
    ``excluded["not_in_frame"]``; a scored response without any answer (every dimension
    score and the overall score missing: a unit non-response) is left out before the weights
    are computed and counted in ``excluded["all_empty"]``, so that it does not count in
    ``n_h`` (the rules and counts of :func:`lean_analysis.survey.response_accounting`).
    """
    for c in ("wave", "customer_id"):
        if c not in responses.columns:
            raise KeyError(f"survey_responses: no column {c!r}")
    resp = responses[responses["wave"].astype(str) == str(wave)]
    if resp.empty:
        raise ValueError(f"survey_responses.wave: no responses in wave {wave!r}")
    dup = resp["customer_id"].duplicated()
    if dup.any():
        raise ValueError(f"survey_responses: customer {resp['customer_id'][dup].iloc[0]!r} "
                         f"answers wave {wave!r} twice; rule: key (wave, customer_id) is unique")
    known = resp["customer_id"].isin(customers["customer_id"])
    if not known.all():
        rows = resp.index[~known.to_numpy()][:5].tolist()
        raise ValueError(f"survey_responses.customer_id: rows {rows} name customers not in "
                         "customers; rule: references customers.customer_id")
    pop = population_frame(customers, wave)
    in_frame = resp["customer_id"].isin(pop["customer_id"])
    empty = in_frame & _all_empty(resp, responses.attrs.get("dimensions"))
    keep = (in_frame & ~empty).to_numpy()
    cols = ["customer_id", *[c for c in CUSTOMER_COLUMNS if c in pop.columns], "tier_band"]
    clash = [c for c in cols[1:] if c in resp.columns]
    data = resp[keep].drop(columns=clash).merge(
        pop[cols], on="customer_id", how="left", validate="one_to_one")
    data.index = resp.index[keep]
    data = stratified_weights(data, pop, list(strata), on_empty=on_empty)
    return SurveySample(data=data, population=pop, strata=strata_table(data, pop, list(strata)),
                        strata_cols=list(strata), wave=str(wave),
                        excluded={"not_in_frame": int((~in_frame).sum()),
                                  "all_empty": int(empty.sum())})


def _all_empty(resp: pd.DataFrame, dimensions: Sequence[str] | None) -> pd.Series:
    """Scored responses (``score_responses``) without any answer: every dimension score (or,
    without the list of dimensions, the index) and the overall score missing. Raw responses
    are never taken as empty here (:func:`lean_analysis.survey.response_accounting` counts
    them from the items)."""
    score_cols = [c for c in (dimensions or ["index"]) if c in resp.columns]
    if not score_cols or "overall_score" not in resp.columns:
        return pd.Series(False, index=resp.index)
    return resp[[*score_cols, "overall_score"]].isna().all(axis=1)


def select_waves(responses: pd.DataFrame, period: str, wave: str = "",
                 prev_wave: str = "") -> tuple[str, str | None]:
    """The wave to report and the one to compare with.

    ``wave`` empty: the latest wave in ``responses`` not after ``period`` (YYYY-MM);
    ``prev_wave`` empty: the wave before it (None when there is none); ``"none"``: no
    comparison. A wave that is not in the data is an error naming the waves present.
    """
    if "wave" not in responses.columns:
        raise KeyError("survey_responses: no column 'wave'")
    waves = sorted(responses["wave"].dropna().astype(str).unique())
    if not waves:
        raise ValueError("survey_responses: no responses")
    if wave:
        if wave not in waves:
            raise ValueError(f"survey_responses.wave: no wave {wave!r} (have {waves})")
        now = wave
    else:
        upto = [w for w in waves if w <= str(period)]
        if not upto:
            raise ValueError(f"survey_responses.wave: no wave up to {period} (have {waves})")
        now = upto[-1]
    if prev_wave == "none":
        return now, None
    if prev_wave:
        if prev_wave not in waves:
            raise ValueError(f"survey_responses.wave: no wave {prev_wave!r} (have {waves})")
        if prev_wave >= now:
            raise ValueError(f"prev_wave {prev_wave!r} is not before wave {now!r}")
        return now, prev_wave
    before = [w for w in waves if w < now]
    return now, (before[-1] if before else None)
