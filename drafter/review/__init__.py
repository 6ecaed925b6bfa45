"""Reviewers' side: the rubric, AI-vs-final and A/B pairs, word diffs, the dashboard's figures."""
