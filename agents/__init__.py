"""Baseline agents (installed as ``medsim.agents``): the scripted oracle, a random agent, and
LLM agents for each client kind. Import the submodule you need, e.g.
``from medsim.agents.oracle import OracleAgent``."""
