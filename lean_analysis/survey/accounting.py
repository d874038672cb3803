"""One accounting of a wave's responses: every count the survey report prints, with its base.

:func:`response_accounting` counts, from the raw ``survey_responses`` of one wave:

* ``received``: the wave's rows of ``survey_responses``;
* ``excluded`` by rule, in this order (a response is counted under the first rule it breaks):
  ``not_in_frame`` (the customer is not active on the first day of the wave month, so it is
  not in the frame the sample represents) and ``all_empty`` (no questionnaire item and not the
  overall question answered: a unit non-response; a comment alone is no answer);
* ``respondents`` = received − excluded: the rows of the design (the ``n_h`` of the weights
  ``N_h / n_h``, :func:`lean_analysis.survey.weighted_sample`), of the item table, the
  reliability and the comments;
* ``index``: respondents who answered at least one item with positive index weight (the
  respondent index is the weighted mean of the ANSWERED items, :mod:`.scoring`), the ``n`` of
  the satisfaction index and of its segment and manager estimates;
* ``complete``: respondents who answered every index item (shown beside ``index`` so the
  reader sees how many indexes rest on part of the questionnaire);
* ``satisfied``: respondents who answered the overall question (the satisfied share's ``n``);
* ``drivers``: respondents with every dimension score and the overall question (the
  complete cases of the key-driver regression);
* ``per_item``: per item (``overall`` included) ``answered``, ``missing`` and
  ``missing_share`` among the respondents (:func:`.scoring.response_counts`), and
  ``per_dimension``: respondents with a score on each dimension.

The sampling frame's size ``frame`` (customers active on the first day of the wave month)
is carried for the text. The data hold no record of customers who were sampled but did not
answer, so the accounting starts at the responses received.

>>> items = pd.DataFrame({"item_id": ["a", "b", "overall"], "dimension": ["D", "D", "overall"],
...                       "scale_min": 1, "scale_max": 5, "reverse": False,
...                       "weight": [1.0, 1.0, 0.0]})
>>> resp = pd.DataFrame({"wave": "2026-10", "customer_id": ["C1", "C2", "C3", "C4"],
...                      "a": [5, None, None, 4], "b": [4, 3, None, 4],
...                      "overall": [9, None, None, 8]})
>>> cust = pd.DataFrame({"customer_id": ["C1", "C2", "C3", "C4"], "tier": 5,
...                      "active_from": "2020-01-01", "active_to": [None, None, None, "2026-01-31"]})
>>> acc = response_accounting(resp, items, cust, "2026-10")
>>> acc.received, acc.excluded, acc.respondents, acc.index, acc.complete, acc.satisfied
(4, {'not_in_frame': 1, 'all_empty': 1}, 2, 2, 1, 1)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from lean_analysis.survey.scoring import OVERALL, check_items, item_weights, response_counts

__all__ = ["EXCLUSION_RULES", "ResponseAccounting", "empty_responses", "response_accounting"]

# The exclusion rules, in the order they are applied.
EXCLUSION_RULES = ("not_in_frame", "all_empty")


@dataclass
class ResponseAccounting:
    """The counts of one wave's responses (module docstring): each with its base."""

    wave: str
    frame: int  # customers active on the first day of the wave month
    received: int  # rows of survey_responses in the wave
    excluded: dict  # rule -> responses left out (EXCLUSION_RULES, in order)
    respondents: int  # received − excluded: the design's rows
    index: int  # respondents with at least one positively weighted item answered
    complete: int  # respondents who answered every index item
    satisfied: int  # respondents who answered the overall question
    drivers: int  # respondents with every dimension score and the overall question
    per_item: pd.DataFrame  # item_id, dimension, answered, missing, missing_share
    per_dimension: dict  # dimension -> respondents with a score on it
    used: pd.Index = field(repr=False)  # the index labels of the respondents' rows

    @property
    def all_empty(self) -> int:
        return int(self.excluded.get("all_empty", 0))

    @property
    def n_excluded(self) -> int:
        return int(sum(self.excluded.values()))

    def check(self, sample=None, **estimates) -> ResponseAccounting:
        """Raise ``ValueError`` unless the analysis used these counts: ``sample`` (a
        :class:`~lean_analysis.survey.SurveySample`) has ``respondents`` rows and the same
        exclusions; each keyword ``count=estimate`` (e.g. ``index=idx``, ``satisfied=share``,
        ``drivers=result``) has ``.n`` equal to that count. Returns self."""
        found = []
        if sample is not None:
            found.append(("respondents", self.respondents, len(sample.data)))
            for rule, n in self.excluded.items():
                found.append((f"excluded[{rule}]", n, sample.excluded.get(rule, 0)))
            if len(sample.data) == self.respondents and not sample.data.index.equals(self.used):
                raise ValueError(f"survey_responses (wave {self.wave}): the analysis used other "
                                 "rows than the accounting; rule: one accounting of the "
                                 "responses")
        for name, est in estimates.items():
            found.append((name, getattr(self, name), int(est.n)))
        for name, want, got in found:
            if int(want) != int(got):
                raise ValueError(f"survey_responses (wave {self.wave}): the accounting counts "
                                 f"{want} for {name} but the analysis used {got}; rule: one "
                                 "accounting of the responses")
        return self

    def counts(self) -> dict:
        """The counts as a plain dict (for metrics.json)."""
        return {"received": self.received, "excluded": dict(self.excluded),
                "respondents": self.respondents, "index": self.index, "complete": self.complete,
                "satisfied": self.satisfied, "drivers": self.drivers, "frame": self.frame}

    def to_frame(self) -> pd.DataFrame:
        """One row per count: ``count`` (the key), ``n`` and ``base`` (what it counts)."""
        rows = [("received", self.received, "survey_responses rows of the wave")]
        rows += [(f"excluded_{k}", v, f"left out by rule {k}") for k, v in self.excluded.items()]
        rows += [("respondents", self.respondents, "received − excluded"),
                 ("index", self.index, "respondents with an index item answered"),
                 ("complete", self.complete, "respondents who answered every index item"),
                 ("satisfied", self.satisfied, "respondents who answered the overall question"),
                 ("drivers", self.drivers, "respondents with every dimension and overall")]
        return pd.DataFrame(rows, columns=["count", "n", "base"])


