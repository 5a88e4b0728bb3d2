"""The AVX-512 suite: every AVX-512 kernel of simdpar, run inside the Bochs
CPU emulator, compared bit for bit with its scalar twin run natively.

    python suite.py path/to/libsimdpar_avx512_abi.so [--coverage-part FILE] [--quick]

What one *case* is: one emulated call of a `simdpar_<kernel>_<dtype>_avx512`
export plus one native call of its `_scalar` twin on the same inputs, then:

* the outputs (or the returned value) must be bitwise equal; for the
  elementwise kernels a NaN matches any NaN (the contract leaves their NaN
  sign and payload open), while a NaN sum or row sum must be the canonical
  NaN on both sides, bit for bit;
* the call must return normally: any fault fails the case, in particular a
  #PF on a guard page (a read or write past the end of a buffer), a call to
  an imported (libc) function, or a #UD (an instruction the modelled CPU
  lacks);
* the bytes around each buffer (canaries) must be unchanged, and so must
  inputs.

The sweep, per dtype (f32 and f64): lengths 0 ..= 4*16+3 and a few large
ones (block boundaries of the fixed summation order, the unrolled loops,
several summation blocks); for each length, every element offset 0..15 of
each buffer from a 64-byte boundary (the buffer then ends less than 64 bytes
before an unmapped guard page, so a whole-vector over-read faults), plus one
placement where every buffer ends exactly at its guard page (so even a
one-byte over-read faults). Inputs alternate between finite values of mixed
magnitude with signed zeros and subnormals, and the same sprinkled with NaN
and +-Inf; scalars (factor, alpha) cycle through the special values; each
kernel also gets uniform special inputs (all -0.0, all NaN, +-Inf, all
subnormal, all max). Out-of-place elementwise kernels run with every store
policy (cached, non-temporal "streaming", and one cache line per loop step
"by_line"), reductions with and without software
prefetch ahead of the loads (a prefetch past a guard page must not fault);
Mandelbrot sweeps the width 1..67 with
several heights, first rows, iteration caps and special grids.

Negative control: `simdpar_broken_sum_f32_avx512` reads past its input; the
suite checks that it returns the right sum when memory after the input is
mapped, and that it faults when the input ends at a guard page.

Exit status 0 only when every case passes and the broken kernel is caught.
The last line is `N passed, M failed`.
"""

from __future__ import annotations

import argparse
import ctypes
import json
import os
import sys
import time
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import bx  # noqa: E402
import codecheck  # noqa: E402

LANES = 16                                     # f32 lanes of a zmm register
SMALL = list(range(0, 4 * LANES + 4))          # 0 ..= 67
LARGE = [127, 128, 129, 255, 256, 257, 511, 512, 513, 1000, 1537, 4099, 16411]
SUM_EXTRA = [8192, 33000, 66000]               # many summation blocks
OFFSETS = list(range(16))
COLS_LARGE = [255, 256, 257, 511, 512, 513, 1030]
SLOT_PAGES = 136                               # 544 KiB per buffer slot (66000 f64)
CANARY = 0xA5
CANARY_BEFORE = 256                            # bytes checked before a buffer

DT = {"f32": np.float32, "f64": np.float64}
# The `streaming` argument of the out-of-place elementwise ABI functions:
# their store policy (simdpar::map::Store).
STORES = {"cached": 0, "streaming": 1, "by_line": 2}
UINT = {"f32": np.uint32, "f64": np.uint64}
CT = {"f32": ctypes.c_float, "f64": ctypes.c_double}


def specials(dt):
    f = np.finfo(dt)
    return np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, f.smallest_subnormal,
                     -f.smallest_subnormal, f.max, -f.max, f.tiny, -f.tiny, 1.0, -1.0], dtype=dt)


def scalar_params(dt):
    f = np.finfo(dt)
    return [dt(v) for v in (2.0, -1.5, 0.01, 0.5, -0.0, 0.0, np.inf, -np.inf, np.nan,
                            f.smallest_subnormal, f.max, 1e-3, -0.25)]


