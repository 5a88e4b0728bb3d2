"""Generated Mojo bindings (simdpar/_mojo_bindings.py) pass every argument
to the parameter it names, whatever the parameters are called.

The Python wrappers are checked here without Mojo (a recording stand-in for
the compiled function), over random identifiers, names equal to the
wrappers' internals and Python keywords; test_mojo_extension.py compiles
the same kind of names with Mojo end to end.
"""

from __future__ import annotations

import keyword
import random
import string

import numpy as np
import pytest

from simdpar import _mojo_bindings as gen

# Names the generated code used (or uses) for itself, and near misses.
INTERNAL_LIKE = [
    "_raw", "_c0", "_c1", "_p0", "_n0", "_p1", "_n1", "_spx_raw", "_spx_c0",
    "_spx_p0", "_spx_n0", "_spx__raw", "_spx_a0", "_spx_", "_spx", "a0", "a1",
    "call", "f", "np", "operator", "self", "x", "_", "__", "_spx_f", "_SpxObj",
]
TYPES = ["Int", "Float64", "Float32", "Bool", "String",
         "Span[Float64, ImmutAnyOrigin]", "Span[Float32, MutAnyOrigin]"]


def random_name(rng: random.Random) -> str:
    first = rng.choice("_" * 6 + string.ascii_letters)
    rest = "".join(rng.choice(string.ascii_letters + string.digits + "_")
                   for _ in range(rng.randint(0, 8)))
    return first + rest


def value_for(mojo_type: str, rng: random.Random):
    if mojo_type == "Int":
        return rng.randint(-10**6, 10**6)
    if mojo_type in ("Float64", "Float32"):
        return rng.random()
    if mojo_type == "Bool":
        return rng.random() < 0.5
    if mojo_type == "String":
        return f"s{rng.randint(0, 999)}"
    dt = np.float32 if "Float32" in mojo_type else np.float64
    return np.arange(rng.randint(0, 5), dtype=dt)


def expected(mojo_type: str, v):
    """What the Mojo wrapper receives for `v`."""
    if mojo_type.startswith("Span"):
        return ("span", v.size)
    return v


def check_signature(names, types, rng, fname="f"):
    params = ", ".join(f"{n}: {t}" for n, t in zip(names, types))
    source = f"def {fname}({params}) -> Int:\n    return 0\n"
    sig = gen.parse_signature(source, fname)
    assert [p.name for p in sig.params] == list(names)
    seen = []

    def raw(*args):
        seen.append(args)
        return "ret"

    call = gen.checked(raw, sig, "m")
    values = [value_for(t, rng) for t in types]
    assert call(*values) == "ret"
    got = list(seen[-1])
    want = []
    for t, v in zip(types, values):
        if t.startswith("Span"):
            addr, n = got[len(want)], got[len(want) + 1]
            assert addr == (v.ctypes.data if v.size else addr) and n == v.size, (names, t)
            want += [addr, n]
        else:
            want.append(v if t != "Float32" else float(v))
    assert got == want, (names, types, got, want)
    # By keyword too, where Python can name the parameter.
    if all(n.isidentifier() and not keyword.iskeyword(n) for n in names) and len(set(names)) == len(names):
        assert call(**dict(zip(names, values))) == "ret"
        assert list(seen[-1]) == want
    # The Mojo side: no generated name occurs in the user's source.
    full, _ = gen.generate(source, "m", [fname])
    low, cap = gen.mojo_prefixes(source)
    assert low not in source and cap not in source
    assert full.startswith(source)


def test_wrapper_internal_names_as_parameters():
    rng = random.Random(1)
    for name in INTERNAL_LIKE:
        for t in TYPES:
            check_signature([name, "other"], [t, "Int"], rng)
            check_signature(["xs", name], ["Span[Float64, ImmutAnyOrigin]", t], rng)
    # Every internal name at once, spans in between.
    names = INTERNAL_LIKE[:12]
    types = [TYPES[i % len(TYPES)] for i in range(len(names))]
    check_signature(names, types, rng)
    # A parameter named like the function.
    check_signature(["f", "_n0"], ["Span[Float64, ImmutAnyOrigin]", "Int"], rng)


def test_random_identifiers_property():
    rng = random.Random(22)
    for _ in range(400):
        k = rng.randint(0, 6)
        names = []
        while len(names) < k:
            n = rng.choice(INTERNAL_LIKE) if rng.random() < 0.3 else random_name(rng)
            if n not in names and not keyword.iskeyword(n):
                names.append(n)
        types = [rng.choice(TYPES) for _ in names]
        fname = random_name(rng)
        if keyword.iskeyword(fname) or fname in names:
            fname = "g"
        check_signature(names, types, rng, fname)


@pytest.mark.parametrize("kw", [k for k in keyword.kwlist if k.islower()] + ["match", "case", "type"])
def test_python_keywords_as_parameters_are_passed_positionally(kw):
    rng = random.Random(3)
    check_signature([kw, "_n0"], ["Int", "Int"], rng)
    check_signature(["v", kw], ["Span[Float32, MutAnyOrigin]", "Float64"], rng)


def test_functions_must_be_names():
    with pytest.raises(TypeError, match=r"list of Mojo function names \(str\)"):
        gen.generate("def f() -> Int:\n    return 1\n", "m", [1])


# ---------------------------------------------------------------------------
# extension(name=...): never another module's name (checked before any
# compiler run, so these need no Mojo)

ONE = "def f(n: Int) -> Int:\n    return n\n"


@pytest.mark.parametrize("taken", ["json", "sys", "numpy", "simdpar", "os"])
def test_an_imported_module_name_is_refused(taken):
    import sys

    import simdpar.mojo as mj

    __import__(taken)
    before = sys.modules[taken]
    with pytest.raises(ValueError, match=rf"{taken!r}.*already imported"):
        mj.extension(ONE, name=taken, functions=["f"])
    with pytest.raises(ValueError, match="already imported"):
        mj.extension(ONE, name=taken, functions=["f"], replace=True)
    assert sys.modules[taken] is before


def test_an_importable_module_name_is_refused(tmp_path, monkeypatch):
    import sys

    import simdpar.mojo as mj

    (tmp_path / "spx_user_helper.py").write_text("X = 1\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("spx_user_helper", "csv" if "csv" not in sys.modules else "tabnanny"):
        sys.modules.pop(name, None)
        with pytest.raises(ValueError, match="importable module"):
            mj.extension(ONE, name=name, functions=["f"])
        assert name not in sys.modules


def test_functions_must_be_a_list_of_names():
    import simdpar.mojo as mj

    for bad in ([1], ["f", None], 5, [b"f"]):
        with pytest.raises(TypeError, match=r"Mojo function names \(str\)"):
            mj.extension(ONE, name="spx_names_unused", functions=bad)
    with pytest.raises(TypeError, match="not one str"):
        mj.extension(ONE, name="spx_names_unused", functions="f")
