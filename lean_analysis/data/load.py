"""Open a folder of tables (CSV / Parquet / Excel) or a DuckDB database file.

``load(source)`` returns :class:`~lean_analysis.data.tables.Tables`: one DuckDB connection
with a typed view per canonical table. Nothing large is read into pandas:

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

import csv
import datetime as dt
import io
import re
from pathlib import Path

import duckdb
import pandas as pd

from lean_analysis.data.schemas import FALSE_WORDS, SCHEMAS, TRUE_WORDS, TableSchema
from lean_analysis.data.tables import (
    DATABASE_EXTENSIONS,
    POS_FILE_FACTOR,
    RawSource,
    Tables,
    connect,
    scan_folder,
)

# DuckDB types that hold numbers / integers.
_INT_TYPES = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT",
              "UINTEGER", "UBIGINT", "UHUGEINT"}
_FLOAT_TYPES = {"FLOAT", "DOUBLE", "REAL"}
_SQL_TYPES = {"str": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE"}


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
        :class:`~lean_analysis.data.validate.ValidationError` listing all problems when any
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
    t = open_tables(source, tables, memory_limit=memory_limit,
                    temp_directory=temp_directory, threads=threads)
    if validate:
        from lean_analysis.data.validate import ValidationError, run_checks

        try:
            problems = run_checks(t)
        except Exception:
            t.close()
            raise
        errors = [p for p in problems if p.severity == "error"]
        if errors:
            t.close()
            raise ValidationError(problems, source=t.source)
        t.warnings = problems
    if materialize:
        for name in t.names:
            t.con.execute(f'CREATE TEMP TABLE "_typed_{name}" AS SELECT * FROM "{name}"')
            t.con.execute(f'CREATE OR REPLACE VIEW "{name}" AS SELECT * FROM "_typed_{name}"')
    return t


def open_tables(source: str | Path, tables: list[str] | None = None, *,
                memory_limit: str | int | None = None, temp_directory: str | Path | None = None,
                threads: int | None = None) -> Tables:
    """Open ``source`` without validating: the typed views plus what was found on the way
    (``tables.load_problems``: missing tables, unreadable files and rows). The connection
    settings are those of :func:`load`."""
    from lean_analysis.data.validate import Problem

    src = Path(source).expanduser()
    if not src.exists():
        raise FileNotFoundError(f"no data at {src}: expected a folder of tables or a DuckDB file")
    wanted = _with_dependencies(tables)
    con = connect(memory_limit=memory_limit, temp_directory=temp_directory, threads=threads)
    problems: list[Problem] = []
    try:
        if src.is_dir():
            raws, sources = _open_folder(con, src, wanted, problems)
        elif src.suffix.lower() in DATABASE_EXTENSIONS:
            raws, sources = _open_database(con, src, wanted, problems)
        else:
            raise ValueError(
                f"{src} is neither a folder of tables nor a DuckDB file "
                f"({', '.join(DATABASE_EXTENSIONS)}); a single table file is not a data set"
            )
        for name in wanted:
            if name not in raws and SCHEMAS[name].required and not any(
                p.table == name and p.rule in ("one form per table", "readable file") for p in problems
            ):
                where = (
                    f"no {name}.csv, {name}.parquet, {name}.xlsx or folder {name}/ in {src}"
                    if src.is_dir() else f"no table {name} in {src.name}"
                )
                problems.append(Problem(
                    table=name, column=None, rows=[], rule="missing table", severity="error",
                    message=f"Table {name}: the required table is missing ({where}) "
                            "(rule missing table).",
                ))
        names = [n for n in SCHEMAS if n in raws]
        for name in names:
            con.execute(f'CREATE VIEW "{name}" AS {typed_select(SCHEMAS[name], raws[name])}')
    except Exception:
        con.close()
        raise
    return Tables(con=con, names=names, source=src, sources=sources, raw=raws,
                  load_problems=problems)


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


# --------------------------------------------------------------------------- folders


def _open_folder(con, folder: Path, wanted: list[str], problems: list):
    from lean_analysis.data.validate import Problem

    found, conflicts, unknown = scan_folder(folder)
    for name, hits in conflicts.items():
        if name in wanted:
            problems.append(Problem(
                table=name, column=None, rows=[], rule="one form per table", severity="error",
                message=f"Table {name}: it is present in more than one form ("
                        + ", ".join(h.name for h in hits) + "); keep one (rule one form per table).",
            ))
    for p in unknown:
        problems.append(Problem(
            table=p.stem, column=None, rows=[], rule="unknown table", severity="warning",
            message=f"Table {p.stem}: file {p.name} is not a canonical table and is ignored "
                    f"(rule unknown table; the tables are {', '.join(SCHEMAS)}).",
        ))
    raws: dict[str, RawSource] = {}
    sources: dict[str, list[Path]] = {}
    for name in wanted:
        if name not in found:
            continue
        files = found[name]
        ext = files[0].suffix.lower()
        try:
            if ext == ".csv":
                raw = _csv_source(con, name, files, problems)
            elif ext == ".parquet":
                raw = _parquet_source(con, name, files)
            else:
                raw = _excel_source(con, name, files[0])
        except (duckdb.Error, ValueError, OSError, UnicodeError) as e:
            first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
            problems.append(Problem(
                table=name, column=None, rows=[], rule="readable file", severity="error",
                message=f"Table {name}: file {files[0].name} cannot be read: {first} "
                        "(rule readable file).",
            ))
            continue
        raws[name] = raw
        sources[name] = files
    return raws, sources


def _sql_str(s: str | Path) -> str:
    return "'" + str(s).replace("'", "''") + "'"


def _csv_header(path: Path) -> tuple[str, list[str]]:
    """(delimiter, column names) from the header line. The delimiter is the most frequent
    of , TAB ; | in that line (default ,)."""
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ValueError("the file is UTF-16; save it as UTF-8 (Excel: 'CSV UTF-8')")
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    line = text.split("\n", 1)[0]
    counts = {d: line.count(d) for d in (",", "\t", ";", "|")}
    delim = max(counts, key=lambda d: counts[d])
    delim = delim if counts[delim] else ","
    try:
        names = next(csv.reader(io.StringIO(text), delimiter=delim, quotechar='"'))
    except StopIteration:
        raise ValueError("the file is empty (no header row)") from None
    names = [n.strip() or f"column{i + 1}" for i, n in enumerate(names)]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ValueError(f"the header names column(s) {', '.join(dup)} more than once")
    return delim, names


def _csv_options(path: Path) -> str:
    """read_csv options: no sniffing (a bad row in the sample would stop it); the header's
    columns, all read as text."""
    delim, names = _csv_header(path)
    cols = ", ".join(f"{_sql_str(n)}: 'VARCHAR'" for n in names)
    return (f"header=true, auto_detect=false, delim={_sql_str(delim)}, quote='\"', "
            f"escape='\"', columns={{{cols}}}")


def _csv_source(con, name: str, files: list[Path], problems: list) -> RawSource:
    """CSV parts: every column read as text; ``_pos`` numbers the rows of each file in file
    order (DuckDB's CSV reader returns rows in file order, and ``row_number() OVER ()``
    keeps that order). Nothing is read here but the header: validation reads the data."""
    parts: list[str] = []
    headers = [_csv_header(p) for p in files]
    for path, h in zip(files[1:], headers[1:], strict=True):
        if h != headers[0]:
            raise ValueError(f"part {path.name} has other columns or delimiter than "
                             f"{files[0].name}; all parts need the same header")
    columns = {n: "VARCHAR" for n in headers[0][1]}
    opts = [_csv_options(p) for p in files]
    for i, path in enumerate(files):
        scan = f"read_csv({_sql_str(path)}, {opts[i]})"
        parts.append(f"SELECT *, {i} * {POS_FILE_FACTOR} + row_number() OVER () AS _pos FROM {scan}")
    raw_sql = " UNION ALL ".join(f"({p})" for p in parts)
    return RawSource(name=name, kind="csv", files=list(files), raw_sql=raw_sql,
                     plain_sql=f"SELECT * FROM {_csv_scan(files, opts[0])}",
                     columns=columns, n_rows=0, csv_options=opts[0])


def _csv_scan(files: list[Path], opts: str, extra: str = "") -> str:
    lst = _sql_str(files[0]) if len(files) == 1 else "[" + ", ".join(_sql_str(f) for f in files) + "]"
    return f"read_csv({lst}, {opts}{extra})"


def csv_check_source(raw: RawSource, rejects_table: str) -> str:
    """A plain read of a CSV table that records unreadable rows in ``rejects_table``."""
    return "SELECT * FROM " + _csv_scan(
        raw.files, raw.csv_options,
        f", store_rejects=true, rejects_table='{rejects_table}', "
        f"rejects_scan='{rejects_table}_scan'",
    )


def csv_reread(t: Tables, raw: RawSource, rejects_table: str) -> list:
    """After a check scan: report the rows DuckDB could not read; if there are any, read
    each file once more into a temporary table without them (numbering the rows it kept,
    mapped back to file rows through ``raw.skipped_rows``) and point the table's view at it.
    Returns the problems."""
    from lean_analysis.data.validate import Problem, rows_text

    con = t.con
    try:
        rejects = con.execute(
            f"SELECT DISTINCT s.file_path, e.line, e.error_type, e.csv_line "
            f"FROM {rejects_table} e JOIN {rejects_table}_scan s USING (scan_id, file_id) "
            "ORDER BY s.file_path, e.line"
        ).fetchall()
    except duckdb.Error:
        rejects = []
    con.execute(f"DROP TABLE IF EXISTS {rejects_table}")
    con.execute(f"DROP TABLE IF EXISTS {rejects_table}_scan")
    if not rejects:
        return []
    index = {str(f): i for i, f in enumerate(raw.files)}
    problems = []
    skipped: dict[int, set[int]] = {}
    groups: dict[tuple[int, str], list[tuple[int, str]]] = {}
    for path, line, etype, text in rejects:
        i = index.get(str(path), 0)
        skipped.setdefault(i, set()).add(int(line) - 1)
        groups.setdefault((i, etype), []).append((int(line) - 1, text))
    n_cols = len([c for c in raw.columns if c != "_pos"])
    for (i, etype), items in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[1][0][0])):
        rows = sorted({r for r, _ in items})
        fname = raw.files[i].name if len(raw.files) > 1 else None
        where = rows_text(rows[:10], len(rows), file=fname)
        if etype == "INVALID ENCODING":
            detail = "the file is not UTF-8 (probably GBK); save it as UTF-8 (Excel: 'CSV UTF-8')"
        else:
            detail = (f"{etype.lower()}: the row does not have the header's {n_cols} fields, "
                      f"e.g. {items[0][1][:80]!r}")
        problems.append(Problem(
            table=raw.name, column=None, rows=rows[:10], n_rows=len(rows), rule="csv format",
            severity="error", files=[fname] * min(len(rows), 10) if fname else [],
            message=f"Table {raw.name}, {where}: {detail}; these rows are left out of the other "
                    "checks (rule csv format).",
        ))
    parts, plain = [], []
    for i, path in enumerate(raw.files):
        table = f"_csv_{raw.name}_{i}"
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT *, row_number() OVER () AS _r '
            f"FROM read_csv({_sql_str(path)}, {_csv_options(path)}, ignore_errors=true)"
        )
        parts.append(f'SELECT * EXCLUDE (_r), {i} * {POS_FILE_FACTOR} + _r AS _pos FROM "{table}"')
        plain.append(f'SELECT * EXCLUDE (_r) FROM "{table}"')
    raw.raw_sql = " UNION ALL BY NAME ".join(f"({p})" for p in parts)
    raw.plain_sql = " UNION ALL BY NAME ".join(f"({p})" for p in plain)
    raw.skipped_rows = {i: sorted(v) for i, v in skipped.items()}
    if raw.name in t.names:
        con.execute(f'CREATE OR REPLACE VIEW "{raw.name}" AS {typed_select(SCHEMAS[raw.name], raw)}')
    return problems


def _parquet_source(con, name: str, files: list[Path]) -> RawSource:
    lst = "[" + ", ".join(_sql_str(f) for f in files) + "]"
    scan = f"read_parquet({lst}, union_by_name=true)"
    desc = con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()
    columns = {r[0]: r[1] for r in desc}
    if len(files) == 1:
        raw_sql = (f"SELECT * EXCLUDE (file_row_number), file_row_number + 1 AS _pos "
                   f"FROM read_parquet({lst}, file_row_number=true)")
    else:
        raw_sql = (
            f"SELECT * EXCLUDE (file_row_number, filename), "
            f"(list_position({lst}, filename) - 1) * {POS_FILE_FACTOR} + file_row_number + 1 AS _pos "
            f"FROM read_parquet({lst}, file_row_number=true, filename=true, union_by_name=true)"
        )
    n = con.execute(f"SELECT count(*) FROM {scan}").fetchall()[0][0]
    return RawSource(name=name, kind="parquet", files=list(files), raw_sql=raw_sql,
                     plain_sql=f"SELECT * FROM {scan}", columns=columns, n_rows=int(n))


def _excel_text(v) -> str | None:
    """An Excel cell as the text a CSV would hold."""
    if v is None or (isinstance(v, float) and v != v):
        return None
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, dt.datetime):
        ts = pd.Timestamp(v)
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat(sep=" ")
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    s = str(v)
    return s if s.strip() != "" else None


def _excel_source(con, name: str, path: Path) -> RawSource:
    """The first sheet, read once into a DuckDB table of text columns."""
    df = pd.read_excel(path, sheet_name=0, dtype=object, keep_default_na=False, na_values=[],
                       engine="openpyxl")
    df.columns = [str(c) for c in df.columns]
    text = pd.DataFrame({c: [_excel_text(v) for v in df[c]] for c in df.columns}, dtype=object)
    text["_pos"] = range(1, len(text) + 1)
    table = f"_xlsx_{name}"
    con.register("_excel_df", text)
    casts = ", ".join(f'CAST("{c}" AS VARCHAR) AS "{c}"' for c in df.columns)
    sep = ", " if casts else ""
    con.execute(f'CREATE TEMP TABLE "{table}" AS SELECT {casts}{sep}CAST(_pos AS BIGINT) AS _pos '
                "FROM _excel_df")
    con.unregister("_excel_df")
    return RawSource(name=name, kind="xlsx", files=[path], raw_sql=f'SELECT * FROM "{table}"',
                     plain_sql=f'SELECT * EXCLUDE (_pos) FROM "{table}"',
                     columns={c: "VARCHAR" for c in df.columns}, n_rows=len(text))


# --------------------------------------------------------------------------- database


def _open_database(con, path: Path, wanted: list[str], problems: list):
    from lean_analysis.data.validate import Problem

    con.execute(f"ATTACH {_sql_str(path)} AS src (READ_ONLY)")
    present = {
        r[0]: r[1] for r in con.execute(
            "SELECT table_name, table_type FROM information_schema.tables "
            "WHERE table_catalog = 'src' AND table_schema = 'main'"
        ).fetchall()
    }
    for t in sorted(set(present) - set(SCHEMAS)):
        problems.append(Problem(
            table=t, column=None, rows=[], rule="unknown table", severity="warning",
            message=f"Table {t}: it is not a canonical table and is ignored (rule unknown table).",
        ))
    raws: dict[str, RawSource] = {}
    sources: dict[str, list[Path]] = {}
    for name in wanted:
        if name not in present:
            continue
        ref = f'src.main."{name}"'
        desc = con.execute(f"DESCRIBE SELECT * FROM {ref}").fetchall()
        columns = {r[0]: r[1] for r in desc}
        pos = "rowid + 1" if present[name] == "BASE TABLE" else "row_number() OVER ()"
        n = con.execute(f"SELECT count(*) FROM {ref}").fetchall()[0][0]
        raws[name] = RawSource(name=name, kind="duckdb", files=[path],
                               raw_sql=f"SELECT *, {pos} AS _pos FROM {ref}",
                               plain_sql=f"SELECT * FROM {ref}", columns=columns, n_rows=int(n))
        sources[name] = [path]
    return raws, sources


# --------------------------------------------------------------------------- typing


def _base_type(t: str) -> str:
    return re.sub(r"\(.*\)", "", t.upper()).strip()


def is_text_type(t: str) -> bool:
    return _base_type(t) in ("VARCHAR", "TEXT", "STRING")


def is_number_type(t: str) -> bool:
    b = _base_type(t)
    return b in _INT_TYPES or b in _FLOAT_TYPES or b == "DECIMAL"


def clean_expr(ref: str, stored_type: str) -> str:
    """The stored value with empty text as NULL. Text is not trimmed (an identifier with a
    stray space does not match its table: the foreign-key check says so); numbers and
    dates tolerate surrounding spaces, as DuckDB's casts do."""
    return f"NULLIF({ref}, '')" if is_text_type(stored_type) else ref


