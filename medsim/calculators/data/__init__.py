"""Point tables of the rule-based calculators (one JSON file per calculator id; see rules.py)."""
