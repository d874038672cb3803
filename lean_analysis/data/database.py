"""Database sources: the canonical tables read from a PostgreSQL or MySQL/MariaDB server.

``--data`` (and ``LEAN_ANALYSIS_DATA``, ``data.load``) take a URL without password::

    postgresql://USER@HOST:PORT/DB?schema=sales&mapping=params/source.yaml
    mysql://USER@HOST:PORT/DB              (MariaDB too; also mariadb://)

The password never comes from the command line or a committed file: it is read from the
variable the mapping file names (``password_env``), else ``LEAN_ANALYSIS_DB_PASSWORD``, else
``PGPASSWORD`` / ``~/.pgpass`` (PostgreSQL) or ``MYSQL_PWD`` (MySQL). A URL that carries a
password is refused. Every message shows the URL without the password
(:func:`lean_analysis.redact.mask_secrets`).

Mapping file (default ``params/source.yaml``, or ``?mapping=``): the database's own names
of each canonical table and column, or a query per table::

    password_env: SALES_DB_PASSWORD      # optional
    schema: sales                        # optional (PostgreSQL schema / MySQL database)
    tables:
      customers:
        table: t_customer
        columns: {customer_id: cust_no, customer_name: cust_name, tier: grade}
      orders:
        query: SELECT wk AS week, cust_no AS customer_id, ... FROM t_order_line

Columns not listed keep their canonical name. Tables are read straight into Arrow (never
row by row through a DB-API cursor): PostgreSQL through ADBC (``adbc-driver-postgresql``),
MySQL/MariaDB through connectorx and written as a Parquet snapshot in
the cache folder, which the folder reader then opens: the same typing and validation run
on what was read. ``orders`` is pulled once per change of the source: its snapshot is keyed
by a fingerprint of the source rows (count and last week), so a second run of the same
month reads the local copy. (The alternative, pushing the monthly aggregation down to the
server as SQL, is measured in ``benchmarks/bench_source.py``.)

Failures (server down, wrong password, a missing table or column, a timeout) raise
:class:`SourceError`: one line naming the source (password masked) and what failed.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from lean_analysis import config
from lean_analysis.redact import mask_secrets, register_secret

__all__ = ["SCHEMES", "SourceError", "DatabaseSource", "is_database_url", "parse_url",
           "read_snapshot", "source_names"]

SCHEMES = {"postgresql": "postgres", "postgres": "postgres", "mysql": "mysql", "mariadb": "mysql"}
DEFAULT_PORTS = {"postgres": 5432, "mysql": 3306}
DEFAULT_TIMEOUT = 60.0  # seconds, for the connection and each query
LARGE_TABLES = ("orders",)  # snapshot kept between runs, keyed by the source fingerprint


class SourceError(RuntimeError):
    """A database source could not be read: ``source`` (password masked) and ``what``."""

    def __init__(self, source: str, what: str):
        self.source = mask_secrets(source)
        self.what = mask_secrets(what)
        super().__init__(f"{self.source}: {self.what}")


def is_database_url(text: Any) -> bool:
    """Whether ``text`` is a database URL this module reads."""
    return isinstance(text, str) and text.split("://", 1)[0].lower() in SCHEMES and "://" in text


@dataclass
class DatabaseSource:
    """A parsed database URL plus its mapping."""

    kind: str  # "postgres" | "mysql"
    user: str
    host: str
    port: int
    database: str
    schema: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    mapping_file: Path | None = None
    mapping: dict[str, Any] = field(default_factory=dict)
    password: str = field(default="", repr=False)

    @property
    def display(self) -> str:
        """The URL as every output shows it (no password)."""
        scheme = "postgresql" if self.kind == "postgres" else "mysql"
        q = f"?schema={self.schema}" if self.schema else ""
        return f"{scheme}://{self.user}@{self.host}:{self.port}/{self.database}{q}"

    def conn(self) -> str:
        """The connection string for connectorx (holds the password: never print it)."""
        from urllib.parse import quote

        scheme = "postgresql" if self.kind == "postgres" else "mysql"
        cred = quote(self.user, safe="") + (f":{quote(self.password, safe='')}" if self.password else "")
        extra = f"?connect_timeout={max(1, int(self.timeout))}" if self.kind == "postgres" else ""
        return f"{scheme}://{cred}@{self.host}:{self.port}/{self.database}{extra}"

    def qualified(self, table: str) -> str:
        q = '"' if self.kind == "postgres" else "`"
        name = f"{q}{table}{q}"
        return f"{q}{self.schema}{q}.{name}" if self.schema else name


def _pgpass(host: str, port: int, db: str, user: str) -> str | None:
    path = Path(os.environ.get("PGPASSFILE", Path.home() / ".pgpass"))
    if not path.is_file():
        return None
    for line in path.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        parts = re.split(r"(?<!\\):", line)
        if len(parts) != 5:
            continue
        h, p, d, u, pw = (x.replace("\\:", ":") for x in parts)
        if all(a in ("*", b) for a, b in ((h, host), (p, str(port)), (d, db), (u, user))):
            return pw
    return None


def _load_mapping(path: Path | None) -> dict[str, Any]:
    if path is None or not path.exists():
        return {}
    import yaml

    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    if not isinstance(doc, dict) or not isinstance(doc.get("tables", {}), dict):
        raise SourceError(str(path), "a source mapping is {password_env?, schema?, tables: {name: "
                                     "{table, columns} or {query}}}")
    for name, spec in (doc.get("tables") or {}).items():
        if not isinstance(spec, dict) or not ({"table", "query"} & set(spec)):
            raise SourceError(str(path), f"tables.{name}: give 'table' (with optional 'columns') "
                                         "or 'query'")
        if "columns" in spec and not isinstance(spec["columns"], dict):
            raise SourceError(str(path), f"tables.{name}.columns: map canonical: source names")
    return doc


def parse_url(url: str, mapping: str | Path | None = None) -> DatabaseSource:
    """A :class:`DatabaseSource` from ``url`` (no password in it) and its mapping file
    (``mapping``, else ``?mapping=``, else ``params/source.yaml`` when it exists); the
    password from the environment as the module says."""
    parts = urlsplit(url)
    kind = SCHEMES.get(parts.scheme.lower())
    if kind is None:
        raise SourceError(url, f"unknown scheme {parts.scheme!r} (use {', '.join(SCHEMES)})")
    if parts.password is not None:
        raise SourceError(url, "the URL holds a password: give it in the environment "
                               "(PGPASSWORD, MYSQL_PWD, LEAN_ANALYSIS_DB_PASSWORD or the variable "
                               "named by password_env in the mapping), never on the command line")
    q = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(q) - {"schema", "mapping", "timeout"}
    if unknown:
        raise SourceError(url, f"unknown URL option(s) {', '.join(sorted(unknown))} "
                               "(known: schema, mapping, timeout)")
    db = unquote(parts.path.lstrip("/"))
    if not db or not parts.hostname or not parts.username:
        raise SourceError(url, "give user, host and database: scheme://USER@HOST:PORT/DB")
    mfile = Path(mapping or q.get("mapping") or config.PARAMS_DIR / "source.yaml")
    if not mfile.is_absolute():
        mfile = (config.PROJECT_ROOT / mfile) if not mfile.exists() else mfile.resolve()
    doc = _load_mapping(mfile)
    src = DatabaseSource(kind, unquote(parts.username), parts.hostname,
                         parts.port or DEFAULT_PORTS[kind], db,
                         q.get("schema") or doc.get("schema"),
                         float(q.get("timeout", DEFAULT_TIMEOUT)),
                         mfile if mfile.exists() else None, doc)
    names = [doc.get("password_env"), "LEAN_ANALYSIS_DB_PASSWORD",
             "PGPASSWORD" if kind == "postgres" else "MYSQL_PWD"]
    pw = next((os.environ[n] for n in names if n and os.environ.get(n)), None)
    if pw is None and kind == "postgres":
        pw = _pgpass(src.host, src.port, db, src.user)
    src.password = pw or ""
    register_secret(src.password)
    return src


def source_names(src: DatabaseSource, table: str) -> tuple[str, dict[str, str]]:
    """(the source table's name or "query", canonical column -> source column) of
    ``table``."""
    spec = (src.mapping.get("tables") or {}).get(table) or {}
    return spec.get("table", "query" if "query" in spec else table), dict(spec.get("columns") or {})


def _select(src: DatabaseSource, table: str) -> str:
    spec = (src.mapping.get("tables") or {}).get(table) or {}
    if "query" in spec:
        return str(spec["query"])
    name, _ = source_names(src, table)
    return f"SELECT * FROM {src.qualified(name)}"


def _read_table(src: DatabaseSource, table: str, columns: list[str], keep_extra: bool):
    """The source table (or query) of ``table`` as Arrow with canonical column names: the
    ``columns`` of the schema (a missing one raises :class:`SourceError` naming it) and,
    with ``keep_extra``, every other column too (survey items)."""
    source_table, cols = source_names(src, table)
    t = _query(src, _select(src, table), f"table {table} ({source_table})")
    back = {v: k for k, v in cols.items()}
    names = [back.get(c, c) for c in t.column_names]
    missing = [c for c in columns if c not in names]
    if missing:
        shown = ", ".join(f"{cols.get(c, c)}" + (f" (for {c})" if c in cols else "") for c in missing)
        raise SourceError(src.display, f"table {table} ({source_table}): missing column(s) {shown}")
    t = t.rename_columns(names)
    return t if keep_extra else t.select(columns)


def _check_reachable(src: DatabaseSource) -> None:
    try:
        with socket.create_connection((src.host, src.port), timeout=min(src.timeout, 10.0)):
            pass
    except TimeoutError:
        raise SourceError(src.display, f"the server did not answer within "
                                       f"{min(src.timeout, 10.0):.0f} s") from None
    except OSError as e:
        raise SourceError(src.display, f"cannot connect to the server ({e.strerror or e})") from None


def _query(src: DatabaseSource, sql: str, what: str):
    """An Arrow table of ``sql``; errors as one clear line. PostgreSQL through ADBC (one
    connection per source, kept for the snapshot), MySQL/MariaDB through connectorx after
    a quick login check (connectorx's pool retries a refused login for 30 s)."""
    try:
        if src.kind == "postgres":
            cur = _pg_cursor(src)
            cur.execute(sql)
            return cur.fetch_arrow_table()
        _mysql_login(src)
        os.environ.setdefault("RUST_LOG", "off")  # connectorx logs driver errors to stderr
        import connectorx as cx

        if re.match(r"(?is)^\s*select\b", sql):
            sql = f"SET STATEMENT max_statement_time={src.timeout:g} FOR {sql}"
        return cx.read_sql(src.conn(), sql, return_type="arrow")
    except SourceError:
        raise
    except Exception as e:  # driver errors carry the server's text
        if src.kind == "postgres":
            _pg_reset(src)
        raise SourceError(src.display, f"{what}: {_reason(str(e))}") from None


def _pg_cursor(src: DatabaseSource):
    cur = getattr(src, "_pg", None)
    if cur is None:
        import adbc_driver_postgresql.dbapi as adbc

        try:
            conn = adbc.connect(src.conn())
        except Exception as e:
            raise SourceError(src.display, _reason(str(e))) from None
        cur = conn.cursor()
        cur.execute(f"SET statement_timeout = {int(src.timeout * 1000)}")
        src._pg = cur  # type: ignore[attr-defined]
        src._pg_conn = conn  # type: ignore[attr-defined]
    return cur


def _pg_reset(src: DatabaseSource) -> None:
    """Close the kept connection (after an error the transaction is aborted)."""
    conn = getattr(src, "_pg_conn", None)
    if conn is not None:
        try:
            src._pg.close()  # type: ignore[attr-defined]
            conn.close()
        except Exception:
            pass
    src._pg = src._pg_conn = None  # type: ignore[attr-defined]


def close(src: DatabaseSource) -> None:
    """Close what :func:`read_snapshot` kept open."""
    if src.kind == "postgres":
        _pg_reset(src)


def _mysql_login(src: DatabaseSource) -> None:
    if getattr(src, "_login_ok", False):
        return
    import pymysql

    try:
        pymysql.connect(host=src.host, port=src.port, user=src.user, password=src.password,
                        database=src.database, connect_timeout=min(src.timeout, 10.0)).close()
    except Exception as e:
        raise SourceError(src.display, _reason(str(e))) from None
    src._login_ok = True  # type: ignore[attr-defined]


def _reason(text: str) -> str:
    t = " ".join(mask_secrets(text).split())
    low = t.lower()
    if "password authentication failed" in low or "access denied" in low or "(1045" in low:
        return "the server refused the user or password"
    if "connection refused" in low or "can't connect" in low or "(2003" in low:
        return "cannot connect to the server"
    if "statement timeout" in low or "max_statement_time" in low or "timeout" in low:
        return f"timed out ({t[:200]})"
    m = re.search(r'relation "([^"]+)" does not exist|table \S+ doesn\'t exist', t, re.I)
    if m:
        return f"missing table ({t[:200]})"
    m = re.search(r'column "?([^"\s]+)"? does not exist|unknown column \'([^\']+)\'', t, re.I)
    if m:
        return f"missing column {m.group(1) or m.group(2)} ({t[:200]})"
    return t[:300]


def _fingerprint(src: DatabaseSource, table: str, week_col: str = "week") -> str:
    """Count and last week of the source table: the key of its local snapshot."""
    spec = (src.mapping.get("tables") or {}).get(table) or {}
    if "query" in spec:
        inner = spec["query"]
    else:
        source_table, cols = source_names(src, table)
        q = '"' if src.kind == "postgres" else "`"
        inner = (f"SELECT {q}{cols.get(week_col, week_col)}{q} AS {q}{week_col}{q} "
                 f"FROM {src.qualified(source_table)}")
    q = '"' if src.kind == "postgres" else "`"
    sql = f"SELECT count(*) AS n, CAST(max({q}{week_col}{q}) AS CHAR(32)) AS last FROM ({inner}) s" \
        if src.kind == "mysql" else \
        f"SELECT count(*) AS n, CAST(max({q}{week_col}{q}) AS TEXT) AS last FROM ({inner}) s"
    t = _query(src, sql, f"table {table} (fingerprint)")
    row = t.to_pylist()[0]
    return f"{row['n']}:{row['last']}"


def cache_dir() -> Path:
    """Where database snapshots are kept (``$LEAN_ANALYSIS_CACHE`` or ``data/.cache``)."""
    env = os.environ.get("LEAN_ANALYSIS_CACHE")
    return Path(env) if env else config.PROJECT_ROOT / "data" / ".cache"


def read_snapshot(src: DatabaseSource, tables: dict[str, list[str]],
                  optional: set[str] = frozenset(), cache: Path | None = None,
                  keep_extra: set[str] = frozenset()) -> tuple[Path, dict]:
    """See :func:`_read_snapshot`; the connection is closed whatever happens."""
    try:
        return _read_snapshot(src, tables, optional, cache, keep_extra)
    finally:
        close(src)


def parquet_bytes(table) -> bytes:
    """``table`` as the Parquet file a snapshot stores, in memory (one row group)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(table.combine_chunks(), sink)
    return sink.getvalue().to_pybytes()


def snapshot_digest(small: dict[str, bytes], keys: dict[str, str]):
    """The hash that names a snapshot folder: the small tables' content and the large
    tables' fingerprints. Tables are hashed as Parquet bytes, not Arrow IPC: IPC carries
    whatever memory lies under a null (the driver does not zero a null double's slot), so
    equal rows hashed unequal and one source got a new snapshot per read; Parquet writes
    only the values. ``small``: each table's :func:`parquet_bytes`, the very bytes the
    snapshot writes (the tables are serialised once)."""
    digest = hashlib.sha256()
    for name in sorted(small):
        digest.update(name.encode())
        digest.update(small[name])
    digest.update(json.dumps(keys, sort_keys=True).encode())
    return digest


def _read_snapshot(src: DatabaseSource, tables: dict[str, list[str]],
                   optional: set[str] = frozenset(), cache: Path | None = None,
                   keep_extra: set[str] = frozenset()) -> tuple[Path, dict]:
    """Read ``tables`` (canonical name -> canonical columns) from ``src`` into a folder of
    Parquet files and return (folder, info); the tables in ``keep_extra`` keep their other
    columns too (survey_responses: one column per item). Optional tables that the source lacks (not in
    the mapping and not found) are left out; a missing required table raises
    :class:`SourceError`.

    The folder is ``<cache>/<hash of the source URL>/<hash of the small tables' content and
    the large tables' fingerprints>/``: the same source rows give the same folder, which a
    run reads without going to the server for the large tables again.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    _check_reachable(src)
    root = (cache or cache_dir()) / hashlib.sha256(src.display.encode()).hexdigest()[:16]
    root.mkdir(parents=True, exist_ok=True)
    info: dict[str, Any] = {"source": src.display, "tables": {}, "timings": {}}
    mapped = set(src.mapping.get("tables") or {})
    present = _present_tables(src)
    small: dict[str, pa.Table] = {}
    keys: dict[str, str] = {}
    for name, cols in tables.items():
        source_table, _ = source_names(src, name)
        if name not in mapped and source_table.lower() not in present:
            if name in optional:
                continue
            raise SourceError(src.display, f"table {name}: the database has no table "
                                           f"{source_table!r} and the mapping gives none")
        t0 = time.perf_counter()
        if name in LARGE_TABLES:
            keys[name] = _fingerprint(src, name)
        else:
            small[name] = _read_table(src, name, cols, name in keep_extra)
        info["tables"][name] = {"source": source_table, "columns": source_names(src, name)[1]}
        info["timings"][name] = time.perf_counter() - t0
    blobs = {name: parquet_bytes(t) for name, t in small.items()}
    digest = snapshot_digest(blobs, keys)
    folder = root / digest.hexdigest()[:16]
    if not (folder / ".complete").exists():
        tmp = root / f".tmp-{os.getpid()}-{digest.hexdigest()[:8]}"
        tmp.mkdir(parents=True, exist_ok=True)
        for name, blob in blobs.items():
            (tmp / f"{name}.parquet").write_bytes(blob)
        for name in keys:
            cached = next((p / f"{name}.parquet" for p in root.iterdir()
                           if p.is_dir() and (p / ".complete").exists()
                           and json.loads((p / ".complete").read_text()).get(name) == keys[name]),
                          None)
            t0 = time.perf_counter()
            if cached is not None and cached.exists():
                os.link(cached, tmp / f"{name}.parquet") if _same_fs(cached, tmp) else \
                    pq.write_table(pq.read_table(cached), tmp / f"{name}.parquet")
                info["tables"][name]["cached"] = True
            else:
                t = _read_table(src, name, tables[name], name in keep_extra)
                pq.write_table(t, tmp / f"{name}.parquet")
                info["tables"][name]["cached"] = False
            info["timings"][name] = info["timings"].get(name, 0) + time.perf_counter() - t0
        (tmp / ".complete").write_text(json.dumps(keys, sort_keys=True))
        try:
            tmp.rename(folder)
        except OSError:  # another run wrote the same snapshot meanwhile
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
    else:
        for name in keys:
            info["tables"][name]["cached"] = True
    _prune(root, keep=folder)
    return folder, info


def _same_fs(a: Path, b: Path) -> bool:
    return a.stat().st_dev == b.stat().st_dev


def _prune(root: Path, keep: Path, n: int = 2) -> None:
    """Keep the ``n`` newest snapshots of a source (the current one always)."""
    import shutil

    snaps = sorted((p for p in root.iterdir() if p.is_dir() and p != keep),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for p in snaps[n - 1:]:
        shutil.rmtree(p, ignore_errors=True)


def _present_tables(src: DatabaseSource) -> set[str]:
    """Lower-case names of the tables in the source's schema."""
    if src.kind == "postgres":
        sql = ("SELECT table_name FROM information_schema.tables WHERE table_schema = "
               f"'{src.schema or 'public'}'")
    else:
        sql = ("SELECT table_name AS table_name FROM information_schema.tables WHERE "
               f"table_schema = '{src.schema or src.database}'")
    t = _query(src, sql, "list of tables")
    col = t.column_names[0]
    return {str(v).lower() for v in t.column(col).to_pylist()}
