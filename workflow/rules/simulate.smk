rule simulate:
    """Draw one chunk of replicates of one condition and fit every estimator."""
    output:
        "results/{study}/chunks/{cond}/n{n}/c{chunk}.parquet",
    log:
        "results/{study}/logs/{cond}/n{n}/c{chunk}.log",
    params:
        spec=PLAN.spec_param,
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab chunk --spec {params.spec:q} --out {output:q} > {log:q} 2>&1"


rule combine:
    """All replicate rows of a study in one table."""
    input:
        PLAN.chunk_files,
    output:
        "results/{study}/estimates.parquet",
    log:
        "results/{study}/logs/combine.log",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab combine --out {output:q} {input:q} > {log:q} 2>&1"
