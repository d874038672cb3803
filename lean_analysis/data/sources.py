"""The readers: a folder of tables (CSV / Parquet / Excel) or a DuckDB database file, each
table opened as a :class:`RawSource` on a DuckDB connection. Nothing large is read here:

- CSV and Parquet files stay on disk; the view reads them on every query (DuckDB streams
  them, in parallel, reading only the columns a query needs). Of a CSV file only the header
  is read here.
- Excel is read once (openpyxl, through pandas) into a DuckDB table.
- A DuckDB database file is attached read-only; the views read its tables.

:func:`open_source` is the one dispatcher: :func:`source_kind` names the kind of a source
and :data:`_READERS` maps each kind to one small function ``(con, source, wanted) ->
Opened``. Another kind (say a PostgreSQL or MySQL database read through Arrow) is one more
such function, one more entry in ``_READERS`` and one more case in ``source_kind``. Inside
a folder, each file form has its reader in :data:`_FILE_READERS` in the same way.

Every column is read as stored (CSV and Excel: text); :mod:`.sqltypes` types them.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from lean_analysis.data.problems import Problem
from lean_analysis.data.schemas import SCHEMAS
from lean_analysis.data.sqltypes import _sql_str

TABLE_EXTENSIONS = (".parquet", ".csv", ".xlsx")
DATABASE_EXTENSIONS = (".duckdb", ".db")

# A row position packs the file index (for tables split into parts) and the 1-based data row:
# _pos = file_index * POS_FILE_FACTOR + row. A single-file table has _pos == row.
POS_FILE_FACTOR = 1 << 40


@dataclass
class RawSource:
    """One table as stored: how to read it, and what its file(s) hold."""

    name: str
    kind: str  # "csv" | "parquet" | "xlsx" | "duckdb"
    files: list[Path]
    raw_sql: str  # a SELECT giving the stored columns plus _pos (BIGINT row position)
    plain_sql: str  # a SELECT giving the stored columns only (what the typed view reads)
    columns: dict[str, str]  # stored column name -> DuckDB type, in file order
    # rows in the file(s); for CSV not counted on opening (0): validation counts them, and
    # ``load`` records that count here once it has validated the tables
    n_rows: int = 0
    csv_options: str = ""  # read_csv options (CSV only)
    # data rows (per file index) that the CSV reader could not read: kept so that the row
    # numbers of the remaining rows can be mapped back to the file (see ``file_row``); set
    # only on the copy that :func:`csv_without_rows` returns
    skipped_rows: dict[int, list[int]] = field(default_factory=dict)

    def locate(self, pos: int) -> tuple[str | None, int]:
        """(file name or None for a single-file table, 1-based data row in that file)."""
        i, row = divmod(int(pos), POS_FILE_FACTOR)
        row = self.file_row(i, row)
        return (self.files[i].name if len(self.files) > 1 else None), row

    def file_row(self, file_index: int, kept_row: int) -> int:
        """Map the row number among the rows DuckDB could read back to the row in the file."""
        row = kept_row
        for skipped in sorted(self.skipped_rows.get(file_index, [])):
            if skipped <= row:
                row += 1
        return row


@dataclass
class Opened:
    """What a reader found: the tables it opened, their files, the problems on the way."""

    raws: dict[str, RawSource]
    files: dict[str, list[Path]]  # table -> the file(s) it was read from (the fingerprint's)
    problems: list[Problem]
    # where a missing table was looked for, for its problem: name -> text
    looked_for: Callable[[str], str]


# --------------------------------------------------------------------------- dispatch


def resolve(source: str | Path) -> Path:
    """The path of ``source``; FileNotFoundError when there is nothing there."""
    src = Path(source).expanduser()
    if not src.exists():
        raise FileNotFoundError(f"no data at {src}: expected a folder of tables or a DuckDB file")
    return src


def source_kind(src: Path) -> str:
    """The kind of ``src``, a key of :data:`_READERS`; ValueError for anything else."""
    if src.is_dir():
        return "folder"
    if src.suffix.lower() in DATABASE_EXTENSIONS:
        return "duckdb"
    raise ValueError(
        f"{src} is neither a folder of tables nor a DuckDB file "
        f"({', '.join(DATABASE_EXTENSIONS)}); a single table file is not a data set"
    )


def open_source(con: duckdb.DuckDBPyConnection, src: Path, wanted: list[str]) -> Opened:
    """Open the tables ``wanted`` of ``src`` on ``con`` with the reader of its kind; a
    required table that is absent (and not already reported as unreadable or present in
    more than one form) is a problem of its own."""
    opened = _READERS[source_kind(src)](con, src, wanted)
    for name in wanted:
        if name not in opened.raws and SCHEMAS[name].required and not any(
            p.table == name and p.rule in ("one form per table", "readable file")
            for p in opened.problems
        ):
            opened.problems.append(Problem(
                table=name, column=None, rows=[], rule="missing table", severity="error",
                message=f"Table {name}: the required table is missing ({opened.looked_for(name)}) "
                        "(rule missing table).",
            ))
    return opened


# --------------------------------------------------------------------------- folders


def scan_folder(folder: Path) -> tuple[dict[str, list[Path]], dict[str, list[Path]], list[Path]]:
    """(found, conflicts, unknown) for a folder of tables.

    ``found`` maps each canonical table present in exactly one form to its file(s);
    ``conflicts`` the tables present in more than one form (e.g. orders.csv and
    orders.parquet) to those forms; ``unknown`` lists table-like files whose name is not a
    canonical table (a typo such as ``order.csv``).
    """
    folder = Path(folder)
    found: dict[str, list[Path]] = {}
    conflicts: dict[str, list[Path]] = {}
    for name in SCHEMAS:
        hits = [folder / f"{name}{ext}" for ext in TABLE_EXTENSIONS if (folder / f"{name}{ext}").is_file()]
        part_dir = folder / name
        if part_dir.is_dir():
            parts = sorted(part_dir.glob("*.parquet")) or sorted(part_dir.glob("*.csv"))
            if parts:
                hits.append(part_dir)
        if len(hits) > 1:
            conflicts[name] = hits
        elif hits:
            h = hits[0]
            found[name] = (sorted(h.glob("*.parquet")) or sorted(h.glob("*.csv"))) if h.is_dir() else [h]
    unknown = sorted(
        p for p in folder.iterdir()
        if p.is_file() and p.suffix.lower() in TABLE_EXTENSIONS and p.stem not in SCHEMAS
        and not p.name.startswith((".", "~$"))
    )
    return found, conflicts, unknown


def find_table_files(folder: Path) -> dict[str, list[Path]]:
    """Map each canonical table name to its file(s) in ``folder``.

    A table is ``<name>.csv``, ``<name>.parquet`` or ``<name>.xlsx``, or a folder
    ``<name>/`` of Parquet/CSV parts. Two formats of one table is an error.
    """
    found, conflicts, _ = scan_folder(folder)
    if conflicts:
        name, hits = next(iter(conflicts.items()))
        raise ValueError(
            f"table {name!r} is present in more than one form in {folder}: "
            + ", ".join(p.name for p in hits)
        )
    return found


def _open_folder(con, folder: Path, wanted: list[str]) -> Opened:
    """A folder of tables: each table's file(s) read by the reader of its form."""
    problems: list[Problem] = []
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
        reader = _FILE_READERS[files[0].suffix.lower()]
        try:
            raw = reader(con, name, files)
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
    return Opened(raws=raws, files=sources, problems=problems,
                  looked_for=lambda name: f"no {name}.csv, {name}.parquet, {name}.xlsx or "
                                          f"folder {name}/ in {folder}")


