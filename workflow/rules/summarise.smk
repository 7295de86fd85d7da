rule summarise:
    """Performance measures with Monte Carlo standard errors (Morris et al. 2019)."""
    input:
        "results/{study}/estimates.parquet",
    output:
        "results/{study}/summary.csv",
    log:
        "results/{study}/logs/summarise.log",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab summarise {input:q} --out {output:q} > {log:q} 2>&1"
