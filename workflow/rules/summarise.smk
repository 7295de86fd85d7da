checkpoint check:
    """status.json: ok, or stopped by the study's max_failure_rate (then only this
    study stops: the rest of the run, and the index, go on); and provenance.json, where
    every chunk came from."""
    input:
        chunks=FLOW.chunk_files,
        parts=FLOW.parts("estimates"),
        stats=FLOW.parts("stats"),
        study=FLOW.study_file,
    output:
        status=STUDY.status,
        provenance=STUDY.provenance,
    log:
        STUDY.log("check"),
    params:
        folder=STUDY.folder,
    resources: **ONE_CPU
    run:
        cli(log[0], "check", "--study", input.study, "--dir", params.folder,
            "--out", output.status, "--provenance", output.provenance, *input.chunks)


rule summarise:
    """Performance measures with Monte Carlo standard errors (Morris et al. 2019), from
    the cells' merged statistics."""
    input:
        parts=FLOW.parts("estimates"),
        stats=FLOW.parts("stats"),
        study=FLOW.study_file,
    output:
        summary=STUDY.summary,
    log:
        STUDY.log("summarise"),
    params:
        folder=STUDY.folder,
    resources: **ONE_CPU
    run:
        cli(log[0], "summarise", "--study", input.study, "--dir", params.folder,
            "--out", output.summary)


rule measures:
    """The study's own measures (measures:) with their MCSEs, a cell at a time from its
    rows; only for a study that lists some (Workflow.measures_file)."""
    input:
        parts=FLOW.parts("estimates"),
        stats=FLOW.parts("stats"),
        summary=STUDY.summary,
        study=FLOW.study_file,
    output:
        measures=STUDY.measures,
    log:
        STUDY.log("measures"),
    params:
        folder=subpath(input.summary, parent=True),
    resources: **ONE_CPU
    run:
        cli(log[0], "measures", "--study", input.study, "--dir", params.folder,
            "--out", output.measures)


rule paired:
    """Every estimator against the study's reference (compare:) on the same datasets,
    a condition × n at a time; only for a study with compare: (Workflow.paired_file)."""
    input:
        parts=FLOW.parts("estimates"),
        stats=FLOW.parts("stats"),
        summary=STUDY.summary,
        study=FLOW.study_file,
    output:
        paired=STUDY.paired,
    log:
        STUDY.log("paired"),
    params:
        folder=subpath(input.summary, parent=True),
    resources: **ONE_CPU
    run:
        cli(log[0], "paired", "--study", input.study, "--dir", params.folder,
            "--out", output.paired)
