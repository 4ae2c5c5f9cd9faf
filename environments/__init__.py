"""Benchmark suites (installed as ``medsim.environments``): one folder per suite with its task
files and the module that defines its ``Suite``. ``medsim.registry`` points at them by name."""
