"""The package's shape (the arrows of DESIGN §4): which module may import which.

Every module of ``lean_analysis`` is read with :mod:`ast` (nothing is imported); every
``import`` / ``from ... import`` counts, at module level or inside a function (relative imports
resolved against the module's package). An edge goes to the most specific module named:
``from lean_analysis.data import load`` is an edge to ``lean_analysis.data.load`` when that is
a module, to ``lean_analysis.data`` (its ``__init__``) when ``load`` is a name defined there.

The rules:

- no circle among the modules;
- ``lean_analysis.report.*`` draws and words: it imports no analysis package
  (``forecast``, ``brand``, ``survey``, ``kpis``, ``placement``);
- an analysis package does not import ``runner`` (the runner drives the analyses);
- ``lean_analysis.data.*`` sits at the bottom: it imports only ``data.*``, ``config``,
  ``calendar`` and ``redact`` (the one secret masking, a leaf) of lean_analysis.
"""

from __future__ import annotations

import ast
from pathlib import Path

import lean_analysis

ROOT = "lean_analysis"
ANALYSIS = ("forecast", "brand", "survey", "kpis", "placement")
DATA_MAY_IMPORT = ("data", "config", "calendar", "redact")


def module_files(package_dir: Path, root: str = ROOT) -> dict[str, Path]:
    """``{dotted module name: file}`` of every module under ``package_dir``."""
    out = {}
    for path in sorted(package_dir.rglob("*.py")):
        rel = path.relative_to(package_dir).with_suffix("")
        parts = [root, *rel.parts]
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


def _target(name: str, modules: dict[str, Path]) -> str | None:
    """The most specific module of ours that ``name`` (dotted) denotes, or None if foreign."""
    parts = name.split(".")
    while parts:
        cand = ".".join(parts)
        if cand in modules:
            return cand
        parts.pop()
    return None


def import_graph(package_dir: Path, root: str = ROOT) -> dict[str, dict[str, int]]:
    """``{module: {imported module: first line}}``, imports of ``root``'s own modules only."""
    modules = module_files(package_dir, root)
    graph: dict[str, dict[str, int]] = {}
    for mod, path in modules.items():
        is_pkg = path.name == "__init__.py"
        package = mod if is_pkg else mod.rpartition(".")[0]
        edges: dict[str, int] = {}
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                if node.level:
                    base_parts = package.split(".")
                    if node.level > 1:
                        base_parts = base_parts[: len(base_parts) - (node.level - 1)]
                    base = ".".join(base_parts)
                    base = f"{base}.{node.module}" if node.module else base
                else:
                    base = node.module or ""
                # `from pkg import sub` names the module pkg.sub when it is one, else pkg
                names = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                         for a in node.names]
            for name in names:
                tgt = _target(name, modules)
                if tgt is not None and tgt != mod:
                    edges.setdefault(tgt, node.lineno)
        graph[mod] = edges
    return graph


