"""Disease modules (YAML) that drive the synthetic cohort generator.

A package only so that the files ship in the wheel and load through ``importlib.resources``.
"""
