# Load and validate every selected study before any job is scheduled.
from fisherlab.diagnostics import TABLES as DIAGNOSTICS
from fisherlab.workflow import WILDCARDS, Plan, load_plan

PLAN: Plan = load_plan(config, workflow.basedir)


wildcard_constraints:
    **WILDCARDS,
