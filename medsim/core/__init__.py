"""The environment core: ``ClinicalEnv``, suites, action parsing, text spaces and rollouts.

Import from the submodules (``medsim.core.env``, ``medsim.core.spaces`` ...); this package
stays empty so importing one part does not load the others.
"""
