"""Dependencies point toward the foundations: the task schema, ``import medsim`` and the
``medsim`` command's start-up import no grader, calculator, LLM client or env core (each
checked in a fresh interpreter; bench/cli_bench.py prints the start-up times)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

FORBIDDEN = (
    "medsim.grading.checkpoints",
    "medsim.grading.rubric_judge",
    "medsim.grading.score",
    "medsim.calculators",
    "medsim.llm",
    "medsim.tools",
    "medsim.core.env",
    "openai",
    "langchain_core",
)


def imported_after(code: str) -> list[str]:
    probe = (
        f"{code}\nimport sys, json\n"
        f"print(json.dumps(sorted(m for m in sys.modules if m.startswith({FORBIDDEN!r}))))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    return list(json.loads(out.stdout.strip().splitlines()[-1]))


@pytest.mark.parametrize(
    "code",
    [
        "import medsim.tasks.schema",
        "import medsim.tasks",
        "import medsim",
        "import medsim.core.suite",
        "import medsim.grading",
        "import medsim.grading.criteria",
    ],
)
def test_light_imports(code: str) -> None:
    assert imported_after(code) == []


def test_import_medsim_does_not_load_gymnasium_until_it_is_used() -> None:
    code = (
        "import sys, medsim\n"
        "before = 'gymnasium' in sys.modules or 'numpy' in sys.modules\n"
        "import gymnasium\n"
        "print(before, 'medsim/Demo-v0' in gymnasium.registry)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "True"]


@pytest.mark.parametrize("argv", [["--help"], ["tasks", "list", "demo"], ["grade", "--help"]])
def test_cli_start_up_is_light(argv: list[str]) -> None:
    code = (
        "import sys\n"
        f"sys.argv = ['medsim', *{argv!r}]\n"
        "from medsim.cli.main import main\n"
        "try:\n    main()\nexcept SystemExit:\n    pass"
    )
    assert imported_after(code) == []


@pytest.mark.parametrize(
    "code",
    [
        "import medsim.environments.physicianbench",
        "import sys\nsys.argv = ['medsim', 'tasks', 'list', 'demo']\n"
        "from medsim.cli.main import main\ntry:\n    main()\nexcept SystemExit:\n    pass",
    ],
)
def test_template_engine_loads_only_with_templates(code: str) -> None:
    """Jinja2 + numpy (the template engine) load when a template suite's tasks are first read,
    not when the suite is registered or another suite is listed."""
    probe = (
        f"{code}\nimport sys\n"
        "print(sorted(m for m in ('numpy', 'medsim.tasks.templates') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"


def test_making_and_stepping_an_env_does_not_import_the_orm() -> None:
    """The engine runs the schema compiled to data (medsim/fhir/data/schema.json): SQLAlchemy
    and SQLModel are imported only to regenerate it (~0.2 s of every process's cold start)."""
    code = (
        "import sys, medsim\n"
        "env = medsim.make('Demo-v0')\n"
        "env.reset(seed=0)\n"
        "env.step('GET Patient?_count=1')\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
