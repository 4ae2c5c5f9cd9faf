"""Seeded sampling of one structured case from a calculator's spec in ``data/cases.yaml``.

A spec maps each input (and hidden helper variables, names starting with ``_``) to how it is
drawn: ``{int: [lo, hi]}``, ``{float: [lo, hi], dp: 1}``, ``{choice: [...], p: [...]}``,
``{bool: 0.3}``, ``{const: v}``, ``{expr: "sodium - bicarbonate - _ag"}``, ``{by: field,
values: {...}}`` (a choice that depends on another input), ``{days_before_now: [lo, hi]}`` and
``{now: true}`` (dates as MM/DD/YYYY), ``{opioids: [lo, hi], drugs: {...}}`` (a list of
opioid doses). Modifiers: ``omit`` (probability the input is not
reported), ``alt`` ({unit: probability} of reporting it in another unit, see
:mod:`.notes`), ``only_if`` ({field: value}: otherwise False / omitted), ``min``/``max`` (redraw
the case when violated). ``require`` at case level lists expressions that must hold.

Randomness is :class:`random.Random` seeded with a string, which Python guarantees to be stable
across versions and platforms: the same seed gives the same case everywhere.
"""

from __future__ import annotations

import ast
import operator
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

_BIN = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
}
_CMP = {
    ast.Lt: operator.lt,
    ast.LtE: operator.le,
    ast.Gt: operator.gt,
    ast.GtE: operator.ge,
    ast.Eq: operator.eq,
    ast.NotEq: operator.ne,
}


class SpecError(ValueError):
    """A case spec that cannot be used (unknown kind, bad expression, no valid draw)."""


class Redraw(Exception):
    """This draw violates a constraint: draw the whole case again."""


def evaluate(expr: str, env: Mapping[str, Any]) -> Any:
    """A tiny safe evaluator: numbers, strings, names, + - * / **, comparisons, and/or/not,
    ``a if cond else b``."""

    def ev(node: ast.AST) -> Any:
        if isinstance(node, ast.Expression):
            return ev(node.body)
        if isinstance(node, ast.Constant) and isinstance(node.value, int | float | str):
            return node.value
        if isinstance(node, ast.Name):
            if node.id not in env:
                raise SpecError(f"expression {expr!r}: unknown name {node.id!r}")
            return env[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _BIN:
            return _BIN[type(node.op)](ev(node.left), ev(node.right))
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -ev(node.operand)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return not ev(node.operand)
        if isinstance(node, ast.IfExp):
            return ev(node.body) if ev(node.test) else ev(node.orelse)
        if isinstance(node, ast.BoolOp):
            values = [ev(v) for v in node.values]
            return all(values) if isinstance(node.op, ast.And) else any(values)
        if isinstance(node, ast.Compare) and all(type(o) in _CMP for o in node.ops):
            left = ev(node.left)
            for op, comp in zip(node.ops, node.comparators, strict=True):
                right = ev(comp)
                if not _CMP[type(op)](left, right):
                    return False
                left = right
            return True
        raise SpecError(f"expression {expr!r}: unsupported syntax {type(node).__name__}")

    try:
        tree = ast.parse(expr, mode="eval")
    except SyntaxError as exc:
        raise SpecError(f"expression {expr!r}: {exc.msg}") from None
    return ev(tree)


@dataclass
class Draw:
    """One sampled case: canonical values, which inputs are reported, in which unit."""

    values: dict[str, Any] = field(default_factory=dict)  # inputs and hidden helpers
    units: dict[str, str] = field(default_factory=dict)  # input -> non-canonical report unit
    omitted: set[str] = field(default_factory=set)  # inputs the note does not report

    def inputs(self) -> dict[str, Any]:
        """The reported inputs (hidden helpers and omitted inputs dropped)."""
        return {
            k: v
            for k, v in self.values.items()
            if not k.startswith("_") and k not in self.omitted and v is not None
        }


def _round(value: float, dp: int) -> float | int:
    return int(round(value)) if dp == 0 else round(value, dp)


def _mmddyyyy(day: date) -> str:
    return day.strftime("%m/%d/%Y")


def draw_value(
    spec: Mapping[str, Any], rng: random.Random, env: Mapping[str, Any], now: date
) -> Any:
    """One value for one spec (no modifiers)."""
    if "const" in spec:
        return spec["const"]
    if "int" in spec:
        lo, hi = spec["int"]
        return rng.randint(int(lo), int(hi))
    if "float" in spec:
        lo, hi = spec["float"]
        return _round(rng.uniform(float(lo), float(hi)), int(spec.get("dp", 1)))
    if "bool" in spec:
        return rng.random() < float(spec["bool"])
    if "choice" in spec:
        options = list(spec["choice"])
        weights = spec.get("p")
        return rng.choices(options, weights=weights)[0] if weights else rng.choice(options)
    if "by" in spec:
        key = env[spec["by"]]
        table = spec["values"]
        if key not in table:
            raise SpecError(f"'by' table has no entry for {key!r}")
        return rng.choice(list(table[key]))
    if "expr" in spec:
        value = evaluate(str(spec["expr"]), env)
        return _round(float(value), int(spec.get("dp", 1))) if "dp" in spec else value
    if "opioids" in spec:  # a list of {drug, dose, doses_per_day}
        lo, hi = spec["opioids"]
        drugs = rng.sample(sorted(spec["drugs"]), rng.randint(int(lo), int(hi)))
        return [
            {
                "drug": d,
                "dose": rng.choice(list(spec["drugs"][d]["dose"])),
                "doses_per_day": rng.choice(list(spec["drugs"][d]["per_day"])),
            }
            for d in drugs
        ]
    if "days_before_now" in spec:
        lo, hi = spec["days_before_now"]
        return _mmddyyyy(now - timedelta(days=rng.randint(int(lo), int(hi))))
    if spec.get("now"):
        return _mmddyyyy(now)
    raise SpecError(f"unknown spec {dict(spec)!r}")


def draw_case(
    inputs: Mapping[str, Mapping[str, Any]],
    rng: random.Random,
    now: date,
    require: list[str] | None = None,
) -> Draw:
    """Draw every input in order (later specs may use earlier values); :class:`Redraw` when a
    ``min``/``max``/``require`` constraint fails."""
    d = Draw()
    for name, spec in inputs.items():
        cond = spec.get("only_if")
        if cond and any(d.values.get(k) != v for k, v in cond.items()):
            d.values[name] = False if "bool" in spec else None
            continue
        value = draw_value(spec, rng, d.values, now)
        if isinstance(value, int | float) and not isinstance(value, bool):
            if "min" in spec and value < spec["min"]:
                raise Redraw(f"{name} = {value} < {spec['min']}")
            if "max" in spec and value > spec["max"]:
                raise Redraw(f"{name} = {value} > {spec['max']}")
        d.values[name] = value
        if "omit" in spec and rng.random() < float(spec["omit"]):
            d.omitted.add(name)
        alt = spec.get("alt")
        if alt and name not in d.omitted:
            for unit, prob in alt.items():
                if rng.random() < float(prob):
                    d.units[name] = str(unit)
                    break
    for expr in require or []:
        if not evaluate(expr, d.values):
            raise Redraw(f"requirement {expr!r} failed")
    return d
