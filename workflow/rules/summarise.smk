checkpoint check:
    """status.json: ok, or stopped by the study's max_failure_rate (then only this
    study stops: the rest of the run, and the index, go on)."""
    input:
        parts=PLAN.parts("estimates"),
        stats=PLAN.parts("stats"),
        study=PLAN.study_file,
    output:
        "results/{study}/status.json",
    log:
        "results/{study}/logs/check.log",
    params:
        folder="results/{study}",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab check --study {input.study:q} --dir {params.folder:q} "
        "--out {output:q} > {log:q} 2>&1"


rule summarise:
    """Performance measures with Monte Carlo standard errors (Morris et al. 2019), from
    the cells' merged statistics."""
    input:
        parts=PLAN.parts("estimates"),
        stats=PLAN.parts("stats"),
        study=PLAN.study_file,
    output:
        "results/{study}/summary.csv",
    log:
        "results/{study}/logs/summarise.log",
    params:
        folder="results/{study}",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab summarise --study {input.study:q} --dir {params.folder:q} --out {output:q} "
        "> {log:q} 2>&1"
