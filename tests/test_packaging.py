"""The package as users get it: a built wheel holds every data file, and a non-editable
install in a fresh virtual environment runs a report.

The wheel is built from a copy of the repository's files (so the build leaves no ``build/``
behind in the source tree) with ``pip wheel --no-deps --no-build-isolation``: by the running
interpreter when it has the ``[build-system]`` requirements, otherwise by a throw-away build
environment that gets them from the configured package index (skipped if it cannot).

The fresh environment sees the dependencies already installed beside the running interpreter
through a ``.pth`` file that lists their site-packages folder; a path line does not run the
``.pth`` files inside that folder, so the editable ``lean_analysis`` finder stays inactive and
``import lean_analysis`` can only find the installed wheel.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parent.parent
PERIOD = "2026-10"  # the small sample's last full month, as tests/test_runner.py uses
REPORT = "03_satisfaction_survey"

pytestmark = pytest.mark.slow


def _bin(venv: Path, name: str) -> Path:
    return venv / ("Scripts" if os.name == "nt" else "bin") / name


def _python(venv: Path) -> Path:
    return _bin(venv, "python.exe" if os.name == "nt" else "python")


def _run(cmd: list, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([str(c) for c in cmd], capture_output=True, text=True, **kw)


def _check(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, (
        f"{' '.join(proc.args)} exited {proc.returncode}\n"
        f"--- stdout\n{proc.stdout[-4000:]}\n--- stderr\n{proc.stderr[-4000:]}"
    )
    return proc


def _source_files() -> list[str]:
    """The repository's files (tracked, plus new ones git does not ignore), relative paths."""
    proc = _run(["git", "-C", REPO, "ls-files", "-z", "--cached", "--others", "--exclude-standard"])
    if proc.returncode == 0:
        return sorted(p for p in set(proc.stdout.split("\0")) if p and (REPO / p).is_file())
    out = []  # not a git checkout: the package folder and the files the build reads
    for root, dirs, files in os.walk(REPO / "lean_analysis"):
        dirs[:] = [d for d in dirs if d != "__pycache__"]
        out += [(Path(root) / f).relative_to(REPO).as_posix() for f in files]
    return sorted(out + [p for p in ("pyproject.toml", "README.md") if (REPO / p).is_file()])


def _package_data_files() -> list[str]:
    """Every non-Python file of the package source: what the wheel must carry besides code."""
    return [p for p in _source_files()
            if p.startswith("lean_analysis/") and not p.endswith((".py", ".pyc"))]


def _has_build_requirements() -> bool:
    requires = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
        "build-system"]["requires"]
    for spec in map(Requirement, requires):
        try:
            if not spec.specifier.contains(metadata.version(spec.name), prereleases=True):
                return False
        except metadata.PackageNotFoundError:
            return False
    return True


