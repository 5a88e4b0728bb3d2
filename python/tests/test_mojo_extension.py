"""simdpar.mojo.extension / install_importer: CPython extension modules
written in Mojo, built through the content-keyed cache.

Every source here carries a fresh nonce comment, so each test run compiles
its own keys (counters start from a known state) without clearing the
cache others use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import uuid

import numpy as np
import pytest

import simdpar.mojo as mj
from simdpar import _mojo_bindings as gen

@pytest.fixture(autouse=True)
def _needs_mojo(request):
    """Every test needs the toolchain (a loud skip, or a failure in CI),
    except the ``test_without_mojo_*`` ones, which hide it themselves."""
    if not request.node.name.startswith("test_without_mojo"):
        request.getfixturevalue("mojo_ready")


def nonce() -> str:
    """A comment line that makes a source's cache key unique to this run."""
    return f"# run {uuid.uuid4().hex}\n"


def explicit_source(modname: str, extra: str = "") -> str:
    """An extension module with its own PyInit_: add(a, b) = a + 2*b."""
    return nonce() + extra + textwrap.dedent(f"""\
        from std.os import abort
        from std.python import PythonObject
        from std.python.bindings import PythonModuleBuilder

        def add(a: PythonObject, b: PythonObject) raises -> PythonObject:
            return PythonObject(Int(py=a) + 2 * Int(py=b))

        @export
        def PyInit_{modname}() abi("C") -> PythonObject:
            try:
                var m = PythonModuleBuilder("{modname}")
                m.def_function[add]("add", docstring="a + 2*b")
                return m.finalize()
            except e:
                abort(String("error creating {modname}: ", e))
        """)


def counters() -> tuple:
    """(session hits, session misses) of this process's cache handle."""
    info = mj.cache_info()
    return info["session_hits"], info["session_misses"]


def test_explicit_pyinit_source_builds_imports_and_second_call_is_a_cache_hit():
    src = explicit_source("spx_explicit")
    h0, m0 = counters()
    mod = mj.extension(src)
    assert mod.__name__ == "spx_explicit"
    assert mod.add(3, 4) == 11
    assert mod.add.__doc__ == "a + 2*b"
    h1, m1 = counters()
    assert (h1 - h0, m1 - m0) == (0, 1), "first build compiles once"
    # Loaded from the cache directory, named for CPython's loader.
    assert mod.__file__.startswith(mj.cache_info()["dir"])
    assert os.path.basename(mod.__file__) == "spx_explicit.so"

    again = mj.extension(src)
    h2, m2 = counters()
    assert (h2 - h1, m2 - m1) == (1, 0), "second build is a hit: no compiler run"
    assert again is mod, "the already-loaded module comes back"


def test_path_source_with_local_import_builds_from_the_cache(tmp_path):
    (tmp_path / "spx_helper.mojo").write_text("def three() -> Int:\n    return 3\n")
    extra = "from spx_helper import three\n"
    src = explicit_source("spx_path", extra).replace(
        "Int(py=a) + 2 * Int(py=b)", "Int(py=a) + three() * Int(py=b)")
    p = tmp_path / "spx_path.mojo"
    p.write_text(src)
    mod = mj.extension(p)
    assert mod.add(1, 2) == 7
    assert not os.path.dirname(mod.__file__) == str(tmp_path), "never loaded from beside the source"
    assert not (tmp_path / "spx_path.so").exists()
    # Editing the imported helper changes the key: a rebuild, new behaviour
    # (replacing our own extension of that name needs replace=True).
    (tmp_path / "spx_helper.mojo").write_text("def three() -> Int:\n    return 30\n")
    with pytest.raises(ValueError, match="replace=True"):
        mj.extension(str(p))
    mod2 = mj.extension(str(p), replace=True)
    assert mod2 is not mod
    assert mod2.add(1, 2) == 61


