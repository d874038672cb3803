"""Figures and targets: the one home of units, target status and published figures.

Every report publishes its key figures in ``<report>.metrics.json``; the scorecard, the
overview, the period index and ``lean-analysis list`` read them. What a figure is (its
name, unit, definition, the report that produces it, the target it feeds) is declared once,
here, in :data:`FIGURES`; :func:`lean_analysis.report.metrics.write_metrics` refuses a figure
that is not declared. The yearly targets are read from ``params/targets.yaml`` into
:class:`Target` objects, and a figure is compared with its target by :func:`status` only.

Units
-----
A unit is a plain string. Two families convert into each other:

- fractions (:data:`FRACTION_UNITS`: ``share``, ``fraction``, ``proportion``, ``rate``, ``1``
  and the empty unit): 0.112;
- 0–100 scales (:data:`PERCENT_UNITS`: ``%``, ``percent``, ``pct``, ``points``, ``index``,
  ``0-100``, ``score``, ``分``): 11.2.

Every other unit (``case``, ``¥10k``, ``ratio`` for MASE-type ratios, ``model``, …) only
equals itself. ``ratio`` is deliberately *not* a fraction: a MASE of 0.53 is not 53 %.

>>> round(convert(0.112, "share", "%"), 9)
11.2
>>> status(11.35, 11.2, ">=")
'met'
>>> status(89.62, 90, ">=", ci=(89.2, 90.0))
'within_margin'
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = [
    "FRACTION_UNITS", "PERCENT_UNITS", "DIRECTIONS", "STATUSES",
    "MET", "NOT_MET", "WITHIN_MARGIN", "NOT_MEASURED",
    "is_fraction", "is_percent", "convert", "status", "compare_interval",
    "Target", "TargetError", "read_targets", "targets_of",
    "VERDICTS", "PRETREND_WARN_LEVEL", "effect_verdict", "pretrend_warning",
    "FigureSpec", "FIGURES", "UnregisteredFigure", "figure", "lookup", "check_figures",
    "figures_of", "scorecard_sources", "register",
]

# --------------------------------------------------------------------------- units

FRACTION_UNITS = frozenset({"share", "fraction", "proportion", "rate", "1", ""})
PERCENT_UNITS = frozenset({"%", "percent", "pct", "points", "index", "0-100", "score", "分"})
_SCALE = {**{u: 1.0 for u in FRACTION_UNITS}, **{u: 100.0 for u in PERCENT_UNITS}}


def _norm(unit: str | None) -> str:
    return str(unit if unit is not None else "").strip().lower()


def is_fraction(unit: str | None) -> bool:
    """Whether values in ``unit`` are fractions 0–1 (and print as percentages)."""
    return _norm(unit) in FRACTION_UNITS


def is_percent(unit: str | None) -> bool:
    """Whether ``unit`` is a 0–100 scale (``%``, ``index``, ``points``, …)."""
    return _norm(unit) in PERCENT_UNITS


def convert(value: float, from_unit: str | None, to_unit: str | None) -> float:
    """``value`` in ``from_unit`` expressed in ``to_unit``.

    A fraction and a 0–100 scale convert by a factor 100 (0.112 share = 11.2 %); equal
    units pass through; any other pair raises ``ValueError`` naming both units.

    >>> convert(89.5, "%", "share")
    0.895
    >>> convert(90, "index", "points")
    90
    """
    a, b = _norm(from_unit), _norm(to_unit)
    if a == b:
        return value
    if a in _SCALE and b in _SCALE:
        if _SCALE[a] == _SCALE[b]:
            return value
        return value * _SCALE[b] / _SCALE[a]
    raise ValueError(f"cannot compare a figure in {from_unit!r} with a target in {to_unit!r}")


# --------------------------------------------------------------------------- status

MET, NOT_MET, WITHIN_MARGIN, NOT_MEASURED = "met", "not_met", "within_margin", "not_measured"
STATUSES = (MET, NOT_MET, WITHIN_MARGIN, NOT_MEASURED)
DIRECTIONS: dict[str, Any] = {">=": operator.ge, ">": operator.gt, "<=": operator.le,
                              "<": operator.lt, "==": operator.eq}
_DIGITS = 9  # a figure equal to its target up to 9 decimals counts as equal


def _missing(x: Any) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))
    except (TypeError, ValueError):
        return True


def compare_interval(target: float, ci: tuple[float, float]) -> str:
    """Where an interval lies relative to ``target``: ``"above"``, ``"below"`` or
    ``"straddles"`` (the target is inside the interval, ends included).

    >>> compare_interval(90, (89.04, 92.96))
    'straddles'
    """
    lo, hi = float(ci[0]), float(ci[1])
    return "above" if lo > target else "below" if hi < target else "straddles"


def status(actual: Any, target: float, direction: str = ">=", ci: tuple | None = None) -> str:
    """The status of a figure against its target.

    - ``"not_measured"`` when ``actual`` is missing (None or NaN);
    - ``"within_margin"`` when an interval ``ci = (low, high)`` is given and contains the
      target (the data cannot tell met from not met); an interval with a missing end is
      ignored;
    - else ``"met"`` when ``actual <direction> target`` holds, both rounded to 9
      decimals (so 0.112 computed as 0.11200000000001 meets ≥ 0.112), ``"not_met"``
      otherwise.

    ``direction`` is one of ``>=``, ``>``, ``<=``, ``<``, ``==``; another raises
    ``ValueError``.

    >>> status(0.75, 1.0, ">=")
    'not_met'
    >>> status(None, 1.0)
    'not_measured'
    """
    if direction not in DIRECTIONS:
        raise ValueError(f"direction {direction!r} is not one of {list(DIRECTIONS)}")
    if _missing(actual):
        return NOT_MEASURED
    t = float(target)
    if ci is not None and not any(_missing(c) for c in ci) and direction != "==":
        if compare_interval(t, ci) == "straddles":
            return WITHIN_MARGIN
    ok = DIRECTIONS[direction](round(float(actual), _DIGITS), round(t, _DIGITS))
    return MET if ok else NOT_MET


# --------------------------------------------------------------------------- reading an estimate
# The rules that turn an estimate into words, here (not in an analysis package) so that a
# report can apply the same rule as the analysis without importing it.

VERDICTS = ("positive", "suggestive", "negative", "unclear")
PRETREND_WARN_LEVEL = 0.10  # a pre-trend p-value below this is flagged in reports


def effect_verdict(method: str, ci_low: float, ci_high: float, p_value: float,
                   alpha: float) -> str:
    """The plain-language verdict on an effect from its interval (and, for a synthetic
    control, its placebo p-value):

    - ``"positive"``: the interval lies above 0 (synthetic control: and p ≤ ``alpha``);
    - ``"suggestive"``: synthetic control whose interval lies above 0 but whose placebo
      ratio test is not significant (p > ``alpha`` or missing);
    - ``"negative"``: the interval lies below 0;
    - ``"unclear"``: the interval contains 0 or is missing.

    >>> effect_verdict("did", 1.0, 3.0, 0.01, 0.05), effect_verdict("synth", 1.0, 3.0, 0.11, 0.05)
    ('positive', 'suggestive')
    >>> effect_verdict("did", -3.0, -1.0, 0.01, 0.05), effect_verdict("did", -1.0, 3.0, 0.4, 0.05)
    ('negative', 'unclear')
    """
    lo, hi = float(ci_low), float(ci_high)
    if math.isnan(lo) or math.isnan(hi):
        return "unclear"
    weak = method == "synth" and not (float(p_value) <= alpha)
    if lo > 0:
        return "suggestive" if weak else "positive"
    if hi < 0:
        return "negative"
    return "unclear"


def pretrend_warning(pretrend_p: float | None, level: float = PRETREND_WARN_LEVEL) -> str | None:
    """Whether a pre-trend test result calls for a warning: ``"not_available"`` when the
    p-value is missing (no leads, or too few treated clusters), ``"rejected"`` when it is
    below ``level`` (10 %: a pre-trend test has little power, so a lenient level), else
    ``None``.

    >>> pretrend_warning(0.02), pretrend_warning(float("nan")), pretrend_warning(0.5)
    ('rejected', 'not_available', None)
    """
    if _missing(pretrend_p):
        return "not_available"
    return "rejected" if float(pretrend_p) < level else None


# --------------------------------------------------------------------------- targets


class TargetError(ValueError):
    """A target in the targets file is malformed; ``key`` names it (``targets.X.value``)."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}")
        self.key = key
        self.message = message


