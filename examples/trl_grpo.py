"""GRPO with TRL on medsim rewards, on a tiny model built locally on the CPU (no downloads).

    python examples/trl_grpo.py --env Demo-v0 --steps 4

Each prompt is a task's instruction (system prompt + user turn, as the env shows them); TRL
samples ``--generations`` completions per prompt, and :class:`medsim.train.rewards.CompletionReward`
grades each one as the agent's action on that task (group-relative advantages follow). The model
is a randomly initialised 2-layer GPT-2 with a byte-level tokenizer trained on the instructions
(``medsim.train.tiny``), so rewards are ~0: the point is the plumbing, end to end in seconds.
For a real run pass ``--model NAME`` (any causal LM from the hub or a local folder).
Needs ``pip install 'medsim[train]'`` (trl, transformers, torch).
"""

from __future__ import annotations

import argparse
import tempfile
from typing import Any

import medsim
from medsim.train.rewards import CompletionReward


def task_prompts(env_id: str) -> list[dict[str, Any]]:
    """One dataset row per task: the conversation the env opens with, and the task id."""
    env: Any = medsim.make(env_id)
    rows = []
    for task_id in env.unwrapped.task_ids:
        _obs, info = env.reset(options={"task_id": task_id})
        rows.append({"prompt": list(info["messages"]), "task_id": task_id})
    env.close()
    return rows


def build(args: argparse.Namespace) -> Any:
    """The GRPOTrainer (not yet trained)."""
    from datasets import Dataset
    from trl import GRPOConfig, GRPOTrainer

    rows = task_prompts(args.env)
    if args.model:
        from transformers import AutoModelForCausalLM, AutoTokenizer

        tokenizer = AutoTokenizer.from_pretrained(args.model)
        model = AutoModelForCausalLM.from_pretrained(args.model)
    else:
        from medsim.train.tiny import tiny_model, tiny_tokenizer

        texts = [m["content"] for r in rows for m in r["prompt"]]
        tokenizer = tiny_tokenizer(texts, vocab_size=1024)
        model = tiny_model(tokenizer, seed=args.seed)
    config = GRPOConfig(
        output_dir=args.out or tempfile.mkdtemp(prefix="medsim-grpo-"),
        max_steps=args.steps,
        per_device_train_batch_size=args.generations,
        num_generations=args.generations,
        max_completion_length=args.max_completion_length,
        learning_rate=args.lr,
        logging_steps=1,
        save_strategy="no",
        report_to=[],
        use_cpu=True,
        bf16=False,
        seed=args.seed,
        dataloader_num_workers=0,
    )
    reward: Any = CompletionReward(args.env)  # list[float] where TRL allows list[float | None]
    return GRPOTrainer(
        model=model,
        reward_funcs=reward,
        args=config,
        train_dataset=Dataset.from_list(rows),
        processing_class=tokenizer,
    )


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--env", default="Demo-v0")
    p.add_argument("--steps", type=int, default=4)
    p.add_argument("--generations", type=int, default=4, help="G: completions per prompt")
    p.add_argument("--max-completion-length", type=int, default=24)
    p.add_argument("--lr", type=float, default=1e-4)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--model", help="a causal LM to train instead of the tiny local one")
    p.add_argument("--out", help="output folder (default: a temporary one)")
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> list[dict[str, Any]]:
    """Train; return TRL's log history (one entry per step, with the reward means)."""
    trainer = build(parse(argv))
    trainer.train()
    history: list[dict[str, Any]] = list(trainer.state.log_history)
    for entry in history:
        if "reward" in entry:
            print(
                f"step {entry.get('step')}: reward {entry['reward']:.3f} loss {entry.get('loss')}"
            )
    return history


if __name__ == "__main__":
    main()
