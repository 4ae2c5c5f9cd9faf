"""The dialogue README: its example plays a case end to end, its case table is current."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medsim.environments.dialogue import catalog

README = Path(catalog.__file__).parent / "README.md"


def test_readme_example_plays_a_case_to_one(capsys: pytest.CaptureFixture[str]) -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) == 1
    exec(compile(blocks[0], str(README), "exec"), {})  # noqa: S102 - the README's own example
    out = capsys.readouterr().out
    assert "left arm" in out and "ST elevation" in out and "checkpoint/diagnosis" in out


def test_readme_case_table_is_current() -> None:
    text = README.read_text(encoding="utf-8")
    assert catalog.block() in text, "run: python -m medsim.environments.dialogue.catalog --write"
