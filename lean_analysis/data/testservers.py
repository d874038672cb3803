"""Throwaway PostgreSQL and MariaDB servers for the tests and benchmarks of database sources.

Each server is a fresh instance in a temporary folder, listening on a free loopback port
(127.0.0.1 only), with one database ``lean`` and one user ``lean`` whose password is made up
per instance. Servers that refuse to run as root (PostgreSQL) run as an unprivileged system
user (``postgres`` when it exists, else ``nobody``). :meth:`Server.stop` stops the instance
and removes its folder; the servers are stopped at interpreter exit too, also when a test
failed.

The Debian packages (``postgresql``, ``mariadb-server``) are installed by ``make test``
(``.ci/install-db``) when missing; :func:`available` says whether the binaries are there.
"""

from __future__ import annotations

import atexit
import os
import pwd
import secrets
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Server", "available", "start_postgres", "start_mariadb"]

_RUNNING: list[Server] = []


@dataclass
class Server:
    """A running throwaway server: ``url`` has no password; it is in ``password``."""

    kind: str
    port: int
    password: str
    folder: Path
    stop_cmd: list[str]
    run_as: str | None
    user: str = "lean"
    database: str = "lean"
    proc: subprocess.Popen | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        scheme = "postgresql" if self.kind == "postgres" else "mysql"
        return f"{scheme}://{self.user}@127.0.0.1:{self.port}/{self.database}"

    def stop(self) -> None:
        """Stop the server and remove its folder (idempotent)."""
        if self in _RUNNING:
            _RUNNING.remove(self)
        try:
            if self.stop_cmd:
                subprocess.run(_as(self.run_as, self.stop_cmd), capture_output=True, timeout=60)
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)


@atexit.register
def _stop_all() -> None:
    for s in list(_RUNNING):
        s.stop()


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as(user: str | None, cmd: list[str]) -> list[str]:
    return ["runuser", "-u", user, "--", *cmd] if user else cmd


