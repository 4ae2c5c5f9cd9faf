"""The episodes ``medsim serve-fhir`` keeps, with an end: explicit close, idle expiry and a cap.

Each ``X-Medsim-Episode`` name owns an in-memory SQLite layer (~0.3 MB and a file descriptor). A
server that kept every name forever would run out of memory or descriptors; this pool closes an
episode when its client says so (``POST /fhir/$medsim-close``), when it has been idle longer than
``idle_seconds``, and refuses new names beyond ``max_episodes`` with a 429 OperationOutcome (after
first expiring idle ones) instead of failing in unpredictable ways.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from medsim.fhir.episode import EmbeddedEpisode
from medsim.fhir.interface import FhirError

DEFAULT_IDLE_SECONDS = 900.0
DEFAULT_MAX_EPISODES = 256


@dataclass
class _Slot:
    episode: EmbeddedEpisode
    last_used: float


class EpisodePool:
    """Named episodes of one backend; thread-safe."""

    def __init__(
        self,
        factory: Callable[[str], EmbeddedEpisode],
        *,
        idle_seconds: float = DEFAULT_IDLE_SECONDS,
        max_episodes: int = DEFAULT_MAX_EPISODES,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._factory = factory
        self.idle_seconds = idle_seconds
        self.max_episodes = max_episodes
        self._clock = clock
        self._slots: dict[str, _Slot] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        with self._lock:
            return len(self._slots)

    def get(self, name: str) -> EmbeddedEpisode:
        """The episode called ``name`` (created on first use); 429 when the pool is full."""
        now = self._clock()
        with self._lock:
            slot = self._slots.get(name)
            if slot is None:
                self._expire_locked(now)
                if len(self._slots) >= self.max_episodes:
                    raise FhirError(
                        429,
                        f"Too many open episodes ({self.max_episodes}): close finished ones with "
                        "POST /fhir/$medsim-close, or retry after idle ones expire "
                        f"({self.idle_seconds:g} s)",
                        "throttled",
                    )
                slot = self._slots[name] = _Slot(self._factory(name), now)
            slot.last_used = now
            return slot.episode

    def close(self, name: str) -> bool:
        """Release an episode's layer; False if there was none."""
        with self._lock:
            slot = self._slots.pop(name, None)
        if slot is None:
            return False
        slot.episode.close()
        return True

    def expire(self) -> int:
        """Close episodes idle for longer than ``idle_seconds``; returns how many."""
        with self._lock:
            return self._expire_locked(self._clock())

    def _expire_locked(self, now: float) -> int:
        stale = [n for n, s in self._slots.items() if now - s.last_used > self.idle_seconds]
        for name in stale:
            self._slots.pop(name).episode.close()
        return len(stale)

    def close_all(self) -> None:
        with self._lock:
            slots, self._slots = list(self._slots.values()), {}
        for slot in slots:
            slot.episode.close()
