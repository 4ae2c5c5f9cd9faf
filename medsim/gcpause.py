"""``cycle_collection_paused()``: Python's cycle collector paused around bulk loads.

Loading a cohort's index or a suite's 1,200 train tasks allocates millions of small objects
that live on (parsed JSON, task models). Each allocation burst triggers collections, and the
full ones traverse everything loaded so far: about half of ``make("PhysicianBench-v0",
split="train")`` (3.5 -> 1.6 s paused) and a few % of an index build. Parsed JSON has no
reference cycles and the models built from it are freed by reference counting, so pausing the
collector for the load loses nothing; it runs again as usual afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collection_paused() -> Iterator[None]:
    """Disable the cycle collector inside the block; re-enable it after (if it was on)."""
    collecting = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if collecting:
            gc.enable()
