"""Imports a report's kernel does as it starts, so that they can run before its turn.

A report's first code cell spends most of its time importing (statsforecast, pyfixest,
matplotlib: 1–3 s each). The batch starts the next report's kernel while the current report
runs (:func:`lean_analysis.runner.execute.start_kernel`), and that kernel imports, at start,
the modules its notebook imports (:func:`notebook_modules`, read from the notebook's code
with :mod:`ast`) and the heavy libraries those modules import only when first used
(:data:`LAZY`). The notebook's own imports then find the modules loaded.

The imports leave no name in the notebook's namespace, and a module that cannot be
imported is passed over: the notebook's own import then raises in its cell, as it would
without the preload.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

# Heavy libraries a module imports inside its functions, imported with that module.
LAZY = {
    "lean_analysis.brand": ("pyfixest.estimation",),  # `import pyfixest` alone defers this
    "lean_analysis.forecast": ("hierarchicalforecast.methods",),
    "lean_analysis.report": ("matplotlib.pyplot", "seaborn"),
}


def notebook_modules(notebook: Path | str) -> tuple[str, ...]:
    """The modules the notebook's code cells import at their top level, in order, each once.

    ``from pkg import name`` gives ``pkg`` and ``pkg.name`` (``name`` may be a submodule;
    :func:`startup_code` passes over what is not one). Cells that are not Python (magics) and
    relative imports are skipped.
    """
    nb = json.loads(Path(notebook).read_text(encoding="utf-8"))
    found: list[str] = []
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        src = cell.get("source", "")
        try:
            tree = ast.parse("".join(src) if isinstance(src, list) else src)
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, ast.Import):
                found.extend(a.name for a in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                found.append(node.module)
                found.extend(f"{node.module}.{a.name}" for a in node.names if a.name != "*")
    return tuple(dict.fromkeys(found))


def with_lazy(modules: Iterable[str]) -> tuple[str, ...]:
    """``modules`` and, after each, the :data:`LAZY` libraries of it or of its packages."""
    out: list[str] = []
    for m in modules:
        out.append(m)
        for pkg, extra in LAZY.items():
            if m == pkg or m.startswith(pkg + "."):
                out.extend(extra)
    return tuple(dict.fromkeys(out))


def startup_code(modules: Sequence[str]) -> str:
    """The kernel's start-up code (IPython ``exec_lines``, run before the kernel answers)
    that imports ``modules`` with :func:`with_lazy` and leaves no name behind; a module that
    cannot be imported (a name, not a module; or one that fails) is passed over.

    >>> ns = {}
    >>> exec(startup_code(["json.decoder", "pathlib.Path", "no_such_module"]), ns)
    >>> sorted(k for k in ns if not k.startswith("__"))
    []
    >>> import sys; "json.decoder" in sys.modules
    True
    """
    return ("def _lean_preload(names):\n"
            "    import importlib\n"
            "    for name in names:\n"
            "        try:\n"
            "            importlib.import_module(name)\n"
            "        except Exception:\n"
            "            pass\n"
            f"_lean_preload({list(with_lazy(modules))!r})\n"
            "del _lean_preload\n")
