"""One rule for medsim's registries of named things (tools, checkpoint graders).

A :class:`NamedRegistry` maps names to items and follows one rule everywhere:

- a name is unique: registering a *different* definition under a taken name raises
  ``ValueError`` naming both definitions; registering the *same* definition again (same
  ``module.qualname``, as happens when a module is reloaded) replaces it silently;
- built-in modules, whose import registers the built-in items, are imported lazily on first
  lookup, under a lock, and the registry counts as loaded only once every import finished — so
  threads that make envs at the same time all see the full registry (a flag set before the
  imports used to let a second thread see an empty one);
- extra modules (a suite's own tools or graders) are imported with :meth:`load_modules`;
- an unknown name raises the registry's error type, with the closest names as a hint.
"""

from __future__ import annotations

import difflib
import importlib
import threading
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


def origin_of(fn: Callable[..., object]) -> str:
    """``module.qualname`` of a function: what makes two registrations "the same definition"."""
    return f"{fn.__module__}.{fn.__qualname__}"


class NamedRegistry(Generic[T]):
    """Items by unique name, with lazily imported built-in modules (thread-safe)."""

    def __init__(
        self,
        kind: str,
        builtin_modules: Iterable[str],
        origin: Callable[[T], str],
        unknown: Callable[[str], Exception],
    ) -> None:
        self.kind = kind
        self.builtin_modules = tuple(builtin_modules)
        self._origin = origin
        self._unknown = unknown
        self._items: dict[str, T] = {}
        self._loaded = False
        self._lock = threading.RLock()

    def add(self, name: str, item: T, *, replace: bool = False) -> T:
        """Register ``item`` under ``name`` (see the module docstring for the rule)."""
        with self._lock:
            old = self._items.get(name)
            if old is not None and not replace and self._origin(old) != self._origin(item):
                raise ValueError(
                    f"{self.kind} name {name!r} is already registered by {self._origin(old)} "
                    f"(now also by {self._origin(item)})"
                )
            self._items[name] = item
        return item

    def ensure_loaded(self) -> None:
        """Import the built-in modules once; other threads wait until every import finished."""
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                for module in self.builtin_modules:
                    importlib.import_module(module)
                self._loaded = True

    def load_modules(self, modules: Iterable[str]) -> None:
        """Import modules whose import registers more items (a suite's own tools or graders)."""
        self.ensure_loaded()
        for module in modules:
            importlib.import_module(module)

    def get(self, name: str) -> T:
        """The item called ``name``; unknown names raise the registry's error with suggestions."""
        self.ensure_loaded()
        try:
            return self._items[name]
        except KeyError:
            pass
        close = difflib.get_close_matches(name, list(self._items), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        raise self._unknown(
            f"unknown {self.kind} {name!r}{hint} (registered: {', '.join(sorted(self._items))})"
        ) from None

    def peek(self, name: str) -> T | None:
        """The item called ``name`` if registered already (no lazy loading, no error)."""
        return self._items.get(name)

    def __contains__(self, name: object) -> bool:
        self.ensure_loaded()
        return name in self._items

    def names(self) -> list[str]:
        """Every registered name, sorted."""
        self.ensure_loaded()
        return sorted(self._items)

    def items(self) -> dict[str, T]:
        """A copy of the name → item mapping."""
        self.ensure_loaded()
        return dict(self._items)
