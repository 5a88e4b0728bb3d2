"""numpy parity of every kernel over dtypes, shapes, sizes and every ISA
this machine has, plus threads and in-place/out= behaviour."""

from __future__ import annotations

import numpy as np
import pytest

import simdpar
from conftest import (
    ISAS,
    assert_bitwise,
    ref_leaky,
    ref_mandelbrot,
    ref_sum,
    special_values,
    sum_error_bound,
)

SIZES = [0, 1, 3, 7, 15, 16, 17, 31, 32, 33, 63, 64, 65, 255, 256, 257, 511, 512, 513, 1000, 4095, 4096, 4097, 12_345]
SHAPES = [(), (5,), (3, 7), (2, 3, 5), (4, 1, 33)]


def data(n_or_shape, t, seed=0, special=True):
    """Random normal data with special values sprinkled in."""
    rng = np.random.default_rng(seed)
    shape = (n_or_shape,) if isinstance(n_or_shape, int) else n_or_shape
    x = np.asarray(rng.standard_normal(shape) * 10).astype(t)
    if special and x.size:
        sv = special_values(t)
        flat = x.reshape(-1)
        idx = rng.choice(flat.size, size=min(flat.size, sv.size), replace=False)
        flat[idx] = sv[: idx.size]
    return x


def elementwise_cases(x, y):
    """(name, simdpar call, numpy reference) for every elementwise kernel."""
    t = x.dtype.type
    return [
        ("add", lambda **k: simdpar.add(x, y, **k), np.add(x, y)),
        ("multiply", lambda **k: simdpar.multiply(x, y, **k), np.multiply(x, y)),
        ("square", lambda **k: simdpar.square(x, **k), x * x),
        ("scale", lambda **k: simdpar.scale(x, 0.3, **k), x * t(0.3)),
        ("leaky_relu", lambda **k: simdpar.leaky_relu(x, **k), ref_leaky(x, 0.1)),
        ("leaky_relu_alpha", lambda **k: simdpar.leaky_relu(x, alpha=0.25, **k), ref_leaky(x, 0.25)),
    ]


@pytest.mark.parametrize("n", SIZES)
def test_elementwise_sizes_bitwise(isa, dtype, n):
    """Elementwise sizes bitwise."""
    x, y = data(n, dtype, 1), data(n, dtype, 2)
    with np.errstate(all="ignore"):
        for name, call, want in elementwise_cases(x, y):
            got = call()
            assert isinstance(got, np.ndarray) and got.dtype == dtype, name
            assert_bitwise(got, want)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_elementwise_shapes(isa, dtype, shape):
    """Elementwise shapes."""
    x, y = data(shape, dtype, 3), data(shape, dtype, 4)
    with np.errstate(all="ignore"):
        for name, call, want in elementwise_cases(x, y):
            got = call()
            assert got.shape == shape, name
            assert_bitwise(got, want)


@pytest.mark.parametrize("n", SIZES)
def test_sum_bitwise_to_documented_order(isa, dtype, n):
    """Sum bitwise to documented order."""
    x = data(n, dtype, 5, special=False)
    got = simdpar.sum(x)
    assert type(got) is dtype, type(got)
    assert bits(got) == bits(ref_sum(x))
    exact = float(np.sum(x.astype(np.longdouble)))
    assert abs(float(got) - exact) <= sum_error_bound(x) + 1e-300


def bits(v):
    """The raw bits of one float scalar."""
    return np.array([v]).view(np.uint32 if np.array([v]).dtype == np.float32 else np.uint64)[0]


def test_sum_special_values(isa, dtype):
    """Sum special values."""
    assert np.isnan(simdpar.sum(np.array([1.0, np.nan], dtype=dtype)))
    assert simdpar.sum(np.array([np.inf, 1.0], dtype=dtype)) == np.inf
    assert np.isnan(simdpar.sum(np.array([np.inf, -np.inf], dtype=dtype)))
    z = simdpar.sum(np.array([], dtype=dtype))
    assert z == 0 and not np.signbit(z) and type(z) is dtype
    # -0.0 + -0.0 = -0.0 in the documented order
    assert np.signbit(simdpar.sum(np.array([-0.0, -0.0], dtype=dtype)))
    assert simdpar.sum(np.array(2.5, dtype=dtype)) == 2.5  # 0-d