BOUND = textwrap.dedent("""\
    def twice(n: Int) -> Int:
        return 2 * n

    def hyp(a: Float64, b: Float64) -> Float64:
        return (a * a + b * b) ** 0.5

    def scale(x: Span[Float32, MutAnyOrigin], k: Float32):
        for i in range(len(x)):
            x[i] = x[i] * k

    def total(x: Span[Float64, ImmutAnyOrigin]) -> Float64:
        var s: Float64 = 0
        for i in range(len(x)):
            s += x[i]
        return s

    def shout(s: String, loud: Bool) -> String:
        return s + "!" if loud else s
    """)


@pytest.fixture(scope="module")
def bound():
    """BOUND compiled with generated bindings."""
    return mj.extension(nonce() + BOUND, name="spx_bound",
                        functions=["twice", "hyp", "scale", "total", "shout"])


def test_generated_bindings_convert_scalars_and_arrays(bound):
    assert bound.twice(21) == 42
    assert bound.twice(np.int64(-4)) == -8
    assert bound.hyp(3.0, 4) == pytest.approx(5.0)
    assert bound.shout("hi", True) == "hi!"
    assert bound.shout("hi", False) == "hi"
    x = np.arange(6, dtype=np.float32).reshape(2, 3)  # C-contiguous 2-D: seen flat
    assert bound.scale(x, 0.5) is None
    np.testing.assert_array_equal(x, np.arange(6, dtype=np.float32).reshape(2, 3) * 0.5)
    ro = np.arange(5, dtype=np.float64)
    ro.flags.writeable = False  # a read-only span accepts a read-only array
    assert bound.total(ro) == 10.0
    assert "twice(n: Int) -> Int" in bound.twice.__doc__


@pytest.mark.parametrize("call, exc, words", [
    (lambda m: m.twice(1.5), TypeError, "expected an int"),
    (lambda m: m.twice("3"), TypeError, "expected an int"),
    (lambda m: m.twice(True), TypeError, "expected an int"),
    (lambda m: m.twice(2**70), OverflowError, "64-bit"),
    (lambda m: m.twice(), TypeError, "missing 1 required positional argument: 'n'"),
    (lambda m: m.twice(1, 2), TypeError, "takes 1 positional argument"),
    (lambda m: m.hyp("3", 4.0), TypeError, "expected a float"),
    (lambda m: m.shout("x", 1), TypeError, "expected a bool"),
    (lambda m: m.shout(1, True), TypeError, "expected a str"),
    (lambda m: m.scale([1.0, 2.0], 2.0), TypeError, "numpy.ndarray"),
    (lambda m: m.scale(np.ones(4), 2.0), TypeError, "dtype"),
    (lambda m: m.scale(np.ones((4, 4), np.float32)[:, 1], 2.0), ValueError, "C-contiguous"),
    (lambda m: m.total(np.ones(4, np.float32)), TypeError, "dtype"),
])
def test_generated_bindings_reject_wrong_arguments_with_exceptions(bound, call, exc, words):
    with pytest.raises(exc, match=words):
        call(bound)


def test_read_only_array_is_refused_where_the_function_writes(bound):
    x = np.ones(4, np.float32)
    x.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        bound.scale(x, 2.0)
    assert (x == 1).all()


def test_neither_pyinit_nor_functions_is_a_value_error_saying_which():
    with pytest.raises(ValueError, match=r"PyInit_<name>.*functions="):
        mj.extension("def f(n: Int) -> Int:\n    return n\n")
    with pytest.raises(ValueError, match="name= is required"):
        mj.extension("def f(n: Int) -> Int:\n    return n\n", functions=["f"])
    with pytest.raises(ValueError, match="functions= is only for"):
        mj.extension(explicit_source("spx_both"), functions=["add"])


def test_unsupported_parameter_type_names_the_user_line():
    src = "def ok(n: Int) -> Int:\n    return n\n\ndef bad(p: List[Int]) -> Int:\n    return 0\n"
    with pytest.raises(ValueError, match=r"line 4: bad: parameter 'p' has type 'List\[Int\]'"):
        mj.extension(src, name="spx_badtype", functions=["bad"])


