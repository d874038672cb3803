"""Satisfaction-survey analysis: scoring, design-based estimates, reliability, key drivers,
comparisons and comments.

    from lean_analysis import survey
    scored = survey.score_responses(responses, items, weights="items")
    smp = survey.weighted_sample(scored, customers, "2026-10")        # survey.sampling
    est = survey.design_mean(smp.design(), "index")                    # survey.design
    alpha = survey.cronbach_alpha(item_scores)                         # survey.reliability
    figs = survey.figures(idx, share, cmp, compared, dims, level)      # survey.figures

Modules: ``accounting`` (one count of the wave's responses, each with its base), ``sampling`` (the wave's frame, strata and design weights), ``design`` (the
design-based estimators), ``scoring``, ``reliability``, ``drivers``, ``compare``,
``comments``, and ``figures`` (the report's published figures, built with
:func:`lean_analysis.targets.figure`). Nothing here imports :mod:`lean_analysis.report`.

Analysis functions take and return DataFrames and small result objects; they never print,
plot or read files. (``lean_analysis.survey.figures`` is the function :func:`figures`; its
module's names are exported here.)
"""

from lean_analysis.survey.accounting import (
    EXCLUSION_RULES,
    ResponseAccounting,
    empty_responses,
    response_accounting,
)
from lean_analysis.survey.comments import (
    NEGATIVE_MARKERS,
    PRAISE_MARKERS,
    STOP_WORDS,
    THEMES,
    clause_sentiment,
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
    design_by,
    design_difference,
    design_mean,
    design_means,
    design_share,
)
from lean_analysis.survey.drivers import (
    DriverResult,
    driver_importance,
    ipa_table,
    lmg,
    relative_weights,
)
from lean_analysis.survey.figures import (
    COMPARED_FIGURES,
    DIMENSION_KEYS,
    compared_figure,
    dimension_key,
    figures,
    headline_comparison,
    require_tables,
)
from lean_analysis.survey.reliability import (
    Alpha,
    alpha_if_deleted,
    cronbach_alpha,
    item_total_correlations,
    reliability_table,
)
from lean_analysis.survey.sampling import (
    SurveySample,
    population_frame,
    select_waves,
    strata_table,
    stratified_weights,
    weighted_sample,
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
    "COMPARED_FIGURES", "compared_figure", "cronbach_alpha", "Design", "design_by",
    "design_difference", "design_mean", "design_means", "DIMENSION_KEYS", "dimension_key",
    "figures", "headline_comparison", "require_tables", "target_comparison", "wave_changes",
    "select_waves", "response_counts", "response_accounting", "ResponseAccounting",
    "EXCLUSION_RULES", "empty_responses",
    "design_share", "DesignEstimate", "dimension_scores", "driver_importance", "DriverResult",
    "eb_shrink", "example_comments", "clause_sentiment", "PRAISE_MARKERS", "ipa_table", "item_scores", "item_total_correlations",
    "item_weights", "keywords_by_dimension", "lmg", "manager_league", "NEGATIVE_MARKERS",
    "OVERALL", "overall_score", "population_frame", "prob_at_least", "relative_weights",
    "reliability_table", "respondent_index", "satisfied", "score_responses",
    "segment_differences", "STOP_WORDS", "strata_table", "stratified_weights", "SurveySample",
    "theme_counts", "THEMES", "tokenize", "wave_change", "weighted_sample",
]
