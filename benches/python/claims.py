#!/usr/bin/env python3
"""Popular Mojo speed claims, measured on this CPU.

Standalone: needs the installed ``simdpar`` package (with ``simdpar.mojo``),
numpy and a Mojo 1.2 toolchain. Every claim gets ``claim``, ``source`` (the
kind of article it comes from), ``measured``, ``baseline``, ``verdict``
(``holds`` / ``partly`` / ``does not hold``) and ``why`` (one sentence).

    python benches/python/claims.py            # markdown table
    python benches/python/claims.py --json     # {"load_average_before": ..., "claims": [...]}
    python benches/python/claims.py --out claims.json   # table on stdout, JSON in the file

Method: contenders of one claim are timed in interleaved rounds (a sample
of each per round, a fresh order every round: ``simdpar.timing``, loaded
from the source tree by ``timing.py``), each figure is a median, and the load average is printed
next to them: on a shared machine the figures are indicative. A claim that depends on
hardware this machine lacks is measured as far as it can be, and its
verdict is for this CPU. The run takes about 1-3 minutes (Mojo compiles are
cached: a second run is faster).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import sys
import time
import uuid
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

import simdpar
import simdpar.mojo as mj
from timing import interleaved as timed_rounds
from timing import median

NOTEBOOK = "notebook-integration post"
PITFALLS = "Mojo pitfalls article"
VERSUS = "Mojo vs Python article"


# ---------------------------------------------------------------------------
# timing


def interleaved(contenders: Dict[str, Callable[[], Any]], rounds: int = 5,
                inner: int = 1, stat: Callable[[List[float]], float] = median
                ) -> Dict[str, float]:
    """Seconds per call of each contender (``stat`` over its rounds: the
    median unless told otherwise), timed by ``timing.interleaved``."""
    samples, _ = timed_rounds(list(contenders.items()), rounds, inner=inner)
    return {k: stat(v) for k, v in samples.items()}


def in_range(x: float, lo: float, hi: float, slack: float = 2.0) -> str:
    """``holds`` inside [lo, hi], ``partly`` within a factor ``slack`` of
    it, else ``does not hold``."""
    if lo <= x <= hi:
        return "holds"
    if lo / slack <= x <= hi * slack:
        return "partly"
    return "does not hold"


def fmt_t(s: float) -> str:
    """Seconds in a readable unit."""
    if s >= 1:
        return f"{s:.2f} s"
    if s >= 1e-3:
        return f"{s * 1e3:.2f} ms"
    if s >= 1e-6:
        return f"{s * 1e6:.2f} µs"
    if s >= 1e-8:
        return f"{s * 1e9:.0f} ns"
    return f"{s * 1e9:.3f} ns"


def claim(n: int, text: str, source: str, measured: str, baseline: str, verdict: str,
          why: str, **figures: Any) -> Dict[str, Any]:
    """One result row."""
    assert verdict in ("holds", "partly", "does not hold"), verdict
    return {"id": n, "claim": text, "source": source, "measured": measured,
            "baseline": baseline, "verdict": verdict, "why": why, "figures": figures}


def loadavg() -> str:
    """The 1/5/15-minute load average."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "unknown"


# ---------------------------------------------------------------------------
# the Mojo code measured

EXT = """
from std.os import abort
from std.python import Python, PythonObject
from std.python.bindings import PythonModuleBuilder
from std.sys.info import simd_width_of

comptime W = simd_width_of[DType.float32]()
comptime F32P = Pointer[Float32, MutAnyOrigin]


def noop(x: PythonObject) raises -> PythonObject:
    return x


# 'def taking Python objects': every value and operation stays a Python object.
def sum_objects(xs: PythonObject) raises -> PythonObject:
    var s = PythonObject(0.0)
    var n = Int(py=xs.__len__())
    for i in range(n):
        s = s + xs[i]
    return s


# typed, still reading Python objects: the accumulator is a native Float64.
def sum_typed_objects(xs: PythonObject) raises -> PythonObject:
    var s: Float64 = 0
    var n = Int(py=xs.__len__())
    for i in range(n):
        s += Float64(py=xs[i])
    return PythonObject(s)


# typed on a native pointer, one scalar at a time.
def sum_pointer(addr: PythonObject, n_: PythonObject) raises -> PythonObject:
    var p = F32P(unsafe_from_address=Int(py=addr))
    var n = Int(py=n_)
    var s: Float32 = 0
    for i in range(n):
        s += p[unsafe_offset=i]
    return PythonObject(Float64(s))


# the same with SIMD vectors and four accumulators.
def sum_simd(addr: PythonObject, n_: PythonObject) raises -> PythonObject:
    var p = F32P(unsafe_from_address=Int(py=addr))
    var n = Int(py=n_)
    var a0 = SIMD[DType.float32, W](0)
    var a1 = SIMD[DType.float32, W](0)
    var a2 = SIMD[DType.float32, W](0)
    var a3 = SIMD[DType.float32, W](0)
    var i = 0
    while i + 4 * W <= n:
        a0 += p.unsafe_load[width=W](i)
        a1 += p.unsafe_load[width=W](i + W)
        a2 += p.unsafe_load[width=W](i + 2 * W)
        a3 += p.unsafe_load[width=W](i + 3 * W)
        i += 4 * W
    var s = ((a0 + a1) + (a2 + a3)).reduce_add()
    while i < n:
        s += p[unsafe_offset=i]
        i += 1
    return PythonObject(Float64(s))


# Mojo calling NumPy: a Mojo loop over rows, each summed by numpy.
def row_sums_numpy(m: PythonObject, out_: PythonObject) raises -> PythonObject:
    var rows = Int(py=m.shape[0])
    for r in range(rows):
        out_[r] = m[r].sum()
    return out_


# Mojo calling NumPy for an elementwise product.
def multiply_numpy(a: PythonObject, b: PythonObject, out_: PythonObject) raises -> PythonObject:
    var np = Python.import_module("numpy")
    return np.multiply(a, b, out_)


@export
def PyInit_spx_claims() abi("C") -> PythonObject:
    try:
        var m = PythonModuleBuilder("spx_claims")
        m.def_function[noop]("noop")
        m.def_function[sum_objects]("sum_objects")
        m.def_function[sum_typed_objects]("sum_typed_objects")
        m.def_function[sum_pointer]("sum_pointer")
        m.def_function[sum_simd]("sum_simd")
        m.def_function[row_sums_numpy]("row_sums_numpy")
        m.def_function[multiply_numpy]("multiply_numpy")
        return m.finalize()
    except e:
        abort(String("error creating spx_claims: ", e))
"""