def test_compile_error_carries_the_users_line(tmp_path):
    src = nonce() + "def f(n: Int) -> Int:\n    return n +* 2\n"
    p = tmp_path / "spx_err.mojo"
    p.write_text(src)
    with pytest.raises(mj.MojoCompileError) as ei:
        mj.extension(p, functions=["f"])
    e = ei.value
    assert e.line == 3, (e.line, str(e))
    assert e.file == str(p)
    assert e.column is not None and e.message


def test_generated_line_maps_back_to_the_bound_function():
    src = "x = 1\n\ndef g(n: Int) -> Int:\n    return n\n"
    full, sigs = gen.generate(src, "m", ["g"])
    assert full.startswith(src), "user lines keep their numbers"
    lo, hi = sigs[0].gen_lines
    assert full.split("\n")[lo - 1].startswith("def _spx_g(")
    assert gen.source_line(sigs, lo + 1, 4) == (3, "g")
    assert gen.source_line(sigs, 2, 4) == (2, None)


def test_missing_pyinit_export_after_build_is_an_import_error_naming_the_module():
    # PyInit_ without @export: the library builds but exports no PyInit_.
    src = explicit_source("spx_noexport").replace("@export\n", "")
    with pytest.raises(ImportError, match="spx_noexport"):
        mj.extension(src)


def test_import_hook_finds_foo_mojo_first(tmp_path, monkeypatch):
    (tmp_path / "spx_hooked.mojo").write_text(explicit_source("spx_hooked"))
    stale = tmp_path / "stale"
    stale.mkdir()
    (stale / "spx_hooked.so").write_bytes(b"not a library")  # earlier on sys.path
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.syspath_prepend(str(stale))
    sys.modules.pop("spx_hooked", None)
    finder = mj.install_importer()
    try:
        assert sys.meta_path[0] is finder
        import spx_hooked  # noqa: PLC0415

        assert spx_hooked.add(1, 1) == 3
        assert spx_hooked.__file__.startswith(mj.cache_info()["dir"])
        (tmp_path / "spx_wrong.mojo").write_text(explicit_source("spx_other"))
        with pytest.raises(ImportError, match="spx_wrong"):
            import spx_wrong  # noqa: F401, PLC0415
    finally:
        mj.uninstall_importer()
        sys.modules.pop("spx_hooked", None)
    assert finder not in sys.meta_path


RACE = """
import json, sys
import simdpar.mojo as mj
src = open(sys.argv[1]).read()
mod = mj.extension(src)
info = mj.cache_info()
print(json.dumps({"misses": info["session_misses"], "hits": info["session_hits"],
                  "value": mod.add(1, 2), "key": mod.__mojo_key__}))
"""


def test_two_processes_building_the_same_extension_compile_it_once(tmp_path):
    src = tmp_path / "race_src.txt"
    src.write_text(explicit_source("spx_race"))
    procs = [
        subprocess.Popen([sys.executable, "-c", RACE, str(src)], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True, env=dict(os.environ))
        for _ in range(2)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=600)
        assert p.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["value"] for r in results] == [5, 5]
    assert results[0]["key"] == results[1]["key"]
    assert sorted(r["misses"] for r in results) == [0, 1], results
    assert sorted(r["hits"] for r in results) == [0, 1], results


def test_frontends_notebook_runs_all_three_and_measures_their_call_costs():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parent.parent / "notebooks" / "mojo_frontends.py"
    spec = importlib.util.spec_from_file_location("nb_mojo_frontends", path)
    nb = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(nb)
    _, defs = nb.app.run()
    assert defs["results"] == {"executor": 5050, "decorator": 5050, "extension": 5050}
    costs = defs["costs"]
    assert set(costs) == {"executor (run)", "decorator (@function)", "extension module"}
    assert all(v > 0 for v in costs.values())


