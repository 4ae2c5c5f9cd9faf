"""Observation tokens, raw FHIR JSON vs the compact view, at identical scores (issue 15).

Replays the reference solution (and every negative control) of the tasks of every registered
suite in both views (``observation="fhir"`` and ``"compact"``, all other options the suite's
defaults) and prints, per suite, the tokens of the tool results the agent read
(``info["usage"]["observation_tokens"]``), their ratio, and whether the scores are identical.

Tokens are counted with a real tokenizer: ``--tokenizer tiktoken:o200k_base`` or ``hf:PATH``
when one is available. Without one (this machine has no network, so tiktoken cannot download
its encodings) the bench trains a byte-level BPE (``tokenizers``, vocabulary 16,000) on the
project's docs plus cohort resources in *both* views, so neither view is favoured, and says so.

    python bench/observation_bench.py                # 40 tasks per suite (sampled evenly)
    python bench/observation_bench.py --per-suite 0  # every task of every suite
"""

from __future__ import annotations

import argparse
import glob
import json
import time
from pathlib import Path
from typing import Any

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.grading.record import EpisodeRecord
from medsim.observation import render_json, token_counter
from medsim.observation.tokens import TokenCounter, train_bpe

CORPUS_TYPES = ("Patient", "Observation", "Condition", "MedicationRequest", "Procedure")


def sample(tasks: list[Any], n: int) -> list[Any]:
    """Every k-th task (evenly over the sorted ids) so that at most ``n`` are kept."""
    if n <= 0 or len(tasks) <= n:
        return tasks
    step = len(tasks) / n
    return [tasks[int(i * step)] for i in range(n)]


def local_tokenizer() -> TokenCounter:
    """A BPE trained here on docs + cohort resources rendered in both views."""
    texts = [Path(p).read_text(encoding="utf-8") for p in sorted(glob.glob("docs/*.md"))]
    env = medsim.make("Demo-v0").unwrapped
    env.reset(seed=0)
    for rtype in CORPUS_TYPES:
        bundle = env.fhir.search(rtype, {"_count": "200"})
        for entry in bundle.get("entry", []):
            texts += [json.dumps(entry["resource"], ensure_ascii=False)]
        texts.append(render_json(bundle))
    env.close()
    tok = train_bpe(texts, vocab_size=16_000)
    return TokenCounter(
        f"local byte-level BPE (tokenizers, vocab {tok.get_vocab_size()}, trained on docs + "
        f"{len(texts)} texts of cohort resources in both views)",
        lambda t: tok.encode(t, add_special_tokens=False).ids,
    )


def replay(env_id: str, view: str, counter: TokenCounter, n: int) -> dict[str, Any]:
    """Tokens and scores of every reference solution and negative control in one view."""
    env = medsim.make(env_id, observation=view, tokenizer=counter)
    tasks = env.unwrapped.tasks
    chosen = sample(tasks, n)
    tokens, fhir_tokens, scores = 0, 0, {}
    for task in chosen:
        env.reset(seed=0, options={"task_id": task.id})
        record: EpisodeRecord = env.unwrapped.record
        for action in task.reference_solution:
            before = len(record.tool_calls)
            obs, _, terminated, truncated, info = env.step(action)
            names = [c.name for c in record.tool_calls[before:]]
            if names and all(n.startswith("fhir_") for n in names):
                fhir_tokens += counter.count(obs)
            if terminated or truncated:
                break
        tokens += info["usage"]["observation_tokens"]
        scores[(task.id, "reference")] = (record.grade or {}).get("score", 0.0)
        for control in task.negative_controls:
            res = run_episode(env, ScriptedAgent(control.actions), task_id=task.id, seed=0)
            scores[(task.id, control.name)] = res.score
    env.close()
    return {
        "tasks": len(chosen),
        "of": len(tasks),
        "tokens": tokens,
        "fhir": fhir_tokens,
        "scores": scores,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-suite", type=int, default=40, help="tasks per suite (0 = all)")
    ap.add_argument("--tokenizer", help="tiktoken:NAME or hf:PATH (default: a local BPE)")
    ap.add_argument("--suites", help="comma-separated env ids (default: every registered id)")
    args = ap.parse_args()
    counter = token_counter(args.tokenizer) if args.tokenizer else local_tokenizer()
    print(f"tokenizer: {counter.name}")
    ids = args.suites.split(",") if args.suites else list(medsim.list_envs())
    print(
        f"{'suite':<18} {'tasks':>9} {'raw tok':>9} {'compact':>9} {'ratio':>6} {'FHIR':>6} "
        f"{'ref=1.0':>8} {'same scores':>12} {'sec':>5}"
    )
    for env_id in ids:
        t0 = time.perf_counter()
        raw = replay(env_id, "fhir", counter, args.per_suite)
        compact = replay(env_id, "compact", counter, args.per_suite)
        refs = [s for (_, name), s in compact["scores"].items() if name == "reference"]
        all_one = all(s == 1.0 for s in refs)
        same = raw["scores"] == compact["scores"]
        ratio = raw["tokens"] / max(compact["tokens"], 1)
        fhir = f"{raw['fhir'] / compact['fhir']:.1f}x" if compact["fhir"] else "-"
        shown = f"{raw['tasks']}/{raw['of']}"
        same_text = f"{same} ({len(raw['scores'])})"
        print(
            f"{env_id:<18} {shown:>9} {raw['tokens']:>9} {compact['tokens']:>9} "
            f"{ratio:>5.1f}x {fhir:>6} {str(all_one):>8} {same_text:>12} "
            f"{time.perf_counter() - t0:>5.0f}"
        )
    print("tokens: tool results the agent read in the reference solutions (instruction excluded);")
    print("FHIR: the ratio over the results of FHIR tool calls only (no calculator, no finish);")
    print("same scores: every reference and negative control scores the same in both views.")


if __name__ == "__main__":
    main()
