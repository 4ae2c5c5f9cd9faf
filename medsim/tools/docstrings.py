"""Docstrings into tool schemas: the summary becomes a tool's description, the ``Args:`` section
its parameter descriptions, so one docstring feeds the OpenAI, LangChain and MCP schemas.

Parsing is docstring-parser's (Google style, as medsim writes docstrings); this module only
shapes its result: description = short + long description (the Returns/Raises sections are not
for the model), argument descriptions with continuation lines joined by single spaces.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import docstring_parser


@dataclass(frozen=True)
class ParsedDoc:
    """A docstring split into the description and the per-argument descriptions."""

    description: str
    args: dict[str, str] = field(default_factory=dict)


def parse_docstring(doc: str | None) -> ParsedDoc:
    """The description and the ``Args:`` entries of a Google-style docstring."""
    parsed = docstring_parser.parse(doc or "", docstring_parser.DocstringStyle.GOOGLE)
    parts = [p.strip() for p in (parsed.short_description, parsed.long_description) if p]
    joint = "\n\n" if parsed.blank_after_short_description else "\n"  # a wrapped summary
    description = re.sub(r"\n{3,}", "\n\n", joint.join(parts))
    args = {
        p.arg_name.lstrip("*"): " ".join((p.description or "").split())
        for p in parsed.params
        if p.args[0] in ("param", "parameter", "arg", "argument")
    }
    return ParsedDoc(description=description, args=args)