@dataclass(frozen=True)
class Target:
    """One yearly target of ``params/targets.yaml``.

    ``value`` in ``unit``; met when ``figure <direction> value``. ``extra`` keeps the
    target's other settings (``basis``, ``compared_with``, …).
    """

    name: str
    value: float
    unit: str = "share"
    direction: str = ">="
    label_zh: str = ""
    label_en: str = ""
    definition: str = ""
    extra: Mapping[str, Any] = field(default_factory=dict)

    @classmethod
    def from_spec(cls, name: str, spec: Any, require_unit: bool = False) -> Target:
        """A target from its mapping ``{value, unit, direction, label_zh, …}``; a malformed
        one raises :class:`TargetError` naming ``targets.<name>.<key>``."""
        if not isinstance(spec, Mapping) or "value" not in spec:
            raise TargetError(f"targets.{name}", f"must be a mapping with a 'value' (got {spec!r})")
        value = spec["value"]
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TargetError(f"targets.{name}.value", "must be a number")
        direction = str(spec.get("direction", ">="))
        if direction not in DIRECTIONS:
            raise TargetError(f"targets.{name}.direction",
                              f"direction {direction!r} is not one of {list(DIRECTIONS)}")
        unit = spec.get("unit")
        if unit is None and require_unit:
            raise TargetError(f"targets.{name}.unit", "must be given (e.g. share, index)")
        if unit is not None and not isinstance(unit, str):
            raise TargetError(f"targets.{name}.unit", "must be given (e.g. share, index)")
        known = {"value", "unit", "direction", "label_zh", "label_en", "definition"}
        return cls(name=str(name), value=float(value), unit="share" if unit is None else unit,
                   direction=direction, label_zh=str(spec.get("label_zh", "")),
                   label_en=str(spec.get("label_en", "")),
                   definition=str(spec.get("definition", "")),
                   extra={k: v for k, v in spec.items() if k not in known})

    def label(self, lang: str = "zh") -> str:
        """The target's label in ``lang`` ('' when the targets file gives none)."""
        return self.label_en if lang == "en" else self.label_zh

    def status(self, actual: Any, unit: str | None = None, ci: tuple | None = None) -> str:
        """:func:`status` of ``actual`` (in ``unit``, default the target's) against this
        target."""
        if unit is not None and not _missing(actual):
            actual = convert(float(actual), unit, self.unit)
            if ci is not None:
                ci = tuple(None if _missing(c) else convert(float(c), unit, self.unit) for c in ci)
        return status(actual, self.value, self.direction, ci)


