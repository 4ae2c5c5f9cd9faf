"""Action parsing: every accepted action format becomes a list of tool calls, plain text, or an
explained error — it never raises.

Accepted (docs/architecture.md §2):

1. JSON / OpenAI tool calls: ``{"name", "arguments"}`` (arguments a dict or a JSON string), an
   OpenAI ``tool_calls`` entry ``{"type": "function", "function": {...}}``, an assistant message
   with several ``tool_calls`` (run in order), a list of calls, or any of these as JSON text;
2. the MedAgentBench text protocol: ``GET <url>``, ``POST <url>\\n<json>``, ``FINISH([...])``
   (plus ``PUT <url>\\n<json>`` for updates), with code fences stripped;
3. anything else is plain text, which the suite decides what to do with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from medsim import jsontext
from medsim.fhir.interface import FhirError
from medsim.fhir.urls import FhirRequest, parse_request, wire_url

_FENCE = re.compile(r"^```[\w-]*[ \t]*\n?(.*?)\n?```$", re.DOTALL)
_REQUEST = re.compile(
    r"^(GET|HEAD|POST|PUT|PATCH|DELETE)[ \t]+([^\n]*?)[ \t]*(?:\n(.*))?$", re.DOTALL
)
_FINISH = re.compile(r"^FINISH\((.*)\)$", re.DOTALL)
_VERBS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "FINISH")
#: ``_format`` values that only say "JSON" (dropped before searching; others answer 406).
_JSON_FORMATS = ("json", "application/json", "application/fhir+json", "application/json+fhir")

Protocol = Literal["json", "text"]


@dataclass(frozen=True)
class Call:
    """One tool call asked for by the agent. ``error`` is set when it could not even be read."""

    name: str
    arguments: Any
    call_id: str | None = None
    error: str | None = None


@dataclass(frozen=True)
class ParsedAction:
    """What an action asks for: ``calls`` to run, ``text`` for the suite, or an ``error``."""

    kind: Literal["calls", "text", "invalid"]
    protocol: Protocol = "json"
    calls: tuple[Call, ...] = ()
    text: str = ""  # plain text, or the assistant content that came with tool calls
    error: str | None = None
    raw: str = ""  # the action as text, for the transcript
    meta: dict[str, Any] = field(default_factory=dict)


def invalid(raw: str, error: str, protocol: Protocol = "json") -> ParsedAction:
    """An unusable action, with the reason the agent will be told."""
    return ParsedAction("invalid", protocol, error=error, raw=raw)


def action_text(action: Any) -> str:
    """The action as text (JSON for structured actions): what the transcript and budget count."""
    if isinstance(action, str):
        return action
    try:
        return json.dumps(action, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(action)
    except RecursionError:
        return f"<a {type(action).__name__} nested too deeply to show>"


def strip_fences(text: str) -> str:
    """Remove a surrounding Markdown code fence (```json ... ```, ```tool_code ... ```)."""
    stripped = text.strip()
    match = _FENCE.match(stripped)
    return match.group(1).strip() if match else stripped


def parse_action(action: Any, raw: str | None = None) -> ParsedAction:
    """Parse one agent action (str, dict or list) into a :class:`ParsedAction`; never raises.
    ``raw``: the action's :func:`action_text`, when the caller has it already."""
    if raw is None:
        raw = action_text(action)
    try:
        if isinstance(action, str):
            return _parse_text(action, raw)
        if isinstance(action, Mapping | list | tuple):
            return _parse_object(action, raw)
        return invalid(
            raw, f"an action must be a string or a JSON object, got {type(action).__name__}"
        )
    except RecursionError:
        return invalid(raw, "the action is nested too deeply to read")


