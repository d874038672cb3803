"""A set of canonical tables behind one DuckDB connection.

Files stay where they are: each table is a DuckDB view over its CSV/Parquet file(s) (Excel
is read once into DuckDB), or a table of a DuckDB database file. Small tables come back as
pandas DataFrames on request; large ones (orders) are aggregated in SQL and never loaded
whole unless asked for.

Behind each typed view ``<name>`` there is the table as stored (:class:`.sources.RawSource`):
every column as written in the file, plus ``_pos``, the position of the row in its file, which
is what validation reports. Row numbers count data rows from 1 (the first row below the header
is row 1; in Excel that is spreadsheet row 2).

Besides :class:`Tables`, the DuckDB connection behind it (:func:`connect`) and how work on it
copes with DuckDB's memory limit (:func:`in_passes`, :func:`passes_for`, :func:`memory_error`).
The readers that open the tables are in :mod:`.sources`.
"""

from __future__ import annotations

import atexit
import hashlib
import os
import re
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from lean_analysis.data.problems import DuckDBMemoryError, first_line, scrub
from lean_analysis.data.sources import RawSource

# Settings of the DuckDB connection behind a Tables, and the environment variables that give
# their defaults (an argument of ``data.load`` wins over the variable).
DUCKDB_ENV = {
    "memory_limit": "LEAN_ANALYSIS_DUCKDB_MEMORY_LIMIT",
    "temp_directory": "LEAN_ANALYSIS_DUCKDB_TEMP_DIRECTORY",
    "threads": "LEAN_ANALYSIS_DUCKDB_THREADS",
}

# The default memory limit of DuckDB per thread (see ``connect``), measured with
# ``benchmarks/bench_scaling.py`` (2026-11-27, DuckDB 2.0.1, 2 threads): a county (2.6 M order
# lines) needs about 160 MiB and never reaches it; province-size data (×64, 164 M lines)
# spills and still ran at 224 MiB (at 192 MiB DuckDB's aggregates ran out of memory).
# A small fixed limit is what keeps the memory of loading and aggregating from growing with
# the data; the price is time at large sizes (spilling), which a larger limit buys back.
MEMORY_PER_THREAD = 112 * 2**20


def memory_error(con: duckdb.DuckDBPyConnection, doing: str,
                 err: BaseException) -> DuckDBMemoryError:
    """A :class:`DuckDBMemoryError` saying what ran out of memory under which settings, and
    which setting to change."""
    try:
        limit, threads = con.execute(
            "SELECT current_setting('memory_limit'), current_setting('threads')").fetchone()
    except duckdb.Error:  # pragma: no cover - the connection is still open here
        limit, threads = "?", "?"
    first = first_line(err)
    return DuckDBMemoryError(
        f"{doing}: DuckDB ran out of memory under its limit of {limit} with {threads} "
        f"thread(s) ({first}). The data are not at fault: allow DuckDB more memory "
        f"({DUCKDB_ENV['memory_limit']}=2GiB, or data.load(memory_limit='2GiB')) or give it "
        f"fewer threads ({DUCKDB_ENV['threads']}=1); it spills the rest to "
        f"{DUCKDB_ENV['temp_directory']} (default: the system's temporary folder)."
    )


