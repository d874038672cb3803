"""Batch files, notebook parameters and the checks the runner makes before any kernel starts.

A batch file (``params/monthly.yaml``) lists the reports in order::

    defaults:
      lang: zh
    reports:
      - name: 01_demand_forecast_backtest       # the notebook's stem
        notebook: notebooks/01_demand_forecast_backtest.ipynb   # optional, this is the default
        params: params/01_demand_forecast_backtest.yaml         # optional, this is the default
        tables: [manager_forecasts]             # optional: tables the report needs beyond
                                                #   customers, products, orders
        months: [6, 12]                         # optional: run only in these months
        runs_last: true                         # optional: after every other report
        scorecard: true                         # optional: its metrics give the index headline

Paths are relative to the project folder (``config.PROJECT_ROOT``).

A notebook's parameters are the assignments of its cell tagged ``parameters`` (literal values;
an annotation such as ``n_windows: int = 12`` fixes the type). A report's params file may set
only those names, with values of the same type (an int is accepted for a float; ``None`` as a
default accepts anything). ``period``, ``data_dir``, ``lang`` and ``output_dir`` are the common
parameters: every notebook declares them and the runner sets them (``lang`` from ``--lang``,
else the params file, else the batch default).
"""

from __future__ import annotations

import ast
import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from lean_analysis import config
from lean_analysis.redact import mask_secrets  # re-exported: runner, tests

COMMON_PARAMETERS = ("period", "data_dir", "lang", "output_dir")
REPORT_KEYS = {"name", "notebook", "params", "tables", "months", "runs_last", "scorecard", "title"}
BATCH_KEYS = {"defaults", "reports"}
DEFAULT_KEYS = {"lang"}
_TYPES: dict[str, type] = {
    "str": str, "int": int, "float": float, "bool": bool, "list": list, "dict": dict,
}


class ParamError(ValueError):
    """A batch/params/data problem found before any kernel starts. The message names the
    file and the key."""

    def __init__(self, file: Any, key: str | None, message: str):
        self.file = str(file) if file is not None else None
        self.key = key
        self.detail = message
        where = self.file or ""
        if key is not None:
            name = key if key.startswith("--") else f"key {key!r}"  # an option of the command
            where += f": {name}" if where else name
        super().__init__(f"{where}: {message}" if where else message)


# --------------------------------------------------------------------------- paths
def rel(path: Path | str) -> str:
    """``path`` relative to the project folder when it is inside it (for messages)."""
    p = Path(path)
    try:
        return p.resolve().relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(p)


def _resolve(path: str | Path, base: Path) -> Path:
    p = Path(path)
    return p if p.is_absolute() else (base / p)


# --------------------------------------------------------------------------- notebook parameters
@dataclass(frozen=True)
class NotebookParameter:
    """A parameter of a notebook's ``parameters`` cell.

    Beside the type (the annotation, else the default's type), the line's comment may end
    with the allowed values in braces, ``unit = "case"  # quantity {case, carton}``, or a
    closed range in brackets, ``n_windows = 12  # backtest windows [1, 120]`` (either end may
    be left empty: ``[1, ]``). For a list, the allowed values apply to each element, and a
    non-empty default list of one element type (``["area", "tier_band"]``) fixes the
    elements' type.
    """

    name: str
    types: tuple[str, ...]  # allowed type names ("str", "int", ... , "None"); () = any
    default: Any
    help: str = ""
    choices: tuple[Any, ...] | None = None
    bounds: tuple[float | None, float | None] | None = None
    item_type: str | None = None

    @property
    def type_name(self) -> str:
        return " | ".join(self.types) if self.types else "any"


_CHOICES = re.compile(r"\{([^{}]*)\}\s*$")
_BOUNDS = re.compile(r"\[\s*(-?[0-9.eE+]*)\s*,\s*(-?[0-9.eE+]*)\s*\]\s*$")


def _declared_rule(comment: str) -> tuple[str, tuple | None, tuple | None]:
    """(help text, choices, bounds) of a parameter line's comment."""
    m = _CHOICES.search(comment)
    if m:
        items = tuple(x.strip().strip("'\"") for x in m.group(1).split(","))
        return comment[:m.start()].strip(), items, None
    m = _BOUNDS.search(comment)
    if m and (m.group(1) or m.group(2)):
        lo, hi = (float(x) if x else None for x in m.groups())
        return comment[:m.start()].strip(), None, (lo, hi)
    return comment, None, None


