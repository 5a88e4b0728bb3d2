#!/usr/bin/env python3
"""NumPy and NumKong baselines and simdpar-through-Python timings for `simdpar report`.

Times, for every workload of the report, the reference NumPy idiom, the
NumKong call where NumKong has the kernel, and the same kernel through the
project's Python package (`import simdpar`) with its defaults (threads=None:
automatic), with 1 thread and with all threads, interleaved round-robin
(rep 1 of every method, then rep 2, ...), and writes medians as JSON:

    python benches/python/np_bench.py --out results.json [--full] [--threads N]

Workloads (the NumPy reference of each, as in the project's baseline study):

* sum 64M f32/f64: ``x.sum()`` (pairwise, accumulates in the array's dtype)
* row_sums: ``np.add.reduce(a, axis=1, out=out)``
* add / multiply: ``np.add(a, b, out=o)`` / ``np.multiply(a, b, out=o)``
* square: ``np.square(x, out=o)``; scale: ``np.multiply(x, q, out=o)``
* scale_inplace: ``np.multiply(x, q, out=x)``
* leaky_relu (the standard one, ``x if x > 0 else alpha * x``):
  ``np.multiply(x, alpha, out=t); np.maximum(x, t, out=o)`` (two passes; for
  0 <= alpha <= 1 this equals ``np.where(x > 0, x, alpha * x)`` bit for bit,
  -0.0 and NaN included, and is NumPy's fastest form with ``out=``)
* mandelbrot 1024x1024, max_iter 256: a vectorized loop over complex planes
  that keeps iterating only the points still active (escaped points are
  compacted away), the fastest plain-NumPy formulation.

NumKong (``numkong``, pinned in tools/requirements.txt), every call with a
preallocated ``out=`` like NumPy and simdpar, so nobody pays an allocation:

* sum: ``nk.sum(x)``; row_sums: ``nk.sum(m, axis=1, out=o)`` (NumKong
  writes float64 row sums for float32 input, so ``o`` is a float64
  ``nk.Tensor``: 4 more bytes per row, under 1% of the traffic at 128
  columns)
* add / multiply: ``nk.add(a, b, out=o)`` / ``nk.multiply(a, b, out=o)``
* scale: ``nk.scale(x, alpha=q, out=o)``; scale_inplace: ``out=x``
* square: ``nk.multiply(x, x, out=o)`` (NumKong has no square)
* leaky_relu and mandelbrot: NumKong has no such kernel (not timed).

Missing pieces never fail the run: the JSON says what was missing and why.
"""

import argparse
import json
import os
import platform
import sys

from timing import interleaved, median, timed

QUICK = {
    "reps": 7,
    "mandel_reps": 3,
    "min_sample": 0.005,
}
FULL = {
    "reps": 15,
    "mandel_reps": 5,
    "min_sample": 0.02,
}


def workloads(full):
    """(kernel, dtype, shape label, shape) for every workload."""
    ks = 1024
    m = 1 << 20
    sizes = [("16K", 16 * ks), ("1M", m), ("64M", 64 * m)]
    out = []
    dtypes = ["f32", "f64"]
    for dt in dtypes:
        for label, n in sizes:
            for k in ["sum", "add", "multiply", "square", "scale", "scale_inplace", "leaky_relu"]:
                out.append((k, dt, label, ("n", n)))
        for label, rows, cols in [("4096x128", 4096, 128), ("1Mx128", m, 128), ("100Kx1000", 100000, 1000)]:
            out.append(("row_sums", dt, label, ("m", rows, cols)))
        out.append(("mandelbrot", dt, "1024x1024", ("img", 1024, 1024, 256)))
    return out