def targets_of(doc: Mapping[str, Any], require_unit: bool = False) -> dict[str, Target]:
    """The :class:`Target` objects of a parsed targets file (``{year, targets: {...}}``)
    or of its ``targets`` mapping."""
    if isinstance(doc, Mapping) and isinstance(doc.get("targets"), Mapping):
        doc = doc["targets"]
    if not isinstance(doc, Mapping) or not doc:
        raise TargetError("targets", "must map each target's name to its settings")
    return {str(k): Target.from_spec(k, v, require_unit) for k, v in doc.items()}


def read_targets(path: str | Path | None = None) -> dict[str, Target]:
    """The targets of ``path`` (default ``params/targets.yaml``) as :class:`Target` objects;
    every target must give value, unit and a known direction."""
    import yaml

    from lean_analysis import config

    p = Path(path) if path else config.TARGETS_FILE
    with open(p, encoding="utf-8") as f:
        return targets_of(yaml.safe_load(f) or {}, require_unit=True)


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class FigureSpec:
    """A figure that a report publishes in its ``metrics.json``.

    ``name`` may hold placeholders in braces (``effect_{programme}``) that stand for one
    identifier each. ``unit`` is the unit every value of it carries (``None``: it varies,
    e.g. a scorecard figure takes its target's unit). ``basis`` says what the value covers
    (``month``, ``ytd``, ``wave``, ``backtest``, ``check``, ``next_month``, …). ``feeds``
    names the yearly target it is compared with by the scorecard.
    """

    name: str
    report: str
    unit: str | None
    definition: str
    basis: str = ""
    feeds: str | None = None

    @property
    def pattern(self) -> re.Pattern:
        parts = re.split(r"(\{[a-z_]+\})", self.name)
        rx = "".join(r"\w+" if p.startswith("{") else re.escape(p) for p in parts)
        return re.compile(f"^{rx}$")

    def matches(self, name: str) -> bool:
        return bool(self.pattern.match(name))