# C-ABI kernels for the width and alignment claims: LANES f32 lanes per
# vector (-D LANES=8|16), `reps` passes over an L1-resident buffer.
VEC = """
from std.sys import get_defined_int

comptime LANES = get_defined_int["LANES", 8]()
comptime F32P = Pointer[Float32, MutAnyOrigin]


@export("spx_scale_add")
def scale_add(x: F32P, y: F32P, n: Int, reps: Int) abi("C") -> Float32:
    # y = y * 0.999 + x, repeated: a dependent multiply-add chain per element.
    for _ in range(reps):
        var i = 0
        while i + LANES <= n:
            var v = y.unsafe_load[width=LANES](i) * 0.999 + x.unsafe_load[width=LANES](i)
            y.unsafe_store(i, v)
            i += LANES
    return y[unsafe_offset=0]


@export("spx_chain")
def chain(reps: Int, a: Float32, b: Float32) abi("C") -> Float32:
    # One vector, each step depending on the last: bound by FMA latency
    # (a and b arrive at run time, so nothing folds).
    var v = SIMD[DType.float32, LANES](1.0)
    for _ in range(reps):
        v = v * a + b
    return v.reduce_add()


@export("spx_read_sum")
def read_sum(x: F32P, n: Int, reps: Int) abi("C") -> Float32:
    # Four independent accumulators: bound by load throughput, not add latency.
    var a0 = SIMD[DType.float32, LANES](0)
    var a1 = SIMD[DType.float32, LANES](0)
    var a2 = SIMD[DType.float32, LANES](0)
    var a3 = SIMD[DType.float32, LANES](0)
    for _ in range(reps):
        var i = 0
        while i + 4 * LANES <= n:
            a0 += x.unsafe_load[width=LANES](i)
            a1 += x.unsafe_load[width=LANES](i + LANES)
            a2 += x.unsafe_load[width=LANES](i + 2 * LANES)
            a3 += x.unsafe_load[width=LANES](i + 3 * LANES)
            i += 4 * LANES
    return ((a0 + a1) + (a2 + a3)).reduce_add()
"""

RUN_PROGRAM = """
def main():
    var s = 0
    for i in range({{n}}):
        s += i
    print(s)
"""


def has_avx512() -> bool:
    """Whether this CPU has AVX-512F (from simdpar's CPU probe)."""
    return "avx512" in simdpar.available_isas()


def host_label() -> str:
    """This CPU's widest ISA and, for AMD, its generation by CPUID family
    (0x19 Zen 3/4, 0x1A Zen 5), as simdpar's CPU probe reports it."""
    if not has_avx512():
        return "AVX2"
    info = simdpar.cpu_info()
    fam = {0x19: "Zen 4", 0x1A: "Zen 5"}.get(info.get("family")) if info.get("vendor") == "AuthenticAMD" else None
    return f"AVX-512 ({fam})" if fam else "AVX-512"


# ---------------------------------------------------------------------------
# the claims


