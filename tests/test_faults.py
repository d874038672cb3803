"""Publishing survives a crash at any point: faults injected at each step of publishing, and
SIGKILL of a batch subprocess at seeded random moments, each followed by a new run; the
period is then whole (every report, its outputs, a manifest saying ok) and equal to either
the run before or the new one, never a mix. The tiny fixture notebooks and the small sample,
as in tests/test_runner.py."""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lean_analysis import config, runner
from lean_analysis.runner import publish

FIX = Path(__file__).parent / "fixtures" / "notebooks"
PERIOD = "2026-10"
STEPS = ("journal", "aside", "renamed", "removed")  # publish._checkpoint's steps
REPORTS = ("fx_overview", "fx_table")

pytestmark = pytest.mark.notebooks


class Crash(BaseException):
    """A crash inside the process (like SIGTERM's SystemExit or a KeyboardInterrupt)."""


def _run(out, data, **kw):
    kw.setdefault("progress", False)
    return runner.run_batch(FIX / "batch_ok.yaml", period=PERIOD, data=data, outputs=out, **kw)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def _assert_whole(out: Path, good: Path) -> dict:
    """The period holds every report's outputs, its manifest says ok, the metrics are those
    of a good run, and nothing of an interrupted publish is left."""
    folder = out / PERIOD
    man = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    assert man["status"] == "ok"
    assert {r["name"]: r["status"] for r in man["reports"]} == dict.fromkeys(REPORTS, "ok")
    for name in REPORTS:
        for ext in ("ipynb", "html"):
            assert (folder / f"{name}.{ext}").is_file(), f"{name}.{ext}"
        assert (folder / f"{name}.metrics.json").read_bytes() == \
            (good / f"{name}.metrics.json").read_bytes()
    assert (folder / "index.html").is_file()
    assert sorted(p.name for p in out.iterdir()) == [PERIOD, "history.html", "index.html"]  # no .old-, .staging-,
    return man  # journal or lock left


@pytest.fixture(scope="module")
def base(small_dir, tmp_path_factory):
    out = tmp_path_factory.mktemp("faults") / "outputs"
    res = _run(out, small_dir)
    assert (res.exit_code, res.published) == (0, True)
    return out


def _copy(base: Path, tmp_path: Path) -> Path:
    out = tmp_path / "outputs"
    shutil.copytree(base, out)
    return out


# --------------------------------------------------------------------------- fault points
@pytest.mark.parametrize("step", STEPS)
def test_publish_interrupted_at_each_step_is_completed_by_the_next_run(
        base, small_dir, tmp_path, monkeypatch, step):
    out = _copy(base, tmp_path)
    before = _snapshot(out / PERIOD)
    # a finished run waiting to be published: the good run, its manifest and one page changed
    staging = out / f".staging-{PERIOD}-fault"
    shutil.copytree(out / PERIOD, staging)
    man = json.loads((staging / "manifest.json").read_text(encoding="utf-8"))
    man["finished"] = "2099-01-01T06:00:00+08:00"
    (staging / "manifest.json").write_text(json.dumps(man), encoding="utf-8")
    (staging / "fx_table.html").write_text("<p>the new run</p>", encoding="utf-8")
    new = _snapshot(staging)
    assert new != before

    def crash(at):
        if at == step:
            raise Crash(at)

    monkeypatch.setattr(publish, "_checkpoint", crash)
    with pytest.raises(Crash):  # no handler of the runner runs: as after a hard crash
        publish.publish(staging, out, out / PERIOD, PERIOD, out / PERIOD)
    monkeypatch.setattr(publish, "_checkpoint", lambda at: None)
    # what the next run does first, under the period's lock: the publish is completed
    assert publish.recover(out, PERIOD) in ("completed", None)
    assert _snapshot(out / PERIOD) == new
    assert sorted(p.name for p in out.iterdir()) == [PERIOD, "history.html", "index.html"]
    # the brief's reproduction: an --only run after the fault publishes every report
    res = _run(out, small_dir, only=["fx_table"])
    assert (res.exit_code, res.published) == (0, True)
    assert [(r.name, r.status, r.carried_over) for r in res.reports] == \
        [("fx_overview", "ok", True), ("fx_table", "ok", False)]
    _assert_whole(out, base / PERIOD)
    assert (out / PERIOD / "fx_overview.html").read_bytes() == new["fx_overview.html"]


