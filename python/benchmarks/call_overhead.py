"""Call overhead of simdpar vs numpy on tiny arrays (a benchmark, not a test).

For each pair (simdpar call, numpy's equivalent ufunc call) on a 16-element
float32 array (and, for broadcasting throughput, on a 4096 x 128 float32
matrix against a row, a column and a scalar), runs ROUNDS interleaved rounds; each round times LOOPS calls
of each in a fresh shuffled order (``simdpar.timing``), and reports
the median per-call time of each and the median of the per-round ratios.

    .venv/bin/python python/benchmarks/call_overhead.py [--rounds 41] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

import simdpar
from simdpar.timing import interleaved, median, paired_ratio


def pairs(n: int):
    """(name, simdpar thunk, numpy thunk) for arrays of n float32 elements."""
    rng = np.random.default_rng(0)
    a = rng.standard_normal(n).astype(np.float32)
    b = rng.standard_normal(n).astype(np.float32)
    out = np.empty_like(a)
    m = rng.standard_normal((4, n // 4)).astype(np.float32)
    return [
        ("add(a, b)", lambda: simdpar.add(a, b), lambda: np.add(a, b)),
        ("add(a, b, out=out)", lambda: simdpar.add(a, b, out=out), lambda: np.add(a, b, out=out)),
        ("add(a, 1.0) (broadcast scalar)", lambda: simdpar.add(a, 1.0), lambda: np.add(a, 1.0)),
        ("multiply(a, 1.5) (broadcast scalar)", lambda: simdpar.multiply(a, 1.5), lambda: np.multiply(a, 1.5)),
        ("multiply(a, b)", lambda: simdpar.multiply(a, b), lambda: np.multiply(a, b)),
        ("square(a)", lambda: simdpar.square(a), lambda: np.square(a)),
        ("scale(a, 2.5)", lambda: simdpar.scale(a, 2.5), lambda: np.multiply(a, 2.5)),
        ("sum(a) vs np.add.reduce", lambda: simdpar.sum(a), lambda: np.add.reduce(a)),
        ("sum(a) vs np.sum", lambda: simdpar.sum(a), lambda: np.sum(a)),
        ("row_sums(m) vs m.sum(axis=1)", lambda: simdpar.row_sums(m), lambda: m.sum(axis=1)),
    ]


def broadcast_pairs(rows: int, cols: int):
    """(name, simdpar thunk, numpy thunk) for broadcast calls on a rows x cols
    float32 matrix: throughput, not call overhead."""
    rng = np.random.default_rng(1)
    m = rng.standard_normal((rows, cols)).astype(np.float32)
    row = rng.standard_normal(cols).astype(np.float32)
    col = rng.standard_normal((rows, 1)).astype(np.float32)
    shape = f"{rows}x{cols}"
    return [
        (f"add(m, row) {shape}", lambda: simdpar.add(m, row), lambda: np.add(m, row)),
        (f"multiply(m, row) {shape}", lambda: simdpar.multiply(m, row), lambda: np.multiply(m, row)),
        (f"add(m, col) {shape}", lambda: simdpar.add(m, col), lambda: np.add(m, col)),
        (f"multiply(m, col) {shape}", lambda: simdpar.multiply(m, col), lambda: np.multiply(m, col)),
        (f"add(m, 1.0) {shape}", lambda: simdpar.add(m, 1.0), lambda: np.add(m, 1.0)),
    ]


def measure(f_s, f_n, rounds: int, loops: int):
    """Per-call seconds (median) of both and the median per-round ratio."""
    s, _ = interleaved([("simdpar", f_s), ("numpy", f_n)], rounds, inner=loops)
    return median(s["simdpar"]), median(s["numpy"]), paired_ratio(s["simdpar"], s["numpy"])


def main(argv=None) -> int:
    """Runs the comparison and prints a table (and JSON with --json)."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=16)
    ap.add_argument("--rounds", type=int, default=41)
    ap.add_argument("--loops", type=int, default=20000)
    ap.add_argument("--matrix", default="4096x128", help="rows x cols of the broadcast rows")
    ap.add_argument("--matrix-loops", type=int, default=50)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    print(f"simdpar {simdpar.__version__}, numpy {np.__version__}, python {sys.version.split()[0]}, "
          f"ISA {simdpar.active_isa()}, float32 x {args.size}, {args.rounds} interleaved rounds x {args.loops} calls")
    rows = []
    r, c = (int(v) for v in args.matrix.lower().split("x"))
    groups = [(pairs(args.size), args.loops, 2000), (broadcast_pairs(r, c), args.matrix_loops, 20)]
    for group, loops, warm in groups:
        for name, fs, fn in group:
            for _ in range(warm):  # warm up
                fs()
                fn()
            s, n, ratio = measure(fs, fn, args.rounds, loops)
            rows.append({"call": name, "simdpar_ns": s * 1e9, "numpy_ns": n * 1e9, "ratio": ratio})
            print(f"  {name:36s} simdpar {s*1e9:10.1f} ns   numpy {n*1e9:10.1f} ns   ratio {ratio:5.2f}x")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"size": args.size, "isa": simdpar.active_isa(), "rows": rows}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
