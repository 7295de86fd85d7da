rule simulate:
    """Draw one chunk of replicates of one condition, fit every estimator, and keep the
    chunk's per-block statistics beside its rows."""
    output:
        rows="results/{study}/chunks/{cond}/n{n}/c{chunk}.parquet",
        stats="results/{study}/chunks/{cond}/n{n}/c{chunk}.stats.parquet",
    log:
        "results/{study}/logs/{cond}/n{n}/c{chunk}.log",
    params:
        study=PLAN.study_file,
        spec=PLAN.spec_hash,
        size=PLAN.size,
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab chunk --study {params.study:q} "
        "--chunk {wildcards.cond}/n{wildcards.n}/c{wildcards.chunk} "
        "--chunk-size {params.size} --spec-sha256 {params.spec} --out {output.rows:q} "
        "> {log:q} 2>&1"


rule gather:
    """One condition's rows (cell by cell) and its cells' merged statistics; corrupt or
    stale chunks are named and removed (the next run regenerates them)."""
    input:
        chunks=PLAN.condition_chunks,
        study=PLAN.study_file,
    output:
        rows="results/{study}/estimates/cond={cond}/n{n}.parquet",
        stats="results/{study}/stats/cond={cond}/n{n}.parquet",
    log:
        "results/{study}/logs/gather/{cond}/n{n}.log",
    params:
        folder="results/{study}",
        size=PLAN.chunk_size,
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab gather --study {input.study:q} --cond {wildcards.cond} --n {wildcards.n} "
        "--dir {params.folder:q} --chunk-size {params.size} {input.chunks:q} > {log:q} 2>&1"


rule combine:
    """Where every chunk came from: provenance.json."""
    input:
        chunks=PLAN.chunk_files,
        study=PLAN.study_file,
    output:
        provenance="results/{study}/provenance.json",
    log:
        "results/{study}/logs/combine.log",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab combine --study {input.study:q} --provenance {output.provenance:q} "
        "{input.chunks:q} > {log:q} 2>&1"


rule export:
    """Every row in one file, for studies small enough (config: single_file_rows)."""
    input:
        parts=PLAN.parts("estimates"),
        stats=PLAN.parts("stats"),
        study=PLAN.study_file,
    output:
        "results/{study}/estimates.parquet",
    log:
        "results/{study}/logs/export.log",
    params:
        folder="results/{study}",
    conda:
        "../envs/fisherlab.yaml"
    shell:
        "fisherlab export --study {input.study:q} --dir {params.folder:q} --out {output:q} "
        "> {log:q} 2>&1"
