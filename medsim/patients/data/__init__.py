"""Data files of medsim.patients (synonyms, body systems, lay terms, personas, biases, prompts)."""