def claims_1_2(ext: Any) -> List[Dict[str, Any]]:
    """Subprocess routes (run, @function) vs an extension call."""
    prog = RUN_PROGRAM.replace("{{n}}", "1000")
    mj.run(prog)  # build once (cache)

    @mj.function
    def count(n: int) -> int:
        """
        def main():
            var s = 0
            for i in range({{n}}):
                s += i
            print(s)
        """

    count(1000)
    t = interleaved({"run": lambda: mj.run(prog), "function": lambda: count(1000)}, rounds=9)
    ext_t = interleaved({"ext": lambda: ext.noop(1)}, rounds=5, inner=20000)["ext"]
    fresh = RUN_PROGRAM.replace("{{n}}", "1000") + f"# {uuid.uuid4().hex}\n"
    t0 = time.perf_counter()
    mj.run(fresh)
    first = time.perf_counter() - t0
    per_call = max(t["run"], t["function"])
    v1 = "holds" if in_range(t["run"], 0.01, 0.05) == "holds" and in_range(first, 1, 2) == "holds" else (
        "partly" if in_range(t["run"], 0.01, 0.05) != "does not hold" or in_range(first, 1, 2) != "does not hold"
        else "does not hold")
    ratio = min(t["run"], t["function"]) / ext_t
    out = [claim(
        1, "Running cached Mojo through a subprocess costs about 10-50 ms per call "
           "(executor and decorator alike); the first call about 1-2 s.", NOTEBOOK,
        f"run {fmt_t(t['run'])}, @function {fmt_t(t['function'])} per cached call; "
        f"first call (compile + run) {fmt_t(first)}",
        "claimed 10-50 ms per call, 1-2 s first call", v1,
        f"a cached call is a process start of the built binary ({fmt_t(per_call)} here), "
        f"the first call is dominated by `mojo build` ({fmt_t(first)} under load {loadavg()}).",
        run_s=t["run"], function_s=t["function"], first_call_s=first)]
    # The direction (far cheaper) and the ratio can hold while the absolute
    # cost is far below the claimed range: that is "partly".
    v2 = ("holds" if 1e-5 <= ext_t <= 1e-4 and ratio >= 500 else
          "partly" if ratio >= 100 else "does not hold")
    out.append(claim(
        2, "An extension module costs about 0.01-0.1 ms per call, about 1000x less than the "
           "subprocess routes.", NOTEBOOK,
        f"extension call {fmt_t(ext_t)}; {ratio:,.0f}x cheaper than a cached subprocess call",
        f"cached subprocess call {fmt_t(min(t['run'], t['function']))}",
        v2,
        "an extension call is an ordinary CPython C call (no process, no parsing of output), "
        + (f"so it is {1e-5 / ext_t:,.0f}x cheaper than even the claim's low end." if ext_t < 1e-5
           else "as claimed."),
        extension_call_s=ext_t, ratio=ratio))
    return out


def claim_3(ext: Any) -> Dict[str, Any]:
    """Sum of 1M float32 from Python, four Mojo styles vs a Python loop."""
    n = 1_000_000
    x = np.random.default_rng(3).random(n, dtype=np.float32)
    xs = x.tolist()
    addr = x.ctypes.data

    def py_loop() -> float:
        s = 0.0
        for v in xs:
            s += v
        return s

    t = interleaved({
        "python": py_loop,
        "def_objects": lambda: ext.sum_objects(xs),
        "typed_objects": lambda: ext.sum_typed_objects(xs),
        "pointer": lambda: ext.sum_pointer(addr, n),
        "simd": lambda: ext.sum_simd(addr, n),
    }, rounds=5)
    ref = float(x.astype(np.float64).sum())
    assert abs(ext.sum_simd(addr, n) - ref) < 1e-3 * ref
    sp = {k: t["python"] / t[k] for k in ("def_objects", "typed_objects", "pointer", "simd")}
    claimed = {"def_objects": (0.8, 1.3), "typed_objects": (1.5, 4), "pointer": (15, 45), "simd": (40, 200)}
    verdicts = [in_range(sp[k], *claimed[k]) for k in claimed]
    v = "holds" if all(x == "holds" for x in verdicts) else (
        "does not hold" if all(x == "does not hold" for x in verdicts) else "partly")
    return claim(
        3, "Summing 1M float32 from Python: a Mojo def taking Python objects ~0.8-1.3x pure Python; "
           "typed but taking Python objects 1.5-4x; typed on a native pointer 15-45x; with SIMD 40-200x.",
        VERSUS,
        "; ".join(f"{k} {sp[k]:.1f}x ({fmt_t(t[k])})" for k in sp),
        f"pure-Python loop over a list {fmt_t(t['python'])}", v,
        "the Python-object styles pay CPython's per-element cost like the loop does, the "
        "pointer styles run native code over numpy's buffer"
        + f" (verdicts per style: {', '.join(f'{k} {x}' for k, x in zip(claimed, verdicts))}).",
        speedups=sp, seconds=t)


