"""TextProtocolAgent: MedAgentBench's GET/POST/FINISH protocol over any chat model.

The model gets no tool schemas; a system message explains the protocol (MedAgentBench, Jiang et
al. 2025: one ``GET url``, ``POST url`` + JSON body, or ``FINISH([answers])`` per turn) and the
model's text reply is the action, parsed by the env. Suites whose first observation already
explains the protocol (MedAgentBench-v0) can pass ``system_prompt=None``.
"""

from __future__ import annotations

from typing import Any

from medsim.agents.chat import ChatAgent
from medsim.llm.types import ChatClient, ChatResponse

PROTOCOL_PROMPT = """You act in a FHIR R4 electronic health record by writing exactly one of \
these per turn, and nothing else:
1. GET url?param_name1=param_value1&param_name2=param_value2
   e.g. GET {base}Observation?patient=pat-0001&code=http://loinc.org|2823-3&_sort=-date&_count=1
2. POST url
   followed on the next lines by the JSON resource to create.
3. FINISH([answer1, answer2, ...])
   when the task is done; the list holds the answers the task asks for (JSON values).
The base URL is {base}. The server replies with JSON (a Bundle, a resource or an \
OperationOutcome)."""


class TextProtocolAgent(ChatAgent):
    """``TextProtocolAgent(client)``: the reply text (code fences allowed) is the action."""

    def __init__(
        self,
        client: ChatClient,
        *,
        base_url: str = "http://localhost:8080/fhir/",
        system_prompt: str | None = "default",
        **kwargs: Any,
    ) -> None:
        prompt = (
            PROTOCOL_PROMPT.format(base=base_url) if system_prompt == "default" else system_prompt
        )
        kwargs.setdefault("name", f"text:{client.model}")
        super().__init__(client, system_prompt=prompt, use_tools=False, **kwargs)

    def to_action(self, response: ChatResponse) -> Any:
        self.last_response = response
        return response.content.strip()
