"""Turning summaries and diagnostics into tables and pages people read."""
