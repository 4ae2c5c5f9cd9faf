"""The shortcuts live status takes (issue 19, session 5) give what the plain computation gives.

- ``data_retrieved`` keeps the text of its queried steps as they are added: it must read as the
  list printed whole would (the evidence users see in ``info["checkpoints"]``).
- ``run_spec`` looks a live checkpoint's grader and parsed params up once per episode cache:
  a final grade always re-parses changed params, a new episode (cache) too.
- ``checkpoint_status`` given the events of a step looks only at the checkpoints they touch,
  starting from the last live status: the result must equal a full evaluation's.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.grading.checkpoints.depends import EventCursor, Events
from medsim.grading.checkpoints.registry import GradeContext, run_spec
from medsim.grading.checkpoints.retrieval import RetrievalMatch, _Progress
from medsim.grading.record import EpisodeRecord, RecordedWrite, ToolCall
from medsim.grading.score import checkpoint_status
from medsim.tasks.schema import CheckpointSpec, Task

K = {"system": "http://loinc.org", "codes": ["2823-3"]}  # potassium, LOINC 2823-3
A1C = {"system": "http://loinc.org", "codes": ["4548-4"]}  # hemoglobin A1c, LOINC 4548-4


def _potassium(step: int) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [
            {
                "resource": {
                    "resourceType": "Observation",
                    "id": f"k-{step}",
                    "code": {"coding": [{"system": "http://loinc.org", "code": "2823-3"}]},
                    "subject": {"reference": "Patient/pat-1"},
                }
            }
        ],
    }


def _search(step: int) -> ToolCall:
    args = {"resource_type": "Observation", "params": {"patient": "pat-1"}}
    return ToolCall(step=step, name="fhir_search", arguments=args, result=_potassium(step))


def _task(*checkpoints: dict[str, Any]) -> Task:
    return Task.model_validate(
        {
            "id": "live-shortcuts",
            "suite": "demo",
            "patient": "pat-1",
            "now": "2025-01-15T09:00:00Z",
            "instruction": "Look up the potassium.",
            "specialty": "nephrology",
            "workflow": "data_retrieval",
            "tools": ["fhir_search"],
            "reference_solution": [{"name": "fhir_search", "arguments": {}}],
            "checkpoints": list(checkpoints),
        }
    )


@settings(max_examples=200, deadline=None)
@given(st.lists(st.lists(st.integers(min_value=0, max_value=10**6), max_size=4), max_size=8))
def test_queried_text_reads_as_the_printed_list(batches: list[list[int]]) -> None:
    p = _Progress(0, RetrievalMatch(resource_type="Observation").__dict__, "Observation")
    for steps in batches:
        p.query(steps)
        assert p.queried_text == str(p.queried)
    assert p.queried == [s for steps in batches for s in steps]


def test_live_evidence_lists_every_queried_step() -> None:
    task = _task({"id": "a1c", "grader": "data_retrieved", "params": {**_obs(A1C)}})
    record = EpisodeRecord(task_id=task.id)
    cache: dict[Any, Any] = {}
    for step in range(1, 4):
        record.tool_calls.append(_search(step))
        live = checkpoint_status(task, record, None, final=False, cache=cache)["a1c"]
    final = checkpoint_status(task, record, None, final=True)["a1c"]
    assert live == final
    assert final["status"] == "failed"
    assert final["evidence"].endswith("queries at steps [1, 2, 3] returned no match")


def _obs(code: dict[str, Any]) -> dict[str, Any]:
    return {"resource_type": "Observation", "code": code}


def test_live_runs_parse_params_once_per_episode_final_grades_always() -> None:
    spec = CheckpointSpec(id="k", grader="data_retrieved", params=_obs(K))
    task = _task(spec.model_dump())
    record = EpisodeRecord(task_id=task.id, tool_calls=[_search(1)])
    cache: dict[Any, Any] = {}
    live = GradeContext(task=task, record=record, final=False, cache=cache, checkpoint="k")
    assert run_spec(spec, live).passed
    spec.params["code"] = A1C  # changed during the episode: this episode's live runs keep K
    assert run_spec(spec, GradeContext(task=task, record=record, final=False, cache=cache)).passed
    assert not run_spec(spec, GradeContext(task=task, record=record, final=True)).passed
    assert not run_spec(spec, GradeContext(task=task, record=record, final=False)).passed


def test_touched_only_status_equals_a_full_evaluation() -> None:
    task = _task(
        {"id": "k", "grader": "data_retrieved", "params": _obs(K)},
        {"id": "a1c", "grader": "data_retrieved", "params": _obs(A1C)},
        {"id": "none", "grader": "nothing_created", "params": {}},
    )
    record = EpisodeRecord(task_id=task.id)
    cache: dict[Any, Any] = {}
    full: dict[Any, Any] = {}  # re-runs every grader every step (a pass stays a pass in both)
    cursor = EventCursor(record)
    first = checkpoint_status(task, record, None, final=False, cache=cache, changed=None)
    assert first == checkpoint_status(task, record, None, final=False, cache=full)
    assert list(first) == ["k", "a1c", "none"]
    for step in range(1, 4):
        record.tool_calls.append(_search(step))
        changed = cursor.advance(record)
        assert changed is not None
        status = checkpoint_status(task, record, None, final=False, cache=cache, changed=changed)
        assert status == checkpoint_status(task, record, None, final=False, cache=full)
        assert list(status) == ["k", "a1c", "none"]  # the task's order
    assert status["k"]["status"] == "passed" and status["a1c"]["status"] == "failed"
    # a monotone pass is kept as first seen while the episode runs (docs/grading.md)
    assert status["k"]["evidence"].endswith("1 returned, first at step 1 (Observation/k-1)")
    # a final grade made with the live cache reads the whole record, as a fresh one does
    graded = checkpoint_status(task, record, None, final=True, cache=cache)
    assert graded == checkpoint_status(task, record, None, final=True)
    assert "3 returned, first at step 1" in graded["k"]["evidence"]
    assert graded["none"]["status"] == "passed" != status["none"]["status"]
    # and leaves the live status to carry on from where it was
    record.tool_calls.append(_search(4))
    changed = cursor.advance(record)
    assert changed is not None
    status = checkpoint_status(task, record, None, final=False, cache=cache, changed=changed)
    assert status == checkpoint_status(task, record, None, final=False, cache=full)
    assert status["none"]["status"] == "pending"


def test_events_given_to_a_fresh_cache_evaluate_everything() -> None:
    task = _task(
        {"id": "k", "grader": "data_retrieved", "params": _obs(K)},
        {"id": "none", "grader": "nothing_created", "params": {}},
    )
    record = EpisodeRecord(task_id=task.id, tool_calls=[_search(1)])
    events = Events(calls=frozenset({"fhir_search"}))
    status = checkpoint_status(task, record, None, final=False, cache={}, changed=events)
    assert status == checkpoint_status(task, record, None, final=False)
    assert [o["status"] for o in status.values()] == ["passed", "pending"]


# ---- what each call retrieved is read once per episode cache (session 6) ----------------------


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def _a1c(rid: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": rid,
        "code": {"coding": [{"system": "http://loinc.org", "code": "4548-4"}]},
        "subject": {"reference": "Patient/pat-1"},
    }


def test_a_result_replaced_after_live_status_is_read_again_by_the_final_grade() -> None:
    task = _task({"id": "a1c", "grader": "data_retrieved", "params": _obs(A1C)})
    record = EpisodeRecord(task_id=task.id)
    cache: dict[Any, Any] = {}
    cursor = EventCursor(record)
    for step in (1, 2):
        record.tool_calls.append(_search(step))
        changed = cursor.advance(record)
        live = checkpoint_status(task, record, None, final=False, cache=cache, changed=changed)
    assert live["a1c"]["status"] == "failed"
    record.tool_calls[0].result = _bundle(_a1c("a1c-1"))  # another result object for call 1
    graded = checkpoint_status(task, record, None, final=True, cache=cache)
    assert graded == checkpoint_status(task, record, None, final=True)
    assert graded["a1c"]["status"] == "passed"


def test_the_episodes_own_writes_are_left_out_of_results_read_before_them() -> None:
    """A resource the episode created, then saw in a search, is not retrieved data, also when
    the search's result was read (live) before the write was known to the log."""
    task = _task({"id": "a1c", "grader": "data_retrieved", "params": _obs(A1C)})
    record = EpisodeRecord(task_id=task.id)
    cache: dict[Any, Any] = {}
    cursor = EventCursor(record)
    record.tool_calls.append(
        ToolCall(step=1, name="fhir_search", arguments={}, result=_bundle(_a1c("own")))
    )
    first = checkpoint_status(
        task, record, None, final=False, cache=cache, changed=cursor.advance(record)
    )
    assert first["a1c"]["status"] == "passed"  # (live: the write is not in the record yet)
    record.writes.append(
        RecordedWrite(
            method="create",
            resource_type="Observation",
            id="own",
            resource=_a1c("own"),
            seq=0,
            step=0,
        )
    )
    graded = checkpoint_status(task, record, None, final=True, cache=cache)
    assert graded == checkpoint_status(task, record, None, final=True)
    assert graded["a1c"]["status"] == "failed"


