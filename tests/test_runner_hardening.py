"""The monthly runner under hostile conditions, on the small sample with the tiny fixture
notebooks: --only with other data, secrets in the data path, a read-only or full outputs
folder, re-running a published notebook, progress lines under cron, DuckDB spill folders."""

from __future__ import annotations

import errno
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml
from nbformat.v4 import new_code_cell, new_notebook

from lean_analysis import config, runner
from lean_analysis.cli import build_parser, cli_run
from lean_analysis.params import inspect_data
from lean_analysis.redact import mask_secrets
from lean_analysis.runner import batch, execute

FIX = Path(__file__).parent / "fixtures" / "notebooks"
PERIOD = "2026-10"
SECRET = "Hunter2-geheim"

pytestmark = pytest.mark.notebooks


def _run(batch_file, data, out, **kw):
    kw.setdefault("progress", False)
    return runner.run_batch(batch_file, period=PERIOD, data=data, outputs=out, **kw)


def _cli(*argv) -> int:
    return cli_run(build_parser().parse_args(["run", *map(str, argv)]))


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


@pytest.fixture(scope="module")
def good(small_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("hardening") / "outputs"
    res = _run(FIX / "batch_ok.yaml", small_dir, out)
    assert (res.exit_code, res.published) == (0, True)
    return out


@pytest.fixture()
def copy_of_good(good, tmp_path):
    out = tmp_path / "outputs"
    shutil.copytree(good, out)
    return out


@pytest.fixture()
def no_kernel(monkeypatch):
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(execute, "execute_notebook", refuse)
    monkeypatch.setattr(batch, "start_kernel", refuse)  # nor one started ahead
    return calls


# --------------------------------------------------------------------------- 2. --only, other data
def test_only_with_other_data_is_refused(copy_of_good, small_dir, tmp_path, no_kernel, capsys):
    out = copy_of_good
    other = tmp_path / "other"
    shutil.copytree(small_dir, other)
    customers = pd.read_csv(other / "customers.csv", dtype=str)
    name = customers["customer_name"].iloc[0]
    text = (other / "customers.csv").read_text(encoding="utf-8")
    (other / "customers.csv").write_text(text.replace(name, name + "号", 1), encoding="utf-8")
    old_fp = json.loads((out / PERIOD / "manifest.json").read_text())["data"]["fingerprint"]
    new_fp = inspect_data(other).fingerprint
    assert old_fp != new_fp
    before = _snapshot(out / PERIOD)
    code = _cli(FIX / "batch_ok.yaml", "--period", PERIOD, "--data", other, "--outputs", out,
                "--only", "fx_table")
    assert code == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lean-analysis run: error: --only: ")
    assert old_fp in err[0] and new_fp in err[0]
    assert _snapshot(out / PERIOD) == before and no_kernel == []
    assert sorted(p.name for p in out.iterdir()) == [PERIOD, "history.html", "index.html"]


# --------------------------------------------------------------------------- 3. secrets
def _leaking_notebook(path: Path) -> Path:
    """A report that prints its data path and fails with it in the error message."""
    nb = new_notebook()
    nb.metadata = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}}
    params = new_code_cell('period = "2026-10"\ndata_dir = ""\nlang = "zh"\noutput_dir = ""\n')
    params.metadata["tags"] = ["parameters"]
    nb.cells = [params, new_code_cell("print('reading', data_dir)\ndata_dir"),
                new_code_cell("raise FileNotFoundError(data_dir + '/missing.csv')")]
    nbformat.write(nb, path)
    return path


def test_no_secret_in_any_output(small_dir, tmp_path, capsys):
    data = tmp_path / "exports" / f"password={SECRET}" / "county"
    shutil.copytree(small_dir, data)
    leak = _leaking_notebook(tmp_path / "fx_leak.ipynb")
    doc = {"defaults": {"lang": "zh"}, "reports": [
        {"name": "fx_table", "notebook": str(FIX / "fx_table.ipynb"),
         "params": str(FIX / "fx_table.yaml")},
        {"name": "fx_leak", "notebook": str(leak), "params": None}]}
    batch_file = tmp_path / "b.yaml"
    batch_file.write_text(yaml.safe_dump(doc), encoding="utf-8")
    out = tmp_path / "outputs"
    assert _cli(batch_file, "--period", PERIOD, "--data", data, "--outputs", out) == 1
    printed = capsys.readouterr()
    # every file of the run, every line printed: no secret
    assert SECRET not in printed.out + printed.err
    files = [p for p in out.rglob("*") if p.is_file()]
    assert len(files) >= 10
    assert [p for p in files if SECRET.encode() in p.read_bytes()] == []
    folder = out / PERIOD
    # the kernel had the real path: fx_table read the data
    m = json.loads((folder / "fx_table.metrics.json").read_text(encoding="utf-8"))
    assert m["figures"]["customers"]["value"] == len(pd.read_csv(small_dir / "customers.csv"))
    # masked, not cut: the rest of the path is still there
    leak_nb = nbformat.read(folder / "fx_leak.ipynb", as_version=4)
    injected = next(c for c in leak_nb.cells if "injected-parameters" in c.metadata.get("tags", []))
    assert f'data_dir = "{tmp_path}/exports/password=***/county"' in injected.source
    assert leak_nb.metadata.papermill.parameters.data_dir == f"{tmp_path}/exports/password=***/county"
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    leak_entry = next(r for r in man["reports"] if r["name"] == "fx_leak")
    assert leak_entry["error"]["evalue"] == f"{tmp_path}/exports/password=***/county/missing.csv"
    assert "password=***/county/missing.csv" in printed.out  # the failed report's note
    run_log = (folder / "logs" / "run.log").read_text(encoding="utf-8")
    assert "password=***/county/missing.csv" in run_log
    # outside the project the data are shown by name, not by their absolute path
    assert man["data"]["path"] == "county"
    assert [r["parameters"]["data_dir"] for r in man["reports"]] == ["county", "county"]
    page = (folder / "fx_table.html").read_text(encoding="utf-8")
    assert "exports/password" not in page and "<td>county</td>" in page
    index = (folder / "index.html").read_text(encoding="utf-8")
    assert "<td>county</td>" in index  # (the path in fx_leak's error is its own message)