def finite_data(rng, dt, n):
    """Mixed magnitudes, both signs, with signed zeros and subnormals."""
    if n == 0:
        return np.zeros(0, dtype=dt)
    lim = 30 if dt == np.float32 else 200
    x = (rng.uniform(1, 2, n) * np.exp2(rng.integers(-lim, lim, n).astype(np.float64))
         * rng.choice([-1.0, 1.0], n)).astype(dt)
    f = np.finfo(dt)
    pick = rng.random(n)
    x[pick < 0.03] = dt(0.0)
    x[(pick >= 0.03) & (pick < 0.06)] = dt(-0.0)
    sub = (pick >= 0.06) & (pick < 0.10)
    x[sub] = (rng.integers(1, 1000, int(sub.sum())) * f.smallest_subnormal).astype(dt)
    return x


def special_data(rng, dt, n):
    """Finite data sprinkled with NaN, +-Inf, max and friends."""
    x = finite_data(rng, dt, n)
    if n:
        sp = specials(dt)
        pick = rng.random(n) < 0.15
        x[pick] = rng.choice(sp, int(pick.sum()))
    return x


def uniform_patterns(dt):
    f = np.finfo(dt)
    return {
        "all -0.0": dt(-0.0), "all +0.0": dt(0.0), "all NaN": dt(np.nan),
        "all +Inf": dt(np.inf), "all -Inf": dt(-np.inf),
        "all min subnormal": dt(f.smallest_subnormal), "all max": dt(f.max),
        "all -tiny": dt(-f.tiny),
    }


def same_bits(got, want, dt):
    """Bitwise equality, any NaN matching any NaN (elementwise outputs)."""
    got = np.asarray(got, dtype=dt)
    want = np.asarray(want, dtype=dt)
    u = np.uint32 if dt == np.float32 else np.uint64
    return bool(np.all((got.view(u) == want.view(u)) | (np.isnan(got) & np.isnan(want))))


# The one NaN a reduction returns (positive, quiet, payload zero).
CANONICAL_NAN_BITS = {np.float32: 0x7FC00000, np.float64: 0x7FF8000000000000}


def exact_bits(got, want, dt):
    """Bitwise equality, NaN included (reductions), and every NaN the
    canonical one."""
    got = np.asarray(got, dtype=dt)
    want = np.asarray(want, dtype=dt)
    u = np.uint32 if dt == np.float32 else np.uint64
    canonical = got.view(u)[np.isnan(got)] == CANONICAL_NAN_BITS[dt]
    return bool(np.all(got.view(u) == want.view(u)) and np.all(canonical))


def grid_type(ct):
    class G(ctypes.Structure):
        _fields_ = [("width", ctypes.c_size_t), ("height", ctypes.c_size_t),
                    ("max_iter", ctypes.c_uint32), ("xmin", ct), ("xmax", ct),
                    ("ymin", ct), ("ymax", ct)]
    return G


