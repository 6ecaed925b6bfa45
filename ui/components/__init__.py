"""Widgets and charts the pages share."""
