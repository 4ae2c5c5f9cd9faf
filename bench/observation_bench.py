"""Observation tokens, raw FHIR JSON vs the compact view, at identical scores (issue 15).

Replays the reference solution (and every negative control) of the tasks of every registered
suite (``medsim.list_envs()``, so a suite registered later is measured too) in both views
(``observation="fhir"`` and ``"compact"``, all other options the suite's defaults) and prints,
per suite and split, the tokens of the tool results the agent read
(``info["usage"]["observation_tokens"]``), their ratio, the ratio over FHIR tool results alone,
the ratio over every observation (the first one, the instruction with any patient note,
included: the view is applied to tool results only), and whether every score is identical.

Tokens are counted with a real tokenizer: by default OpenAI's ``o200k_base`` from the
``bpe-openai`` package (it ships the encoding, so no network is needed); ``--tokenizer`` picks
another (``tiktoken:NAME``, ``hf:PATH``). Without ``bpe-openai`` the bench trains a byte-level
BPE (``tokenizers``) on the project's docs plus cohort resources in *both* views, so neither
view is favoured. The first line says which tokenizer counted.

    python bench/observation_bench.py            # every test task, 8 train tasks per suite
    python bench/observation_bench.py --by-tool  # plus tokens per tool in both views
    python bench/observation_bench.py --per-suite 20 --train 0   # a quick look
"""

from __future__ import annotations

import argparse
import glob
import json
import time
from collections import Counter
from pathlib import Path
from typing import Any

import medsim
from medsim.core.rollout import ScriptedAgent, run_episode
from medsim.grading.record import EpisodeRecord
from medsim.observation import render_json, token_counter
from medsim.observation.tokens import TokenCounter, train_bpe

CORPUS_TYPES = ("Patient", "Observation", "Condition", "MedicationRequest", "Procedure")


#: The issue's target: compact >= 5x fewer tokens than raw.
TARGET = 5.0


def sample(tasks: list[Any], n: int) -> list[Any]:
    """Every k-th task (evenly over the sorted ids) so that at most ``n`` are kept."""
    if n <= 0 or len(tasks) <= n:
        return tasks
    step = len(tasks) / n
    return [tasks[int(i * step)] for i in range(n)]


def default_tokenizer() -> TokenCounter:
    """OpenAI's o200k_base (GPT-4o and later) from ``bpe-openai``, which ships it (no network);
    without that package, a BPE trained here (:func:`local_tokenizer`)."""
    try:
        return token_counter("bpe-openai:o200k_base")
    except (ImportError, ValueError):
        return local_tokenizer()


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


def replay(env: Any, tasks: list[Any], counter: TokenCounter) -> dict[str, Any]:
    """Tokens and scores of the reference solutions and negative controls of ``tasks``."""
    tokens, fhir_tokens, first, scores = 0, 0, 0, {}
    by_tool: Counter[str] = Counter()
    for task in tasks:
        obs, info = env.reset(seed=0, options={"task_id": task.id})
        first += counter.count(obs)
        record: EpisodeRecord = env.unwrapped.record
        for action in task.reference_solution:
            before = len(record.tool_calls)
            obs, _, terminated, truncated, info = env.step(action)
            names = [c.name for c in record.tool_calls[before:]]
            n = counter.count(obs)
            by_tool[",".join(names) or "(no call)"] += n
            if names and all(n.startswith("fhir_") for n in names):
                fhir_tokens += n
            if terminated or truncated:
                break
        tokens += info["usage"]["observation_tokens"]
        scores[(task.id, "reference")] = (record.grade or {}).get("score", 0.0)
        for control in task.negative_controls:
            res = run_episode(env, ScriptedAgent(control.actions), task_id=task.id, seed=0)
            scores[(task.id, control.name)] = res.score
    return {
        "tokens": tokens,
        "fhir": fhir_tokens,
        "first": first,
        "scores": scores,
        "by_tool": by_tool,
    }


def splits(per_suite: int, train: int) -> list[tuple[str, dict[str, Any], int]]:
    """(split, make options, tasks to keep): the default split (test) sampled to ``per_suite``
    when that is > 0, and ``train`` sampled train tasks (one instance per template where a
    suite generates them) when the suite has any."""
    out: list[tuple[str, dict[str, Any], int]] = [("test", {}, per_suite)]
    if train > 0:
        out.append(("train", {"split": "train", "train_count": 1}, train))
    return out