def test_crash_between_the_two_renames_of_a_real_run(base, small_dir, tmp_path, monkeypatch):
    """The hostile tester's case: a run crashes right after the old period folder is renamed
    aside (the rename of the staging folder into place fails once)."""
    out = _copy(base, tmp_path)
    real_rename = Path.rename
    failed = []

    def rename(self, target):
        if self.name.startswith(f".staging-{PERIOD}-") and Path(target).name == PERIOD and not failed:
            failed.append(self)
            raise Crash("killed between the renames")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(Crash):
        _run(out, small_dir)
    assert failed  # the fault was hit
    # the period is whole: the run completed its publish on the way out, from the journal
    man = _assert_whole(out, base / PERIOD)
    assert man["finished"] > json.loads((base / PERIOD / "manifest.json").read_text())["finished"]
    res = _run(out, small_dir, only=["fx_table"])
    assert res.exit_code == 0
    assert [r.status for r in res.reports] == ["ok", "ok"]
    _assert_whole(out, base / PERIOD)


def test_an_old_folder_left_by_an_earlier_version_is_restored(base, small_dir, tmp_path):
    """No journal (a run of an earlier version crashed between its renames): the missing
    period comes back from its .old- folder."""
    out = _copy(base, tmp_path)
    before = _snapshot(out / PERIOD)
    (out / PERIOD).rename(out / f".old-{PERIOD}-abcd1234")
    assert publish.recover(out, PERIOD) == "restored"
    assert _snapshot(out / PERIOD) == before


# --------------------------------------------------------------------------- SIGKILL
WRAPPER = '''
import os, sys, time
from lean_analysis.runner import publish

def checkpoint(step):  # stop here, announced, until the test kills the process
    if step == os.environ.get("FAULT_STEP"):
        print("publish step " + step, flush=True)
        time.sleep(600)

publish._checkpoint = checkpoint
from lean_analysis.cli import main
sys.exit(main(sys.argv[1:]))
'''


def test_sigkill_at_random_moments_then_rerun(base, small_dir, tmp_path):
    out = _copy(base, tmp_path)
    wrapper = tmp_path / "run_with_faults.py"
    wrapper.write_text(WRAPPER, encoding="utf-8")
    rng = random.Random(20261202)
    args = [sys.executable, str(wrapper), "run", str(FIX / "batch_ok.yaml"), "--period", PERIOD,
            "--data", str(small_dir), "--outputs", str(out), "--only", "fx_table"]
    env = dict(os.environ, PYTHONPATH=str(config.PROJECT_ROOT))
    killed = 0
    for i in range(4):
        step = rng.choice(STEPS) if i % 2 == 0 else ""  # every other kill: inside publishing
        lines, delay = rng.randint(0, 1), rng.uniform(0.0, 2.0)  # else: during the report
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True, env=dict(env, FAULT_STEP=step), start_new_session=True)
        try:
            seen = 0
            for line in proc.stdout:
                if step and line.startswith("publish step "):
                    break
                if not step and " run 2026-10: " in line:
                    seen += 1
                    if seen > lines:
                        time.sleep(delay)
                        break
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGKILL)  # the runner and its kernels
                killed += 1
            proc.wait()
            proc.stdout.close()
    assert killed >= 3  # (a run may end before its kill)
    res = _run(out, small_dir)  # the rerun, of the whole batch
    assert (res.exit_code, res.published) == (0, True)
    _assert_whole(out, base / PERIOD)
