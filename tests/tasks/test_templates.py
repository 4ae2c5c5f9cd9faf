"""The scenario-template engine: parsing errors name the file and field, distributions are
deterministic, eligibility rules hold, builders refuse unknown keys, instances become Tasks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medsim.tasks.builders import BuilderError, lab, note
from medsim.tasks.profiles import Eligibility, profiles
from medsim.tasks.templates import (
    Instance,
    TemplateError,
    draw,
    instantiate,
    load_template,
    train_instance,
)

MINIMAL = """\
template: mini
suite: demo
title: Minimal
specialty: internal_medicine
task_type: diagnosis_interpretation
rationale: A potassium of {{ k }}.
citations: [{id: c1, source: "Some guideline 2020", supports: "the threshold"}]
review: {reviewer: test, date: "2026-12-02", checked: nothing, changed: nothing}
parameters:
  k: {uniform: [3.0, 3.4], round: 1}
derived:
  low: "k < 3.5"
instances:
  - id: mini-01
    patient: pat-0007
    now: "2025-03-01T09:00:00+00:00"
    params: {k: 3.1}
train:
  count: 2
  eligibility: {min_age: 18}
task: |
  instruction: Potassium is {{ k }}; low is {{ low }}.
  tools: [fhir_search, finish]
  overlay:
    - {{ lab("potassium", k, "@now-PT2H") }}
  checkpoints:
    - id: looked
      grader: data_retrieved
      category: data_retrieval
      cites: [c1]
      params: {resource_type: Observation, code: {codes: ["http://loinc.org|2823-3"]}}
  reference_solution:
    - {"name": "finish", "arguments": {"answer": {{ k }}}}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_template_instantiates(tmp_path: Path) -> None:
    tpl = load_template(write(tmp_path, MINIMAL))
    task = instantiate(tpl, tpl.instances[0])
    assert task.id == "mini-01" and task.split == "test" and task.workflow == tpl.task_type
    assert task.instruction == "Potassium is 3.1; low is True."
    assert task.overlay[0]["valueQuantity"]["value"] == 3.1
    assert task.overlay[0]["code"]["coding"][0]["code"] == "2823-3"
    assert task.checkpoints[0].category == "data_retrieval"
    details = task.metadata.details
    assert details["checkpoint_citations"] == {"looked": ["c1"]}
    assert details["parameters"] == {"k": 3.1, "low": True}


def test_hardness_block_is_optional_and_checked(tmp_path: Path) -> None:
    tpl = load_template(write(tmp_path, MINIMAL))
    assert tpl.hardness.conflicts == [] and tpl.hardness.traps == []
    text = MINIMAL.replace(
        "parameters:\n",
        'hardness:\n  conflicts: ["stale potassium"]\n  traps: ["old note"]\nparameters:\n',
    )
    tpl = load_template(write(tmp_path, text))
    assert tpl.hardness.conflicts == ["stale potassium"] and tpl.hardness.traps == ["old note"]
    details = instantiate(tpl, tpl.instances[0]).metadata.details
    assert details["hardness"] == {"conflicts": ["stale potassium"], "traps": ["old note"]}
    bad = text.replace("  traps:", "  trap:")
    with pytest.raises(TemplateError, match="trap"):
        load_template(write(tmp_path, bad))


def test_train_instances_are_deterministic_and_avoid_excluded(tmp_path: Path) -> None:
    tpl = load_template(write(tmp_path, MINIMAL))
    exclude = {"pat-0007", "pat-0001"}
    a = [train_instance(tpl, i, exclude) for i in range(5)]
    b = [train_instance(tpl, i, exclude) for i in range(5)]
    assert a == b
    assert all(i.patient not in exclude and i.split == "train" for i in a)
    assert all(3.0 <= i.params["k"] <= 3.4 for i in a)
    assert [train_instance(tpl, i, exclude, seed=1) for i in range(5)] != a


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("params: {k: 3.1}", "params: {}"), "missing parameters ['k']"),
        (("params: {k: 3.1}", "params: {k: 3.1, z: 1}"), "unknown ['z']"),
        (("citations: [{id: c1", "citations: []\nx: [{id: c1"), "citations"),
        (("{{ lab(", "{{ lab(("), "task body"),
    ],
)
def test_bad_templates_name_the_problem(
    tmp_path: Path, change: tuple[str, str], message: str
) -> None:
    with pytest.raises(TemplateError, match=r"t\.yaml") as err:
        load_template(write(tmp_path, MINIMAL.replace(*change)))
    assert message in str(err.value)


