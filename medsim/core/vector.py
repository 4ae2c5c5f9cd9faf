"""How ``medsim.make_vec`` batches the sub-envs' ``info``: per-task dicts stay whole.

Gymnasium's vector envs merge the sub-envs' infos key by key (``VectorEnv._add_info``): a value
that is a dict is merged recursively, so ``info["checkpoints"]`` (checkpoint id -> {status,
evidence, weight, gate}) became one numpy array and one boolean mask per checkpoint *and per
field*, rebuilt at every step. That cost ~15 µs per sub-env step (about 10 % of a 16 sub-env
rollout's time with live checkpoints, issue 19), and the shape is awkward anyway: sub-envs run
different tasks with different checkpoint ids, so most masks are mostly False.

:func:`keep_whole` makes a vector env keep such values whole instead: ``infos["checkpoints"]`` is
an object array holding each sub-env's own checkpoint dict (``infos["checkpoints"][i][cid]``,
exactly the single env's ``info["checkpoints"]``) beside the usual ``infos["_checkpoints"]``
mask. Every other key is merged by Gymnasium as before. [changed in 0.3]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium.vector import VectorEnv

#: info keys whose value is a dict keyed by the task's own ids, kept whole per sub-env.
WHOLE_KEYS = ("checkpoints",)


def add_info_whole(
    envs: VectorEnv[Any, Any, Any],
    vector_infos: dict[str, Any],
    env_info: dict[str, Any],
    env_num: int,
) -> dict[str, Any]:
    """``VectorEnv._add_info`` with the :data:`WHOLE_KEYS` values stored as they are (one per
    sub-env, in an object array) instead of merged field by field."""
    whole = [key for key in WHOLE_KEYS if key in env_info]
    rest = {k: v for k, v in env_info.items() if k not in whole} if whole else env_info
    vector_infos = VectorEnv._add_info(envs, vector_infos, rest, env_num)
    for key in whole:
        values = vector_infos.get(key)
        if values is None:
            values = vector_infos[key] = np.full(envs.num_envs, None, dtype=object)
            vector_infos[f"_{key}"] = np.zeros(envs.num_envs, dtype=np.bool_)
        values[env_num] = env_info[key]
        vector_infos[f"_{key}"][env_num] = True
    return vector_infos


def keep_whole(envs: VectorEnv[Any, Any, Any]) -> VectorEnv[Any, Any, Any]:
    """Make ``envs`` (sync or async) batch infos with :func:`add_info_whole`; returns ``envs``."""

    def add_info(
        vector_infos: dict[str, Any], env_info: dict[str, Any], env_num: int
    ) -> dict[str, Any]:
        return add_info_whole(envs, vector_infos, env_info, env_num)

    envs._add_info = add_info  # type: ignore[method-assign]
    return envs
