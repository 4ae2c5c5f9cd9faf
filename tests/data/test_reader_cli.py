"""Reading data in every supported form, stats, the chart summary and ``medsim data``."""

from __future__ import annotations

import argparse
import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from medsim.cli import data_cmd
from medsim.data.cohort import CohortDataError, chart_summary, iter_resources, stats

Json = dict[str, Any]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="medsim")
    data_cmd.register(parser.add_subparsers(dest="command", required=True))
    return parser


def _run(argv: list[str]) -> int:
    args = _parser().parse_args(argv)
    return int(args.func(args) or 0)


def test_all_input_forms_agree(tmp_path: Path, small: list[Json]) -> None:
    lines = "\n".join(json.dumps(r) for r in small) + "\n"
    (tmp_path / "a.ndjson").write_text(lines)
    (tmp_path / "b.ndjson.gz").write_bytes(gzip.compress(lines.encode()))
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in small],
    }
    (tmp_path / "c.json").write_text(json.dumps(bundle))
    for name in ("a.ndjson", "b.ndjson.gz", "c.json"):
        assert list(iter_resources(tmp_path / name)) == small
    folder = tmp_path / "bundles"
    folder.mkdir()
    (folder / "p1.json").write_text(json.dumps(bundle))
    assert list(iter_resources(folder)) == small


def test_bad_inputs_are_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CohortDataError, match="no such file"):
        list(iter_resources(tmp_path / "missing.ndjson"))
    (tmp_path / "x.ndjson").write_text('{"resourceType": "Patient", "id": "a"}\nnot json\n')
    with pytest.raises(CohortDataError, match=r"x.ndjson:2: invalid JSON"):
        list(iter_resources(tmp_path / "x.ndjson"))
    (tmp_path / "y.json").write_text('{"hello": 1}')
    with pytest.raises(CohortDataError, match="no resourceType"):
        list(iter_resources(tmp_path / "y.json"))
    (tmp_path / "z.csv").write_text("a,b")
    with pytest.raises(CohortDataError, match="expected one of"):
        list(iter_resources(tmp_path / "z.csv"))


def test_stats(small: list[Json]) -> None:
    summary = stats(small)
    assert summary["patients"] == 6
    assert summary["resources"] == len(small)
    assert sum(summary["by_type"].values()) == len(small)
    per = summary["per_patient"]
    assert per["min"] <= per["median"] <= per["max"]
    assert summary["date_span"]["first"] < summary["date_span"]["last"] <= "2025-01-01"


def test_shipped_cohort_size(shipped: list[Json]) -> None:
    summary = stats(shipped)
    assert summary["patients"] == 100
    assert 400 <= summary["per_patient"]["median"] <= 1500


def test_chart_summary(small: list[Json]) -> None:
    text = chart_summary(small, "pat-0002")
    for heading in (
        "ACTIVE PROBLEMS",
        "ACTIVE MEDICATIONS",
        "ALLERGIES",
        "LATEST VITALS",
        "LATEST LABS",
        "RECENT ENCOUNTERS",
        "LAST NOTE",
    ):
        assert heading in text
    patient = next(r for r in small if r["resourceType"] == "Patient" and r["id"] == "pat-0002")
    assert patient["birthDate"] in text
    with pytest.raises(KeyError):
        chart_summary(small, "pat-9999")


def test_cli_stats_show_generate(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "c.ndjson.gz"
    assert _run(["data", "generate", "--patients", "2", "--seed", "3", "--out", str(out)]) == 0
    assert "resources/s" in capsys.readouterr().out
    assert _run(["data", "stats", "--data", str(out), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["patients"] == 2
    assert _run(["data", "show", "pat-0001", "--data", str(out)]) == 0
    assert "ACTIVE PROBLEMS" in capsys.readouterr().out
    assert _run(["data", "show", "pat-0042", "--data", str(out)]) == 2
    assert "pat-0042" in capsys.readouterr().err
    assert _run(["data", "generate", "--patients", "0", "--out", str(tmp_path / "z.gz")]) == 2
    assert "--patients" in capsys.readouterr().err
    small = ["--resources-per-patient", "20", "--out", str(tmp_path / "y.gz")]
    assert _run(["data", "generate", "--patients", "2", *small]) == 2
    assert "--resources-per-patient" in capsys.readouterr().err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["c.meta.json", "c.ndjson.gz"]  # no .tmp


def test_resources_per_patient_scales(tmp_path: Path) -> None:
    from medsim.data.cohort.generate import write_cohort

    meta = write_cohort(tmp_path / "big.ndjson.gz", patients=1, seed=9, resources_per_patient=3000)
    assert 3000 * 0.8 <= meta["resources_per_patient"]["max"] <= 3000 * 1.2
