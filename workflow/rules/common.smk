# Load and validate every selected study, print the cost plan and check its limits,
# before any job is scheduled (fisherlab.workflow.load_plan).
from fisherlab.diagnostics import TABLES as DIAGNOSTICS
# light steps run in this process, heavy ones forked from a preloaded server (run: rules)
from fisherlab.inprocess import chunk, cli, process
from fisherlab.workflow import WILDCARDS, Plan, load_plan

PLAN: Plan = load_plan(config, workflow.basedir, workflow)


wildcard_constraints:
    **WILDCARDS,
