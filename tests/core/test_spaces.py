"""Text spaces: contain any text, sample valid seeded tool calls, copy and pickle cleanly."""

from __future__ import annotations

import copy
import pickle

from medsim.core.actions import parse_action
from medsim.core.env import ClinicalEnv
from medsim.core.spaces import ActionSpace, TextSpace
from medsim.tools import ToolContext, get_tool


def test_text_space_contains_any_string() -> None:
    space = TextSpace()
    assert space.contains('{"json": "ok"} µg ≥ 5') and space.contains("")
    assert not space.contains(3) and not space.contains(b"bytes")
    space.seed(0)
    assert isinstance(space.sample(), str)
    assert TextSpace(max_length=3).contains("abc") and not TextSpace(max_length=3).contains("abcd")


def test_action_space_contains_structured_calls() -> None:
    space = ActionSpace([get_tool("finish")])
    assert space.contains("GET Patient/1") and space.contains({"name": "finish", "arguments": {}})
    assert (
        space.contains([{"name": "finish"}]) and not space.contains(5) and not space.contains([1])
    )


def test_samples_are_valid_seeded_calls() -> None:
    tools = [get_tool(n) for n in ("fhir_search", "fhir_read", "fhir_create", "finish")]
    space = ActionSpace(tools, ToolContext(patient_id="pat-0042"), seed=7)
    samples = [space.sample() for _ in range(50)]
    names = set()
    for sample in samples:
        parsed = parse_action(sample)
        assert parsed.kind == "calls" and len(parsed.calls) == 1
        call = parsed.calls[0]
        get_tool(call.name).validate(call.arguments)  # schema-valid arguments
        names.add(call.name)
    assert names == {"fhir_search", "fhir_read", "finish"}  # writes excluded by default
    assert any("pat-0042" in s for s in samples)
    space.seed(7)
    assert [space.sample() for _ in range(50)] == samples


def test_sample_writes_opt_in_and_empty_fallback() -> None:
    space = ActionSpace([get_tool("fhir_create")], sample_writes=True, seed=1)
    assert parse_action(space.sample()).calls[0].name == "fhir_create"
    assert isinstance(ActionSpace([], seed=1).sample(), str)


def test_env_space_copies_without_the_episode(env: ClinicalEnv) -> None:
    env.reset(options={"task_id": "t-order"})
    clone = copy.deepcopy(env.action_space)
    assert clone.tool_names == ["fhir_search", "fhir_create", "finish"]
    assert clone._context.fhir is None  # spaces never hold the EHR view
    restored = pickle.loads(pickle.dumps(env.action_space))
    assert restored == env.action_space and restored._tools[0] is get_tool("fhir_search")
