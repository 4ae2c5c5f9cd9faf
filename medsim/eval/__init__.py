"""The evaluation runner behind ``medsim eval``/``report``/``compare``/``export``.

Modules: :mod:`~medsim.eval.db` (results database: SQLite or PostgreSQL through sqlmodel),
:mod:`~medsim.eval.config` (the run's identity), :mod:`~medsim.eval.runner` (concurrent,
resumable episodes), :mod:`~medsim.eval.progress`, :mod:`~medsim.eval.metrics` (pass@k, pass^k,
bootstrap CIs, breakdowns), :mod:`~medsim.eval.compare` (paired tests), :mod:`~medsim.eval.report`
and :mod:`~medsim.eval.html` (report.json and the self-contained HTML page),
:mod:`~medsim.eval.export` (JSONL / Hugging Face datasets for training).
"""
