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
        chunks=PLAN.chunk_files,
        study=PLAN.study_file,
    output:
        estimates="results/{study}/estimates.parquet",
        provenance="results/{study}/provenance.json",
    log:
        "results/{study}/logs/combine.log",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab combine --out {output.estimates:q} --study {input.study:q} "
        "--provenance {output.provenance:q} {input.chunks:q} > {log:q} 2>&1"