@pytest.mark.parametrize("shape", [(1, 1), (3, 0), (0, 4), (5, 7), (17, 513), (64, 33), (2, 4097)], ids=str)
def test_row_sums_bitwise(isa, dtype, shape):
    """Row sums bitwise."""
    m = data(shape, dtype, 6, special=False)
    got = simdpar.row_sums(m)
    assert got.dtype == dtype and got.shape == (shape[0],)
    want = np.array([ref_sum(m[r]) for r in range(shape[0])], dtype=dtype)
    assert_bitwise(got, want)
    for r in range(shape[0]):
        assert bits(got[r]) == bits(simdpar.sum(m[r]))
    if m.size:
        np.testing.assert_allclose(got, m.astype(np.float64).sum(axis=1), rtol=1e-4 if dtype == np.float32 else 1e-12, atol=1e-3)


@pytest.mark.parametrize("case", [
    (16, 8, 50, (-2.0, 0.5), (-1.25, 1.25)),
    (37, 23, 100, (-2.0, 0.5), (-1.25, 1.25)),
    (64, 3, 256, (-0.75, -0.73), (0.1, 0.12)),
    (1, 1, 10, (0.0, 1.0), (0.0, 1.0)),
])
def test_mandelbrot_matches_definition(isa, dtype, case):
    """Mandelbrot matches definition."""
    w, h, it, xl, yl = case
    got = simdpar.mandelbrot(w, h, max_iter=it, xlim=xl, ylim=yl, dtype=dtype)
    assert got.dtype == np.uint32 and got.shape == (h, w)
    np.testing.assert_array_equal(got, ref_mandelbrot(w, h, it, xl, yl, dtype))
    assert got.max() <= it


def test_mandelbrot_defaults_and_dtype_spellings():
    """Mandelbrot defaults and dtype spellings."""
    a = simdpar.mandelbrot(24, 16)
    assert a.shape == (16, 24) and a.dtype == np.uint32
    np.testing.assert_array_equal(a, ref_mandelbrot(24, 16, 256, (-2.0, 0.5), (-1.25, 1.25), np.float64))
    b = simdpar.mandelbrot(24, 16, dtype="float32")
    np.testing.assert_array_equal(b, simdpar.mandelbrot(24, 16, dtype=np.dtype(np.float32)))
    np.testing.assert_array_equal(b, ref_mandelbrot(24, 16, 256, (-2.0, 0.5), (-1.25, 1.25), np.float32))
    # max_iter=0: every count is 0
    assert not simdpar.mandelbrot(8, 8, max_iter=0).any()


def test_every_isa_gives_the_same_bits(dtype):
    """Cross-ISA: one result per ISA, all equal (large enough to use every
    vector width, with odd tails)."""
    x, y = data(100_003, dtype, 7), data(100_003, dtype, 8)
    m = data((97, 1031), dtype, 9, special=False)
    results = {}
    with np.errstate(all="ignore"):
        for name in ISAS:
            with simdpar.use_isa(name):
                results[name] = [
                    simdpar.add(x, y), simdpar.multiply(x, y), simdpar.square(x),
                    simdpar.scale(x, -1.7), simdpar.leaky_relu(x, 0.05),
                    np.array([simdpar.sum(np.nan_to_num(x, nan=0, posinf=1, neginf=-1))]),
                    simdpar.row_sums(m),
                    simdpar.mandelbrot(61, 41, max_iter=80, dtype=dtype),
                ]
    base = results[ISAS[0]]
    for name in ISAS[1:]:
        for i, (g, w) in enumerate(zip(results[name], base)):
            if g.dtype == np.uint32:
                np.testing.assert_array_equal(g, w)
            else:
                assert_bitwise(g, w)


@pytest.mark.parametrize("threads", [None, 1, 2, 3, 8])
def test_threads_are_bitwise_identical(dtype, threads):
    """Above the parallel threshold (256 Ki elements) every thread count
    gives the single-threaded bits."""
    n = 600_011
    x, y = data(n, dtype, 10, special=False), data(n, dtype, 11, special=False)
    m = data((700, 1000), dtype, 12, special=False)
    assert bits(simdpar.sum(x, threads=threads)) == bits(simdpar.sum(x, threads=1))
    assert bits(simdpar.sum(x, threads=threads)) == bits(ref_sum(x))
    assert_bitwise(simdpar.add(x, y, threads=threads), x + y)
    assert_bitwise(simdpar.multiply(x, y, threads=threads), x * y)
    assert_bitwise(simdpar.square(x, threads=threads), x * x)
    assert_bitwise(simdpar.scale(x, 1.5, threads=threads), x * dtype(1.5))
    assert_bitwise(simdpar.leaky_relu(x, 0.2, threads=threads), ref_leaky(x, 0.2))
    assert_bitwise(simdpar.row_sums(m, threads=threads), simdpar.row_sums(m, threads=1))
    np.testing.assert_array_equal(
        simdpar.mandelbrot(300, 200, max_iter=64, dtype=dtype, threads=threads),
        simdpar.mandelbrot(300, 200, max_iter=64, dtype=dtype, threads=1),
    )


