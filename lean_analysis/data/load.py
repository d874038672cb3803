"""Open the canonical tables, check them, return them: ``load``, ``validate``, ``open_tables``.

``load(source)`` returns :class:`~lean_analysis.data.tables.Tables`: one DuckDB connection
with a typed view per canonical table. It opens the source through :mod:`.sources` (a folder
of CSV / Parquet / Excel files, or a DuckDB database file; nothing large is read into
pandas), types each table by :mod:`.sqltypes` and checks it through :mod:`.validate`:

- CSV and Parquet files stay on disk; the view reads them on every query (DuckDB streams
  them, in parallel, reading only the columns a query needs).
- Excel is read once (openpyxl, through pandas) into a DuckDB table.
- A DuckDB database file is attached read-only; the views read its tables.

Every view casts the stored columns to the schema's types (:mod:`.schemas`): text columns
(all identifiers among them) stay text, whatever they look like, so ``007`` stays ``007``;
numbers are DOUBLE (integers BIGINT); dates DATE; booleans from ``true/false/1/0/是/否``
(see ``schemas.TRUE_WORDS``). A value that does not cast is NULL in the view and an error of
validation, which by default runs before ``load`` returns.
"""

from __future__ import annotations

import unicodedata
from pathlib import Path

from lean_analysis.data import checked_copy
from lean_analysis.data.database import is_database_url
from lean_analysis.data.problems import Problem, ValidationError
from lean_analysis.data.schemas import SCHEMAS
from lean_analysis.data.sources import open_source, resolve
from lean_analysis.data.sqltypes import typed_select
from lean_analysis.data.tables import Tables, connect
from lean_analysis.data.validate import check


def load(source: str | Path | None = None, tables: list[str] | None = None,
         validate: bool = True, materialize: bool = False, *,
         memory_limit: str | int | None = None, temp_directory: str | Path | None = None,
         threads: int | None = None) -> Tables:
    """Open the canonical tables at ``source`` and (by default) validate them.

    Parameters
    ----------
    source
        A folder holding each table as ``<name>.csv`` / ``.parquet`` / ``.xlsx`` or a folder
        ``<name>/`` of parts, or a DuckDB database file (``.duckdb`` / ``.db``) holding
        tables of the canonical names. None or "" : ``config.data_dir()``.
    tables
        Load only these tables (and the tables they refer to through foreign keys).
        Default: all that are present.
    validate
        Run every check of :func:`lean_analysis.data.validate` and raise
        :class:`~lean_analysis.data.problems.ValidationError` listing all problems when any
        is an error. Warnings are kept in ``tables.warnings``. With ``validate=False`` values
        that do not cast are NULL in the views.
    materialize
        Copy each (typed) table once into DuckDB's own columnar storage (in memory, spilled
        to DuckDB's temporary directory beyond its ``memory_limit``), so that repeated
        queries do not parse the CSV files again. Default: views read the files.
    memory_limit, temp_directory, threads
        Settings of the DuckDB connection (see :func:`lean_analysis.data.tables.connect`):
        the memory DuckDB may hold (e.g. ``"2GB"``; beyond it, it spills to
        ``temp_directory``) and its threads. Defaults: the environment variables
        ``LEAN_ANALYSIS_DUCKDB_MEMORY_LIMIT``, ``LEAN_ANALYSIS_DUCKDB_TEMP_DIRECTORY``,
        ``LEAN_ANALYSIS_DUCKDB_THREADS``, else DuckDB's defaults (80 % of RAM, all cores)
        and a temporary folder of the connection's own. Validation and ``to_series`` stream
        the files through DuckDB, so a fixed ``memory_limit`` bounds their memory whatever
        the size of the orders.

    Example
    -------
    >>> tables = load("data/sample-county")                      # doctest: +SKIP
    >>> tables.sql("SELECT count(*) AS n FROM orders")           # doctest: +SKIP
    """
    if source is None or str(source) == "":
        from lean_analysis.config import data_dir

        source = data_dir()
    settings = dict(memory_limit=memory_limit, temp_directory=temp_directory, threads=threads)
    t = open_tables(source, tables, **settings)
    if validate:
        try:
            served = _from_checked_copy(t, tables is None, settings)
            if served is True:  # the views read the checked copy; warnings and counts set
                checked = None
            else:  # the checks of all the source's tables (``served``), or of t's own
                checked = served if served is not None else check(t)
        except Exception:
            t.close()
            raise
    if validate and checked is not None:
        problems = checked.problems
        if t.database:
            problems = name_source_rows(t, problems)
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            t.close()
            raise ValidationError(problems, source=t.display_source)
        t.warnings = problems
        for name, n in checked.n_rows.items():  # as the checks counted them (CSV: known only now)
            t.raw[name].n_rows = n
    if materialize:
        for name in t.names:
            t.con.execute(f'CREATE TEMP TABLE "_typed_{name}" AS SELECT * FROM "{name}"')
            t.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM "_typed_{name}"')
    return t


def _from_checked_copy(t: Tables, every: bool, settings: dict):
    """Serve ``t`` from the checked copy of its source (:mod:`.checked_copy`), making that
    copy first when there is none and every table of the source passes the checks.

    Returns True when ``t`` is served from the copy; otherwise (copies turned off, an error
    somewhere in the source) the checks of ``t`` when they were run here (``every``: ``t``
    holds all the source's tables), else None: then the caller checks ``t``."""
    base = checked_copy.root()
    if base is None:
        return None
    full = t if every else open_tables(t.source, None, **settings)
    try:
        name = checked_copy.key(full)
        if checked_copy.attach(t, base / name):
            return True
        checked = check(full)
        if any(p.severity == "error" for p in checked.problems):
            return checked if full is t else None
        folder = checked_copy.keep(full, checked.problems, checked.n_rows, base, name)
        if folder is not None and checked_copy.attach(t, folder):
            return True
        return checked if full is t else None
    finally:
        if full is not t:
            full.close()


