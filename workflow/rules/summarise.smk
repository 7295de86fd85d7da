checkpoint check:
    """status.json: ok, or stopped by the study's max_failure_rate (then only this
    study stops: the rest of the run, and the index, go on); and provenance.json, where
    every chunk came from."""
    input:
        chunks=PLAN.chunk_files,
        parts=PLAN.parts("estimates"),
        stats=PLAN.parts("stats"),
        study=PLAN.study_file,
    output:
        status="results/{study}/status.json",
        provenance="results/{study}/provenance.json",
    log:
        "results/{study}/logs/check.log",
    params:
        folder="results/{study}",
    resources: **ONE_CPU
    run:
        cli(log[0], "check", "--study", input.study, "--dir", params.folder,
            "--out", output.status, "--provenance", output.provenance, *input.chunks)


rule summarise:
    """Performance measures with Monte Carlo standard errors (Morris et al. 2019), from
    the cells' merged statistics; and report.md, the same as readable tables."""
    input:
        parts=PLAN.parts("estimates"),
        stats=PLAN.parts("stats"),
        study=PLAN.study_file,
        precision=ROUNDS.precision_file,  # issue 13: report.md shows it
    output:
        summary="results/{study}/summary.csv",
        md="results/{study}/report.md",
    log:
        "results/{study}/logs/summarise.log",
    params:
        folder="results/{study}",
    resources: **ONE_CPU
    run:
        cli(log[0], "summarise", "--study", input.study, "--dir", params.folder,
            "--out", output.summary, "--md", output.md)