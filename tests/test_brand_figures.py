"""The brand package's boundaries: its SQL lives in brand/panel.py, its published figures are
declared, the results carry the rules the report shows (placebos drawn, on-shelf status,
verdicts, pre-trend warnings), and the report adds no rule of its own."""

from __future__ import annotations

import ast
import json
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest

from lean_analysis import brand, config, targets
from lean_analysis.report import plots_brand as pb

matplotlib.use("Agg")

BRAND_DIR = Path(brand.__file__).parent
GREY = "#bbbbbb"  # the placebo lines of plots_brand.synth_plot


@pytest.fixture(scope="module")
def small_evals(small_tables):
    exclude = brand.all_target_customers(small_tables)
    return [brand.evaluate_programme(small_tables, pid, "2026-10", exclude=exclude)
            for pid in brand.programme_ids(small_tables)]


# --------------------------------------------------------------------------- SQL in panel.py


def test_programme_lookups_against_the_csv_files(small_dir, small_tables):
    progs = pd.read_csv(small_dir / "programmes.csv", dtype=str)
    tg = pd.read_csv(small_dir / "programme_targets.csv", dtype=str)
    assert brand.programme_ids(small_tables) == sorted(progs["programme_id"])
    assert brand.all_target_customers(small_tables) == sorted(set(tg["customer_id"]))
    products = pd.read_csv(small_dir / "products.csv", dtype=str)
    first = products.iloc[0]
    assert brand.product_names(small_tables, [first["product_id"], "nope"]) == {
        first["product_id"]: first["product_name"]}


def _sql_calls(tree: ast.AST) -> list[int]:
    return [n.lineno for n in ast.walk(tree)
            if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute) and n.func.attr == "sql"]


