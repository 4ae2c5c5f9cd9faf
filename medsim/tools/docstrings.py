"""Google-style docstring parsing: the summary becomes a tool's description, the ``Args:`` section
its parameter descriptions, so one docstring feeds the OpenAI, LangChain and MCP schemas."""

from __future__ import annotations

import inspect
import re
from dataclasses import dataclass, field

_SECTION = re.compile(
    r"^(Args|Arguments|Parameters|Returns|Return|Raises|Yields|Examples?|Notes?):\s*$"
)
_ARG_LINE = re.compile(r"^(\*{0,2}\w+)\s*(?:\([^)]*\))?\s*:\s*(.*)$")


@dataclass(frozen=True)
class ParsedDoc:
    """A docstring split into the description and the per-argument descriptions."""

    description: str
    args: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> ParsedDoc:
    """Split a Google-style docstring: text before the first section, and the ``Args:`` entries.

    Continuation lines of an argument (indented deeper than the argument name) are joined with
    spaces. Other sections (Returns, Raises ...) are not shown to the model and are dropped.
    """
    text = inspect.cleandoc(doc or "")
    description: list[str] = []
    args: dict[str, list[str]] = {}
    section: str | None = None
    current: str | None = None
    arg_indent = 0
    for line in text.splitlines():
        stripped = line.strip()
        header = _SECTION.match(stripped)
        if header and not line.startswith((" ", "\t")):
            section = header.group(1)
            current = None
            continue
        if section is None:
            description.append(line)
        elif section in ("Args", "Arguments", "Parameters") and stripped:
            indent = len(line) - len(line.lstrip())
            match = _ARG_LINE.match(stripped)
            if match and (current is None or indent <= arg_indent):
                current = match.group(1).lstrip("*")
                arg_indent = indent
                args[current] = [match.group(2)]
            elif current is not None:
                args[current].append(stripped)
    summary = "\n".join(description).strip()
    summary = re.sub(r"\n{3,}", "\n\n", summary)
    return ParsedDoc(
        description=summary,
        args={name: " ".join(p for p in parts if p).strip() for name, parts in args.items()},
    )
