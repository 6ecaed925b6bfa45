"""Resumable batch jobs: editors' explainer batches and drafter eval's drafting."""
