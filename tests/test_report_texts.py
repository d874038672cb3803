"""Report wording: the English plural spec of lean_analysis.report.texts, and no lazy
"word(s)" left in any English text."""

from __future__ import annotations

import re

import pytest

from lean_analysis.report import texts
from lean_analysis.report.texts import t


def test_plural_spec_follows_the_count():
    kw = dict(period="2026-10", methods="DiD", level="95%", max_synth=5)
    assert "evaluates 1 programme up to" in t("br_intro", "en", n=1, **kw)
    assert "evaluates 2 programmes up to" in t("br_intro", "en", n=2, **kw)
    assert "evaluates 0 programmes up to" in t("br_intro", "en", n=0, **kw)
    one = t("br_excluded_candidates", "en", n=1)
    assert one == "1 customer without pre-period sales was not a candidate"
    assert t("br_excluded_candidates", "en", n=3) == \
        "3 customers without pre-period sales were not candidates"
    # Chinese has no plural: the same key formats with the count only
    assert t("br_excluded_candidates", "zh", n=1).startswith("1 户客户")


def test_plural_spec_needs_a_number():
    f = texts._Formatter()
    assert f.format("{n:|day|days}", n=1.0) == "day"
    with pytest.raises(ValueError, match="needs a number"):
        f.format("{n:|day|days}", n="many")
    with pytest.raises(ValueError, match="singular\\|plural"):
        f.format("{n:|day}", n=2)


def test_no_english_text_says_word_s():
    lazy = {k: texts._catalogue()[k]["en"] for k in texts.keys()
            if re.search(r"\w\(s\)", texts._catalogue()[k]["en"])}
    assert lazy == {}, f"use {{n:|one|many}} instead of '(s)': {sorted(lazy)}"


def test_english_texts_use_no_full_width_punctuation():
    """The pages' embedded font is a CJK font, which draws “ ” ， ： as full-width glyphs: an
    English sentence quoted with them shows wide gaps. English texts use ASCII quotes."""
    wide = re.compile(r"[“”‘’「」，。：；（）]")
    bad = {k: wide.findall(texts._catalogue()[k]["en"]) for k in texts.keys()
           if wide.search(texts._catalogue()[k]["en"])}
    assert bad == {}
