"""Type stubs of simdpar.mojo (see the module docstring of simdpar/mojo.py)."""

import importlib.machinery
import os
import types
from typing import Any, Callable, Dict, Optional, Sequence, TypeVar, Union, overload

import numpy as np
import numpy.typing as npt

INSTALL_HINT: str
RUN_TIMEOUT: float

_Src = Union[str, os.PathLike[str]]
_C = TypeVar("_C", bound=Callable[..., Any])

class MojoError(RuntimeError):
    """Base class of the Mojo front end's errors."""

class MojoNotFoundError(MojoError):
    """No working toolchain (``pip install mojo==1.2.0``)."""

class MojoCompileError(MojoError):
    """``mojo build`` rejected the source."""
    message: str
    line: Optional[int]
    column: Optional[int]
    file: Optional[str]
    stderr: str

class MojoRunError(MojoError):
    """A program exited non-zero."""
    returncode: int
    stdout: str
    stderr: str
    def __init__(self, message: str, returncode: int, stdout: str, stderr: str) -> None: ...

def find_mojo() -> Optional[str]: ...
def configure(cache_dir: Union[str, os.PathLike[str], None] = None,
              mojo: Union[str, os.PathLike[str], None] = None) -> None: ...
def cache() -> Any: ...
def available() -> bool: ...
def status() -> str: ...
def cache_info() -> Dict[str, Any]: ...
def clear_cache() -> int: ...
def build(code_or_path: _Src, emit: str = "exe", defines: Optional[Dict[str, Any]] = None,
          params: Optional[Dict[str, Any]] = None, fp_mode: str = "contract=fast",
          target_cpu: Optional[str] = None) -> Any: ...
def run(code_or_path: _Src, /, **params: Any) -> str: ...
@overload
def function(fn: _C) -> _C: ...
@overload
def function(fn: None = None) -> Callable[[_C], _C]: ...

class MojoFunction:
    name: str
    restype: Any
    def declare(self, *argtypes: Any, ret: Any = None) -> "MojoFunction": ...
    def __call__(self, *values: Any) -> Any: ...

class MojoLibrary:
    path: str
    key: str
    outcome: str
    def has(self, name: str) -> bool: ...
    def function(self, name: str) -> MojoFunction: ...
    def declare(self, name: str, *argtypes: Any, ret: Any = None) -> MojoFunction: ...
    def __getattr__(self, name: str) -> MojoFunction: ...

def compile(code_or_path: _Src, /, *, fp_mode: str = "contract=fast",
            target_cpu: Optional[str] = None, **defines: Any) -> MojoLibrary: ...
def load_twins(variant: str = "exact") -> Any: ...
def extension(code_or_path: _Src, /, *, name: Optional[str] = None,
              functions: Optional[Sequence[str]] = None, fp_mode: str = "contract=fast",
              defines: Optional[Dict[str, Any]] = None, target_cpu: Optional[str] = None,
              target_features: Optional[str] = None, replace: bool = False) -> types.ModuleType:
    """A CPython extension module written in Mojo, built through the cache
    (``PyInit_<name>`` in the source, or bindings generated for ``functions``).
    ValueError when ``name`` is already imported or importable elsewhere, or
    names an earlier extension of ours without ``replace=True``; TypeError
    when ``functions`` is not a list of str."""

class MojoImporter:
    """The ``sys.meta_path`` finder of :func:`install_importer`."""
    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Any = None) -> Optional[importlib.machinery.ModuleSpec]: ...
    def invalidate_caches(self) -> None: ...

def install_importer() -> MojoImporter:
    """``import foo`` builds ``foo.mojo`` from ``sys.path`` (finder placed first)."""
def uninstall_importer() -> None: ...

class _Twins:
    variant: str
    path: str
    def sum(self, x: npt.NDArray[Any], threads: Optional[int] = None) -> Any: ...
    def row_sums(self, m: npt.NDArray[Any], out: Optional[npt.NDArray[Any]] = None,
                 threads: Optional[int] = None) -> npt.NDArray[Any]: ...
    def add(self, a: npt.NDArray[Any], b: npt.NDArray[Any], out: Optional[npt.NDArray[Any]] = None,
            threads: Optional[int] = None) -> npt.NDArray[Any]: ...
    def multiply(self, a: npt.NDArray[Any], b: npt.NDArray[Any], out: Optional[npt.NDArray[Any]] = None,
                 threads: Optional[int] = None) -> npt.NDArray[Any]: ...
    def square(self, x: npt.NDArray[Any], out: Optional[npt.NDArray[Any]] = None,
               threads: Optional[int] = None) -> npt.NDArray[Any]: ...
    def scale(self, x: npt.NDArray[Any], factor: float, out: Optional[npt.NDArray[Any]] = None,
              threads: Optional[int] = None) -> npt.NDArray[Any]: ...
    def leaky_relu(self, x: npt.NDArray[Any], alpha: float = 0.1, out: Optional[npt.NDArray[Any]] = None,
                   threads: Optional[int] = None) -> npt.NDArray[Any]: ...
    def mandelbrot(self, width: int, height: int, max_iter: int = 256, xlim: Any = (-2.0, 0.5),
                   ylim: Any = (-1.25, 1.25), dtype: Any = None,
                   threads: Optional[int] = None) -> npt.NDArray[np.uint32]: ...
    def simd_width(self, dtype: Any) -> int: ...

twins: _Twins
