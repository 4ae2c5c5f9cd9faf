"""The one FHIR REST URL grammar: ``method + [base/]path[?query]`` -> a :class:`FhirRequest`.

Every place that reads a FHIR URL uses this module — the REST face (``EmbeddedEpisode.request``,
``medsim serve-fhir``), the HTTP backend, transaction/batch entries, and the MedAgentBench text
protocol (``medsim.core.actions``) — so a request line means the same operation everywhere. It
also holds the one definition of a resource type name and a resource id (FHIR R4 ``id``: 1-64
characters of ``[A-Za-z0-9-.]``).

The grammar (after the base, which may be any scheme/host/path or absent)::

    metadata | _history | $op | (empty: transaction/batch)
    Type [/_search | /_history | /$op]
    Type/id [/_history[/vid] | /$op | /CompartmentType]

:func:`requote` encodes a URL the way the ``requests`` library does before sending it, so the text
protocol (whose agents write raw URLs, spaces included) reads what a MedAgentBench harness would
have put on the wire.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from medsim.fhir.interface import FhirError

TYPE_PATTERN = r"[A-Z][A-Za-z]{1,63}"
ID_PATTERN = r"[A-Za-z0-9\-.]{1,64}"
TYPE_RE = re.compile(rf"^{TYPE_PATTERN}$")
ID_RE = re.compile(rf"^{ID_PATTERN}$")
#: A ``Type/id`` reference (optionally ``.../_history/vid``), anywhere at the end of a string.
REFERENCE_RE = re.compile(rf"(?:^|/)({TYPE_PATTERN})/({ID_PATTERN})(?:/_history/[^/]+)?$")
SYSTEM_WORDS = ("metadata", "_history", "_search")
METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH")
# What ``requests`` leaves unencoded (RFC 3986 reserved + unreserved marks, and "%").
_SAFE = "!#$%&'()*+,/:;=?@[]~"
_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")


def is_type(text: object) -> bool:
    """True for a syntactically valid resource type name (``Observation``)."""
    return isinstance(text, str) and TYPE_RE.match(text) is not None


def is_id(text: object) -> bool:
    """True for a valid FHIR logical id (1-64 characters of ``[A-Za-z0-9-.]``)."""
    return isinstance(text, str) and ID_RE.match(text) is not None


@dataclass(frozen=True)
class FhirRequest:
    """One parsed FHIR REST request.

    ``interaction`` is one of: capabilities, transaction, page, history-system, operation-system,
    search-type, create, history-type, operation-type, conditional-update, conditional-delete,
    conditional-patch, read, vread, update, patch, delete, history-instance, operation-instance,
    search-compartment.
    """

    method: str
    interaction: str
    resource_type: str | None = None
    id: str | None = None
    version: str | None = None
    operation: str | None = None  # "$everything", "$validate" ...
    compartment: str | None = None  # Patient/{id}/<compartment>
    query: tuple[tuple[str, str], ...] = ()


def wire_url(url: str) -> str:
    """``url`` as an HTTP client such as ``requests`` puts it on the wire: encoded by
    :func:`requote`, with ``.`` and ``..`` path segments removed (RFC 3986 §5.2.4)."""
    quoted = requote(url.strip())
    parts = urlsplit(quoted)
    if "." not in parts.path:
        return quoted
    path = remove_dot_segments(parts.path)
    return (
        parts._replace(path=path).geturl()
        if parts.scheme or parts.netloc
        else path + (f"?{parts.query}" if parts.query else "")
    )


def remove_dot_segments(path: str) -> str:
    """RFC 3986 §5.2.4: resolve ``.`` and ``..`` segments of a path."""
    out: list[str] = []
    segments = path.split("/")
    for i, seg in enumerate(segments):
        last = i == len(segments) - 1
        if seg == ".":
            if last:
                out.append("")
        elif seg == "..":
            if len(out) > 1 or (out and out[0] != ""):
                out.pop()
            if last:
                out.append("")
        else:
            out.append(seg)
    result = "/".join(out)
    return result if not path.startswith("/") or result.startswith("/") else "/" + result


def requote(url: str) -> str:
    """Percent-encode ``url`` as ``requests`` does before sending: characters outside the safe
    set (spaces, non-ASCII, quotes, ``|`` ...) are encoded; valid escapes are kept (escapes of
    unreserved characters decoded); a ``%`` not starting a valid escape is encoded."""
    out: list[str] = []
    i = 0
    while i < len(url):
        pair = url[i + 1 : i + 3]
        if url[i] == "%" and len(pair) == 2 and pair.isalnum():
            try:
                char = chr(int(pair, 16))
            except ValueError:  # "%zz": encode every "%" instead
                return quote(url, safe=_SAFE.replace("%", ""))
            out.append(char if char in _UNRESERVED else "%" + pair)
            i += 3
            continue
        out.append(url[i])
        i += 1
    return quote("".join(out), safe=_SAFE)


def split_url(url: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Path segments after the FHIR base (any host and base path) and the decoded query pairs."""
    parts = urlsplit(url.strip())
    segments = [unquote(s) for s in parts.path.split("/") if s]
    for i, seg in enumerate(segments):
        if is_type(seg) or seg in SYSTEM_WORDS or seg.startswith("$"):
            segments = segments[i:]
            break
    else:
        segments = []
    return segments, parse_qsl(parts.query, keep_blank_values=True)


