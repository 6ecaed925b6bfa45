"""Question to checked Draft: sources, prompts, generation, checks, citations, the page."""
