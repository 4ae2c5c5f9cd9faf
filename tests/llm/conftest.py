"""Fixtures for the LLM-layer tests: a running stub server (127.0.0.1, ephemeral port)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from medsim.llm.stub_server import StubServer


@pytest.fixture
def stub() -> Iterator[StubServer]:
    """A stub whose unscripted replies are "default reply", reporting 100 + 20 tokens a call."""
    with StubServer(default_reply="default reply", usage=(100, 20), hold_seconds=10) as server:
        yield server
