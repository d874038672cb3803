"""Report wording in Simplified Chinese and English.

Texts live in ``lean_analysis/report/locales/*.yaml`` (one file per report or topic, each a
mapping ``key: {zh: ..., en: ...}``); :func:`t` looks a key up in the chosen language and
fills ``{placeholders}``. Chinese is the default language.

English counts take their noun's number from the count: ``{n:|programme|programmes}`` is
replaced by ``programme`` when ``n`` is 1 and by ``programmes`` otherwise (the format spec
``|singular|plural``), so a text reads "1 programme", "2 programmes", never "programme(s)".
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import yaml

LANGS = ("zh", "en")
_DIR = Path(__file__).parent / "locales"


@lru_cache(maxsize=1)
def _catalogue() -> dict[str, dict[str, str]]:
    out: dict[str, dict[str, str]] = {}
    paths = sorted(_DIR.glob("*.yaml"))
    if not paths:  # e.g. an install whose package data left the catalogues out
        raise FileNotFoundError(f"no text catalogues (*.yaml) in {_DIR}")
    for path in paths:
        entries = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key, val in entries.items():
            if key in out:
                raise ValueError(f"text key {key!r} is defined twice ({path.name})")
            missing = [lang for lang in LANGS if lang not in val]
            if missing:
                raise ValueError(f"text key {key!r} in {path.name} lacks {missing}")
            out[key] = val
    return out


class _Formatter(string.Formatter):
    """``str.format`` plus the plural spec ``{n:|one|many}`` (see the module's docstring)."""

    def format_field(self, value, format_spec):
        if format_spec.startswith("|"):
            parts = format_spec[1:].split("|")
            if len(parts) != 2:
                raise ValueError(f"plural spec must be |singular|plural, not {format_spec!r}")
            try:
                one = float(value) == 1
            except (TypeError, ValueError):
                raise ValueError(f"plural spec {format_spec!r} needs a number, got {value!r}") from None
            return parts[0] if one else parts[1]
        return super().format_field(value, format_spec)


_FORMATTER = _Formatter()


def t(key: str, lang: str = "zh", **fmt: object) -> str:
    """The text ``key`` in ``lang`` ("zh" or "en"), formatted with ``fmt``."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
    try:
        text = _catalogue()[key][lang]
    except KeyError:
        raise KeyError(f"no report text {key!r}; add it to lean_analysis/report/locales/*.yaml") from None
    return _FORMATTER.vformat(text, (), fmt) if fmt else text


def keys() -> list[str]:
    return sorted(_catalogue())
