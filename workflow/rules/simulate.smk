rule simulate:
    """Draw one replicate range of one cell (chunk n<n>.c<k>), or of a cheap condition
    at every sample size (chunk c<k>), fit every estimator, and keep the per-block
    statistics beside the rows."""
    output:
        rows=CHUNK_PATH,
        stats=stats_path(CHUNK_PATH),
    log:
        STUDY.log("{cond}/{chunk}"),
    params:
        study=FLOW.study_file,
        spec=FLOW.spec_hash,
        size=FLOW.size,
        here=FLOW.in_process,
    resources: **ONE_CPU
    priority: FLOW.priority  # costly chunk jobs before report pages
    run:
        # a cheap job (no compiled model, a few seconds of work) runs in this process,
        # any other in a process of its own (fisherlab.cli.inprocess.chunk)
        chunk(log[0], params.here, "--study", params.study,
              "--chunk", f"{wildcards.cond}/{wildcards.chunk}", "--chunk-size", params.size,
              "--spec-sha256", params.spec, "--out", output.rows)


rule gather:
    """One condition's rows (a file per n, cell by cell) and its cells' merged
    statistics; corrupt or stale chunks are named and removed (the next run regenerates
    them)."""
    input:
        chunks=FLOW.condition_chunks,
        study=FLOW.study_file,
    output:
        rows=directory(STUDY.partition("estimates", "{cond}")),
        stats=directory(STUDY.partition("stats", "{cond}")),
    log:
        STUDY.log("gather/{cond}"),
    params:
        folder=STUDY.folder,
        size=FLOW.chunk_size,
    resources: **ONE_CPU
    run:
        cli(log[0], "gather", "--study", input.study, "--cond", wildcards.cond,
            "--dir", params.folder, "--chunk-size", params.size, *input.chunks)


rule export:
    """Every row in one file, for studies small enough (config: single_file_rows)."""
    input:
        parts=FLOW.parts("estimates"),
        stats=FLOW.parts("stats"),
        study=FLOW.study_file,
    output:
        STUDY.estimates_file,
    log:
        STUDY.log("export"),
    params:
        folder=STUDY.folder,
    resources: **ONE_CPU
    run:
        cli(log[0], "export", "--study", input.study, "--dir", params.folder,
            "--out", output[0])
