"""The compact view of a tool result (``observation="compact"``): FHIR and any JSON as short text.

A language model pays for every token it reads; raw FHIR JSON spends most of them on ``system``
URLs, ``meta``, narrative and codings repeated in every entry. This view keeps what a clinician
(and an agent that must act) needs:

* a search result (a ``Bundle``) becomes one short table per resource type, the columns chosen
  per type in ``columns.yaml``, the id of every row kept (so it can be read, updated or
  referenced), values that are the same in every row said once above the table, and where the
  next page is;
* a single resource becomes ``key: value`` lines without ``meta``, narrative or empty elements;
* any other JSON (calculator results, workbench tools) becomes ``key: value`` lines, a list of
  objects a table.

Values are summarised by shape, not by type name (:func:`brief`): a CodeableConcept is its
display and code (``Potassium [Moles/volume] in Serum or Plasma (LOINC 2823-3)``), a Quantity
its value and unit, a Reference its ``Type/id``, a text attachment its decoded text. The view is
what the agent reads; graders read the raw result in the episode record.
"""

from __future__ import annotations

import base64
import binascii
import json
from functools import cache
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import yaml

Json = dict[str, Any]
#: Top-level elements of a resource that the compact view leaves out (meta data, narrative).
SKIPPED = ("resourceType", "id", "meta", "text")
_TERMINOLOGY = ("http://terminology.hl7.org/", "http://hl7.org/fhir/")


@cache
def config() -> Json:
    """``columns.yaml``: table columns per resource type, code-system names, the cell limit."""
    text = resources.files("medsim.observation").joinpath("columns.yaml").read_text("utf-8")
    data: Json = yaml.safe_load(text)
    return data


def empty(value: Any) -> bool:
    """FHIR's notion of an absent element: None, "", [] or {}."""
    return value is None or value == "" or value == [] or value == {}


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def coding(c: Json) -> str:
    """``display (SYSTEM code)``; status-like HL7 codes as the bare code."""
    system, code, display = str(c.get("system", "")), c.get("code"), c.get("display")
    if code is None:
        return str(display or "")
    if system.startswith(_TERMINOLOGY) and "/sid/" not in system:
        return str(code)
    short = config()["systems"].get(system)
    label = f"{short} {code}" if short else str(code)
    if not display or str(display).lower() == str(code).lower():
        return label
    return f"{display} ({label})"


def concept(cc: Json) -> str:
    """A CodeableConcept: the first display (or text) and every code."""
    codings = [c for c in cc.get("coding") or [] if isinstance(c, dict)]
    if not codings:
        return str(cc.get("text", ""))
    if len(codings) == 1:
        return coding(codings[0])
    first = coding(codings[0])
    extra = [coding({**c, "display": None}) for c in codings[1:]]
    return first[:-1] + ", " + ", ".join(extra) + ")" if first.endswith(")") else first


def _attachment(a: Json) -> str:
    kind = str(a.get("contentType", ""))
    data = a.get("data")
    if isinstance(data, str) and kind.startswith("text/"):
        try:
            return f"[{kind.split(';')[0]}] " + base64.b64decode(data).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            pass
    size = f", {len(data) * 3 // 4} bytes" if isinstance(data, str) else ""
    where = f" {a['url']}" if a.get("url") else ""
    return f"[{kind or 'attachment'}{size}]{where}"


def _name(n: Json) -> str:
    given = " ".join(str(g) for g in n.get("given") or [])
    text = " ".join(p for p in (given, str(n.get("family", ""))) if p) or str(n.get("text", ""))
    return f"{text} ({n['use']})" if n.get("use") and n.get("use") != "official" else text


def _address(a: Json) -> str:
    parts = [*map(str, a.get("line") or []), a.get("city"), a.get("state"), a.get("postalCode")]
    parts.append(a.get("country"))
    return ", ".join(str(p) for p in parts if p)


def _extension(e: Json) -> str:
    """``name: value`` (a complex extension with a ``text`` part, as US Core race, by its text)."""
    tail = str(e.get("url", "")).rstrip("/").rsplit("/", 1)[-1]
    values = [v for k, v in e.items() if k.startswith("value")]
    parts = [p for p in e.get("extension") or [] if isinstance(p, dict)]
    text = [p.get("valueString") for p in parts if p.get("url") == "text" and p.get("valueString")]
    inner = brief(values[0]) if values else str(text[0]) if text else brief(parts)
    return f"{tail}: {inner}"


