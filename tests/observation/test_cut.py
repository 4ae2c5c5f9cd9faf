"""Page-aware cuts on real search results: whole entries only, valid JSON, and the hint works."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import medsim
from medsim.observation import ObservationView, token_counter
from medsim.observation.tokens import train_bpe
from medsim.tools.base import ToolResult

PARAMS = {"patient": "pat-0007", "_count": "40"}


@pytest.fixture(scope="module")
def fhir() -> Iterator[Any]:
    env = medsim.make("Demo-v0").unwrapped
    env.reset(seed=0)
    yield env.fhir
    env.close()


@pytest.fixture(scope="module")
def page(fhir: Any) -> dict[str, Any]:
    return dict(fhir.search("Observation", PARAMS))


def ids(bundle: dict[str, Any]) -> list[str]:
    return [
        e["resource"]["id"]
        for e in bundle.get("entry", [])
        if e.get("search", {}).get("mode") != "outcome"
    ]


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(min_value=400, max_value=30_000))
def test_json_view_keeps_whole_entries_and_the_hint_gets_the_rest(
    fhir: Any, page: dict[str, Any], limit: int
) -> None:
    text = ObservationView("fhir", char_limit=limit).show(ToolResult(page))
    assert len(text) <= limit
    cut = json.loads(text)  # never cut inside JSON
    if cut["resourceType"] == "OperationOutcome":  # not even one entry and the note fit
        assert limit < 1500 and "output limit" in text.lower()
        return
    shown = [e for e in cut.get("entry", []) if e.get("search", {}).get("mode") != "outcome"]
    assert shown == page["entry"][: len(shown)]  # whole entries, from the start
    if len(shown) == len(page["entry"]):
        return
    note = cut["entry"][-1]["resource"]["issue"][0]["diagnostics"]
    assert f"{page['total']} matches in all" in note
    k = max(len(shown), 1)
    assert f"_count={k}&_offset={len(shown)}" in note
    nxt = next(link["url"] for link in cut["link"] if link["relation"] == "next")
    assert nxt.endswith(f"_count={k}&_offset={len(shown)}")
    rest = fhir.search("Observation", {**PARAMS, "_count": str(k), "_offset": str(len(shown))})
    after = ids(page)[len(shown) : len(shown) + k]
    assert ids(rest)[: len(after)] == after


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(limit=st.integers(min_value=300, max_value=6_000))
def test_compact_view_never_cuts_a_row(page: dict[str, Any], limit: int) -> None:
    text = ObservationView("compact", char_limit=limit).show(ToolResult(page))
    assert len(text) <= limit
    lines = text.split("\n")
    if lines[0] == "OperationOutcome":  # not even one row and the note fit
        assert limit < 600 and ("841 matches" in text or "not shown" in text)
        return
    header = next((i for i, line in enumerate(lines) if line.endswith("| id")), len(lines) - 1)
    rows = [line for line in lines[header + 1 :] if not line.startswith("note: ")]
    width = lines[header].count(" | ")
    assert all(row.count(" | ") == width for row in rows)
    assert [r.rsplit(" | ", 1)[-1] for r in rows] == ids(page)[: len(rows)]
    if len(rows) < len(page["entry"]):
        assert lines[-1].startswith("note: Output limit") and f"_offset={len(rows)}" in lines[-1]


def test_token_limit_with_a_real_tokenizer(page: dict[str, Any]) -> None:
    tok = train_bpe([json.dumps(e) for e in page["entry"]] + ["Observation value status"], 2000)
    counter = token_counter(tok)
    for mode in ("fhir", "compact"):
        view = ObservationView(mode, char_limit=None, token_limit=300, counter=counter)  # type: ignore[arg-type]
        text = view.show(ToolResult(page))
        assert 0 < counter.count(text) <= 300
        assert counter.count(text) < counter.count(view.render(page))


def test_error_prefix_and_text_lines() -> None:
    lines = [f"line {i:02d} of the result" for i in range(20)]
    text = ObservationView("fhir", char_limit=150).show(ToolResult("\n".join(lines)))
    *kept, note = text.split("\n")
    assert len(text) <= 150 and 0 < len(kept) < 20 and kept == lines[: len(kept)]
    assert note.endswith(f"{20 - len(kept)} more lines not shown]")
    err = ObservationView("compact").show(ToolResult({"error": "bad"}, "bad", "tool_error"))
    assert err == "Error: bad"


def test_plain_json_list_cut_keeps_json() -> None:
    value = {"rows": [{"id": f"r{i}", "v": "x" * 40} for i in range(100)], "count": 100}
    text = ObservationView("fhir", char_limit=1000).show(ToolResult(value))
    cut = json.loads(text)
    assert len(text) <= 1000 and 0 < len(cut["rows"]) < 100
    assert cut["rows"] == value["rows"][: len(cut["rows"])]
    assert f"first {len(cut['rows'])} of 100 items" in cut["_truncated"]


def test_single_resource_too_large_shortens_strings(fhir: Any) -> None:
    doc = dict(
        fhir.search("DocumentReference", {"patient": "pat-0007", "_count": "1"})["entry"][0][
            "resource"
        ]
    )
    text = ObservationView("fhir", char_limit=1200).show(ToolResult(doc))
    cut = json.loads(text)
    assert len(text) <= 1200 and cut["id"] == doc["id"] and "characters cut" in text