def mandel_numpy(np, width, height, max_iter, dtype):
    """Counts as simdpar defines them (see simdpar's mandelbrot docs),
    iterating only the points that have not escaped yet."""
    xmin, xmax, ymin, ymax = dtype(-2.0), dtype(0.5), dtype(-1.25), dtype(1.25)
    dx = (xmax - xmin) / dtype(width)
    dy = (ymax - ymin) / dtype(height)
    cr_row = xmin + np.arange(width, dtype=dtype) * dx
    ci_col = ymin + np.arange(height, dtype=dtype) * dy
    cr = np.broadcast_to(cr_row, (height, width)).ravel().copy()
    ci = np.broadcast_to(ci_col[:, None], (height, width)).ravel().copy()
    counts = np.zeros(width * height, dtype=np.uint32)
    idx = np.arange(width * height)
    zr = np.zeros_like(cr)
    zi = np.zeros_like(ci)
    four = dtype(4.0)
    two = dtype(2.0)
    for _ in range(max_iter):
        zr2 = zr * zr
        zi2 = zi * zi
        active = (zr2 + zi2) <= four
        if not active.all():
            idx = idx[active]
            if idx.size == 0:
                break
            zr, zi, cr, ci, zr2, zi2 = zr[active], zi[active], cr[active], ci[active], zr2[active], zi2[active]
        counts[idx] += 1
        zi = (two * zr) * zi + ci
        zr = (zr2 - zi2) + cr
    return counts


def make_numpy_call(np, kernel, dtype, shape, bufs):
    q = dtype(-1.0)
    alpha = dtype(0.01)
    if kernel == "sum":
        x = bufs["a"]
        return lambda: x.sum()
    if kernel == "row_sums":
        a, out = bufs["m"], bufs["rows"]
        return lambda: np.add.reduce(a, axis=1, out=out)
    if kernel == "add":
        a, b, o = bufs["a"], bufs["b"], bufs["o"]
        return lambda: np.add(a, b, out=o)
    if kernel == "multiply":
        a, b, o = bufs["a"], bufs["b"], bufs["o"]
        return lambda: np.multiply(a, b, out=o)
    if kernel == "square":
        a, o = bufs["a"], bufs["o"]
        return lambda: np.square(a, out=o)
    if kernel == "scale":
        a, o = bufs["a"], bufs["o"]
        return lambda: np.multiply(a, q, out=o)
    if kernel == "scale_inplace":
        x = bufs["x"]
        return lambda: np.multiply(x, q, out=x)
    if kernel == "leaky_relu":
        a, o, t = bufs["a"], bufs["o"], bufs["t"]

        def lrelu():
            np.multiply(a, alpha, out=t)
            np.maximum(a, t, out=o)

        return lrelu
    if kernel == "mandelbrot":
        _, w, h, it = shape
        return lambda: mandel_numpy(np, w, h, it, dtype)
    raise ValueError(kernel)


def make_numkong_call(nk, np, kernel, dtype, shape, bufs):
    """A NumKong call with a preallocated output, or None when NumKong has
    no such kernel."""
    q = -1.0
    if kernel == "sum":
        x = bufs["a"]
        return lambda: nk.sum(x)
    if kernel == "row_sums":
        a = bufs["m"]
        # NumKong's row sums of float32 are float64 (see the module doc).
        o = nk.zeros((a.shape[0],), dtype="float64")
        return lambda: nk.sum(a, axis=1, out=o)
    if kernel in ("add", "multiply"):
        f = getattr(nk, kernel)
        a, b, o = bufs["a"], bufs["b"], bufs["o"]
        return lambda: f(a, b, out=o)
    if kernel == "square":
        a, o = bufs["a"], bufs["o"]
        return lambda: nk.multiply(a, a, out=o)
    if kernel == "scale":
        a, o = bufs["a"], bufs["o"]
        return lambda: nk.scale(a, alpha=q, out=o)
    if kernel == "scale_inplace":
        x = bufs["x"]
        return lambda: nk.scale(x, alpha=q, out=x)
    return None


