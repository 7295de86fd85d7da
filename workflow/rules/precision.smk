# A study whose replications are target MCSEs runs in rounds. Round k's checkpoint
# reads the statistics of every chunk of rounds 0..k and writes rounds/r<k>.json: each
# target's MCSE, and the next round's replications per condition × n
# (fisherlab.pipeline.rounds). The chunks of round k+1 are then known, and gather waits
# for the first record that says done (fisherlab.pipeline.workflow.Rounds).
from fisherlab.pipeline.workflow import Rounds

ROUNDS = Rounds(FLOW, checkpoints)


checkpoint rounds:
    """One round of a study with target MCSEs: its targets, and the next round."""
    input:
        ROUNDS.stats,
        study=FLOW.study_file,
    output:
        STUDY.round("{k}"),
    wildcard_constraints:
        k=r"\d+",
    params:
        folder=subpath(output[0], ancestor=2),
        size=FLOW.chunk_size,
    log:
        STUDY.log("rounds/r{k}"),
    resources: **ONE_CPU
    run:
        cli(log[0], "round", "--study", input.study, "--dir", params.folder,
            "--round", wildcards.k, "--chunk-size", params.size, "--out", output[0])


rule precision:
    """precision.csv: per condition × n and target, the MCSE reached, the replications
    used and whether the target was met (or max reached), from the last round's record."""
    input:
        last=ROUNDS.final_file,
        study=FLOW.study_file,
    output:
        STUDY.precision,
    params:
        folder=subpath(output[0], parent=True),
    log:
        STUDY.log("precision"),
    resources: **ONE_CPU
    run:
        cli(log[0], "precision", "--study", input.study, "--dir", params.folder,
            "--out", output[0])
