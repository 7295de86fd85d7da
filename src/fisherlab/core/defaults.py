"""Defaults that hold across a run: the one place each is set.

The config loader (:func:`fisherlab.spec.study.load_config`) fills them in for keys a
config leaves out (the config schema declares no defaults of its own), and
``fisherlab run`` uses the same values.
"""

from __future__ import annotations

#: where study names are looked up
STUDIES_DIR = "studies"
#: replications per job: "auto" (from the measured costs) or a multiple of the seed block
CHUNK_SIZE = "auto"
#: studies with at most this many estimate rows also get the single file
#: estimates.parquet (a larger study is read through its partitioned dataset)
SINGLE_FILE_ROWS = 5_000_000
#: the level of every interval when a study gives none
LEVEL = 0.95
