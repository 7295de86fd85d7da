rule simulate:
    """Draw one replicate range of one cell (chunk n<n>.c<k>), or of a cheap condition
    at every sample size (chunk c<k>), fit every estimator, and keep the per-block
    statistics beside the rows."""
    output:
        rows="results/{study}/chunks/{cond}/{chunk}.parquet",
        stats="results/{study}/chunks/{cond}/{chunk}.stats.parquet",
    log:
        "results/{study}/logs/{cond}/{chunk}.log",
    params:
        study=PLAN.study_file,
        spec=PLAN.spec_hash,
        size=PLAN.size,
        here=PLAN.in_process,
    resources: **ONE_CPU
    priority: PLAN.priority  # costly chunk jobs before report pages
    run:
        # a cheap job (no compiled model, a few seconds of work) runs in this process,
        # any other in a process of its own (fisherlab.inprocess.chunk)
        chunk(log[0], params.here, "--study", params.study,
              "--chunk", f"{wildcards.cond}/{wildcards.chunk}", "--chunk-size", params.size,
              "--spec-sha256", params.spec, "--out", output.rows)


rule gather:
    """One condition's rows (a file per n, cell by cell) and its cells' merged
    statistics; corrupt or stale chunks are named and removed (the next run regenerates
    them)."""
    input:
        chunks=PLAN.condition_chunks,
        study=PLAN.study_file,
    output:
        rows=directory("results/{study}/estimates/cond={cond}"),
        stats=directory("results/{study}/stats/cond={cond}"),
    log:
        "results/{study}/logs/gather/{cond}.log",
    params:
        folder="results/{study}",
        size=PLAN.chunk_size,
    resources: **ONE_CPU
    run:
        cli(log[0], "gather", "--study", input.study, "--cond", wildcards.cond,
            "--dir", params.folder, "--chunk-size", params.size, *input.chunks)


rule export:
    """Every row in one file, for studies small enough (config: single_file_rows)."""
    input:
        parts=PLAN.parts("estimates"),
        stats=PLAN.parts("stats"),
        study=PLAN.study_file,
    output:
        "results/{study}/estimates.parquet",
    log:
        "results/{study}/logs/export.log",
    params:
        folder="results/{study}",
    resources: **ONE_CPU
    run:
        cli(log[0], "export", "--study", input.study, "--dir", params.folder,
            "--out", output[0])