"""A throw-away PostgreSQL cluster for the tests that need a real one (tests/services/test_scale_out.py,
tests/services/test_purge_postgres.py): initdb into a temporary directory, a free loopback port, its
unix socket in that directory, stopped by `stop()`. PostgreSQL comes from Debian packages
(scripts/install_scale_deps.sh installs them when missing); system services are never used.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import time
from pathlib import Path
from typing import Optional

import psycopg2

from harness.servers import free_port, stop_process

DB_NAME, DB_USER = "rasa", "rasa"


def postgres_bin(name: str) -> str:
    """The newest installed PostgreSQL's `name` program (initdb, postgres)."""
    found = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    if not found:
        raise FileNotFoundError(f"PostgreSQL's {name} not found: run scripts/install_scale_deps.sh")
    return found[-1]


def _run_as(user: Optional[str]) -> dict:
    """Popen arguments that run a child as `user` (PostgreSQL refuses to run as root)."""
    return {"user": user, "group": pwd.getpwnam(user).pw_gid} if user else {}


class Postgres:
    """A throw-away PostgreSQL cluster on a free loopback port, run as a child process, with
    the database DB_NAME owned by DB_USER. `tmp` must be readable by the `postgres` user when
    run as root (chmod 0o755)."""

    def __init__(self, tmp: Path, password: Optional[str] = None) -> None:
        self.user = "postgres" if os.geteuid() == 0 else None
        self.dir = tmp / "postgres"
        self.dir.mkdir()
        self.port = free_port()
        self.password = password or secrets.token_hex(12)
        pwfile = self.dir / "pwfile"
        pwfile.write_text(self.password + "\n")
        if self.user:
            shutil.chown(self.dir, self.user)
            shutil.chown(pwfile, self.user)
        self.log = open(self.dir / "postgres.log", "w")
        self.proc: Optional[subprocess.Popen] = None

    def start(self) -> None:
        pwfile, data = self.dir / "pwfile", self.dir / "data"
        subprocess.run(
            [postgres_bin("initdb"), "-D", str(data), "-U", DB_USER, f"--pwfile={pwfile}",
             "--auth=scram-sha-256", "-E", "UTF8", "--no-sync"],
            check=True, capture_output=True, cwd=self.dir, **_run_as(self.user),
        )
        self.proc = subprocess.Popen(
            [postgres_bin("postgres"), "-D", str(data), "-p", str(self.port), "-h", "127.0.0.1",
             "-k", str(self.dir), "-c", "max_connections=200"],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=self.dir, **_run_as(self.user),
        )
        deadline = time.monotonic() + 120
        while True:
            try:
                conn = self.connect("postgres")
            except psycopg2.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError((self.dir / "postgres.log").read_text()[-3000:])
                time.sleep(0.5)
                continue
            conn.close()
            self.create_database(DB_NAME)
            return

    def create_database(self, name: str) -> None:
        conn = self.connect("postgres")
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run in a transaction
            conn.cursor().execute(f'CREATE DATABASE "{name}"')
        finally:
            conn.close()

    def connect(self, db: str = DB_NAME):
        return psycopg2.connect(host="127.0.0.1", port=self.port, user=DB_USER, password=self.password, dbname=db)

    def stop(self) -> None:
        stop_process(self.proc, signal.SIGINT, timeout=30)  # SIGINT: PostgreSQL's "fast" shutdown
        self.log.close()
