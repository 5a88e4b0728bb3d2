"""simdpar: hardware-aware SIMD kernels on numpy arrays.

The kernels (``sum``, ``row_sums``, ``add``, ``multiply``, ``square``,
``scale``, ``leaky_relu``, ``mandelbrot``) run simdpar's Rust code on the
best instruction set of this CPU (``scalar``, ``portable``, ``avx2``,
``avx512``, ``neon``), picked at run time, with the same bits on every one.

Arrays
    float32 and float64, any shape (``row_sums`` takes 2-D). Contiguous,
    aligned, native-order inputs are used in place (zero-copy); any other
    input (a slice with a step, a transposed view, big-endian data) is
    copied once into a C-contiguous array first. Inputs are never modified.
    Results have the inputs' dtype. ``out=`` must be a writeable,
    C-contiguous array of exactly the result's shape and dtype; it may be
    exactly an input (the operation then runs in place) but must not
    partially overlap one. ``numpy.ma.MaskedArray`` is refused with a
    TypeError (the mask would be ignored; pass ``.filled(value)`` or
    ``.compressed()``); other subclasses (``np.matrix``, ``np.memmap``) are
    read as their base arrays.

Broadcasting
    ``add`` and ``multiply`` follow NumPy's broadcasting rules: a Python
    number, a numpy scalar or a 0-d array, a row ``(m,)`` against ``(n, m)``,
    a column ``(n, 1)``, or any broadcastable pair. The smaller operand is
    never copied out to the full shape: each contiguous run of the result is
    one kernel call. Results are bitwise NumPy's (one rounding per element).
    A Python int or float takes the array's dtype (float32 stays float32, as
    in NumPy 2); a numpy scalar or 0-d array of the other float dtype is a
    TypeError, like mixed array dtypes. ``out=`` must have the broadcast
    shape. Broadcast calls run on the calling thread, except that
    ``multiply`` by a scalar (or a column's value) runs ``scale``, which
    splits big runs between ``threads``.

Threads
    ``threads=None`` (automatic: one thread per logical CPU from the size
    where threads pay, per ``cpu_info()["plans"]``; small inputs stay on the
    calling thread), ``threads=1`` (calling thread only), ``threads=n``
    (at most n). Results are bitwise identical for every setting. The pool
    survives ``fork`` (a child builds its own). ``set_num_threads(n)`` (or
    the environment variable ``SIMDPAR_NUM_THREADS``) caps every automatic
    call (``threads=None``, ``simdpar.dask``, ``tune()``) process-wide;
    ``get_num_threads()`` says what automatic calls may use now and
    ``plan(kernel, dtype, n)`` how a call would run. With threadpoolctl
    installed, ``threadpool_info()`` lists simdpar and
    ``threadpool_limits(n)`` limits it. ``tune()`` measures this
    machine and writes a profile that later processes follow. The GIL
    is released while a kernel of ``DETACH_MIN_ELEMS`` (65 536) or more
    elements runs, and always for ``mandelbrot``.

ISA selection
    ``available_isas()``, ``active_isa()``, ``set_isa(name)`` (process
    default), ``with use_isa(name):`` (calling thread only), and the
    environment variables ``SIMDPAR_ISA`` (force) and ``SIMDPAR_MAX_ISA``
    (cap). A bad value of either variable makes ``import simdpar`` fail with
    an ImportError naming the variable, its value and the ISAs available;
    the variables are read once per process, so fix them and restart Python.

Mojo
    ``simdpar.mojo`` runs and compiles Mojo code through simdpar's compile
    cache and exposes the Mojo twins of every kernel (``simdpar.mojo.twins``).
"""

# Modules and typing names are imported under private names so that
# `dir(simdpar)` shows only the public API (listed in `__all__` below).
import operator as _operator
from typing import Any as _Any
from typing import Optional as _Optional
from typing import Tuple as _Tuple

import numpy as _np

from . import _simdpar
from ._simdpar import (
    DETACH_MIN_ELEMS,
    KERNEL_NAMES,
    IsaError,
    SumAccumulator,
    active_isa,
    add,
    available_isas,
    clear_isa,
    get_num_threads,
    kernel_isa,
    known_isas,
    leaky_relu,
    multiply,
    row_sums,
    scale,
    plan,
    set_isa,
    set_num_threads,
    square,
    sum,
    tune,
    use_isa,
)