def claim_4(ext: Any, twins: Any) -> Dict[str, Any]:
    """Row sums: native Mojo and Mojo-calling-numpy vs a Python loop over numpy rows."""
    rows, cols = 131_072, 128
    m = np.random.default_rng(4).random((rows, cols), dtype=np.float32)
    out = np.empty(rows, np.float32)

    def py_numpy() -> None:
        for r in range(rows):
            out[r] = m[r].sum()

    t = interleaved({
        "python_numpy": py_numpy,
        "mojo_numpy": lambda: ext.row_sums_numpy(m, out),
        "native": lambda: twins.row_sums(m, out=out, threads=1),
    }, rounds=5)
    nat, mnp = t["python_numpy"] / t["native"], t["python_numpy"] / t["mojo_numpy"]
    vs = [in_range(nat, 18, 60), in_range(mnp, 0.7, 1.2)]
    v = "holds" if vs == ["holds", "holds"] else ("does not hold" if vs == ["does not hold"] * 2 else "partly")
    return claim(
        4, "Row sums of 1M x 128 float32: native Mojo 18-60x Python+NumPy; Mojo calling NumPy 0.7-1.2x.",
        VERSUS,
        f"native Mojo twin (1 thread) {nat:.0f}x, Mojo calling NumPy {mnp:.2f}x "
        f"(131072 x 128: 64 MB instead of 512 MB; per-row costs do not depend on the row count)",
        f"Python loop calling row.sum() per row: {fmt_t(t['python_numpy'])}", v,
        "the Python+NumPy baseline pays a numpy call per 128-element row, which native code "
        "skips, while Mojo calling NumPy pays the same per-row calls"
        + f" (native: {vs[0]}, Mojo+NumPy: {vs[1]}).",
        native_speedup=nat, mojo_numpy_speedup=mnp, seconds=t)


def claim_5(ext: Any, twins: Any) -> Dict[str, Any]:
    """Elementwise multiply: native Mojo and Mojo calling numpy vs numpy."""
    n = 1_000_000
    rng = np.random.default_rng(5)
    a, b = rng.random(n, dtype=np.float32), rng.random(n, dtype=np.float32)
    o = np.empty(n, np.float32)
    t = interleaved({
        "numpy": lambda: np.multiply(a, b, out=o),
        "mojo_numpy": lambda: ext.multiply_numpy(a, b, o),
        "native": lambda: twins.multiply(a, b, out=o, threads=1),
    }, rounds=7, inner=5)
    nat, mnp = t["numpy"] / t["native"], t["numpy"] / t["mojo_numpy"]
    vs = [in_range(nat, 30, 120), in_range(mnp, 1.1, 1.5)]
    v = "holds" if vs == ["holds", "holds"] else ("does not hold" if vs == ["does not hold"] * 2 else "partly")
    return claim(
        5, "Elementwise float32 multiply: native Mojo 30-120x Python+NumPy; Mojo calling NumPy 1.1-1.5x.",
        VERSUS, f"native Mojo twin (1 thread) {nat:.2f}x, Mojo calling NumPy {mnp:.2f}x (1M elements)",
        f"np.multiply(a, b, out=o) from Python: {fmt_t(t['numpy'])}", v,
        "NumPy's multiply is already a vectorized loop bound by memory traffic, so native code can "
        f"only match it (native: {vs[0]}, Mojo+NumPy: {vs[1]}).",
        native_speedup=nat, mojo_numpy_speedup=mnp, seconds=t)


def py_mandelbrot(width: int, height: int, max_iter: int) -> int:
    """Pure-Python escape-time Mandelbrot over [-2, 0.5] x [-1.25, 1.25]; total iterations."""
    total = 0
    for j in range(height):
        ci = -1.25 + 2.5 * j / height
        for i in range(width):
            cr = -2.0 + 2.5 * i / width
            zr = zi = 0.0
            k = 0
            while k < max_iter and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                k += 1
            total += k
    return total


