"""simdpar on Dask arrays: the same bits on one core, on N threads and on a
cluster of worker processes, for any chunking.

``sum(x).compute()`` is bitwise equal to ``simdpar.sum(x.compute())`` and
``row_sums(m).compute()`` to ``simdpar.row_sums(m.compute())``, whatever the
chunks, the scheduler (threads, processes, ``distributed``) or the number of
workers. For ``sum`` each chunk turns into one state (Rust) holding the
runs of global positions it covers; for ``row_sums`` of column chunks, one
state holding an accumulator per row of the chunk; states are joined
``split_every`` (default 32) at a time. Merging neighbouring runs in order
performs exactly the additions of simdpar's fixed summation order. ``dask.array.sum`` gives no such
guarantee: its result changes with the chunking.

The elementwise functions (``add``, ``multiply``, ``square``, ``scale``,
``leaky_relu``) map the simdpar kernels over the blocks (results are
elementwise, so any chunking gives the same bits), and ``mandelbrot`` builds
the image band by band, each band computed with the pixel coordinates of the
full grid, so it equals ``simdpar.mandelbrot`` exactly.

Bad input is refused when the graph is built: a dtype other than float32 /
float64 (``TypeError``; either byte order is fine, results are native),
mixed dtypes (``TypeError``), ``row_sums`` of an array that is not 2-D
(``ValueError``), shapes that do not broadcast (``ValueError``), ``threads``
that ``simdpar`` refuses (``0``, ``-5``: ``ValueError``), and unknown chunk
sizes (``x[x > 0]``) where positions or shapes are needed (``sum``,
``row_sums``, binary operations on two arrays: ``ValueError`` naming
``compute_chunk_sizes()``; the elementwise functions of one array work on
them as they are). Binary operands with different chunks are not refused: the
second operand is **rechunked to the first one's chunks** (so the result has
the first operand's chunks).

Kernels run with ``threads=1`` inside a task by default, so that workers
running one task per core do not oversubscribe the machine. ``threads=None``
follows simdpar's thread limit: where one is set when the graph is built
(``simdpar.set_num_threads``, ``SIMDPAR_NUM_THREADS``, threadpoolctl's
``threadpool_limits``), the tasks carry it to every worker process; else each
task uses what its own process allows.

Needs ``dask[array]`` and ``distributed``: ``pip install ./python[dask]``.
"""

from __future__ import annotations

import builtins as _builtins
import functools as _functools
import numbers as _numbers
from typing import Any as _Any
from typing import Dict as _Dict
from typing import List as _List
from typing import Optional as _Optional
from typing import Tuple as _Tuple

try:
    import dask as _dask
    import dask.array as _da
except ImportError as _e:  # pragma: no cover - exercised by a subprocess test
    raise ImportError(
        "simdpar.dask needs dask[array] (and distributed for clusters): "
        "pip install ./python[dask]   (from the simdpar source tree)"
    ) from _e

import numpy as _np

import simdpar as _sp
from simdpar import _simdpar
from simdpar._simdpar import _RowStates as _Rows
from simdpar._simdpar import _SumRuns as _Runs

__all__ = [
    "add",
    "leaky_relu",
    "mandelbrot",
    "multiply",
    "row_sums",
    "scale",
    "square",
    "sum",
]

_FLOATS = (_np.dtype(_np.float32), _np.dtype(_np.float64))


# ---------------------------------------------------------------------------
# argument checks (graph-build time)


def _native(dtype: _np.dtype) -> _np.dtype:
    """`dtype` in this machine's byte order (``>f4`` -> ``float32``)."""
    return _np.dtype(dtype).newbyteorder("=")


def _known_chunks(name: str, x: "_da.Array", what: str) -> None:
    """ValueError naming ``compute_chunk_sizes()`` when x's chunk sizes are
    unknown (``x[x > 0]``): `what` needs them at graph build."""
    if any(_np.isnan(c) for dim in x.chunks for c in dim):
        raise ValueError(
            f"{what}: {name} has unknown chunk sizes (from boolean indexing or "
            f"similar); call {name}.compute_chunk_sizes() first (or "
            f"{name} = {name}.compute_chunk_sizes())"
        )