def _type_name(value: Any) -> str:
    if value is None:
        return "None"
    for name, tp in _TYPES.items():
        if type(value) is tp:
            return name
    return type(value).__name__


def _annotation_types(node: ast.AST) -> tuple[str, ...]:
    if isinstance(node, ast.Constant) and node.value is None:
        return ("None",)
    if isinstance(node, ast.Name):
        return (node.id,) if node.id in _TYPES or node.id == "None" else ()
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        left, right = _annotation_types(node.left), _annotation_types(node.right)
        return left + right if left and right else ()
    if isinstance(node, ast.Subscript) and isinstance(node.value, ast.Name):
        base = node.value.id
        if base == "Optional":
            inner = _annotation_types(node.slice)
            return inner + ("None",) if inner else ()
        if base in ("list", "List"):
            return ("list",)
        if base in ("dict", "Dict"):
            return ("dict",)
    return ()


def parameters_cell(nb) -> Any | None:
    """The notebook's first cell tagged ``parameters`` (or None)."""
    for cell in nb.cells:
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def notebook_parameters(path: Path | str) -> dict[str, NotebookParameter]:
    """The parameters declared in the ``parameters`` cell of the notebook at ``path``."""
    import nbformat

    path = Path(path)
    nb = nbformat.read(path, as_version=4)
    cell = parameters_cell(nb)
    if cell is None:
        raise ParamError(rel(path), None, "the notebook has no cell tagged 'parameters'")
    source = cell.source if isinstance(cell.source, str) else "".join(cell.source)
    try:
        tree = ast.parse(source)
    except SyntaxError as e:
        raise ParamError(rel(path), None, f"the parameters cell is not valid Python: {e}") from None
    lines = source.splitlines()
    out: dict[str, NotebookParameter] = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
            name, value_node, ann = node.targets[0].id, node.value, None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value is not None:
            name, value_node, ann = node.target.id, node.value, node.annotation
        else:
            continue
        try:
            default = ast.literal_eval(value_node)
        except ValueError:
            raise ParamError(rel(path), name,
                             "the parameters cell must assign a literal value (str, number, "
                             "bool, None, list or dict)") from None
        if ann is not None and _annotation_types(ann):
            types = _annotation_types(ann)
        elif default is None:
            types = ()
        else:
            types = (_type_name(default),)
        comment = lines[node.lineno - 1].split("#", 1)[1].strip() if "#" in lines[node.lineno - 1] else ""
        text, choices, bounds = _declared_rule(comment)
        item_types = {_type_name(v) for v in default} if isinstance(default, list) else set()
        item_type = item_types.pop() if len(item_types) == 1 else None
        out[name] = NotebookParameter(name, types, default, text, choices, bounds, item_type)
    return out


def _fits(types: tuple[str, ...], value: Any) -> bool:
    got = _type_name(value)
    return got in types or (got == "int" and "float" in types)


def check_value(param: NotebookParameter, value: Any) -> str | None:
    """Why ``value`` does not fit ``param`` (None when it fits): its type, the type of a
    list's elements, the allowed values, the range."""
    if param.types and not _fits(param.types, value):
        hint = ""
        if isinstance(value, dt.date):
            hint = " (YAML read an unquoted date: write it in quotes, e.g. '2026-03-01')"
        return f"expected {param.type_name}, got {_type_name(value)} {value!r}{hint}"
    items = value if isinstance(value, list) else [value]
    if isinstance(value, list) and param.item_type:
        bad = [v for v in value if not _fits((param.item_type,), v)]
        if bad:
            return f"expected a list of {param.item_type}, got {bad[0]!r} in {value!r}"
    if param.choices is not None:
        bad = [v for v in items if str(v) not in param.choices or isinstance(v, list | dict)]
        if bad:
            allowed = ", ".join(repr(c) for c in param.choices)
            return f"{bad[0]!r} is not allowed (allowed: {allowed})"
    if param.bounds is not None:
        lo, hi = param.bounds
        for v in items:
            if isinstance(v, bool) or not isinstance(v, int | float):
                continue
            if (lo is not None and v < lo) or (hi is not None and v > hi):
                rng = f"[{'' if lo is None else f'{lo:g}'}, {'' if hi is None else f'{hi:g}'}]"
                return f"{v!r} is out of range {rng}"
    return None


