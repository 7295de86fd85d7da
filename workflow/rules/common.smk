# Load and validate every selected study, print the cost plan and check its limits,
# before any job is scheduled (fisherlab.workflow.load_plan).
from fisherlab.diagnostics import TABLES as DIAGNOSTICS
from fisherlab.inprocess import chunk, cli  # light steps run in this process (run: rules)
from fisherlab.workflow import WILDCARDS, Plan, load_plan

PLAN: Plan = load_plan(config, workflow.basedir, workflow)


wildcard_constraints:
    **WILDCARDS,