def test_out_returns_out_and_in_place(isa, dtype):
    """Out returns out and in place."""
    x, y = data(1001, dtype, 13, special=False), data(1001, dtype, 14, special=False)
    out = np.empty_like(x)
    assert simdpar.add(x, y, out=out) is out
    assert_bitwise(out, x + y)
    for op, ref in [(simdpar.add, np.add), (simdpar.multiply, np.multiply)]:
        a, b = x.copy(), y.copy()
        assert op(a, b, out=a) is a  # out is a
        assert_bitwise(a, ref(x, y))
        assert_bitwise(b, y)
        a, b = x.copy(), y.copy()
        assert op(a, b, out=b) is b  # out is b
        assert_bitwise(b, ref(x, y))
        assert_bitwise(a, x)
        a = x.copy()
        assert op(a, a, out=a) is a  # out is both
        assert_bitwise(a, ref(x, x))
    for name, call, want in [
        ("square", lambda a: simdpar.square(a, out=a), x * x),
        ("scale", lambda a: simdpar.scale(a, -3.0, out=a), x * dtype(-3.0)),
        ("leaky", lambda a: simdpar.leaky_relu(a, 0.3, out=a), ref_leaky(x, 0.3)),
    ]:
        a = x.copy()
        assert call(a) is a, name
        assert_bitwise(a, want)
    m = data((9, 11), dtype, 15, special=False)
    o = np.empty(9, dtype)
    assert simdpar.row_sums(m, out=o) is o
    assert_bitwise(o, simdpar.row_sums(m))
    # the same memory through a different array object still counts as in place
    a = x.copy()
    simdpar.add(a, y, out=a[:])
    assert_bitwise(a, x + y)


def test_non_contiguous_inputs_are_copied_once_and_untouched(dtype):
    """Non contiguous inputs are copied once and untouched."""
    base = data((40, 60), dtype, 16, special=False)
    keep = base.copy()
    views = [base[::2, ::3], base.T, base[:, 5], base[::-1]]
    for v in views:
        assert not v.flags.c_contiguous
        other = np.ascontiguousarray(v) * dtype(0.5)
        assert_bitwise(simdpar.add(v, other), v + other)
        assert_bitwise(simdpar.multiply(other, v), other * v)
        assert_bitwise(simdpar.square(v), v * v)
        assert_bitwise(simdpar.leaky_relu(v), ref_leaky(np.ascontiguousarray(v), 0.1))
        assert bits(simdpar.sum(v)) == bits(ref_sum(np.ascontiguousarray(v)))
        if v.ndim == 2:
            assert_bitwise(simdpar.row_sums(v), simdpar.row_sums(np.ascontiguousarray(v)))
    assert_bitwise(base, keep)
    # byte-swapped data is converted, values preserved
    be = data(100, dtype, 17, special=False).astype(np.dtype(dtype).newbyteorder(">"))
    got = simdpar.square(be)
    assert got.dtype == dtype
    assert_bitwise(got, be.astype(dtype) ** 2)


def test_inputs_never_modified(isa, dtype):
    """Inputs never modified."""
    x, y = data(5000, dtype, 18), data(5000, dtype, 19)
    kx, ky = x.copy(), y.copy()
    with np.errstate(all="ignore"):
        simdpar.add(x, y), simdpar.multiply(x, y), simdpar.square(x), simdpar.scale(x, 2.0)
        simdpar.leaky_relu(x), simdpar.sum(x), simdpar.row_sums(x.reshape(50, 100))
    assert_bitwise(x, kx)
    assert_bitwise(y, ky)


def test_read_only_inputs_are_fine(dtype):
    """Read only inputs are fine."""
    x = data(100, dtype, 20, special=False)
    x.flags.writeable = False
    assert_bitwise(simdpar.square(x), x * x)
    assert bits(simdpar.sum(x)) == bits(ref_sum(x))


# ---- broadcasting (add, multiply) ----------------------------------------