def _unprivileged() -> str | None:
    """The system user to run a server as when we are root (None when we are not)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
            return name
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged user (postgres, nobody) exists")


def _chown(path: Path, user: str | None) -> None:
    if user:
        pw = pwd.getpwnam(user)
        for p in [path, *path.rglob("*")]:
            os.chown(p, pw.pw_uid, pw.pw_gid)


def _pg_bindir() -> Path | None:
    for cand in sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True):
        if (cand / "initdb").exists() and (cand / "postgres").exists():
            return cand
    initdb = shutil.which("initdb")
    return Path(initdb).resolve().parent if initdb else None


def available(kind: str) -> bool:
    """Whether the server binaries of ``kind`` ("postgres" or "mariadb") are installed."""
    if kind == "postgres":
        return _pg_bindir() is not None
    return shutil.which("mariadbd") is not None and shutil.which("mariadb-install-db") is not None


def _wait(ok, what: str, timeout: float = 60.0) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if ok():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not start within {timeout:.0f} s")


def _tempdir(prefix: str, user: str | None) -> Path:
    folder = Path(tempfile.mkdtemp(prefix=prefix))
    folder.chmod(0o755)
    _chown(folder, user)
    return folder


def start_postgres() -> Server:
    """Start a throwaway PostgreSQL instance (password authentication on 127.0.0.1)."""
    bindir = _pg_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL is not installed (Debian package postgresql)")
    user = _unprivileged()
    folder = _tempdir("lean-pg-", user)
    password = secrets.token_urlsafe(16)
    pwfile = folder / "pw"
    pwfile.write_text(password, encoding="utf-8")
    _chown(folder, user)
    data, sock = folder / "data", folder / "sock"
    sock.mkdir()
    _chown(sock, user)
    subprocess.run(_as(user, [str(bindir / "initdb"), "-D", str(data), "-U", "lean",
                              f"--pwfile={pwfile}", "-A", "scram-sha-256", "-E", "UTF8",
                              "--locale=C.UTF-8"]),
                   check=True, capture_output=True, timeout=120)
    pwfile.unlink()
    port = _free_port()
    opts = f"-p {port} -k {sock} -c listen_addresses=127.0.0.1 -c fsync=off"
    server = Server("postgres", port, password, folder,
                    [str(bindir / "pg_ctl"), "-D", str(data), "-m", "fast", "-w", "stop"], user)
    _RUNNING.append(server)
    subprocess.run(_as(user, [str(bindir / "pg_ctl"), "-D", str(data), "-o", opts, "-w",
                              "-l", str(folder / "server.log"), "start"]),
                   check=True, capture_output=True, timeout=120)
    env = {**os.environ, "PGPASSWORD": password}
    subprocess.run([str(bindir / "createdb"), "-h", "127.0.0.1", "-p", str(port), "-U", "lean",
                    "lean"], check=True, capture_output=True, env=env, timeout=60)
    return server


def start_mariadb() -> Server:
    """Start a throwaway MariaDB instance with a user ``lean`` (password) and database
    ``lean``."""
    if not available("mariadb"):
        raise RuntimeError("MariaDB is not installed (Debian package mariadb-server)")
    user = _unprivileged()
    folder = _tempdir("lean-maria-", user)
    data, sock = folder / "data", folder / "mysqld.sock"
    password = secrets.token_urlsafe(16)
    subprocess.run(["mariadb-install-db", "--no-defaults", f"--datadir={data}",
                    *( [f"--user={user}"] if user else []), "--auth-root-authentication-method=socket",
                    "--skip-test-db"], check=True, capture_output=True, timeout=180)
    _chown(folder, user)
    port = _free_port()
    cmd = ["mariadbd", "--no-defaults", f"--datadir={data}", f"--socket={sock}",
           f"--port={port}", "--bind-address=127.0.0.1", f"--pid-file={folder / 'mysqld.pid'}",
           f"--log-error={folder / 'server.log'}", "--skip-name-resolve",
           "--innodb-flush-log-at-trx-commit=0", "--local-infile=1",
           *( [f"--user={user}"] if user else [])]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    server = Server("mariadb", port, password, folder, [], None, proc=proc)
    _RUNNING.append(server)

    def up() -> bool:
        if proc.poll() is not None:
            raise RuntimeError(f"mariadbd exited ({proc.returncode}); see {folder / 'server.log'}")
        return subprocess.run(["mariadb", f"--socket={sock}", "-u", "root", "-e", "SELECT 1"],
                              capture_output=True).returncode == 0

    _wait(up, "MariaDB")
    sql = (f"CREATE DATABASE lean CHARACTER SET utf8mb4; "
           f"CREATE USER 'lean'@'127.0.0.1' IDENTIFIED BY '{password}'; "
           f"GRANT ALL ON lean.* TO 'lean'@'127.0.0.1'; FLUSH PRIVILEGES;")
    subprocess.run(["mariadb", f"--socket={sock}", "-u", "root", "-e", sql], check=True,
                   capture_output=True, timeout=60)
    server.socket = sock  # type: ignore[attr-defined]
    return server


# --------------------------------------------------------------------------- loading a sample

def _sql_type(arrow_type, kind: str, key: bool) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return "BOOLEAN"
    if pa.types.is_integer(arrow_type):
        return "BIGINT"
    if pa.types.is_floating(arrow_type) or pa.types.is_decimal(arrow_type):
        return "DOUBLE PRECISION" if kind == "postgres" else "DOUBLE"
    if pa.types.is_date(arrow_type):
        return "DATE"
    if pa.types.is_timestamp(arrow_type):
        return "TIMESTAMP" if kind == "postgres" else "DATETIME"
    return ("VARCHAR(64)" if key else "TEXT")


def load_sample(server: Server, folder: str | Path, names: dict[str, tuple[str, dict[str, str]]]
                ) -> dict[str, int]:
    """Copy the validated tables of a sample ``folder`` into ``server``, renamed by ``names``
    (canonical table -> (database table, {canonical column: database column})); tables
    without an entry keep their names. Values are those :func:`lean_analysis.data.load`
    gives (the schema's types), so reading them back must give the same numbers. Returns
    the row count per table."""

    from lean_analysis.data import load
    from lean_analysis.data.schemas import SCHEMAS

    counts = {}
    with load(folder) as tables:
        for name in SCHEMAS:
            if name not in tables:
                continue
            arrow = tables.con.sql(f'SELECT * FROM "{name}"').to_arrow_table()
            target, cols = names.get(name, (name, {}))
            arrow = arrow.rename_columns([cols.get(c, c) for c in arrow.column_names])
            keys = {cols.get(k, k) for k in SCHEMAS[name].key} if hasattr(SCHEMAS[name], "key") else set()
            _create_and_fill(server, target, arrow, keys)
            counts[name] = arrow.num_rows
    return counts


def _create_and_fill(server: Server, table: str, arrow, keys: set[str]) -> None:
    q = '"' if server.kind == "postgres" else "`"
    cols = ", ".join(f"{q}{f.name}{q} {_sql_type(f.type, server.kind, f.name in keys)}"
                     for f in arrow.schema)
    ddl = f"DROP TABLE IF EXISTS {q}{table}{q}; CREATE TABLE {q}{table}{q} ({cols});"
    if server.kind == "postgres":
        import adbc_driver_postgresql.dbapi as adbc

        uri = f"postgresql://lean:{server.password}@127.0.0.1:{server.port}/lean"
        with adbc.connect(uri) as conn, conn.cursor() as cur:
            for stmt in filter(None, (s.strip() for s in ddl.split(";"))):
                cur.execute(stmt)
            cur.adbc_ingest(table, arrow, mode="append")
            conn.commit()
        return
    import csv
    import io

    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in arrow.to_pylist():
        w.writerow(["NULL" if v is None else (int(v) if isinstance(v, bool) else v)
                    for v in row.values()])
    path = server.folder / f"{table}.csv"
    path.write_text(buf.getvalue(), encoding="utf-8")
    sql = (f"{ddl} LOAD DATA LOCAL INFILE '{path}' INTO TABLE `{table}` CHARACTER SET utf8mb4 "
           "FIELDS TERMINATED BY ',' OPTIONALLY ENCLOSED BY '\"' ESCAPED BY '' "
           "LINES TERMINATED BY '\\n';")
    subprocess.run(["mariadb", "--local-infile=1", f"--socket={server.socket}", "-u", "root",
                    "lean", "-e", sql], check=True, capture_output=True, timeout=600)
    path.unlink()