@dataclass
class Tables:
    """Validated canonical tables. ``tables["customers"]`` is a DataFrame; ``tables.sql(q)``
    runs SQL over all of them (each table is a view of its own name)."""

    con: duckdb.DuckDBPyConnection
    names: list[str]
    source: Path
    sources: dict[str, list[Path]] = field(default_factory=dict)
    excluded: dict[str, int] = field(default_factory=dict)  # table -> rows excluded on load
    raw: dict[str, RawSource] = field(default_factory=dict, repr=False)
    # problems found while opening the source (missing tables, unreadable CSV rows, ...);
    # ``data.validate(tables)`` reports them together with the checks
    load_problems: list = field(default_factory=list, repr=False)
    # problems of a validated load that are warnings only (errors raise ValidationError)
    warnings: list = field(default_factory=list, repr=False)
    # a database source: its URL without password and what was read (see data.database);
    # ``source`` is then the local snapshot folder the tables were read into
    database: dict | None = field(default=None, repr=False)
    # the checked copy the views read (see data.checked_copy), None when they read the source
    checked_copy: Path | None = field(default=None, repr=False)
    _cache: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _fingerprint: str | None = field(default=None, repr=False)

    def __contains__(self, name: str) -> bool:
        return name in self.names

    @property
    def display_source(self) -> str:
        """The source as outputs show it: the database URL without password, else the path."""
        return self.database["source"] if self.database else str(self.source)

    def __getitem__(self, name: str) -> pd.DataFrame:
        if name not in self.names:
            raise KeyError(f"table {name!r} is not loaded (have: {', '.join(self.names)})")
        if name not in self._cache:
            self._cache[name] = self.con.execute(f'SELECT * FROM "{name}"').df()
        return self._cache[name]

    def __enter__(self) -> Tables:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Close the DuckDB connection (and with it any attached database file)."""
        self.con.close()

    def sql(self, query: str, params: list | dict | None = None) -> pd.DataFrame:
        """Run ``query`` over the tables and return a DataFrame."""
        return self.con.execute(query, params or []).df()

    def relation(self, name: str) -> duckdb.DuckDBPyRelation:
        if name not in self.names:
            raise KeyError(f"table {name!r} is not loaded (have: {', '.join(self.names)})")
        return self.con.view(name)

    def count(self, name: str) -> int:
        return int(self.con.execute(f'SELECT count(*) FROM "{name}"').fetchall()[0][0])

    @property
    def fingerprint(self) -> str:
        """A short hash of the input files' bytes (or the database file): names the data a
        report was made from. Each file's path relative to the source folder is hashed too,
        so renaming or moving a table changes the fingerprint. Computed once per Tables."""
        if self._fingerprint is not None:
            return self._fingerprint
        h = hashlib.sha256()
        files = sorted({p for ps in self.sources.values() for p in ps}) or [self.source]
        for p in files:
            try:
                label = p.relative_to(self.source).as_posix()
            except ValueError:
                label = p.name
            h.update(label.encode())
            h.update(b"\0")
            with open(p, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        self._fingerprint = h.hexdigest()[:16]
        return self._fingerprint


def connect(memory_limit: str | int | None = None, temp_directory: str | Path | None = None,
            threads: int | str | None = None) -> duckdb.DuckDBPyConnection:
    """The in-memory DuckDB connection behind :class:`Tables`.

    ``memory_limit``
        The most memory DuckDB's buffer manager may hold (``"2GB"``, ``"512MiB"``, or bytes
        as an int); beyond it, sorts, joins and aggregations spill to ``temp_directory``.
        Default: ``$LEAN_ANALYSIS_DUCKDB_MEMORY_LIMIT``, else :data:`MEMORY_PER_THREAD`
        (112 MiB) × the threads (at least 2), but never more than DuckDB's own default (80 %
        of RAM): a fixed amount, so that the memory of loading and aggregating stops growing
        with the data (under DuckDB's default the unique-key check of validation keeps a
        hash table that grows with the order lines; see ``benchmarks/RESULTS.md``).
        ``"none"`` keeps DuckDB's default. When DuckDB runs out of memory anyway,
        validation and ``to_series`` raise :class:`DuckDBMemoryError` saying which
        setting to raise.
    ``temp_directory``
        Where DuckDB spills. Default: ``$LEAN_ANALYSIS_DUCKDB_TEMP_DIRECTORY``, else a folder
        of this connection's own under the system's temporary directory (not DuckDB's own
        default ``.tmp`` in the working directory). DuckDB creates it only when it spills;
        it is removed when the process exits, and the folders of processes that no longer
        run are removed at a process's first connection and at the end of each monthly run
        (:func:`remove_spill_folders`).
    ``threads``
        Threads of DuckDB. Default: ``$LEAN_ANALYSIS_DUCKDB_THREADS``, else the machine's cores.

    A bad value raises ``ValueError`` naming the option (and the variable it came from).
    """
    given = {"memory_limit": memory_limit, "temp_directory": temp_directory, "threads": threads}
    settings: dict[str, tuple[str, str]] = {}  # option -> (SQL literal, where it came from)
    for key, value in given.items():
        origin = f"{key}="
        if value is None or str(value).strip() == "":
            value = os.environ.get(DUCKDB_ENV[key], "").strip() or None
            origin = f"{DUCKDB_ENV[key]}="
        if value is None:
            continue
        if key == "threads":
            ok = (isinstance(value, int) and not isinstance(value, bool)) or (
                isinstance(value, str) and value.strip().isdigit())
            if not ok or int(value) < 1:
                raise ValueError(f"{origin}{value!r}: threads must be a whole number >= 1")
            settings[key] = (str(int(value)), origin)
            continue
        if key == "memory_limit" and isinstance(value, int) and not isinstance(value, bool):
            if value <= 0:
                raise ValueError(f"{origin}{value!r}: the memory limit must be positive")
            value = f"{value}B"
        elif key == "temp_directory":
            value = str(Path(value).expanduser())
        settings[key] = ("'" + str(value).strip().replace("'", "''") + "'", origin)
    if "temp_directory" not in settings:
        _sweep_once()
        own = Path(tempfile.gettempdir()) / f"{SPILL_PREFIX}{os.getpid()}-{uuid.uuid4().hex[:8]}"
        # DuckDB leaves the folder behind (and a kernel stopped at once never closes its
        # connection): removed when this process exits, or by the next sweep
        atexit.register(shutil.rmtree, own, True)
        settings["temp_directory"] = ("'" + str(own).replace("'", "''") + "'", "default ")
    con = duckdb.connect()
    if settings.get("memory_limit", ("",))[0].lower() in ("'none'", "'default'"):
        del settings["memory_limit"]
    elif "memory_limit" not in settings:
        n = int(settings["threads"][0]) if "threads" in settings else _setting_int(con, "threads")
        limit = MEMORY_PER_THREAD * max(2, n or 2)
        ceiling = _bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
        if ceiling is not None:
            limit = min(limit, ceiling)
        settings["memory_limit"] = (f"'{limit}B'", "default ")
    for key, (literal, origin) in settings.items():
        try:
            con.execute(f"SET {key} = {literal}")
        except duckdb.Error as e:
            con.close()
            first = first_line(e)
            raise ValueError(scrub(f"{origin}{literal}: DuckDB does not accept this {key}: {first}")) \
                from None
    try:  # in a Jupyter kernel without ipywidgets DuckDB refuses to touch the progress bar
        con.execute("SET enable_progress_bar = false")
    except duckdb.Error:
        pass
    return con



# --------------------------------------------------------------------------- spill folders
SPILL_PREFIX = "lean-analysis-duckdb-"
_SPILL = re.compile(re.escape(SPILL_PREFIX) + r"(\d+)-[0-9a-f]+$")
_swept = False


def _pid_alive(pid: int) -> bool:
    if os.name != "posix":
        return True  # cannot tell: keep the folder
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def remove_spill_folders(folder: str | Path | None = None) -> list[Path]:
    """Remove the default spill folders (``lean-analysis-duckdb-<pid>-<id>`` in the system's
    temporary folder, or in ``folder``) of processes that no longer run; returns them.
    This process's own folders are removed when it exits."""
    root = Path(folder) if folder is not None else Path(tempfile.gettempdir())
    removed = []
    try:
        entries = list(root.glob(SPILL_PREFIX + "*"))
    except OSError:
        return removed
    for p in entries:
        m = _SPILL.match(p.name)
        if not m or int(m[1]) == os.getpid() or _pid_alive(int(m[1])):
            continue
        shutil.rmtree(p, ignore_errors=True)
        removed.append(p)
    return removed


