"""Mojo from Python, through simdpar's compile cache.

One cache, two front ends: everything here builds through the same
content-keyed cache as the Rust crate ``simdpar-mojo`` (directory
``$SIMDPAR_CACHE_DIR``, else ``~/.cache/simdpar/mojo``), so an artifact
compiled by the Rust parity suite is a cache hit here and vice versa.

* ``run(code_or_path, **params) -> str``: builds an executable and returns
  its standard output; ``{{name}}`` placeholders are filled from ``params``.
* ``@function``: the function's docstring is a Mojo program with
  ``{{param}}`` placeholders; calling the function runs it and converts the
  output to the return annotation (int, float, bool or str). Each distinct
  set of argument values is a distinct program (one compile each, then
  cache hits).
* ``compile(code_or_path, **defines) -> MojoLibrary``: a shared library
  whose ``@export``-ed C-ABI functions become callable on numpy arrays
  (zero-copy) once their argument types are declared.
* ``extension(code_or_path, name=, functions=) -> module``: a CPython
  extension module written in Mojo (``PyInit_<name>``, or bindings
  generated for ``functions=[...]``), built through the same cache and
  loaded from it; calls cost about as much as a C extension's.
* ``install_importer()``: ``import foo`` builds ``foo.mojo`` from
  ``sys.path`` through the cache (first on ``sys.meta_path``: a stale
  ``foo.so`` elsewhere cannot win).
* ``twins``: the Mojo twins of every simdpar kernel
  (``twins.row_sums(m)``, ``twins.multiply(a, b)``, ...).
* ``cache_info()``, ``clear_cache()``, ``available()``, ``status()``.

Errors are raised, never returned as None or 0: ``MojoNotFoundError`` (no
toolchain; says ``pip install mojo==1.2.0``), ``MojoCompileError``
(``.message``, ``.line``, ``.column``, ``.file``, ``.stderr``),
``MojoRunError`` (the program exited non-zero; ``.returncode``,
``.stdout``, ``.stderr``), all subclasses of ``MojoError``.

Where mojo comes from: ``$SIMDPAR_MOJO`` if set, else ``mojo`` on ``PATH``,
else the ``bin`` directory of the running Python (a venv where
``pip install mojo==1.2.0`` put it, even when the venv is not activated).
"""

from __future__ import annotations

import ctypes
import functools
import importlib.machinery
import importlib.util
import inspect
import os
import re
import shutil
import subprocess
import sys
import textwrap
import threading
import typing
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Union

import numpy as np

from . import _mojo_bindings as _gen
from . import _simdpar as _native

MojoError = _native.MojoError
MojoNotFoundError = _native.MojoNotFoundError
MojoCompileError = _native.MojoCompileError

#: How to install the pinned toolchain.
INSTALL_HINT = _native.MOJO_INSTALL_HINT

#: Seconds a program started by ``run`` may take.
RUN_TIMEOUT = 300.0


class MojoRunError(MojoError):
    """A program built by ``run`` exited with a non-zero status."""

    def __init__(self, message: str, returncode: int, stdout: str, stderr: str):
        """Keeps the exit status and both output streams."""
        super().__init__(message)
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr


__all__ = [
    "INSTALL_HINT",
    "MojoCompileError",
    "MojoError",
    "MojoFunction",
    "MojoLibrary",
    "MojoNotFoundError",
    "MojoRunError",
    "available",
    "cache",
    "cache_info",
    "clear_cache",
    "compile",
    "configure",
    "extension",
    "find_mojo",
    "function",
    "install_importer",
    "load_twins",
    "run",
    "status",
    "twins",
    "uninstall_importer",
]

_lock = threading.Lock()
_cache: Optional[Any] = None
_config: Dict[str, Any] = {"cache_dir": None, "mojo": None}
_twins: Dict[str, Any] = {}


def find_mojo() -> Optional[str]:
    """The mojo executable to use, or None: $SIMDPAR_MOJO, PATH, then the
    bin directory of the running Python."""
    if _config["mojo"]:
        return str(_config["mojo"])
    env = os.environ.get("SIMDPAR_MOJO")
    if env:
        return env
    found = shutil.which("mojo")
    if found:
        return found
    for d in (Path(sys.executable).parent, Path(sys.prefix) / "bin"):
        cand = d / "mojo"
        if cand.is_file() and os.access(cand, os.X_OK):
            return str(cand)
    return None


