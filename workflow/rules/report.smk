rule report_html:
    """Every diagnostic table (fisherlab.diagnostics.REGISTRY), one CSV each; the
    verdicts of every rule and the claims (fisherlab.verdicts); report.md; then one
    self-contained page per study: definition, claims, summary, a section per diagnostic."""
    input:
        parts=FLOW.parts("estimates"),
        stats=FLOW.parts("stats"),
        summary=STUDY.summary,
        study=FLOW.study_file,
        precision=ROUNDS.precision_file,  # none for a fixed-R study
        measures=FLOW.measures_file,  # none for a study without measures:
        paired=FLOW.paired_file,  # none for a study without compare:
    output:
        tables=[
            report(STUDY.table(name), caption="../report/table.rst", category="{study}",
                   subcategory="tables", labels={"study": "{study}", "table": name})
            for name in (*DIAGNOSTICS, VERDICTS, CLAIMS)
        ],
        md=STUDY.report_md,
        html=report(STUDY.report_html, caption="../report/report_html.rst",
                    category="{study}"),
        figures=report(directory(STUDY.figures), patterns=["{name}.png"],
                       caption="../report/figure.rst", category="{study}",
                       subcategory="figures", labels={"study": "{study}", "figure": "{name}"}),
        verdict=STUDY.verdict,
    params:
        folder=subpath(input.summary, parent=True),
    log:
        STUDY.log("report_html"),
    resources: **ONE_CPU
    run:
        # seconds of diagnostics and drawing: a process of its own, forked from a
        # server that imported matplotlib and ArviZ once (fisherlab.cli.inprocess.process)
        process(log[0], "html", "--study", input.study, "--dir", params.folder,
                "--diagnose", "--md", output.md, "--out", output.html,
                "--figures", output.figures, "--verdict", output.verdict)


rule index_html:
    """results/index.html: every study with results on disk (this run's and earlier
    runs'), with its verdict, or marked stopped; when each was run."""
    input:
        FLOW.targets("status"),
        # one input function per study (unnamed: a named input cannot hold functions)
        FLOW.finished(checkpoints, "verdict", "report_html"),
    output:
        report(f"{RESULTS}/{INDEX}", caption="../report/index.rst", category="index"),
    log:
        f"{RESULTS}/logs/index_html.log",
    resources: **ONE_CPU
    run:
        cli(log[0], "index", "--results", RESULTS, "--out", output[0])