# --------------------------------------------------------------------------- batch
@dataclass
class ReportSpec:
    name: str
    notebook: Path
    params_file: Path | None
    tables: list[str] = field(default_factory=list)
    months: list[int] | None = None
    runs_last: bool = False
    scorecard: bool = False
    title: dict[str, str] | None = None

    def runs_in(self, month: int) -> bool:
        return self.months is None or month in self.months


@dataclass
class Batch:
    path: Path
    reports: list[ReportSpec]
    defaults: dict[str, Any]

    def names(self) -> list[str]:
        return [r.name for r in self.reports]

    def get(self, name: str) -> ReportSpec:
        for r in self.reports:
            if r.name == name:
                return r
        raise ParamError(rel(self.path), "reports",
                         f"no report named {name!r} (have: {', '.join(self.names())})")


class _UniqueKeyLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a key written twice in one mapping (plain YAML
    keeps the last value without a word)."""

    def construct_mapping(self, node, deep=False):
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise ParamError(None, str(key), f"written twice (lines {seen[key]} and {line})")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


def load_yaml_text(text: str, file: str) -> Any:
    """Parse YAML ``text`` of ``file`` (a key written twice is an error naming both lines)."""
    try:
        return yaml.load(text, Loader=_UniqueKeyLoader)  # noqa: S506 - a SafeLoader subclass
    except ParamError as e:
        raise ParamError(file, e.key, e.detail) from None
    except yaml.YAMLError as e:
        raise ParamError(file, None, f"not valid YAML: {e}") from None


def _load_yaml(path: Path, what: str) -> Any:
    if not path.exists():
        raise ParamError(rel(path), None, f"{what} does not exist")
    return load_yaml_text(path.read_text(encoding="utf-8"), rel(path))


def load_batch(path: Path | str | None = None, root: Path | None = None) -> Batch:
    """Read and check a batch file (default ``params/monthly.yaml``)."""
    from lean_analysis.data.schemas import SCHEMAS

    path = Path(path) if path else config.BATCH_FILE
    root = root or config.PROJECT_ROOT
    doc = _load_yaml(path, "the batch file")
    f = rel(path)
    if not isinstance(doc, dict):
        raise ParamError(f, None, "a batch file is a mapping with 'reports' (and 'defaults')")
    for k in doc:
        if k not in BATCH_KEYS:
            raise ParamError(f, k, f"unknown key (known: {', '.join(sorted(BATCH_KEYS))})")
    defaults = doc.get("defaults") or {}
    if not isinstance(defaults, dict):
        raise ParamError(f, "defaults", "must be a mapping")
    for k, v in defaults.items():
        if k not in DEFAULT_KEYS:
            raise ParamError(f, f"defaults.{k}", f"unknown key (known: {', '.join(sorted(DEFAULT_KEYS))})")
        if k == "lang" and v not in ("zh", "en"):
            raise ParamError(f, "defaults.lang", f"must be zh or en, not {v!r}")
    entries = doc.get("reports")
    if not isinstance(entries, list) or not entries:
        raise ParamError(f, "reports", "must be a non-empty list of reports")
    reports: list[ReportSpec] = []
    for i, e in enumerate(entries):
        if not isinstance(e, dict) or not isinstance(e.get("name"), str) or not e["name"]:
            raise ParamError(f, f"reports[{i}]", "each report is a mapping with a 'name'")
        name = e["name"]
        if not re.fullmatch(r"[A-Za-z0-9_.-]+", name):
            raise ParamError(f, f"reports[{i}].name", f"{name!r}: use letters, digits, _ . - only")
        for k in e:
            if k not in REPORT_KEYS:
                raise ParamError(f, f"{name}.{k}", f"unknown key (known: {', '.join(sorted(REPORT_KEYS))})")
        nb = _resolve(e.get("notebook") or f"notebooks/{name}.ipynb", root)
        if "params" in e and e["params"] is None:
            params_file = None
        else:
            params_file = _resolve(e.get("params") or f"params/{name}.yaml", root)
            if "params" not in e and not params_file.exists():
                params_file = None  # no params file: the notebook's defaults
        tables = e.get("tables") or []
        if not isinstance(tables, list) or any(tb not in SCHEMAS for tb in tables):
            raise ParamError(f, f"{name}.tables",
                             f"must list canonical tables ({', '.join(SCHEMAS)}), got {tables!r}")
        months = e.get("months")
        if months is not None and (
            not isinstance(months, list) or not months
            or any(not isinstance(m, int) or isinstance(m, bool) or not 1 <= m <= 12 for m in months)
        ):
            raise ParamError(f, f"{name}.months", f"must be a list of month numbers 1–12, got {months!r}")
        for flag in ("runs_last", "scorecard"):
            if not isinstance(e.get(flag, False), bool):
                raise ParamError(f, f"{name}.{flag}", "must be true or false")
        title = e.get("title")
        if title is not None and not (isinstance(title, dict) and set(title) <= {"zh", "en"}):
            raise ParamError(f, f"{name}.title", "must be a mapping {zh: ..., en: ...}")
        if name in [r.name for r in reports]:
            raise ParamError(f, f"reports[{i}].name", f"{name!r} is listed twice")
        reports.append(ReportSpec(name, nb, params_file, list(tables), months,
                                  bool(e.get("runs_last", False)), bool(e.get("scorecard", False)), title))
    return Batch(path, reports, dict(defaults))


def load_report_params(spec: ReportSpec) -> dict[str, Any]:
    """The report's params file as a mapping (empty when it has none)."""
    if spec.params_file is None:
        return {}
    doc = _load_yaml(spec.params_file, f"the params file of report {spec.name!r}")
    if doc is None:
        return {}
    if not isinstance(doc, dict):
        raise ParamError(rel(spec.params_file), None, "a params file is a mapping name: value")
    return doc


