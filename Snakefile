# fisherlab: simulation studies of statistical estimators.
#   snakemake --cores 8                                # every study in studies/
#   snakemake --cores 8 --config studies='[coin_flips]' # just those
from snakemake.utils import min_version, validate

min_version("9.0")


configfile: "config/config.yaml"


validate(config, "workflow/schemas/config.schema.yaml")


include: "workflow/rules/common.smk"
include: "workflow/rules/precision.smk"
include: "workflow/rules/simulate.smk"
include: "workflow/rules/summarise.smk"
include: "workflow/rules/report.smk"


rule all:
    input:
        FLOW.targets("provenance", "status"),
        FLOW.single_files(),
        # a study stopped by max_failure_rate has no summary or page (Workflow.finished)
        FLOW.finished(checkpoints, "summary", "report_md", "consistency",
                      "normality", "coverage", "report_html"),
        f"{RESULTS}/{INDEX}",
    default_target: True


onsuccess:
    FLOW.announce_stopped()