class Suite:
    def __init__(self, so_path, quick=False):
        self.so_path = so_path
        self.quick = quick
        self.m = bx.Machine()
        self.syms = self.m.load_elf(so_path)
        self.lib = ctypes.CDLL(so_path)
        self.slots = [self.m.slot(SLOT_PAGES) for _ in range(4)]
        self.passed = 0
        self.failed = 0
        self.failures = []
        self.per_kernel = {}
        self.case_index = 0

    # ------------------------------------------------------------ placement
    def place(self, slot, arr, off):
        """Writes `arr` into `slot` and returns its guest address.
        `off` = element offset from a 64-byte boundary (the buffer then ends
        < 64 bytes before the guard page), or None = end exactly at the guard.
        Canary bytes fill the neighbourhood, checked by `untouched`."""
        es = arr.dtype.itemsize
        nbytes = arr.size * es
        if off is None:
            start = slot.end - nbytes
        else:
            span = -(-(off * es + nbytes) // 64) * 64
            start = slot.end - span + off * es
        lo = max(slot.gva, start - CANARY_BEFORE)
        slot.mem[lo - slot.gva:] = CANARY
        if nbytes:
            slot.view(start, arr.dtype, arr.size)[:] = arr
        return start

    def untouched(self, slot, start, nbytes):
        lo = max(slot.gva, start - CANARY_BEFORE)
        before = slot.mem[lo - slot.gva:start - slot.gva]
        after = slot.mem[start + nbytes - slot.gva:]
        return bool(np.all(before == CANARY) and np.all(after == CANARY))

    def read(self, slot, start, dtype, n):
        if n == 0:
            return np.zeros(0, dtype=dtype)
        return slot.view(start, dtype, n).copy()

    # ------------------------------------------------------------ bookkeeping
    def record(self, kernel, ok, what):
        k = self.per_kernel.setdefault(kernel, [0, 0])
        if ok:
            self.passed += 1
            k[0] += 1
        else:
            self.failed += 1
            k[1] += 1
            if len(self.failures) < 60:
                self.failures.append(f"{kernel}: {what}")

    def emulate(self, name, ints, floats=()):
        return self.m.call(self.syms[name], ints, floats)

    def native(self, name, restype, argtypes, *args):
        f = getattr(self.lib, name)
        f.restype = restype
        f.argtypes = argtypes
        return f(*args)

    def placements(self):
        return [None] + OFFSETS if not self.quick else [None, 0, 1, 7, 15]

    def sizes(self, extra=()):
        return SMALL + LARGE + list(extra) if not self.quick else SMALL + [513, 4099]

    def data(self, rng, dt, n, variant):
        return finite_data(rng, dt, n) if variant % 2 == 0 else special_data(rng, dt, n)

    # ------------------------------------------------------------ kernels
    def run_sum(self, tn, ahead):
        dt = DT[tn]
        em, nat = f"simdpar_sum_{tn}_avx512", f"simdpar_sum_{tn}_scalar"
        tag = em + (" [prefetch ahead]" if ahead else "")
        rng = np.random.default_rng(1 + 100 * int(ahead))
        cases = [(n, off, self.data(rng, dt, n, i)) for n in self.sizes(SUM_EXTRA)
                 for i, off in enumerate(self.placements())]
        cases += [(n, 0, np.full(n, v, dtype=dt)) for v in uniform_patterns(dt).values()
                  for n in (1, 15, 16, 17, 67, 1000)]
        for n, off, x in cases:
            s = self.slots[0]
            a = self.place(s, x, off)
            what = f"n={n} offset={off}"
            try:
                got = bx.ret_bits(self.emulate(em, [a, n, int(ahead)]), dt)
            except bx.EmulatorFault as e:
                self.record(tag, False, f"{what}: {e}")
                continue
            want = self.native(nat, CT[tn], [ctypes.c_void_p, ctypes.c_size_t], x.ctypes.data, n)
            got_v = np.array([got], dtype=UINT[tn]).view(dt)
            ok = exact_bits(got_v, np.array([want], dtype=dt), dt)
            ok_mem = self.untouched(s, a, x.nbytes) and same_bits(self.read(s, a, dt, n), x, dt)
            self.record(tag, ok and ok_mem,
                        f"{what}: got {got_v[0]!r} want {want!r}" if not ok else f"{what}: memory around/inside the input changed")

    def run_row_sums(self, tn, ahead):
        dt = DT[tn]
        em, nat = f"simdpar_row_sums_{tn}_avx512", f"simdpar_row_sums_{tn}_scalar"
        tag = em + (" [prefetch ahead]" if ahead else "")
        rng = np.random.default_rng(2 + 100 * int(ahead))
        cols_list = SMALL + COLS_LARGE if not self.quick else SMALL + [513]
        for ci, cols in enumerate(cols_list):
            for i, off in enumerate(self.placements()):
                rows = 1 + (ci + i) % 3
                m = self.data(rng, dt, rows * cols, i)
                sm, so = self.slots[0], self.slots[1]
                am = self.place(sm, m, off)
                init = np.full(rows, dt(7.0))
                ao = self.place(so, init, None if off is None else (off * 5 + 3) % 16)
                what = f"rows={rows} cols={cols} offset={off}"
                try:
                    self.emulate(em, [am, rows, cols, ao, int(ahead)])
                except bx.EmulatorFault as e:
                    self.record(tag, False, f"{what}: {e}")
                    continue
                got = self.read(so, ao, dt, rows)
                want = init.copy()
                self.native(nat, None, [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_size_t, ctypes.c_void_p],
                            m.ctypes.data, rows, cols, want.ctypes.data)
                ok = exact_bits(got, want, dt)
                ok_mem = (self.untouched(sm, am, m.nbytes) and self.untouched(so, ao, init.nbytes)
                          and same_bits(self.read(sm, am, dt, m.size), m, dt))
                self.record(tag, ok and ok_mem, f"{what}: got {got} want {want}" if not ok
                            else f"{what}: memory around/inside a buffer changed")

    def run_map(self, tn, kernel, arity, param, inplace, store):
        """arity 1/2 inputs; param: takes a scalar (factor/alpha); inplace:
        the first input is also the output; store: a key of STORES."""
        dt = DT[tn]
        em, nat = f"simdpar_{kernel}_{tn}_avx512", f"simdpar_{kernel}_{tn}_scalar"
        tag = em + ("" if store == "cached" else f" [{store}]")
        streaming = STORES[store]
        rng = np.random.default_rng(zlib.crc32(f"{tn} {kernel} {store}".encode()))
        params = scalar_params(dt)
        cases = []
        for n in self.sizes():
            for i, off in enumerate(self.placements()):
                ins = [self.data(rng, dt, n, i + k) for k in range(arity)]
                out_off = None if off is None else (off if i % 2 else (off + 7) % 16)
                cases.append((n, off, out_off, ins))
        for v in uniform_patterns(dt).values():
            for n in (1, 17, 67):
                ins = [np.full(n, v, dtype=dt)] + [self.data(rng, dt, n, 1) for _ in range(arity - 1)]
                cases.append((n, 3, 3, ins))
        for n, off, out_off, ins in cases:
            self.case_index += 1
            p = params[self.case_index % len(params)] if param else None
            slots_in = self.slots[:arity]
            addrs = [self.place(s, x, off) for s, x in zip(slots_in, ins)]
            what = f"n={n} offset={off}" + (f" out_offset={out_off}" if not inplace else "") + \
                (f" param={p!r}" if param else "")
            so = self.slots[3]
            if not inplace:
                init = np.full(n, dt(3.0))
                ao = self.place(so, init, out_off)
            # Argument lists, as the exports take them (see tests/bochs/abi).
            fbits = [bx.f32_bits(float(p)) if tn == "f32" else bx.f64_bits(float(p))] if param else []
            if inplace:
                ints = [addrs[0]] + ([addrs[1]] if arity == 2 else []) + [n]
            else:
                ints = addrs + [ao, n, int(streaming)]
            try:
                self.emulate(em, ints, fbits)
            except bx.EmulatorFault as e:
                self.record(tag, False, f"{what}: {e}")
                continue
            # Native twin on copies.
            nat_ins = [x.copy() for x in ins]
            vp, sz, u32 = ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint32
            if inplace:
                args = [nat_ins[0].ctypes.data] + ([nat_ins[1].ctypes.data] if arity == 2 else []) + [n]
                types = [vp] * arity + [sz]
                if param:
                    args.append(p)
                    types.append(CT[tn])
                self.native(nat, None, types, *args)
                want = nat_ins[0]
                got = self.read(slots_in[0], addrs[0], dt, n)
                ok_mem = all(self.untouched(s, a, x.nbytes) for s, a, x in zip(slots_in, addrs, ins))
                if arity == 2:
                    ok_mem = ok_mem and same_bits(self.read(slots_in[1], addrs[1], dt, n), ins[1], dt)
            else:
                want = init.copy()
                args = [x.ctypes.data for x in nat_ins]
                types = [vp] * arity
                if param:
                    args.append(p)
                    types.append(CT[tn])
                args += [want.ctypes.data, n, int(streaming)]
                types += [vp, sz, u32]
                self.native(nat, None, types, *args)
                got = self.read(so, ao, dt, n)
                ok_mem = (all(self.untouched(s, a, x.nbytes) and same_bits(self.read(s, a, dt, n), x, dt)
                              for s, a, x in zip(slots_in, addrs, ins))
                          and self.untouched(so, ao, init.nbytes))
            ok = same_bits(got, want, dt)
            if not ok:
                bad = np.nonzero(~((got.view(UINT[tn]) == want.view(UINT[tn])) | (np.isnan(got) & np.isnan(want))))[0]
                i0 = int(bad[0])
                msg = f"{what}: {len(bad)} elements differ, first at {i0}: got {got[i0]!r} want {want[i0]!r}"
            else:
                msg = f"{what}: memory around/inside a buffer changed"
            self.record(tag, ok and ok_mem, msg)

    def run_mandelbrot(self, tn):
        dt = DT[tn]
        em, nat = f"simdpar_mandelbrot_{tn}_avx512", f"simdpar_mandelbrot_{tn}_scalar"
        G = grid_type(CT[tn])
        f = np.finfo(dt)
        views = [((-2.0, 0.5), (-1.25, 1.25)), ((-0.75, -0.74), (0.1, 0.11)),
                 ((-1.5, -1.0), (-0.2, 0.2)), ((0.25, 0.26), (-0.01, 0.01))]
        iters = [0, 1, 2, 17, 64, 256]
        cases = []
        widths = SMALL[1:] + ([100, 257] if not self.quick else [])
        for wi, w in enumerate(widths):
            for i, off in enumerate(self.placements()):
                h = 1 + (wi + i) % 3
                xl, yl = views[(wi + i) % len(views)]
                y0 = (wi * 7 + i) % 5
                extra = (w // 2) if (i % 4 == 3) else 0          # a partial last row, left untouched
                cases.append((w, h, iters[(wi + i) % len(iters)], xl, yl, y0, h * w + extra, off))
        sp = [((np.nan, 1.0), (-1.0, 1.0)), ((-np.inf, np.inf), (-1.0, 1.0)),
              ((-2.0, 0.5), (np.nan, np.nan)), ((-0.0, 0.0), (-0.0, 0.0)),
              ((-f.smallest_subnormal, f.smallest_subnormal), (0.0, f.tiny)),
              ((-f.max, f.max), (-f.max, f.max)), ((0.5, -2.0), (1.25, -1.25))]
        for xl, yl in sp:
            for w in (1, 16, 33, 67):
                cases.append((w, 2, 50, xl, yl, 0, 2 * w, 5))
        cases.append((37, 4, 1000, (-0.7454, -0.7452), (0.1130, 0.1132), 0, 4 * 37, 0))
        for w, h, it, xl, yl, y0, length, off in cases:
            g = G(w, h, it, dt(xl[0]), dt(xl[1]), dt(yl[0]), dt(yl[1]))
            gbytes = np.frombuffer(bytes(g), dtype=np.uint8)
            sg, so = self.slots[0], self.slots[1]
            ag = self.place(sg, gbytes, 0)
            init = np.full(length, 0xDEADBEEF, dtype=np.uint32)
            ao = self.place(so, init, off)
            what = f"width={w} height={h} max_iter={it} x={xl} y={yl} y0={y0} len={length} offset={off}"
            try:
                self.emulate(em, [ag, y0, ao, length])
            except bx.EmulatorFault as e:
                self.record(em, False, f"{what}: {e}")
                continue
            got = self.read(so, ao, np.uint32, length)
            want = init.copy()
            self.native(nat, None, [ctypes.POINTER(G), ctypes.c_size_t, ctypes.c_void_p, ctypes.c_size_t],
                        ctypes.byref(g), y0, want.ctypes.data, length)
            ok = bool(np.array_equal(got, want))
            ok_mem = self.untouched(so, ao, init.nbytes) and self.untouched(sg, ag, gbytes.nbytes)
            if not ok:
                bad = np.nonzero(got != want)[0]
                msg = f"{what}: {len(bad)} counts differ, first at {bad[0]}: got {got[bad[0]]} want {want[bad[0]]}"
            else:
                msg = f"{what}: memory around a buffer changed"
            self.record(em, ok and ok_mem, msg)

    # ------------------------------------------------------------ negative control
    def broken_kernel_caught(self):
        """The deliberately over-reading kernel must give the right sum when
        the memory after its input is mapped, and fault at the guard page."""
        name = "simdpar_broken_sum_f32_avx512"
        lines, caught_all = [], True
        for n in (0, 5, 16, 37, 64):
            x = np.arange(1, n + 1, dtype=np.float32)          # exact in any order
            s = self.slots[0]
            # Mapped room after the input: the bug goes unnoticed ...
            start = s.gva + 64
            s.mem[:] = 0
            if n:
                s.view(start, np.float32, n)[:] = x
            try:
                got = np.array([bx.ret_bits(self.emulate(name, [start, n]), np.float32)],
                               dtype=np.uint32).view(np.float32)[0]
                silent = f"returns {got} (expected {x.sum()}) with memory after the input"
            except bx.EmulatorFault as e:
                silent = f"faulted even with memory after the input: {e}"
            # ... until the input ends at a guard page.
            a = self.place(s, x, None)
            try:
                self.emulate(name, [a, n])
                caught_all = False
                lines.append(f"  NOT CAUGHT n={n}: {silent}; no fault at the guard page")
            except bx.EmulatorFault as e:
                ok = e.vector == 14 and e.addr is not None and e.addr >= s.end
                caught_all = caught_all and ok
                lines.append(f"  {'caught' if ok else 'WRONG FAULT'} n={n}: {silent}; against the guard page: {e}")
        return caught_all, lines


def write_coverage(path, cases, so_path):
    # `bochs_cases` is only ever written here, so it survives a merge with a
    # native avx512 entry (on AVX-512 hosts) that would replace verified_by.
    part = {"isas": {"avx512": {"verified_by": "bochs", "cases": cases, "bochs_cases": cases,
                                "emulator": "bochscpu-python 0.3.1",
                                "library": os.path.basename(so_path)}}}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        json.dump(part, f, indent=2)
        f.write("\n")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("so")
    ap.add_argument("--coverage-part", help="write the avx512 coverage entry (JSON) here")
    ap.add_argument("--quick", action="store_true", help="fewer offsets and sizes (development)")
    args = ap.parse_args()

    t0 = time.perf_counter()
    print(f"[avx512-bochs] static check of {args.so}:")
    code_fails, _, exports = codecheck.check(args.so)
    nexports = len(exports)

    suite = Suite(args.so, quick=args.quick)
    print(f"[avx512-bochs] {len(suite.syms)} functions loaded, {len(suite.m.gva_to_gpa)} guest pages mapped")
    for tn in ("f32", "f64"):
        for ahead in (False, True):
            suite.run_sum(tn, ahead)
            suite.run_row_sums(tn, ahead)
        for kernel, arity, param in (("add", 2, False), ("multiply", 2, False), ("square", 1, False),
                                     ("scale", 1, True), ("leaky_relu", 1, True)):
            for store in STORES:
                suite.run_map(tn, kernel, arity, param, False, store)
        for kernel, arity, param in (("add_assign", 2, False), ("multiply_assign", 2, False),
                                     ("square_inplace", 1, False), ("scale_inplace", 1, True),
                                     ("leaky_relu_inplace", 1, True)):
            suite.run_map(tn, kernel, arity, param, True, "cached")
        suite.run_mandelbrot(tn)

    print("[avx512-bochs] emulated cases per kernel (passed/failed):")
    for k, (p, f) in sorted(suite.per_kernel.items()):
        print(f"  {'ok  ' if not f else 'FAIL'} {k}: {p}/{f}")
    for line in suite.failures:
        print("  FAIL", line)

    caught, lines = suite.broken_kernel_caught()
    print("[avx512-bochs] negative control (simdpar_broken_sum_f32_avx512 reads past its input):")
    print("\n".join(lines))

    kernels = {k.split(" ")[0] for k in suite.per_kernel}
    missing = sorted(set(exports) - kernels)
    ok = suite.failed == 0 and caught and not code_fails and not missing
    if missing:
        print(f"[avx512-bochs] FAIL: AVX-512 exports the suite never ran: {', '.join(missing)}")
    for fmsg in code_fails:
        print("[avx512-bochs] FAIL static check:", fmsg)
    if not caught:
        print("[avx512-bochs] FAIL: the broken kernel was not caught")
    print(f"[avx512-bochs] {suite.m.calls} emulated calls, {suite.m.elapsed:.1f} s inside Bochs, "
          f"{time.perf_counter() - t0:.1f} s in all")
    if ok and args.coverage_part:
        write_coverage(args.coverage_part, suite.passed, args.so)
        print(f"[avx512-bochs] coverage: avx512 verified_by bochs, cases {suite.passed} -> {args.coverage_part}")
    # Static checks and the negative control count as cases too.
    extra_pass = (nexports + 1 - len(code_fails)) + (1 if caught else 0)
    extra_fail = len(code_fails) + (0 if caught else 1) + len(missing)
    print(f"{suite.passed + extra_pass} passed, {suite.failed + extra_fail} failed")
    sys.stdout.flush()
    # The binding objects abort in their destructors at interpreter exit.
    os._exit(0 if ok else 1)


if __name__ == "__main__":
    try:
        main()
    except BaseException:                       # noqa: BLE001 - report, then exit without teardown
        import traceback
        traceback.print_exc()
        print("0 passed, 1 failed")
        sys.stdout.flush()
        os._exit(2)
