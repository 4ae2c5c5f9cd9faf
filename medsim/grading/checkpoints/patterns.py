"""Regular expressions in grader parameters, checked when a task loads.

``re.compile`` raises ``re.error``, which is not a ``ValueError``, so pydantic would let it escape
as a raw traceback instead of naming the task, checkpoint and field; :data:`Regex` turns it into
a validation error.
"""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator


def compiles(pattern: str) -> str:
    """``pattern`` unchanged if it compiles; a ValueError naming the problem otherwise."""
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"{pattern!r} is not a valid regular expression: {exc}") from None
    return pattern


#: A parameter holding a regular expression (validated at load).
Regex = Annotated[str, AfterValidator(compiles)]
