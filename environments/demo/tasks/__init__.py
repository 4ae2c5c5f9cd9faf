"""Demo-v0 task files (YAML). A package only so that the wheel ships them as package data."""