def _dict(d: Json) -> str:
    """A dict by its shape (FHIR datatypes first, then ``key=value`` pairs)."""
    if "coding" in d:
        return concept(d)
    if "reference" in d:
        ref = str(d["reference"])
        return f"{ref} ({d['display']})" if d.get("display") else ref
    if "value" in d and isinstance(d["value"], int | float) and not isinstance(d["value"], bool):
        unit = d.get("unit") or d.get("code") or ""
        return f"{d.get('comparator', '')}{_scalar(d['value'])} {unit}".strip()
    if "url" in d and (any(k.startswith("value") for k in d) or "extension" in d):
        return _extension(d)
    if "code" in d and ("system" in d or "display" in d):
        return coding(d)
    if "family" in d or "given" in d:
        return _name(d)
    if "line" in d or "city" in d or "postalCode" in d:
        return _address(d)
    if "contentType" in d or "data" in d:
        return _attachment(d)
    if "system" in d and "value" in d:  # Identifier / ContactPoint
        label = brief(d["type"]) if d.get("type") else str(d["system"]).rsplit("/", 1)[-1]
        return f"{d['value']} ({label})"
    if set(d) <= {"start", "end"}:
        return f"{d.get('start', '')} to {d.get('end', 'now')}".strip()
    if set(d) <= {"low", "high"}:
        return f"{brief(d.get('low'))}-{brief(d.get('high'))}"
    if isinstance(d.get("text"), str) and ("timing" in d or "doseAndRate" in d):  # a Dosage
        doses = [
            brief(x.get("doseQuantity") or x.get("rateQuantity"))
            for x in d.get("doseAndRate") or []
        ]
        return "; ".join([d["text"], *[x for x in doses if x]])
    if set(d) == {"text"}:
        return str(d["text"])
    values = [v for k, v in d.items() if k.startswith("value") and not empty(v)]
    if isinstance(d.get("code"), dict) and values:  # an Observation component
        codings = d["code"].get("coding") or [{}]
        label = d["code"].get("text") or codings[0].get("display") or concept(d["code"])
        return f"{label} {brief(values[0])}"
    pairs = [
        f"{k}=({brief(v)})" if isinstance(v, dict) and len(v) > 1 else f"{k}={brief(v)}"
        for k, v in d.items()
        if not empty(v) and k not in SKIPPED[2:]
    ]
    if d.get("resourceType"):
        pairs.insert(0, f"{d['resourceType']}/{d.get('id', '')}")
    return ", ".join(pairs)


def brief(value: Any) -> str:
    """One line summarising any JSON value (see the module docstring)."""
    if isinstance(value, dict):
        return _dict(value)
    if isinstance(value, list):
        return "; ".join(brief(v) for v in value if not empty(v))
    if value is None:
        return ""
    return _scalar(value)


def _cell(value: Any) -> str:
    return " ".join(brief(value).replace("|", "/").split())


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


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


def render_bundle(bundle: Json) -> str:
    """A Bundle as one table per resource type (search matches first), with totals and paging."""
    groups: dict[str, list[Json]] = {}
    notes: list[str] = []
    for entry in bundle.get("entry") or []:
        res = entry.get("resource") if isinstance(entry, dict) else None
        if not isinstance(res, dict):
            continue
        if (entry.get("search") or {}).get("mode") == "outcome":
            notes += [f"note: {brief(i.get('diagnostics') or i)}" for i in res.get("issue") or []]
            continue
        groups.setdefault(str(res.get("resourceType", "Resource")), []).append(res)
    kind = str(bundle.get("type", ""))
    asked = searched_type(bundle) if kind == "searchset" else None
    lines: list[str] = []
    if asked is not None:
        shown = len(groups.get(asked, []))
        total = bundle.get("total")
        matches = f"{total if total is not None else '?'} matches"
        head = f"{asked}: {shown} of {matches}" if shown != total else f"{asked}: {matches}"
        page = next_page(bundle)
        lines.append(head + (f" (next page: same search + {page})" if page else ""))
    else:
        lines.append(f"Bundle ({kind}), {len(bundle.get('entry') or [])} entries")
    for rtype, rows in groups.items():
        if rtype != asked or len(groups) > 1:
            lines.append(f"{rtype} ({len(rows)})" + (" [included]" if rtype != asked else ""))
        one_patient = rtype == asked and {"patient", "subject"} & set(_query(bundle))
        lines += table(rows, resource_columns(rtype), drop=("patient",) if one_patient else ())
    return "\n".join(lines + notes)


def render_resource(resource: Json) -> str:
    """One resource as ``key: value`` lines (no meta, narrative or empty elements)."""
    lines = [f"{resource.get('resourceType')} {resource.get('id', '')}".rstrip()]
    if resource.get("resourceType") == "OperationOutcome":
        for issue in resource.get("issue") or []:
            detail = issue.get("diagnostics") or brief(issue.get("details"))
            lines.append(f"{issue.get('severity', '')} {issue.get('code', '')}: {detail}")
        return "\n".join(lines)
    lines += [f"{k}: {brief(v)}" for k, v in resource.items() if k not in SKIPPED and not empty(v)]
    return "\n".join(lines)


def _is_table(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def _generic_table(rows: list[Json]) -> list[str]:
    headers: dict[str, list[str]] = {}
    for row in rows:
        for k in row:
            headers.setdefault(str(k), [str(k)])
    key = "id" if headers.pop("id", None) else None
    return table(rows, headers, key)


def render_json(value: Any) -> str:
    """Any JSON tool result in the compact view (FHIR or not)."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and value.get("resourceType") == "Bundle":
        return render_bundle(value)
    if isinstance(value, dict) and isinstance(value.get("resourceType"), str):
        return render_resource(value)
    if _is_table(value):
        return "\n".join(_generic_table(value))
    if isinstance(value, dict):
        lines: list[str] = []
        for k, v in value.items():
            if _is_table(v) and len(v) > 1:
                lines.append(f"{k}: {len(v)} rows")
                lines += _generic_table(v)
            elif isinstance(v, list) and v and all(isinstance(x, str) for x in v):
                lines.append(f"{k}:")
                lines += [f"- {x}" for x in v]
            else:
                lines.append(f"{k}: {brief(v) if not empty(v) else '(none)'}")
        return "\n".join(lines)
    if isinstance(value, list):
        return "\n".join(f"- {brief(v)}" for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)