def test_secret_in_a_bad_data_path_is_masked_on_stderr(tmp_path, capsys, no_kernel):
    missing = tmp_path / f"password={SECRET}" / "nope"
    assert _cli(FIX / "batch_ok.yaml", "--period", PERIOD, "--data", missing,
                "--outputs", tmp_path / "o") == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("lean-analysis run: error: --data: ")
    # a path outside the project is shown by its name: the folder holding the secret not at all
    assert SECRET not in err[0] and "--data: nope does not exist" in err[0]


def test_masking_keeps_the_rest_of_a_path():
    assert mask_secrets("/srv/password=abc/x/y") == "/srv/password=***/x/y"
    assert mask_secrets("mysql://u:pw@h/db?token=t0k&x=1") == "mysql://u:***@h/db?token=***&x=1"


# --------------------------------------------------------------------------- 4. cannot write outputs
def test_read_only_outputs_folder(copy_of_good, small_dir, monkeypatch, capsys, no_kernel):
    out = copy_of_good
    before = _snapshot(out / PERIOD)
    inside = str(out)
    real_open, real_mkdir = os.open, os.mkdir

    def ro_open(path, flags, *a, **kw):
        if str(path).startswith(inside) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_open(path, flags, *a, **kw)

    def ro_mkdir(path, *a, **kw):
        if str(path).startswith(inside):
            if os.path.exists(path):
                raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))
            raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
        return real_mkdir(path, *a, **kw)

    monkeypatch.setattr(os, "open", ro_open)
    monkeypatch.setattr(os, "mkdir", ro_mkdir)
    code = _cli(FIX / "batch_ok.yaml", "--period", PERIOD, "--data", small_dir, "--outputs", out)
    monkeypatch.undo()
    assert code == runner.EXIT_OUTPUTS == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1
    assert err[0].startswith(f"lean-analysis run: error: cannot write outputs in {out}: "
                             "Read-only file system")
    assert _snapshot(out / PERIOD) == before


