"""The report page: one self-contained HTML file (inline CSS and SVG, no script, no network).

Sections: the run's config and headline numbers with 95% CIs, plots (success by specialty,
task x checkpoint heatmap, score vs cost per model, pass^k curves), breakdown tables, the list
of infrastructure errors, and a transcript viewer per episode (each tool call, its result, and
the checkpoints that first passed at that step).
"""

from __future__ import annotations

import json
from html import escape
from typing import Any

from medsim.eval import svg
from medsim.eval.report import RunData

RESULT_LIMIT = 1500
MAX_TRANSCRIPTS = 500  # episodes shown in full; the rest stay in results.db
CSS = """
body{font-family:system-ui,sans-serif;margin:24px;color:#111;max-width:1200px}
h1{font-size:22px}h2{font-size:18px;margin-top:28px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ddd;padding:3px 8px;
font-size:13px;text-align:left}th{background:#f3f4f6}.plots{display:flex;flex-wrap:wrap;gap:18px}
figure{margin:0}figcaption{font-size:13px;color:#444}.ok{color:#15803d}.bad{color:#b91c1c}
details.episode{border:1px solid #ddd;border-radius:6px;margin:6px 0;padding:4px 10px}
details.episode>summary{cursor:pointer;font-size:14px}.call{border-left:3px solid #93c5fd;
margin:8px 0;padding:2px 10px}.call pre{white-space:pre-wrap;font-size:12px;background:#f9fafb;
padding:6px;margin:4px 0;max-height:260px;overflow:auto}.cp{display:inline-block;
background:#dcfce7;border:1px solid #16a34a;border-radius:10px;padding:0 8px;margin:2px;
font-size:12px}.err{background:#fee2e2}.muted{color:#6b7280;font-size:12px}
"""


def _pct(v: Any) -> str:
    return "-" if v is None or v != v else f"{100 * float(v):.1f}%"


def _ci(ci: Any) -> str:
    return f" [{_pct(ci[0])}, {_pct(ci[1])}]" if ci else ""


def _json(value: Any, limit: int = RESULT_LIMIT) -> str:
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if len(text) > limit:
        text = text[:limit] + f" ... [{len(text) - limit} more characters]"
    return escape(text)


