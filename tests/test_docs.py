"""docs/DESIGN.md is in the repository and every "DESIGN §N" reference names one of its
sections."""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DESIGN = REPO / "docs" / "DESIGN.md"
REFERENCE = re.compile(r"DESIGN §(\d+)")
SECTION = re.compile(r"^## (\d+)\. ", re.M)


def _references() -> dict[str, list[str]]:
    """``{section number: ["file:line", ...]}`` of the references in code, tests, params,
    notebooks and the README."""
    out: dict[str, list[str]] = {}
    paths = [REPO / "README.md"]
    for folder in ("lean_analysis", "tests", "params", "notebooks"):
        paths += [p for p in sorted((REPO / folder).rglob("*"))
                  if p.is_file() and p.suffix in (".py", ".yaml", ".ipynb", ".md", ".j2")]
    for path in paths:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for m in REFERENCE.finditer(line):
                out.setdefault(m.group(1), []).append(f"{path.relative_to(REPO)}:{n}")
    return out


def test_design_document_is_in_the_repository():
    assert DESIGN.is_file()
    assert "DESIGN.md" in (REPO / "README.md").read_text(encoding="utf-8")  # the pointer


def test_every_design_reference_names_a_section():
    sections = set(SECTION.findall(DESIGN.read_text(encoding="utf-8")))
    refs = _references()
    assert refs, "no DESIGN §N reference found: the pattern or the walk is wrong"
    unknown = {n: where for n, where in refs.items() if n not in sections}
    assert not unknown, f"DESIGN sections that do not exist (sections: {sorted(sections)}): {unknown}"
