"""Models: references, families, folders, facts, loading, parameter layouts, generation, the HF cache."""
