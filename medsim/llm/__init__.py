"""medsim's LLM layer: one small chat-client protocol, its backends, and what they share.

It knows no medicine. Backends: OpenAIClient (openai SDK, any OpenAI-compatible base_url),
LangChainClient (any LangChain chat model), TransformersClient (local models), FakeClient and
ReplayClient (tests, offline runs). Retries, timeouts, caching and cost accounting live in
BaseChatClient. Vendor packages are imported only when their client is built.
"""

from medsim.llm.base import BaseChatClient, RetryPolicy
from medsim.llm.cache import KVCache, hash_key, request_key
from medsim.llm.errors import Attempt, LLMError, ReplayMissError, TransientLLMError
from medsim.llm.fake import FakeClient
from medsim.llm.langchain_client import LangChainClient, chat_openai_client
from medsim.llm.openai_client import OpenAIClient
from medsim.llm.pricing import Price, PriceTable, default_prices
from medsim.llm.replay import ReplayClient
from medsim.llm.spec import make_client
from medsim.llm.transformers_client import TransformersClient
from medsim.llm.types import ChatClient, ChatResponse, Message, Tool, Usage

__all__ = [
    "Attempt",
    "BaseChatClient",
    "ChatClient",
    "ChatResponse",
    "FakeClient",
    "KVCache",
    "LLMError",
    "LangChainClient",
    "Message",
    "OpenAIClient",
    "Price",
    "PriceTable",
    "ReplayClient",
    "ReplayMissError",
    "RetryPolicy",
    "Tool",
    "TransformersClient",
    "TransientLLMError",
    "Usage",
    "chat_openai_client",
    "default_prices",
    "hash_key",
    "make_client",
    "request_key",
]