def claims_6_10(twins: Any) -> List[Dict[str, Any]]:
    """Mandelbrot vs pure Python; thread scaling (multiprocessing vs native)."""
    cores = os.cpu_count() or 1
    small, big, it = (64, 48), (1024, 768), 256
    t = interleaved({
        "python": lambda: py_mandelbrot(*small, it),
        "mojo_1": lambda: twins.mandelbrot(*big, max_iter=it, dtype=np.float32, threads=1),
        "mojo_all": lambda: twins.mandelbrot(*big, max_iter=it, dtype=np.float32, threads=cores),
        "simdpar_all": lambda: simdpar.mandelbrot(*big, max_iter=it, dtype=np.float32, threads=cores),
    }, rounds=5)
    px_small, px_big = small[0] * small[1], big[0] * big[1]
    per_px = {k: t[k] / (px_small if k == "python" else px_big) for k in t}
    r1, rall = per_px["python"] / per_px["mojo_1"], per_px["python"] / per_px["mojo_all"]
    v6 = "holds" if rall >= 68000 / 2 else ("partly" if rall >= 68000 / 10 else "does not hold")
    out = [claim(
        6, "Mandelbrot in Mojo is about 68,000x faster than pure Python.", VERSUS,
        f"{r1:,.0f}x on 1 core, {rall:,.0f}x on {cores} cores (per pixel; Python on {small[0]}x{small[1]}, "
        f"Mojo on {big[0]}x{big[1]}, same region, max_iter {it}, float32)",
        f"pure Python {fmt_t(per_px['python'])} per pixel", v6,
        "the famous figure multiplies SIMD width, many cores and the slowest Python style; "
        f"this CPU with {cores} cores reaches {rall:,.0f}x.",
        per_pixel_s=per_px, speedup_1_core=r1, speedup_all=rall)]

    # Claim 10: multiprocessing vs native threads vs SIMD+threads, per core.
    with multiprocessing.Pool(cores) as pool:
        def mp_run() -> int:
            return sum(pool.starmap(_py_band, [(small[0], small[1], it, k, cores) for k in range(cores)]))

        tp = interleaved({"serial": lambda: py_mandelbrot(*small, it), "pool": mp_run}, rounds=5)
    mp_speed = tp["serial"] / tp["pool"]
    native_par = t["mojo_1"] / t["mojo_all"]
    simd_par = per_px["python"] / per_px["simdpar_all"]
    scale = cores / 8
    claimed = {"mp": (3 * scale, 6 * scale), "native": (5 * scale, 7.5 * scale),
               "simd": (40 * scale, 200 * scale)}
    vs = [in_range(mp_speed, *claimed["mp"]), in_range(native_par, *claimed["native"]),
          in_range(simd_par, *claimed["simd"])]
    v10 = "holds" if vs == ["holds"] * 3 else ("does not hold" if vs == ["does not hold"] * 3 else "partly")
    out.append(claim(
        10, "Python multiprocessing gives 3-6x on 8 cores, native parallel loops 5-7.5x, SIMD plus "
            "parallel 40-200x over Python.", VERSUS,
        f"on {cores} cores: multiprocessing {mp_speed:.2f}x, native threads {native_par:.2f}x, "
        f"SIMD + threads (simdpar) {simd_par:,.0f}x over pure Python (Mandelbrot)",
        f"claims scaled to {cores} cores: multiprocessing {claimed['mp'][0]:.2f}-{claimed['mp'][1]:.2f}x, "
        f"native {claimed['native'][0]:.2f}-{claimed['native'][1]:.2f}x, "
        f"SIMD+parallel {claimed['simd'][0]:.0f}-{claimed['simd'][1]:.0f}x", v10,
        "thread and process scaling track the core count, but SIMD code beats the Python baseline "
        f"by far more than the claim's range (multiprocessing: {vs[0]}, native: {vs[1]}, SIMD+parallel: {vs[2]}).",
        multiprocessing=mp_speed, native_threads=native_par, simd_parallel=simd_par, cores=cores))
    return out


def _py_band(width: int, height: int, max_iter: int, k: int, parts: int) -> int:
    """Rows k, k+parts, ... of py_mandelbrot (for the process pool)."""
    total = 0
    for j in range(k, height, parts):
        ci = -1.25 + 2.5 * j / height
        for i in range(width):
            cr = -2.0 + 2.5 * i / width
            zr = zi = 0.0
            n = 0
            while n < max_iter and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                n += 1
            total += n
    return total


def _vec_lib(lanes: int, cpu: Optional[str]) -> Any:
    """The VEC kernels with ``lanes`` f32 lanes for ``cpu`` (None: this CPU)."""
    lib = mj.compile(VEC, target_cpu=cpu, LANES=lanes)
    lib.declare("spx_scale_add", "const float32*", "float32*", "int", "int", ret="float32")
    lib.declare("spx_read_sum", "const float32*", "int", "int", ret="float32")
    lib.declare("spx_chain", "int", "float32", "float32", ret="float32")
    return lib


