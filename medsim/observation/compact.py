"""The compact view of a tool result (``observation="compact"``): FHIR and any JSON as short text.

A language model pays for every token it reads; raw FHIR JSON spends most of them on ``system``
URLs, ``meta``, narrative and codings repeated in every entry. This view keeps what a clinician
(and an agent that must act) needs:

* a search result (a ``Bundle``) becomes one short table per resource type, the columns chosen
  per type in ``columns.yaml``, the id of every row kept (so it can be read, updated or
  referenced), values that are the same in every row said once above the table, and where the
  next page is; a tool's page of resources (PhysicianBench's workbench: ``entries``, ``total``,
  ``page``) gets the same tables;
* a single resource becomes ``key: value`` lines without ``meta``, narrative or empty elements;
  after a write, what the agent sent is not repeated (elements saved as sent, long texts it
  passed as arguments), only the id and what the server or tool set;
* a calculator result becomes ``id = value unit`` and its interpretation;
* any other JSON becomes ``key=value`` pairs, a list of objects a table.

Cells come from :mod:`medsim.observation.values`. The view is what the agent reads; graders
read the raw result in the episode record, so scores are the same in both views.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from medsim.observation.values import SKIPPED, Json, brief, config, empty

__all__ = ["brief", "render_json"]


#: The short names of code systems (``columns.yaml``) that mark the codes in a cell.
_SHORT = tuple(config()["systems"].values())


def _cell(value: Any) -> str:
    return " ".join(brief(value).replace("|", "/").split())


def _cap(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters with ``…``; the codes at its end (``label (LOINC
    2823-3)``) are kept whole, so a long label never costs a code."""
    if len(text) <= limit:
        return text
    codes = text[text.rfind(" (") :] if text.endswith(")") and " (" in text else ""
    if codes and any(f"({name} " in codes or f", {name} " in codes for name in _SHORT):
        room = max(limit - len(codes) - 1, 8)
        return text[: len(text) - len(codes)][:room] + "…" + codes
    return text[: limit - 1] + "…"


def first_present(resource: Json, elements: list[str]) -> Any:
    """The first of ``elements`` that the resource has (value[x] choices, fallbacks)."""
    for element in elements:
        if not empty(resource.get(element)):
            return resource[element]
    return None


def table(
    rows: list[Json],
    columns: dict[str, list[str]],
    key: str | None = "id",
    drop: tuple[str, ...] = (),
) -> list[str]:
    """Rows as ``a | b | c`` lines under a header; columns empty everywhere (or in ``drop``) are
    left out and columns equal in every row (two or more rows) are said once above the table."""
    limit = int(config()["cell_limit"])
    cells = {
        header: [_cell(first_present(r, elements)) for r in rows]
        for header, elements in columns.items()
        if header not in drop
    }
    if key is not None:
        cells[key] = [str(r.get(key, "")) for r in rows]
    keep = [h for h, col in cells.items() if any(col)]
    same = [h for h in keep if len(rows) > 1 and h != key and len(set(cells[h])) == 1]
    out = (
        [f"all rows: {', '.join(f'{h}={_cap(cells[h][0], limit)}' for h in same)}"] if same else []
    )
    shown = [h for h in keep if h not in same]
    out.append(" | ".join(shown))
    out += [" | ".join(_cap(cells[h][i], limit) for h in shown) for i in range(len(rows))]
    return out


def resource_columns(resource_type: str) -> dict[str, list[str]]:
    cols: dict[str, dict[str, list[str]]] = config()["columns"]
    return cols.get(resource_type, cols["_default"])


def _link(bundle: Json, relation: str) -> str | None:
    for link in bundle.get("link") or []:
        if isinstance(link, dict) and link.get("relation") == relation:
            return str(link.get("url", ""))
    return None


def searched_type(bundle: Json) -> str:
    """The resource type a search asked for, from its self link (``.../Observation?...``)."""
    path = urlsplit(_link(bundle, "self") or "").path.rstrip("/")
    return path.rsplit("/", 1)[-1] if path else "Resource"


def _query(bundle: Json) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(_link(bundle, "self") or "").query))


def next_page(bundle: Json) -> str | None:
    """``_offset=M`` (and ``_count=N`` if it changes) of the bundle's next page, if any."""
    url = _link(bundle, "next")
    if not url:
        return None
    now = _query(bundle)
    pairs = [
        (k, v)
        for k, v in parse_qsl(urlsplit(url).query)
        if k == "_offset" or (k == "_count" and now.get(k) != v)
    ]
    return "&".join(f"{k}={v}" for k, v in pairs) or url


def resource_tables(
    rows: list[Json], asked: str | None, one_patient: bool, included: bool = True
) -> list[str]:
    """Resources as one table per type (unlabelled when ``asked`` is the only type; other types
    of a search are ``[included]``); the patient column is left out when the search named the
    patient."""
    groups: dict[str, list[Json]] = {}
    for res in rows:
        groups.setdefault(str(res.get("resourceType", "Resource")), []).append(res)
    lines: list[str] = []
    for rtype, group in groups.items():
        if rtype != asked or len(groups) > 1:
            label = " [included]" if included and asked is not None and rtype != asked else ""
            lines.append(f"{rtype} ({len(group)}){label}")
        drop = ("patient",) if one_patient and rtype == asked else ()
        lines += table(group, resource_columns(rtype), drop=drop)
    return lines


