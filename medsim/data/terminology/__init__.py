"""Terminology data files (YAML) for the synthetic cohort: codes, displays, units, templates.

A package only so that the files ship in the wheel and load through ``importlib.resources``.
"""