def _float_array(name: str, x: _Any) -> "_da.Array":
    """`x` as a dask array of float32/float64 (either byte order), or
    TypeError."""
    if not isinstance(x, _da.Array):
        raise TypeError(f"{name} must be a dask array, got {type(x).__name__}")
    if x.dtype.kind != "f" or _native(x.dtype) not in _FLOATS:
        raise TypeError(f"{name} must have dtype float32 or float64, got {x.dtype}")
    return x


def _threads(threads: _Any) -> _Any:
    """`threads` checked now exactly as simdpar checks it (None, or a
    positive int), so a bad value fails at graph build, not in a task.
    None becomes the thread limit in force here, if one is set, so that
    worker processes honour it too."""
    _sp.sum(_np.zeros(1), threads=threads)
    if threads is None and _simdpar.thread_settings()["thread_limit"] is not None:
        return _sp.get_num_threads()
    return threads


def _operand(name: str, v: _Any, dtype: _np.dtype) -> _Any:
    """A binary operand: a dask array of `dtype` or a real number."""
    if isinstance(v, _da.Array):
        _float_array(name, v)
        if _native(v.dtype) != _native(dtype):
            raise TypeError(
                f"mixed dtypes: {name} is {v.dtype} but the other operand is {dtype}; "
                "convert one with .astype()"
            )
        return v
    if isinstance(v, _numbers.Real) and not isinstance(v, bool):
        return v
    raise TypeError(f"{name} must be a dask array or a real number, got {type(v).__name__}")


# ---------------------------------------------------------------------------
# sum: the runs of positions each chunk covers, joined in order (in Rust)


def _runs(loc: _List[_Tuple[int, int]], shape: _Tuple[int, ...], block_shape):
    """How a block at `loc` in an array of `shape` lies in the C-order
    flattening: `(starts, run_len)` where the block, read in C order, is
    `len(starts)` runs of `run_len` consecutive elements starting at those
    global positions (`starts` an int64 array)."""
    nd = len(shape)
    strides = [1] * nd
    for i in range(nd - 2, -1, -1):
        strides[i] = strides[i + 1] * shape[i + 1]
    # Dimensions after k are covered whole, so each run spans them.
    k = nd - 1
    while k > 0 and loc[k] == (0, shape[k]):
        k -= 1
    run_len = int(_np.prod(block_shape[k:], dtype=_np.int64))
    base = _builtins.sum(loc[i][0] * strides[i] for i in range(nd))
    lead = block_shape[:k]
    if not lead:
        return _np.array([base], dtype=_np.int64), run_len
    idx = _np.indices(lead).reshape(len(lead), -1)
    offs = (idx * _np.array(strides[:k], dtype=_np.int64)[:, None]).sum(axis=0)
    return (base + offs).astype(_np.int64), run_len


def _chunk_runs(block: _np.ndarray, loc: _List[_Tuple[int, int]], shape: _Tuple[int, ...]) -> "_Runs":
    """One chunk at `loc` (per dimension, `(first, past-last)` index) of an
    array of `shape` -> its runs of global positions, as one state."""
    starts, _ = _runs(loc, shape, block.shape)
    return _Runs.from_rows(block, starts)


def _join(states: _List["_Runs"]) -> "_Runs":
    """The states in one (a lone state as it is: they are immutable)."""
    return states[0] if len(states) == 1 else _Runs.merged(states)


def _finish(states: _List["_Runs"], dtype: _np.dtype, size: int) -> _np.ndarray:
    return _np.array(_join(states).result(size), dtype=dtype)


