"""fisherlab: config-driven simulation studies of statistical estimators."""

__version__ = "0.1.0"


def open(folder):  # noqa: A001 - fisherlab.open(folder) reads as the verb it is
    """One study's results folder as a :class:`fisherlab.pipeline.results.Results`: its
    study, summary, verdicts, claims, diagnostic tables, and its estimates as a pyarrow
    dataset and a DuckDB relation, each read when first asked for."""
    from .pipeline.results import Results  # start-up: `import fisherlab` stays cheap

    return Results(folder)