def _parse_text(action: str, raw: str) -> ParsedAction:
    text = strip_fences(action)
    if not text:
        return invalid(raw, "empty action: call a tool (or write GET/POST/FINISH) to act")
    if text[0] in "{[":
        try:
            obj = jsontext.loads(text)  # (json's values and errors, mostly by orjson)
        except json.JSONDecodeError as exc:
            if text[0] == "{":
                return invalid(raw, f"malformed JSON tool call: {exc.msg} at position {exc.pos}")
        else:
            if isinstance(obj, dict | list):
                return _parse_object(obj, raw)
    request = _REQUEST.match(text)
    if request:
        return _parse_request(request.group(1), request.group(2), request.group(3), raw)
    finish = _FINISH.match(text)
    if finish:
        return _parse_finish(finish.group(1), raw)
    if text.startswith(_VERBS):
        return invalid(
            raw,
            "could not read this request: write `GET <url>`, `POST <url>` followed by a JSON body "
            "on the next lines, or `FINISH([answer, ...])`, and nothing else",
            "text",
        )
    return ParsedAction("text", "text", text=text, raw=raw)


def _parse_object(obj: Mapping[str, Any] | Sequence[Any], raw: str) -> ParsedAction:
    if not isinstance(obj, Mapping):
        calls = [_call_from_entry(e) for e in obj]
        if not calls:
            return invalid(raw, "an empty list of tool calls")
        return _calls_or_error(calls, raw, "")
    if "tool_calls" in obj or obj.get("role") == "assistant":
        entries = obj.get("tool_calls") or []
        content = obj.get("content")
        content_text = content if isinstance(content, str) else ""
        if not isinstance(entries, list):
            return invalid(raw, "tool_calls must be a list")
        if not entries:
            if content_text.strip():
                return _parse_text(content_text, raw)
            return invalid(raw, "the assistant message has neither tool_calls nor content")
        return _calls_or_error([_call_from_entry(e) for e in entries], raw, content_text)
    return _calls_or_error([_call_from_entry(obj)], raw, "")


def _calls_or_error(calls: list[Call | str], raw: str, content: str) -> ParsedAction:
    for c in calls:
        if isinstance(c, str):
            return invalid(raw, c)
    good = tuple(c for c in calls if isinstance(c, Call))
    return ParsedAction("calls", "json", calls=good, text=content, raw=raw)


def _call_from_entry(entry: Any) -> Call | str:
    """One call from ``{"name","arguments"}`` or an OpenAI ``tool_calls`` entry (else a reason)."""
    if not isinstance(entry, Mapping):
        return "each tool call must be a JSON object with a name and arguments"
    call_id = entry.get("id") if isinstance(entry.get("id"), str) else None
    fn = entry.get("function")
    body: Mapping[str, Any] = fn if isinstance(fn, Mapping) else entry
    name = body.get("name")
    if not isinstance(name, str) or not name:
        return (
            'a tool call needs a "name": use {"name": "<tool>", "arguments": {...}} or an OpenAI '
            'tool_calls entry {"type": "function", "function": {"name": ..., "arguments": "..."}}'
        )
    arguments = body.get("arguments", body.get("parameters", {}))
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except json.JSONDecodeError as exc:
            return Call(
                name,
                {"_raw": arguments},
                call_id,
                f"arguments of {name} are not valid JSON: {exc.msg}",
            )
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, Mapping):
        return Call(
            name, {"_raw": arguments}, call_id, f"arguments of {name} must be a JSON object"
        )
    return Call(name, dict(arguments), call_id)


def split_fhir_url(url: str) -> tuple[str, str | None, dict[str, str | list[str]]] | str:
    """``[base/]Type[/id][?query]`` -> (type, id, params); a reason string when it is not one.

    Read by the shared grammar (:func:`medsim.fhir.urls.parse_request`); JSON-only ``_format``
    and ``_pretty`` are dropped, repeated parameters become lists.
    """
    try:
        req = parse_request("GET", wire_url(url))
    except FhirError:
        req = None
    if req is None or req.interaction not in ("read", "search-type"):
        return f"cannot find a FHIR resource type in the URL {url!r} (expected e.g. Observation?patient=...)"
    return str(req.resource_type), req.id, _search_params(req)