def empty_responses(responses: pd.DataFrame, items: pd.DataFrame) -> pd.Series:
    """True for a response that answers no questionnaire item and not the overall question
    (``survey_items`` gives the items; the comment is no answer)."""
    it = check_items(items)
    cols = [c for c in it["item_id"] if c in responses.columns]
    if not cols:
        raise KeyError("survey_responses: none of the survey_items columns")
    return responses[cols].isna().all(axis=1).rename("all_empty")


def response_accounting(
    responses: pd.DataFrame,
    items: pd.DataFrame,
    customers: pd.DataFrame,
    wave: str,
    item_weights_used: Mapping[str, float] | pd.Series | None = None,
) -> ResponseAccounting:
    """The accounting of wave ``wave`` (module docstring).

    Parameters
    ----------
    responses : DataFrame
        Raw ``survey_responses`` (all waves or one): ``wave``, ``customer_id``, one column per
        item, ``overall``.
    items : DataFrame
        ``survey_items``.
    customers : DataFrame
        ``customers`` (``customer_id``, ``active_from``, ``active_to``, ``tier``): the frame.
    wave : str
        The wave (YYYY-MM).
    item_weights_used : mapping, optional
        The item weights of the index (``score_responses(...).attrs["item_weights"]``);
        default ``survey_items.weight``. Items with weight 0 do not count for ``index``.
    """
    from lean_analysis.survey.sampling import population_frame

    for c in ("wave", "customer_id"):
        if c not in responses.columns:
            raise KeyError(f"survey_responses: no column {c!r}")
    it = check_items(items)
    w = (item_weights(it) if item_weights_used is None else pd.Series(item_weights_used, dtype=float))
    index_items = [i for i, v in w.items() if v > 0]
    resp = responses[responses["wave"].astype(str) == str(wave)]
    pop = population_frame(customers, str(wave))
    in_frame = resp["customer_id"].isin(pop["customer_id"])
    empty = empty_responses(resp, it)
    not_in_frame = ~in_frame
    all_empty = in_frame & empty
    used = resp[(in_frame & ~empty).to_numpy()]
    answered = used[index_items].notna()
    dims = it[it["item_id"] != OVERALL].groupby("dimension", sort=False)["item_id"].apply(list)
    has_dim = pd.DataFrame({d: used[cols].notna().any(axis=1) for d, cols in dims.items()},
                           index=used.index)
    has_overall = used[OVERALL].notna()
    return ResponseAccounting(
        wave=str(wave), frame=len(pop), received=len(resp),
        excluded={"not_in_frame": int(not_in_frame.sum()), "all_empty": int(all_empty.sum())},
        respondents=len(used), index=int(answered.any(axis=1).sum()),
        complete=int(answered.all(axis=1).sum()), satisfied=int(has_overall.sum()),
        drivers=int((has_dim.all(axis=1) & has_overall).sum()),
        per_item=response_counts(used, it), per_dimension={d: int(v) for d, v in
                                                           has_dim.sum().items()},
        used=used.index)
