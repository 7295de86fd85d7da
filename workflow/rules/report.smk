rule report_html:
    """Every diagnostic table (fisherlab.diagnostics.REGISTRY), one CSV each, then one
    self-contained page per study: definition, summary, a section per diagnostic."""
    input:
        parts=PLAN.parts("estimates"),
        stats=PLAN.parts("stats"),
        summary="results/{study}/summary.csv",
        study=PLAN.study_file,
        precision=ROUNDS.precision_file,  # issue 13: none for a fixed-R study
    output:
        tables=[
            report(
                f"results/{{study}}/{name}.csv",
                caption=f"../report/{name}.rst",
                category="{study}",
                subcategory="tables",
            )
            for name in DIAGNOSTICS
        ],
        html=report("results/{study}/report.html", caption="../report/report_html.rst",
                    category="{study}"),
        figures=report(directory("results/{study}/figures"), patterns=["{name}.png"],
                       caption="../report/figure.rst", category="{study}",
                       subcategory="figures", labels={"study": "{study}", "figure": "{name}"}),
        verdict="results/{study}/verdict.json",
    params:
        folder=subpath(input.summary, parent=True),
    log:
        "results/{study}/logs/report_html.log",
    resources: **ONE_CPU
    run:
        # seconds of diagnostics and drawing: a process of its own, forked from a
        # server that imported matplotlib and ArviZ once (fisherlab.inprocess.process)
        process(log[0], "html", "--study", input.study, "--dir", params.folder,
                "--tables", params.folder, "--out", output.html,
                "--figures", output.figures, "--verdict", output.verdict)


rule index_html:
    """results/index.html: every study with results on disk (this run's and earlier
    runs'), with its verdict, or marked stopped; when each was run."""
    input:
        PLAN.targets("status.json"),
        # one input function per study (unnamed: a named input cannot hold functions)
        PLAN.finished(checkpoints, "verdict.json", "report.html"),
    output:
        report("results/index.html", caption="../report/index.rst", category="index"),
    log:
        "results/logs/index_html.log",
    resources: **ONE_CPU
    run:
        cli(log[0], "index", "--results", "results", "--out", output[0])
