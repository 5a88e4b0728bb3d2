"""The bad-input matrix: every bad argument raises the documented Python
exception with a useful message, never a crash, and writes nothing."""

from __future__ import annotations

import numpy as np
import pytest

import simdpar

F32 = np.arange(12, dtype=np.float32)
F64 = np.arange(12, dtype=np.float64)

BINARY = [simdpar.add, simdpar.multiply]
UNARY = [
    lambda x, **k: simdpar.square(x, **k),
    lambda x, **k: simdpar.scale(x, 2.0, **k),
    lambda x, **k: simdpar.leaky_relu(x, **k),
]
ALL_ONE_INPUT = UNARY + [lambda x, **k: simdpar.sum(x, **k)]


@pytest.mark.parametrize("bad", [np.int64, np.int32, np.float16, np.complex64, np.bool_, np.uint8, object])
def test_other_dtypes_are_type_errors_naming_float32_float64(bad):
    """Other dtypes are type errors naming float32 float64."""
    x = np.ones(8, dtype=bad)
    for f in ALL_ONE_INPUT:
        with pytest.raises(TypeError, match="float32 or float64"):
            f(x)
    for f in BINARY:
        with pytest.raises(TypeError, match="float32 or float64"):
            f(x, x)
    with pytest.raises(TypeError, match="float32 or float64"):
        simdpar.row_sums(x.reshape(2, 4))


@pytest.mark.parametrize("bad", [[1.0, 2.0], 3.0, "abc", None])
def test_non_arrays_are_type_errors(bad):
    """Non arrays are type errors (add/multiply take a Python number as a
    broadcast scalar: see test_kernels.py)."""
    with pytest.raises(TypeError, match="numpy.ndarray"):
        simdpar.sum(bad)
    if isinstance(bad, float):
        return
    with pytest.raises(TypeError, match="numpy.ndarray"):
        simdpar.add(bad, F32)
    with pytest.raises(TypeError, match="numpy.ndarray"):
        simdpar.add(F32, bad)


def test_mixed_dtypes_are_type_errors():
    """Mixed dtypes are type errors."""
    for f in BINARY:
        with pytest.raises(TypeError, match="mixed dtypes"):
            f(F32, F64)
        with pytest.raises(TypeError, match="mixed dtypes"):
            f(F64, F32)


def test_shapes_that_do_not_broadcast_are_value_errors():
    """Shapes NumPy cannot broadcast are a ValueError naming both shapes."""
    for f in BINARY:
        with pytest.raises(ValueError, match=r"\(12,\) and \(5,\) cannot be broadcast"):
            f(F32, F32[:5])
        with pytest.raises(ValueError, match=r"\(3, 4\) and \(4, 3\) cannot be broadcast"):
            f(F32.reshape(3, 4), F32.reshape(4, 3))
        with pytest.raises(ValueError, match="cannot be broadcast"):
            f(F32.reshape(3, 4), F32[:3])


@pytest.mark.parametrize("shape", [(12,), (2, 3, 2), ()])
def test_row_sums_needs_2d(shape):
    """Row sums needs 2d."""
    with pytest.raises(ValueError, match="2-D"):
        simdpar.row_sums(np.ones(shape, np.float32))


def _outs(dt, shape):
    """Bad `out=` arrays for inputs of dtype dt and shape shape: (array, exception, message)."""
    ro = np.zeros(shape, dt)
    ro.flags.writeable = False
    nc = np.zeros(shape + (2,), dt)[..., 0]
    return {
        "read-only": (ro, ValueError, "read-only"),
        "non-contiguous": (nc, ValueError, "C-contiguous"),
        "wrong shape": (np.zeros((shape[0] + 1,), dt), ValueError, "shape"),
        "wrong ndim": (np.zeros(shape + (1,), dt), ValueError, "shape"),
        "wrong dtype": (np.zeros(shape, np.float64 if dt == np.float32 else np.float32), TypeError, "dtype"),
        "int dtype": (np.zeros(shape, np.int32), TypeError, "dtype"),
        "not an array": ([0.0] * shape[0], TypeError, "ndarray"),
    }