def test_a_pass_that_can_be_undone_is_looked_at_again() -> None:
    """Only a monotone grader's pass settles a checkpoint for the rest of the episode: an
    answer that matched, then changed, must fail live (``checkpoint_status`` skips settled ones)."""
    task = _task(
        {"id": "k", "grader": "data_retrieved", "params": _obs(K)},
        {"id": "hyper", "grader": "answer_matches", "params": {"regex": ["hyperkal"]}},
    )
    record = EpisodeRecord(task_id=task.id)
    cache: dict[Any, Any] = {}
    cursor = EventCursor(record)
    checkpoint_status(task, record, None, final=False, cache=cache, changed=None)
    verdicts = []
    for step, answer in ((1, None), (2, "hyperkalemia"), (3, "normal potassium")):
        record.tool_calls.append(_search(step))
        record.answer = answer
        changed = cursor.advance(record)
        status = checkpoint_status(task, record, None, final=False, cache=cache, changed=changed)
        verdicts.append((status["k"]["status"], status["hyper"]["status"]))
    assert verdicts == [("passed", "pending"), ("passed", "passed"), ("passed", "failed")]


def test_a_live_cache_given_another_record_grades_that_record() -> None:
    """Live evaluations reuse their GradeContext while record and store stay the same: the same
    cache given another record must read that one."""
    task = _task({"id": "k", "grader": "data_retrieved", "params": _obs(K)})
    cache: dict[Any, Any] = {}
    empty = EpisodeRecord(task_id=task.id)
    searched = EpisodeRecord(task_id=task.id, tool_calls=[_search(1)])
    assert checkpoint_status(task, empty, None, final=False, cache=cache)["k"]["status"] == "failed"
    status = checkpoint_status(task, searched, None, final=False, cache=cache)
    assert status["k"]["status"] == "passed"


