"""The registries of tools and graders: one rule, thread-safe lazy loading, suite graders, and
checkpoint params validated once when tasks are load (not at reset or the last step)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
import yaml

from medsim.core.suite import Suite
from medsim.grading.checkpoints.registry import GRADERS, CheckResult, checkpoint, get_grader
from medsim.tasks.loader import TaskLoadError
from medsim.tools.base import tool
from medsim.tools.registry import TOOLS, get_tool

DEMO_TASKS = Path(__file__).parents[2] / "environments" / "demo" / "tasks"

# Four threads of a fresh process make envs at once and play a search and a finish, so the
# first use of both lazy registries (tools at make, graders at the first checkpoint) races.
THREADS = textwrap.dedent(
    """
    import threading, medsim
    errors = []
    def run():
        try:
            env = medsim.make("Demo-v0")
            env.reset(seed=0)
            env.step({"name": "fhir_search", "arguments": {"resource_type": "Patient"}})
            _, _, _, _, info = env.step({"name": "finish", "arguments": {"answer": [1]}})
            assert info["checkpoints"], info
            env.close()
        except BaseException as exc:
            errors.append(repr(exc))
    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print("ERRORS", errors)
    """
)


def test_fresh_processes_make_envs_from_four_threads() -> None:
    procs = [
        subprocess.Popen([sys.executable, "-c", THREADS], stdout=subprocess.PIPE, text=True)
        for _ in range(6)
    ]
    outs = [p.communicate(timeout=300)[0] for p in procs]
    assert all(p.returncode == 0 for p in procs)
    assert [o.strip().splitlines()[-1] for o in outs] == ["ERRORS []"] * 6


def test_same_definition_replaces_different_one_raises() -> None:
    def probe_tool(x: int) -> int:
        """Return x.

        Args:
            x: a number.
        """
        return x

    first = tool(probe_tool, name="probe_registry_tool")
    again = tool(probe_tool, name="probe_registry_tool")  # a module reload: same qualname
    assert get_tool("probe_registry_tool") is again and again is not first

    def other(x: int) -> int:
        """Return x.

        Args:
            x: a number.
        """
        return x

    with pytest.raises(ValueError, match="already registered by"):
        tool(other, name="probe_registry_tool")

    def grader_fn(ctx: object) -> CheckResult:
        return CheckResult(True, "ok")

    checkpoint("probe_registry_grader")(grader_fn)
    checkpoint("probe_registry_grader")(grader_fn)  # same rule as tools: tolerated
    assert get_grader("probe_registry_grader").fn is grader_fn

    def other_grader(ctx: object) -> CheckResult:
        return CheckResult(True, "ok")

    with pytest.raises(ValueError, match="already registered by"):
        checkpoint("probe_registry_grader")(other_grader)
    TOOLS._items.pop("probe_registry_tool")
    GRADERS._items.pop("probe_registry_grader")


def _write_task(folder: Path, *, grader: str, params: dict[str, object]) -> Path:
    data = yaml.safe_load((DEMO_TASKS / "k_latest.yaml").read_text())
    data["checkpoints"] = [{"id": "mine", "grader": grader, "params": params}]
    data["negative_controls"] = []
    path = folder / "t.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def test_misspelt_param_fails_at_load_naming_file_task_checkpoint_field(tmp_path: Path) -> None:
    path = _write_task(
        tmp_path, grader="value_reported", params={"expected": {"value": 1}, "tolerence": 0.1}
    )
    with pytest.raises(TaskLoadError) as err:
        Suite(name="t", tasks_dir=tmp_path).tasks()
    msg = str(err.value)
    assert str(path) in msg and "demo-k-latest" in msg
    assert "checkpoints.mine" in msg and "tolerence" in msg
    from medsim.core.env import ClinicalEnv

    with pytest.raises(TaskLoadError, match="tolerence"):  # building the env, not reset()
        ClinicalEnv(Suite(name="t2", tasks_dir=tmp_path))
    out = subprocess.run(
        [sys.executable, "-m", "medsim.cli.main", "tasks", "validate", str(tmp_path), "--static"],
        capture_output=True,
        text=True,
    )
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert "FAIL demo-k-latest" in out.stdout and f"in {path}" in out.stdout
    assert "checkpoints.mine: grader 'value_reported': invalid params: tolerence" in out.stdout


SUITE_GRADER = '''
from medsim.grading.checkpoints.registry import CheckResult, checkpoint

@checkpoint("suite_own_grader")
def suite_own_grader(ctx):
    """Always passes (a suite's own grader)."""
    return CheckResult(True, "suite grader ran")
'''


def test_suite_ships_its_own_grader(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "mysuite_graders.py").write_text(SUITE_GRADER)
    monkeypatch.syspath_prepend(str(tmp_path))
    tasks = tmp_path / "tasks"
    tasks.mkdir()
    _write_task(tasks, grader="suite_own_grader", params={})
    with pytest.raises(TaskLoadError, match="unknown checkpoint grader 'suite_own_grader'"):
        Suite(name="t", tasks_dir=tasks).tasks()
    suite = Suite(name="t", tasks_dir=tasks, grader_modules=("mysuite_graders",))
    assert [t.id for t in suite.tasks()] == ["demo-k-latest"]
    from medsim.core.env import ClinicalEnv

    env = ClinicalEnv(suite)
    env.reset(seed=0)
    *_, info = env.step({"name": "finish", "arguments": {"answer": [1]}})
    assert info["checkpoints"]["mine"]["status"] == "passed"
    GRADERS._items.pop("suite_own_grader")
