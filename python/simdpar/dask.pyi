"""Type stubs of simdpar.dask (see the module docstring of simdpar/dask.py)."""

from typing import Any, Optional, Tuple, Union

import dask.array as da
import numpy as np

_Operand = Union[da.Array, float, int]

def sum(x: da.Array, split_every: Optional[int] = None) -> da.Array:
    """0-d dask array: bitwise simdpar.sum(x.compute()), any chunking/scheduler;
    either byte order; ValueError naming compute_chunk_sizes() for unknown chunks."""

def row_sums(m: da.Array, threads: int = 1, split_every: Optional[int] = None) -> da.Array:
    """1-D dask array (m's row chunks): bitwise simdpar.row_sums(m.compute());
    threads checked at graph build; ValueError for unknown chunk sizes."""

def add(a: _Operand, b: _Operand, threads: int = 1) -> da.Array:
    """Elementwise a + b with a's chunks (b rechunked); TypeError on mixed dtypes;
    ValueError for threads < 1 or two arrays with unknown chunk sizes."""

def multiply(a: _Operand, b: _Operand, threads: int = 1) -> da.Array:
    """Elementwise a * b with a's chunks (b rechunked); TypeError on mixed dtypes."""

def square(x: da.Array, threads: int = 1) -> da.Array:
    """Elementwise x * x."""

def scale(x: da.Array, factor: float, threads: int = 1) -> da.Array:
    """Elementwise x * factor (factor rounded to x's dtype first)."""

def leaky_relu(x: da.Array, alpha: float = 0.1, threads: int = 1) -> da.Array:
    """Elementwise x if x > 0 else alpha * x."""

def mandelbrot(width: int, height: int, max_iter: int = 256,
               xlim: Tuple[float, float] = (-2.0, 0.5), ylim: Tuple[float, float] = (-1.25, 1.25),
               dtype: Any = np.float64, chunks: Any = (256, -1)) -> da.Array:
    """uint32 dask array (height, width), equal to simdpar.mandelbrot(...)."""
