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
