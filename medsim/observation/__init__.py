"""What the agent reads: views of tool results (raw FHIR JSON or compact text), page-aware
cuts to an output limit, and token counting with a real tokenizer or the estimate."""

from medsim.observation.compact import render_json
from medsim.observation.tokens import TokenCounter, approx_tokens, token_counter
from medsim.observation.view import MODES, ObservationMode, ObservationView

__all__ = [
    "MODES",
    "ObservationMode",
    "ObservationView",
    "TokenCounter",
    "approx_tokens",
    "render_json",
    "token_counter",
]
