"""Compare the estimates of two results folders, study by study.

    python scripts/compare_results.py BEFORE AFTER [STUDY ...] [--rtol 1e-6]

For every study present in both folders (or those named), each estimates file
(``<study>/estimates/cond=*/n*.parquet``, else ``<study>/estimates.parquet``) is
byte-identical, has identical values (``pyarrow.Table.equals``: same schema, rows and
numbers, different file bytes), or differs: then the largest relative difference
|a/b - 1| of each numeric column (the absolute one where b = 0) and the number of
differing values of every other column are printed, over all the study's files. A
study passes when every numeric column is within ``--rtol`` and no other column
differs, except the columns named by ``--ignore`` (e.g. ``iterations``, ``reason``). ``--atol``
also accepts an absolute difference up to that size (a confidence limit near 0 has a
large relative difference from a tiny absolute one). The exit status is 1 when any
study fails.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq


def estimate_files(study_dir: Path) -> list[Path]:
    files = sorted(study_dir.glob("estimates/cond=*/n*.parquet"))
    if not files and (study_dir / "estimates.parquet").exists():
        files = [study_dir / "estimates.parquet"]
    return [f.relative_to(study_dir) for f in files]


def column_differences(a: pa.Table, b: pa.Table,
                       atol: float = 0.0) -> dict[str, tuple[str, float]]:
    """Per differing column: ("rel", max relative difference, over the values that
    differ by more than ``atol``) for numbers, ("count", how many values differ) for
    the rest; NaN = NaN and null = null count as equal."""
    out: dict[str, tuple[str, float]] = {}
    for name in sorted(set(a.column_names) | set(b.column_names)):
        if name not in a.column_names or name not in b.column_names:
            out[name] = ("missing", float("nan"))
            continue
        ca, cb = a.column(name), b.column(name)
        if ca.equals(cb):
            continue
        if pa.types.is_floating(ca.type) or pa.types.is_integer(ca.type):
            x = ca.to_numpy(zero_copy_only=False).astype(float)
            y = cb.to_numpy(zero_copy_only=False).astype(float)
            with np.errstate(invalid="ignore"):
                same = (x == y) | (np.isnan(x) & np.isnan(y)) | (np.abs(x - y) <= atol)
            with np.errstate(all="ignore"):
                d = np.where(y != 0, np.abs(x / y - 1.0), np.abs(x - y))
            d = np.where(same, 0.0, np.where(np.isnan(d), np.inf, d))
            out[name] = ("rel", float(d.max()) if d.size else 0.0)
        else:
            x, y = ca.to_pylist(), cb.to_pylist()
            out[name] = ("count", float(sum(u != v for u, v in zip(x, y, strict=True))))
    return out


def compare_study(before: Path, after: Path,
                  atol: float = 0.0) -> tuple[str, dict[str, tuple[str, float]]]:
    """("byte-identical" | "identical values" | "differs" | "missing: ...", worst
    difference per column over the study's estimates files)."""
    fa, fb = estimate_files(before), estimate_files(after)
    if not fa or fa != fb:
        return f"missing: files {sorted(set(fa) ^ set(fb)) or 'none'}", {}
    status, worst = "byte-identical", {}
    for rel in fa:
        pa_, pb = before / rel, after / rel
        if pa_.read_bytes() == pb.read_bytes():
            continue
        ta, tb = pq.read_table(pa_), pq.read_table(pb)
        if ta.num_rows != tb.num_rows:
            return f"differs: {rel} has {tb.num_rows} rows, not {ta.num_rows}", {}
        if ta.equals(tb):
            status = "identical values" if status == "byte-identical" else status
            continue
        status = "differs"
        for col, (kind, v) in column_differences(ta, tb, atol).items():
            if kind == "count":
                worst[col] = (kind, worst.get(col, (kind, 0.0))[1] + v)
            else:
                worst[col] = (kind, max(worst.get(col, (kind, 0.0))[1], v))
    return status, worst


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("before", type=Path)
    ap.add_argument("after", type=Path)
    ap.add_argument("studies", nargs="*", help="studies to compare (default: all in both)")
    ap.add_argument("--rtol", type=float, default=1e-6)
    ap.add_argument("--atol", type=float, default=0.0)
    ap.add_argument("--ignore", nargs="*", default=[],
                    help="columns whose differences do not fail a study")
    args = ap.parse_args(argv)
    names = args.studies or sorted(
        d.name for d in args.after.iterdir()
        if d.is_dir() and (args.before / d.name).is_dir() and estimate_files(d))
    failed = False
    for name in names:
        status, worst = compare_study(args.before / name, args.after / name, args.atol)
        bad = status.startswith(("missing", "differs:")) or any(
            col not in args.ignore and (kind != "rel" or v > args.rtol)
            for col, (kind, v) in worst.items())
        failed |= bad
        print(f"{name}: {status}{'  FAIL' if bad else ''}")
        for col, (kind, v) in worst.items():
            what = (f"max rel diff {v:.3g}" if kind == "rel" else
                    f"{int(v)} values differ" if kind == "count" else "column missing")
            print(f"    {col:14s} {what}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