BROADCAST_PAIRS = [
    ((6, 33), (33,)),  # row against a matrix
    ((33,), (6, 33)),  # the row first
    ((6, 33), (6, 1)),  # column
    ((6, 1), (6, 33)),
    ((7, 1), (1, 5)),  # outer sum / product
    ((3, 1, 4), (5, 1)),  # 3-D against 2-D: (3, 5, 4)
    ((2, 3, 1, 65), (3, 4, 1)),  # 4-D with broadcasts on both sides
    ((1, 513), (300, 1)),  # runs longer than one vector, not a multiple of one
    ((4, 5), (1, 1)),  # a one-element array
    ((0, 5), (5,)),  # empty result
]
BINARY = [("add", simdpar.add, np.add), ("multiply", simdpar.multiply, np.multiply)]


@pytest.mark.parametrize("shapes", BROADCAST_PAIRS, ids=str)
@pytest.mark.parametrize("name, op, ref", BINARY, ids=[b[0] for b in BINARY])
def test_broadcast_bitwise_vs_numpy_and_explicit_copies(isa, dtype, shapes, name, op, ref):
    """Broadcast results have NumPy's shape and bits, and equal simdpar's own
    result on explicitly broadcast copies."""
    x, y = data(shapes[0], dtype, 3), data(shapes[1], dtype, 4)
    with np.errstate(all="ignore"):
        want = ref(x, y)
        got = op(x, y)
        xb, yb = (np.broadcast_to(v, want.shape).copy() for v in (x, y))
        same = op(xb, yb)
    assert got.shape == want.shape and got.dtype == dtype
    assert_bitwise(got, want)
    assert_bitwise(got, same)


@pytest.mark.parametrize("name, op, ref", BINARY, ids=[b[0] for b in BINARY])
def test_broadcast_python_scalar_keeps_the_array_dtype(isa, dtype, name, op, ref):
    """A Python float/int takes the array's dtype (float32 stays float32 as in
    NumPy 2), rounded once to it; either side; bitwise NumPy."""
    x = data((5, 77), dtype, 5)
    with np.errstate(all="ignore"):
        for s in (0.1, 3, -2.5e30, 1e300, float("inf"), float("nan"), -0.0, True):
            for got, want in ((op(x, s), ref(x, s)), (op(s, x), ref(s, x))):
                assert got.dtype == dtype == want.dtype, s
                assert_bitwise(got, want)
                if not isinstance(s, bool) and np.isfinite(dtype(s)):
                    assert_bitwise(got, ref(x, np.full_like(x, dtype(s))))


@pytest.mark.parametrize("name, op, ref", BINARY, ids=[b[0] for b in BINARY])
def test_broadcast_numpy_scalar_and_0d_array(dtype, name, op, ref):
    """A numpy scalar or 0-d array of the same dtype broadcasts; of the other
    float dtype it is a mixed-dtype TypeError (simdpar does not promote)."""
    x = data(1000, dtype, 6)
    other = np.float64 if dtype == np.float32 else np.float32
    with np.errstate(all="ignore"):
        for s in (dtype(0.7), np.array(0.7, dtype=dtype), np.array([[0.7]], dtype=dtype)):
            got = op(x, s)
            assert_bitwise(got, ref(x, s))
            assert got.dtype == dtype
        for s in (other(0.7), np.array(0.7, dtype=other)):
            with pytest.raises(TypeError, match="mixed dtypes"):
                op(x, s)
        z = op(np.array(1.5, dtype=dtype), 2.0)  # 0-d with a Python number
        assert z.shape == () and z.dtype == dtype and float(z) == float(ref(dtype(1.5), dtype(2.0)))


def test_broadcast_big_inputs_release_the_gil_and_match(dtype):
    """Big broadcasts (GIL released, many runs) match NumPy bitwise, with
    every threads setting."""
    m, row, col = data((700, 1001), dtype, 7), data(1001, dtype, 8), data((700, 1), dtype, 9)
    with np.errstate(all="ignore"):
        for threads in (None, 1, 3):
            assert_bitwise(simdpar.add(m, row, threads=threads), m + row)
            assert_bitwise(simdpar.multiply(m, col, threads=threads), m * col)
            assert_bitwise(simdpar.add(m, 0.25, threads=threads), m + dtype(0.25))
            assert_bitwise(simdpar.multiply(m, 0.25, threads=threads), m * dtype(0.25))


