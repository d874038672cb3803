"""One report at a time, the next report's kernel starts while the current one runs, and
it imports its notebook's modules as it starts (lean_analysis.runner.preload)."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook

from lean_analysis import runner
from lean_analysis.runner.execute import start_kernel, stop_kernel
from lean_analysis.runner.preload import notebook_modules, startup_code, with_lazy

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2026-10"
SLEEP_S = 6

pytestmark = pytest.mark.notebooks

PARAMS = 'period = "2026-10"\ndata_dir = ""\nlang = "zh"\noutput_dir = ""\n'
# the kernel process's age, from /proc (Linux): seconds since it started
AGE = ("import os\n"
       "_f = open('/proc/self/stat').read().rsplit(')', 1)[1].split()\n"
       "_up = float(open('/proc/uptime').read().split()[0])\n"
       "age = _up - int(_f[19]) / os.sysconf('SC_CLK_TCK')\n")


def _notebook(path: Path, *cells: str) -> Path:
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    params = new_code_cell(PARAMS)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, *(new_code_cell(c) for c in cells)]
    nbformat.write(nb, path)
    return path


def _outputs(nb_path: Path) -> dict:
    nb = nbformat.read(nb_path, as_version=4)
    found = {}
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            if out.get("output_type") == "stream":
                for line in out["text"].splitlines():
                    if "=" in line:
                        k, v = line.split("=", 1)
                        found[k] = json.loads(v)
    return found


def test_the_next_kernel_starts_during_the_report_before_and_has_imported(small_dir, tmp_path):
    slow = _notebook(tmp_path / "fx_slow.ipynb", f"import time\ntime.sleep({SLEEP_S})")
    probe = _notebook(
        tmp_path / "fx_probe.ipynb",
        AGE + "import sys, json\n"
        "print('age=' + json.dumps(age))\n"
        "print('preloaded=' + json.dumps('lean_analysis.survey' in sys.modules))\n"
        "print('names=' + json.dumps(sorted(k for k in globals() if 'preload' in k)))",
        "from lean_analysis import survey",
    )
    doc = {"defaults": {"lang": "zh"}, "reports": [
        {"name": "fx_slow", "notebook": str(slow), "params": None},
        {"name": "fx_probe", "notebook": str(probe), "params": None}]}
    batch_file = tmp_path / "b.yaml"
    batch_file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    res = runner.run_batch(batch_file, period=PERIOD, data=small_dir, outputs=tmp_path / "out",
                           progress=False, jobs=1)
    assert res.exit_code == 0, res.reports
    seen = _outputs(res.folder / "fx_probe.ipynb")
    # started before fx_slow ran its cells: older than fx_slow's sleep when its first cell runs
    assert seen["age"] > SLEEP_S - 0.5
    # the module its notebook imports later was imported as the kernel started, and the
    # start-up code left no name behind
    assert seen["preloaded"] is True
    assert seen["names"] == []
    nb = nbformat.read(res.folder / "fx_probe.ipynb", as_version=4)
    assert [c.execution_count for c in nb.cells if c.cell_type == "code"] == [1, 2, 3, 4]


def test_modules_of_the_shipped_notebooks():
    fc = notebook_modules(ROOT / "notebooks" / "01_demand_forecast_backtest.ipynb")
    assert {"lean_analysis.forecast", "lean_analysis.data", "lean_analysis.report.plots_forecast",
            "pathlib"} <= set(fc)
    br = with_lazy(notebook_modules(ROOT / "notebooks" / "02_brand_cultivation.ipynb"))
    # imported lazily there (pyfixest's own __init__ defers its estimation module)
    assert br.index("pyfixest.estimation") == br.index("lean_analysis.brand") + 1
    assert "matplotlib.pyplot" in br


def test_startup_code_passes_over_what_is_not_a_module():
    ns: dict = {}
    exec(startup_code(["json", "json.loads", "surely_no_such_module_here"]), ns)
    assert sorted(k for k in ns if not k.startswith("__")) == []


def test_a_kernel_started_ahead_and_never_used_is_stopped(tmp_path):
    nb = _notebook(tmp_path / "fx.ipynb", "x = 1")
    km = start_kernel(nb, tmp_path)
    assert km.has_kernel
    stop_kernel(km)
    assert not km.has_kernel
    stop_kernel(km)  # again: nothing to do, no error