def _search_params(req: FhirRequest) -> dict[str, str | list[str]]:
    params: dict[str, str | list[str]] = {}
    for key, value in req.query:
        if key == "_pretty" or (key == "_format" and value.strip().lower() in _JSON_FORMATS):
            continue
        prev = params.get(key)
        if prev is None:
            params[key] = value
        elif isinstance(prev, list):
            prev.append(value)
        else:
            params[key] = [prev, value]
    return params


def _parse_request(method: str, url: str, body: str | None, raw: str) -> ParsedAction:
    if not url:
        return invalid(raw, f"`{method}` needs a URL: `{method} <url>`", "text")
    wire = wire_url(url)
    try:
        req = parse_request(method, wire)
    except FhirError as err:
        if err.status == 400:
            what = f"cannot find a FHIR resource type in the URL {url!r}: {err.diagnostics}"
            return invalid(raw, f"{what} (expected e.g. Observation?patient=...)", "text")
        return invalid(raw, f"{method} {url!r}: {err.diagnostics}", "text")
    meta: dict[str, Any] = {"method": method, "request": req}
    kind = req.interaction
    params = _search_params(req)
    plain_query = not params
    if method in ("GET", "HEAD"):
        if kind == "read" and plain_query and method == "GET":
            call = Call("fhir_read", {"resource_type": req.resource_type, "id": req.id})
        elif kind == "search-type" and method == "GET":
            call = Call("fhir_search", {"resource_type": req.resource_type, "params": params})
        else:
            call = Call("fhir_request", {"method": method, "url": wire})
        return ParsedAction("calls", "text", calls=(call,), raw=raw, meta=meta)
    payload_text = strip_fences(body or "")
    payload: Any = None
    if payload_text:
        try:
            payload = json.loads(payload_text)
        except json.JSONDecodeError as exc:
            if kind != "search-type":  # POST _search takes a form body
                return invalid(
                    raw,
                    f"the {method} body is not valid JSON: {exc.msg} (line {exc.lineno})",
                    "text",
                )
            payload = payload_text
    elif kind in ("create", "update", "patch", "conditional-update", "conditional-patch"):
        return invalid(
            raw, f"{method} needs a JSON body on the lines after `{method} <url>`", "text"
        )
    needs_object = kind in ("create", "update", "conditional-update", "transaction")
    if needs_object and not isinstance(payload, dict):
        return invalid(raw, f"the {method} body must be a JSON object (a FHIR resource)", "text")
    if kind == "transaction" and payload.get("resourceType") != "Bundle":
        return invalid(
            raw,
            f"{method} {url!r} posts to the server base, which takes a transaction or batch "
            "Bundle; to create a resource, POST it to its type (e.g. `POST Observation`)",
            "text",
        )
    if kind == "create" and plain_query:
        call = Call("fhir_create", {"resource_type": req.resource_type, "resource": payload})
    elif kind == "update" and plain_query:
        call = Call(
            "fhir_update", {"resource_type": req.resource_type, "id": req.id, "resource": payload}
        )
    else:
        arguments: dict[str, Any] = {"method": method, "url": wire}
        if payload is not None:
            arguments["body"] = payload
        call = Call("fhir_request", arguments)
    return ParsedAction("calls", "text", calls=(call,), raw=raw, meta=meta)


def _parse_finish(inner: str, raw: str) -> ParsedAction:
    try:
        answer = json.loads(inner) if inner.strip() else []
    except json.JSONDecodeError:
        return invalid(
            raw,
            'FINISH(...) must contain a JSON list, e.g. FINISH([3.1]) or FINISH(["text"])',
            "text",
        )
    call = Call("finish", {"answer": answer})
    return ParsedAction("calls", "text", calls=(call,), raw=raw, meta={"method": "FINISH"})