OVERVIEW = "00_monthly_overview"
FORECAST = "01_demand_forecast_backtest"
BRAND = "02_brand_cultivation"
SURVEY = "03_satisfaction_survey"
PLACEMENT = "04_market_placement"

_F = FigureSpec
FIGURES: list[FigureSpec] = [
    # 00 monthly overview: the scorecard (year to date) and the month's headline
    _F("scorecard_{target}", OVERVIEW, None,
       "a yearly target of params/targets.yaml against its value to date (unit of the target)",
       "ytd"),
    _F("month_sales_cases", OVERVIEW, "case", "Σ order_qty ÷ 250 over the month's order lines", "month"),
    _F("month_sales_value_10k", OVERVIEW, "¥10k", "Σ amount ÷ 10,000 over the month's order lines", "month"),
    _F("month_value_per_case", OVERVIEW, "¥/case", "Σ amount ÷ cases", "month"),
    _F("month_key_brand_share", OVERVIEW, "share", "key-brand sales ÷ all sales", "month"),
    _F("month_retailer_margin", OVERVIEW, "share",
       "Σ order_qty × (retail − wholesale) ÷ Σ order_qty × retail", "month"),
    _F("month_order_fill_rate", OVERVIEW, "share", "Σ order_qty ÷ Σ cap_qty over rationed lines", "month"),
    _F("month_order_at_cap_share", OVERVIEW, "share", "rationed lines ordered at the cap ÷ rationed lines",
       "month"),
    _F("month_stock_out_rate", OVERVIEW, "share",
       "lines with demand and no order ÷ lines with demand", "month"),
    _F("month_active_customers", OVERVIEW, "customers",
       "customers with an order in the active window of the month", "month"),
    _F("month_manager_test_mean", OVERVIEW, "points", "mean of the month's manager test scores (0–100)",
       "month"),
    # 01 demand forecast backtest
    _F("recommended_model", FORECAST, "model", "model with the lowest MASE at the series level", "backtest"),
    _F("recommended_model_{level}", FORECAST, "model", "model with the lowest MASE at a level", "backtest"),
    _F("recommended_method_{level}", FORECAST, "method",
       "how a level's recommendation adds up: bottom_up, mint_shrink or erm", "backtest"),
    _F("forecast_accuracy", FORECAST, "fraction",
       "mean over backtest points of max(0, 1 − |F − A| / A), recommended model", "backtest"),
    _F("forecast_accuracy_weighted", FORECAST, "fraction", "1 − Σ|F − A| / ΣA, recommended model",
       "backtest"),
    _F("mase", FORECAST, "ratio", "MASE of the recommended model", "backtest"),
    _F("mase_seasonal_naive", FORECAST, "ratio", "MASE of seasonal naive", "backtest"),
    _F("bias_pct", FORECAST, "fraction", "Σ(F − A) / ΣA, recommended model", "backtest"),
    _F("coverage_{level}", FORECAST, "fraction", "share of actuals inside the interval", "backtest"),
    _F("manager_accuracy", FORECAST, "fraction", "industry accuracy of the managers' forecasts", "backtest"),
    _F("manager_accuracy_weighted", FORECAST, "fraction", "1 − WAPE of the managers' forecasts",
       "backtest"),
    _F("manager_bias_pct", FORECAST, "fraction", "Σ(F − A) / ΣA of the managers' forecasts", "backtest"),
    _F("manager_value_added", FORECAST, "fraction",
       "managers' weighted accuracy − best model's, on the managers' points", "backtest"),
    _F("next_period_forecast_total", FORECAST, "case", "sum of next period's forecasts", "next_month"),
    # 02 brand cultivation
    _F("effect", BRAND, None, "the first evaluated programme's effect", "programme"),
    _F("effect_{programme}", BRAND, None,
       "extra outcome of the programme's item per target customer and month", "programme"),
    _F("lift_{programme}", BRAND, "share", "effect ÷ the targets' pre-programme monthly mean", "programme"),
    _F("on_shelf_rate_{programme}", BRAND, "share",
       "checked target customers whose latest shelf check finds the item ÷ checked target "
       "customers (the checked share beside it)", "check"),
    _F("target_on_shelf_rate", BRAND, "share",
       "checked target customers of the cultivation programmes carrying the item at the latest "
       "check ÷ checked target customers", "check", feeds="target_on_shelf_rate"),
    _F("new_product_target_coverage", BRAND, "share",
       "mean over the products launched in the last 12 months of: their target customers who "
       "ordered it since launch ÷ their target customers (not the yearly target's figure, which "
       "is scorecard_new_product_coverage: active customers, products launched this year)",
       "since_launch"),
    _F("new_product_on_shelf_rate", BRAND, "share",
       "mean over the new products of: checked target customers whose latest check finds it ÷ "
       "checked target customers", "check"),
    _F("effect_all_sales_{programme}", BRAND, None,
       "benchmark-terminal programme: extra sales of all products per target customer and month",
       "programme"),
    _F("mde_{programme}", BRAND, None,
       "smallest effect the programme's own estimator detects with the stated power", "programme"),
    _F("checked_share_{programme}", BRAND, "share",
       "target customers with a shelf check up to the period ÷ target customers", "check"),
    _F("target_checked_share", BRAND, "share",
       "target customers of the cultivation programmes with a shelf check ÷ target customers",
       "check"),
    # 03 satisfaction survey
    _F("satisfaction_index", SURVEY, "index",
       "design-based mean of the respondent index (0–100) over the wave's frame", "wave",
       feeds="satisfaction"),
    _F("satisfied_share", SURVEY, "share",
       "design-based share answering the overall question in its top two boxes", "wave"),
    _F("dimension_{dimension}", SURVEY, "index", "design-based mean dimension score", "wave"),
    _F("satisfaction_index_change", SURVEY, "index", "satisfaction index change since the previous wave",
       "wave"),
    # 00 monthly overview (added): calendar-adjusted sales and the demand fill rate
    _F("month_sales_cases_per_week", OVERVIEW, "case/week",
       "cases ÷ the month's ordering weeks (Mondays in the month, 4 or 5); its mom and yoy are "
       "the calendar-adjusted changes", "month"),
    _F("month_demand_fill_rate", OVERVIEW, "share",
       "Σ order_qty ÷ Σ demand_qty over the month's lines with recorded demand (需求满足率)",
       "month"),
    # 04 market placement (rationed specifications; None when there is no supply table or no
    # rationed product)
    _F("served_share_actual", PLACEMENT, "share",
       "Σ order_qty ÷ Σ demand over the month's rationed lines (demand = recorded demand_qty, "
       "the order where it is missing)", "month"),
    _F("served_share_actual_backtest", PLACEMENT, "share",
       "Σ order_qty ÷ Σ demand over the backtest months' rationed lines (the recorded caps)",
       "backtest"),
    _F("served_share_recommended_backtest", PLACEMENT, "share",
       "Σ min(demand, recommended cap) ÷ Σ demand over the backtest months, caps of the "
       "recommended policy set from the months before each month and the month's supply",
       "backtest"),
    _F("served_share_gain_backtest", PLACEMENT, "share",
       "served_share_recommended_backtest − served_share_actual_backtest", "backtest"),
    _F("unused_supply_share", PLACEMENT, "share",
       "1 − Σ order_qty ÷ Σ supply_qty over the month's rationed specifications", "month"),
    _F("placement_gini", PLACEMENT, "share",
       "demand-weighted Gini coefficient of the 30 tiers' served shares, all rationed "
       "specifications of the month together (0 = every tier served alike)", "month"),
    _F("unserved_demand_cases", PLACEMENT, "case",
       "Σ (demand − order_qty) ÷ 250 over the month's rationed lines", "month"),
    _F("next_month_supply_cases", PLACEMENT, "case",
       "weekly supply × order weeks of next month ÷ 250 that next month's caps place",
       "next_month"),
]