@pytest.mark.parametrize("name, op, ref", BINARY, ids=[b[0] for b in BINARY])
def test_broadcast_out_has_the_broadcast_shape(dtype, name, op, ref):
    """out= gets the broadcast result (and is returned); a wrong shape is a
    ValueError naming both; out= may be the full-shape operand (in place)."""
    m, row, col = data((9, 40), dtype, 10), data(40, dtype, 11), data((9, 1), dtype, 12)
    with np.errstate(all="ignore"):
        out = np.empty((9, 40), dtype)
        assert op(m, row, out=out) is out
        assert_bitwise(out, ref(m, row))
        with pytest.raises(ValueError, match=r"out has shape \(40,\), expected \(9, 40\)"):
            op(m, row, out=np.empty(40, dtype))
        with pytest.raises(ValueError, match=r"expected \(9, 40\)"):
            op(m, col, out=np.empty((9, 1), dtype))
        for other in (row, col, 1.5):
            want = ref(m, other)
            mm = m.copy()
            assert op(mm, other, out=mm) is mm
            assert_bitwise(mm, want)
            mm = m.copy()
            assert op(other, mm, out=mm) is mm
            assert_bitwise(mm, ref(other, m))


def test_broadcast_errors(dtype):
    """Incompatible shapes: ValueError with both shapes; two Python numbers,
    lists, strings: TypeError; out= of a row that is also an input is a
    partial overlap (ValueError)."""
    x = np.ones((3, 4), dtype)
    for op in (simdpar.add, simdpar.multiply):
        with pytest.raises(ValueError, match=r"\(3, 4\) and \(3,\) cannot be broadcast"):
            op(x, np.ones(3, dtype))
        with pytest.raises(TypeError, match="at least one must be a numpy array"):
            op(1.0, 2.0)
        with pytest.raises(TypeError, match="numpy.ndarray"):
            op(x, [1.0, 2.0, 3.0, 4.0])
        with pytest.raises(TypeError):
            op(x, "1.0")
        with pytest.raises(TypeError):
            op(x, 1j)
        with pytest.raises(ValueError, match="overlap"):
            op(x, x[0], out=x)


def test_module_namespace_is_the_public_api():
    """A fresh `import simdpar` shows no helper imports in dir(simdpar),
    every public name is in __all__, and every name in __all__
    exists (an attribute, or a submodule that imports)."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import importlib.util, json, simdpar\n"
        "names = dir(simdpar)\n"
        "missing = [n for n in simdpar.__all__ if not hasattr(simdpar, n)\n"
        "           and importlib.util.find_spec('simdpar.' + n) is None]\n"
        "print(json.dumps({'dir': names, 'all': simdpar.__all__, 'missing': missing}))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=dict(os.environ),
                       timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    got = json.loads(r.stdout.strip().splitlines()[-1])
    leaked = {"Any", "Tuple", "Optional", "np", "operator", "annotations"} & set(got["dir"])
    assert not leaked, f"simdpar leaks {sorted(leaked)}"
    assert got["missing"] == [], got["missing"]
    public = {n for n in got["dir"] if not n.startswith("_")}
    assert public - set(got["all"]) == set(), f"public but not in __all__: {public - set(got['all'])}"


def test_broadcast_from_many_python_threads():
    """Big broadcast calls (GIL released) from several Python threads at
    once each give NumPy's bits."""
    import threading

    rng = np.random.default_rng(13)
    m = rng.standard_normal((300, 257)).astype(np.float32)
    row, col = m[7].copy(), m[:, :1].copy()
    want = [m + row, m * col, m + np.float32(0.5), m * np.float32(0.5)]
    calls = [lambda: simdpar.add(m, row), lambda: simdpar.multiply(m, col),
             lambda: simdpar.add(m, 0.5), lambda: simdpar.multiply(m, 0.5)]
    bad = []

    def worker(k):
        for _ in range(20):
            got = calls[k % 4]()
            if not np.array_equal(bits(got), bits(want[k % 4])):
                bad.append(k)

    ts = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert not bad, bad


def test_python_ints_beyond_2_53_round_twice_on_the_way_to_float32_as_in_numpy():
    # README: a Python int becomes a float64 first (rounded once), then the
    # array's dtype (rounded again), exactly as NumPy does. 2**53 + 2**29 + 1
    # rounds to 2**53 + 2**30 in one step, but to 2**53 + 2**29 (float64),
    # then 2**53 (float32, ties to even) in two.
    v = 2**53 + 2**29 + 1
    x = np.zeros(1, np.float32)
    got = simdpar.add(x, v)[0]
    assert int(got) == 2**53 == int(np.add(x, v)[0]) == int(np.float32(float(v)))
    assert int(got) != 2**53 + 2**30  # the once-rounded value
    assert simdpar.multiply(np.ones(1, np.float32), v)[0] == got
