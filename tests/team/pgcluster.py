"""A real PostgreSQL cluster for tests and benchmarks: Debian's binaries, a temp folder, loopback
and a free port. Run as the ``postgres`` user when we are root (initdb refuses root; CI is root).

Two roles besides the superuser: ``nbtrack_owner`` (owns the ``mlruns`` database, writes) and
``nbtrack_reader`` (may browse). Their passwords live only in a libpq password file outside
every store folder (``PGPASSFILE``).
"""

from __future__ import annotations

import glob
import os
import secrets
import shutil
import socket
import subprocess
import time
from pathlib import Path


def bin_dir() -> Path | None:
    """The newest installed server's binaries, or None."""
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"),
        key=lambda p: int(Path(p).parent.parent.name) if Path(p).parent.parent.name.isdigit() else 0,
    )
    return Path(found[-1]).parent if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Cluster:
    def __init__(self, root: Path):
        self.bin = bin_dir()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed (make postgresql installs it)")
        self.root = Path(root)
        self.data = self.root / "data"
        self.sock = self.root / "sock"
        self.log = self.root / "server.log"
        self.port = free_port()
        self.host = "127.0.0.1"
        self.dbname = "mlruns"
        self.owner, self.reader = "nbtrack_owner", "nbtrack_reader"
        self.owner_password = "own-" + secrets.token_hex(12)
        self.reader_password = "read-" + secrets.token_hex(12)
        self.passfile = self.root / "pgpass"
        self._as_postgres = os.getuid() == 0

    # -- running commands as the server's user ---------------------------------------------
    def _run(self, *args: str, check: bool = True, timeout: float = 120) -> subprocess.CompletedProcess:
        cmd = [str(self.bin / args[0]), *args[1:]]
        if self._as_postgres:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        # stdout/stderr to files, never pipes a daemon could keep open (pg_ctl start hangs).
        out = self.root / "cmd.out"
        with open(out, "wb") as f:
            proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, timeout=timeout)
        if check and proc.returncode:
            raise RuntimeError(
                f"{' '.join(args[:2])} failed: {out.read_text()[-2000:]}"
                f"\n{self.log.read_text()[-2000:] if self.log.exists() else ''}"
            )
        return proc

    def init(self) -> "Cluster":
        self.root.mkdir(parents=True, exist_ok=True)
        self.sock.mkdir(exist_ok=True)
        if self._as_postgres:
            shutil.chown(self.root, "postgres")
            shutil.chown(self.sock, "postgres")
            os.chmod(self.root, 0o755)
        # Local socket: trust (the suite's admin work); TCP: passwords (what users do).
        self._run(
            "initdb",
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
        )
        self.start()
        self.admin_sql(
            f"CREATE ROLE {self.owner} LOGIN PASSWORD '{self.owner_password}'",
            f"CREATE ROLE {self.reader} LOGIN PASSWORD '{self.reader_password}'",
            f"CREATE DATABASE {self.dbname} OWNER {self.owner}",
        )
        self.passfile.write_text(
            f"{self.host}:{self.port}:{self.dbname}:{self.owner}:{self.owner_password}\n"
            f"{self.host}:{self.port}:{self.dbname}:{self.reader}:{self.reader_password}\n"
        )
        os.chmod(self.passfile, 0o600)
        return self

    def start(self) -> None:
        opts = f"-p {self.port} -k {self.sock} -c listen_addresses={self.host} -c fsync=off -c max_connections=200"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", opts, "-w", "-t", "60", "start")

    def stop(self, mode: str = "fast") -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-t", "60", "stop", check=False)

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)

    # -- connecting -------------------------------------------------------------------------
    def uri(self, role: str | None = None) -> str:
        """The URI a user sets (no password: that comes from the password file)."""
        return f"postgresql://{role or self.owner}@{self.host}:{self.port}/{self.dbname}"

    def env(self) -> dict[str, str]:
        return {"PGPASSFILE": str(self.passfile), "PGCONNECT_TIMEOUT": "3"}

    def admin_sql(self, *statements: str, dbname: str = "postgres") -> list:
        import psycopg

        out = []
        with psycopg.connect(
            host=str(self.sock), port=self.port, user="postgres", dbname=dbname, autocommit=True
        ) as con:
            for stmt in statements:
                cur = con.execute(stmt)
                out.append(cur.fetchall() if cur.description else None)
        return out

    def wait_ready(self, timeout: float = 30) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.admin_sql("SELECT 1")
                return
            except Exception:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
