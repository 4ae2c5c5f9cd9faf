"""Baseline agents (installed as ``medsim.agents``): one protocol ``act(observation, info) ->
action`` with the async twin ``aact`` (:mod:`medsim.agents.base`), the reference and random
agents, and LLM agents for every client kind (OpenAI, LangChain, local transformers, the
MedAgentBench text protocol). ``make_agent(spec, env)`` builds one from a spec string. Import the
submodule you need, e.g. ``from medsim.agents.openai_agent import OpenAIAgent``."""
