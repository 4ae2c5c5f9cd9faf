"""Small inline-SVG charts for the report page (no JavaScript, no network, no plotting
library): grouped bars, a heatmap, a scatter plot and line curves. Every chart is one
``<svg class="chart" data-chart=NAME>`` element with a ``<title>`` per mark for hover text."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

PALETTE = ["#2563eb", "#dc2626", "#16a34a", "#9333ea", "#ea580c", "#0891b2", "#4d7c0f", "#be185d"]


def _svg(name: str, width: int, height: int, body: list[str], title: str) -> str:
    return (
        f'<svg class="chart" data-chart="{escape(name)}" xmlns="http://www.w3.org/2000/svg" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _text(
    x: float, y: float, s: str, anchor: str = "start", size: int = 11, extra: str = ""
) -> str:
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'font-family="sans-serif" {extra}>{escape(s)}</text>'
    )


def _legend(series: Sequence[str], x: float, y: float) -> list[str]:
    out = []
    for i, name in enumerate(series):
        color = PALETTE[i % len(PALETTE)]
        out.append(f'<rect x="{x}" y="{y + 16 * i}" width="10" height="10" fill="{color}"/>')
        out.append(_text(x + 14, y + 9 + 16 * i, name))
    return out


def _y_axis(x0: float, y0: float, h: float, w: float, lo: float, hi: float, pct: bool) -> list[str]:
    out = []
    for i in range(5):
        v = lo + (hi - lo) * i / 4
        y = y0 + h - h * i / 4
        out.append(f'<line x1="{x0}" y1="{y:.1f}" x2="{x0 + w}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        label = f"{100 * v:.0f}%" if pct else f"{v:.3g}"
        out.append(_text(x0 - 4, y + 4, label, "end", 10))
    return out


def bar_chart(
    name: str, title: str, categories: Sequence[str], series: dict[str, Sequence[float | None]]
) -> str:
    """Grouped bars of fractions in [0, 1]: one group per category, one bar per series."""
    cats = list(categories) or ["(none)"]
    width = max(360, 90 + 70 * len(cats) * max(1, len(series)) ** 0.5)
    height, x0, y0, h = 260, 50, 20, 170
    w = width - x0 - 150
    body = _y_axis(x0, y0, h, w, 0.0, 1.0, True)
    group = w / len(cats)
    bw = group * 0.8 / max(1, len(series))
    for s_i, (sname, values) in enumerate(series.items()):
        color = PALETTE[s_i % len(PALETTE)]
        for c_i, v in enumerate(values):
            if v is None:
                continue
            bh = h * max(0.0, min(1.0, v))
            x = x0 + group * c_i + group * 0.1 + bw * s_i
            body.append(
                f'<rect class="bar" x="{x:.1f}" y="{y0 + h - bh:.1f}" width="{bw:.1f}" '
                f'height="{bh:.1f}" fill="{color}"><title>{escape(sname)} / '
                f"{escape(cats[c_i])}: {100 * v:.1f}%</title></rect>"
            )
    for c_i, c in enumerate(cats):
        x = x0 + group * (c_i + 0.5)
        body.append(_text(x, y0 + h + 14, c[:18], "middle", 10))
    body += _legend(list(series), x0 + w + 12, y0)
    return _svg(name, int(width), height, body, title)


def heatmap(
    name: str,
    title: str,
    rows: Sequence[str],
    cols: Sequence[str],
    values: dict[tuple[str, str], float],
    links: dict[str, str] | None = None,
) -> str:
    """Cells coloured by a pass rate in [0, 1] (red 0 -> green 1; grey = not applicable)."""
    cell, left, top = 26, 190, 110
    width = left + cell * max(1, len(cols)) + 20
    height = top + cell * max(1, len(rows)) + 20
    body: list[str] = []
    for j, col in enumerate(cols):
        x = left + cell * j + cell / 2
        body.append(
            _text(x, top - 6, col[:22], "start", 10, f'transform="rotate(-50 {x:.1f} {top - 6})"')
        )
    for i, row in enumerate(rows):
        y = top + cell * i
        label = _text(left - 6, y + cell / 2 + 4, row[:28], "end", 10)
        if links and row in links:
            label = f'<a href="{escape(links[row])}">{label}</a>'
        body.append(label)
        for j, col in enumerate(cols):
            v = values.get((row, col))
            color = "#d1d5db" if v is None else _red_green(v)
            tip = "n/a" if v is None else f"{100 * v:.0f}% passed"
            body.append(
                f'<rect class="cell" x="{left + cell * j}" y="{y}" width="{cell - 2}" '
                f'height="{cell - 2}" fill="{color}"><title>{escape(row)} / {escape(col)}: '
                f"{tip}</title></rect>"
            )
    return _svg(name, width, height, body, title)


def _red_green(v: float) -> str:
    v = max(0.0, min(1.0, v))
    r, g = int(220 * (1 - v) + 22 * v), int(38 * (1 - v) + 163 * v)
    return f"rgb({r},{g},{int(38 * (1 - v) + 74 * v)})"


def scatter(
    name: str, title: str, points: Sequence[tuple[str, float, float]], x_label: str, y_label: str
) -> str:
    """Labelled points (label, x, y) with y a fraction in [0, 1]."""
    width, height, x0, y0, w, h = 460, 280, 60, 20, 360, 200
    xmax = max((p[1] for p in points), default=0.0) or 1.0
    body = _y_axis(x0, y0, h, w, 0.0, 1.0, True)
    for i in range(5):
        x = x0 + w * i / 4
        body.append(_text(x, y0 + h + 14, f"{xmax * i / 4:.3g}", "middle", 10))
    body.append(_text(x0 + w / 2, height - 6, x_label, "middle"))
    body.append(
        _text(12, y0 + h / 2, y_label, "middle", 11, f'transform="rotate(-90 12 {y0 + h / 2})"')
    )
    for i, (label, xv, yv) in enumerate(points):
        cx, cy = x0 + w * xv / xmax, y0 + h - h * max(0.0, min(1.0, yv))
        color = PALETTE[i % len(PALETTE)]
        body.append(
            f'<circle class="point" cx="{cx:.1f}" cy="{cy:.1f}" r="6" fill="{color}">'
            f"<title>{escape(label)}: score {yv:.3f}, {x_label} {xv:.4g}</title></circle>"
        )
        body.append(_text(cx + 8, cy - 8, label[:30], "start", 10))
    return _svg(name, width, height, body, title)


def curves(
    name: str, title: str, series: dict[str, Sequence[tuple[int, float]]], x_label: str
) -> str:
    """Lines of (k, value in [0, 1]) per series."""
    width, height, x0, y0, w, h = 460, 260, 50, 20, 260, 190
    kmax = max((k for pts in series.values() for k, _ in pts), default=1)
    body = _y_axis(x0, y0, h, w, 0.0, 1.0, True)
    for k in range(1, kmax + 1):
        x = x0 + (w * (k - 1) / (kmax - 1) if kmax > 1 else w / 2)
        body.append(_text(x, y0 + h + 14, str(k), "middle", 10))
    body.append(_text(x0 + w / 2, height - 4, x_label, "middle"))
    for i, (sname, pts) in enumerate(series.items()):
        color = PALETTE[i % len(PALETTE)]
        xy = [
            (x0 + (w * (k - 1) / (kmax - 1) if kmax > 1 else w / 2), y0 + h - h * v) for k, v in pts
        ]
        if len(xy) > 1:
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
            body.append(
                f'<polyline class="curve" points="{path}" fill="none" stroke="{color}" stroke-width="2"/>'
            )
        for (k, v), (x, y) in zip(pts, xy, strict=True):
            body.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{color}"><title>{escape(sname)} '
                f"k={k}: {100 * v:.1f}%</title></circle>"
            )
    body += _legend(list(series), x0 + w + 12, y0)
    return _svg(name, width, height, body, title)
