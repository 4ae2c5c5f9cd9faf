"""The first build of a cohort's FHIR index says what it builds and where (stderr), then is
silent when the cached index is reused."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsim.fhir.embedded import EmbeddedBackend

DATA = Path(__file__).parent / "fixtures" / "ehr.ndjson"


def test_first_build_reports_progress_on_stderr(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path))
    EmbeddedBackend(DATA).close()
    out, err = capsys.readouterr()
    assert out == ""
    assert f"building the FHIR search index of {DATA}" in err and str(tmp_path) in err
    assert "first run only" in err and "indexed" in err and "resources" in err
    EmbeddedBackend(DATA).close()  # cached now: nothing to say
    assert capsys.readouterr() == ("", "")
