"""The ``>>>`` examples in the package's docstrings hold.

Every module of lean_analysis whose source has a ``>>>`` example, and every statistics module
(which should have one), is run through :mod:`doctest`: one test per docstring, so that a
failing example names its function. Examples run in their module's namespace plus the
reference data sets the docstrings name (``apistrat``: R ``survey``'s data api; ``nj``: Card &
Krueger's njmin3), read from tests/fixtures as the other tests read them.
"""

from __future__ import annotations

import doctest
import importlib
from pathlib import Path

import pandas as pd
import pytest

import lean_analysis

FIXTURES = Path(__file__).parent / "fixtures"
PACKAGE_DIR = Path(lean_analysis.__file__).parent
OPTIONS = doctest.NORMALIZE_WHITESPACE | doctest.ELLIPSIS

# The statistics modules: each should show its use in checked examples.
STATISTICS = [
    "lean_analysis.forecast.metrics",
    "lean_analysis.survey.design",
    "lean_analysis.survey.reliability",
    "lean_analysis.brand.did",
    "lean_analysis.brand.synth",
    "lean_analysis.calendar",
    "lean_analysis.kpis.months",
    "lean_analysis.targets",
]
# Statistics modules without any >>> example today (numpydoc docstrings with examples are coming).
NO_EXAMPLE_TODAY = {"lean_analysis.brand.synth"}
# Examples that fail today, "module.qualname": why (the module is not ours to edit).
FAILING_TODAY = {
}


def _module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE_DIR.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _modules_with_examples() -> list[str]:
    return sorted(_module_name(p) for p in PACKAGE_DIR.rglob("*.py")
                  if ">>>" in p.read_text(encoding="utf-8"))


MODULES = sorted(set(STATISTICS) | set(_modules_with_examples()))


def _reference_globals() -> dict:
    return {
        "apistrat": pd.read_csv(FIXTURES / "apistrat.csv", comment="#"),
        "nj": pd.read_csv(FIXTURES / "njmin3.csv", comment="#"),
    }


def _doctests(module_name: str) -> list[doctest.DocTest]:
    module = importlib.import_module(module_name)
    tests = doctest.DocTestFinder(exclude_empty=True).find(module, module_name)
    # only the module's own docstrings, not those of what it imports
    return sorted((t for t in tests if t.examples), key=lambda t: t.name)


def _cases() -> list:
    out = []
    for name in MODULES:
        try:
            tests = _doctests(name)
        except ImportError as e:  # a module moved: fail its case, not the collection
            out.append(pytest.param(name, f"{name} ({e})", id=name))
            continue
        for test in tests:
            marks = ()
            if test.name in FAILING_TODAY:
                marks = pytest.mark.xfail(strict=False, reason=FAILING_TODAY[test.name])
            out.append(pytest.param(name, test.name, marks=marks, id=test.name))
    return out


@pytest.mark.parametrize(("module_name", "test_name"), _cases())
def test_docstring_examples_hold(module_name, test_name):
    found = [t for t in _doctests(module_name) if t.name == test_name]
    assert found, f"no docstring {test_name}"
    (test,) = found
    test.globs.update(_reference_globals())
    report: list[str] = []
    runner = doctest.DocTestRunner(optionflags=OPTIONS, verbose=False)
    result = runner.run(test, out=report.append, clear_globs=True)
    assert result.failed == 0, "".join(report)  # (an all-+SKIP docstring attempts nothing)


@pytest.mark.parametrize("module_name", [
    pytest.param(m, marks=pytest.mark.xfail(strict=False, reason="no >>> example yet"))
    if m in NO_EXAMPLE_TODAY else m
    for m in STATISTICS])
def test_statistics_module_has_examples(module_name):
    examples = sum(len(t.examples) for t in _doctests(module_name))
    assert examples > 0, f"{module_name} has no >>> example in its docstrings"


def test_the_list_of_modules_with_examples_is_found():
    found = _modules_with_examples()
    assert "lean_analysis.forecast.metrics" in found and "lean_analysis.calendar" in found