def typed_expr(dtype: str, ref: str, stored_type: str | None) -> str:
    """SQL turning the stored column ``ref`` (DuckDB type ``stored_type``; None = the
    column is missing) into the schema type ``dtype``; NULL where it does not cast."""
    target = _SQL_TYPES[dtype]
    if stored_type is None:
        return f"CAST(NULL AS {target})"
    b = _base_type(stored_type)
    text = is_text_type(stored_type)
    c = clean_expr(ref, stored_type)
    if dtype == "str":
        return c if text else f"CAST({ref} AS VARCHAR)"
    if dtype == "float":
        if text:
            x = f"TRY_CAST({c} AS DOUBLE)"
        elif is_number_type(stored_type):
            x = f"CAST({ref} AS DOUBLE)"
        else:
            return "CAST(NULL AS DOUBLE)"
        return f"NULLIF({x}, CAST('nan' AS DOUBLE))"
    if dtype == "int":
        if text:
            return (f"CASE WHEN regexp_full_match(trim({c}), '[+-]?[0-9]+(\\.0*)?') "
                    f"THEN TRY_CAST(TRY_CAST({c} AS DOUBLE) AS BIGINT) END")
        if b in _INT_TYPES:
            return f"CAST({ref} AS BIGINT)"
        if is_number_type(stored_type):
            return f"CASE WHEN {ref} = round({ref}) THEN TRY_CAST({ref} AS BIGINT) END"
        return "CAST(NULL AS BIGINT)"
    if dtype == "bool":
        if b == "BOOLEAN":
            return ref
        if b in _INT_TYPES:
            return f"CASE {ref} WHEN 1 THEN true WHEN 0 THEN false END"
        if text:
            t = ", ".join(_sql_str(w) for w in TRUE_WORDS)
            f = ", ".join(_sql_str(w) for w in FALSE_WORDS)
            return (f"CASE WHEN lower(trim({c})) IN ({t}) THEN true "
                    f"WHEN lower(trim({c})) IN ({f}) THEN false END")
        return "CAST(NULL AS BOOLEAN)"
    if dtype == "date":
        if b == "DATE":
            return ref
        if b.startswith("TIMESTAMP"):
            return f"CAST({ref} AS DATE)"
        if text:
            return f"TRY_CAST({c} AS DATE)"
        return "CAST(NULL AS DATE)"
    raise ValueError(f"unknown dtype {dtype!r}")


