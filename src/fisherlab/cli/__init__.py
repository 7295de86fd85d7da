"""The ``fisherlab`` command line, and how the workflow's jobs run its commands."""

from .app import main

__all__ = ["main"]