def test_full_disk_while_papermill_writes_a_notebook(copy_of_good, small_dir, monkeypatch, capsys):
    from papermill.iorw import LocalHandler

    out = copy_of_good
    before = _snapshot(out / PERIOD)

    def full(self, buf, path):  # half of the notebook reaches the disk, then ENOSPC
        with open(path, "w", encoding="utf-8") as f:
            f.write(buf[: len(buf) // 2])
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(LocalHandler, "write", full)
    code = _cli(FIX / "batch_ok.yaml", "--period", PERIOD, "--data", small_dir, "--outputs", out)
    assert code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    assert err[0].startswith(f"lean-analysis run: error: cannot write outputs in {out}: "
                             "No space left on device (")
    assert _snapshot(out / PERIOD) == before
    assert sorted(p.name for p in out.iterdir()) == [PERIOD, "history.html", "index.html"]


def test_full_disk_while_the_manifest_is_written(copy_of_good, small_dir, monkeypatch, capsys):
    out = copy_of_good
    before = _snapshot(out / PERIOD)
    real = batch.write_text

    def full(path, text):
        if path.name == "manifest.json":
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
        return real(path, text)

    monkeypatch.setattr(batch, "write_text", full)
    code = _cli(FIX / "batch_ok.yaml", "--period", PERIOD, "--data", small_dir, "--outputs", out,
                "--only", "fx_table")
    assert code == 3
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "No space left on device" in err[0]
    assert _snapshot(out / PERIOD) == before
    assert sorted(p.name for p in out.iterdir()) == [PERIOD, "history.html", "index.html"]


def test_run_help_documents_the_exit_codes(capsys):
    with pytest.raises(SystemExit):
        build_parser().parse_args(["run", "--help"])
    text = capsys.readouterr().out
    for code in ("0", "1", "2", "3"):
        assert re.search(rf"^  {code}  \S", text, re.M), code
    readme = (config.PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert "exit 3" in readme


# --------------------------------------------------------------------------- 5. re-runnable notebooks
def test_published_notebook_runs_again_where_it_is(good):
    import papermill as pm
    from jupyter_client.kernelspec import KernelSpecManager

    folder = good / PERIOD
    for name in ("fx_overview", "fx_table"):
        nb = nbformat.read(folder / f"{name}.ipynb", as_version=4)
        assert nb.metadata.kernelspec.name == runner.KERNEL_NAME
        assert nb.metadata.papermill.parameters.output_dir == str(folder)
        injected = next(c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", []))
        assert f'output_dir = "{folder}"' in injected.source
    assert runner.KERNEL_NAME in KernelSpecManager().find_kernel_specs()  # a kernel anyone has
    metrics = (folder / "fx_overview.metrics.json").read_bytes()
    share = json.loads((folder / "fx_table.metrics.json").read_text())["figures"]["high_tier_share"]["value"]
    assert json.loads(metrics)["figures"]["scorecard_key_brand_share"]["value"] == share
    (folder / "fx_overview.metrics.json").unlink()
    try:  # as an analyst would: the notebook as published, its own kernelspec, no parameters
        pm.execute_notebook(str(folder / "fx_overview.ipynb"), str(good.parent / "again.ipynb"),
                            cwd=str(FIX), progress_bar=False)
    finally:
        again = (folder / "fx_overview.metrics.json").read_bytes() if \
            (folder / "fx_overview.metrics.json").exists() else b""
        (folder / "fx_overview.metrics.json").write_bytes(metrics)
    # it read the period's metrics (not "not measured") and wrote the same figures
    assert json.loads(again)["figures"]["scorecard_key_brand_share"]["value"] == share
    assert again == metrics
    assert not [p for p in good.iterdir() if p.name.startswith(".staging-")]


# --------------------------------------------------------------------------- 6, 7. cron
@pytest.fixture(scope="module")
def cron_run(small_dir, tmp_path_factory):
    """A run as cron starts it: stdout a pipe, its own temporary folder holding a spill folder
    of a process that has ended and one of a process that runs (this one)."""
    tmp = tmp_path_factory.mktemp("cron")
    tmpdir = tmp / "tmp"
    tmpdir.mkdir()
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = tmpdir / f"lean-analysis-duckdb-{ended.pid}-0123abcd"
    alive = tmpdir / f"lean-analysis-duckdb-{os.getpid()}-4567cdef"
    for d in (dead, alive):
        d.mkdir()
        (d / "duckdb_temp_storage-0.tmp").write_bytes(b"x" * 1024)
    env = dict(os.environ, PYTHONPATH=str(config.PROJECT_ROOT), TMPDIR=str(tmpdir))
    proc = subprocess.Popen(
        [sys.executable, "-m", "lean_analysis.cli", "run", str(FIX / "batch_ok.yaml"), "--period",
         PERIOD, "--data", str(small_dir), "--outputs", str(tmp / "outputs")],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    first = proc.stdout.readline()
    running = proc.poll() is None  # the first line came while the run went on
    rest = proc.stdout.read()
    proc.wait()
    return {"first": first, "running": running, "lines": [first.rstrip("\n"), *rest.splitlines()],
            "code": proc.returncode, "tmpdir": tmpdir, "dead": dead, "alive": alive}


def test_cron_run_prints_a_line_as_each_report_starts_and_ends(cron_run):
    assert cron_run["code"] == 0
    assert cron_run["running"] and "fx_table: start" in cron_run["first"]
    progress = [re.sub(r"^\[\d\d:\d\d:\d\d\] run 2026-10: ", "", line)
                for line in cron_run["lines"] if " run 2026-10: " in line]
    assert [re.sub(r"\d+\.\d s", "N s", p) for p in progress] == [
        "fx_table: start", "fx_table: ok in N s (1/2 done)",
        "fx_overview: start", "fx_overview: ok in N s (2/2 done)"]
    summary = [line for line in cron_run["lines"] if " run 2026-10: " not in line]
    assert [line.split()[:2] for line in summary[:2]] == [["ok", "fx_overview"], ["ok", "fx_table"]]
    assert summary[2].endswith(f"{PERIOD}/index.html")
    assert cron_run["lines"].index(summary[0]) > cron_run["lines"].index(progress and [
        line for line in cron_run["lines"] if "2/2 done" in line][0])


def test_no_duckdb_spill_folder_survives_a_run(cron_run):
    left = sorted(p.name for p in cron_run["tmpdir"].glob("lean-analysis-duckdb-*"))
    assert left == [cron_run["alive"].name]  # the dead process's and the run's own are gone