def _fan_in(split_every: _Any) -> int:
    """States joined per task: ``split_every`` (an int, or dask's dict form:
    the product of its values), 32 by default."""
    if split_every is None:
        return 32
    if isinstance(split_every, dict):
        n = int(_np.prod([int(v) for v in split_every.values()])) if split_every else 32
    else:
        n = int(split_every)
    if n < 2:
        raise ValueError(f"split_every must be at least 2, got {split_every!r}")
    return n


def sum(x: "_da.Array", split_every: _Optional[int] = None) -> "_da.Array":
    """Sum of all elements of a float32/float64 dask array (any shape, any
    chunking, flattened in C order; either byte order), as a 0-d dask array
    of x's dtype in native byte order. Computing it gives exactly the bits
    of ``simdpar.sum(x.compute())``, on any scheduler and any number of
    workers. TypeError for other dtypes; ValueError naming
    ``compute_chunk_sizes()`` for unknown chunk sizes (``x[x > 0]``).

    Each chunk becomes one state in Rust holding the runs of global
    positions it covers (raw elements while a run is short, a
    ``SumAccumulator`` once it is long; the rows of a column chunk as one
    grid), and states are joined ``split_every`` (default 32) at a time, so
    narrow column chunks cost about what ``dask.array.sum`` costs."""
    x = _float_array("x", x)
    _known_chunks("x", x, "simdpar.dask.sum")
    dtype = _native(x.dtype)
    fan_in = _fan_in(split_every)
    if x.ndim == 0:
        x = x.reshape((1,))
    if x.size == 0:
        return _da.zeros((), dtype=dtype)
    from dask.highlevelgraph import HighLevelGraph

    token = _dask.base.tokenize(x, fan_in, "simdpar-sum")
    name = f"simdpar-sum-{token}"
    shape = tuple(int(n) for n in x.shape)
    offsets = [_np.concatenate([[0], _np.cumsum(c)]).astype(int) for c in x.chunks]
    dsk: _Dict[_Any, _Any] = {}
    level = []
    for idx in _np.ndindex(*x.numblocks):
        loc = [(int(offsets[d][i]), int(offsets[d][i + 1])) for d, i in enumerate(idx)]
        key = (f"{name}-chunk",) + tuple(idx)
        dsk[key] = (_chunk_runs, (x.name,) + tuple(idx), loc, shape)
        level.append(key)
    level = _join_tree(dsk, level, fan_in, _join, f"{name}-join", ())
    dsk[(name,)] = (_finish, level, dtype, int(x.size))
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=[x])
    return _da.Array(graph, name, chunks=(), dtype=dtype, meta=_np.empty((), dtype=dtype))


