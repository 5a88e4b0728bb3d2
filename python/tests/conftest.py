"""Shared fixtures: ISA parametrization, the numpy references of simdpar's
numerical contract, and the Mojo requirement policy.

Missing Mojo: tests that need it are skipped with a loud SKIPPED banner,
unless SIMDPAR_CI=1 or SIMDPAR_REQUIRE_MOJO=1 is set, in which case they fail.
"""

from __future__ import annotations

import math
import os
import sys

import numpy as np
import pytest

import simdpar
import simdpar.mojo as mj

ISAS = simdpar.available_isas()
DTYPES = [np.float32, np.float64]
_MOJO_SKIPS: list = []


def mojo_required() -> bool:
    """Whether CI asked for Mojo to be mandatory."""
    return any(
        os.environ.get(v, "").strip().lower() in ("1", "true", "yes")
        for v in ("SIMDPAR_CI", "SIMDPAR_REQUIRE_MOJO")
    )


@pytest.fixture(params=ISAS)
def isa(request):
    """Runs the test once per ISA this machine has, inside use_isa."""
    with simdpar.use_isa(request.param):
        assert simdpar.active_isa() == request.param
        yield request.param


@pytest.fixture(params=DTYPES, ids=["float32", "float64"])
def dtype(request):
    """float32 and float64."""
    return request.param


@pytest.fixture(scope="session")
def mojo_ready():
    """The Mojo toolchain, or a loud skip (a failure when CI requires it)."""
    if mj.available():
        return mj.cache()
    reason = f"SKIPPED: mojo not found ({mj.status()})"
    if mojo_required():
        pytest.fail(f"SIMDPAR_CI/SIMDPAR_REQUIRE_MOJO is set but Mojo is unusable: {mj.status()}")
    banner = "\n" + "*" * 72 + f"\n{reason}\nSet SIMDPAR_REQUIRE_MOJO=1 to make this a failure.\n" + "*" * 72
    print(banner, file=sys.stderr)
    _MOJO_SKIPS.append(reason)
    pytest.skip(reason)


def pytest_terminal_summary(terminalreporter):
    """Repeats the Mojo skip reason at the end, where nobody can miss it."""
    if _MOJO_SKIPS:
        terminalreporter.write_sep("*", "SKIPPED: Mojo tests did not run", red=True, bold=True)
        terminalreporter.write_line(_MOJO_SKIPS[0])
        terminalreporter.write_line(f"install with: {mj.INSTALL_HINT}")


# ---------------------------------------------------------------------------
# numpy references of the numerical contract (kernels/src/*/mod.rs)

SUM_LANES = {np.float32: 64, np.float64: 32}  # simdpar_kernels::Element::SUM_LANES
SUM_BLOCK = {np.float32: 1024, np.float64: 512}  # Element::SUM_BLOCK


def ref_sum(x: np.ndarray):
    """simdpar's documented summation order, computed with numpy: blocks of
    B elements, lane i % L per block (lanes start at -0.0), lanes folded by
    halving, blocks combined by the power-of-two split tree; +0.0 if empty."""
    t = x.dtype.type
    v = np.ascontiguousarray(x).ravel()
    n = v.size
    if n == 0:
        return t(0.0)
    L, B = SUM_LANES[t], SUM_BLOCK[t]
    nb = -(-n // B)
    pad = np.full(nb * B, -0.0, dtype=t)
    pad[:n] = v
    blocks = pad.reshape(nb, B // L, L)
    lanes = np.full((nb, L), -0.0, dtype=t)
    for k in range(B // L):
        lanes = lanes + blocks[:, k, :]
    w = L // 2
    while w >= 1:
        lanes[:, :w] = lanes[:, :w] + lanes[:, w : 2 * w]
        w //= 2
    bs = lanes[:, 0]

    def tree(lo: int, hi: int):
        """Sum of block sums [lo, hi) by the power-of-two split tree."""
        if hi - lo == 1:
            return bs[lo]
        p = 1 << ((hi - lo - 1).bit_length() - 1)
        return tree(lo, lo + p) + tree(lo + p, hi)

    return t(tree(0, nb))


def ref_leaky(x: np.ndarray, alpha: float) -> np.ndarray:
    """The standard leaky ReLU, x > 0 ? x : alpha * x, in x's dtype (alpha
    rounded to it first): ``np.where(x > 0, x, alpha * x)``."""
    t = x.dtype.type
    return np.where(x > 0, x, t(alpha) * x).astype(t)


def ref_mandelbrot(width, height, max_iter, xlim, ylim, t) -> np.ndarray:
    """The documented Mandelbrot definition, vectorized with numpy in dtype t."""
    x0, x1, y0, y1 = t(xlim[0]), t(xlim[1]), t(ylim[0]), t(ylim[1])
    dx = (x1 - x0) / t(width)
    dy = (y1 - y0) / t(height)
    cr = x0 + np.arange(width).astype(t) * dx
    ci = y0 + np.arange(height).astype(t) * dy
    CR, CI = np.meshgrid(cr, ci)
    zr = np.zeros_like(CR)
    zi = np.zeros_like(CR)
    count = np.zeros(CR.shape, dtype=np.uint32)
    active = np.ones(CR.shape, dtype=bool)
    two, four = t(2.0), t(4.0)
    for _ in range(max_iter):
        active &= ~((zr * zr + zi * zi) > four)
        if not active.any():
            break
        count += active
        nzi = (two * zr) * zi + CI
        nzr = (zr * zr - zi * zi) + CR
        zr = np.where(active, nzr, zr)
        zi = np.where(active, nzi, zi)
    return count


def bits(a: np.ndarray) -> np.ndarray:
    """The raw bits of a float array (NaNs canonicalized: payloads may
    differ between ISAs)."""
    a = np.array(a, copy=True)
    a[np.isnan(a)] = np.nan
    return a.view(np.uint32 if a.dtype == np.float32 else np.uint64)


def assert_bitwise(got: np.ndarray, want: np.ndarray) -> None:
    """Same dtype, shape and bits."""
    assert got.dtype == want.dtype, (got.dtype, want.dtype)
    assert got.shape == want.shape, (got.shape, want.shape)
    gb, wb = bits(got), bits(want)
    bad = np.flatnonzero(gb.ravel() != wb.ravel())
    assert bad.size == 0, f"{bad.size} elements differ, first at {bad[0]}: {got.ravel()[bad[0]]!r} vs {want.ravel()[bad[0]]!r}"


def sum_error_bound(x: np.ndarray) -> float:
    """First-order error bound of the documented order (reduce/mod.rs)."""
    t = x.dtype.type
    n = max(x.size, 1)
    eps = float(np.finfo(t).eps)
    depth = 16 + math.log2(SUM_LANES[t]) + math.ceil(math.log2(max(n / SUM_BLOCK[t], 1))) + 1
    return 2 * depth * eps * float(np.sum(np.abs(x.astype(np.float64))))


def special_values(t) -> np.ndarray:
    """NaN, infinities, signed zeros, subnormals, extremes and ordinary values."""
    fi = np.finfo(t)
    return np.array(
        [np.nan, np.inf, -np.inf, 0.0, -0.0, fi.tiny, -fi.tiny, fi.tiny / 4, -fi.tiny / 8,
         fi.max, -fi.max, fi.eps, 1.0, -1.0, 0.5, -2.5, 3.0e3, -7.25e-3],
        dtype=t,
    )