def claims_7_8() -> List[Dict[str, Any]]:
    """16-lane vectors on AVX2 code; unaligned and line-splitting loads."""
    avx2_8, avx2_16 = _vec_lib(8, "x86-64-v3"), _vec_lib(16, "x86-64-v3")
    n, reps = 2048, 2000
    x = np.ones(n, np.float32)
    y = np.zeros(n, np.float32)
    cont = {
        "avx2_8": lambda: avx2_8.spx_scale_add(x, y, n, reps),
        "avx2_16": lambda: avx2_16.spx_scale_add(x, y, n, reps),
    }
    native16 = None
    if has_avx512():
        native16 = _vec_lib(16, None)
        cont["native_16"] = lambda: native16.spx_scale_add(x, y, n, reps)
    t = interleaved(cont, rounds=7)
    tput_ratio = t["avx2_16"] / t["avx2_8"]
    steps = 2_000_000
    chains = {"avx2_8": lambda: avx2_8.spx_chain(steps, 0.999, 0.001),
              "avx2_16": lambda: avx2_16.spx_chain(steps, 0.999, 0.001)}
    tl = interleaved(chains, rounds=9)
    tl_best = interleaved(chains, rounds=9, stat=min)
    # The 16-lane chain needs both FMA pipes: another thread on the same
    # core (a busy shared machine) slows it, so the verdict uses the best
    # round (the hardware's cost) and the median is reported beside it.
    ratio = tl_best["avx2_16"] / tl_best["avx2_8"]
    ratio_median = tl["avx2_16"] / tl["avx2_8"]
    # The direction (a visible slowdown) matters most: a bigger slowdown
    # than claimed is "partly", none at all "does not hold".
    v7 = ("holds" if 1.4 <= ratio <= 1.8 else
          "partly" if ratio > 1.8 or ratio >= 1.15 else "does not hold")
    host = host_label()
    extra = f"; the same 16 lanes compiled for this CPU: {t['avx2_8'] / t['native_16']:.2f}x faster than 8 lanes on AVX2 code" if native16 else ""
    out = [claim(
        7, "A 16-lane float32 SIMD op on an AVX2 CPU splits into two 256-bit ops, costing a visible "
           "slowdown (1.4-1.8x latency on AVX2 nodes running AVX-512-tuned code).", PITFALLS,
        f"AVX2 code (x86-64-v3), 16 lanes vs 8: {ratio:.2f}x the latency in the best round "
        f"({ratio_median:.2f}x median under load {loadavg()}; a chain of dependent "
        f"multiply-adds on one vector), {tput_ratio:.2f}x the time per element (multiply-add passes "
        f"over 2048 floats in L1){extra}",
        f"8-lane AVX2 code: {fmt_t(tl['avx2_8'] / steps)} per dependent step, "
        f"{fmt_t(t['avx2_8'] / (n * reps))} per element; host {host}", v7,
        (f"a chain of dependent 16-lane ops pays for the split ({ratio:.2f}x per step here), while "
         f"independent work overlaps the two 256-bit halves ({tput_ratio:.2f}x per element)."
         if ratio >= 1.15 else
         f"the two 256-bit halves are independent and overlap, so 16 lanes cost about what 8 do "
         f"({ratio:.2f}x per dependent step, {tput_ratio:.2f}x per element)."),
        latency_ratio_16_over_8=ratio, latency_ratio_median=ratio_median,
        throughput_ratio_16_over_8=tput_ratio)]

    # Claim 8: 8-lane (32-byte) loads at three offsets inside 64-byte lines.
    buf = np.zeros(2048 + 64, np.float32)
    base = (-buf.ctypes.data % 64) // 4  # first 64-byte aligned element
    views = {"aligned": buf[base:base + 2048], "unaligned_no_split": buf[base + 8:base + 8 + 2048],
             "line_split": buf[base + 1:base + 1 + 2048]}
    assert views["aligned"].ctypes.data % 64 == 0 and views["unaligned_no_split"].ctypes.data % 64 == 32
    t8 = interleaved({k: (lambda v=v: avx2_8.spx_read_sum(v, 2048, 4000)) for k, v in views.items()},
                     rounds=9)
    split = t8["line_split"] / t8["aligned"] - 1
    nosplit = t8["unaligned_no_split"] / t8["aligned"] - 1
    tput_loss = 1 - t8["aligned"] / t8["line_split"]
    v8 = "holds" if 0.4 <= tput_loss <= 0.7 else ("partly" if 0.2 <= tput_loss else "does not hold")
    out.append(claim(
        8, "On AVX2, an unaligned load that crosses a cache line costs 40-70% throughput; unaligned "
           "without a split about 10%.", PITFALLS,
        f"AVX2 code, 32-byte loads from L1: line-splitting {tput_loss * 100:.0f}% less throughput "
        f"({split * 100:+.0f}% time), 32-byte-aligned but not 64-byte-aligned {nosplit * 100:+.0f}% time",
        f"64-byte-aligned loads {fmt_t(t8['aligned'] / (2048 * 4000))} per element on a {host} CPU", v8,
        "half the loads of the split case touch two lines and this core's load ports absorb "
        + ("part of it." if tput_loss >= 0.2 else "almost all of it.")
        + (" Measured with AVX2 code on an AVX-512 CPU: a Zen 3 AVX2 host may differ." if has_avx512() else ""),
        split_throughput_loss=tput_loss, nosplit_time_increase=nosplit))
    return out


def claim_9() -> Dict[str, Any]:
    """An artifact built for features this CPU lacks is refused by the cache."""
    candidates = ["x86-64-v4", "sapphirerapids", "graniterapids", "diamondrapids"]
    src = "@export(\"spx_one\")\ndef one() abi(\"C\") -> Int:\n    return 1\n"
    refused, cpu_used = None, None
    for cpu in candidates:
        if cpu == "x86-64-v4" and has_avx512():
            continue
        lib = None
        try:
            lib = mj.compile(src, target_cpu=cpu)
        except mj.MojoCompileError:
            continue
        except mj.MojoError as e:
            refused, cpu_used = str(e), cpu
            break
        if lib is not None:
            continue  # this CPU has every feature of `cpu`: try the next one
    if refused is None:
        return claim(
            9, "A binary compiled on an AVX-512 CI machine and run on an AVX2 machine misbehaves silently.",
            PITFALLS, "no candidate target needed a feature this CPU lacks", "n/a", "partly",
            "the refusal could not be shown on this CPU; the Rust cache tests cover it with a simulated host.")
    short = refused.split("\n")[0][:300]
    return claim(
        9, "A binary compiled on an AVX-512 CI machine and run on an AVX2 machine misbehaves silently.",
        PITFALLS, f"built for --target-cpu {cpu_used} here: the cache refused to load it: \"{short}\"",
        "an unchecked load would run until the first missing instruction (SIGILL)", "does not hold",
        "with simdpar every artifact's target features are recorded in its manifest and checked "
        "against the CPU before loading, so the mismatch is an error naming the features, never silent.",
        target_cpu=cpu_used, error=refused)


