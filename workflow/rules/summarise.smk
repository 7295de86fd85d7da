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