def _join_tree(dsk, level, fan_in, join, prefix, index):
    """Adds to ``dsk`` the tasks that join the keys of ``level`` ``fan_in`` at
    a time, level after level, under keys ``(f"{prefix}{depth}", *index, g)``;
    returns the last level (at most ``fan_in`` keys, in order)."""
    depth = 0
    while len(level) > fan_in:
        depth += 1
        nxt = []
        for g in range(0, len(level), fan_in):
            key = (f"{prefix}{depth}",) + tuple(index) + (g // fan_in,)
            dsk[key] = (join, level[g : g + fan_in])
            nxt.append(key)
        level = nxt
    return level


# ---------------------------------------------------------------------------
# row_sums: per row band and column chunk, one Rust state holding every row's
# accumulator; the states of a band are merged along the row


def _row_states(block: _np.ndarray, c0: int) -> "_Rows":
    return _Rows.from_block(block, c0)


def _row_join(states: _List["_Rows"]) -> "_Rows":
    return states[0] if len(states) == 1 else _Rows.merged(states)


def _row_finish(states: _List["_Rows"], dtype: _np.dtype, cols: int) -> _np.ndarray:
    return _row_join(states).results(cols).astype(dtype, copy=False)


def row_sums(m: "_da.Array", threads: int = 1, split_every: _Optional[int] = None) -> "_da.Array":
    """Row sums of a 2-D float32/float64 dask array chunked along rows
    and/or columns: a 1-D dask array of m's dtype with m's row chunks,
    bitwise equal to ``simdpar.row_sums(m.compute())``. ValueError for an
    array that is not 2-D, TypeError for other dtypes. ``threads`` is passed
    to ``simdpar.row_sums`` inside a task when a chunk spans whole rows."""
    m = _float_array("m", m)
    threads = _threads(threads)
    if m.ndim != 2:
        raise ValueError(
            f"row_sums needs a 2-D array, got {m.ndim} dimension(s) with shape {m.shape}"
        )
    _known_chunks("m", m, "simdpar.dask.row_sums")
    dtype = _native(m.dtype)
    if m.numblocks[1] == 1 or m.shape[1] == 0:
        # Whole rows in every chunk: the kernel itself.
        return m.map_blocks(
            _sp.row_sums,
            threads=threads,
            drop_axis=1,
            dtype=dtype,
            meta=_np.empty((0,), dtype=dtype),
            token="simdpar-row-sums",
        )
    # Column chunks: per row band, one state per chunk holding every row's
    # accumulator (Rust), joined `split_every` (default 32) at a time.
    from dask.highlevelgraph import HighLevelGraph

    fan_in = _fan_in(split_every)
    token = _dask.base.tokenize(m, fan_in, "simdpar-row-sums")
    name = f"simdpar-row-sums-{token}"
    col_starts = _np.concatenate([[0], _np.cumsum(m.chunks[1])]).astype(int)
    cols = int(m.shape[1])
    dsk: _Dict[_Any, _Any] = {}
    for i in range(m.numblocks[0]):
        level = []
        for j in range(m.numblocks[1]):
            key = (f"{name}-states", i, j)
            dsk[key] = (_row_states, (m.name, i, j), int(col_starts[j]))
            level.append(key)
        level = _join_tree(dsk, level, fan_in, _row_join, f"{name}-join", (i,))
        dsk[(name, i)] = (_row_finish, level, dtype, cols)
    graph = HighLevelGraph.from_collections(name, dsk, dependencies=[m])
    return _da.Array(graph, name, chunks=(m.chunks[0],), dtype=dtype,
                     meta=_np.empty((0,), dtype=dtype))


# ---------------------------------------------------------------------------
# elementwise


def _binary(kernel, name: str, a: _Any, b: _Any, threads: int) -> "_da.Array":
    threads = _threads(threads)
    if isinstance(a, _da.Array):
        first = _float_array("a", a)
        b = _operand("b", b, first.dtype)
    elif isinstance(b, _da.Array):
        first = _float_array("b", b)
        a = _operand("a", a, first.dtype)
    else:
        raise TypeError(f"{name}: at least one operand must be a dask array")
    arrays = [v for v in (a, b) if isinstance(v, _da.Array)]
    dtype = _native(first.dtype)
    if len(arrays) == 2:
        # Broadcasting and matching chunks need the chunk sizes.
        _known_chunks("a", a, f"simdpar.dask.{name} of two arrays")
        _known_chunks("b", b, f"simdpar.dask.{name} of two arrays")
        try:
            shape = _np.broadcast_shapes(a.shape, b.shape)
        except ValueError:
            raise ValueError(
                f"{name}: shapes {a.shape} and {b.shape} do not broadcast"
            ) from None
        a = _da.broadcast_to(a, shape) if a.shape != shape else a
        b = _da.broadcast_to(b, shape) if b.shape != shape else b
        # The second operand follows the first one's chunks.
        if b.chunks != a.chunks:
            b = b.rechunk(a.chunks)
        return _da.map_blocks(
            kernel, a, b, threads=threads, dtype=dtype, token=f"simdpar-{name}"
        )
    # One array and a number, which the kernel validates now exactly as
    # simdpar does.
    arr = arrays[0]
    if arr is a:
        kernel(_np.zeros(1, arr.dtype), b)
        call = _functools.partial(_call_with_number_second, kernel, b, threads)
    else:
        kernel(a, _np.zeros(1, arr.dtype))
        call = _functools.partial(_call_with_number_first, kernel, a, threads)
    return arr.map_blocks(call, dtype=dtype, token=f"simdpar-{name}")


def _call_with_number_second(kernel, number, threads, blk):
    return kernel(blk, number, threads=threads)


def _call_with_number_first(kernel, number, threads, blk):
    return kernel(number, blk, threads=threads)


def add(a: _Any, b: _Any, threads: int = 1) -> "_da.Array":
    """Elementwise ``a + b`` (``simdpar.add`` on each block); one operand
    may be a number; arrays broadcast as in NumPy and must share a dtype
    (TypeError otherwise). The result has a's chunks (b is rechunked)."""
    return _binary(_sp.add, "add", a, b, threads)


def multiply(a: _Any, b: _Any, threads: int = 1) -> "_da.Array":
    """Elementwise ``a * b`` (``simdpar.multiply`` on each block); same
    rules as :func:`add`."""
    return _binary(_sp.multiply, "multiply", a, b, threads)


def _unary(name: str, x: _Any, call) -> "_da.Array":
    x = _float_array("x", x)
    call(_np.zeros(1, x.dtype))  # argument errors now, exactly as simdpar's
    return x.map_blocks(call, dtype=_native(x.dtype), token=f"simdpar-{name}")


def square(x: "_da.Array", threads: int = 1) -> "_da.Array":
    """Elementwise ``x * x`` (``simdpar.square`` on each block)."""
    return _unary("square", x, _functools.partial(_sp.square, threads=_threads(threads)))


def scale(x: "_da.Array", factor: float, threads: int = 1) -> "_da.Array":
    """Elementwise ``x * factor``, the factor rounded to x's dtype first
    (``simdpar.scale`` on each block)."""
    return _unary(
        "scale", x, _functools.partial(_sp.scale, factor=factor, threads=_threads(threads))
    )


def leaky_relu(x: "_da.Array", alpha: float = 0.1, threads: int = 1) -> "_da.Array":
    """Elementwise ``x if x > 0 else alpha * x`` (``simdpar.leaky_relu``
    on each block)."""
    return _unary(
        "leaky_relu",
        x,
        _functools.partial(_sp.leaky_relu, alpha=alpha, threads=_threads(threads)),
    )


# ---------------------------------------------------------------------------
# mandelbrot


def mandelbrot(
    width: int,
    height: int,
    max_iter: int = 256,
    xlim: _Tuple[float, float] = (-2.0, 0.5),
    ylim: _Tuple[float, float] = (-1.25, 1.25),
    dtype: _Any = _np.float64,
    chunks: _Any = (256, -1),
) -> "_da.Array":
    """The uint32 image of ``simdpar.mandelbrot`` with the same arguments,
    as a dask array of shape (height, width) with ``chunks`` (rows, cols).

    Each chunk is one simdpar call on its tile, with the pixel coordinates
    of the full grid, so the result equals ``simdpar.mandelbrot(...)``
    exactly. Bad arguments raise the errors of ``simdpar.mandelbrot`` now,
    not at compute time."""
    xlim = _sp._pair("xlim", xlim)
    ylim = _sp._pair("ylim", ylim)
    # Validates width, height, max_iter and dtype as simdpar does (by
    # computing the first pixel).
    _simdpar.mandelbrot_tile(width, height, max_iter, xlim, ylim, dtype, 0, 0, 1, 1)
    dt = _np.dtype(dtype)
    rows, cols = _da.core.normalize_chunks(chunks, (height, width), dtype=_np.uint32)
    tile = _dask.delayed(_simdpar.mandelbrot_tile, pure=True)
    grid = []
    y0 = 0
    for r in rows:
        line, x0 = [], 0
        for c in cols:
            t = tile(width, height, max_iter, xlim, ylim, dt.name, y0, x0, r, c)
            line.append(_da.from_delayed(t, shape=(r, c), dtype=_np.uint32))
            x0 += c
        grid.append(line)
        y0 += r
    return _da.block(grid)
