"""Generated Python bindings for plain typed Mojo functions.

``simdpar.mojo.extension(code, functions=[...])`` calls into this module
when the source has no ``PyInit_``. For every named function it reads the
Mojo signature, checks that each parameter type is one it can convert, and
writes a Mojo wrapper taking Python objects (appended *after* the user's
code, so the user's line numbers stay valid) plus a ``PyInit_<name>`` that
registers the wrappers. On the Python side each wrapper is fronted by a
checking function: it rejects wrong types with ``TypeError`` (never a
crash), turns numpy arrays into (address, length) after checking dtype,
C-contiguity and, for ``MutAnyOrigin`` spans, writeability (zero-copy), and
carries the Mojo signature as its docstring.

Supported parameter types: ``Int``, ``Float64``, ``Float32``, ``Bool``,
``String``, ``Span[Float32|Float64, MutAnyOrigin|ImmutAnyOrigin]`` (a numpy
array of that dtype, 1-D or C-contiguous, seen flat). Return types: those
scalars or nothing.
"""

from __future__ import annotations

import operator
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from . import _simdpar as _native

_INT64 = (-(2**63), 2**63 - 1)
_SPAN = re.compile(r"^Span\[\s*(Float32|Float64)\s*,\s*(MutAnyOrigin|ImmutAnyOrigin)\s*\]$")
_SCALAR_TYPES = ("Int", "Float64", "Float32", "Bool", "String")
_CONVENTIONS = ("mut", "read", "var", "owned", "deinit", "ref")


class BindingError(ValueError):
    """A function named in ``functions=`` cannot be bound; ``.line`` is its
    line in the user's source (1-based) when known."""

    def __init__(self, message: str, line: Optional[int] = None):
        """Keeps the user's line."""
        super().__init__(message if line is None else f"line {line}: {message}")
        self.line = line


@dataclass
class Param:
    """One parameter: its name, Mojo type and how it is converted."""

    name: str
    mojo_type: str
    kind: str  # "Int", "Float64", "Float32", "Bool", "String" or "span"
    dtype: Optional[np.dtype] = None
    writeable: bool = False

    def mojo_args(self, first: int, prefix: str = "_spx_") -> Tuple[List[str], str]:
        """The wrapper's Python-object parameter names (from index ``first``,
        starting with ``prefix``) and the Mojo expression converting them to
        this parameter's type."""
        a = f"{prefix}a{first}"
        if self.kind == "span":
            t = "Float32" if self.dtype == np.float32 else "Float64"
            origin = "MutAnyOrigin" if self.writeable else "ImmutAnyOrigin"
            n = f"{prefix}a{first + 1}"
            expr = (f"Span[{t}, {origin}](unsafe_ptr=Pointer[{t}, {origin}]"
                    f"(unsafe_from_address=Int(py={a})), length=Int(py={n}))")
            return [a, n], expr
        if self.kind == "Float32":
            return [a], f"Float32(Float64(py={a}))"
        return [a], f"{self.kind}(py={a})"

    def converter(self, fname: str) -> Callable[[Any], Any]:
        """A function checking one Python argument and returning what the
        Mojo wrapper takes (a value, or ``(address, length)`` for a span).
        The common exact types take a fast path; messages are built only
        when an argument is refused."""
        where = f"{fname}() argument {self.name!r} ({self.mojo_type})"
        lo, hi = _INT64

        def refuse(what: str, value: Any) -> Exception:
            return TypeError(f"{where}: expected {what}, got {type(value).__name__}")

        if self.kind == "span":
            num, writeable, dt = self.dtype.num, self.writeable, self.dtype
            address = _native.array_address

            def span(v: Any) -> Tuple[int, int]:
                if not isinstance(v, np.ndarray):
                    raise refuse(f"a numpy.ndarray of {dt}", v)
                try:
                    return address(v, num, writeable), v.size
                except ValueError as e:
                    raise ValueError(f"{where}: {e}") from None
                except TypeError as e:
                    raise TypeError(f"{where}: {e}") from None

            return span
        if self.kind == "Int":
            def to_int(v: Any) -> int:
                if type(v) is not int:
                    if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)):
                        raise refuse("an int", v)
                    v = operator.index(v)
                if not lo <= v <= hi:
                    raise OverflowError(f"{where}: {v} does not fit in a 64-bit Int")
                return v

            return to_int
        if self.kind in ("Float64", "Float32"):
            def to_float(v: Any) -> float:
                if type(v) is float:
                    return v
                if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, float, np.integer, np.floating)):
                    raise refuse("a float", v)
                return float(v)

            return to_float
        if self.kind == "Bool":
            def to_bool(v: Any) -> bool:
                if type(v) is bool:
                    return v
                if not isinstance(v, np.bool_):
                    raise refuse("a bool", v)
                return bool(v)

            return to_bool

        def to_str(v: Any) -> str:
            if not isinstance(v, str):
                raise refuse("a str", v)
            return v

        return to_str


@dataclass
class Signature:
    """One Mojo function to bind."""

    name: str
    params: List[Param]
    ret: Optional[str]
    text: str  # the signature as written, for docstrings
    line: int  # 1-based line of ``def`` in the user's source
    gen_lines: Tuple[int, int] = (0, 0)  # generated wrapper's line range
    doc: str = field(default="")


