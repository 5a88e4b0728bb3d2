"""Type stubs of simdpar (see the module docstring of simdpar/__init__.py)."""

from types import TracebackType
from typing import Any, Dict, List, Literal, Optional, Tuple, Type, TypeVar, Union, overload

import numpy as np
import numpy.typing as npt

from . import mojo as mojo

__version__: str
DETACH_MIN_ELEMS: int
KERNEL_NAMES: List[str]

_F = TypeVar("_F", np.float32, np.float64)
_Arr = npt.NDArray[_F]
_DTypeLike = Union[Type[np.float32], Type[np.float64], np.dtype[Any], str, None]
_IsaName = Literal["scalar", "portable", "avx2", "avx512", "neon"]

class IsaError(ValueError):
    """Unknown ISA name, or one this CPU lacks; names the available ISAs."""

class SumAccumulator:
    """A running sum in simdpar's fixed order over element positions
    [start, end); result() is bitwise equal to simdpar.sum of the
    concatenation of everything added and merged. Safe to share between
    threads: calls on one accumulator are serialised by a lock."""
    def __init__(self, dtype: Optional[_DTypeLike], start: int = 0) -> None:
        """dtype float32 or float64 (None: float64); TypeError otherwise."""
    def add(self, x: npt.NDArray[Any]) -> None:
        """Appends x's elements (C order); TypeError for another dtype."""
    def merge(self, other: "SumAccumulator") -> None:
        """Appends other (which must start at self.end, same dtype);
        ValueError for a.merge(a)."""
    def result(self) -> Any:
        """The sum (numpy scalar of the dtype); ValueError unless start == 0."""
    @property
    def dtype(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def size(self) -> int: ...
    def to_bytes(self) -> bytes:
        """The stable, versioned byte encoding of the state."""
    @staticmethod
    def from_bytes(data: Union[bytes, bytearray, memoryview]) -> "SumAccumulator":
        """Decodes to_bytes() output (any bytes-like object); ValueError for
        bad bytes, TypeError for an object that is not bytes-like."""
    def copy(self) -> "SumAccumulator": ...
    def __reduce__(self) -> Tuple[Any, ...]: ...

def sum(x: npt.NDArray[_F], threads: Optional[int] = None) -> _F:
    """Sum of all elements in simdpar's fixed order (numpy scalar of x's dtype)."""

def row_sums(m: npt.NDArray[_F], out: Optional[npt.NDArray[_F]] = None,
             threads: Optional[int] = None) -> npt.NDArray[_F]:
    """Row sums of a 2-D array."""

# A broadcast operand: an array, a numpy scalar of the same dtype, or a
# Python number (which takes the array's dtype, as in NumPy 2).
_Operand = Union[npt.NDArray[_F], _F, float, int]

@overload
def add(a: npt.NDArray[_F], b: _Operand[_F], out: Optional[npt.NDArray[_F]] = None,
        threads: Optional[int] = None) -> npt.NDArray[_F]: ...
@overload
def add(a: _Operand[_F], b: npt.NDArray[_F], out: Optional[npt.NDArray[_F]] = None,
        threads: Optional[int] = None) -> npt.NDArray[_F]:
    """Elementwise a + b with NumPy broadcasting (one dtype; scalars, rows,
    columns; the smaller operand is never expanded). out= has the broadcast
    shape. Masked arrays raise TypeError."""

@overload
def multiply(a: npt.NDArray[_F], b: _Operand[_F], out: Optional[npt.NDArray[_F]] = None,
             threads: Optional[int] = None) -> npt.NDArray[_F]: ...
@overload
def multiply(a: _Operand[_F], b: npt.NDArray[_F], out: Optional[npt.NDArray[_F]] = None,
             threads: Optional[int] = None) -> npt.NDArray[_F]:
    """Elementwise a * b with NumPy broadcasting (one dtype; scalars, rows,
    columns; the smaller operand is never expanded). out= has the broadcast
    shape. Masked arrays raise TypeError."""

def square(x: npt.NDArray[_F], out: Optional[npt.NDArray[_F]] = None,
           threads: Optional[int] = None) -> npt.NDArray[_F]:
    """Elementwise x * x."""

def scale(x: npt.NDArray[_F], factor: float, out: Optional[npt.NDArray[_F]] = None,
          threads: Optional[int] = None) -> npt.NDArray[_F]:
    """Elementwise x * factor."""

def leaky_relu(x: npt.NDArray[_F], alpha: float = 0.1, out: Optional[npt.NDArray[_F]] = None,
               threads: Optional[int] = None) -> npt.NDArray[_F]:
    """Elementwise leaky ReLU: x if x > 0 else alpha * x (np.where(x > 0, x, alpha * x))."""

def mandelbrot(width: int, height: int, max_iter: int = 256,
               xlim: Tuple[float, float] = (-2.0, 0.5), ylim: Tuple[float, float] = (-1.25, 1.25),
               dtype: _DTypeLike = np.float64, threads: Optional[int] = None) -> npt.NDArray[np.uint32]:
    """Mandelbrot iteration counts, uint32 of shape (height, width)."""

def available_isas() -> List[str]:
    """The ISAs this machine can run, worst first."""

def known_isas() -> List[str]:
    """Every ISA name simdpar knows."""

def active_isa() -> str:
    """The ISA a kernel called now on this thread runs."""

def set_isa(name: Optional[str]) -> None:
    """Sets (or with None clears) the process-wide default ISA."""

def clear_isa() -> None:
    """Clears the process-wide default ISA."""

def kernel_isa(kernel: str, dtype: str, n: int = 4096) -> str:
    """The ISA a call of `kernel` on `n` elements of `dtype` runs on this
    thread now (forced ISA, else the tuned or built-in choice for that size
    class); `cpu_info()["plans"]` lists every size class."""

def cpu_info() -> Dict[str, Any]:
    """Vendor, brand, features, caches and SIMD widths of this CPU; its
    profile identity, the tuned profile's status and per kernel x dtype x
    size class the plan (isa, threads, reason)."""

def set_num_threads(n: Optional[int]) -> None:
    """Caps automatic calls (threads=None, simdpar.dask, tune()) at n >= 1
    threads process-wide; None removes the limit (SIMDPAR_NUM_THREADS, else
    every logical CPU)."""
def get_num_threads() -> int:
    """Threads an automatic call may use now (the limit, capped by the CPUs)."""
def plan(kernel: str, dtype: str, n: int, threads: Optional[int] = None) -> Dict[str, Any]:
    """How a call would run now: {"isa", "threads", "reason", "class"}."""
def tune(budget_s: float = 60.0) -> Dict[str, Any]:
    """Measure this machine (about `budget_s` seconds), write the tuned
    profile (returned "path") and use it from now on."""

class use_isa:
    """``with use_isa(name):`` runs `name` on the calling thread only."""

    def __init__(self, name: str) -> None: ...
    def __enter__(self) -> str: ...
    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> bool: ...
    @property
    def isa(self) -> str: ...
