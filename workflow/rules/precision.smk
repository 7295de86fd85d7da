# Issue 13: a study whose replications are target MCSEs runs in rounds. Round k's
# checkpoint reads the statistics of every chunk of rounds 0..k and writes
# rounds/r<k>.json: each target's MCSE, and the next round's replications per
# condition × n (fisherlab.precision). The chunks of round k+1 are then known, and
# gather waits for the first record that says done (fisherlab.rounds.Rounds).
from fisherlab.rounds import Rounds

ROUNDS = Rounds(PLAN, checkpoints)


checkpoint rounds:
    """One round of a study with target MCSEs: its targets, and the next round."""
    input:
        ROUNDS.stats,
        study=PLAN.study_file,
    output:
        "results/{study}/rounds/r{k}.json",
    wildcard_constraints:
        k=r"\d+",
    params:
        folder=subpath(output[0], ancestor=2),
        size=PLAN.chunk_size,
    log:
        "results/{study}/logs/rounds/r{k}.log",
    resources: **ONE_CPU
    run:
        cli(log[0], "round", "--study", input.study, "--dir", params.folder,
            "--round", wildcards.k, "--chunk-size", params.size, "--out", output[0])


rule precision:
    """precision.csv: per condition × n and target, the MCSE reached, the replications
    used and whether the target was met (or max reached), from the last round's record."""
    input:
        last=ROUNDS.final_file,
        study=PLAN.study_file,
    output:
        "results/{study}/precision.csv",
    params:
        folder=subpath(output[0], parent=True),
    log:
        "results/{study}/logs/precision.log",
    resources: **ONE_CPU
    run:
        cli(log[0], "precision", "--study", input.study, "--dir", params.folder,
            "--out", output[0])