def circles(graph: dict[str, dict[str, int]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:  # the package is small: recursion depth is no concern
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, {}):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return sorted(out)


def _cycle_in(comp: list[str], graph: dict[str, dict[str, int]]) -> list[str]:
    """One closed path through the component, from its first module back to it."""
    members = set(comp)
    start = comp[0]
    prev: dict[str, str] = {}
    frontier = [start]
    while frontier:  # breadth-first: the shortest way back to start
        nxt = []
        for v in frontier:
            for w in sorted(graph[v]):
                if w not in members:
                    continue
                if w == start:
                    path = [v]
                    while path[-1] != start:
                        path.append(prev[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if w not in prev:
                    prev[w] = v
                    nxt.append(w)
        frontier = nxt
    raise AssertionError(f"no cycle in {comp}")  # pragma: no cover


def _sub(mod: str, root: str = ROOT) -> str:
    """The first part under the root: ``lean_analysis.data.load`` -> ``data``."""
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else ""


def forbidden_edges(graph: dict[str, dict[str, int]], rule: str) -> list[str]:
    out = []
    for src, edges in sorted(graph.items()):
        for tgt, line in sorted(edges.items()):
            s, t = _sub(src), _sub(tgt)
            bad = {
                "report": s == "report" and t in ANALYSIS,
                "runner": s in ANALYSIS and t == "runner",
                "data": s == "data" and t not in DATA_MAY_IMPORT,
            }[rule]
            if bad:
                out.append(f"{src} -> {tgt}  (line {line})")
    return out


def _circle_report(graph) -> list[str]:
    out = []
    for comp in circles(graph):
        cyc = _cycle_in(comp, graph)
        edges = [f"{a} -> {b}  (line {graph[a][b]})" for a in comp for b in sorted(graph[a])
                 if b in comp]
        out.append(f"circle of {len(comp)} modules: {' -> '.join(cyc)}\n    edges: "
                   + "\n           ".join(edges))
    return out


GRAPH = import_graph(Path(lean_analysis.__file__).parent)


def test_the_walk_sees_the_package():
    assert {"lean_analysis.data", "lean_analysis.runner", "lean_analysis.report.texts"} <= set(GRAPH)
    assert any(GRAPH.values())


def test_the_walk_resolves_and_catches(tmp_path):
    pkg = tmp_path / "pkg"
    for rel, src in {
        "__init__.py": "",
        "config.py": "",
        "runner.py": "from .brand import did\n",
        "data/__init__.py": "from .load import load\n",
        "data/load.py": "from .. import config\n\ndef f():\n    from ..report import show\n",
        "report/__init__.py": "",
        "report/show.py": "import pkg.kpis\nfrom pkg.data import load\n",
        "kpis.py": "import numpy\n\ndef g():\n    from pkg.report.show import x\n",
        "brand/__init__.py": "",
        "brand/did.py": "from ..runner import run\nfrom . import missing_name\n",
    }.items():
        (pkg / rel).parent.mkdir(parents=True, exist_ok=True)
        (pkg / rel).write_text(src, encoding="utf-8")
    g = import_graph(pkg, root="pkg")
    assert g["pkg.data"] == {"pkg.data.load": 1}
    assert g["pkg.data.load"] == {"pkg.config": 1, "pkg.report.show": 4}  # function level too
    assert g["pkg.report.show"] == {"pkg.kpis": 1, "pkg.data.load": 2}
    assert g["pkg.brand.did"] == {"pkg.runner": 1, "pkg.brand": 2}
    assert circles(g) == [["pkg.brand.did", "pkg.runner"],
                          ["pkg.data.load", "pkg.kpis", "pkg.report.show"]]
    assert _cycle_in(["pkg.brand.did", "pkg.runner"], g) == ["pkg.brand.did", "pkg.runner",
                                                             "pkg.brand.did"]
    pkg_sub = {m: m.replace("pkg", ROOT, 1) for m in g}
    renamed = {pkg_sub[s]: {pkg_sub[t]: n for t, n in e.items()} for s, e in g.items()}
    assert forbidden_edges(renamed, "report") == ["lean_analysis.report.show -> lean_analysis.kpis  (line 1)"]
    assert forbidden_edges(renamed, "runner") == ["lean_analysis.brand.did -> lean_analysis.runner  (line 1)"]
    assert forbidden_edges(renamed, "data") == [
        "lean_analysis.data.load -> lean_analysis.report.show  (line 4)"]


def test_no_import_circles():
    found = _circle_report(GRAPH)
    assert not found, "import circles:\n" + "\n".join(found)


def test_report_imports_no_analysis_package():
    bad = forbidden_edges(GRAPH, "report")
    assert not bad, f"report.* imports an analysis package ({', '.join(ANALYSIS)}):\n" + "\n".join(bad)


def test_analysis_packages_do_not_import_the_runner():
    bad = forbidden_edges(GRAPH, "runner")
    assert not bad, "an analysis package imports the runner:\n" + "\n".join(bad)


def test_data_imports_only_data_config_calendar():
    bad = forbidden_edges(GRAPH, "data")
    assert not bad, (f"data.* imports lean_analysis beyond {', '.join(DATA_MAY_IMPORT)}:\n"
                     + "\n".join(bad))
