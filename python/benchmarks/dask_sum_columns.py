"""simdpar.dask.sum / row_sums against dask.array.sum on column-chunked
arrays.

Side by side in interleaved rounds (``simdpar.timing``), reporting the
median of each and the median of their per-round ratios. Not a test: a
timing depends on the machine and its load (`uptime` is printed).

    python python/benchmarks/dask_sum_columns.py [rounds]
"""

from __future__ import annotations

import os
import sys

import dask.array as da
import numpy as np

import simdpar
import simdpar.dask as sd
from simdpar.timing import interleaved, median, paired_ratio


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 21
    rng = np.random.default_rng(0)
    cases = [
        ("(4000, 1000) f32 chunks (4000, 10)", (4000, 1000), (4000, 10), np.float32),
        ("(4000, 1000) f64 chunks (4000, 100)", (4000, 1000), (4000, 100), np.float64),
        ("(4000, 1000) f32 chunks (500, 1000)", (4000, 1000), (500, 1000), np.float32),
    ]
    print(f"load: {os.getloadavg()}")
    for label, shape, chunks, dtype in cases:
        x = rng.standard_normal(shape).astype(dtype)
        dx = da.from_array(x, chunks=chunks)
        want = simdpar.sum(x)
        assert np.asarray(sd.sum(dx).compute()).tobytes() == np.asarray(want).tobytes()
        assert sd.row_sums(dx).compute().tobytes() == simdpar.row_sums(x).tobytes()
        calls = {
            "simdpar.dask.sum": lambda: sd.sum(dx).compute(),
            "dask.array.sum": lambda: dx.sum().compute(),
            "simdpar.dask.row_sums": lambda: sd.row_sums(dx).compute(),
            "dask.array.sum(axis=1)": lambda: dx.sum(axis=1).compute(),
        }
        times, _ = interleaved(list(calls.items()), rounds)
        med = {k: median(v) for k, v in times.items()}
        for ours, theirs in (("simdpar.dask.sum", "dask.array.sum"),
                             ("simdpar.dask.row_sums", "dask.array.sum(axis=1)")):
            print(
                f"{label}: {ours} {med[ours] * 1e3:.1f} ms, {theirs} {med[theirs] * 1e3:.1f} ms, "
                f"ratio {paired_ratio(times[ours], times[theirs]):.2f}x"
            )
    print(f"load: {os.getloadavg()}")


if __name__ == "__main__":
    main()
