"""One look for every plot: a CJK font, a seaborn style, figure size and resolution.

Chinese labels need a font that has the glyphs. The set-up installs Noto Sans CJK (SIL Open
Font Licence) from PyPI as the package ``cvttf-NotoSansCJK-Regular``; :func:`use_theme`
registers its ``.otf`` with matplotlib and makes it the first sans-serif font, so a label such
as ``销量（箱）`` renders without "Glyph … missing from font" warnings. The file is the full
"language-specific" OTF: it carries simplified as well as traditional characters.

Call :func:`use_theme` once before plotting (the plot modules ``report/plots_*.py`` call it
themselves; calling it again is cheap).
"""

from __future__ import annotations

from pathlib import Path

# Colours used across reports: a muted qualitative palette, plus the status colours of the
# scorecard (met / not met / within margin: the interval straddles the target / not measured).
PALETTE = ["#3b6ea5", "#e07b39", "#4a9a6b", "#c4473a", "#8a6bb0", "#8c8c8c", "#c9a227", "#3fa7b5"]
STATUS_COLOURS = {"met": "#2e7d32", "not_met": "#c62828", "within_margin": "#b26a00",
                  "not_measured": "#757575"}

FIGSIZE = (8.0, 4.5)  # inches; fits an A4 page in portrait at 100 % zoom
DPI = 100  # on screen
SAVE_DPI = 144  # PNG embedded in the reviewer HTML

_FONT_NAME: str | None = None


def cjk_font_path() -> Path:
    """Path of the Noto Sans CJK ``.otf`` shipped by ``cvttf-NotoSansCJK-Regular``."""
    try:
        import cvttf_NotoSansCJK_Regular as pkg
    except ImportError as e:  # pragma: no cover - the package is a declared dependency
        raise ImportError(
            "the CJK font package is missing: install 'cvttf-NotoSansCJK-Regular' "
            "(it is listed in pyproject.toml; rerun `make env`)"
        ) from e
    folder = Path(pkg.__file__).resolve().parent
    fonts = sorted(p for p in folder.iterdir() if p.suffix.lower() in (".otf", ".ttf", ".ttc"))
    if not fonts:  # pragma: no cover
        raise FileNotFoundError(f"no font file in {folder}; reinstall cvttf-NotoSansCJK-Regular")
    return fonts[0]


def register_cjk_font() -> str:
    """Add the CJK font to matplotlib's font manager (once) and return its family name."""
    global _FONT_NAME
    if _FONT_NAME is None:
        from matplotlib import font_manager

        path = cjk_font_path()
        font_manager.fontManager.addfont(str(path))
        _FONT_NAME = font_manager.FontProperties(fname=str(path)).get_name()
    return _FONT_NAME


def rc_params() -> dict:
    """The matplotlib settings of the theme (font first, so seaborn cannot override it)."""
    from cycler import cycler

    name = register_cjk_font()
    return {
        "font.family": "sans-serif",
        "font.sans-serif": [name, "DejaVu Sans"],
        "axes.unicode_minus": False,  # the CJK font lacks U+2212; use the ASCII hyphen
        "figure.figsize": FIGSIZE,
        "figure.dpi": DPI,
        "savefig.dpi": SAVE_DPI,
        "savefig.bbox": "tight",
        "axes.titlesize": 13,
        "axes.titleweight": "normal",  # the package ships the Regular weight only
        "axes.labelsize": 11,
        "legend.fontsize": 10,
        "legend.frameon": False,
        "axes.spines.top": False,
        "axes.spines.right": False,
        "axes.prop_cycle": cycler(color=PALETTE),
    }


def use_theme() -> str:
    """Apply the report theme to matplotlib/seaborn and return the CJK font's family name."""
    import matplotlib as mpl
    import seaborn as sns

    rc = rc_params()
    sns.set_theme(context="notebook", style="whitegrid", palette=PALETTE, rc=rc)
    mpl.rcParams.update(rc)  # set_theme resets fonts; apply ours last
    return rc["font.sans-serif"][0]