def _split_top(s: str) -> List[str]:
    """Splits on commas outside brackets."""
    parts, depth, cur = [], 0, []
    for ch in s:
        if ch in "[(":
            depth += 1
        elif ch in "])":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    if "".join(cur).strip():
        parts.append("".join(cur))
    return [p.strip() for p in parts if p.strip()]


def _def_pattern(name: str) -> "re.Pattern[str]":
    """Matches ``def name(...) [raises] [-> T]:`` at the start of a line."""
    return re.compile(
        rf"^def[ \t]+{re.escape(name)}[ \t]*(\[[^\]]*\])?[ \t]*\((?P<args>[^)]*)\)"
        r"[ \t]*(?P<raises>raises)?[ \t]*(?:->[ \t]*(?P<ret>[^:\n]+?))?[ \t]*:",
        re.M | re.S,
    )


def parse_signature(source: str, name: str) -> Signature:
    """Reads the signature of top-level function ``name`` from ``source``."""
    if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise BindingError(f"{name!r} is not a Mojo function name")
    m = _def_pattern(name).search(source)
    if m is None:
        raise BindingError(f"no top-level `def {name}(...)` in the source")
    line = source.count("\n", 0, m.start()) + 1
    if m.group(1):
        raise BindingError(f"{name} has compile-time parameters {m.group(1)}; bind a concrete function", line)
    params = []
    for raw in _split_top(m.group("args")):
        if "=" in raw.split(":", 1)[-1]:
            raise BindingError(f"{name}: parameter {raw!r} has a default; generated bindings take every argument", line)
        if ":" not in raw:
            raise BindingError(f"{name}: parameter {raw!r} has no type", line)
        pname, ptype = (x.strip() for x in raw.split(":", 1))
        words = pname.split()
        if len(words) == 2 and words[0] in _CONVENTIONS:
            pname = words[1]
        ptype = re.sub(r"\s+", " ", ptype)
        if ptype in _SCALAR_TYPES:
            params.append(Param(pname, ptype, ptype))
            continue
        sm = _SPAN.match(ptype)
        if sm:
            dt = np.dtype(np.float32 if sm.group(1) == "Float32" else np.float64)
            params.append(Param(pname, ptype, "span", dt, sm.group(2) == "MutAnyOrigin"))
            continue
        raise BindingError(
            f"{name}: parameter {pname!r} has type {ptype!r}; generated bindings convert "
            f"{', '.join(_SCALAR_TYPES)} and Span[Float32|Float64, MutAnyOrigin|ImmutAnyOrigin]",
            line,
        )
    ret = m.group("ret").strip() if m.group("ret") else None
    if ret in ("None", ""):
        ret = None
    if ret is not None and ret not in _SCALAR_TYPES:
        raise BindingError(f"{name}: return type {ret!r} is not one of {', '.join(_SCALAR_TYPES)} or none", line)
    text = re.sub(r"\s+", " ", m.group(0).rstrip(":")[4:]).strip()
    return Signature(name, params, ret, text, line)


def mojo_prefixes(source: str) -> Tuple[str, str]:
    """Prefixes for generated Mojo names (``_spx_`` and ``_Spx``, numbered
    when needed) that occur nowhere in ``source``."""
    i = 0
    while True:
        tag = "" if i == 0 else str(i)
        low, cap = f"_spx{tag}_", f"_Spx{tag}"
        if low not in source and cap not in source:
            return low, cap
        i += 1


def generate(source: str, module: str, names: List[str]) -> Tuple[str, List[Signature]]:
    """The user's source followed by the wrappers and ``PyInit_<module>``;
    and the parsed signatures (with the generated line range of each)."""
    bad = [n for n in names if not isinstance(n, str)]
    if bad:
        raise TypeError(
            "functions= takes a list of Mojo function names (str), got "
            + ", ".join(f"{b!r} ({type(b).__name__})" for b in bad)
        )
    if not names:
        raise BindingError("functions= is empty: name at least one Mojo function to bind")
    if len(set(names)) != len(names):
        raise BindingError(f"functions= names a function twice: {names}")
    sigs = [parse_signature(source, n) for n in names]
    body = source if source.endswith("\n") else source + "\n"
    # Generated Mojo names start with prefixes found nowhere in the user's
    # source, so they cannot clash with any of its names.
    low, cap = mojo_prefixes(source)
    out = [
        "",
        "# ---- generated by simdpar.mojo.extension: Python bindings ----",
        f"from std.os import abort as {low}abort",
        f"from std.python import PythonObject as {cap}Obj",
        f"from std.python.bindings import PythonModuleBuilder as {cap}Builder",
    ]
    for s in sigs:
        start = body.count("\n") + len(out) + 2  # the def line, after a blank one
        pyargs, exprs, k = [], [], 0
        for p in s.params:
            names_k, expr = p.mojo_args(k, low)
            pyargs += names_k
            exprs.append(expr)
            k += len(names_k)
        call = f"{s.name}({', '.join(exprs)})"
        out.append("")
        out.append(f"def {low}{s.name}({', '.join(a + f': {cap}Obj' for a in pyargs)}) raises -> {cap}Obj:")
        if s.ret is None:
            out.append(f"    {call}")
            out.append(f"    return {cap}Obj(None)")
        elif s.ret == "Float32":
            out.append(f"    return {cap}Obj(Float64({call}))")
        else:
            out.append(f"    return {cap}Obj({call})")
        s.gen_lines = (start, body.count("\n") + len(out))
    out += [
        "",
        "@export",
        f"def PyInit_{module}() abi(\"C\") -> {cap}Obj:",
        "    try:",
        f"        var {low}m = {cap}Builder(\"{module}\")",
    ]
    for s in sigs:
        doc = s.text.replace("\\", "\\\\").replace('"', '\\"')
        out.append(f"        {low}m.def_function[{low}{s.name}](\"_mojo_{s.name}\", docstring=\"{doc}\")")
    out += [
        f"        return {low}m.finalize()",
        f"    except {low}e:",
        f"        {low}abort(String(\"error creating {module}: \", {low}e))",
        "",
    ]
    return body + "\n".join(out), sigs