def check_report(spec: ReportSpec, batch_file: Path) -> tuple[dict[str, NotebookParameter], dict[str, Any]]:
    """Check one report: its notebook exists and declares the common parameters; its params
    file sets only known keys with matching types. Returns (declared parameters, params)."""
    if not spec.notebook.exists():
        raise ParamError(rel(batch_file), f"{spec.name}.notebook",
                         f"the notebook {rel(spec.notebook)} does not exist")
    declared = notebook_parameters(spec.notebook)
    missing = [c for c in COMMON_PARAMETERS if c not in declared]
    if missing:
        raise ParamError(rel(spec.notebook), missing[0],
                         f"the parameters cell must declare the common parameters "
                         f"{', '.join(COMMON_PARAMETERS)} (missing: {', '.join(missing)})")
    values = load_report_params(spec)
    pf = rel(spec.params_file) if spec.params_file else rel(batch_file)
    for k, v in values.items():
        if k not in declared:
            raise ParamError(pf, k, f"unknown parameter: the parameters cell of {rel(spec.notebook)} "
                                    f"declares {', '.join(declared)}")
        why = check_value(declared[k], v)
        if why:
            raise ParamError(pf, k, f"wrong type: {why}")
    if "lang" in values and values["lang"] not in ("zh", "en"):
        raise ParamError(pf, "lang", f"must be zh or en, not {values['lang']!r}")
    return declared, values


# --------------------------------------------------------------------------- data
@dataclass
class DataInfo:
    """What the runner learns about the data before any kernel starts."""

    path: Path  # what the notebooks read: the folder or DuckDB file (a database: its snapshot)
    kind: str  # "folder" | "duckdb" | "database"
    tables: list[str]
    first_week: dt.date | None
    last_week: dt.date | None
    fingerprint: str = ""
    source: str | None = None  # a database: its URL without password

    @property
    def display_path(self) -> str:
        return mask_secrets(self.source if self.source else rel(self.path))


