"""simdpar's defaults against NumPy and NumKong (a benchmark, not a test).

For each kernel NumKong also has (add, multiply, scale, sum, row sums) and
each size, times simdpar with its defaults (``threads=None``: automatic; no
ISA forced), NumPy's idiom and NumKong's call, every one writing into a
preallocated ``out=`` where the call has one, so nobody is charged an
allocation the others are not. Rounds are interleaved (one sample of each
contender per round in a fresh order, ``simdpar.timing``) and the reported
ratio is the median of the per-round ratios peer time / simdpar time
(above 1: simdpar faster).

    .venv/bin/python python/benchmarks/peers.py [--rounds 15] [--sizes 16K,1M,16M] [--json out.json]

NumKong writes float64 row sums for float32 input, so its ``out=`` is a
float64 ``nk.Tensor`` (4 more bytes per row: under 1% of the traffic at 128
columns). A missing NumKong is said loudly and its column left empty.
"""

from __future__ import annotations

import argparse
import json
import sys

import numpy as np

import simdpar
from simdpar.timing import interleaved, median, paired_ratio

try:
    import numkong as nk
except ImportError as e:  # said loudly in main()
    nk = None
    NK_ERROR = str(e)

SIZES = {"16K": 16 * 1024, "1M": 1 << 20, "16M": 16 << 20, "64M": 64 << 20}


def contenders(kernel: str, dtype, n: int):
    """(name, thunk) per contender for one kernel, dtype and element count."""
    rng = np.random.default_rng(7)
    q = -1.0
    if kernel == "row_sums":
        m = rng.uniform(0.0, 1.0, (n // 128, 128)).astype(dtype)
        o = np.zeros(n // 128, dtype=dtype)
        out = [
            ("simdpar", lambda: simdpar.row_sums(m, out=o)),
            ("numpy", lambda: np.add.reduce(m, axis=1, out=o)),
        ]
        if nk is not None:
            ok = nk.zeros((n // 128,), dtype="float64")
            out.append(("numkong", lambda: nk.sum(m, axis=1, out=ok)))
        return out
    a = rng.uniform(-1.0, 1.0, n).astype(dtype)
    b = rng.uniform(-1.0, 1.0, n).astype(dtype)
    o = np.zeros(n, dtype=dtype)
    if kernel == "sum":
        out = [("simdpar", lambda: simdpar.sum(a)), ("numpy", lambda: a.sum())]
        if nk is not None:
            out.append(("numkong", lambda: nk.sum(a)))
        return out
    if kernel == "scale":
        out = [
            ("simdpar", lambda: simdpar.scale(a, q, out=o)),
            ("numpy", lambda: np.multiply(a, dtype(q), out=o)),
        ]
        if nk is not None:
            out.append(("numkong", lambda: nk.scale(a, alpha=q, out=o)))
        return out
    sp_f, np_f = getattr(simdpar, kernel), getattr(np, kernel)
    out = [("simdpar", lambda: sp_f(a, b, out=o)), ("numpy", lambda: np_f(a, b, out=o))]
    if nk is not None:
        nk_f = getattr(nk, kernel)
        out.append(("numkong", lambda: nk_f(a, b, out=o)))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int, default=15)
    ap.add_argument("--sizes", default="16K,1M,16M", help=f"comma-separated, of {','.join(SIZES)}")
    ap.add_argument("--min-sample", type=float, default=0.003, help="seconds per sample")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    sizes = [s for s in args.sizes.split(",") if s]
    bad = [s for s in sizes if s not in SIZES]
    if bad:
        ap.error(f"unknown size(s) {bad}; known: {list(SIZES)}")
    if nk is None:
        print(f"SKIPPED: NumKong column (numkong is not importable: {NK_ERROR}; "
              "pip install -r tools/requirements.txt)", file=sys.stderr)
    try:
        load = open("/proc/loadavg").read().split()[0]
    except OSError:
        load = "?"
    print(f"load average {load}; simdpar {simdpar.__version__}, numpy {np.__version__}, "
          f"numkong {getattr(nk, '__version__', 'missing')}; ratios: peer time / simdpar time")
    print(f"| kernel | dtype | size | simdpar (defaults) | numpy | numpy/simdpar | numkong | numkong/simdpar |")
    print("|---|---|---|---:|---:|---:|---:|---:|")
    results = []
    for kernel in ["add", "multiply", "scale", "sum", "row_sums"]:
        for dt in [np.float32, np.float64]:
            for label in sizes:
                calls = contenders(kernel, dt, SIZES[label])
                s, _ = interleaved(calls, args.rounds, min_sample=args.min_sample)
                med = {k: median(v) for k, v in s.items()}
                ratio = {k: paired_ratio(v, s["simdpar"]) for k, v in s.items() if k != "simdpar"}
                name = np.dtype(dt).name
                results.append({"kernel": kernel, "dtype": name, "size": label, "median_s": med, "ratio": ratio})

                def us(k):
                    return f"{med[k] * 1e6:.1f} us" if k in med else "–"

                def rx(k):
                    return f"{ratio[k]:.2f}x" if k in ratio else "–"

                print(f"| {kernel} | {name} | {label} | {us('simdpar')} | {us('numpy')} | {rx('numpy')} "
                      f"| {us('numkong')} | {rx('numkong')} |", flush=True)
                del calls
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"loadavg": load, "results": results}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
