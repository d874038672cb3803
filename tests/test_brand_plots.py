"""Words on the brand charts (issue 12 item 8): the event study and the synthetic-control
gaps draw the zero-effect line a lift is judged against and label it; the P2 trend chart
keeps its legend off the data."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from plot_checks import line_labelled

from lean_analysis import brand  # noqa: E402
from lean_analysis.report import plots_brand as pb  # noqa: E402

PERIOD = "2026-10"


@pytest.fixture(scope="module")
def p2(small_tables):
    """Programme P2 of the small sample (evaluated by difference in differences)."""
    ev = brand.evaluate_programme(small_tables, "P2", PERIOD,
                                  exclude=brand.all_target_customers(small_tables))
    assert ev.effect.method == "did"
    return ev


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_event_study_draws_and_labels_zero_effect(p2, lang):
    fig = pb.event_study_plot(p2.effect.detail.event_study, lang)
    ax = fig.axes[0]
    zero = line_labelled(ax, pb.t("br_no_effect", lang))
    assert list(zero.get_ydata()) == [0, 0]
    assert pb.t("br_no_effect", lang) in [x.get_text() for x in ax.get_legend().get_texts()]
    # a horizontal line across the axes: zero lies inside the view
    lo, hi = ax.get_ylim()
    assert lo < 0 < hi
    plt.close(fig)


def test_trend_legend_is_off_the_data(p2):
    panel, outcome = p2.panel, "order_qty"
    # independently: the plotted means are the raw group means per month
    raw = panel.groupby(["group", "month"])[outcome].mean()
    for lang in ("zh", "en"):
        fig = pb.trend_plot(panel, outcome, p2.start, lang)
        ax = fig.axes[0]
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        box = ax.get_legend().get_window_extent(r)
        n_points = 0
        for g in ("target", "comparison"):
            ln = line_labelled(ax, pb.group_label(g, lang))
            x = pd.to_datetime(pd.Series(ln.get_xdata()))
            np.testing.assert_allclose(ln.get_ydata(), raw.loc[g].loc[x].to_numpy())
            pts = ln.get_transform().transform(np.column_stack([ln.get_xydata()]))
            inside = ((pts[:, 0] >= box.x0) & (pts[:, 0] <= box.x1)
                      & (pts[:, 1] >= box.y0) & (pts[:, 1] <= box.y1))
            assert not inside.any(), (lang, g, int(inside.sum()))
            n_points += len(pts)
        assert n_points == len(raw)
        assert box.x0 >= ax.get_window_extent(r).x1  # outside the axes, right of them
        assert pb.t("br_start_line", lang) in [x.get_text() for x in ax.get_legend().get_texts()]
        plt.close(fig)


def test_synth_gaps_draw_and_label_zero_effect(small_tables, small_truth):
    pid = small_truth["cultivation"]["programme_id"]  # the small sample's synthetic-control programme
    ev = brand.evaluate_programme(small_tables, pid, PERIOD,
                                  exclude=brand.all_target_customers(small_tables))
    assert ev.effect.method == "synth"
    fig = pb.synth_plot(ev.effect.detail, ev.start, "en", ev=ev)
    gaps = fig.axes[1]
    zero = line_labelled(gaps, "no effect (0)")
    assert list(zero.get_ydata()) == [0, 0]
    assert "no effect (0)" in [x.get_text() for x in gaps.get_legend().get_texts()]
    plt.close(fig)