def parse_request(method: str, url: str) -> FhirRequest:
    """Parse one request line; a 400 (unknown shape) or 405 (known path, wrong method)
    :class:`FhirError` when it is not a FHIR REST interaction."""
    verb = method.upper().strip() if isinstance(method, str) else ""
    if verb not in METHODS:
        raise FhirError(405, f"HTTP method {method!r} is not supported", "not-supported")
    if not isinstance(url, str):
        raise FhirError(400, "the request URL must be a string")
    segments, pairs = split_url(url)
    query = tuple(pairs)
    read = verb in ("GET", "HEAD")
    found = _match(verb, read, segments, query)
    if found is None:
        raise FhirError(400, f"Unsupported request: {verb} {url}", "not-supported")
    if isinstance(found, str):
        hint = ""
        if verb == "POST" and found.count("/") == 1:
            hint = (
                " (POST creates a resource: post to the type without an id, or PUT to "
                "write a resource with a known id)"
            )
        elif verb in ("PUT", "DELETE", "PATCH") and "/" not in found:
            hint = (
                f" ({verb} needs an id ({found}/123) or search criteria ({found}?identifier=...))"
            )
        raise FhirError(405, f"{verb} is not allowed on {found}{hint}", "not-supported")
    return found


def _match(
    verb: str, read: bool, s: list[str], query: tuple[tuple[str, str], ...]
) -> FhirRequest | str | None:
    """The request for path segments ``s``; a path text when only the method is wrong."""
    n = len(s)

    def req(interaction: str, **kw: str | None) -> FhirRequest:
        return FhirRequest(verb, interaction, query=query, **kw)  # type: ignore[arg-type]

    if n == 0:
        if read and any(k == "_getpages" for k, _ in query):
            return req("page")  # a HAPI paging link: base?_getpages=<search id>&...
        return req("transaction") if verb == "POST" else None
    head = s[0]
    if n == 1 and head == "metadata":
        return req("capabilities") if read else "metadata"
    if n == 1 and head == "_history":
        return req("history-system") if read else "_history"
    if n == 1 and head.startswith("$"):
        return req("operation-system", operation=head)
    if not is_type(head):
        return None
    if n == 1:
        return {
            "GET": req("search-type", resource_type=head),
            "HEAD": req("search-type", resource_type=head),
            "POST": req("create", resource_type=head),
            # conditional writes need search criteria; without them only the method is wrong
            "PUT": req("conditional-update", resource_type=head) if query else head,
            "DELETE": req("conditional-delete", resource_type=head) if query else head,
            "PATCH": req("conditional-patch", resource_type=head) if query else head,
        }[verb]
    second = s[1]
    if n == 2 and second == "_search":
        return req("search-type", resource_type=head) if verb in ("GET", "POST") else head
    if n == 2 and second == "_history":
        return req("history-type", resource_type=head) if read else head
    if n == 2 and second.startswith("$"):
        return req("operation-type", resource_type=head, operation=second)
    if not is_id(second):
        return None
    if n == 2:
        return {
            "GET": req("read", resource_type=head, id=second),
            "HEAD": req("read", resource_type=head, id=second),
            "PUT": req("update", resource_type=head, id=second),
            "DELETE": req("delete", resource_type=head, id=second),
            "PATCH": req("patch", resource_type=head, id=second),
        }.get(verb) or f"{head}/{second}"
    third = s[2]
    where = "/".join(s)
    if n == 3 and third == "_history":
        return req("history-instance", resource_type=head, id=second) if read else where
    if n == 3 and third.startswith("$"):
        return req("operation-instance", resource_type=head, id=second, operation=third)
    if n == 3 and is_type(third):
        if not read:
            return where
        return req("search-compartment", resource_type=head, id=second, compartment=third)
    if n == 4 and third == "_history" and is_id(s[3]):
        return req("vread", resource_type=head, id=second, version=s[3]) if read else where
    return None