def test_without_mojo_extension_and_importer_raise_not_found(tmp_path):
    (tmp_path / "spx_nomojo.mojo").write_text(explicit_source("spx_nomojo"))
    code = (
        "import sys, simdpar.mojo as mj\n"
        f"sys.path.insert(0, {str(tmp_path)!r})\n"
        "try:\n    mj.extension('def f(n: Int) -> Int:\\n    return n\\n', name='m', functions=['f'])\n"
        "except mj.MojoNotFoundError as e:\n    print('EXT', e)\n"
        "mj.install_importer()\n"
        "try:\n    import spx_nomojo\n"
        "except mj.MojoNotFoundError as e:\n    print('IMPORT', e)\n"
    )
    env = {**os.environ, "SIMDPAR_MOJO": str(tmp_path / "no-such-mojo")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "EXT" in r.stdout and "IMPORT" in r.stdout, r.stdout
    assert "pip install mojo==1.2.0" in r.stdout


def test_compile_error_inside_a_generated_binding_points_at_the_bound_def():
    # A `mut` parameter cannot take the temporary the binding converts: the
    # compiler rejects the generated call, reported at the user's `def`.
    src = nonce() + "\ndef bump(mut n: Int) -> Int:\n    n += 1\n    return n\n"
    with pytest.raises(mj.MojoCompileError) as ei:
        mj.extension(src, name="spx_mut", functions=["bump"])
    assert ei.value.line == 3
    assert "generated binding of bump" in ei.value.message


def test_threads_asking_for_one_extension_get_one_module():
    import threading

    src = explicit_source("spx_threads")
    got, errors = [], []

    def build():
        try:
            got.append(mj.extension(src))
        except Exception as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=build) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(got) == 4 and all(m is got[0] for m in got)
    assert got[0].add(2, 2) == 6


INTERNAL_NAMES = textwrap.dedent("""\
    def first_n(x: Span[Float64, ImmutAnyOrigin], _n0: Int) -> Int:
        return _n0

    def raw_plus(_raw: Int, _c0: Int, _p0: Float64) -> Float64:
        return Float64(_raw * 100 + _c0) + _p0

    def spx_like(_spx_a0: Int, _spx_raw: Span[Float32, ImmutAnyOrigin], _spx_p0: Int) -> Int:
        return _spx_a0 * 1000 + len(_spx_raw) * 10 + _spx_p0

    def _spx_first_n(n: Int) -> Int:
        return n + 1
    """)


def test_parameters_named_like_wrapper_internals_get_their_own_values():
    m = mj.extension(nonce() + INTERNAL_NAMES, name="spx_internal_names",
                     functions=["first_n", "raw_plus", "spx_like", "_spx_first_n"])
    assert m.first_n(np.arange(3.0), 7) == 7
    assert m.first_n(np.arange(3.0), _n0=9) == 9
    assert m.raw_plus(1, 2, 0.5) == 102.5
    assert m.raw_plus(_raw=3, _c0=4, _p0=0.25) == 304.25
    assert m.spx_like(5, np.zeros(4, np.float32), 6) == 5046
    assert m._spx_first_n(41) == 42


def test_extension_names_never_replace_another_module():
    assert "json" in sys.modules
    json_before = sys.modules["json"]
    with pytest.raises(ValueError, match="'json'"):
        mj.extension(nonce() + "def f() -> Int:\n    return 1\n", name="json", functions=["f"])
    assert sys.modules["json"] is json_before
    # Our own earlier extension: replaced only when asked to.
    first = mj.extension(nonce() + "def f() -> Int:\n    return 1\n", name="spx_replace",
                         functions=["f"])
    assert sys.modules["spx_replace"] is first and first.f() == 1
    src2 = nonce() + "def f() -> Int:\n    return 2\n"
    with pytest.raises(ValueError, match="replace=True"):
        mj.extension(src2, name="spx_replace", functions=["f"])
    assert sys.modules["spx_replace"] is first
    second = mj.extension(src2, name="spx_replace", functions=["f"], replace=True)
    assert second.f() == 2 and sys.modules["spx_replace"] is second
    # The same source again is the module already loaded (no replace needed).
    assert mj.extension(src2, name="spx_replace", functions=["f"]) is second
