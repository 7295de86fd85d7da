"""The ``fisherlab`` command line, and how the workflow's jobs run its commands."""

from .main import main

__all__ = ["main"]
