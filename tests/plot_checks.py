"""Helpers shared by the chart tests (tests/test_brand_plots.py, tests/test_survey_plots.py)."""
from __future__ import annotations


def line_labelled(ax, label):
    """The one line of ``ax`` whose legend label is ``label`` (fails naming the labels)."""
    found = [ln for ln in ax.get_lines() if ln.get_label() == label]
    assert len(found) == 1, [ln.get_label() for ln in ax.get_lines()]
    return found[0]
