"""Brand cultivation and benchmark-terminal evaluation (精细品牌培育, 精诚打造终端).

- indicators (DESIGN §2) for target and comparison customers: :mod:`.indicators`;
- the comparison group by matching: :func:`match_comparison`;
- effects: :func:`did` (two-way fixed effects, event study, pre-trend test; the 2×2 case),
  :func:`synthetic_control` (placebo-in-space inference), :func:`estimate_effect` (picks one
  and says why);
- power: :func:`mde_did`, :func:`power_did`, :func:`required_treated_did`;
- panels and lookups from the tables (aggregated in DuckDB; every query of the package and
  of its notebook is in :mod:`.panel`): :func:`cultivation_panel`, :func:`programme_ids`,
  :func:`all_target_customers`, …;
- the whole evaluation of one programme as the report shows it: :func:`evaluate_programme`,
  and the new products against their targets: :func:`new_product_status`;
- the figures the report publishes: :func:`figures`; the verdict on an effect:
  :func:`verdict`.

Analysis functions only: they take and return DataFrames and small result objects, and never
print, plot or read files.
"""

from lean_analysis.brand.did import DidResult, did, pretrend_warning
from lean_analysis.brand.effect import EffectResult, estimate_effect, nearest_donors, verdict
from lean_analysis.brand.evaluate import ProgrammeEvaluation, evaluate_programme, new_product_status
from lean_analysis.brand.figures import figures
from lean_analysis.brand.indicators import (
    coverage,
    days_to_shelf,
    indicator_panel,
    latest_shelf_status,
    new_product_launches,
    on_shelf_rate,
    order_fill,
    period_of,
    repurchase_rate,
    sales,
    sell_through,
    share,
)
from lean_analysis.brand.matching import match_comparison
from lean_analysis.brand.panel import (
    active_before_launch,
    all_target_customers,
    cultivation_panel,
    launched_products,
    order_lines,
    pre_period_mean,
    product_names,
    product_order_lines,
    product_shelf_checks,
    programme_ids,
    programme_info,
    programme_product_targets,
    shelf_checks,
)
from lean_analysis.brand.power import (
    did_contrast_variance,
    mde_did,
    panel_variance_inputs,
    power_did,
    required_treated_did,
)
from lean_analysis.brand.synth import (
    SynthMultiResult,
    SynthResult,
    simplex_weights,
    synthetic_control,
    synthetic_control_multi,
)

__all__ = [
    "DidResult",
    "EffectResult",
    "ProgrammeEvaluation",
    "SynthMultiResult",
    "SynthResult",
    "active_before_launch",
    "all_target_customers",
    "coverage",
    "cultivation_panel",
    "days_to_shelf",
    "did",
    "did_contrast_variance",
    "estimate_effect",
    "evaluate_programme",
    "figures",
    "indicator_panel",
    "latest_shelf_status",
    "launched_products",
    "match_comparison",
    "mde_did",
    "nearest_donors",
    "new_product_launches",
    "new_product_status",
    "on_shelf_rate",
    "order_fill",
    "order_lines",
    "panel_variance_inputs",
    "period_of",
    "power_did",
    "pre_period_mean",
    "pretrend_warning",
    "product_names",
    "product_order_lines",
    "product_shelf_checks",
    "programme_ids",
    "programme_info",
    "programme_product_targets",
    "repurchase_rate",
    "required_treated_did",
    "sales",
    "sell_through",
    "share",
    "shelf_checks",
    "simplex_weights",
    "synthetic_control",
    "synthetic_control_multi",
    "verdict",
]