ACTIVATION = """
from std.sys.info import simd_width_of

comptime W = simd_width_of[DType.float32]()


# The article's custom activation, max(0, x) + 0.1 * x (not a leaky ReLU).
@export("spx_activation")
def spx_activation(x: Pointer[Float32, ImmutAnyOrigin], dst: Pointer[Float32, MutAnyOrigin],
                   n: Int) abi("C"):
    var zero = SIMD[DType.float32, W](0)
    var alpha = SIMD[DType.float32, W](Float32(0.1))
    var i = 0
    while i + W <= n:
        var v = x.unsafe_load[width=W](i)
        dst.unsafe_store(i, v.gt(zero).select(v, zero) + alpha * v)
        i += W
    while i < n:
        var s = x[unsafe_offset=i]
        dst[unsafe_offset=i] = (s if s > 0 else Float32(0)) + Float32(0.1) * s
        i += 1
"""


def claim_11(twins: Any) -> Dict[str, Any]:
    """The article's custom activation ``max(0, x) + 0.1 * x``: a Python loop
    vs NumPy vs a custom kernel written with the Mojo front end; beside it
    the standard leaky ReLU ``x if x > 0 else 0.1 * x`` (``simdpar.leaky_relu``
    and its Mojo twin) against its own Python loop. Every compiled kernel and
    NumPy write into a preallocated ``out=`` (no call allocates); each result
    is checked bit for bit against its own NumPy formula."""
    n = 1_000_000
    x = np.random.default_rng(11).standard_normal(n).astype(np.float32)
    xs = x.tolist()
    a = np.float32(0.1)
    o, tmp = np.empty_like(x), np.empty_like(x)
    custom_ref = np.where(x > 0, x, np.float32(0)) + a * x
    leaky_ref = np.where(x > 0, x, a * x)

    def np_custom():
        np.maximum(x, np.float32(0), out=o)
        np.multiply(x, a, out=tmp)
        np.add(o, tmp, out=o)

    def np_leaky():
        # max(x, alpha * x) is x if x > 0 else alpha * x for 0 <= alpha <= 1
        # (NaN payloads aside): two passes, no allocation.
        np.multiply(x, a, out=o)
        np.maximum(x, o, out=o)

    contenders: Dict[str, Callable[[], Any]] = {
        "python_custom": lambda: [max(0.0, v) + 0.1 * v for v in xs],
        "numpy_custom": np_custom,
        "python_leaky": lambda: [v if v > 0 else 0.1 * v for v in xs],
        "numpy_leaky": np_leaky,
        "simdpar_leaky": lambda: simdpar.leaky_relu(x, 0.1, out=o, threads=1),
        "twin_leaky": lambda: twins.leaky_relu(x, 0.1, out=o, threads=1),
    }
    checks = {"simdpar.leaky_relu == np.where(x > 0, x, 0.1 * x)": bool(np.array_equal(
        simdpar.leaky_relu(x, 0.1).view(np.uint32), leaky_ref.view(np.uint32)))}
    np_leaky()
    checks["NumPy out= spelling == np.where(x > 0, x, 0.1 * x)"] = bool(np.array_equal(
        o.view(np.uint32), leaky_ref.view(np.uint32)))
    np_custom()
    checks["NumPy out= spelling == max(0, x) + 0.1 * x"] = bool(np.array_equal(
        o.view(np.uint32), custom_ref.view(np.uint32)))
    try:
        lib = mj.compile(ACTIVATION, fp_mode="contract=off")
        kernel = lib.declare("spx_activation", "const float32*", "float32*", "int")
        got = np.empty_like(x)
        kernel(x, got, n)
        checks["custom Mojo kernel == max(0, x) + 0.1 * x"] = bool(np.array_equal(
            got.view(np.uint32), custom_ref.view(np.uint32)))
        contenders["mojo_custom"] = lambda: kernel(x, o, n)
    except mj.MojoError as e:  # no toolchain: the row says so
        checks[f"custom Mojo kernel not built ({type(e).__name__})"] = False
    t = interleaved(contenders, rounds=5)
    r = {k: t["python_custom"] / t[k] for k in ("numpy_custom", "mojo_custom") if k in t}
    r.update({k: t["python_leaky"] / t[k] for k in ("numpy_leaky", "simdpar_leaky", "twin_leaky")})
    compiled = [r[k] for k in ("mojo_custom", "simdpar_leaky", "twin_leaky") if k in r]
    v = "holds" if min(compiled) >= 100 else ("partly" if min(r.values()) >= 10 else "does not hold")
    custom = (f"custom Mojo kernel {r['mojo_custom']:.0f}x" if "mojo_custom" in r
              else "custom Mojo kernel not built")
    return claim(
        11, "A custom activation written as a Python loop is orders of magnitude slower than a compiled kernel.",
        VERSUS, f"max(0, x) + 0.1*x on 1M float32: NumPy {r['numpy_custom']:.0f}x, {custom} faster than "
                f"its Python loop; the standard leaky ReLU (x if x > 0 else 0.1*x): NumPy "
                f"{r['numpy_leaky']:.0f}x, simdpar.leaky_relu {r['simdpar_leaky']:.0f}x, Mojo twin "
                f"{r['twin_leaky']:.0f}x faster than its Python loop (1 thread; every kernel and NumPy "
                f"write into a preallocated out=, none allocates)",
        f"Python list comprehensions: {fmt_t(t['python_custom'])} (custom), "
        f"{fmt_t(t['python_leaky'])} (leaky ReLU)", v,
        "the Python loop pays interpreter work per element while the kernels stream SIMD vectors; "
        "each result equals its own NumPy formula bit for bit: "
        + ", ".join(f"{k}: {'yes' if ok else 'NO'}" for k, ok in checks.items()) + ".",
        speedups=r, seconds=t, checks=checks, output="out= (preallocated) for every kernel and NumPy")