def _table(header: list[str], rows: list[list[str]], cls: str = "") -> str:
    head = "".join(f"<th>{escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    return f'<table class="{cls}"><tr>{head}</tr>{body}</table>'


def _headline(run: dict[str, Any]) -> str:
    m = run["metrics"]
    cost = m["cost"]
    rows = [
        ["success rate", _pct(m["success_rate"]) + _ci(m["success_rate_ci95"])],
        ["mean score", _pct(m["mean_score"]) + _ci(m["mean_score_ci95"])],
    ]
    for k, v in m["pass_at_k"].items():
        rows.append([f"pass@{k}", _pct(v["value"]) + _ci(v["ci95"]) + f" ({v['tasks']} tasks)"])
    for k, v in m["pass_hat_k"].items():
        rows.append([f"pass^{k}", _pct(v["value"]) + _ci(v["ci95"]) + f" ({v['tasks']} tasks)"])
    per = cost["per_episode"]
    rows += [
        ["episodes / tasks", f"{m['episodes']} / {m['tasks']}"],
        ["tokens (prompt + completion)", f"{cost['prompt_tokens']} + {cost['completion_tokens']}"],
        ["cost", f"${cost['cost_usd']:.4f} (${per['cost_usd']:.5f} per episode)"],
        ["wall time per episode", f"{per['wall_seconds']:.2f} s, {per['steps']:.1f} steps"],
        ["stopped early / truncated", f"{m['stopped_early']} / {m['truncated']}"],
        ["infrastructure errors (not scored)", str(len(m["infra_errors"]))],
    ]
    return _table(
        ["metric", "value (95% bootstrap CI over tasks)"], [[escape(a), escape(b)] for a, b in rows]
    )


def _plots(report: dict[str, Any]) -> str:
    runs = report["runs"]
    main = runs[0]["metrics"]
    spec = main["breakdowns"].get("specialty", {})
    cats = sorted(set().union(*(r["metrics"]["breakdowns"].get("specialty", {}) for r in runs)))
    bars = (
        svg.bar_chart(
            "success-by-specialty",
            "Success rate by specialty",
            cats,
            {
                r["label"]: [
                    r["metrics"]["breakdowns"].get("specialty", {}).get(c, {}).get("success_rate")
                    for c in cats
                ]
                for r in runs
            },
        )
        if spec or cats
        else svg.bar_chart("success-by-specialty", "Success rate by specialty", [], {})
    )
    by_task = main["checkpoints"]["by_task"]
    tasks = sorted(by_task)
    cps = sorted({c for t in by_task.values() for c in t})
    heat = svg.heatmap(
        "task-checkpoint-heatmap",
        "Checkpoint pass rate per task",
        tasks,
        cps,
        {(t, c): v for t, cs in by_task.items() for c, v in cs.items()},
        links={t: f"#task-{t}" for t in tasks},
    )
    points = [
        (
            r["label"],
            r["metrics"]["cost"]["per_episode"]["cost_usd"],
            r["metrics"]["mean_score"] or 0.0,
        )
        for r in runs
    ]
    scatter = svg.scatter(
        "score-vs-cost", "Mean score vs cost per episode", points, "USD per episode", "mean score"
    )
    curves = svg.curves(
        "pass-hat-k",
        "pass^k (all k trials succeed)",
        {
            r["label"]: [(int(k), v["value"]) for k, v in r["metrics"]["pass_hat_k"].items()]
            for r in runs
        },
        "k",
    )
    figs = [
        (bars, "Success rate by specialty (one bar per run)."),
        (heat, "Task x checkpoint: share of trials passing each checkpoint (grey: not in task)."),
        (scatter, "Mean score against API cost per episode, one point per run/model."),
        (curves, "pass^k: probability that k trials of a task all succeed (tau-bench)."),
    ]
    return (
        '<div class="plots">'
        + "".join(f"<figure>{f}<figcaption>{escape(c)}</figcaption></figure>" for f, c in figs)
        + "</div>"
    )


def _breakdowns(metrics: dict[str, Any]) -> str:
    parts = []
    for facet, values in metrics["breakdowns"].items():
        rows = [
            [
                escape(v),
                str(d["tasks"]),
                str(d["episodes"]),
                _pct(d["success_rate"]),
                _pct(d["mean_score"]),
            ]
            for v, d in values.items()
        ]
        parts.append(
            f"<h3>by {escape(facet)}</h3>"
            + _table([facet, "tasks", "episodes", "success", "mean score"], rows)
        )
    cats = metrics["checkpoints"]["by_category"]
    rows = [[escape(c), str(d["n"]), _pct(d["pass_rate"])] for c, d in cats.items()]
    parts.append(
        "<h3>checkpoint pass rate by category</h3>" + _table(["category", "checks", "passed"], rows)
    )
    return "".join(parts)


def _episode(run: RunData, row: dict[str, Any], open_: bool = False) -> str:
    record = run.records.get((row["task_id"], row["trial"]), {})
    task = record.get("task") or {}
    by_step: dict[int, list[str]] = {}
    for cid, c in row["checkpoints"].items():
        if c.get("first_passed_step") is not None:
            by_step.setdefault(int(c["first_passed_step"]), []).append(cid)
    calls = record.get("tool_calls") or []
    last_call_of_step = {c["step"]: i for i, c in enumerate(calls)}
    parts = [f'<p class="muted">{escape(str(task.get("instruction", "")))}</p>']
    for i, call in enumerate(calls):
        badges = ""
        if last_call_of_step.get(call["step"]) == i:
            badges = "".join(
                f'<span class="cp">&#10003; {escape(c)}</span>'
                for c in by_step.get(call["step"], [])
            )
        err = f'<pre class="err">{_json(call["error"])}</pre>' if call.get("error") else ""
        parts.append(
            f'<div class="call" data-step="{call["step"]}"><b>step {call["step"]}: '
            f"{escape(call['name'])}</b> {badges}<pre>{_json(call.get('arguments'))}</pre>{err}"
            f"<pre>{_json(call.get('result'))}</pre></div>"
        )
    if record.get("answer") is not None:
        parts.append(f"<p><b>answer</b>: <code>{_json(record['answer'], 500)}</code></p>")
    cp_rows = [
        [
            escape(cid),
            escape(str(c.get("category"))),
            f'<span class="{"ok" if c["status"] == "passed" else "bad"}">{escape(str(c["status"]))}</span>',
            "-" if c.get("first_passed_step") is None else str(c["first_passed_step"]),
            "gate" if c.get("gate") else "",
            escape(str(c.get("evidence") or ""))[:400],
        ]
        for cid, c in row["checkpoints"].items()
    ]
    parts.append(_table(["checkpoint", "category", "status", "step", "", "evidence"], cp_rows))
    mark = (
        '<span class="ok">&#10003;</span>'
        if row["success"]
        else '<span class="bad">&#10007;</span>'
    )
    summary = (
        f"{mark} {escape(row['task_id'])} &middot; trial {row['trial']} &middot; score "
        f"{row['score']:.2f} &middot; {row['steps']} steps"
        + (f" &middot; stopped: {escape(row['stop_reason'])}" if row.get("stop_reason") else "")
    )
    return (
        f'<details class="episode" id="ep-{escape(row["task_id"])}-{row["trial"]}" '
        f'data-task="{escape(row["task_id"])}"{" open" if open_ else ""}><summary>{summary}</summary>{"".join(parts)}</details>'
    )


def render_page(report: dict[str, Any], main: RunData) -> str:
    """The whole HTML page for ``report`` (from build_report); transcripts from ``main``."""
    run = report["runs"][0]
    config_rows = [
        [escape(k), escape(json.dumps(v, default=str))] for k, v in run["config"].items()
    ]
    infra = run["metrics"]["infra_errors"]
    infra_html = (
        _table(
            ["task", "trial", "attempt", "error"],
            [
                [escape(i["task_id"]), str(i["trial"]), str(i["attempt"]), escape(str(i["error"]))]
                for i in infra
            ],
        )
        if infra
        else "<p>none</p>"
    )
    others = "".join(
        f"<li>{escape(r['label'])}: success {_pct(r['metrics']['success_rate'])}, mean score "
        f"{_pct(r['metrics']['mean_score'])}</li>"
        for r in report["runs"][1:]
    )
    episodes: list[str] = []
    seen_tasks: set[str] = set()
    for row in main.rows[:MAX_TRANSCRIPTS]:
        anchor = (
            "" if row["task_id"] in seen_tasks else f'<a id="task-{escape(row["task_id"])}"></a>'
        )
        seen_tasks.add(row["task_id"])
        episodes.append(anchor + _episode(main, row, open_=not episodes))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f"<title>medsim report: {escape(run['name'])}</title><style>{CSS}</style></head><body>"
        f"<h1>medsim evaluation: {escape(run['label'])} on {escape(str(run['config'].get('env_id')))}</h1>"
        f'<section id="summary"><h2>Summary</h2>{_headline(run)}'
        + (f"<p>Compared runs:</p><ul>{others}</ul>" if others else "")
        + f'</section><section id="plots"><h2>Plots</h2>{_plots(report)}</section>'
        f'<section id="breakdowns"><h2>Breakdowns</h2>{_breakdowns(run["metrics"])}</section>'
        f'<section id="infra"><h2>Infrastructure errors (excluded from scores)</h2>{infra_html}</section>'
        f'<section id="config"><h2>Run config</h2>{_table(["key", "value"], config_rows)}</section>'
        f'<section id="transcripts"><h2>Transcripts ({len(main.rows)} episodes)</h2>{"".join(episodes)}'
        + (
            f'<p class="muted">{len(main.rows) - MAX_TRANSCRIPTS} more episodes are in the results '
            "database (not shown, to keep this page small).</p>"
            if len(main.rows) > MAX_TRANSCRIPTS
            else ""
        )
        + "</section></body></html>"
    )
