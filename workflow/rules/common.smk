# Load and validate every selected study, print the cost plan and check its limits,
# before any job is scheduled (fisherlab.pipeline.workflow.load_workflow).
from fisherlab.core.layout import CHUNK_PATH, INDEX, RESULTS, stats_path
from fisherlab.diagnostics import TABLES as DIAGNOSTICS
from fisherlab.verdicts import CLAIMS, TABLE as VERDICTS
# light steps run in this process, heavy ones forked from a preloaded server (run: rules)
from fisherlab.cli.inprocess import chunk, cli, process
from fisherlab.plan.cost import machine_cpus
from fisherlab.pipeline.workflow import STUDY, WILDCARDS, Workflow, load_workflow

FLOW: Workflow = load_workflow(config, workflow.basedir, workflow)

# Every job computes on one CPU (forked or in Snakemake's process): each declares the
# resource local_cpus=1, and at most one per CPU of this machine runs at once, whatever
# --cores says. --cores 8 on the 2-CPU machine ran 8 jobs at once: 190 s and 368
# CPU-s, against 155 s and 297 CPU-s with --cores 2 (processes evicting each other's
# caches, threads of Snakemake's process contending for its interpreter). On a cluster
# the executor places the jobs; --resources local_cpus=N overrides.
if workflow.local_exec and "local_cpus" not in workflow.global_resources:
    workflow.register_resource("local_cpus", machine_cpus())
# what every rule declares (resources: **ONE_CPU)
ONE_CPU = {"local_cpus": 1}


wildcard_constraints:
    **WILDCARDS,
