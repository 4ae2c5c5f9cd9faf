"""Tools: typed Python functions whose signature and docstring give every schema the model sees.

``@tool`` turns a function into a :class:`Tool`. Its parameters become a pydantic model (used to
validate the model's arguments) and an OpenAI function schema / MCP ``inputSchema``; the docstring
summary is the description and its ``Args:`` section the parameter descriptions. Parameters named
in :data:`INJECTED` (the episode's FHIR view, the patient in context, the clinical "now", the whole
:class:`ToolContext`) are filled in by the environment and never appear in any schema.
"""

from __future__ import annotations

import inspect
import json
import logging
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model

from medsim.fhir.interface import FhirEpisode, FhirError
from medsim.tools.docstrings import parse_docstring
from medsim.tools.schema import clean_schema, sample_from_schema

log = logging.getLogger(__name__)

#: Parameter names the environment fills in; they are hidden from the model.
INJECTED = ("context", "fhir", "patient_id", "now")

Sampler = Callable[[np.random.Generator, "ToolContext"], dict[str, Any]]


@dataclass
class ToolContext:
    """What a tool may know about the episode besides its arguments (injected, never shown)."""

    fhir: FhirEpisode | None = None
    patient_id: str | None = None
    now: datetime | None = None
    task: Any = None  # medsim.tasks.schema.Task
    rng: np.random.Generator | None = None
    services: dict[str, Any] = field(default_factory=dict)  # suite extras (patient simulator ...)


class ToolError(Exception):
    """A failure the agent should see: ``message`` becomes the error, ``result`` the JSON shown."""

    def __init__(self, message: str, result: Any = None, kind: str = "tool_error") -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.result = result if result is not None else {"error": message}


@dataclass(frozen=True)
class ToolResult:
    """The JSON value the agent sees and, when the call failed, a one-line reason and its kind
    (``invalid_arguments``, ``fhir_error`` or ``tool_error``)."""

    value: Any
    error: str | None = None
    kind: str | None = None