__version__ = "0.1.0"


def _check_env() -> None:
    """Fail the import on a bad SIMDPAR_ISA / SIMDPAR_MAX_ISA value."""
    try:
        _simdpar.check_env()
    except IsaError as e:
        raise ImportError(
            f"simdpar: bad ISA environment variable: {e}. "
            "Fix or unset it and restart the Python process "
            "(the variables are read once per process)."
        ) from None


_check_env()


def _check_thread_env() -> None:
    """Warn (once, at import) about a bad SIMDPAR_NUM_THREADS /
    SIMDPAR_RUNTIME value, which is ignored."""
    problem = _simdpar.thread_settings()["env_error"]
    if problem:
        import warnings

        warnings.warn(f"simdpar: {problem}", RuntimeWarning, stacklevel=3)


_check_thread_env()


def cpu_info() -> dict:
    """This CPU and what runs on it: arch, vendor, brand, features, caches,
    lanes, the ISAs, per-kernel plans, and the threads: ``num_threads``
    (what an automatic call may use now), ``thread_limit`` (the limit as
    set by ``set_num_threads`` or SIMDPAR_NUM_THREADS; None: none) and
    ``runtime`` (``own``: simdpar's fork-safe pool)."""
    d = _simdpar.cpu_info()
    t = _simdpar.thread_settings()
    d["num_threads"] = t["num_threads"]
    d["thread_limit"] = t["thread_limit"]
    d["runtime"] = t["runtime"]
    return d


from . import _threadpoolctl  # noqa: E402

_threadpoolctl.register()


def _pair(name: str, v: _Any) -> _Tuple[float, float]:
    """A (lo, hi) pair of floats, or a ValueError naming the argument."""
    try:
        lo, hi = v
        return float(lo), float(hi)
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of numbers (lo, hi), got {v!r}") from None


def mandelbrot(
    width: int,
    height: int,
    max_iter: int = 256,
    xlim: _Tuple[float, float] = (-2.0, 0.5),
    ylim: _Tuple[float, float] = (-1.25, 1.25),
    dtype: _Any = _np.float64,
    threads: _Optional[int] = None,
) -> _np.ndarray:
    """Mandelbrot iteration counts as a uint32 array of shape (height, width).

    Pixel (x, y) has c = (xlim[0] + x*dx, ylim[0] + y*dy) with
    dx = (xlim[1]-xlim[0])/width and dy = (ylim[1]-ylim[0])/height computed
    in ``dtype`` (float32 or float64); row 0 is ylim[0]. Each count is the
    number of iterations z <- z*z + c (at most ``max_iter``) before |z| > 2,
    every operation rounded on its own, so every ISA gives the same counts.
    Raises ValueError for a zero or negative size, TypeError for another
    dtype.
    """
    xlim = _pair("xlim", xlim)
    ylim = _pair("ylim", ylim)
    return _simdpar.mandelbrot(
        _operator.index(width),
        _operator.index(height),
        _operator.index(max_iter),
        xlim,
        ylim,
        dtype,
        threads,
    )


from . import mojo  # noqa: E402  (needs the names above)


def __getattr__(name: str) -> _Any:
    """``simdpar.dask`` on first use: it imports dask, an optional
    dependency (``pip install ./python[dask]``)."""
    if name == "dask":
        import importlib

        try:
            return importlib.import_module(".dask", __name__)
        except ImportError as e:
            raise AttributeError(f"simdpar.dask is unavailable: {e}") from e
    raise AttributeError(f"module 'simdpar' has no attribute {name!r}")


def _has_dask() -> bool:
    import importlib.util

    return importlib.util.find_spec("dask") is not None

__all__ = [
    "DETACH_MIN_ELEMS",
    "KERNEL_NAMES",
    "IsaError",
    "SumAccumulator",
    "active_isa",
    "add",
    "available_isas",
    "clear_isa",
    "cpu_info",
    "get_num_threads",
    "kernel_isa",
    "known_isas",
    "leaky_relu",
    "mandelbrot",
    "mojo",
    "multiply",
    "plan",
    "row_sums",
    "scale",
    "set_isa",
    "set_num_threads",
    "square",
    "sum",
    "tune",
    "use_isa",
]
# `simdpar.dask` (loaded on first use) is public where dask is installed.
if _has_dask():
    __all__.append("dask")