class UnregisteredFigure(ValueError):
    """A report tried to publish a figure that :data:`FIGURES` does not declare."""


def register(*specs: FigureSpec) -> None:
    """Declare more figures (an analyst's own report); a name already declared for the same
    report is replaced."""
    for s in specs:
        FIGURES[:] = [f for f in FIGURES if not (f.report == s.report and f.name == s.name)]
        FIGURES.append(s)


def figures_of(report: str) -> list[FigureSpec]:
    """The figures ``report`` publishes, in declaration order."""
    return [f for f in FIGURES if f.report == report]


def lookup(name: str, report: str | None = None) -> FigureSpec | None:
    """The declaration of figure ``name`` (of ``report`` when given): an exact name first,
    then a placeholder pattern; ``None`` when it is not declared."""
    cands = [f for f in FIGURES if report is None or f.report == report]
    for f in cands:
        if f.name == name:
            return f
    return next((f for f in cands if f.matches(name)), None)


def check_figures(report: str, figures: Mapping[str, Mapping[str, Any]]) -> None:
    """Raise :class:`UnregisteredFigure` naming every figure of ``figures`` that is not
    declared for ``report``, or whose unit differs from the declared one."""
    problems = []
    for name, fig in figures.items():
        spec = lookup(str(name), report)
        if spec is None:
            problems.append(f"{name} (not declared)")
        elif spec.unit is not None and isinstance(fig, Mapping) and fig.get("unit") != spec.unit:
            problems.append(f"{name} (unit {fig.get('unit')!r}, declared {spec.unit!r})")
    if problems:
        raise UnregisteredFigure(
            f"report {report!r} publishes figures that lean_analysis.targets.FIGURES does not "
            f"declare: {', '.join(problems)} (declare them with targets.register)")


def scorecard_sources() -> dict[str, dict[str, str]]:
    """Where the scorecard reads the targets it does not compute from the orders: target
    name -> ``{report, figure}``, from the figures that declare ``feeds``."""
    return {f.feeds: {"report": f.report, "figure": f.name} for f in FIGURES if f.feeds}


def _plain(x: Any) -> Any:
    """numpy/pandas scalars and containers as JSON-ready Python, floats rounded to 10
    decimals, NaN and infinities as None, dates as ISO text."""
    if isinstance(x, dict):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, list | tuple):
        return [_plain(v) for v in x]
    if hasattr(x, "item") and not isinstance(x, str | bytes):
        try:
            x = x.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return None
        return round(x, 10)
    if hasattr(x, "isoformat"):
        return x.isoformat()
    return x


def figure(value: Any, unit: str, definition: str, **extra: Any) -> dict[str, Any]:
    """One published figure: ``{"value": ..., "unit": ..., "definition": ..., **extra}``
    with JSON-ready values (the form of a ``metrics.json`` entry).

    >>> figure(0.5, "share", "half")
    {'value': 0.5, 'unit': 'share', 'definition': 'half'}
    """
    return {"value": _plain(value), "unit": unit, "definition": definition, **_plain(extra)}
