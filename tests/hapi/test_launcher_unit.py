"""medsim.fhir.hapi_server without Java: build cache, PID safety, port checks."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from medsim.fhir import hapi_server


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fake Maven project and an empty state dir, so nothing real is touched."""
    project = tmp_path / "hapi"
    (project / "src" / "main").mkdir(parents=True)
    (project / "pom.xml").write_text("<project/>")
    (project / "src" / "main" / "App.java").write_text("class App {}")
    monkeypatch.setenv("MEDSIM_HAPI_DIR", str(project))
    monkeypatch.setenv("MEDSIM_HAPI_STATE", str(tmp_path / "state"))
    monkeypatch.delenv("MEDSIM_HAPI_JAR", raising=False)
    return project


def test_is_built_follows_source_times(isolated: Path) -> None:
    assert not hapi_server.is_built()
    jar = isolated / "target" / hapi_server.JAR_NAME
    jar.parent.mkdir()
    jar.write_bytes(b"jar")
    now = time.time()
    os.utime(jar, (now, now))
    os.utime(isolated / "src" / "main" / "App.java", (now - 10, now - 10))
    os.utime(isolated / "pom.xml", (now - 10, now - 10))
    assert hapi_server.is_built()
    os.utime(isolated / "src" / "main" / "App.java", (now + 10, now + 10))  # a source edited later
    assert not hapi_server.is_built()


def test_missing_project_is_a_clear_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDSIM_HAPI_DIR", str(tmp_path / "nowhere"))
    with pytest.raises(hapi_server.HapiError, match="MEDSIM_HAPI_DIR"):
        hapi_server.project_dir()


def test_stop_never_kills_a_foreign_process() -> None:
    """A recorded PID that is not our java jar (reused PID) is left alone."""
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        info = {
            "pid": other.pid,
            "host": "127.0.0.1",
            "port": 1,
            "url": "http://127.0.0.1:1/fhir",
            "jar": "/x/medsim-hapi.jar",
            "log": "/dev/null",
            "started_at": 0.0,
        }
        (hapi_server.state_dir() / "hapi.pid.json").write_text(json.dumps(info))
        assert hapi_server.status()["running"] is False
        assert hapi_server.stop() is False
        assert other.poll() is None  # still alive
        assert not (hapi_server.state_dir() / "hapi.pid.json").exists()
    finally:
        other.kill()
        other.wait()


def test_stop_without_pid_file() -> None:
    assert hapi_server.stop() is False
    assert hapi_server.status()["running"] is False


def test_start_refuses_a_busy_port() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        with pytest.raises(hapi_server.HapiError, match="already in use"):
            hapi_server.start(port=port, build_if_needed=False)