# ---- what counts as retrieved, directly (mutation run of retrieval.py, session 6) -------------


def test_a_match_needs_the_type_the_tool_the_code_and_the_category() -> None:
    from medsim.grading.checkpoints.fhirdata import CodeMatch
    from medsim.grading.checkpoints.retrieval import Retrieved, matches_retrieved

    lab = {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category",
                       "code": "laboratory"}]}  # fmt: skip
    res = {**_a1c("x"), "category": [lab]}
    item = Retrieved(1, "fhir_search", res)
    a1c, k = CodeMatch(**A1C), CodeMatch(**K)
    cat = CodeMatch(codes=["laboratory"])
    vitals = CodeMatch(codes=["vital-signs"])
    assert matches_retrieved(item, "Observation", a1c, cat, ["fhir_search"])
    assert matches_retrieved(item, "Observation", a1c, CodeMatch(), [])
    assert not matches_retrieved(item, "Condition", a1c, cat, [])
    assert not matches_retrieved(item, "Observation", a1c, cat, ["fhir_read"])
    assert not matches_retrieved(item, "Observation", k, cat, [])
    assert not matches_retrieved(item, "Observation", a1c, vitals, [])
    assert not matches_retrieved(Retrieved(1, "x", _a1c("y")), "Observation", a1c, cat, [])
    for tools in ([], ["fhir_read"]):
        match = RetrievalMatch(resource_type="Observation", code=a1c, tools=tools)
        assert match.matches(item) == matches_retrieved(
            item, "Observation", a1c, CodeMatch(), tools
        )


def test_only_calls_that_name_the_type_count_as_queries() -> None:
    task = _task({"id": "a1c", "grader": "data_retrieved", "params": _obs(A1C)})
    record = EpisodeRecord(task_id=task.id)
    for step, args in enumerate(
        [
            {"resource_type": "Patient", "params": {"_id": "pat-1"}},  # another type
            {"url": "observation?patient=pat-1"},  # names it in its text (any case)
            {"resource_type": "Observation", "params": {"patient": "pat-1"}},
        ],
        start=1,
    ):
        record.tool_calls.append(ToolCall(step=step, name="fhir_search", arguments=args, result={}))
    evidence = checkpoint_status(task, record, None, final=True)["a1c"]["evidence"]
    assert evidence.endswith("queries at steps [2, 3] returned no match")
    record.tool_calls[1:] = []
    evidence = checkpoint_status(task, record, None, final=True)["a1c"]["evidence"]
    assert evidence.endswith("never queried")


def test_one_matching_resource_is_enough_by_default_and_a_same_step_write_excludes_it() -> None:
    """Without ``min_results`` one resource passes; a chart resource the episode changed counts
    only when read in a step before its first write (a read in the write's own step does not)."""
    task = _task({"id": "a1c", "grader": "data_retrieved", "params": _obs(A1C)})
    for read_step, passes in ((1, True), (2, False)):
        record = EpisodeRecord(task_id=task.id)
        record.tool_calls.append(
            ToolCall(step=read_step, name="fhir_search", arguments={}, result=_bundle(_a1c("c")))
        )
        record.writes.append(
            RecordedWrite(method="update", resource_type="Observation", id="c",
                          resource=_a1c("c"), seq=0, step=2)
        )  # fmt: skip
        graded = checkpoint_status(task, record, None, final=True)["a1c"]
        assert (graded["status"] == "passed") is passes, (read_step, graded)
        explicit = _task({"id": "a1c", "grader": "data_retrieved",
                          "params": {**_obs(A1C), "min_results": 1}})  # fmt: skip
        graded = checkpoint_status(explicit, record, None, final=True)["a1c"]
        assert (graded["status"] == "passed") is passes