class Tool:
    """A callable tool with its argument model and schemas (built once, at decoration)."""

    def __init__(
        self,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        writes: bool = False,
        terminal: bool = False,
        sampler: Sampler | None = None,
        examples: Mapping[str, list[Any]] | None = None,
    ) -> None:
        self.fn = fn
        self.name = name or fn.__name__
        self.writes = writes
        self.terminal = terminal
        self.sampler = sampler
        doc = parse_docstring(fn.__doc__)
        self.description = doc.description or self.name
        hints = typing.get_type_hints(fn, include_extras=True)
        fields: dict[str, Any] = {}
        injected: list[str] = []
        for pname, param in inspect.signature(fn).parameters.items():
            if pname in INJECTED:
                injected.append(pname)
                continue
            if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                raise TypeError(f"tool {self.name}: *args/**kwargs cannot be described to a model")
            if pname not in hints:
                raise TypeError(f"tool {self.name}: parameter {pname!r} needs a type annotation")
            default = ... if param.default is param.empty else param.default
            extra = {"examples": list(examples[pname])} if examples and pname in examples else {}
            desc = doc.args.get(pname)
            fields[pname] = (hints[pname], Field(default, description=desc, **extra))  # type: ignore[call-overload]
        self.injected = tuple(injected)
        config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)
        self.args_model: type[BaseModel] = create_model(  # type: ignore[call-overload]
            f"{self.name}_arguments", __config__=config, **fields
        )
        self.parameters = clean_schema(self.args_model.model_json_schema())
        self.parameters["additionalProperties"] = False

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        """Call the underlying function directly (handy in unit tests)."""
        return self.fn(*args, **kwargs)

    def __repr__(self) -> str:
        return f"Tool({self.name!r}, writes={self.writes})"

    def __reduce__(self) -> Any:
        """Pickle registered tools by name (spaces holding tools cross process boundaries in
        async vector envs; the decorated function itself is not picklable by reference)."""
        from medsim.tools import registry

        if registry.TOOLS.peek(self.name) is self:
            return (registry.get_tool, (self.name,))
        return super().__reduce__()

    # ---- schemas -----------------------------------------------------------------------------

    def openai_schema(self) -> dict[str, Any]:
        """OpenAI ``tools=[...]`` entry (chat completions function-calling format)."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": json.loads(json.dumps(self.parameters)),
            },
        }

    def mcp_schema(self) -> dict[str, Any]:
        """MCP tool description: name, description, inputSchema and read-only annotation."""
        return {
            "name": self.name,
            "description": self.description,
            "inputSchema": json.loads(json.dumps(self.parameters)),
            "annotations": {"readOnlyHint": not self.writes},
        }

    def to_langchain(self, context: ToolContext | Callable[[], ToolContext] | None = None) -> Any:
        """A LangChain ``StructuredTool`` bound to ``context`` (langchain-core imported lazily).

        The tool returns the JSON text the agent would see; without a context, tools that need
        the EHR answer with an error telling the caller to bind one.
        """
        from langchain_core.tools import StructuredTool

        def run(**kwargs: Any) -> str:
            ctx = context() if callable(context) else context
            result = self.invoke(kwargs, ctx or ToolContext())
            return json.dumps(result.value, ensure_ascii=False)

        return StructuredTool.from_function(
            func=run, name=self.name, description=self.description, args_schema=self.args_model
        )

    # ---- running -----------------------------------------------------------------------------

    def validate(self, arguments: Any) -> dict[str, Any]:
        """Validate the model's arguments; raises :class:`ToolError` naming every problem."""
        if arguments is None:
            arguments = {}
        if not isinstance(arguments, Mapping):
            raise ToolError(
                f"arguments of {self.name} must be a JSON object, got {type(arguments).__name__}",
                kind="invalid_arguments",
            )
        try:
            # the model's own validator, called directly (``model_validate`` adds ~0.5 µs of
            # option checks per call); it reads a dict without changing it, other mappings
            # are copied into one
            plain = arguments if type(arguments) is dict else dict(arguments)
            model = self.args_model.__pydantic_validator__.validate_python(plain)
        except ValidationError as exc:
            raise ToolError(
                f"invalid arguments for {self.name}: {describe_errors(exc)}",
                kind="invalid_arguments",
            ) from None
        return dict(model.__dict__)  # a pydantic model's __dict__: its fields, by name

    def invoke(self, arguments: Any, context: ToolContext) -> ToolResult:
        """Validate, inject hidden arguments, run. Never raises: failures become ToolResults."""
        try:
            kwargs = self.validate(arguments)
            for pname in self.injected:
                kwargs[pname] = context if pname == "context" else getattr(context, pname)
            return ToolResult(self.fn(**kwargs))
        except ToolError as exc:
            return ToolResult(exc.result, exc.message, exc.kind)
        except FhirError as exc:
            return ToolResult(exc.outcome, f"HTTP {exc.status}: {exc.diagnostics}", "fhir_error")
        except Exception as exc:  # a bug in a tool must not crash the agent's episode
            log.exception("tool %s failed", self.name)
            msg = f"tool {self.name} failed: {type(exc).__name__}: {exc}"
            return ToolResult({"error": msg}, msg, "tool_error")

    def sample_arguments(self, rng: np.random.Generator, context: ToolContext) -> dict[str, Any]:
        """Random valid arguments: the tool's own sampler, else drawn from its JSON schema."""
        if self.sampler is not None:
            return self.sampler(rng, context)
        return dict(sample_from_schema(self.parameters, rng))


def describe_errors(exc: ValidationError) -> str:
    """pydantic errors as one readable line: ``params.code: Input should be a valid string``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "arguments"
        if err["type"] == "extra_forbidden":
            parts.append(f"unexpected argument {loc!r}")
        elif err["type"] == "missing":
            parts.append(f"missing required argument {loc!r}")
        else:
            parts.append(f"{loc}: {err['msg']}")
    return "; ".join(parts)


def tool(
    fn: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    writes: bool = False,
    terminal: bool = False,
    sampler: Sampler | None = None,
    examples: Mapping[str, list[Any]] | None = None,
    register: bool = True,
) -> Any:
    """Decorator: make ``fn`` a :class:`Tool` (and add it to the tool registry by name).

    ``writes=True`` marks tools that change the EHR (graders and replay use it); ``terminal=True``
    marks the tool that ends the episode (``finish``). Usable bare (``@tool``) or with options.
    """

    def wrap(f: Callable[..., Any]) -> Tool:
        t = Tool(f, name=name, writes=writes, terminal=terminal, sampler=sampler, examples=examples)
        if register:
            from medsim.tools.registry import register_tool

            register_tool(t)
        return t

    return wrap(fn) if fn is not None else wrap