def configure(cache_dir: Union[str, os.PathLike, None] = None,
              mojo: Union[str, os.PathLike, None] = None) -> None:
    """Use another cache directory and/or mojo executable from now on
    (None: the defaults). Drops the open cache and the loaded twins."""
    global _cache
    with _lock:
        _config["cache_dir"] = os.fspath(cache_dir) if cache_dir is not None else None
        _config["mojo"] = os.fspath(mojo) if mojo is not None else None
        _cache = None
        _twins.clear()


def cache() -> Any:
    """The open compile cache (opened on first use; runs ``mojo --version``).

    Raises MojoNotFoundError when no working toolchain is found."""
    global _cache
    with _lock:
        if _cache is None:
            mojo = find_mojo()
            if mojo is None:
                raise MojoNotFoundError(
                    "mojo toolchain not found (searched $SIMDPAR_MOJO, PATH and "
                    f"{Path(sys.executable).parent}); install it with: {INSTALL_HINT}"
                )
            _cache = _native.MojoCache(mojo=mojo, dir=_config["cache_dir"])
        return _cache


def available() -> bool:
    """True when a working Mojo toolchain was found (never raises)."""
    try:
        cache()
        return True
    except MojoError:
        return False


def status() -> str:
    """One line for a notebook: the Mojo version in use, or why Mojo is
    unavailable and how to install it."""
    try:
        c = cache()
        return f"{c.mojo_version} at {c.toolchain}; cache {c.dir}"
    except MojoError as e:
        return f"Mojo unavailable: {e}"


def cache_info() -> Dict[str, Any]:
    """The cache: dir, entries, bytes, max_bytes, toolchain, mojo_version,
    hits and misses (over the directory's lifetime, all processes and both
    front ends), session_hits and session_misses (this process)."""
    return cache().info()


def clear_cache() -> int:
    """Removes every cached artifact and the counters; returns how many
    entries were removed. Loaded libraries stay usable."""
    with _lock:
        _twins.clear()
    return cache().clear()


_PLACEHOLDER = re.compile(r"\{\{\s*([A-Za-z_][A-Za-z0-9_]*)\s*\}\}")


def _looks_like_path(s: str) -> bool:
    """Whether a string names a .mojo file rather than holding code."""
    return "\n" not in s and s.strip().endswith((".mojo", ".🔥"))


def _source(code_or_path: Union[str, os.PathLike], default_name: str):
    """(text, file name, include dirs) of inline code or a .mojo file."""
    if isinstance(code_or_path, os.PathLike) or (
        isinstance(code_or_path, str) and _looks_like_path(code_or_path)
    ):
        p = Path(code_or_path).expanduser()
        if not p.is_file():
            raise FileNotFoundError(f"no Mojo source file {p}")
        return p.read_text(encoding="utf-8"), p.name, [str(p.resolve().parent)]
    if not isinstance(code_or_path, str):
        raise TypeError(
            f"expected Mojo source text or a path to a .mojo file, got {type(code_or_path).__name__}"
        )
    return _dedent(code_or_path), default_name, []


def _dedent(code: str) -> str:
    """Removes the common indentation of inline code (line numbers kept)."""
    code = textwrap.dedent(code)
    return code if code.endswith("\n") else code + "\n"


def _dedent_docstring(doc: str) -> str:
    """Dedents a docstring like ``inspect.cleandoc`` (the first line may
    follow the quotes) but keeps every line, so compiler line numbers count
    from the docstring's first line."""
    lines = doc.split("\n")
    first, rest = lines[0].strip(), textwrap.dedent("\n".join(lines[1:]))
    code = first + "\n" + rest if len(lines) > 1 else first
    return code if code.endswith("\n") else code + "\n"


def _format_value(v: Any) -> str:
    """How a parameter value is spelled in Mojo source (True/False, repr of floats)."""
    if isinstance(v, bool):
        return "True" if v else "False"
    if isinstance(v, float):
        return repr(v)
    return str(v)


def _fill(text: str, params: Dict[str, Any]) -> str:
    """Replaces every ``{{name}}`` with ``params[name]``; a missing or an
    unused parameter is a ValueError."""
    names = set(_PLACEHOLDER.findall(text))
    missing = sorted(names - params.keys())
    if missing:
        raise ValueError(f"no value for placeholder(s) {', '.join('{{' + m + '}}' for m in missing)}")
    unused = sorted(params.keys() - names)
    if unused:
        raise ValueError(f"parameter(s) {', '.join(unused)} match no {{{{placeholder}}}} in the source")
    return _PLACEHOLDER.sub(lambda m: _format_value(params[m.group(1)]), text)