def _clean_env(**extra: str) -> dict[str, str]:
    """os.environ without whatever would put the repository's source on the path."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "PYTHONUSERBASE",
                        "LEAN_ANALYSIS_HOME", "LEAN_ANALYSIS_DATA", "VIRTUAL_ENV",
                        "COVERAGE_PROCESS_START", "COVERAGE_PROCESS_CONFIG")}
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    env.update(extra)
    return env


@pytest.fixture(scope="module")
def built_wheel(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("wheel")
    src = tmp / "src"
    for rel in _source_files():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(REPO / rel, src / rel)
    if _has_build_requirements():
        builder = Path(sys.executable)
    else:  # e.g. a venv without `wheel`: a throw-away build environment gets them
        requires = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))[
            "build-system"]["requires"]
        build_venv = tmp / "build-venv"
        _check(_run([sys.executable, "-m", "venv", "--without-pip", build_venv]))
        builder = _python(build_venv)
        proc = _run([sys.executable, "-m", "pip", "--python", builder, "install", "--quiet",
                     *requires], env=_clean_env())
        if proc.returncode != 0:
            pytest.skip(f"the build requirements {requires} are not in this environment and "
                        f"could not be installed into a build environment:\n{proc.stderr[-2000:]}")
    out = tmp / "dist"
    _check(_run([sys.executable, "-m", "pip", "--python", builder, "wheel", "--no-deps",
                 "--no-build-isolation", "--quiet", "-w", out, src], env=_clean_env(), cwd=tmp))
    wheels = list(out.glob("lean_analysis-*.whl"))
    assert len(wheels) == 1, wheels
    return wheels[0]


def test_wheel_holds_every_package_data_file(built_wheel):
    expected = _package_data_files()
    assert "lean_analysis/data/TABLES.md" in expected  # the walk sees the data files
    assert any(p.startswith("lean_analysis/report/locales/") for p in expected)
    with zipfile.ZipFile(built_wheel) as z:
        names = set(z.namelist())
    missing = [p for p in expected if p not in names]
    assert missing == [], f"not in the wheel (add a pattern to [tool.setuptools.package-data]): {missing}"
    modules = [p for p in _source_files() if p.startswith("lean_analysis/") and p.endswith(".py")]
    assert [p for p in modules if p not in names] == []
    assert [n for n in names if "__pycache__" in n or n.endswith(".pyc")] == []


@pytest.fixture(scope="module")
def fresh_venv(built_wheel, tmp_path_factory) -> Path:
    """A new venv with the wheel installed (not editable) and, through a .pth path line, the
    dependencies of the running interpreter's environment."""
    venv = tmp_path_factory.mktemp("fresh") / "venv"
    _check(_run([sys.executable, "-m", "venv", "--without-pip", venv]))
    py = _python(venv)
    site = _check(_run([py, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                       env=_clean_env())).stdout.strip()
    here = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    Path(site, "zz_lean_analysis_test_deps.pth").write_text(
        "".join(f"{p}\n" for p in here), encoding="utf-8")
    # --ignore-installed: the dependencies' folder holds the editable install's dist-info;
    # never touch it, just install the wheel into the fresh venv
    _check(_run([sys.executable, "-m", "pip", "--python", py, "install", "--no-deps", "--no-index",
                 "--ignore-installed", "--no-compile", "--quiet", built_wheel], env=_clean_env()))
    return venv


@pytest.fixture(scope="module")
def project(tmp_path_factory) -> Path:
    """A project folder with copies of notebooks/ and params/ only (no lean_analysis/)."""
    home = tmp_path_factory.mktemp("project")
    for name in ("notebooks", "params"):
        shutil.copytree(REPO / name, home / name)
    return home


def test_installed_package_is_the_wheel(fresh_venv, project):
    code = ("import lean_analysis, lean_analysis.report.texts as t; "
            "print(lean_analysis.__file__); print(len(t.keys()))")
    out = _check(_run([_python(fresh_venv), "-c", code], cwd=project,
                      env=_clean_env(LEAN_ANALYSIS_HOME=str(project)))).stdout.split()
    path = Path(out[0]).resolve()
    assert path.is_relative_to(fresh_venv.resolve()), path
    assert not path.is_relative_to(REPO), path
    assert int(out[1]) > 0  # the text catalogues were installed


def _jupyter_path() -> str:
    """The running environment's Jupyter data folder (nbconvert's base templates live there,
    installed as data files, which the .pth line does not bring into the fresh venv)."""
    share = Path(sysconfig.get_paths()["data"], "share", "jupyter")
    return os.pathsep.join([str(share), *filter(None, [os.environ.get("JUPYTER_PATH")])])


def test_installed_cli_writes_sample_and_runs_a_report(fresh_venv, project, tmp_path):
    env = _clean_env(LEAN_ANALYSIS_HOME=str(project), JUPYTER_PATH=_jupyter_path())
    cli = _bin(fresh_venv, "lean-analysis")
    data = tmp_path / "data"
    _check(_run([cli, "sample", "--size", "small", "--out", data], cwd=project, env=env))
    assert (data / "truth.json").is_file()
    _check(_run([cli, "run", "params/monthly.yaml", "--period", PERIOD, "--data", data,
                 "--only", REPORT], cwd=project, env=env))
    html = project / "outputs" / PERIOD / f"{REPORT}.html"
    assert html.is_file() and html.stat().st_size > 0
    assert (project / "outputs" / PERIOD / "index.html").is_file()
