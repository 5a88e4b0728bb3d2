"""simdpar.dask.sum vs dask.array.sum on one distributed.LocalCluster.

Standalone: ``PYTHONPATH=<simdpar build> python benches/python/dask_sum.py``.
Needs dask[array] and distributed (``pip install ./python[dask]``).

For each worker count (1 and 2 worker processes, one thread each) and each
size (64M and 256M float32 elements, chunks of 4M elements unless told
otherwise), the data are generated on the workers and persisted, then three
contenders run in interleaved rounds (``simdpar.timing``), and the table
shows medians and medians of per-round ratios:

* ``dask``: ``dask.array.sum`` (NumPy per chunk, bits depend on chunking);
* ``plain``: ``simdpar.sum`` per chunk, partial sums added by dask (no
  bitwise guarantee either: the cost of the kernel alone);
* ``simdpar.dask``: ``simdpar.dask.sum`` (accumulator states merged in
  order: the same bits as ``simdpar.sum`` of the whole array).

The load average is printed next to the figures: on a shared machine the
numbers are indicative only.
"""

from __future__ import annotations

import argparse
import os

import numpy as np

try:
    import dask.array as da
    import distributed
except ImportError as e:  # pragma: no cover
    raise SystemExit(f"needs dask[array] and distributed: pip install ./python[dask] ({e})")

import simdpar
import simdpar.dask as sd
from simdpar.timing import interleaved, median, paired_ratio


def _plain_chunk(block, axis=None, keepdims=True, **_):
    return np.full((1,) * block.ndim, simdpar.sum(block, threads=1), dtype=block.dtype)


def _plain_aggregate(parts, axis=None, keepdims=False, **_):
    return np.sum(parts, axis=axis, keepdims=keepdims)


def plain_sum(x):
    """Per-chunk simdpar.sum, partials added by NumPy (no bitwise guarantee)."""
    return da.reduction(x, chunk=_plain_chunk, aggregate=_plain_aggregate, axis=None,
                        dtype=x.dtype, name="plain-simdpar-sum")


def measure(client, n, chunk, repeats):
    x = da.random.default_rng(1).standard_normal(n, chunks=chunk, dtype=np.float32)
    x = client.persist(x)
    distributed.wait(x)
    contenders = {"dask": da.sum, "plain": plain_sum, "simdpar.dask": sd.sum}
    results = {k: client.compute(f(x)).result() for k, f in contenders.items()}
    calls = [(k, lambda f=f: client.compute(f(x)).result()) for k, f in contenders.items()]
    times, _ = interleaved(calls, repeats)
    del x
    return times, results


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="64M,256M", help="element counts (K/M suffixes)")
    ap.add_argument("--chunk", default="4M", help="chunk size in elements")
    ap.add_argument("--workers", default="1,2", help="worker counts")
    ap.add_argument("--repeats", type=int, default=7)
    args = ap.parse_args()

    def parse(v):
        mult = {"K": 1 << 10, "M": 1 << 20}.get(v[-1].upper(), 1)
        return int(v.rstrip("KkMm")) * mult

    sizes = [parse(s) for s in args.sizes.split(",")]
    chunk = parse(args.chunk)
    print(f"load average before: {os.getloadavg()}, isa {simdpar.active_isa()}, "
          f"chunks {chunk} f32 elements, {args.repeats} interleaved repeats, medians")
    print("| workers | elements | dask.array.sum | plain per-chunk simdpar.sum | "
          "simdpar.dask.sum | simdpar.dask / dask | simdpar.dask / plain | load |")
    print("|---|---|---|---|---|---|---|---|")
    for w in (int(v) for v in args.workers.split(",")):
        with distributed.LocalCluster(n_workers=w, threads_per_worker=1, processes=True,
                                      host="127.0.0.1", dashboard_address=None,
                                      memory_limit="6GiB", silence_logs=40) as cluster, \
                distributed.Client(cluster) as client:
            for n in sizes:
                times, res = measure(client, n, chunk, args.repeats)
                med = {k: median(v) for k, v in times.items()}
                load = os.getloadavg()[0]
                print(f"| {w} | {n >> 20}M | {med['dask'] * 1e3:.1f} ms | "
                      f"{med['plain'] * 1e3:.1f} ms | {med['simdpar.dask'] * 1e3:.1f} ms | "
                      f"{paired_ratio(times['simdpar.dask'], times['dask']):.2f} | "
                      f"{paired_ratio(times['simdpar.dask'], times['plain']):.2f} | {load:.1f} |",
                      flush=True)
    print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
