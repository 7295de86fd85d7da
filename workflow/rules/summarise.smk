checkpoint check:
    """status.json: ok, or stopped by the study's max_failure_rate (then only this
    study stops: the rest of the run, and the index, go on)."""
    input:
        estimates="results/{study}/estimates.parquet",
        study=PLAN.study_file,
    output:
        "results/{study}/status.json",
    log:
        "results/{study}/logs/check.log",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab check --study {input.study:q} --estimates {input.estimates:q} "
        "--out {output:q} > {log:q} 2>&1"


rule summarise:
    """Performance measures with Monte Carlo standard errors (Morris et al. 2019)."""
    input:
        estimates="results/{study}/estimates.parquet",
        study=PLAN.study_file,
    output:
        "results/{study}/summary.csv",
    log:
        "results/{study}/logs/summarise.log",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab summarise {input.estimates:q} --study {input.study:q} --out {output:q} "
        "> {log:q} 2>&1"