def source_line(sigs: List[Signature], line: Optional[int], user_lines: int) -> Tuple[Optional[int], Optional[str]]:
    """Maps a compiler line to the user's source: unchanged inside it; in a
    generated wrapper, the ``def`` line of the function it binds (and that
    function's name)."""
    if line is None or line <= user_lines:
        return line, None
    for s in sigs:
        if s.gen_lines[0] <= line <= s.gen_lines[1]:
            return s.line, s.name
    return (sigs[0].line if sigs else None), None


def internal_prefix(taken: List[str], base: str = "_spx_") -> str:
    """A name prefix that none of the names in ``taken`` starts with:
    ``base``, lengthened with ``_`` until it is free. Generated code names
    its own variables ``<prefix>...``, so they cannot collide with (or
    shadow) a user's name, whatever it is."""
    prefix = base
    while any(t.startswith(prefix) for t in taken):
        prefix += "_"
    return prefix


def checked(raw: Callable[..., Any], sig: Signature, module: str) -> Callable[..., Any]:
    """The Python function exposed for ``sig``: checks and converts the
    arguments, then calls the generated Mojo wrapper ``raw``. Its code is
    straight-line (generated), so a call costs one Python frame plus one
    converter call per argument."""
    import keyword

    names = [p.name for p in sig.params]
    if not all(n.isidentifier() and not keyword.iskeyword(n) for n in names) or len(set(names)) != len(names):
        # A parameter Python cannot name (a Python keyword that Mojo allows):
        # positional parameters a0, a1, ... (the docstring keeps the real names).
        names = [f"a{i}" for i in range(len(names))]
    fname = sig.name if sig.name.isidentifier() and not keyword.iskeyword(sig.name) else "call"
    # The wrapper's own names start with a prefix that no parameter and
    # not the function starts with, so none can shadow another.
    prefix = internal_prefix(names + [fname])
    raw_name = f"{prefix}raw"
    env: Dict[str, Any] = {raw_name: raw}
    pre, args = [], []
    for i, (p, n) in enumerate(zip(sig.params, names)):
        conv = f"{prefix}c{i}"
        env[conv] = p.converter(sig.name)
        if p.kind == "span":
            pre.append(f"    {prefix}p{i}, {prefix}n{i} = {conv}({n})")
            args += [f"{prefix}p{i}", f"{prefix}n{i}"]
        else:
            args.append(f"{conv}({n})")
    code = (f"def {fname}({', '.join(names)}):\n"
            + "\n".join(pre + [f"    return {raw_name}({', '.join(args)})"]) + "\n")
    exec(compile(code, f"<simdpar.mojo binding of {sig.name}>", "exec"), env)  # noqa: S102
    call = env[fname]
    call.__name__ = call.__qualname__ = sig.name
    call.__module__ = module
    call.__doc__ = f"{sig.text}\n\nMojo function {sig.name}, bound by simdpar.mojo.extension (arguments checked; arrays zero-copy)."
    call.mojo_signature = sig.text  # type: ignore[attr-defined]
    return call


def has_pyinit(source: str) -> Optional[str]:
    """The ``<name>`` of a ``def PyInit_<name>`` at the start of a line, or None."""
    m = re.search(r"^def[ \t]+PyInit_([A-Za-z_][A-Za-z0-9_]*)[ \t]*\(", source, re.M)
    return m.group(1) if m else None


def bind_all(module: Any, sigs: List[Signature]) -> Dict[str, Any]:
    """Replaces each raw ``_mojo_<f>`` of ``module`` by the checking ``f``."""
    out = {}
    # Every raw function first: binding `f` sets `module.f`, which may be the
    # raw name of another bound function (`_mojo_g` when `g` is bound too).
    raws = [getattr(module, f"_mojo_{s.name}") for s in sigs]
    for s, raw in zip(sigs, raws):
        f = checked(raw, s, module.__name__)
        setattr(module, s.name, f)
        out[s.name] = f
    return out