def column_expr(c, ref: str, stored_type: str | None) -> str:
    """``typed_expr`` of the schema column ``c``, with its synonyms (the users' words, e.g.
    城网) read as the values they stand for (urban); surrounding spaces ignored for them."""
    x = typed_expr(c.dtype, ref, stored_type)
    if not c.synonyms or stored_type is None:
        return x
    cases = " ".join(f"WHEN {_sql_str(w)} THEN {_sql_str(v)}" for w, v in c.synonyms)
    return f"CASE trim({x}) {cases} ELSE {x} END"


def item_columns(schema: TableSchema, raw: RawSource) -> list[str]:
    """Stored columns beyond the schema's, for tables that have them (survey items)."""
    if not schema.extra_columns_from:
        return []
    return [c for c in raw.columns if c not in schema.column_names and c != "_pos"]


def typed_select(schema: TableSchema, raw: RawSource) -> str:
    """The SELECT behind the typed view of one table."""
    cols = []
    for c in schema.columns:
        st = raw.columns.get(c.name)
        cols.append(f'{column_expr(c, f"r.{_q(c.name)}", st)} AS {_q(c.name)}')
    for c in item_columns(schema, raw):
        cols.append(f'{typed_expr("float", f"r.{_q(c)}", raw.columns[c])} AS {_q(c)}')
    return f"SELECT {', '.join(cols)} FROM ({raw.plain_sql}) r"


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