# --------------------------------------------------------------------------- CSV


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


def _csv_source(con, name: str, files: list[Path]) -> RawSource:
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
    """A plain read of a CSV table that records unreadable rows in ``rejects_table`` (and
    the scans in ``<rejects_table>_scan``)."""
    return "SELECT * FROM " + _csv_scan(
        raw.files, raw.csv_options,
        f", store_rejects=true, rejects_table='{rejects_table}', "
        f"rejects_scan='{rejects_table}_scan'",
    )


def csv_without_rows(con, raw: RawSource, skipped: dict[int, set[int]]) -> RawSource:
    """A copy of the CSV table ``raw`` that reads each file once more, into a temporary
    table without the rows DuckDB cannot read (``skipped``: the 0-based data rows of each
    file index), numbering the rows it kept and mapping them back to the file rows through
    ``skipped_rows``. ``raw`` itself (and the view over it) is left as it is."""
    parts, plain = [], []
    for i, path in enumerate(raw.files):
        table = f"_csv_{raw.name}_{i}"
        con.execute(
            f'CREATE OR REPLACE TEMP TABLE "{table}" AS SELECT *, row_number() OVER () AS _r '
            f"FROM read_csv({_sql_str(path)}, {_csv_options(path)}, ignore_errors=true)"
        )
        parts.append(f'SELECT * EXCLUDE (_r), {i} * {POS_FILE_FACTOR} + _r AS _pos FROM "{table}"')
        plain.append(f'SELECT * EXCLUDE (_r) FROM "{table}"')
    return dataclasses.replace(
        raw,
        raw_sql=" UNION ALL BY NAME ".join(f"({p})" for p in parts),
        plain_sql=" UNION ALL BY NAME ".join(f"({p})" for p in plain),
        skipped_rows={i: sorted(v) for i, v in skipped.items()},
    )


# --------------------------------------------------------------------------- Parquet


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


# --------------------------------------------------------------------------- Excel


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


def _excel_source(con, name: str, files: list[Path]) -> RawSource:
    """The first sheet of the (one) workbook, read once into a DuckDB table of text
    columns."""
    path = files[0]
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


# The reader of each file form in a folder: (con, table name, its files) -> RawSource.
_FILE_READERS: dict[str, Callable[..., RawSource]] = {
    ".csv": _csv_source,
    ".parquet": _parquet_source,
    ".xlsx": _excel_source,
}


# --------------------------------------------------------------------------- database


def _open_database(con, path: Path, wanted: list[str]) -> Opened:
    """A DuckDB database file, attached read-only; a view reads each table of it."""
    problems: list[Problem] = []
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
    return Opened(raws=raws, files=sources, problems=problems,
                  looked_for=lambda name: f"no table {name} in {path.name}")


# The reader of each kind of source (see ``source_kind``): (con, source, wanted) -> Opened.
_READERS: dict[str, Callable[[duckdb.DuckDBPyConnection, Path, list[str]], Opened]] = {
    "folder": _open_folder,
    "duckdb": _open_database,
}
