"""The README's table of cases by specialty, generated from the case files.

``python -m medsim.environments.dialogue.catalog`` prints it; ``--write`` replaces the block
between the ``<!-- cases:begin -->`` / ``<!-- cases:end -->`` markers of README.md. A test keeps
the README in step with the cases (run ``--write`` after adding cases).
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from medsim.environments.dialogue import SUITE

README = Path(__file__).parent / "README.md"
BEGIN, END = "<!-- cases:begin -->", "<!-- cases:end -->"


def table() -> str:
    """Markdown: one row per specialty (cases, train instances at the default count, the
    difficulty mix), then a total row."""
    cases = SUITE.cases()
    train = Counter(t.specialty for t in SUITE.train_tasks(validate=False))
    rows = ["| specialty | cases (test) | train instances (seed 0) | easy / medium / hard |"]
    rows.append("|---|---|---|---|")
    for spec in sorted({c.specialty for c in cases}):
        mine = [c for c in cases if c.specialty == spec]
        mix = Counter(c.difficulty for c in mine)
        rows.append(
            f"| {spec} | {len(mine)} | {train[spec]} | "
            f"{mix['easy']} / {mix['medium']} / {mix['hard']} |"
        )
    mix = Counter(c.difficulty for c in cases)
    rows.append(
        f"| **total ({len({c.specialty for c in cases})} specialties)** | **{len(cases)}** | "
        f"**{sum(train.values())}** | {mix['easy']} / {mix['medium']} / {mix['hard']} |"
    )
    return "\n".join(rows)


def block() -> str:
    """The README block, markers included."""
    return f"{BEGIN}\n{table()}\n{END}"


def write(path: Path = README) -> bool:
    """Rewrite the block in ``path``; True when it changed."""
    text = path.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END)
    new = text[:start] + block() + text[end:]
    path.write_text(new, encoding="utf-8")
    return new != text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="update README.md in place")
    args = parser.parse_args()
    if args.write:
        print("README.md updated" if write() else "README.md already up to date")
    else:
        print(table())


if __name__ == "__main__":
    main()
