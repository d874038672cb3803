"""Satisfaction-survey analysis: scoring, design-based estimates, reliability, key drivers,
comparisons and comments.

    from lean_analysis import survey
    scored = survey.score_responses(responses, items, weights="items")
    est = survey.design_mean(df, "index", weight="weight", strata=["area", "tier_band"], fpc="fpc")
    alpha = survey.cronbach_alpha(item_scores)

Analysis functions take and return DataFrames and small result objects; they never print,
plot or read files.
"""

from lean_analysis.survey.comments import (
    NEGATIVE_MARKERS,
    STOP_WORDS,
    THEMES,
    comment_themes,
    example_comments,
    keywords_by_dimension,
    theme_counts,
    tokenize,
)
from lean_analysis.survey.compare import (
    Change,
    eb_shrink,
    manager_league,
    prob_at_least,
    segment_differences,
    target_comparison,
    wave_change,
    wave_changes,
)
from lean_analysis.survey.design import (
    Design,
    DesignEstimate,
    SurveySample,
    design_by,
    design_difference,
    design_mean,
    design_means,
    design_share,
    population_frame,
    select_waves,
    strata_table,
    stratified_weights,
    weighted_sample,
)
from lean_analysis.survey.drivers import (
    DriverResult,
    driver_importance,
    ipa_table,
    lmg,
    relative_weights,
)
from lean_analysis.survey.reliability import (
    Alpha,
    alpha_if_deleted,
    cronbach_alpha,
    item_total_correlations,
    reliability_table,
)
from lean_analysis.survey.scoring import (
    OVERALL,
    check_items,
    check_responses,
    dimension_scores,
    item_scores,
    item_weights,
    overall_score,
    respondent_index,
    response_counts,
    satisfied,
    score_responses,
)

__all__ = [
    "Alpha", "alpha_if_deleted", "Change", "check_items", "check_responses", "comment_themes",
    "cronbach_alpha", "Design", "design_by", "design_difference", "design_mean", "design_means", "target_comparison", "wave_changes",
    "select_waves", "response_counts",
    "design_share", "DesignEstimate", "dimension_scores", "driver_importance", "DriverResult",
    "eb_shrink", "example_comments", "ipa_table", "item_scores", "item_total_correlations",
    "item_weights", "keywords_by_dimension", "lmg", "manager_league", "NEGATIVE_MARKERS",
    "OVERALL", "overall_score", "population_frame", "prob_at_least", "relative_weights",
    "reliability_table", "respondent_index", "satisfied", "score_responses",
    "segment_differences", "STOP_WORDS", "strata_table", "stratified_weights", "SurveySample",
    "theme_counts", "THEMES", "tokenize", "wave_change", "weighted_sample",
]
