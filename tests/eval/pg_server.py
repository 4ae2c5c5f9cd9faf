"""A throwaway PostgreSQL server for tests: Debian's ``postgresql`` binaries, a fresh cluster in
a temp folder, a free port on 127.0.0.1, trust auth; started with ``pg_ctl`` (as the
``postgres`` user when the tests run as root — PostgreSQL refuses root) and stopped by PID."""

from __future__ import annotations

import glob
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def pg_bin(name: str) -> str | None:
    found = shutil.which(name)
    if found:
        return found
    candidates = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))
    return candidates[-1] if candidates else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class PgServer:
    """``PgServer().start()``; ``.url``; ``.stop()`` kills the postmaster by its PID."""

    def __init__(self, user: str = "medsim") -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="medsim-pg-"))  # in /tmp: reachable by postgres
        self.user = user
        self.port = free_port()
        self.pid: int | None = None
        initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
        if not initdb or not pg_ctl:
            raise RuntimeError(
                "PostgreSQL server binaries not found (initdb, pg_ctl): install Debian's package "
                "with `apt-get install -y postgresql` (scripts/test does this)"
            )
        self.initdb, self.pg_ctl = initdb, pg_ctl

    def _run(self, cmd: list[str]) -> subprocess.CompletedProcess[str]:
        if os.geteuid() == 0:
            cmd = ["runuser", "-u", "postgres", "--", *cmd]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=120)

    def start(self) -> PgServer:
        data = self.folder / "data"
        if os.geteuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        res = self._run(
            [self.initdb, "-D", str(data), "-U", self.user, "--auth=trust", "-E", "UTF8"]
        )
        if res.returncode != 0:
            raise RuntimeError(f"initdb failed: {res.stderr[-2000:]}")
        opts = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        res = self._run(
            [
                self.pg_ctl,
                "-D",
                str(data),
                "-o",
                opts,
                "-l",
                str(self.folder / "log"),
                "-w",
                "start",
            ]
        )
        if res.returncode != 0:
            log = (self.folder / "log").read_text() if (self.folder / "log").exists() else ""
            raise RuntimeError(f"pg_ctl start failed: {res.stderr[-1000:]} {log[-2000:]}")
        self.pid = int((data / "postmaster.pid").read_text().splitlines()[0])
        return self

    @property
    def url(self) -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        """SIGTERM the postmaster (PostgreSQL's "smart" shutdown) by its PID; wait for it."""
        if self.pid is None:
            return
        try:
            os.kill(self.pid, signal.SIGTERM)
        except ProcessLookupError:
            self.pid = None
            return
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                os.kill(self.pid, 0)
            except ProcessLookupError:
                break
            time.sleep(0.1)
        else:
            os.kill(self.pid, signal.SIGKILL)
        self.pid = None
        shutil.rmtree(self.folder, ignore_errors=True)