def build(code_or_path: Union[str, os.PathLike], emit: str = "exe",
          defines: Optional[Dict[str, Any]] = None, params: Optional[Dict[str, Any]] = None,
          fp_mode: str = "contract=fast", target_cpu: Optional[str] = None) -> Any:
    """Builds (or finds in the cache) an executable (``emit="exe"``) or a
    shared library (``emit="shared-lib"``); returns the artifact (``.path``,
    ``.key``, ``.outcome`` = "hit" / "compiled" / "rebuilt")."""
    default = "program.mojo" if emit == "exe" else "library.mojo"
    text, name, includes = _source(code_or_path, default)
    text = _fill(text, dict(params or {}))
    defs = {str(k): _format_value(v) for k, v in (defines or {}).items()}
    return cache().build(text, name, emit, defs, fp_mode, target_cpu, 3, includes)


def run(code_or_path: Union[str, os.PathLike], /, **params: Any) -> str:
    """Builds the Mojo program (inline code with ``def main()``, or a path
    to a .mojo file) through the cache, runs it, and returns its standard
    output without the trailing newline. ``{{name}}`` placeholders are
    replaced by ``params[name]`` first (a missing or unused parameter is a
    ValueError). Raises MojoCompileError, MojoRunError, MojoNotFoundError."""
    art = build(code_or_path, "exe", params=params)
    try:
        proc = subprocess.run(
            [art.path], capture_output=True, text=True, timeout=RUN_TIMEOUT,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired as e:
        raise MojoRunError(f"the Mojo program ran longer than {RUN_TIMEOUT} s", -1,
                           str(e.stdout or ""), str(e.stderr or "")) from None
    if proc.returncode != 0:
        raise MojoRunError(
            f"the Mojo program exited with status {proc.returncode}: {proc.stderr.strip()[-2000:]}",
            proc.returncode, proc.stdout, proc.stderr,
        )
    return proc.stdout[:-1] if proc.stdout.endswith("\n") else proc.stdout


_CONVERTERS = (int, float, bool, str)


def _convert(out: str, ret: Any, name: str) -> Any:
    """Converts a program's output to the annotated return type, or raises MojoError."""
    text = out.strip()
    try:
        if ret is bool:
            low = text.lower()
            if low in ("true", "1"):
                return True
            if low in ("false", "0"):
                return False
            raise ValueError(text)
        if ret in (int, float):
            return ret(text)
    except ValueError:
        raise MojoError(
            f"{name}: the Mojo program printed {out!r}, which is not a {ret.__name__}"
        ) from None
    return out


def function(fn: Optional[Callable] = None) -> Any:
    """Decorator: the function's docstring is a Mojo program with
    ``{{param}}`` placeholders for its parameters. Calling the function
    fills them from the arguments, runs the program through the cache and
    converts its output to the return annotation (int, float, bool or str;
    none means str). Compile errors raise MojoCompileError with line numbers
    counted from the docstring's first line."""

    def wrap(f: Callable) -> Callable:
        """Builds the wrapper of one decorated function."""
        code = f.__doc__
        if not code or not code.strip():
            raise TypeError(f"@simdpar.mojo.function: {f.__name__} has no docstring holding Mojo code")
        sig = inspect.signature(f)
        hints = typing.get_type_hints(f)
        ret = hints.get("return", str)
        if ret is type(None):
            ret = str
        if ret not in _CONVERTERS:
            raise TypeError(
                f"@simdpar.mojo.function: {f.__name__} returns {ret!r}; use int, float, bool or str"
            )
        text = _dedent_docstring(code)

        @functools.wraps(f)
        def call(*args: Any, **kwargs: Any) -> Any:
            """Fills the placeholders from the arguments, runs the program, converts its output."""
            bound = sig.bind(*args, **kwargs)
            bound.apply_defaults()
            used = set(_PLACEHOLDER.findall(text))
            params = {k: v for k, v in bound.arguments.items() if k in used}
            return _convert(run(text, **params), ret, f.__name__)

        call.mojo_source = text  # type: ignore[attr-defined]
        return call

    return wrap(fn) if fn is not None else wrap


# ----------------------------------------------------------------------------
# compile(): shared libraries callable on numpy arrays


_SCALARS = {
    "float32": (np.float32, ctypes.c_float), "f32": (np.float32, ctypes.c_float),
    "Float32": (np.float32, ctypes.c_float),
    "float64": (np.float64, ctypes.c_double), "f64": (np.float64, ctypes.c_double),
    "Float64": (np.float64, ctypes.c_double), "float": (np.float64, ctypes.c_double),
    "int": (np.int64, ctypes.c_int64), "Int": (np.int64, ctypes.c_int64),
    "int64": (np.int64, ctypes.c_int64), "Int64": (np.int64, ctypes.c_int64),
    "int32": (np.int32, ctypes.c_int32), "Int32": (np.int32, ctypes.c_int32),
    "uint32": (np.uint32, ctypes.c_uint32), "UInt32": (np.uint32, ctypes.c_uint32),
    "uint64": (np.uint64, ctypes.c_uint64), "UInt64": (np.uint64, ctypes.c_uint64),
    "uint8": (np.uint8, ctypes.c_uint8), "UInt8": (np.uint8, ctypes.c_uint8),
    "bool": (np.bool_, ctypes.c_bool), "Bool": (np.bool_, ctypes.c_bool),
}
_POINTER = re.compile(r"^(?:(const)\s+)?(\w+)\s*\*$")
_MOJO_POINTER = re.compile(r"^(Optional)?Pointer\[\s*(\w+)\s*(?:,\s*(\w+)\s*)?\]$")


class _Arg:
    """One declared argument: a scalar or a pointer to array data."""

    def __init__(self, spec: Any):
        """Parses one argument type declaration."""
        self.spec = spec
        self.pointer = False
        self.writeable = False
        name = spec
        if not isinstance(spec, str):
            name = np.dtype(spec).name
        s = str(name).strip()
        m = _POINTER.match(s)
        mm = _MOJO_POINTER.match(s)
        if m:
            self.pointer, self.writeable, s = True, m.group(1) is None, m.group(2)
        elif mm:
            origin = mm.group(3) or "MutAnyOrigin"
            self.pointer, self.writeable, s = True, not origin.startswith("Immut"), mm.group(2)
        if s not in _SCALARS:
            raise TypeError(
                f"unknown argument type {spec!r}: use a scalar ({', '.join(sorted(set(_SCALARS)))}), "
                "a pointer such as 'float32*' / 'const float64*', or 'Pointer[Float32, MutAnyOrigin]'"
            )
        self.dtype = np.dtype(_SCALARS[s][0])
        self.num = self.dtype.num
        self.ctype = ctypes.c_void_p if self.pointer else _SCALARS[s][1]

    def convert(self, value: Any, i: int, fname: str) -> Any:
        """The ctypes value for one call argument (an address for arrays, checked)."""
        if self.pointer:
            if not isinstance(value, np.ndarray):
                raise TypeError(
                    f"{fname}: argument {i} is a pointer to {self.dtype.name}; pass a numpy array, "
                    f"got {type(value).__name__}"
                )
            return _native.array_address(value, self.num, self.writeable)
        if isinstance(value, np.ndarray):
            raise TypeError(f"{fname}: argument {i} is a {self.dtype.name} scalar, got an array")
        return value


class MojoFunction:
    """An exported C-ABI function of a compiled library. Declare its
    argument types (``declare``) before calling it; numpy arrays passed for
    pointer arguments are checked (dtype, C-contiguous, writeable unless
    ``const``) and passed by address, without copying. The GIL is released
    during the call."""

    def __init__(self, library: "MojoLibrary", name: str):
        """An undeclared function ``name`` of ``library``."""
        self._library = library
        self.name = name
        self._args: Optional[List[_Arg]] = None
        self._cfunc: Any = None
        self.restype: Any = None

    def declare(self, *argtypes: Any, ret: Any = None) -> "MojoFunction":
        """Declares the argument types (e.g. ``"const float32*"``,
        ``"float32*"``, ``"float32"``, ``"int"``, or Mojo spellings such as
        ``"Pointer[Float32, MutAnyOrigin]"``, ``"Int"``) and the return type
        (None for none); returns the function."""
        if len(argtypes) == 1 and isinstance(argtypes[0], (list, tuple)):
            argtypes = tuple(argtypes[0])
        args = [_Arg(a) for a in argtypes]
        restype = None
        if ret is not None:
            r = _Arg(ret)
            if r.pointer:
                raise TypeError("pointer return types are not supported")
            restype = r.ctype
        proto = ctypes.CFUNCTYPE(restype, *[a.ctype for a in args])
        self._cfunc = proto(self._library._native_lib.address(self.name))
        self._args = args
        self.restype = ret
        return self

    def __call__(self, *values: Any) -> Any:
        """Calls the function; arrays go by address (zero-copy)."""
        if self._args is None:
            raise TypeError(
                f"{self.name}: declare the argument types first, e.g. "
                f"lib.{self.name}.declare('const float32*', 'float32*', 'int')"
            )
        if len(values) != len(self._args):
            raise TypeError(f"{self.name} takes {len(self._args)} arguments, got {len(values)}")
        return self._cfunc(*[a.convert(v, i, self.name) for i, (a, v) in enumerate(zip(self._args, values))])

    def __repr__(self) -> str:
        """Shows the declaration."""
        sig = "undeclared" if self._args is None else ", ".join(str(a.spec) for a in self._args)
        return f"<MojoFunction {self.name}({sig}) -> {self.restype}>"


class MojoLibrary:
    """A compiled Mojo shared library (loaded after checking its target
    CPU features against this machine). ``lib.name`` is the exported
    function ``name``; declare its types before calling it."""

    def __init__(self, artifact: Any):
        """Loads ``artifact`` (a shared library built through the cache)."""
        self._artifact = artifact
        self._native_lib = artifact.load()
        self._functions: Dict[str, MojoFunction] = {}
        self.path: str = artifact.path
        self.key: str = artifact.key
        self.outcome: str = artifact.outcome

    def has(self, name: str) -> bool:
        """Whether the library exports ``name``."""
        return self._native_lib.has_symbol(name)

    def function(self, name: str) -> MojoFunction:
        """The exported function ``name`` (AttributeError if not exported)."""
        f = self._functions.get(name)
        if f is None:
            if not self._native_lib.has_symbol(name):
                raise AttributeError(f"{self.path} does not export {name!r} (missing @export?)")
            f = self._functions[name] = MojoFunction(self, name)
        return f

    def declare(self, name: str, *argtypes: Any, ret: Any = None) -> MojoFunction:
        """Declares the types of the exported function ``name``; returns it."""
        return self.function(name).declare(*argtypes, ret=ret)

    def __getattr__(self, name: str) -> MojoFunction:
        """``lib.name`` is ``lib.function(name)``."""
        if name.startswith("_"):
            raise AttributeError(name)
        return self.function(name)

    def __repr__(self) -> str:
        """Shows the file and the cache outcome."""
        return f"<MojoLibrary {self.path} ({self.outcome})>"


def compile(code_or_path: Union[str, os.PathLike], /, *, fp_mode: str = "contract=fast",
            target_cpu: Optional[str] = None, **defines: Any) -> MojoLibrary:
    """Compiles Mojo code (inline text or a .mojo path) into a shared
    library through the cache and loads it. ``defines`` become ``-D
    NAME=VALUE`` (read them in Mojo with ``std.sys.defines``);
    ``fp_mode="contract=off"`` forbids fused multiply-adds (bitwise parity
    with simdpar). Raises MojoCompileError with the compiler's message and
    line."""
    art = build(code_or_path, "shared-lib", defines=defines, fp_mode=fp_mode,
                target_cpu=target_cpu)
    return MojoLibrary(art)


# ----------------------------------------------------------------------------
# twins


def load_twins(variant: str = "exact") -> Any:
    """The Mojo twins library of ``variant``: "exact" (contract=off: the
    elementwise kernels and mandelbrot match simdpar bit for bit), "fast"
    (FMA contraction allowed), "portable" (x86-64-v3) or "forced16"
    (16-lane float32 vectors). Compiled once through the cache."""
    with _lock:
        t = _twins.get(variant)
    if t is None:
        t = cache().twins(variant)
        with _lock:
            _twins.setdefault(variant, t)
    return t


class _Twins:
    """``simdpar.mojo.twins``: the exact Mojo twin of every kernel, loaded
    (and compiled if not cached) on first use. Same call signatures as the
    simdpar functions: ``sum(x)``, ``row_sums(m, out=None, threads=None)``,
    ``add(a, b, out=None)``, ``multiply(a, b, out=None, threads=None)``,
    ``square(x)``, ``scale(x, factor)``, ``leaky_relu(x, alpha=0.1)``,
    ``mandelbrot(width, height, max_iter=256, xlim, ylim, dtype, threads)``.
    Raises MojoNotFoundError without a toolchain."""

    _FORWARD = frozenset(
        ["sum", "row_sums", "add", "multiply", "square", "scale", "leaky_relu",
         "mandelbrot", "simd_width", "variant", "path"]
    )

    def __getattr__(self, name: str) -> Any:
        """Loads the twins and returns their ``name``."""
        if name not in self._FORWARD:
            raise AttributeError(name)
        return getattr(load_twins("exact"), name)

    def __dir__(self) -> Sequence[str]:
        """The kernel names."""
        return sorted(self._FORWARD)

    def __repr__(self) -> str:
        """Says whether the twins are loaded."""
        state = "loaded" if "exact" in _twins else "not loaded yet"
        return f"<simdpar.mojo.twins ({state})>"


twins = _Twins()


# ----------------------------------------------------------------------------
# extension(): CPython extension modules written in Mojo, through the cache

_extensions: Dict[str, Any] = {}
_ext_lock = threading.Lock()


def _load_extension_file(modname: str, so_path: str) -> Any:
    """Loads the extension module ``modname`` from ``so_path`` (a file in the
    cache) with importlib's extension loader; ImportError naming the module
    when the file does not define ``PyInit_<modname>``."""
    loader = importlib.machinery.ExtensionFileLoader(modname, so_path)
    spec = importlib.util.spec_from_file_location(modname, so_path, loader=loader)
    try:
        module = importlib.util.module_from_spec(spec)  # type: ignore[arg-type]
        loader.exec_module(module)
    except ImportError as e:
        raise ImportError(
            f"Mojo extension {modname!r}: the library built from it ({so_path}) does not "
            f"provide PyInit_{modname} ({e}); define `@export def PyInit_{modname}() "
            f"abi(\"C\") -> PythonObject` or pass functions=[...]",
            name=modname, path=so_path,
        ) from None
    return module


def _extension_source(code_or_path: Union[str, os.PathLike]):
    """(text, origin file or None, import dirs) of inline code or a .mojo file."""
    if isinstance(code_or_path, os.PathLike) or (
        isinstance(code_or_path, str) and _looks_like_path(code_or_path)
    ):
        p = Path(code_or_path).expanduser().resolve()
        if not p.is_file():
            raise FileNotFoundError(f"no Mojo source file {p}")
        return p.read_text(encoding="utf-8"), p, [str(p.parent)]
    if not isinstance(code_or_path, str):
        raise TypeError(
            f"expected Mojo source text or a path to a .mojo file, got {type(code_or_path).__name__}"
        )
    return _dedent(code_or_path), None, []


def _ours(module: Any) -> bool:
    """Whether ``module`` is an extension module this front end loaded."""
    key = getattr(module, "__mojo_key__", None)
    return key is not None and _extensions.get(key) is module


def _check_name_free(modname: str, replace: bool) -> None:
    """ValueError when loading extension ``modname`` would replace a module
    this front end did not create: loading an extension module puts it in
    ``sys.modules[modname]``, so every later ``import modname`` would get
    it. A name already imported, or importable from ``sys.path`` (the
    standard library, installed packages, files next to the script), is
    refused. An extension this front end loaded earlier under the name may
    be replaced only with ``replace=True``."""
    existing = sys.modules.get(modname)
    if existing is not None:
        if not _ours(existing):
            where = getattr(existing, "__file__", None) or "built in"
            raise ValueError(
                f"extension name {modname!r} clashes with the module already imported as "
                f"{modname!r} ({where}); loading would replace sys.modules[{modname!r}] for "
                f"every later `import {modname}`: choose another name="
            )
        if not replace:
            raise ValueError(
                f"extension name {modname!r} is taken by an earlier Mojo extension built from "
                f"other source ({getattr(existing, '__mojo_source__', None) or 'inline code'}); "
                f"pass replace=True to replace it, or choose another name="
            )
        return
    try:
        spec = importlib.util.find_spec(modname)
    except (ImportError, ValueError):
        spec = None
    if spec is not None and not isinstance(spec.loader, _MojoSourceLoader):
        where = spec.origin or "a namespace package"
        raise ValueError(
            f"extension name {modname!r} clashes with the importable module {modname!r} "
            f"({where}); loading would shadow it for every later `import {modname}`: "
            f"choose another name="
        )


def _function_names(functions: Any) -> List[str]:
    """``functions=`` as a list of names; TypeError saying what is expected."""
    what = "functions= takes a list of Mojo function names (str)"
    if isinstance(functions, (str, bytes)):
        raise TypeError(f"{what}, not one {type(functions).__name__}: functions=[{functions!r}]")
    try:
        names = list(functions)
    except TypeError:
        raise TypeError(f"{what}, got {type(functions).__name__}") from None
    bad = [f"{n!r} ({type(n).__name__})" for n in names if not isinstance(n, str)]
    if bad:
        raise TypeError(f"{what}, got {', '.join(bad)}")
    return names


def extension(code_or_path: Union[str, os.PathLike], /, *, name: Optional[str] = None,
              functions: Optional[Sequence[str]] = None, fp_mode: str = "contract=fast",
              defines: Optional[Dict[str, Any]] = None, target_cpu: Optional[str] = None,
              target_features: Optional[str] = None, replace: bool = False) -> Any:
    """Builds a CPython extension module written in Mojo through the cache
    and returns the loaded module.

    ``code_or_path`` is Mojo source text or a path to a .mojo file. Either
    the source defines ``@export def PyInit_<name>() abi("C") ->
    PythonObject`` itself (``name`` defaults to that ``<name>``), or
    ``functions=[...]`` names plain typed Mojo functions and simdpar
    generates the bindings (argument checks and conversions for Int,
    Float64, Float32, Bool, String and float32/float64 numpy arrays as
    ``Span[Float32|Float64, MutAnyOrigin|ImmutAnyOrigin]``, zero-copy;
    ``name`` defaults to the file's stem and is required for inline code).

    The cache key covers the source, every local .mojo file it imports,
    the compiler version, the target CPU and features, ``fp_mode``,
    ``defines`` and the emit kind. The library is loaded from the cache
    (never from beside the source), after checking it against this CPU. A
    second call with the same key is a cache hit (no compiler run; counted
    by ``cache_info()``) and returns the module already loaded.

    Loading an extension module puts it in ``sys.modules[name]``, so the
    name must be free: a name already imported (``json``) or importable from
    ``sys.path`` is refused with a ValueError naming the clash, and so is the
    name of an extension this front end loaded earlier from other source
    unless ``replace=True`` (which replaces only such a module of its own).

    Raises ValueError (neither PyInit_ nor functions, or both; a name
    clash), TypeError (``functions=`` not a list of str), MojoCompileError
    (file/line/column point into the user's source, also for generated
    bindings), MojoNotFoundError, MojoError (an artifact this CPU cannot run),
    ImportError (no PyInit_<name> in the built library)."""
    gen = _gen
    text, origin, import_dirs = _extension_source(code_or_path)
    found = gen.has_pyinit(text)
    sigs: List[Any] = []
    if functions is not None:
        functions = _function_names(functions)
    if found is not None:
        if functions:
            raise ValueError(
                f"the source defines PyInit_{found} itself; functions= is only for sources "
                "without a PyInit_ (drop one of the two)"
            )
        if name is not None and name != found:
            raise ValueError(f"name={name!r} but the source defines PyInit_{found}")
        modname, full = found, text
    else:
        if not functions:
            raise ValueError(
                "the Mojo source has no `PyInit_<name>`: either define "
                "`@export def PyInit_<name>() abi(\"C\") -> PythonObject` in it, or pass "
                "functions=[...] naming the typed Mojo functions to bind"
            )
        modname = name or (origin.stem if origin is not None else None)
        if modname is None:
            raise ValueError("name= is required for inline code with generated bindings")
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", modname):
            raise ValueError(f"module name {modname!r} is not a Python identifier")
        full, sigs = gen.generate(text, modname, list(functions))
    # Before compiling: a clash with a module that is not ours never builds.
    existing = sys.modules.get(modname)
    if existing is None or not _ours(existing):
        _check_name_free(modname, replace)
    defs = {str(k): _format_value(v) for k, v in (defines or {}).items()}
    try:
        art = cache().build(full, f"{modname}.mojo", "python-extension", defs, fp_mode,
                            target_cpu, 3, [], import_dirs, target_features)
    except MojoCompileError as e:
        _point_at_user_source(e, text, origin, modname, sigs)
        raise
    # One load per key and process, also when threads race here.
    with _ext_lock:
        module = _extensions.get(art.key)
        if module is not None and sys.modules.get(modname) not in (None, module):
            # Loaded before, but the name now belongs to another extension
            # of ours: handing this one back is replacing that one.
            _check_name_free(modname, replace)
            sys.modules[modname] = module
        if module is None:
            _check_name_free(modname, replace)
            module = _load_extension_file(modname, art.extension_path())
            module.__mojo_key__ = art.key
            module.__mojo_source__ = str(origin) if origin is not None else None
            if sigs:
                gen.bind_all(module, sigs)
            _extensions[art.key] = module
    return module


def _point_at_user_source(e: Any, text: str, origin: Optional[Path], modname: str,
                          sigs: List[Any]) -> None:
    """Rewrites a compile error's file and line to the user's source (a line
    in generated bindings becomes the bound function's ``def`` line)."""
    gen = _gen
    user_lines = text.count("\n") + (0 if text.endswith("\n") else 1)
    line, func = gen.source_line(sigs, getattr(e, "line", None), user_lines)
    if func is not None:
        e.message = f"in the generated binding of {func}: {e.message}"
        e.column = 1
        e.args = (f"{origin or modname + '.mojo'}:{line}: {e.message}",) + tuple(e.args[1:])
    e.line = line
    if origin is not None and getattr(e, "file", None) in (f"{modname}.mojo", None):
        e.file = str(origin)


# ----------------------------------------------------------------------------
# install_importer(): `import foo` builds foo.mojo from sys.path


class MojoImporter:
    """A ``sys.meta_path`` finder: ``import foo`` finds ``foo.mojo`` in the
    directories of ``sys.path`` (or a package's ``__path__``) and builds it
    with :func:`extension` (the source must define ``PyInit_foo``). Installed
    first on ``sys.meta_path``, so a stale ``foo.so`` anywhere on
    ``sys.path`` cannot shadow ``foo.mojo``."""

    def find_spec(self, fullname: str, path: Optional[Sequence[str]] = None,
                  target: Any = None) -> Any:
        """A spec for ``fullname`` when a matching .mojo file exists, else None."""
        leaf = fullname.rpartition(".")[2]
        for d in (path if path is not None else sys.path):
            for suffix in (".mojo", ".🔥"):
                cand = Path(d or ".") / (leaf + suffix)
                if cand.is_file():
                    return importlib.util.spec_from_file_location(
                        fullname, str(cand), loader=_MojoSourceLoader(fullname, cand))
        return None

    def invalidate_caches(self) -> None:
        """Nothing is cached here (the compile cache is content-keyed)."""


class _MojoSourceLoader:
    """Builds one .mojo file through the cache and loads the extension."""

    def __init__(self, fullname: str, path: Path):
        """Remembers the module name and its source file."""
        self.fullname = fullname
        self.path = path

    def create_module(self, spec: Any) -> Any:
        """The built extension module (ImportError naming it when it has no PyInit_)."""
        leaf = self.fullname.rpartition(".")[2]
        text = self.path.read_text(encoding="utf-8")
        found = _gen.has_pyinit(text)
        if found != leaf:
            raise ImportError(
                f"{self.path} has no PyInit_{leaf}: `import {self.fullname}` needs "
                f"`@export def PyInit_{leaf}() abi(\"C\") -> PythonObject` in it"
                + (f" (it defines PyInit_{found})" if found else ""),
                name=self.fullname, path=str(self.path),
            )
        # `import` (or importlib.reload) of a .mojo file replaces what the
        # import system holds under the name: only our own extensions get here.
        return extension(self.path, replace=True)

    def exec_module(self, module: Any) -> None:
        """The extension's PyInit_ already ran in create_module."""


_importer: Optional[MojoImporter] = None


def install_importer() -> MojoImporter:
    """Makes ``import foo`` build ``foo.mojo`` (found on ``sys.path``)
    through the cache. The finder goes first on ``sys.meta_path``, so a stale
    ``foo.so`` elsewhere on the path cannot win silently. Idempotent;
    returns the finder."""
    global _importer
    with _lock:
        if _importer is None:
            _importer = MojoImporter()
        if _importer in sys.meta_path:
            sys.meta_path.remove(_importer)
        sys.meta_path.insert(0, _importer)
        return _importer


def uninstall_importer() -> None:
    """Removes the finder installed by :func:`install_importer` (if any)."""
    with _lock:
        if _importer is not None and _importer in sys.meta_path:
            sys.meta_path.remove(_importer)