def make_simdpar_call(sp, np, kernel, dtype, shape, bufs, threads):
    """A call of the project's package; raises if its API lacks the kernel.

    The defaults (``threads`` None) are called exactly as a user writes
    them, without a ``threads=`` keyword and without ``**kwargs``: a
    ``**{}`` in the call builds a dict per call (~60 ns at 16K elements),
    a cost the peers' calls do not pay.
    """
    q = float(-1.0)
    alpha = float(0.01)
    t = threads
    if kernel == "sum":
        x = bufs["a"]
        return (lambda: sp.sum(x)) if t is None else (lambda: sp.sum(x, threads=t))
    if kernel == "row_sums":
        a, out = bufs["m"], bufs["rows"]
        if t is None:
            return lambda: sp.row_sums(a, out=out)
        return lambda: sp.row_sums(a, out=out, threads=t)
    if kernel in ("add", "multiply"):
        f = getattr(sp, kernel)
        a, b, o = bufs["a"], bufs["b"], bufs["o"]
        return (lambda: f(a, b, out=o)) if t is None else (lambda: f(a, b, out=o, threads=t))
    if kernel == "square":
        a, o = bufs["a"], bufs["o"]
        if t is None:
            return lambda: sp.square(a, out=o)
        return lambda: sp.square(a, out=o, threads=t)
    if kernel == "scale":
        a, o = bufs["a"], bufs["o"]
        if t is None:
            return lambda: sp.scale(a, q, out=o)
        return lambda: sp.scale(a, q, out=o, threads=t)
    if kernel == "scale_inplace":
        x = bufs["x"]
        if t is None:
            return lambda: sp.scale(x, q, out=x)
        return lambda: sp.scale(x, q, out=x, threads=t)
    if kernel == "leaky_relu":
        a, o = bufs["a"], bufs["o"]
        if t is None:
            return lambda: sp.leaky_relu(a, alpha, out=o)
        return lambda: sp.leaky_relu(a, alpha, out=o, threads=t)
    if kernel == "mandelbrot":
        _, w, h, it = shape
        dt = "float32" if dtype is np.float32 else "float64"
        if t is None:
            return lambda: sp.mandelbrot(w, h, max_iter=it, dtype=dt)
        return lambda: sp.mandelbrot(w, h, max_iter=it, dtype=dt, threads=t)
    raise ValueError(kernel)


def buffers(np, kernel, dtype, shape):
    rng = np.random.default_rng(1)
    b = {}
    lo = 0.0 if kernel in ("sum", "row_sums") else -1.0
    if shape[0] == "n":
        n = shape[1]
        b["a"] = rng.uniform(lo, 1.0, n).astype(dtype)
        if kernel in ("add", "multiply"):
            b["b"] = rng.uniform(lo, 1.0, n).astype(dtype)
        if kernel in ("add", "multiply", "square", "scale", "leaky_relu"):
            b["o"] = np.zeros(n, dtype=dtype)
        if kernel == "leaky_relu":
            b["t"] = np.zeros(n, dtype=dtype)
        if kernel == "scale_inplace":
            b["x"] = b.pop("a")
    elif shape[0] == "m":
        _, rows, cols = shape
        b["m"] = rng.uniform(0.0, 1.0, (rows, cols)).astype(dtype)
        b["rows"] = np.zeros(rows, dtype=dtype)
    return b


