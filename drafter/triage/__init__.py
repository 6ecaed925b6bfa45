"""Red flags in the patient's text, found before retrieval or any model runs."""
