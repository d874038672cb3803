"""The worked examples in the brand statistics' docstrings hold (hand-computed figures)."""

from __future__ import annotations

import doctest
import importlib

import pytest

# by name: lean_analysis.brand.did (and .figures) are also the names of functions
MODULES = ["did", "synth", "power", "matching", "effect"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"lean_analysis.brand.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0 and result.failed == 0
