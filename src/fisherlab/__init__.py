"""fisherlab: config-driven simulation studies of statistical estimators."""

__version__ = "0.1.0"
