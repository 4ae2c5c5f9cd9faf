"""Tests of medsim.calculators."""
