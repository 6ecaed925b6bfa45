"""The bottom layer: errors, domain records, the patient question, settings, text helpers;
imports nothing else of ours."""
