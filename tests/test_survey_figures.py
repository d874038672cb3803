"""survey.figures and the checks the survey notebook leaves to the analysis: every published
figure is declared, the compared figure and the survey tables are checked by functions, the
analysis never imports the report, and sampling and design do not import each other both ways."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from lean_analysis import config, survey, targets
from lean_analysis.report import plots_survey as ps

SURVEY_DIR = Path(survey.__file__).parent
NOTEBOOK = config.NOTEBOOKS_DIR / "03_satisfaction_survey.ipynb"
IDX = survey.DesignEstimate(88.0, 0.5, 87.02, 88.98, 400, 1.1, 394)
SHARE = survey.DesignEstimate(0.68, 0.02, 0.64, 0.72, 398, 1.2, 394, method="wilson")
DIMS = pd.DataFrame({"variable": [*survey.DIMENSION_KEYS, "自定义维度"],
                     "estimate": 80.0, "se": 1.0, "ci_low": 78.0, "ci_high": 82.0, "n": 400})
CHANGES = pd.DataFrame({"variable": ["index", "satisfied"], "estimate": [1.5, 0.02],
                        "se": [0.8, 0.01], "ci_low": [-0.07, 0.0], "ci_high": [3.07, 0.04],
                        "p_value": [0.06, 0.05], "wave": "2026-10", "prev_wave": "2026-04"})


@pytest.mark.parametrize("compared", ["satisfaction_index", "satisfied_share"])
def test_every_figure_is_declared_for_the_survey_report(compared):
    spec = {"value": 90 if compared == "satisfaction_index" else 0.9,
            "unit": "index" if compared == "satisfaction_index" else "share"}
    cmp = survey.headline_comparison(IDX, SHARE, compared, spec)
    figs = survey.figures(IDX, SHARE, cmp, compared, DIMS, 0.95, CHANGES)
    assert len(figs) == 2 + len(DIMS) + 1
    for name in figs:
        assert targets.lookup(name, "03_satisfaction_survey") is not None, name
    targets.check_figures("03_satisfaction_survey", figs)  # names and units
    assert targets.lookup("satisfaction_index", "03_satisfaction_survey").feeds == "satisfaction"


def test_figures_carry_the_target_on_the_compared_figure_only():
    spec = {"value": 0.9, "unit": "share", "direction": ">="}
    cmp = survey.headline_comparison(IDX, SHARE, "satisfied_share", spec)
    assert cmp == survey.target_comparison(SHARE, 0.9, ">=", "share", "share")
    figs = survey.figures(IDX, SHARE, cmp, "satisfied_share", DIMS, 0.95)
    s = figs["satisfied_share"]
    assert (s["target"], s["status"], s["direction"]) == (0.9, "not_met", ">=")
    assert s["definition"].endswith("Wilson interval on the effective sample size")
    assert "target" not in figs["satisfaction_index"]
    assert "satisfaction_index_change" not in figs
    assert figs["dimension_delivery"] == targets.figure(
        80.0, "index", "design-based mean dimension score: 配送服务", se=1.0, ci_low=78.0,
        ci_high=82.0, level=0.95, n=400)
    assert figs["dimension_自定义维度"]["value"] == 80.0


def test_index_change_figure():
    cmp = survey.headline_comparison(IDX, SHARE, "satisfaction_index", {"value": 90,
                                                                        "unit": "index"})
    ch = survey.figures(IDX, SHARE, cmp, "satisfaction_index", DIMS, 0.95,
                        CHANGES)["satisfaction_index_change"]
    assert ch == {"value": 1.5, "unit": "index",
                  "definition": "satisfaction index 2026-10 − 2026-04 (independent samples)",
                  "se": 0.8, "ci_low": -0.07, "ci_high": 3.07, "p_value": 0.06}


def test_compared_figure():
    spec = {"value": 90, "unit": "index", "compared_with": "satisfied_share"}
    assert survey.compared_figure("", {"value": 90}) == "satisfaction_index"
    assert survey.compared_figure("", spec) == "satisfied_share"
    assert survey.compared_figure("satisfaction_index", spec) == "satisfaction_index"
    target = targets.Target.from_spec("satisfaction", spec)
    assert survey.compared_figure("", target) == "satisfied_share"
    with pytest.raises(ValueError, match="target_definition must be satisfaction_index or "
                                         "satisfied_share, not 'index'"):
        survey.compared_figure("index", spec)
    with pytest.raises(ValueError, match="targets.satisfaction.compared_with must be "
                                         "satisfaction_index or satisfied_share, not 'x'"):
        survey.compared_figure("", {"value": 90, "compared_with": "x"})
    with pytest.raises(ValueError, match="compared must be"):
        survey.headline_comparison(IDX, SHARE, "index", spec)


def test_require_tables():
    survey.require_tables({"survey_items": 1, "survey_responses": 2, "customers": 3})
    with pytest.raises(ValueError, match="^/d: the survey tables survey_items and "
                                         "survey_responses are needed$"):
        survey.require_tables({"customers": 3, "survey_items": 1}, "/d")


def test_report_labels_take_the_dimension_keys_from_the_survey():
    assert ps.DIMENSION_KEYS is survey.DIMENSION_KEYS
    assert not hasattr(ps, "survey_metrics")
    for name, key in survey.DIMENSION_KEYS.items():
        assert survey.dimension_key(name) == key
        assert ps.dim_label(name, "en") == ps.t(f"dim_{key}", "en")


def _imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_analysis_does_not_import_the_report():
    for path in sorted(SURVEY_DIR.glob("*.py")):
        bad = [m for m in _imports(path) if m.startswith("lean_analysis.report")]
        assert bad == [], f"{path.name} imports {bad}"


def test_sampling_and_design_do_not_import_each_other_both_ways():
    assert "lean_analysis.survey.design" in _imports(SURVEY_DIR / "sampling.py")
    assert not any(m.startswith("lean_analysis.survey.sampling")
                   for m in _imports(SURVEY_DIR / "design.py"))
    design = importlib.import_module("lean_analysis.survey.design")
    sampling = importlib.import_module("lean_analysis.survey.sampling")
    moved = ["SurveySample", "population_frame", "select_waves", "strata_table",
             "stratified_weights", "weighted_sample"]
    for name in moved:
        assert getattr(survey, name) is getattr(sampling, name)
        assert not hasattr(design, name), name
    for name in ["Design", "DesignEstimate", "design_mean", "design_means", "design_share",
                 "design_by", "design_difference"]:
        assert getattr(survey, name) is getattr(design, name)
    assert set(moved) <= set(survey.__all__)
    assert {"figures", "compared_figure", "require_tables", "DIMENSION_KEYS"} <= set(survey.__all__)


def test_survey_notebook_leaves_checks_to_the_analysis():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    code = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    assert ".sql(" not in code
    for node in ast.walk(ast.parse(code)):
        assert not isinstance(node, ast.Raise | ast.FunctionDef | ast.Lambda | ast.ClassDef)
    assert "survey.figures(" in code and "survey_metrics" not in code


@pytest.mark.parametrize("module", ["design", "sampling", "reliability", "drivers", "compare",
                                    "figures"])
def test_docstring_examples_hold(module):
    import doctest

    mod = importlib.import_module(f"lean_analysis.survey.{module}")  # the module, even
    # for "figures" (lean_analysis.survey.figures is the function of that name)
    result = doctest.testmod(mod, report=False)
    assert result.attempted > 0 and result.failed == 0, result
