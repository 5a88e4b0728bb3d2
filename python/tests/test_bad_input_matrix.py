"""The bad-input matrix: whatever a user passes, simdpar returns the right
answer or raises a clear exception; it never crashes, and never modifies an
input (or an ``out`` it refused).

Classes: every numpy dtype, 0-d arrays, empty arrays, sizes whose byte count
cannot be allocated, negative strides, Fortran order, unaligned and
byte-swapped data, read-only and non-writeable ``out``, object arrays and
non-arrays, ``out`` aliasing an input (exactly or partially), wrong
parameter types, NaN and Inf parameters (factor, alpha, xlim, ylim), and
array subclasses (masked arrays refused; np.matrix and memmaps read as their
base arrays).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from numpy.lib.stride_tricks import as_strided

import simdpar
from conftest import assert_bitwise, bits, ref_leaky, ref_mandelbrot, ref_sum

FLOATS = [np.float32, np.float64]

# ---------------------------------------------------------------------------
# helpers


def snapshot(*arrays):
    """Byte copies of arrays (object arrays: element lists), to prove that
    a call changed none of them."""
    out = []
    for a in arrays:
        if isinstance(a, np.ndarray):
            out.append((a, a.tolist() if a.dtype == object else a.tobytes(), a.shape, a.strides))
    return out


def unchanged(snap):
    for a, data, shape, strides in snap:
        assert a.shape == shape and a.strides == strides
        now = a.tolist() if a.dtype == object else a.tobytes()
        assert now == data, "an input (or a refused out) was modified"


def values(n, t, seed=0):
    """Random values with the special ones mixed in."""
    rng = np.random.default_rng(seed)
    x = (rng.standard_normal(n) * 3).astype(t)
    if n >= 8:
        fi = np.finfo(t)
        sp = np.array([np.nan, np.inf, -np.inf, -0.0, fi.tiny / 2, fi.max, -1.0], dtype=t)
        idx = np.arange(0, n, max(1, n // 7))[: len(sp)]
        x[idx] = sp[: len(idx)]
    return x


def expect(name, x, y=None, p=None):
    """numpy's answer for kernel `name` (the contract's expressions)."""
    t = x.dtype.type
    with np.errstate(all="ignore"):
        if name == "sum":
            return ref_sum(x)
        if name == "row_sums":
            return np.array([ref_sum(r) for r in x], dtype=t).reshape(x.shape[0])
        if name == "add":
            return (x + y).astype(t)
        if name == "multiply":
            return (x * y).astype(t)
        if name == "square":
            return (x * x).astype(t)
        if name == "scale":
            return (x * t(p)).astype(t)
        if name == "leaky_relu":
            return ref_leaky(x, p)
    raise AssertionError(name)


def call(name, x, y=None, p=None, **kw):
    f = getattr(simdpar, name)
    if name in ("add", "multiply"):
        return f(x, y, **kw)
    if name == "scale":
        return f(x, p, **kw)
    if name == "leaky_relu":
        return f(x, alpha=p, **kw)
    return f(x, **kw)


ELEMENTWISE = ["add", "multiply", "square", "scale", "leaky_relu"]
ALL = ["sum", "row_sums"] + ELEMENTWISE


def all_numpy_dtypes():
    """Every numpy scalar type, plus strings, bytes, void, structured,
    datetime/timedelta and byte-swapped floats."""
    seen, out = set(), []
    for t in sorted({v for v in np.sctypeDict.values()}, key=lambda t: t.__name__):
        d = np.dtype(t)
        if d.str in seen:
            continue
        seen.add(d.str)
        out.append(d)
    for extra in ["U3", "S3", "V8", "M8[s]", "m8[ms]", "<f4", ">f4", ">f8", [("a", "f4"), ("b", "f4")]]:
        d = np.dtype(extra)
        if d.str not in seen or extra in (">f4", ">f8"):
            seen.add(d.str)
            out.append(d)
    return out


DTYPES = all_numpy_dtypes()


def make(dtype, shape):
    """An array of `dtype` with `shape` holding small values."""
    n = int(np.prod(shape))
    if dtype.kind == "V" and dtype.names:
        a = np.zeros(n, dtype=dtype)
    elif dtype.kind == "V":
        a = np.zeros(n, dtype=dtype)
    elif dtype.kind in "US":
        a = np.array([str(i % 10) for i in range(n)], dtype=dtype)
    elif dtype.kind in "Mm":
        a = np.arange(n).astype(dtype)
    elif dtype.kind == "O":
        a = np.array([float(i) for i in range(n)] + [None], dtype=object)[:n]
    elif dtype.kind == "b":
        a = (np.arange(n) % 2).astype(dtype)
    else:
        a = (np.arange(n) % 5).astype(dtype)
    return a.reshape(shape)


# ---------------------------------------------------------------------------
# every numpy dtype


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.str if not d.names else "structured")
@pytest.mark.parametrize("name", ALL)
def test_every_numpy_dtype(name, dtype):
    shape = (3, 4)
    x = make(dtype, shape) if name == "row_sums" else make(dtype, (12,))
    y = make(dtype, x.shape)
    snap = snapshot(x, y)
    native_float = dtype.kind == "f" and dtype.itemsize in (4, 8)
    if native_float:
        got = call(name, x, y, 0.25)
        xn = x.astype(dtype.newbyteorder("="))
        yn = y.astype(dtype.newbyteorder("="))
        want = expect(name, xn, yn, 0.25)
        assert_bitwise(np.asarray(got), np.asarray(want))
    else:
        with pytest.raises(TypeError) as e:
            call(name, x, y, 0.25)
        msg = str(e.value)
        assert "float32" in msg and "float64" in msg, msg
    unchanged(snap)


@pytest.mark.parametrize("dtype", DTYPES, ids=lambda d: d.str if not d.names else "structured")
def test_every_numpy_dtype_as_out(dtype):
    x = values(12, np.float32)
    out = make(dtype, (12,))
    snap = snapshot(x, out)
    if dtype == np.dtype(np.float32):
        simdpar.square(x, out=out)
        assert_bitwise(out, expect("square", x))
        return
    with pytest.raises((TypeError, ValueError)):
        simdpar.square(x, out=out)
    unchanged(snap)


@pytest.mark.parametrize("t", FLOATS)
def test_mixed_float_dtypes_are_refused(t):
    other = np.float64 if t == np.float32 else np.float32
    a, b = values(10, t), values(10, other)
    snap = snapshot(a, b)
    for name in ["add", "multiply"]:
        with pytest.raises(TypeError, match="float"):
            call(name, a, b)
    with pytest.raises((TypeError, ValueError)):
        simdpar.add(a, a, out=np.zeros(10, other))
    unchanged(snap)


# ---------------------------------------------------------------------------
# 0-d and empty


@pytest.mark.parametrize("t", FLOATS)
@pytest.mark.parametrize("name", ALL)
def test_zero_d_arrays(name, t):
    x = np.array(1.5, dtype=t)
    y = np.array(-2.0, dtype=t)
    snap = snapshot(x, y)
    if name == "row_sums":
        with pytest.raises(ValueError, match="2-D"):
            simdpar.row_sums(x)
    else:
        got = call(name, x, y, 0.5)
        want = expect(name, x.reshape(1), y.reshape(1), 0.5)
        assert np.asarray(got).dtype == t
        assert bits(np.asarray(got).reshape(-1)).tolist() == bits(np.asarray(want).reshape(-1)).tolist()
        if name != "sum":
            assert np.asarray(got).shape == ()
    unchanged(snap)


@pytest.mark.parametrize("t", FLOATS)
@pytest.mark.parametrize("name", ALL)
def test_numpy_scalars_and_non_arrays_are_type_errors(name, t):
    for bad in [t(1.5), 1.5, [1.0, 2.0], (1.0,), None, "1.0", b"\0\0\0\0", memoryview(b"\0" * 8), {1: 2}]:
        if name == "row_sums" and isinstance(bad, list):
            bad = [[1.0, 2.0]]
        with pytest.raises(TypeError):
            call(name, bad, bad, 0.5)


@pytest.mark.parametrize("t", FLOATS)
@pytest.mark.parametrize("shape", [(0,), (0, 3), (3, 0), (0, 0), (2, 0, 4)])
@pytest.mark.parametrize("name", ALL)
def test_empty_arrays(name, shape, t):
    x = np.zeros(shape, dtype=t)
    if name == "row_sums" and len(shape) != 2:
        with pytest.raises(ValueError):
            simdpar.row_sums(x)
        return
    got = np.asarray(call(name, x, x, 2.0))
    want = np.asarray(expect(name, x, x, 2.0))
    assert_bitwise(got.reshape(-1), want.reshape(-1))
    if name in ELEMENTWISE:
        assert got.shape == shape


@pytest.mark.parametrize("size", [(0, 5), (5, 0), (0, 0), (-1, 5), (5, -3)])
def test_empty_or_negative_mandelbrot_is_a_value_error(size):
    with pytest.raises(ValueError, match="width and height"):
        simdpar.mandelbrot(*size)


# ---------------------------------------------------------------------------
# sizes whose byte count cannot be allocated (never a crash or an abort)


def huge(t, shape):
    return as_strided(np.zeros(1, dtype=t), shape=shape, strides=(0,) * len(shape))


@pytest.mark.parametrize(
    "case",
    [
        lambda: simdpar.sum(huge(np.float64, (2**59,))),
        lambda: simdpar.square(huge(np.float64, (2**59,))),
        lambda: simdpar.add(huge(np.float32, (2**60,)), huge(np.float32, (2**60,))),
        lambda: simdpar.scale(huge(np.float32, (2**40, 2**20)), 2.0),
        lambda: simdpar.row_sums(huge(np.float32, (2**31, 2**29))),
        lambda: simdpar.leaky_relu(huge(np.float64, (2**59,)), 0.1),
        lambda: simdpar.mandelbrot(2**30, 2**30),
        lambda: simdpar.mandelbrot(2**20, 2**20, dtype=np.float32),
        lambda: simdpar.mandelbrot(2**31, 2**31),
        lambda: simdpar.mandelbrot(2**62, 8),
        lambda: simdpar.mandelbrot(2**70, 2),
        lambda: simdpar.mandelbrot(8, 2**64),
    ],
    ids=[
        "sum-4EiB", "square-4EiB", "add-4EiB", "scale-4TiB-2d", "row_sums-4EiB", "leaky-4EiB",
        "mandel-2^60px", "mandel-2^40px", "mandel-2^62px", "mandel-2^65px", "mandel-w2^70", "mandel-h2^64",
    ],
)
def test_sizes_whose_byte_count_cannot_be_allocated(case):
    with pytest.raises((MemoryError, ValueError, OverflowError)) as e:
        case()
    assert str(e.value)


# ---------------------------------------------------------------------------
# layouts: negative strides, Fortran order, steps, unaligned, byte-swapped


def layouts(t):
    """(label, array) pairs of 24 values in unusual memory layouts."""
    base = values(48, t, seed=3)
    m = values(24, t, seed=4).reshape(4, 6)
    raw = np.zeros(24 * np.dtype(t).itemsize + 1, dtype=np.uint8)
    unaligned = np.frombuffer(raw.data, dtype=t, count=24, offset=1)
    assert not unaligned.flags.aligned
    return [
        ("reversed", base[:24][::-1]),
        ("step-2", base[::2]),
        ("step-minus-2", base[::-2]),
        ("fortran-2d", np.asfortranarray(m)),
        ("transposed", m.T),
        ("reversed-2d", m[::-1, ::-1]),
        ("unaligned", unaligned),
        ("byteswapped", base[:24].astype(np.dtype(t).newbyteorder(">"))),
        ("broadcast", np.broadcast_to(base[:6], (4, 6))),
    ]


@pytest.mark.parametrize("t", FLOATS)
@pytest.mark.parametrize("name", ALL)
def test_unusual_layouts_give_the_contract_answer(isa, name, t):
    for label, x in layouts(t):
        y = x[::-1].copy() if x.ndim == 1 else x[::-1]
        snap = snapshot(x, y)
        xn = np.ascontiguousarray(x, dtype=np.dtype(t).newbyteorder("="))
        yn = np.ascontiguousarray(y, dtype=np.dtype(t).newbyteorder("="))
        if name == "row_sums" and x.ndim != 2:
            continue  # the 2-D layouts cover row_sums
        got = np.asarray(call(name, x, y, 0.75))
        want = np.asarray(expect(name, xn, yn, 0.75))
        try:
            assert_bitwise(got, want)
        except AssertionError as e:
            raise AssertionError(f"{label}: {e}") from None
        unchanged(snap)


@pytest.mark.parametrize("t", FLOATS)
def test_out_in_unusual_layouts_is_refused_untouched(t):
    x = values(24, t).reshape(4, 6)
    buf = np.full(48, 7.0, dtype=t)
    outs = [
        ("reversed", np.full(24, 7.0, dtype=t)[::-1].reshape(4, 6)),
        ("step-2", buf.reshape(8, 6)[::2]),
        ("fortran", np.asfortranarray(np.full((4, 6), 7.0, dtype=t))),
        ("byteswapped", np.full((4, 6), 7.0, dtype=np.dtype(t).newbyteorder(">"))),
        ("wrong-shape", np.full((6, 4), 7.0, dtype=t)),
        ("too-small", np.full((4, 5), 7.0, dtype=t)),
        ("flat", np.full(24, 7.0, dtype=t)),
    ]
    for label, out in outs:
        snap = snapshot(x, out)
        with pytest.raises((ValueError, TypeError)) as e:
            simdpar.square(x, out=out)
        assert str(e.value), label
        unchanged(snap)


# ---------------------------------------------------------------------------
# read-only and non-writeable out; out aliasing


@pytest.mark.parametrize("t", FLOATS)
@pytest.mark.parametrize("name", ELEMENTWISE)
def test_read_only_and_non_writeable_out(name, t):
    x = values(16, t)
    ro = np.zeros(16, dtype=t)
    ro.flags.writeable = False
    frozen_bytes = np.frombuffer(bytes(16 * np.dtype(t).itemsize), dtype=t)
    bcast = np.broadcast_to(np.zeros(1, dtype=t), (16,))
    # A writeable view of a read-only base cannot be made writeable again.
    for label, out in [("flag", ro), ("frombuffer-bytes", frozen_bytes), ("broadcast_to", bcast)]:
        assert not out.flags.writeable
        snap = snapshot(x, out)
        with pytest.raises(ValueError, match="read-only|writeable") as e:
            call(name, x, x, 2.0, out=out)
        assert str(e.value), label
        unchanged(snap)


@pytest.mark.parametrize("t", FLOATS)
def test_read_only_inputs_are_fine(t):
    x = values(16, t)
    x.flags.writeable = False
    y = np.frombuffer(values(16, t).tobytes(), dtype=t)
    for name in ALL:
        xx, yy = (x.reshape(4, 4), y.reshape(4, 4)) if name == "row_sums" else (x, y)
        assert_bitwise(np.asarray(call(name, xx, yy, 3.0)), np.asarray(expect(name, xx, yy, 3.0)))


@pytest.mark.parametrize("t", FLOATS)
def test_out_aliasing(isa, t):
    a0, b0 = values(40, t, 1), values(40, t, 2)
    # Exactly an input: in place, the right answer.
    for name in ELEMENTWISE:
        a, b = a0.copy(), b0.copy()
        want = expect(name, a0, b0, 0.5)
        r = call(name, a, b, 0.5, out=a)
        assert r is a or np.shares_memory(r, a)
        assert_bitwise(a, want)
        if name in ("add", "multiply"):
            a, b = a0.copy(), b0.copy()
            call(name, a, b, 0.5, out=b)
            assert_bitwise(b, want)
            a = a0.copy()
            call(name, a, a, 0.5, out=a)
            assert_bitwise(a, expect(name, a0, a0, 0.5))
    # Another view of exactly the same memory: allowed (same bytes) or refused.
    for name in ELEMENTWISE:
        a, b = a0.copy(), b0.copy()
        view = a.view()
        try:
            call(name, a, b, 0.5, out=view)
        except ValueError:
            assert_bitwise(a, a0)
        else:
            assert_bitwise(a, expect(name, a0, b0, 0.5))
    # Partial overlap: refused, nothing written.
    for name in ELEMENTWISE:
        for lo, hi in [(1, 0), (0, 1), (5, 3)]:
            buf = np.concatenate([a0, a0[:8]])
            before = buf.copy()
            x = buf[lo : lo + 30]
            out = buf[hi : hi + 30]
            other = b0[:30].copy()
            with pytest.raises(ValueError, match="overlap"):
                call(name, x, other, 0.5, out=out)
            assert_bitwise(buf, before)
            if name in ("add", "multiply"):
                with pytest.raises(ValueError, match="overlap"):
                    call(name, other, x, 0.5, out=out)
                assert_bitwise(buf, before)


# ---------------------------------------------------------------------------
# wrong parameter types


@pytest.mark.parametrize("t", FLOATS)
def test_wrong_parameter_types(t):
    x = values(8, t)
    snap = snapshot(x)
    for bad in ["2", None, [1.0], (1.0,), 1j, np.array([1.0, 2.0]), object(), b"1"]:
        with pytest.raises(TypeError):
            simdpar.scale(x, bad)
        with pytest.raises(TypeError):
            simdpar.leaky_relu(x, alpha=bad)
    # Numbers of every kind are fine and equal their float value.
    for ok in [2, True, np.float32(2.0), np.float64(2.0), np.int64(2), np.array(2.0)]:
        assert_bitwise(simdpar.scale(x, ok), expect("scale", x, p=float(ok)))
    for bad in ["2", 1.5, [2], object()]:
        with pytest.raises(TypeError):
            simdpar.sum(x, threads=bad)
        with pytest.raises(TypeError):
            simdpar.square(x, threads=bad)
    for bad in [0, -1, -(2**40)]:
        with pytest.raises(ValueError, match="threads"):
            simdpar.sum(x, threads=bad)
    with pytest.raises((ValueError, OverflowError)):
        simdpar.sum(x, threads=2**70)
    for bad in [1.5, "4", None, [4]]:
        with pytest.raises(TypeError):
            simdpar.mandelbrot(bad, 4)
        with pytest.raises(TypeError):
            simdpar.mandelbrot(4, 4, max_iter=bad)
    for bad in [-1, 2**32, 2**64]:
        with pytest.raises((ValueError, OverflowError)):
            simdpar.mandelbrot(4, 4, max_iter=bad)
    for bad in [(1.0,), None, 5, "ab", ("a", "b"), (1j, 2.0)]:
        with pytest.raises((TypeError, ValueError, IndexError)):
            simdpar.mandelbrot(4, 4, xlim=bad)
        with pytest.raises((TypeError, ValueError, IndexError)):
            simdpar.mandelbrot(4, 4, ylim=bad)
    for bad in [np.int32, np.float16, np.complex64, "int8", object]:
        with pytest.raises(TypeError, match="float32|float64"):
            simdpar.mandelbrot(4, 4, dtype=bad)
    with pytest.raises(TypeError):
        simdpar.sum(x, 1, 2)
    with pytest.raises(TypeError):
        simdpar.sum(x, nonsense=1)
    with pytest.raises(TypeError):
        simdpar.add(x)
    with pytest.raises((TypeError, ValueError)):
        simdpar.use_isa(3)
    with pytest.raises(TypeError):
        simdpar.set_isa(3)
    simdpar.set_isa(None)  # documented: clears the process default
    with pytest.raises(simdpar.IsaError, match="available"):
        simdpar.set_isa("avx9000")
    with pytest.raises(simdpar.IsaError, match="available"):
        with simdpar.use_isa("no-such-isa"):
            pass
    unchanged(snap)


# ---------------------------------------------------------------------------
# NaN and Inf parameters


def special_params(t):
    fi = np.finfo(t)
    return [float("nan"), float("inf"), float("-inf"), -0.0, 0.0, float(fi.tiny) / 4,
            float(fi.max), -float(fi.max), 1e300, -1e-320]


@pytest.mark.parametrize("t", FLOATS)
def test_nan_and_inf_factor_and_alpha(isa, t):
    x = values(67, t, 9)
    snap = snapshot(x)
    for p in special_params(t):
        with np.errstate(all="ignore"):
            assert_bitwise(simdpar.scale(x, p), expect("scale", x, p=p))
            assert_bitwise(simdpar.leaky_relu(x, alpha=p), expect("leaky_relu", x, p=p))
    unchanged(snap)


@pytest.mark.parametrize("t", FLOATS)
def test_nan_and_inf_mandelbrot_limits(isa, t):
    specials = [float("nan"), float("inf"), float("-inf"), 1e300, -1e-320, 0.0]
    cases = [((a, 0.5), (-1.0, 1.0)) for a in specials]
    cases += [((-2.0, 0.5), (b, 1.25)) for b in specials]
    cases += [((float("nan"), float("nan")), (float("inf"), float("-inf"))), ((1.0, 1.0), (2.0, 2.0))]
    for xlim, ylim in cases:
        got = simdpar.mandelbrot(9, 5, max_iter=40, xlim=xlim, ylim=ylim, dtype=t)
        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            want = ref_mandelbrot(9, 5, 40, xlim, ylim, t)
        assert got.dtype == np.uint32 and got.shape == (5, 9)
        assert (got == want).all(), (xlim, ylim, got, want)
        assert (got <= 40).all()


# ---------------------------------------------------------------------------
# array subclasses: masked arrays refused, np.matrix and memmaps as their base


@pytest.mark.parametrize("t", FLOATS)
@pytest.mark.parametrize("name", ALL)
def test_masked_arrays_are_refused_with_the_fix(name, t):
    """A MaskedArray anywhere (either operand, out=) is a TypeError that names
    .filled() and .compressed(): the kernels would ignore the mask."""
    shape = (2, 3)
    data = values(6, t).reshape(shape)
    m = np.ma.array(data, mask=np.arange(6).reshape(shape) % 2 == 0)
    plain = data.copy()
    snap = snapshot(data, plain)
    with pytest.raises(TypeError, match=r"MaskedArray.*\.filled\(.*\.compressed\(\)"):
        call(name, m, plain, 0.5)
    if name in ("add", "multiply"):
        with pytest.raises(TypeError, match="MaskedArray"):
            call(name, plain, m)
        with pytest.raises(TypeError, match="MaskedArray"):
            call(name, plain, m[0])  # a masked row to broadcast
        with pytest.raises(TypeError, match="MaskedArray"):
            call(name, m, 2.0)  # against a Python number
    if name in ELEMENTWISE:
        out = np.ma.array(np.zeros(shape, t), mask=False)
        with pytest.raises(TypeError, match="MaskedArray"):
            call(name, plain, plain, 0.5, out=out)
    # the suggested fix works
    got = call(name, m.filled(0), plain, 0.5)
    assert np.asarray(got).dtype == t
    unchanged(snap)


def test_masked_sum_no_longer_silently_wrong():
    """The reported case: sum of [1, 2] with 2 masked was 3.0 (NumPy: 1.0)."""
    x = np.ma.array([1.0, 2.0], mask=[0, 1])
    with pytest.raises(TypeError, match="compressed"):
        simdpar.sum(x)
    assert simdpar.sum(x.compressed()) == 1.0


@pytest.mark.parametrize("t", FLOATS)
def test_matrix_and_memmap_work_as_their_base_arrays(tmp_path, t):
    """np.matrix and np.memmap inputs give the base array's answers."""
    base = values(12, t).reshape(3, 4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PendingDeprecationWarning)  # numpy discourages np.matrix
        mat = np.matrix(base)
    mm = np.memmap(tmp_path / "x.bin", dtype=t, mode="w+", shape=(3, 4))
    mm[:] = base
    for sub in (mat, mm):
        assert bits(np.asarray(simdpar.sum(sub)).reshape(1)).tolist() == bits(np.asarray(ref_sum(base)).reshape(1)).tolist()
        assert_bitwise(np.asarray(simdpar.row_sums(sub)), expect("row_sums", base))
        assert_bitwise(np.asarray(simdpar.add(sub, base)), expect("add", base, base))
        assert_bitwise(np.asarray(simdpar.multiply(sub, base[0])), np.multiply(base, base[0]))
        assert_bitwise(np.asarray(simdpar.square(sub)), expect("square", base))
        assert_bitwise(np.asarray(simdpar.scale(sub, 0.5)), expect("scale", base, p=0.5))
        assert_bitwise(np.asarray(simdpar.leaky_relu(sub, 0.5)), expect("leaky_relu", base, p=0.5))
    out = np.memmap(tmp_path / "o.bin", dtype=t, mode="w+", shape=(3, 4))
    assert simdpar.add(base, 1.0, out=out) is out
    assert_bitwise(np.asarray(out), np.add(base, t(1.0)))


def test_masked_arrays_are_refused_as_raw_pointers_too():
    """The pointer check behind simdpar.mojo's lib.declare refuses a masked
    array (the compiled function would read the masked values)."""
    from simdpar import _simdpar

    m = np.ma.array(np.zeros(4, np.float32), mask=[0, 1, 0, 0])
    with pytest.raises(TypeError, match="MaskedArray"):
        _simdpar.array_address(m, np.dtype(np.float32).num, False)
    assert _simdpar.array_address(m.filled(0), np.dtype(np.float32).num, False) > 0