def inspect_data(path: Path | str, option: str = "--data") -> DataInfo:
    """The tables present at ``path`` (a folder of tables or a DuckDB file), the first and
    last order week and the data fingerprint, through :func:`lean_analysis.data.load.open_tables`
    (DuckDB views over the files; nothing is loaded into memory, nothing validated)."""
    import duckdb
    import pandas as pd

    from lean_analysis.data.database import SourceError, is_database_url
    from lean_analysis.data.load import open_tables

    text = str(path)
    if is_database_url(text):
        try:  # one snapshot of the database for the whole run: every report reads it
            tables = open_tables(text)
        except SourceError as e:
            raise ParamError(None, option, str(e)) from None
        except (ValueError, OSError, duckdb.Error) as e:
            raise ParamError(None, option, f"{mask_secrets(text)}: {mask_secrets(str(e))}") from None
        p = tables.source
    elif "://" in text:
        raise ParamError(None, option, f"{mask_secrets(text)}: not a database URL this tool reads "
                                       "(postgresql://, mysql://, mariadb://); give a folder of "
                                       "tables, a DuckDB file or one of those URLs")
    else:
        p = Path(path).expanduser().resolve()
        if not p.exists():
            raise ParamError(None, option, f"{rel(p)} does not exist (make a sample with "
                                           "`lean-analysis sample` or point --data at an export)")
        try:
            tables = open_tables(p)
        except (ValueError, OSError, duckdb.Error) as e:
            raise ParamError(None, option, f"{rel(p)}: {e}") from None
    try:
        names = list(tables.names)
        first = last = None
        if "orders" in names:
            try:
                row = tables.sql("SELECT min(week) AS lo, max(week) AS hi FROM orders")
            except duckdb.Error as e:
                raise ParamError(f"{rel(p)} (orders)", "week",
                                 f"cannot read the order weeks: {e}") from None
            lo, hi = row["lo"].iloc[0], row["hi"].iloc[0]
            first = None if pd.isna(lo) else pd.Timestamp(lo).date()
            last = None if pd.isna(hi) else pd.Timestamp(hi).date()
        fingerprint = tables.fingerprint
    finally:
        tables.close()
    if tables.database:
        return DataInfo(p, "database", names, first, last, fingerprint, tables.database["source"])
    return DataInfo(p, "folder" if p.is_dir() else "duckdb", names, first, last, fingerprint)


def period_mondays(period) -> tuple[dt.date, dt.date]:
    """First and last Monday of a month as dates (:func:`lean_analysis.calendar.month_mondays`:
    a week belongs to the month of its Monday)."""
    from lean_analysis.calendar import month_mondays

    first, last = month_mondays(str(period))
    return first.date(), last.date()


def check_period(info: DataInfo, period) -> None:
    """The order weeks must span the period: its first and last Monday lie within them."""
    if info.first_week is None:
        raise ParamError(info.display_path, "orders", "the orders table is missing or empty")
    lo, hi = period_mondays(period)
    first, last = _as_date(info.first_week), _as_date(info.last_week)
    if lo < first or hi > last:
        raise ParamError(None, "--period",
                         f"{period} is not covered by the data in {info.display_path}: its "
                         f"order weeks run {lo} .. {hi}, but orders.week runs {first} .. {last}")


def _as_date(v) -> dt.date:
    return v.date() if isinstance(v, dt.datetime) else v


def check_tables(info: DataInfo, required: list[str], file: str, key: str) -> None:
    missing = [t for t in required if t not in info.tables]
    if missing:
        raise ParamError(file, key, f"table(s) {', '.join(missing)} missing from the data in "
                                    f"{info.display_path} (have: {', '.join(info.tables) or 'none'})")


# --------------------------------------------------------------------------- targets
def load_targets(path: Path | str | None = None) -> dict[str, dict[str, Any]]:
    """The yearly targets (``params/targets.yaml``): name -> ``{value, unit, direction, ...}``,
    the form :func:`lean_analysis.kpis.scorecard` takes."""
    path = Path(path) if path else config.TARGETS_FILE
    doc = _load_yaml(path, "the targets file") or {}
    targets = doc.get("targets") if isinstance(doc, dict) else None
    if not isinstance(targets, dict) or not targets:
        raise ParamError(rel(path), "targets", "must map each target's name to its settings")
    for name, spec in targets.items():
        value = spec.get("value") if isinstance(spec, dict) else None
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise ParamError(rel(path), f"targets.{name}.value", "must be a number")
        if spec.get("direction", ">=") not in (">=", ">", "<=", "<"):
            raise ParamError(rel(path), f"targets.{name}.direction", "must be >=, >, <= or <")
        if not isinstance(spec.get("unit"), str):
            raise ParamError(rel(path), f"targets.{name}.unit", "must be given (e.g. share, index)")
    return targets
