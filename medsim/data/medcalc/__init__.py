"""MedCalc-Bench v1.0 test data (CC-BY-SA 4.0) and medsim's documented label disagreements."""
