"""Training-side helpers: batched rollouts for RL trainers (:mod:`medsim.train.rollouts`),
chat-template token masks (:mod:`medsim.train.tokens`), a tiny locally built tokenizer and model
for offline tests and examples (:mod:`medsim.train.tiny`) and the MCP server
(:mod:`medsim.train.mcp_server`). Import the submodule you need; nothing heavy is imported here.
"""
