"""The plot theme: one style, and a CJK font that has the glyphs of Chinese labels."""

from __future__ import annotations

import io
import warnings

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from matplotlib import font_manager  # noqa: E402

from lean_analysis.report import theme  # noqa: E402

LABEL = "销量（箱） 重点品牌销售比重 −1"


def test_chinese_label_renders_without_missing_glyphs():
    name = theme.use_theme()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fig, ax = plt.subplots()
        ax.set_title(LABEL)
        ax.set_xlabel("零售户毛利率")
        ax.plot([-2, -1, 0, 1], [0.1, 0.5, -0.3, 0.2])  # negative ticks: no U+2212 needed
        buf = io.BytesIO()
        fig.savefig(buf, format="png")
        plt.close(fig)
    messages = [str(w.message) for w in caught]
    assert not [m for m in messages if "missing from font" in m or "Glyph" in m], messages
    assert buf.getvalue()[:8] == b"\x89PNG\r\n\x1a\n"
    # the font matplotlib picks for the theme's family is the Noto CJK file of the package
    used = font_manager.findfont(font_manager.FontProperties(family=matplotlib.rcParams["font.family"]))
    assert used == str(theme.cjk_font_path())
    assert name.startswith("Noto Sans CJK")
    assert matplotlib.rcParams["axes.unicode_minus"] is False


def test_without_theme_the_default_font_lacks_the_glyphs():
    """The check above can fail: DejaVu Sans (matplotlib's default) has no CJK glyphs."""
    with matplotlib.rc_context({"font.family": "sans-serif", "font.sans-serif": ["DejaVu Sans"]}):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig, ax = plt.subplots()
            ax.set_title(LABEL)
            fig.savefig(io.BytesIO(), format="png")
            plt.close(fig)
    assert any("missing from font" in str(w.message) for w in caught)


def test_theme_settings():
    theme.use_theme()
    rc = matplotlib.rcParams
    assert tuple(rc["figure.figsize"]) == theme.FIGSIZE
    assert rc["savefig.dpi"] == theme.SAVE_DPI
    assert rc["font.sans-serif"][0] == theme.register_cjk_font()
    assert [c["color"] for c in rc["axes.prop_cycle"]][:3] == theme.PALETTE[:3]
