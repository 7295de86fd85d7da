rule report_md:
    """The summary as readable tables."""
    input:
        summary="results/{study}/summary.csv",
        study=PLAN.study_file,
    output:
        "results/{study}/report.md",
    log:
        "results/{study}/logs/report_md.log",
    shell:
        "fisherlab report --study {input.study:q} --summary {input.summary:q} "
        "--out {output:q} > {log:q} 2>&1"