def claim_12() -> Dict[str, Any]:
    """numpy's sum of 64M float32 vs simdpar's sum and the read bandwidth."""
    n = 64 * 1024 * 1024
    x = np.ones(n, np.float32)
    cores = os.cpu_count() or 1
    t = interleaved({
        "numpy": lambda: np.add.reduce(x),
        "simdpar_1": lambda: simdpar.sum(x, threads=1),
        "simdpar_all": lambda: simdpar.sum(x, threads=cores),
    }, rounds=5)
    gbs = {k: x.nbytes / v / 1e9 for k, v in t.items()}
    best = max(gbs.values())
    frac = gbs["numpy"] / best
    gain = t["numpy"] / t["simdpar_1"]
    v = "holds" if frac >= 0.8 else ("partly" if frac >= 0.5 else "does not hold")
    return claim(
        12, "NumPy's built-in reductions are already near memory bandwidth, so compiled code gains little there.",
        VERSUS, f"sum of 64M float32 (256 MB): NumPy {gbs['numpy']:.1f} GB/s, simdpar 1 thread "
                f"{gbs['simdpar_1']:.1f} GB/s ({gain:.2f}x NumPy), simdpar {cores} threads {gbs['simdpar_all']:.1f} GB/s",
        f"the best streaming read measured here ({best:.1f} GB/s) as the bandwidth reference; "
        f"NumPy reaches {frac * 100:.0f}% of it", v,
        "a DRAM-sized sum is bound by memory reads, so the question is only how close each code "
        f"gets to the read bandwidth: NumPy gets {frac * 100:.0f}%.",
        gbs=gbs, numpy_fraction=frac)


# ---------------------------------------------------------------------------


def measure() -> Dict[str, Any]:
    """Runs every claim; returns the load average and the rows."""
    load_before = loadavg()
    ext = mj.extension(EXT)
    twins = mj.load_twins("exact")
    rows: List[Dict[str, Any]] = []
    steps: List[Tuple[str, Callable[[], Any]]] = [
        ("1-2", lambda: claims_1_2(ext)),
        ("3", lambda: claim_3(ext)),
        ("4", lambda: claim_4(ext, twins)),
        ("5", lambda: claim_5(ext, twins)),
        ("6, 10", lambda: claims_6_10(twins)),
        ("7-8", claims_7_8),
        ("9", claim_9),
        ("11", lambda: claim_11(twins)),
        ("12", claim_12),
    ]
    for name, step in steps:
        t = time.perf_counter()
        got = step()
        rows.extend(got if isinstance(got, list) else [got])
        print(f"claims {name}: {time.perf_counter() - t:.1f} s (load {loadavg()})", file=sys.stderr)
    rows.sort(key=lambda r: r["id"])
    return {"load_average_before": load_before, "load_average_after": loadavg(),
            "cpu_count": os.cpu_count(), "isas": simdpar.available_isas(),
            "mojo": mj.status(), "claims": rows}


def markdown(res: Dict[str, Any]) -> str:
    """The results as a markdown table."""
    lines = [f"Load average before/after: {res['load_average_before']} / {res['load_average_after']}; "
             f"{res['cpu_count']} CPUs; ISAs {', '.join(res['isas'])}.", "",
             "| # | claim | source | measured here | baseline | verdict | why |",
             "|---|---|---|---|---|---|---|"]
    for r in res["claims"]:
        cells = [str(r["id"]), r["claim"], r["source"], r["measured"], r["baseline"], f"**{r['verdict']}**", r["why"]]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    """Command line: prints the table or JSON."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--json", action="store_true", help="print JSON instead of a markdown table")
    ap.add_argument("--out", metavar="FILE", help="also write the JSON to FILE")
    args = ap.parse_args(argv)
    if not mj.available():
        print(f"claims.py needs Mojo: {mj.status()}", file=sys.stderr)
        return 2
    res = measure()
    text = json.dumps(res, indent=1, default=float)
    if args.out:
        with open(args.out, "w", encoding="utf-8") as f:
            f.write(text)
    print(text if args.json else markdown(res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
