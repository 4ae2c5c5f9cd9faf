"""Calculators of this category (see medsim.calculators.base)."""
