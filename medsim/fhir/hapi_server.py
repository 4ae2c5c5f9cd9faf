"""Build, start, stop and inspect medsim's own HAPI FHIR server (``fhir_server/hapi``), no Docker.

The server is a Spring Boot jar built with Maven from HAPI FHIR 8.8.0 libraries (see
``fhir_server/README.md``). :func:`start` runs it in the background with ``java -jar``, logs to a
state directory (``$MEDSIM_HAPI_STATE``, default ``~/.cache/medsim/hapi``), records its PID there
and waits for ``GET /fhir/metadata``; :func:`stop` ends only the process it recorded, after
checking that the PID still belongs to this jar. POSIX only (signals, ``/proc`` or ``ps``).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import httpx

JAR_NAME = "medsim-hapi.jar"
DEFAULT_HEAP = "1536m"
_LOG_TAIL_LINES = 40
_NETWORK_ERROR = re.compile(
    r"Could not (transfer|resolve)|Connection (reset|timed out)|Read timed out"
)


class HapiError(RuntimeError):
    """The HAPI server could not be built, started or stopped; the message says why."""


@dataclass(frozen=True)
class ServerInfo:
    """A server started by :func:`start` (what the PID file records)."""

    pid: int
    host: str
    port: int
    url: str
    jar: str
    log: str
    started_at: float


def project_dir() -> Path:
    """The Maven module: ``$MEDSIM_HAPI_DIR`` or ``fhir_server/hapi`` next to the medsim package."""
    env = os.environ.get("MEDSIM_HAPI_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "fhir_server" / "hapi"
    if not (path / "pom.xml").is_file():
        raise HapiError(
            f"HAPI server sources not found at {path} (no pom.xml). Run from a medsim checkout "
            "or set MEDSIM_HAPI_DIR to the fhir_server/hapi folder."
        )
    return path


def jar_path() -> Path:
    """The runnable jar: ``$MEDSIM_HAPI_JAR`` or ``<project>/target/medsim-hapi.jar``."""
    env = os.environ.get("MEDSIM_HAPI_JAR")
    return Path(env) if env else project_dir() / "target" / JAR_NAME


def state_dir() -> Path:
    """Where the PID file and log live (created on demand)."""
    env = os.environ.get("MEDSIM_HAPI_STATE")
    path = Path(env) if env else Path.home() / ".cache" / "medsim" / "hapi"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _pid_file() -> Path:
    return state_dir() / "hapi.pid.json"


def _require(tool: str) -> str:
    exe = shutil.which(tool)
    if exe is None:
        raise HapiError(
            f"'{tool}' not found on PATH: the HAPI server needs Java 17+ and Maven 3.8+."
        )
    return exe


def is_built() -> bool:
    """True when the jar exists and is newer than ``pom.xml`` and every file under ``src/``."""
    jar = jar_path()
    if not jar.is_file():
        return False
    if os.environ.get("MEDSIM_HAPI_JAR"):
        return True  # a user-supplied jar is never rebuilt
    project = project_dir()
    sources = [project / "pom.xml", *(p for p in (project / "src").rglob("*") if p.is_file())]
    newest = max(p.stat().st_mtime for p in sources)
    return jar.stat().st_mtime >= newest


def build(force: bool = False, quiet: bool = True) -> Path:
    """Package the jar with Maven unless it is already up to date; returns its path.

    The first build downloads HAPI and Spring Boot from Maven Central (a few hundred MB into
    ``~/.m2``) and takes minutes; later builds are offline and take seconds.
    """
    if not force and is_built():
        return jar_path()
    mvn = _require("mvn")
    _require("java")
    # Wagon retries smooth over flaky downloads on a cold ~/.m2; one full retry covers the rest.
    cmd = [mvn, "-B", *(["-q"] if quiet else []), "-Dmaven.wagon.http.retryHandler.count=3"]
    cmd += ["package", "-DskipTests"]
    for attempt in (1, 2):
        proc = subprocess.run(cmd, cwd=project_dir(), capture_output=quiet, text=True, check=False)
        output = (proc.stdout or "") + (proc.stderr or "")
        if proc.returncode == 0 or attempt == 2 or not _NETWORK_ERROR.search(output):
            break
    if proc.returncode != 0:
        tail = "\n".join(output.splitlines()[-_LOG_TAIL_LINES:])
        raise HapiError(f"Maven build failed (exit {proc.returncode}): {' '.join(cmd)}\n{tail}")
    jar = jar_path()
    if not jar.is_file():
        raise HapiError(f"Maven finished but {jar} is missing.")
    return jar


def _cmdline(pid: int) -> str:
    """The command line of a live process, or '' if it is gone."""
    proc_file = Path(f"/proc/{pid}/cmdline")
    try:
        return proc_file.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except FileNotFoundError:
        pass
    except OSError:
        return ""
    out = subprocess.run(
        ["ps", "-o", "command=", "-p", str(pid)], capture_output=True, text=True, check=False
    )
    return out.stdout.strip()


def _is_ours(info: ServerInfo) -> bool:
    """The recorded PID is alive and still runs our jar (PIDs get reused)."""
    cmd = _cmdline(info.pid)
    return bool(cmd) and "java" in cmd and Path(info.jar).name in cmd


def _read_info() -> ServerInfo | None:
    try:
        return ServerInfo(**json.loads(_pid_file().read_text()))
    except (FileNotFoundError, json.JSONDecodeError, TypeError):
        return None


def _log_tail(log: Path, lines: int = _LOG_TAIL_LINES) -> str:
    try:
        text = log.read_bytes()[-20000:].decode(errors="replace")
    except FileNotFoundError:
        return "(no log)"
    return "\n".join(text.splitlines()[-lines:])


def _port_in_use(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host if host != "0.0.0.0" else "127.0.0.1", port)) == 0


def metadata_ok(url: str, timeout: float = 5.0) -> bool:
    """True when ``<url>/metadata`` answers with a CapabilityStatement."""
    try:
        r = httpx.get(
            f"{url}/metadata", timeout=timeout, headers={"Accept": "application/fhir+json"}
        )
        return r.status_code == 200 and r.json().get("resourceType") == "CapabilityStatement"
    except (httpx.HTTPError, ValueError):
        return False


def start(
    port: int = 8080,
    host: str = "127.0.0.1",
    wait: bool = True,
    timeout: float = 300.0,
    heap: str | None = None,
    build_if_needed: bool = True,
    db: str | Path | None = None,
    extra_args: tuple[str, ...] = (),
) -> ServerInfo:
    """Start the server in the background (building it first if needed); returns its info.

    If a server started here is already running, it is returned as is when it listens on the same
    host and port, and an error is raised otherwise. ``heap`` defaults to ``$MEDSIM_HAPI_HEAP`` or
    1536m; ``$MEDSIM_HAPI_JAVA_OPTS`` adds JVM options. With ``wait`` it blocks until
    ``/fhir/metadata`` answers, raising :class:`HapiError` with the log tail if the process dies or
    ``timeout`` seconds pass (the process is then stopped). ``db`` is a JDBC URL or a path for
    an H2 file database that outlives restarts (default: H2 in memory, held in the Java heap);
    ``extra_args`` are passed to Spring (``--hapi.fhir.default_page_size=50``).
    """
    current = _read_info()
    if current is not None and _is_ours(current):
        if (current.host, current.port) == (host, port):
            if wait:
                _wait_ready(current, timeout)
            return current
        raise HapiError(
            f"a HAPI server started by medsim is already running at {current.url} "
            f"(pid {current.pid}); stop it first (medsim hapi stop)."
        )
    if _port_in_use(host, port):
        raise HapiError(f"port {port} on {host} is already in use; choose another port.")
    jar = build() if build_if_needed else jar_path()
    if not jar.is_file():
        raise HapiError(f"{jar} does not exist: build it first (medsim hapi build).")
    java = _require("java")
    heap = heap or os.environ.get("MEDSIM_HAPI_HEAP", DEFAULT_HEAP)
    jvm_opts = os.environ.get("MEDSIM_HAPI_JAVA_OPTS", "").split()
    cmd = [
        java,
        f"-Xmx{heap}",
        *jvm_opts,
        "-jar",
        str(jar),
        f"--server.port={port}",
        f"--server.address={host}",
        *([f"--spring.datasource.url={_jdbc_url(db)}"] if db else []),
        *extra_args,
    ]
    log = state_dir() / "hapi.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    url_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    info = ServerInfo(
        pid=proc.pid,
        host=host,
        port=port,
        url=f"http://{url_host}:{port}/fhir",
        jar=str(jar),
        log=str(log),
        started_at=time.time(),
    )
    _pid_file().write_text(json.dumps(asdict(info), indent=1))
    if wait:
        try:
            _wait_ready(info, timeout, proc)
        except HapiError:
            stop()
            raise
    return info


def _jdbc_url(db: str | Path) -> str:
    """A JDBC URL as is, or an H2 file database at a path (created on first start)."""
    text = str(db)
    if text.startswith("jdbc:"):
        return text
    path = Path(text).expanduser().resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    return f"jdbc:h2:file:{path}"


def _wait_ready(
    info: ServerInfo, timeout: float, proc: subprocess.Popen[bytes] | None = None
) -> None:
    """Poll metadata until ready; fail fast with the log tail if the JVM exits."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        exited = proc.poll() is not None if proc is not None else not _is_ours(info)
        if exited:
            raise HapiError(
                f"HAPI server exited during start-up (log {info.log}):\n{_log_tail(Path(info.log))}"
            )
        if metadata_ok(info.url):
            return
        time.sleep(1.0)
    raise HapiError(
        f"HAPI server not ready at {info.url}/metadata after {timeout:.0f}s "
        f"(log {info.log}):\n{_log_tail(Path(info.log))}"
    )


def stop(timeout: float = 30.0) -> bool:
    """Stop the server recorded in the PID file (SIGTERM, then SIGKILL); True if one was stopped.

    A PID that is gone or now belongs to another program is left alone; the PID file is removed.
    """
    info = _read_info()
    if info is None:
        return False
    stopped = False
    if _is_ours(info):
        os.kill(info.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and _is_ours(info):
            _reap(info.pid)
            time.sleep(0.2)
        if _is_ours(info):
            os.kill(info.pid, signal.SIGKILL)
            while _is_ours(info):
                _reap(info.pid)
                time.sleep(0.1)
        stopped = True
    _pid_file().unlink(missing_ok=True)
    return stopped


def _reap(pid: int) -> None:
    """Collect the exit status if the server is our child (else it lingers as a zombie)."""
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)


def status() -> dict[str, object]:
    """What is known about the server: running, ready (metadata answers), pid, url, log."""
    info = _read_info()
    if info is None or not _is_ours(info):
        return {"running": False, "ready": False, "state_dir": str(state_dir())}
    return {
        "running": True,
        "ready": metadata_ok(info.url),
        **asdict(info),
        "uptime_s": round(time.time() - info.started_at, 1),
    }