def validate(source_or_tables: str | Path | Tables) -> list[Problem]:
    """Check the tables at ``source_or_tables`` (a folder, a DuckDB file, or an open
    :class:`Tables`) and return every problem found; an empty list means all is well.

    Errors break the contract (``load`` refuses the data); warnings do not (an unknown
    column, a missing column that may be empty). An open :class:`Tables` is only read.
    """
    if isinstance(source_or_tables, Tables):
        return check(source_or_tables).problems
    with open_tables(source_or_tables) as t:
        return check(t).problems


def open_tables(source: str | Path, tables: list[str] | None = None, *,
                memory_limit: str | int | None = None, temp_directory: str | Path | None = None,
                threads: int | None = None) -> Tables:
    """Open ``source`` without validating: the typed views plus what was found on the way
    (``tables.load_problems``: missing tables, unreadable files). The connection
    settings are those of :func:`load`."""
    wanted = _with_dependencies(tables)
    db_info = None
    if is_database_url(source):
        src, db_info = read_database(str(source), wanted)
    else:
        src = resolve(source)
    con = connect(memory_limit=memory_limit, temp_directory=temp_directory, threads=threads)
    try:
        opened = open_source(con, src, wanted)
        names = [n for n in SCHEMAS if n in opened.raws]
        for name in names:
            con.execute(f'CREATE VIEW "{name}" AS {typed_select(SCHEMAS[name], opened.raws[name])}')
    except Exception:
        con.close()
        raise
    return Tables(con=con, names=names, source=src, sources=opened.files, raw=opened.raws,
                  load_problems=opened.problems, database=db_info)


def name_source_rows(t: Tables, problems: list[Problem], shown: int = 3) -> list[Problem]:
    """For a database source, say in each problem's message which source table and which
    rows by their key in the database's own column names (the row numbers of the local
    snapshot mean nothing to whoever fixes the database)."""
    import dataclasses

    out = []
    for p in problems:
        meta = (t.database or {}).get("tables", {}).get(p.table)
        if not meta:
            out.append(p)
            continue
        cols = meta.get("columns") or {}
        where = f"source table {meta['source']}"
        if p.rows and t.sources.get(p.table):
            keys = list(SCHEMAS[p.table].key)
            f = t.sources[p.table][0]
            rows = ", ".join(str(int(r) - 1) for r in p.rows[:shown])
            sel = ", ".join(f'CAST("{k}" AS VARCHAR)' for k in keys)
            found = t.con.execute(
                f"SELECT {sel} FROM read_parquet('{f}', file_row_number = true) "
                f"WHERE file_row_number IN ({rows}) ORDER BY file_row_number").fetchall()
            named = ["(" + ", ".join(f"{cols.get(k, k)}={v}" for k, v in zip(keys, r, strict=True)) + ")"
                     for r in found]
            where += f", key {'; '.join(named)}" + (" …" if len(p.rows) > shown else "")
        out.append(dataclasses.replace(p, message=f"{p.message} [{where}]"))
    return out


def read_database(url: str, wanted: list[str]) -> tuple[Path, dict]:
    """Read the tables ``wanted`` of the database at ``url`` into a local Parquet snapshot
    (:func:`lean_analysis.data.database.read_snapshot`); returns (folder, info)."""
    from lean_analysis.data import database

    src = database.parse_url(url)
    return database.read_snapshot(
        src, {n: SCHEMAS[n].column_names for n in wanted},
        optional={n for n in wanted if not SCHEMAS[n].required},
        keep_extra={n for n in wanted if SCHEMAS[n].extra_columns_from})


def _with_dependencies(tables: list[str] | None) -> list[str]:
    if tables is None:
        return list(SCHEMAS)
    if isinstance(tables, str):
        tables = [tables]
    unknown = [t for t in tables if t not in SCHEMAS]
    if unknown:
        raise ValueError(f"unknown table(s) {unknown}; the tables are {', '.join(SCHEMAS)}")
    out = set()
    todo = list(tables)
    while todo:
        name = todo.pop()
        if name in out:
            continue
        out.add(name)
        s = SCHEMAS[name]
        todo += [c.references.split(".")[0] for c in s.columns if c.references]
        if s.extra_columns_from:
            todo.append(s.extra_columns_from)
    return [n for n in SCHEMAS if n in out]


# --------------------------------------------------------------------------- CLI


def _width(s: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in s)


def _pad(s: str, w: int) -> str:
    return s + " " * (w - _width(s))


def _rows_cell(p: Problem) -> str:
    if not p.n_rows:
        return ""
    shown = ", ".join(str(r) for r in p.rows[:3])
    more = p.n_rows - min(len(p.rows), 3)
    return shown + (f" (+{more:,})" if more > 0 else "")


def format_problems(problems: list[Problem]) -> str:
    """The problems as an aligned text table: severity | table | column | rows | rule |
    message."""
    header = ["severity", "table", "column", "rows", "rule", "message"]
    body = [[p.severity, p.table, p.column or "", _rows_cell(p), p.rule, p.message]
            for p in problems]
    widths = [max(_width(r[i]) for r in [header, *body]) for i in range(len(header) - 1)]
    lines = []
    for r in [header, ["-" * w for w in widths] + ["-------"], *body]:
        lines.append("  ".join(_pad(c, w) for c, w in zip(r[:-1], widths, strict=True))
                     + "  " + r[-1])
    return "\n".join(line.rstrip() for line in lines)
