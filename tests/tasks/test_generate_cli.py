"""``medsim tasks generate``: writes a packed file of distinct train instances (patients outside
the test split) or a regenerated set; refuses what it cannot do with a clear message."""

from __future__ import annotations

from pathlib import Path

import pytest

from medsim.cli.main import main
from medsim.environments.physicianbench import SUITE
from medsim.tasks.packed import load_packed


def test_generate_train_writes_distinct_instances(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "train.ndjson.xz"
    n = len(SUITE.templates()) + 3
    args = ["tasks", "generate", "PhysicianBench-v0", "--split", "train", "--n", str(n)]
    assert main([*args, "--seed", "5", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert f"{n} tasks" in printed and "difficulty:" in printed
    tasks = load_packed(str(out))
    assert len(tasks) == n and len({t.id for t in tasks}) == n
    assert {t.split for t in tasks} == {"train"}
    assert not {t.patient for t in tasks} & SUITE.test_patients()
    per_template: dict[str, int] = {}
    for t in tasks:
        name = t.metadata.details["template"]
        per_template[name] = per_template.get(name, 0) + 1
    assert set(per_template) == {tpl.template for tpl in SUITE.templates()}
    assert sorted(per_template.values())[-3:] == [2, 2, 2]  # 3 templates get one more


def test_generate_refuses_bad_requests(tmp_path: Path) -> None:
    with pytest.raises(SystemExit, match="not a template suite"):
        main(["tasks", "generate", "Demo-v0", "--split", "train", "--out", str(tmp_path)])
    with pytest.raises(SystemExit, match="--ship"):
        main(["tasks", "generate", "PhysicianBench-v0", "--split", "test", "--ship"])
    with pytest.raises(SystemExit, match="n >= 1"):
        main(
            [
                "tasks",
                "generate",
                "PhysicianBench-v0",
                "--split",
                "train",
                "--n",
                "0",
                "--out",
                str(tmp_path),
            ]
        )
    assert not list(tmp_path.iterdir())  # nothing written
