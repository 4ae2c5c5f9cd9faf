"""medsim reads YAML through libyaml when PyYAML has it (``medsim.yamlload``). Its values must be
the pure-Python loader's: checked on every YAML file medsim and its suites ship."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from medsim.yamlload import SafeLoader, safe_load

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted(
    p for folder in ("medsim", "environments") for p in (ROOT / folder).rglob("*.y*ml")
)


def test_libyaml_is_used_when_present() -> None:
    assert SafeLoader is getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_there_are_shipped_yaml_files() -> None:
    assert len(SHIPPED) > 100  # cases, templates, terminology, rules, personas ...


@pytest.mark.parametrize("path", SHIPPED, ids=lambda p: str(p.relative_to(ROOT)))
def test_a_shipped_file_reads_as_the_pure_python_loader_reads_it(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert safe_load(text) == yaml.load(text, Loader=yaml.SafeLoader)  # noqa: S506


def test_safe_load_refuses_python_objects() -> None:
    with pytest.raises(yaml.constructor.ConstructorError):
        safe_load("!!python/object/apply:os.system ['true']")
