"""The live progress line of ``medsim eval``: episodes done / total, success so far, tokens,
cost and ETA. Redrawn in place on a terminal; on a pipe or file, one line at most every
``interval`` seconds (and at the end), so logs stay readable."""

from __future__ import annotations

import sys
import time
from typing import TextIO


def _eta(seconds: float) -> str:
    if seconds != seconds or seconds == float("inf"):  # NaN or unknown
        return "?"
    s = int(seconds)
    return f"{s // 3600}h{s % 3600 // 60:02d}m" if s >= 3600 else f"{s // 60}m{s % 60:02d}s"


def _tokens(n: int) -> str:
    return f"{n / 1e6:.2f}M" if n >= 1e6 else f"{n / 1e3:.1f}k" if n >= 1e3 else str(n)


class Progress:
    """``Progress(total, done=already_done)``; call ``episode(...)`` after each committed row."""

    def __init__(
        self,
        total: int,
        done: int = 0,
        successes: int = 0,
        stream: TextIO | None = None,
        interval: float = 5.0,
        enabled: bool = True,
    ) -> None:
        self.total = total
        self.done = done
        self.graded = done
        self.successes = successes
        self.infra = 0
        self.tokens = 0
        self.cost = 0.0
        self.stream = stream or sys.stderr
        self.tty = bool(getattr(self.stream, "isatty", lambda: False)())
        self.interval = interval
        self.enabled = enabled
        self._start = time.monotonic()
        self._new = 0
        self._last_print = 0.0

    def episode(self, *, success: bool | None, tokens: int, cost: float, infra: bool) -> None:
        self.done += 1
        self._new += 1
        if infra:
            self.infra += 1
        else:
            self.graded += 1
            self.successes += int(bool(success))
        self.tokens += tokens
        self.cost += cost
        self.draw()

    def line(self) -> str:
        elapsed = time.monotonic() - self._start
        left = self.total - self.done
        eta = elapsed / self._new * left if self._new else float("nan")
        rate = f"{100 * self.successes / self.graded:.1f}%" if self.graded else "-"
        width = 24
        filled = int(width * self.done / self.total) if self.total else width
        bar = "#" * filled + "." * (width - filled)
        infra = f" infra-errors {self.infra}" if self.infra else ""
        return (
            f"[{bar}] {self.done}/{self.total} success {rate} tokens {_tokens(self.tokens)} "
            f"cost ${self.cost:.4f}{infra} ETA {_eta(eta if left else 0.0)}"
        )

    def draw(self, final: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            self.stream.write("\r" + self.line() + ("\n" if final else ""))
        elif final or now - self._last_print >= self.interval:
            self.stream.write(self.line() + "\n")
            self._last_print = now
        self.stream.flush()
