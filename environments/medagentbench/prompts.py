"""The first observation of each protocol, built from ``data/protocol.yaml`` (medsim's wording
of MedAgentBench's prompt and function list)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from medsim.yamlload import safe_load

PROTOCOL_PATH = Path(__file__).parent / "data" / "protocol.yaml"


@lru_cache(maxsize=1)
def protocol() -> dict[str, Any]:
    data: dict[str, Any] = safe_load(PROTOCOL_PATH.read_text(encoding="utf-8"))
    return data


def _escape(text: str) -> str:
    return text.replace("{", "{{").replace("}", "}}")


def functions_json() -> str:
    """The function list as the text protocol shows it (JSON, base URL filled in)."""
    base = protocol()["api_base"]
    funcs = [{**f, "name": f["name"].replace("{api_base}", base)} for f in protocol()["functions"]]
    return json.dumps(funcs, ensure_ascii=False)


@lru_cache(maxsize=1)
def text_template() -> str:
    """``Suite.prompt_template`` of the text protocol ({instruction} and {context} stay open)."""
    text = protocol()["text_prompt"]
    base = protocol()["api_base"]
    return (
        _escape(text)
        .replace("{{api_base}}", _escape(base))
        .replace("{{functions}}", _escape(functions_json()))
        .replace("{{context}}", "{context}")
        .replace("{{instruction}}", "{instruction}")
    )


def function_prompt() -> str:
    """The system prompt of the function-calling protocol."""
    return str(protocol()["function_prompt"]).replace("{api_base}", protocol()["api_base"])
