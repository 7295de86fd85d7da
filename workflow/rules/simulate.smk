rule simulate:
    """Draw one chunk of replicates of one condition and fit every estimator."""
    output:
        "results/{study}/chunks/{cond}/n{n}/c{chunk}.parquet",
    log:
        "results/{study}/logs/{cond}/n{n}/c{chunk}.log",
    params:
        study=PLAN.study_file,
        spec=PLAN.spec_hash,
        size=PLAN.chunk_size,
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab chunk --study {params.study:q} "
        "--chunk {wildcards.cond}/n{wildcards.n}/c{wildcards.chunk} "
        "--chunk-size {params.size} --spec-sha256 {params.spec} --out {output:q} "
        "> {log:q} 2>&1"


rule combine:
    """All replicate rows of a study in one table; corrupt or stale chunks are named and
    removed (the next run regenerates them)."""
    input:
        chunks=PLAN.chunk_files,
        study=PLAN.study_file,
    output:
        estimates="results/{study}/estimates.parquet",
        provenance="results/{study}/provenance.json",
    params:
        size=PLAN.chunk_size,
    log:
        "results/{study}/logs/combine.log",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab combine --out {output.estimates:q} --study {input.study:q} "
        "--provenance {output.provenance:q} --chunk-size {params.size} {input.chunks:q} "
        "> {log:q} 2>&1"