def test_a_syntax_error_left_to_rendering_is_reported_the_same(tmp_path: Path) -> None:
    """``check_syntax=False`` (what a suite loads its templates with) defers the Jinja check to
    the first render, which raises the TemplateError ``load_template`` would have."""
    path = write(tmp_path, MINIMAL.replace("{{ lab(", "{{ lab(("))
    with pytest.raises(TemplateError) as at_load:
        load_template(path)
    tpl = load_template(path, check_syntax=False)
    with pytest.raises(TemplateError) as at_render:
        instantiate(tpl, tpl.instances[0])
    assert str(at_render.value) == str(at_load.value) and "task body line" in str(at_load.value)


def test_render_errors_name_the_instance(tmp_path: Path) -> None:
    bad = MINIMAL.replace('lab("potassium"', 'lab("potasium"')
    tpl = load_template(write(tmp_path, bad))
    with pytest.raises(TemplateError, match="mini-01.*unknown lab 'potasium'"):
        instantiate(tpl, tpl.instances[0])
    undefined = MINIMAL.replace("low is {{ low }}", "low is {{ lowe }}")
    tpl = load_template(write(tmp_path, undefined))
    with pytest.raises(TemplateError, match="lowe"):
        instantiate(tpl, tpl.instances[0])


def test_builders_refuse_unknown_keys() -> None:
    with pytest.raises(BuilderError, match="known: .*creatinine"):
        lab("creatinin", 1.0, "@now")
    with pytest.raises(BuilderError, match="note kind"):
        note("letter", "@now", "text")


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 2**32 - 1), st.floats(-100, 100), st.floats(0, 50), st.integers(0, 3))
def test_uniform_draws_stay_in_range(seed: int, lo: float, width: float, digits: int) -> None:
    rng = np.random.default_rng(seed)
    value = draw({"uniform": [lo, lo + width], "round": digits}, rng, "x")
    slack = 0.5 * 10**-digits
    assert lo - slack <= value <= lo + width + slack


def test_chart_distribution_scales_the_patients_value() -> None:
    prof = profiles()["pat-0020"]
    base = prof.value("2160-0")
    assert base is not None
    rng = np.random.default_rng(0)
    got = draw({"chart": "2160-0", "scale": [0.9, 1.1], "round": 2}, rng, "cr", prof)
    assert base * 0.9 - 0.005 <= got <= base * 1.1 + 0.005
    fallback = draw({"chart": "no-such", "else": {"value": 7}}, rng, "x", prof)
    assert fallback == 7
    with pytest.raises(TemplateError, match="no no-such value"):
        draw({"chart": "no-such"}, rng, "x", prof)


def test_eligibility_rules() -> None:
    at = "2025-03-01T00:00:00+00:00"
    prof = profiles()["pat-0020"]  # 83 F, CKD, diabetes, on glipizide, no AF
    assert Eligibility(min_age=75).problems(prof, at) == []
    assert Eligibility(max_age=80).problems(prof, at)
    assert Eligibility(sex=["male"]).problems(prof, at)
    assert Eligibility(require_conditions=["44054006"]).problems(prof, at) == []
    assert Eligibility(exclude_conditions=["44054006"]).problems(prof, at)
    assert Eligibility(exclude_ingredients=["glipizide"]).problems(prof, at)
    assert Eligibility(require_any_ingredient=["apixaban"]).problems(prof, at)
    assert Eligibility(require_values={"98979-8": [10, 30]}).problems(prof, at) == []
    assert Eligibility(require_values={"98979-8": [60, 90]}).problems(prof, at)


def test_instance_model_requires_timezone() -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError, match="timezone"):
        Instance.model_validate({"id": "x", "patient": "pat-0001", "now": "2025-01-01T09:00:00"})
    ok = Instance.model_validate({"id": "x", "patient": "p", "now": "2025-01-01T09:00:00Z"})
    assert ok.now.utcoffset() is not None
