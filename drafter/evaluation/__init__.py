"""Offline evaluation: question sets, measures, reports, retrieval evaluation."""