def loadavg():
    try:
        with open("/proc/loadavg") as f:
            return float(f.read().split()[0])
    except OSError:
        return None


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--only", default="", help="comma-separated kernel names")
    args = ap.parse_args()
    cfg = FULL if args.full else QUICK
    result = {
        "python": sys.version.split()[0],
        "executable": sys.executable,
        "platform": platform.platform(),
        "numpy": None,
        "numkong": None,
        "simdpar": None,
        "notes": [],
        "results": [],
        "loadavg_start": loadavg(),
    }

    def write():
        with open(args.out, "w") as f:
            json.dump(result, f, indent=1)

    try:
        import numpy as np
    except ImportError as e:
        result["notes"].append(f"numpy is not installed ({e}): no NumPy baselines")
        write()
        return 0
    result["numpy"] = np.__version__
    try:
        import simdpar as sp

        result["simdpar"] = getattr(sp, "__version__", "unknown")
        try:
            result["simdpar_isa"] = str(sp.active_isa()) if hasattr(sp, "active_isa") else None
        except Exception:  # noqa: BLE001 - informational only
            result["simdpar_isa"] = None
    except ImportError as e:
        sp = None
        result["notes"].append(
            f"the simdpar Python package is not importable ({e}): simdpar rows come from the Rust process only"
        )
    try:
        import numkong as nk

        result["numkong"] = getattr(nk, "__version__", "unknown")
    except ImportError as e:
        nk = None
        result["notes"].append(
            f"numkong is not installed ({e}): no NumKong baselines (pip install -r tools/requirements.txt)"
        )
    only = set(filter(None, args.only.split(",")))
    threads = sorted({1, max(1, args.threads)})
    work = [w for w in workloads(args.full) if not only or w[0] in only]
    for i, (kernel, dt, label, shape) in enumerate(work):
        dtype = np.float32 if dt == "f32" else np.float64
        print(f"[python {i + 1}/{len(work)}] {kernel} {dt} {label}", file=sys.stderr, flush=True)
        bufs = buffers(np, kernel, dtype, shape)
        calls = [("numpy", make_numpy_call(np, kernel, dtype, shape, bufs))]
        if nk is not None:
            try:
                c = make_numkong_call(nk, np, kernel, dtype, shape, bufs)
                if c is not None:
                    c()
                    calls.append(("numkong", c))
            except Exception as e:  # noqa: BLE001 - report, do not fail
                result["notes"].append(f"numkong {kernel} ({dt}) failed: {type(e).__name__}: {e}")
        if sp is not None:
            # threads=None: the package's defaults (automatic threads, no
            # forced ISA); recorded as threads 0.
            for t in [None] + threads:
                try:
                    c = make_simdpar_call(sp, np, kernel, dtype, shape, bufs, t)
                    c()
                    calls.append((f"simdpar-py:{t or 0}", c))
                except Exception as e:  # noqa: BLE001 - report, do not fail
                    result["notes"].append(f"simdpar.{kernel} ({dt}, threads={t}) failed: {type(e).__name__}: {e}")
        reps = cfg["mandel_reps"] if kernel == "mandelbrot" else cfg["reps"]
        min_sample = cfg["min_sample"]
        if timed(calls[0][1], 1) < 1e-3:
            # Cheap calls: many short samples, so the median (and the paired
            # ratios) come from rounds no other process preempted; as many
            # rounds as the report's cheap Rust groups (16 * reps + 9): with
            # 31, the median ratio of two kernels of equal speed (simdpar
            # and NumKong, scale 16K) moved between 0.94 and 0.98 from run
            # to run, with 61 between 0.96 and 1.02.
            reps, min_sample = 16 * reps + 9, min_sample / 6
        samples, inner = interleaved(calls, reps, min_sample=min_sample)
        for name, s in samples.items():
            method, _, t = name.partition(":")
            result["results"].append(
                {
                    "kernel": kernel,
                    "dtype": dt,
                    "shape": label,
                    "method": method,
                    # 0: simdpar's automatic threads (its defaults)
                    "threads": int(t) if t else (0 if method == "simdpar-py" else 1),
                    "median_s": median(s),
                    "min_s": min(s),
                    "max_s": max(s),
                    "samples": len(s),
                    "inner": inner[name],
                    "rounds_s": s,
                }
            )
        del bufs, calls
        write()
    result["loadavg_end"] = loadavg()
    write()
    return 0


if __name__ == "__main__":
    sys.exit(main())