@pytest.mark.parametrize("case", list(_outs(np.float32, (12,))))
def test_bad_out(case):
    """Bad out."""
    out, exc, msg = _outs(np.float32, (12,))[case]
    keep = np.array(out, copy=True) if isinstance(out, np.ndarray) else None
    for f in BINARY:
        with pytest.raises(exc, match=msg):
            f(F32, F32, out=out)
    for f in UNARY:
        with pytest.raises(exc, match=msg):
            f(F32, out=out)
    if keep is not None:
        np.testing.assert_array_equal(out, keep)  # nothing written
    m = F32.reshape(12, 1)
    with pytest.raises(exc, match=msg):
        simdpar.row_sums(m, out=out)


def test_partial_overlap_is_value_error_and_writes_nothing():
    """Partial overlap is value error and writes nothing."""
    buf = np.arange(20, dtype=np.float32)
    keep = buf.copy()
    a, out = buf[0:10], buf[5:15]
    b = np.ones(10, np.float32)
    for f in BINARY:
        with pytest.raises(ValueError, match="overlap"):
            f(a, b, out=out)
        with pytest.raises(ValueError, match="overlap"):
            f(b, a, out=out)
    for f in UNARY:
        with pytest.raises(ValueError, match="overlap"):
            f(a, out=out)
    # a strided input whose elements interleave with out
    strided = buf[0:20:2]
    with pytest.raises(ValueError, match="overlap"):
        simdpar.square(strided, out=buf[1:11])
    # off by one element: overlap, not in place
    with pytest.raises(ValueError, match="overlap"):
        simdpar.add(buf[1:11], b, out=buf[0:10])
    m = buf.reshape(4, 5)
    with pytest.raises(ValueError, match="overlaps"):
        simdpar.row_sums(m, out=buf[:4])
    np.testing.assert_array_equal(buf, keep)
    # adjacent but disjoint is fine
    simdpar.add(buf[0:10], b, out=buf[10:20])
    np.testing.assert_array_equal(buf[10:20], keep[0:10] + 1)


@pytest.mark.parametrize("bad", [0, -1, -8])
def test_threads_zero_or_negative_is_value_error(bad):
    """Threads zero or negative is value error."""
    with pytest.raises(ValueError, match="threads"):
        simdpar.sum(F32, threads=bad)
    for f in BINARY:
        with pytest.raises(ValueError, match="threads"):
            f(F32, F32, threads=bad)
    for f in UNARY:
        with pytest.raises(ValueError, match="threads"):
            f(F32, threads=bad)
    with pytest.raises(ValueError, match="threads"):
        simdpar.row_sums(F32.reshape(3, 4), threads=bad)
    with pytest.raises(ValueError, match="threads"):
        simdpar.mandelbrot(4, 4, threads=bad)


def test_threads_wrong_type_is_type_error():
    """Threads wrong type is type error."""
    with pytest.raises(TypeError):
        simdpar.sum(F32, threads=1.5)
    with pytest.raises(TypeError):
        simdpar.add(F32, F32, threads="2")


def test_mandelbrot_bad_arguments():
    """Mandelbrot bad arguments."""
    for w, h in [(0, 4), (4, 0), (-1, 4), (4, -3)]:
        with pytest.raises(ValueError, match="width and height"):
            simdpar.mandelbrot(w, h)
    with pytest.raises(ValueError, match="max_iter"):
        simdpar.mandelbrot(4, 4, max_iter=-1)
    with pytest.raises(TypeError, match="float32 or float64"):
        simdpar.mandelbrot(4, 4, dtype=np.int32)
    with pytest.raises(TypeError):
        simdpar.mandelbrot(4.5, 4)
    with pytest.raises(ValueError, match="too large"):
        simdpar.mandelbrot(2**40, 2**40)
    with pytest.raises(ValueError, match="xlim must be a pair"):
        simdpar.mandelbrot(4, 4, xlim=(0.0, 1.0, 2.0))
    with pytest.raises(ValueError, match="ylim must be a pair"):
        simdpar.mandelbrot(4, 4, ylim="ab")


def test_scale_factor_must_be_a_number():
    """Scale factor must be a number."""
    with pytest.raises(TypeError):
        simdpar.scale(F32, "2")
    with pytest.raises(TypeError):
        simdpar.leaky_relu(F32, alpha=None)
