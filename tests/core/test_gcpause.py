"""The cycle collector is paused while medsim builds an env (or loads tasks) and always comes back
as it was: on after a build, off if the user had turned it off, on after an error."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest

import medsim
from medsim.gcpause import cycle_collection_paused


@pytest.fixture
def collector_on() -> Iterator[None]:
    was = gc.isenabled()
    gc.enable()
    yield
    if not was:
        gc.disable()


def test_paused_inside_and_restored_after(collector_on: None) -> None:
    with cycle_collection_paused():
        assert not gc.isenabled()
    assert gc.isenabled()


def test_restored_after_an_error(collector_on: None) -> None:
    with pytest.raises(RuntimeError), cycle_collection_paused():
        raise RuntimeError("boom")
    assert gc.isenabled()


def test_left_off_when_the_user_had_it_off(collector_on: None) -> None:
    gc.disable()
    with cycle_collection_paused():
        pass
    assert not gc.isenabled()
    gc.enable()


def test_make_and_make_vec_leave_the_collector_on(collector_on: None) -> None:
    seen: list[bool] = []
    env = medsim.make("Demo-v0")
    seen.append(gc.isenabled())
    env.close()
    envs = medsim.make_vec("Demo-v0", num_envs=2)
    seen.append(gc.isenabled())
    envs.close()
    with pytest.raises(medsim.registry.UnknownEnvError):
        medsim.make("No-such-env-v0")
    seen.append(gc.isenabled())
    assert seen == [True, True, True]


def test_make_pauses_it_while_building(collector_on: None, monkeypatch: pytest.MonkeyPatch) -> None:
    from medsim.core.env import ClinicalEnv

    during: list[bool] = []
    original = ClinicalEnv.__init__

    def spy(self: ClinicalEnv, *args: object, **kwargs: object) -> None:
        during.append(gc.isenabled())
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ClinicalEnv, "__init__", spy)
    medsim.make("Demo-v0").close()
    assert during == [False]
