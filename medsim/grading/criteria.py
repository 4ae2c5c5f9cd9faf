"""The rubric's data model: criteria as task files write them (HealthBench semantics).

Kept apart from the scoring and judging code in :mod:`medsim.grading.rubric` so that the task
schema (``medsim.tasks.schema``) can validate rubrics without importing judges, LLM clients or
numpy: dependencies point toward the foundations.
"""

from __future__ import annotations

import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from medsim.grading import rubric_rules

__all__ = ["RubricCriterion", "Verifier"]


class Verifier(BaseModel):
    """A rule that decides a criterion without an LLM; params are checked per kind."""

    model_config = ConfigDict(extra="forbid")
    kind: Literal["regex", "number", "code"]
    params: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _check(self) -> Verifier:
        rubric_rules.check_params(self.kind, self.params)
        return self


class RubricCriterion(BaseModel):
    """One criterion: `points` > 0 rewards a desirable behaviour, < 0 penalises an undesirable
    one; `tags` such as "axis:accuracy" give per-tag scores."""

    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    criterion: str = Field(min_length=1)
    points: float
    tags: list[str] = Field(default_factory=list)
    verifier: Verifier | None = None

    @field_validator("points")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError(f"points must be a finite number, got {v}")
        return v
