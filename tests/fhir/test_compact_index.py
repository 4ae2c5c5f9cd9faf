"""The compact base index (issue 19, row 3): bodies stored compressed with a trained dictionary
and read back exactly; a resource loaded twice in one build keeps its later copy (and only its
index rows); the ASCII fast path of string normalisation agrees with the NFKD definition."""

from __future__ import annotations

import json
import sqlite3
import unicodedata
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.fhir.bodies import Bodies
from medsim.fhir.embedded import LOAD_INSTANT, EmbeddedBackend
from medsim.fhir.search_params import normalize_string


def _observations(n: int) -> list[dict[str, object]]:
    out: list[dict[str, object]] = [{"resourceType": "Patient", "id": "p1", "gender": "female"}]
    for i in range(n):
        out.append(
            {
                "resourceType": "Observation",
                "id": f"o{i}",
                "status": "final",
                "code": {
                    "coding": [
                        {"system": "http://loinc.org", "code": "2823-3", "display": "Potassium"}
                    ]
                },
                "subject": {"reference": "Patient/p1"},
                "effectiveDateTime": f"2024-01-{1 + i % 28:02d}T08:{i % 60:02d}:00Z",
                "valueQuantity": {"value": 3.5 + (i % 20) / 10, "unit": "mmol/L"},
                "note": [{"text": f"sample {i} — naïve café"}],
            }
        )
    return out


def _write_ndjson(path: Path, resources: list[dict[str, object]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in resources))


def test_base_bodies_are_compressed_and_read_back_exactly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))
    resources = _observations(600)  # enough bodies to train a dictionary
    data = tmp_path / "obs.ndjson"
    _write_ndjson(data, resources)
    backend = EmbeddedBackend(data, validate=False)
    with sqlite3.connect(backend.path) as conn:
        stored = [b for (b,) in conn.execute("SELECT body FROM resources")]
        has_dictionary = conn.execute(
            "SELECT COUNT(*) FROM meta WHERE key = 'body_dictionary' AND length(value) > 1000"
        ).fetchone()[0]
    assert all(isinstance(b, bytes) for b in stored)
    assert has_dictionary == 1
    raw = sum(len(json.dumps(r, ensure_ascii=False).encode()) for r in resources)
    assert sum(map(len, stored)) < raw / 4  # a shared dictionary: far smaller than the JSON
    ep = backend.episode()
    for original in (resources[0], resources[1], resources[-1]):
        got = ep.read(str(original["resourceType"]), str(original["id"]))
        expected = {**original, "meta": {"versionId": "1", "lastUpdated": LOAD_INSTANT}}
        assert got == expected
    page = ep.search("Observation", {"patient": "p1", "_count": "50"})
    assert page["total"] == 600
    assert page["entry"][0]["resource"]["note"][0]["text"].endswith("naïve café")


def test_few_bodies_use_plain_zstd_and_layer_bodies_stay_text() -> None:
    backend = EmbeddedBackend(_observations(3))
    ep = backend.episode()
    with sqlite3.connect(backend.path) as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'body_dictionary'").fetchone() == (
            "",
        )
    assert ep.read("Observation", "o2")["valueQuantity"] == {"value": 3.7, "unit": "mmol/L"}
    created = ep.create({"resourceType": "Patient", "gender": "male"})
    assert ep.read("Patient", created["id"])["gender"] == "male"
    assert Bodies().decode('{"resourceType":"Patient","id":"x"}') == {
        "resourceType": "Patient",
        "id": "x",
    }


def test_resource_twice_in_one_build_keeps_the_later_copy(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MEDSIM_CACHE_DIR", str(tmp_path / "cache"))
    data = tmp_path / "twice.ndjson"
    first = {"resourceType": "Patient", "id": "p", "gender": "male", "birthDate": "1950-01-01"}
    other = {"resourceType": "Patient", "id": "q", "gender": "male"}
    later = {"resourceType": "Patient", "id": "p", "gender": "female", "birthDate": "1960-05-05"}
    _write_ndjson(data, [first, other, later])
    ep = EmbeddedBackend(data, validate=False).episode()
    assert ep.read("Patient", "p")["gender"] == "female"
    assert ep.search("Patient", {"_id": "p"})["total"] == 1
    # the earlier copy's index rows are gone with it
    assert [e["resource"]["id"] for e in ep.search("Patient", {"gender": "male"})["entry"]] == ["q"]
    assert ep.search("Patient", {"birthdate": "1950-01-01"})["total"] == 0
    assert ep.search("Patient", {"birthdate": "1960-05-05"})["total"] == 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=60, deadline=None)
@given(extra=st.dictionaries(st.text(min_size=1), json_values, max_size=5))
def test_trained_codec_round_trips_any_json(extra: dict[str, object]) -> None:
    texts = [json.dumps(r, ensure_ascii=False) for r in _observations(400)]
    codec = _trained(tuple(texts))
    resource = {"resourceType": "Basic", "id": "b", **extra}
    text = json.dumps(resource, ensure_ascii=False)
    assert codec.decode(codec.encode(text)) == json.loads(text)


_CODECS: dict[tuple[str, ...], Bodies] = {}


def _trained(texts: tuple[str, ...]) -> Bodies:
    if texts not in _CODECS:
        _CODECS[texts] = Bodies.train(list(texts))
        assert _CODECS[texts].dictionary  # 400 similar bodies are enough to train on
    return _CODECS[texts]


def _nfkd_fold(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


@given(st.text())
def test_normalize_string_matches_the_nfkd_definition(value: str) -> None:
    assert normalize_string(value) == _nfkd_fold(value)


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_normalize_string_ascii(value: str) -> None:
    assert normalize_string(value) == _nfkd_fold(value)


def test_episode_opened_before_a_load_reads_what_the_load_added() -> None:
    backend = EmbeddedBackend()
    ep = backend.episode()
    backend.load(_observations(600))  # enough bodies that a dictionary could be trained
    assert ep.read("Observation", "o599")["note"] == [{"text": "sample 599 — naïve café"}]
    assert ep.search("Observation", {"patient": "p1"})["total"] == 600