def measure(
    env_id: str, split_opts: dict[str, Any], n: int, counter: TokenCounter, limit: int | None
) -> Any:
    """Both views of one suite split: (tasks shown, of, raw result, compact result)."""
    results = []
    for view in ("fhir", "compact"):
        common = {"observation": view, "tokenizer": counter, "tool_output_limit": limit}
        try:
            try:
                env = medsim.make(env_id, **common, **split_opts)
            except TypeError:  # a suite without per-template train instances
                opts = {k: v for k, v in split_opts.items() if k != "train_count"}
                env = medsim.make(env_id, **common, **opts)
        except ValueError:  # the suite has no tasks in this split
            return None
        chosen = sample(env.unwrapped.tasks, n)
        results.append(replay(env, chosen, counter))
        env.close()
    return len(chosen), len(env.unwrapped.tasks), results[0], results[1]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--per-suite", type=int, default=0, help="test tasks per suite (0 = all)")
    ap.add_argument("--train", type=int, default=8, help="train tasks per suite that has them")
    ap.add_argument(
        "--tokenizer",
        help="tiktoken:NAME, bpe-openai:NAME or hf:PATH (default: bpe-openai:o200k_base, "
        "else a BPE trained here)",
    )
    ap.add_argument("--suites", help="comma-separated env ids (default: every registered id)")
    ap.add_argument(
        "--limit",
        type=int,
        default=0,
        help="tool_output_limit in characters for both views (default 0: uncut, so both views "
        "show the same entries; the envs' default 10000 cuts long raw results to fewer entries)",
    )
    ap.add_argument("--by-tool", action="store_true", help="print tokens per tool, both views")
    args = ap.parse_args()
    counter = token_counter(args.tokenizer) if args.tokenizer else default_tokenizer()
    print(f"tokenizer: {counter.name}")
    cut = (
        f"cut at {args.limit} characters"
        if args.limit
        else "uncut (the same entries in both views)"
    )
    print(f"tool results: {cut}")
    ids = args.suites.split(",") if args.suites else list(medsim.list_envs())
    print(
        f"{'suite':<22} {'split':<5} {'tasks':>8} {'raw tok':>9} {'compact':>9} {'ratio':>6} "
        f"{'FHIR':>6} {'+task':>6} {'ref=1.0':>7} {'same scores':>12} {'sec':>5}"
    )
    breakdowns = []
    verbatim: list[str] = []
    for env_id in ids:
        for split, opts, n in splits(args.per_suite, args.train):
            t0 = time.perf_counter()
            measured = measure(env_id, opts, n, counter, args.limit or None)
            if measured is None:
                continue
            shown, of, raw, compact = measured
            refs = [s for (_, name), s in compact["scores"].items() if name == "reference"]
            all_one = all(s == 1.0 for s in refs)
            same = raw["scores"] == compact["scores"]
            ratio = raw["tokens"] / max(compact["tokens"], 1)
            fhir = f"{raw['fhir'] / compact['fhir']:.1f}x" if compact["fhir"] else "-"
            same_text = f"{same} ({len(raw['scores'])})"
            whole = (raw["tokens"] + raw["first"]) / max(compact["tokens"] + compact["first"], 1)
            print(
                f"{env_id:<22} {split:<5} {f'{shown}/{of}':>8} {raw['tokens']:>9} "
                f"{compact['tokens']:>9} {ratio:>5.1f}x {fhir:>6} {whole:>5.1f}x "
                f"{str(all_one):>7} {same_text:>12} "
                f"{time.perf_counter() - t0:>5.0f}",
                flush=True,
            )
            breakdowns.append((f"{env_id} {split}", raw["by_tool"], compact["by_tool"]))
            if whole < TARGET <= ratio:
                share = compact["first"] / max(compact["first"] + compact["tokens"], 1)
                verbatim.append(f"{env_id} {split}: +task {whole:.1f}x, {share:.0%}")
    print(
        "ratio: tokens of the tool results the agent read in the reference solutions, raw / compact;"
    )
    print("FHIR: the same over the results of fhir_* tools only (workbench ones included);")
    print("+task: over every observation, the first one (instruction, patient note) included;")
    print("same scores: every reference and negative control scores the same in both views.")
    for line in verbatim:
        print(
            f"{line} of the compact view's tokens are the first observation (the task text, "
            "shown verbatim in both views: the view applies to tool results only)"
        )
    if args.by_tool:
        for name, raw_tools, compact_tools in breakdowns:
            print(f"\n{name}: tokens per tool (raw -> compact)")
            for tool, n in raw_tools.most_common():
                print(
                    f"  {tool:<48} {n:>8} -> {compact_tools[tool]:>7}  {n / max(compact_tools[tool], 1):5.1f}x"
                )


if __name__ == "__main__":
    main()