def _sweep_once() -> None:
    """At this process's first connection: the spill folders of dead processes."""
    global _swept
    if not _swept:
        _swept = True
        remove_spill_folders()


MAX_PASSES = 64


def in_passes(con: duckdb.DuckDBPyConnection, work, doing: str, passes: int = 1):
    """``work(passes)`` — a query split into ``passes`` parts by a hash of its group keys
    — first in ``passes`` (see :func:`passes_for`); when DuckDB runs out of memory under
    its limit, again in 4 × as many, up to 64 (each holds about 1/passes of the groups,
    while the scan is repeated), then :class:`DuckDBMemoryError`. Returns
    ``(result, passes)``.

    DuckDB spills its hash aggregates to disk, but near its memory limit a large one can
    still fail (seen with 1.3 M manager × product × month groups over 164 M order lines
    under 224 MiB: some runs failed, 4 passes always ran, in about the time of one)."""
    while True:
        try:
            return work(passes), passes
        except duckdb.OutOfMemoryException as e:
            if passes >= MAX_PASSES:
                raise memory_error(con, doing, e) from None
            passes *= 4


# Bytes of DuckDB memory one group of a hash aggregate may take (two threads' partial tables
# of the to_series aggregate: keys, 7 aggregate states, hash and pointer), with room: at
# 224 MiB 1.3 M groups failed now and then, 0.64 M (two passes) never.
BYTES_PER_GROUP = 300


def passes_for(con: duckdb.DuckDBPyConnection, groups: float) -> int:
    """The passes (1, 4, 16 or 64) in which about ``groups`` groups fit DuckDB's memory
    limit at :data:`BYTES_PER_GROUP` each."""
    limit = _bytes(con.execute("SELECT current_setting('memory_limit')").fetchone()[0])
    passes = 1
    while limit and passes < MAX_PASSES and groups / passes * BYTES_PER_GROUP > limit:
        passes *= 4
    return passes


_UNITS = {"bytes": 1, "b": 1, "kib": 2**10, "mib": 2**20, "gib": 2**30, "tib": 2**40,
          "kb": 10**3, "mb": 10**6, "gb": 10**9, "tb": 10**12}


def _bytes(text: str) -> int | None:
    """DuckDB's rendering of a memory size (``"18.8 GiB"``) in bytes; None if unreadable."""
    parts = str(text).strip().split()
    if len(parts) != 2 or parts[1].lower() not in _UNITS:
        return None
    try:
        return int(float(parts[0]) * _UNITS[parts[1].lower()])
    except ValueError:
        return None


def _setting_int(con: duckdb.DuckDBPyConnection, name: str) -> int | None:
    try:
        return int(con.execute(f"SELECT current_setting('{name}')").fetchone()[0])
    except (duckdb.Error, TypeError, ValueError):
        return None
