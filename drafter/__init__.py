"""Drafter: grounded reply drafts for an ask-a-doctor site; a doctor approves every word."""

__version__ = "0.1.0"