def test_only_panel_py_runs_sql_and_brand_never_imports_report():
    for path in sorted(BRAND_DIR.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if path.name != "panel.py":
            assert not _sql_calls(tree), f"{path.name} runs SQL at lines {_sql_calls(tree)}"
        for node in ast.walk(tree):
            mods = ([a.name for a in node.names] if isinstance(node, ast.Import)
                    else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            assert not any(m.startswith("lean_analysis.report") for m in mods), path.name


def test_the_notebook_runs_no_sql_and_raises_nothing():
    nb = json.loads((config.NOTEBOOKS_DIR / "02_brand_cultivation.ipynb").read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        tree = ast.parse("".join(cell["source"]))
        assert not _sql_calls(tree)
        assert not any(isinstance(n, ast.Raise | ast.FunctionDef | ast.Lambda) for n in ast.walk(tree))
        assert not cell.get("outputs") and cell.get("execution_count") is None


# --------------------------------------------------------------------------- figures


def test_every_figure_is_declared_for_the_brand_report(small_evals):
    new = pd.DataFrame({"product_id": ["N1", "N2"], "coverage": [0.5, 1.0],
                        "on_shelf_rate": [0.25, 0.75]})
    figs = brand.figures(small_evals, new, 0.05)
    evaluated = [e.programme_id for e in small_evals if e.status == "evaluated"]
    assert evaluated  # the sample evaluates its programmes
    expected = {"effect", "target_on_shelf_rate", "target_checked_share", "new_product_target_coverage",
                "new_product_on_shelf_rate"}
    expected |= {f"{k}_{p}" for p in evaluated
                 for k in ("effect", "lift", "on_shelf_rate", "checked_share", "mde")}
    # a benchmark-terminal programme publishes its effect on all products too
    expected |= {f"effect_all_sales_{e.programme_id}" for e in small_evals
                 if e.status == "evaluated" and e.kind == "terminal"}
    assert set(figs) == expected
    for name in figs:
        spec = targets.lookup(name, "02_brand_cultivation")
        assert spec is not None and spec.report == "02_brand_cultivation", name
    targets.check_figures("02_brand_cultivation", figs)  # units as declared too
    assert figs["new_product_target_coverage"]["value"] == pytest.approx(0.75)
    assert figs["new_product_on_shelf_rate"]["value"] == pytest.approx(0.5)
    # the same entries as targets.figure builds them
    e = next(e for e in small_evals if e.status == "evaluated")
    assert figs[f"on_shelf_rate_{e.programme_id}"] == targets.figure(
        e.on_shelf_rate, "share", figs[f"on_shelf_rate_{e.programme_id}"]["definition"],
        n_on_shelf=e.n_on_shelf, n_checked=e.n_checked, n_targets=len(e.targets))
    assert not hasattr(pb, "brand_metrics")


def test_no_evaluated_programme_publishes_only_the_pooled_rate():
    figs = brand.figures([], None, 0.05)
    assert list(figs) == ["target_on_shelf_rate", "target_checked_share"]
    assert figs["target_on_shelf_rate"]["value"] is None and figs["target_checked_share"]["value"] is None
    targets.check_figures("02_brand_cultivation", figs)


# --------------------------------------------------------------------------- placebos drawn


def _panel_with_a_wild_donor():
    rng = np.random.default_rng(3)
    n_years, start = 26, 20
    common = np.cumsum(rng.normal(0, 1, n_years))
    paths = {f"u{j:02d}": 50 + common * rng.uniform(0.5, 1.5) + rng.normal(0, 1, n_years)
             for j in range(19)}
    tr = np.mean([paths["u00"], paths["u01"], paths["u02"]], axis=0) + rng.normal(0, 0.3, n_years)
    tr[start:] += 5.0
    paths["T"] = tr
    paths["wild"] = 50 + np.random.default_rng(0).normal(0, 30, n_years)  # fits badly
    wide = pd.DataFrame(paths)
    wide.index.name = "year"
    return wide.reset_index().melt(id_vars="year", var_name="state", value_name="sales"), start


def _grey_lines(fig) -> dict:
    ax2 = fig.axes[1]
    lines = [ln for ln in ax2.get_lines() if matplotlib.colors.to_hex(ln.get_color()) == GREY]
    return {round(float(np.asarray(ln.get_ydata())[-1]), 9): ln for ln in lines}


def test_the_plot_draws_exactly_the_placebos_behind_the_inference():
    panel, start = _panel_with_a_wild_donor()
    r = brand.synthetic_control(panel, "state", "year", "sales", "T", start=start)
    st = r.placebo_stats.set_index("unit")
    interval, p_set = r.placebo_units("interval"), r.placebo_units("p_value")
    assert "wild" in p_set and "wild" not in interval  # the two sets differ here
    assert len(interval) == r.n_interval_placebos and len(p_set) == r.n_placebos
    # the interval's placebos: recomputing the interval from them gives the result's
    kept = st.loc[interval, "post_mean_gap"]
    q_lo = np.quantile(kept, 0.025, method="lower")
    q_hi = np.quantile(kept, 0.975, method="higher")
    assert (r.ci_low, r.ci_high) == pytest.approx((r.post_mean_gap - q_hi, r.post_mean_gap - q_lo))
    # the p-value's placebos: the rank formula over them gives the result's p
    ratios = st.loc[p_set, "ratio"].to_numpy()
    assert r.p_value == pytest.approx((1 + np.sum(ratios >= r.ratio)) / (1 + len(ratios)))
    for which, units in (("interval", interval), ("p_value", p_set)):
        fig = pb.synth_plot(r, start, "en", placebos=which)
        drawn = _grey_lines(fig)
        used = r.used_placebo_gaps(which)
        assert sorted(used["unit"].unique()) == units
        last = used[used["time"] == used["time"].max()]
        assert set(drawn) == {round(float(g), 9) for g in last["gap"]}
        assert len(drawn) == len(units)
        matplotlib.pyplot.close(fig)
    with pytest.raises(ValueError, match="which must be"):
        r.placebo_units("all")


def test_two_targets_plot_draws_the_average_effect_placebos(small_evals):
    ev = next(e for e in small_evals if e.effect is not None and e.effect.method == "synth")
    res = ev.effect.detail
    assert isinstance(res, brand.SynthMultiResult)
    units = res.placebo_units("interval")
    assert len(units) == res.n_interval_placebos
    assert set(res.placebo_units("p_value")) >= set(units)
    fig = pb.synth_plot(res, ev.start, "zh")
    assert len(_grey_lines(fig)) == len(units)
    matplotlib.pyplot.close(fig)


# --------------------------------------------------------------------------- rules carried


def test_on_shelf_status_comes_with_the_evaluation(small_evals):
    for ev in small_evals:
        if ev.status != "evaluated":
            continue
        rate = ev.on_shelf_rate
        expected = "met" if rate == 1.0 else "not_met"
        assert ev.on_shelf_status == expected == targets.status(rate, 1.0, ">=")
        card = pb.shelf_cards(ev, "en")[0]
        assert (card["status"], card["target"], card["value"]) == (expected, 1.0, rate)
        assert ev.group_sizes == {"target": len(ev.targets),
                                  "comparison": ev.comparison["customer_id"].nunique()}


def test_verdicts_and_pretrend_warnings():
    assert brand.verdict("did", 1.0, 3.0, 0.01, 0.05) == "positive"
    assert brand.verdict("synth", 1.0, 3.0, 0.05, 0.05) == "positive"
    assert brand.verdict("synth", 1.0, 3.0, 0.051, 0.05) == "suggestive"
    assert brand.verdict("synth", 1.0, 3.0, float("nan"), 0.05) == "suggestive"
    assert brand.verdict("did", 1.0, 3.0, 0.2, 0.05) == "positive"  # DiD: the interval decides
    assert brand.verdict("did", -3.0, -1.0, 0.01, 0.05) == "negative"
    assert brand.verdict("did", -1.0, 1.0, 0.5, 0.05) == "unclear"
    assert brand.verdict("did", float("nan"), 1.0, 0.5, 0.05) == "unclear"
    assert brand.pretrend_warning(0.0999) == "rejected"
    assert brand.pretrend_warning(0.10) is None
    assert brand.pretrend_warning(None) == "not_available"
    note, warn = pb.event_note(0.02, 0.05, "en")
    assert warn is not None and "0.020" in warn
    assert pb.event_note(0.5, 0.05, "en")[1] is None