def render_bundle(bundle: Json) -> str:
    """A Bundle as one table per resource type (search matches first), with totals and paging."""
    rows: list[Json] = []
    notes: list[str] = []
    for entry in bundle.get("entry") or []:
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            continue
        if (entry.get("search") or {}).get("mode") == "outcome":
            notes += [f"note: {brief(i.get('diagnostics') or i)}" for i in res.get("issue") or []]
            continue
        rows.append(res)
    kind = str(bundle.get("type", ""))
    asked = searched_type(bundle) if kind == "searchset" else None
    lines: list[str] = []
    if asked is not None:
        shown = sum(1 for r in rows if r.get("resourceType") == asked)
        total = bundle.get("total")
        matches = f"{total if total is not None else '?'} matches"
        head = f"{asked}: {shown} of {matches}" if shown != total else f"{asked}: {matches}"
        page = next_page(bundle)
        lines.append(head + (f" (next page: same search + {page})" if page else ""))
    else:
        lines.append(f"Bundle ({kind}), {len(bundle.get('entry') or [])} entries")
    one_patient = bool({"patient", "subject"} & set(_query(bundle)))
    return "\n".join(lines + resource_tables(rows, asked, one_patient) + notes)


#: Free text the agent sent that a write result echoes is not repeated from this length on.
ECHO_MIN = 60


def _as_sent(value: Any, texts: dict[str, str]) -> Any:
    """``value`` with every string leaf the agent sent as an argument (``texts``: text -> the
    argument's name) replaced by a note saying so."""
    if isinstance(value, str) and value in texts:
        return f"({texts[value]} as sent, {len(value)} characters)"
    if isinstance(value, dict):
        return {k: _as_sent(v, texts) for k, v in value.items()}
    if isinstance(value, list):
        return [_as_sent(v, texts) for v in value]
    return value


def render_resource(resource: Json, arguments: Any = None) -> str:
    """One resource as ``key: value`` lines (no meta, narrative or empty elements). After a
    write (``arguments``: the call's), what the agent sent is not repeated: elements saved
    exactly as in the ``resource`` it sent, and long texts it sent as arguments (a message, a
    note); the rest (ids, what the server or tool set) is shown."""
    lines = [f"{resource.get('resourceType')} {resource.get('id', '')}".rstrip()]
    if resource.get("resourceType") == "OperationOutcome":
        for issue in resource.get("issue") or []:
            detail = issue.get("diagnostics") or brief(issue.get("details"))
            lines.append(f"{issue.get('severity', '')} {issue.get('code', '')}: {detail}")
        return "\n".join(lines)
    args = arguments if isinstance(arguments, dict) else {}
    sent = args.get("resource")
    if not isinstance(sent, dict) or sent.get("resourceType") != resource.get("resourceType"):
        sent = {}
    same = [k for k in resource if k in sent and k not in SKIPPED and resource[k] == sent[k]]
    if same:
        lines[0] += f" (saved; {len(same)} elements as sent)"
    texts = {v: k for k, v in args.items() if isinstance(v, str) and len(v) >= ECHO_MIN}
    keep = [k for k in resource if k not in SKIPPED and k not in same and not empty(resource[k])]
    lines += [f"{k}: {brief(_as_sent(resource[k], texts))}" for k in keep]
    return "\n".join(lines)


def is_resource(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("resourceType"), str)


def _is_table(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _generic_table(rows: list[Json]) -> list[str]:
    headers: dict[str, list[str]] = {}
    for row in rows:
        for k in row:
            headers.setdefault(str(k), [str(k)])
    key = "id" if headers.pop("id", None) else None
    return table(rows, headers, key)


def render_calculation(value: Json) -> str:
    """A calculator result as ``id = value unit`` and its interpretation: the number the agent
    asked for and what it means. The worked explanation and the echo of the inputs (what the
    agent sent) are left out; the record keeps them and the ``fhir`` view shows them."""
    unit = f" {value['unit']}" if value.get("unit") else ""
    lines = [f"{value['calculator']} = {brief(value['value'])}{unit}"]
    explanation = str(value.get("explanation") or "").splitlines()
    lines += [line.strip() for line in explanation if line.startswith("Interpretation:")]
    return "\n".join(lines)


def is_calculation(value: Any) -> bool:
    return isinstance(value, dict) and {"calculator", "value", "explanation"} <= set(value)


def render_object(value: Json, arguments: Any = None) -> str:
    """Other JSON objects: scalars as one ``key=value`` line (a text that only repeats the
    argument of the same name is left out), a list of resources as per-type tables (workbench
    pages), a list of objects as a table, a list of strings as items."""
    args = arguments if isinstance(arguments, dict) else {}
    lines: list[str] = []
    scalars = [
        f"{k}={brief(v)}"
        for k, v in value.items()
        if not isinstance(v, list | dict)
        and not empty(v)
        and not (isinstance(v, str) and args.get(k) == v)
    ]
    for k, v in value.items():
        if _is_table(v) and all(is_resource(r) for r in v):
            lines += resource_tables(v, str(v[0]["resourceType"]), False, included=False)
        elif _is_table(v) and len(v) > 1:
            lines.append(f"{k}: {len(v)} rows")
            lines += _generic_table(v)
        elif isinstance(v, list) and v and all(isinstance(x, str) for x in v):
            lines.append(f"{k}:")
            lines += [f"- {x}" for x in v]
        elif isinstance(v, list | dict):
            lines.append(f"{k}: {brief(v) if not empty(v) else '(none)'}")
    return "\n".join(([", ".join(scalars)] if scalars else []) + lines)


def render_json(value: Any, arguments: Any = None) -> str:
    """Any JSON tool result in the compact view (FHIR or not); ``arguments``: the call's, so a
    result does not repeat what the agent sent (see :func:`render_resource`)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return render_bundle(value)
    if is_resource(value):
        return render_resource(value, arguments)
    if is_calculation(value):
        return render_calculation(value)
    if _is_table(value):
        return "\n".join(_generic_table(value))
    if isinstance(value, dict):
        return render_object(value, arguments)
    if isinstance(value, list):
        return "\n".join(f"- {brief(v)}" for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)
