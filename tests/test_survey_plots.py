"""Words on the survey's charts (issue 12 item 8): the importance–performance labels keep
clear of the mean lines, of the points and of each other; the forest plots of the index
draw the yearly target and label it."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.text import Text  # noqa: E402
from plot_checks import line_labelled

from lean_analysis import survey  # noqa: E402
from lean_analysis.params import load_targets  # noqa: E402
from lean_analysis.report import plots_survey as ps  # noqa: E402

WAVE = "2026-10"


@pytest.fixture(scope="module")
def wave(small_tables):
    items = small_tables["survey_items"]
    scored = survey.score_responses(small_tables["survey_responses"], items)
    dims = scored.attrs["dimensions"]
    smp = survey.weighted_sample(scored, small_tables["customers"], WAVE)
    d = smp.design()
    est = survey.design_means(d, dims)
    drv = survey.driver_importance(smp.data, "overall_score", dims)
    ipa = survey.ipa_table(drv, est.set_index("variable")["estimate"])
    return {"smp": smp, "design": d, "est": est, "ipa": ipa,
            "idx": survey.design_mean(d, "index"), "share": survey.design_share(d, "satisfied")}


def _label_geometry(fig, ipa):
    """Pixel boxes of the point labels, pixel positions of the cut lines and the points."""
    ax = fig.axes[0]
    fig.canvas.draw()
    r = fig.canvas.get_renderer()
    # the words of each label (matplotlib's Text box, without the annotation's leader line)
    labels = {a.get_text(): Text.get_window_extent(a, r) for a in ax.texts}
    x_cut = ax.transData.transform((ipa.attrs["importance_cut"], 0))[0]
    y_cut = ax.transData.transform((0, ipa.attrs["performance_cut"]))[1]
    pts = ax.transData.transform(ipa[["importance", "performance"]].to_numpy(float))
    return ax, r, labels, x_cut, y_cut, pts


def _check_labels_clear(fig, ipa, lang):
    ax, r, labels, x_cut, y_cut, pts = _label_geometry(fig, ipa)
    assert sorted(labels) == sorted(ps.dim_label(d, lang) for d in ipa["dimension"])
    frame = ax.get_window_extent(r)
    boxes = list(labels.items())
    for name, b in boxes:
        assert not (b.y0 <= y_cut <= b.y1), f"{name} sits on the performance mean line"
        assert not (b.x0 <= x_cut <= b.x1), f"{name} crosses the importance mean line"
        assert frame.x0 <= b.x0 and b.x1 <= frame.x1 and frame.y0 <= b.y0 and b.y1 <= frame.y1, name
        for px, py in pts:
            assert not (b.x0 <= px <= b.x1 and b.y0 <= py <= b.y1), f"{name} covers a point"
    for i, (a, ba) in enumerate(boxes):
        for b, bb in boxes[i + 1:]:
            assert not ba.overlaps(bb), (a, b)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_ipa_labels_clear_of_lines_points_and_each_other(wave, lang):
    ipa = wave["ipa"]
    # the cuts are the dimensions' means (independently: the mean of the table's columns)
    assert ipa.attrs["performance_cut"] == pytest.approx(ipa["performance"].mean())
    assert ipa.attrs["importance_cut"] == pytest.approx(ipa["importance"].mean())
    fig = ps.ipa_plot(ipa, lang)
    _check_labels_clear(fig, ipa, lang)
    plt.close(fig)


def test_ipa_label_of_a_point_on_the_meanline_labelled():
    """投诉处理 exactly on the performance mean, a long label next to the importance mean, and
    points crowded together: every label still keeps clear."""
    ipa = pd.DataFrame({
        "dimension": ["投诉处理", "市场管理", "客户经理服务", "货源供应", "配送服务", "订货服务",
                      "品牌宣传"],
        "importance": [0.30, 0.27, 0.12, 0.17, 0.06, 0.05, 0.03],
        "performance": [90.0, 90.2, 90.1, 86.0, 89.8, 95.0, 94.6],
        "quadrant": ["fix_first", "fix_first", "low_priority", "fix_first", "low_priority",
                     "possible_overkill", "possible_overkill"]})
    ipa.attrs = {"importance_cut": 1 / 7, "performance_cut": 90.0}
    for lang in ("zh", "en"):
        fig = ps.ipa_plot(ipa, lang)
        _check_labels_clear(fig, ipa, lang)
        plt.close(fig)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_forest_plots_draw_and_label_the_target(wave, lang):
    spec = load_targets()["satisfaction"]  # params/targets.yaml: index ≥ 90
    assert (spec["value"], spec["direction"]) == (90, ">=")
    cmp = survey.headline_comparison(wave["idx"], wave["share"], "satisfaction_index", spec)
    target = ps.index_target(cmp, "satisfaction_index")
    assert target == 90.0
    assert ps.index_target(cmp, "satisfied_share") is None  # a share target: not on this scale
    label = ps.t("sv_target_line", lang, direction="≥", target="90")
    dom = survey.design_by(wave["design"], "index", "area")
    league = survey.manager_league(wave["smp"].data, "index", weight="weight")
    figs = [(ps.segment_plot(dom, "area", wave["idx"].estimate, lang, target=target),
             ps.t("sv_overall_line", lang, value=f"{wave['idx'].estimate:.1f}"),
             wave["idx"].estimate),
            (ps.league_plot(league, lang=lang, target=target),
             ps.t("sv_mu_line", lang, value=f"{league.attrs['mu']:.1f}"), league.attrs["mu"])]
    for fig, mean_label, mean in figs:
        ax = fig.axes[0]
        tl = line_labelled(ax, label)
        assert list(tl.get_xdata()) == [90.0, 90.0]
        lo, hi = ax.get_xlim()
        assert lo < 90.0 < hi  # the line is inside the view
        assert list(line_labelled(ax, mean_label).get_xdata()) == pytest.approx([mean, mean])
        legend = [x.get_text() for x in ax.get_legend().get_texts()]
        assert label in legend and mean_label in legend
        # the legend is outside the axes, so its labels never sit on the intervals
        r = fig.canvas.get_renderer()
        assert ax.get_legend().get_window_extent(r).x0 >= ax.get_window_extent(r).x1
        plt.close(fig)
    # without a target, no target line
    fig = ps.segment_plot(dom, "area", wave["idx"].estimate, lang)
    assert not [ln for ln in fig.axes[0].get_lines() if ln.get_label() == label]
    plt.close(fig)
