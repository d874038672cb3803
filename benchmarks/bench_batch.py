"""Time the whole monthly batch on the county sample: `python benchmarks/bench_batch.py`.

Ours: ``run_batch(params/monthly.yaml, --period 2026-10)`` on ``data/sample-county``
(generated when missing), HTML included. Per report it prints the kernel start, the first
code cell after the parameters (imports and data loading), the other cells, the HTML
rendering and the total; then the batch's wall time against the goal (≤ 60 s, issue 13).

Anchor, measured in the same run: the same notebooks with the same parameters executed by
plain nbclient (one kernel each, nothing else) and exported by nbconvert's stock "lab"
template: what the runner's checks, staging, HTML template, index and manifest add.
Also the floor: starting and stopping one empty kernel.

Options: ``--jobs N`` (reports at once, default 1), ``--quick`` (no anchor), ``--period``,
``--keep`` (keep the outputs under benchmarks/_work/), ``--only NAME`` (repeatable: time
only these reports, ours and the anchor's).

Times are wall-clock and CPU seconds (user + system of this process and every process it
waited for: the kernels and their workers). On a shared machine the wall time moves with
the other users' load; the CPU seconds and the ratios to the anchor measured in the same
run are the figures to compare between runs.
Reports whose notebook does not exist yet are left out (and named).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from lean_analysis import config  # noqa: E402
from lean_analysis.params import load_batch  # noqa: E402
from lean_analysis.runner import plan_batch, run_batch  # noqa: E402
from lean_analysis.runner.kernel import KERNEL_NAME, kernel_manager_class  # noqa: E402

WORK = ROOT / "benchmarks" / "_work"
GOAL_S = 60.0  # issue 13: the county batch in ≤ 60 s on 2 cores (--jobs 1)


def cpu_seconds() -> float:
    """User + system CPU seconds of this process and its waited-for children (kernels)."""
    s = resource.getrusage(resource.RUSAGE_SELF)
    c = resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def ensure_sample() -> Path:
    if not (config.SAMPLE_DIR / "truth.json").exists():
        from lean_analysis.sample import write_sample

        t0 = time.perf_counter()
        write_sample(config.SAMPLE_DIR, size="county")
        print(f"generated {config.SAMPLE_DIR} in {time.perf_counter() - t0:.1f} s")
    return config.SAMPLE_DIR


def present_batch(tmp: Path) -> tuple[Path, list[str], list[str]]:
    doc = yaml.safe_load(config.BATCH_FILE.read_text(encoding="utf-8"))
    batch = load_batch(config.BATCH_FILE)
    present = [r.name for r in batch.reports if r.notebook.exists()]
    missing = [r.name for r in batch.reports if not r.notebook.exists()]
    entries = []
    for r in doc["reports"]:
        if r["name"] in present:
            e = dict(r, notebook=str(ROOT / r.get("notebook", f"notebooks/{r['name']}.ipynb")))
            if r.get("params"):
                e["params"] = str(ROOT / r["params"])
            entries.append(e)
    doc["reports"] = entries
    path = tmp / "monthly.yaml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
    return path, present, missing


def cell_split(ipynb: Path) -> tuple[float, float, list[tuple[float, str]]]:
    """(first code cell after the parameters, the other cells, the 3 slowest cells)."""
    import nbformat

    nb = nbformat.read(ipynb, as_version=4)
    timed = []
    for c in nb.cells:
        tags = c.metadata.get("tags", [])
        if c.cell_type != "code" or "parameters" in tags or "injected-parameters" in tags:
            continue
        d = c.metadata.get("papermill", {}).get("duration") or 0.0
        timed.append((float(d), c.source.strip().splitlines()[0][:60] if c.source.strip() else ""))
    if not timed:
        return 0.0, 0.0, []
    return timed[0][0], sum(d for d, _ in timed[1:]), sorted(timed, reverse=True)[:3]


def anchor(plan, data: Path, tmp: Path) -> dict[str, tuple[float, float]]:
    """Plain nbclient + stock nbconvert "lab" HTML, same notebooks and parameters:
    per report (wall s, CPU s)."""
    import papermill as pm
    from nbclient import NotebookClient
    from nbconvert import HTMLExporter

    out: dict[str, float] = {}
    exporter = HTMLExporter(template_name="lab")
    folder = tmp / "anchor"
    folder.mkdir()
    for spec, params in plan.run:
        t0, c0 = time.perf_counter(), cpu_seconds()
        nb = pm.iorw.load_notebook_node(str(spec.notebook))
        nb = pm.parameterize.parameterize_notebook(nb, {**params, "output_dir": str(folder)},
                                                   kernel_name="python3", language="python")
        client = NotebookClient(nb, kernel_manager_class=kernel_manager_class(),
                                kernel_name=KERNEL_NAME, timeout=None,
                                resources={"metadata": {"path": str(spec.notebook.parent)}})
        try:
            client.execute()
        except Exception as e:  # the anchor reports the error and goes on
            print(f"  anchor {spec.name}: {type(e).__name__}: {e}"[:200])
        exporter.from_notebook_node(nb)
        out[spec.name] = (time.perf_counter() - t0, cpu_seconds() - c0)
    return out


def empty_kernel() -> float:
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1")]
    t0 = time.perf_counter()
    NotebookClient(nb, kernel_manager_class=kernel_manager_class(),
                   kernel_name=KERNEL_NAME, shutdown_kernel="immediate").execute()
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--jobs", type=int, default=1)
    ap.add_argument("--period", default="2026-10")
    ap.add_argument("--quick", action="store_true", help="skip the anchor")
    ap.add_argument("--keep", action="store_true", help="keep the outputs in benchmarks/_work")
    ap.add_argument("--only", action="append", help="time only this report (repeatable)")
    args = ap.parse_args()
    data = ensure_sample()
    WORK.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=WORK))
    try:
        batch, present, missing = present_batch(tmp)
        if missing:
            print(f"left out (no notebook yet): {', '.join(missing)}")
        if not present:
            print("no report notebook exists: nothing to time")
            return 1
        t0 = time.perf_counter()
        plan = plan_batch(batch, args.period, data, args.only)
        t_plan = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), cpu_seconds()
        res = run_batch(batch, period=args.period, data=data, outputs=tmp / "outputs",
                        only=args.only, jobs=args.jobs, progress=False)
        wall, cpu = time.perf_counter() - t0, cpu_seconds() - c0
        n = len(args.only) if args.only else len(present)
        print(f"\nbatch {args.period} on {data.name}, {n} report(s), jobs={args.jobs}")
        print(f"checks before any kernel (batch, parameters, tables, period, fingerprint): "
              f"{t_plan:.1f} s")
        print(f"{'report':32s} {'status':7s} {'kernel':>7s} {'1st cell':>8s} {'cells':>7s} "
              f"{'html':>6s} {'total':>7s}")
        for r in res.reports:
            if r.status == "skipped":
                print(f"{r.name:32s} skipped")
                continue
            first, rest, slow = cell_split(res.folder / r.outputs["ipynb"]) if "ipynb" in r.outputs \
                else (0.0, 0.0, [])
            tm = r.timings
            print(f"{r.name:32s} {r.status:7s} {tm.get('kernel_start_s', 0):7.1f} {first:8.1f} "
                  f"{rest:7.1f} {tm.get('render_s', 0):6.1f} {tm.get('total_s', 0):7.1f}")
            for d, src in slow:
                print(f"{'':34s}slow cell {d:6.1f} s  {src}")
            if r.status != "ok":
                print(f"{'':34s}{r.note}")
        print(f"\nours:   {wall:6.1f} s wall, {cpu:6.1f} s CPU for the batch (goal ≤ {GOAL_S:.0f} s: "
              f"{'met' if wall <= GOAL_S else 'NOT met'}; ratio to goal {wall / GOAL_S:.2f}); "
              f"load average {__import__('os').getloadavg()[0]:.1f}")
        if not args.quick:
            t0, c0 = time.perf_counter(), cpu_seconds()
            anc = anchor(plan, data, tmp)
            anc_wall, anc_cpu = time.perf_counter() - t0, cpu_seconds() - c0
            floor = empty_kernel()
            per = {k: f"{w:.1f} s wall, {c:.1f} s CPU" for k, (w, c) in anc.items()}
            print(f"anchor: {anc_wall:6.1f} s wall, {anc_cpu:6.1f} s CPU, plain nbclient + stock "
                  f"nbconvert lab HTML (per report: {json.dumps(per)})")
            print(f"ratio ours / anchor: wall {wall / anc_wall:.2f}, CPU {cpu / anc_cpu:.2f}")
            print(f"floor: one empty kernel started, run and stopped in {floor:.1f} s")
        if args.keep:
            print(f"outputs: {res.folder}")
        return 0 if res.exit_code == 0 else 1
    finally:
        if not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
