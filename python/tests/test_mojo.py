"""The Mojo front end: run, @function, compile, twins, cache_info /
clear_cache, and its errors. Needs the Mojo toolchain (loud skip without
it; a failure with SIMDPAR_CI=1 or SIMDPAR_REQUIRE_MOJO=1)."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import simdpar
import simdpar.mojo as mj
from conftest import assert_bitwise, ref_leaky, ref_mandelbrot, sum_error_bound

pytestmark = pytest.mark.usefixtures("mojo_ready")

LIB = textwrap.dedent(
    """
    from std.sys import get_defined_int

    comptime FACTOR = get_defined_int["FACTOR", 3]()

    @export("py_scale")
    def py_scale(x: Pointer[Float32, ImmutAnyOrigin], dst: Pointer[Float32, MutAnyOrigin], n: Int) abi("C"):
        for i in range(n):
            dst[unsafe_offset=i] = x[unsafe_offset=i] * Float32(FACTOR)

    @export("py_dot")
    def py_dot(x: Pointer[Float64, ImmutAnyOrigin], y: Pointer[Float64, ImmutAnyOrigin], n: Int) abi("C") -> Float64:
        var s = Float64(0)
        for i in range(n):
            s += x[unsafe_offset=i] * y[unsafe_offset=i]
        return s

    @export("py_fill")
    def py_fill(dst: Pointer[Float64, MutAnyOrigin], n: Int, v: Float64) abi("C"):
        for i in range(n):
            dst[unsafe_offset=i] = v
    """
)


def test_run_fills_placeholders_and_returns_stdout():
    """Run fills placeholders and returns stdout."""
    src = """
        def main():
            print({{a}} + {{b}})
            print("{{word}}")
        """
    out = mj.run(src, a=2, b=40, word="mojo")
    assert out == "42\nmojo"
    s0 = mj.cache_info()["session_hits"]
    assert mj.run(src, a=2, b=40, word="mojo") == "42\nmojo"
    assert mj.cache_info()["session_hits"] == s0 + 1, "the same source must be a cache hit"


def test_run_from_a_path(tmp_path):
    """Run from a path."""
    p = tmp_path / "hello.mojo"
    p.write_text('def main():\n    print("hello from {{who}}")\n')
    assert mj.run(str(p), who="a file") == "hello from a file"
    assert mj.run(p, who="a file") == "hello from a file"  # a Path; same program: a hit


def test_run_placeholder_errors_and_missing_file(tmp_path):
    """Run placeholder errors and missing file."""
    with pytest.raises(ValueError, match="no value for placeholder"):
        mj.run("def main():\n    print({{a}})\n")
    with pytest.raises(ValueError, match="match no"):
        mj.run("def main():\n    print(1)\n", a=1)
    with pytest.raises(FileNotFoundError):
        mj.run(str(tmp_path / "nope.mojo"))


def test_run_nonzero_exit_raises_with_output():
    """Run nonzero exit raises with output."""
    with pytest.raises(mj.MojoRunError) as e:
        mj.run("from std.sys import exit\n\ndef main():\n    print(\"partial\")\n    exit({{code}})\n", code=3)
    assert e.value.returncode == 3
    assert e.value.stdout.strip() == "partial"
    assert isinstance(e.value, mj.MojoError)


def test_compile_error_carries_message_and_line():
    """Compile error carries message and line."""
    src = "def main():\n    var x = 1\n    print(undefined_name + x)\n"
    with pytest.raises(mj.MojoCompileError) as e:
        mj.run(src)
    err = e.value
    assert err.line == 3 and err.column >= 1
    assert "undefined_name" in err.message
    assert "undefined_name" in str(err) and ":3:" in str(err)
    assert "error" in err.stderr
    assert isinstance(err, mj.MojoError) and isinstance(err, RuntimeError)


def test_function_decorator_converts_to_the_annotation():
    """Function decorator converts to the annotation."""

    @mj.function
    def add(a: int, b: int) -> int:
        """
        def main():
            print({{a}} + {{b}})
        """

    @mj.function
    def half(x: float) -> float:
        """
        def main():
            print({{x}} / 2.0)
        """

    @mj.function
    def is_big(n: int, limit: int = 10) -> bool:
        """
        def main():
            print({{n}} > {{limit}})
        """

    @mj.function
    def greet(name: str):
        """
        def main():
            print("hi {{name}}")
        """

    assert add(40, 2) == 42 and isinstance(add(40, 2), int)
    assert half(5.0) == 2.5 and isinstance(half(5.0), float)
    assert is_big(11) is True and is_big(n=3) is False
    assert greet("you") == "hi you"
    assert add.__name__ == "add" and "{{a}}" in add.mojo_source


def test_function_decorator_errors():
    """Function decorator errors."""
    with pytest.raises(TypeError, match="docstring"):
        @mj.function
        def nodoc(a: int) -> int:
            pass
    with pytest.raises(TypeError, match="int, float, bool or str"):
        @mj.function
        def badret(a: int) -> list:
            """def main():\n    print(1)"""

    @mj.function
    def words() -> int:
        """
        def main():
            print("not a number")
        """

    with pytest.raises(mj.MojoError, match="not a int"):
        words()

    @mj.function
    def broken(a: int) -> int:
        """
        def main():
            print({{a}} +)
        """

    with pytest.raises(mj.MojoCompileError) as e:
        broken(1)
    assert e.value.line == 3  # counted from the docstring's first line


def test_compile_exported_functions_on_numpy_zero_copy():
    """Compile exported functions on numpy zero copy."""
    lib = mj.compile(LIB, FACTOR=5)
    assert lib.has("py_scale") and not lib.has("nope")
    scale = lib.declare("py_scale", "const float32*", "float32*", "int")
    x = np.arange(10, dtype=np.float32)
    out = np.zeros(10, np.float32)
    assert scale(x, out, x.size) is None
    np.testing.assert_array_equal(out, x * 5)
    np.testing.assert_array_equal(simdpar.scale(x, 5.0), out)
    # zero-copy: the function writes straight into the array's memory, also
    # through a view into a bigger buffer
    buf = np.zeros(20, np.float32)
    scale(x, buf[5:15], 10)
    np.testing.assert_array_equal(buf[5:15], x * 5)
    assert not buf[:5].any() and not buf[15:].any()
    dot = lib.py_dot.declare("Pointer[Float64, ImmutAnyOrigin]", "Pointer[Float64, ImmutAnyOrigin]", "Int", ret="Float64")
    a, b = np.arange(4.0), np.full(4, 2.0)
    assert dot(a, b, 4) == 12.0
    fill = lib.declare("py_fill", "float64*", "int", "float64")
    z = np.zeros(3)
    fill(z, 3, 7.5)
    np.testing.assert_array_equal(z, [7.5, 7.5, 7.5])
    # argument checks
    with pytest.raises(TypeError, match="dtype"):
        scale(x.astype(np.float64), out, 10)
    with pytest.raises(ValueError, match="C-contiguous"):
        scale(np.arange(20, dtype=np.float32)[::2], out, 10)
    ro = np.zeros(10, np.float32)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="read-only"):
        scale(x, ro, 10)
    scale(ro, out, 10)  # read-only is fine behind a const pointer
    with pytest.raises(TypeError, match="takes 3 arguments"):
        scale(x, out)
    with pytest.raises(TypeError, match="numpy array"):
        scale([1.0], out, 1)
    with pytest.raises(TypeError, match="declare"):
        lib.py_fill.__class__(lib, "py_fill")(z, 3, 1.0)
    with pytest.raises(AttributeError, match="does not export"):
        lib.not_exported
    with pytest.raises(TypeError, match="unknown argument type"):
        lib.declare("py_fill", "quaternion*")


def test_compile_defines_change_the_key():
    """Compile defines change the key."""
    a = mj.compile(LIB, FACTOR=5)
    b = mj.compile(LIB, FACTOR=3)
    assert a.key != b.key
    x = np.ones(4, np.float32)
    o = np.empty(4, np.float32)
    b.declare("py_scale", "const float32*", "float32*", "int")(x, o, 4)
    np.testing.assert_array_equal(o, 3)
    assert mj.compile(LIB, FACTOR=3).outcome == "hit"


def test_compile_error_in_library():
    """Compile error in library."""
    with pytest.raises(mj.MojoCompileError) as e:
        mj.compile("@export\ndef f(x: Int) abi(\"C\") -> Int:\n    return x +* 1\n")
    assert e.value.line == 3


def _data(n, t, seed):
    """Random normal data of n elements of dtype t."""
    return (np.random.default_rng(seed).standard_normal(n) * 4).astype(t)


@pytest.mark.parametrize("t", [np.float32, np.float64], ids=["float32", "float64"])
def test_twins_match_simdpar(t):
    """Twins match simdpar."""
    tw = mj.twins
    assert tw.variant == "exact"
    x, y = _data(10_007, t, 1), _data(10_007, t, 2)
    assert_bitwise(tw.add(x, y), simdpar.add(x, y))
    assert_bitwise(tw.multiply(x, y), simdpar.multiply(x, y))
    assert_bitwise(tw.multiply(x, y, threads=1), x * y)
    assert_bitwise(tw.square(x), x * x)
    assert_bitwise(tw.scale(x, 0.7), x * t(0.7))
    assert_bitwise(tw.leaky_relu(x), ref_leaky(x, 0.1))
    assert_bitwise(tw.leaky_relu(x, alpha=0.3), simdpar.leaky_relu(x, alpha=0.3))
    s = tw.sum(x)
    assert type(s) is t
    assert abs(float(s) - float(np.sum(x.astype(np.float64)))) <= sum_error_bound(x)
    m = _data(37 * 101, t, 3).reshape(37, 101)
    rs = tw.row_sums(m)
    assert rs.shape == (37,) and rs.dtype == t
    np.testing.assert_allclose(rs, simdpar.row_sums(m), rtol=1e-5 if t == np.float32 else 1e-12, atol=1e-4)
    assert_bitwise(tw.row_sums(m, threads=1), tw.row_sums(m, threads=2))
    counts = tw.mandelbrot(48, 32, max_iter=100, dtype=t)
    np.testing.assert_array_equal(counts, simdpar.mandelbrot(48, 32, max_iter=100, dtype=t))
    np.testing.assert_array_equal(counts, ref_mandelbrot(48, 32, 100, (-2.0, 0.5), (-1.25, 1.25), t))
    np.testing.assert_array_equal(tw.mandelbrot(48, 32, max_iter=100, dtype=t, threads=1), counts)
    assert tw.simd_width(t) >= 1


def test_twins_out_in_place_and_errors():
    """Twins out in place and errors."""
    tw = mj.twins
    x = _data(1000, np.float32, 4)
    a = x.copy()
    assert tw.add(a, a, out=a) is a
    assert_bitwise(a, x + x)
    a = x.copy()
    assert tw.square(a, out=a) is a
    assert_bitwise(a, x * x)
    o = np.empty_like(x)
    assert tw.multiply(x, x, out=o) is o
    with pytest.raises(TypeError, match="mixed dtypes"):
        tw.add(x, x.astype(np.float64))
    with pytest.raises(ValueError, match="shape mismatch"):
        tw.add(x, x[:10])
    with pytest.raises(ValueError, match="2-D"):
        tw.row_sums(x)
    with pytest.raises(ValueError, match="threads"):
        tw.multiply(x, x, threads=0)
    with pytest.raises(AttributeError):
        tw.not_a_kernel


def test_cache_info_clear_and_one_cache_for_two_processes(tmp_path):
    """cache_info / clear_cache on a private cache directory, filled by
    another process: an artifact built elsewhere (another process, or the
    Rust front end, which derives the same content key) is a hit here."""
    d = tmp_path / "cache"
    code = 'def main():\n    print("shared")\n'
    r = subprocess.run(
        [sys.executable, "-c", f"import simdpar.mojo as mj; print(mj.build({code!r}).outcome)"],
        capture_output=True, text=True, env={**os.environ, "SIMDPAR_CACHE_DIR": str(d)}, timeout=600,
    )
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "compiled"
    try:
        mj.configure(cache_dir=d)
        info = mj.cache_info()
        assert info["dir"] == str(d)
        assert info["entries"] == 1 and info["bytes"] > 0
        assert (info["hits"], info["misses"]) == (0, 1)
        assert mj.build(code).outcome == "hit"
        assert mj.run(code) == "shared"
        info = mj.cache_info()
        assert (info["hits"], info["misses"], info["entries"]) == (2, 1, 1)
        assert (info["session_hits"], info["session_misses"]) == (2, 0)
        assert info["mojo_version"].startswith("Mojo")
        assert mj.clear_cache() == 1
        info = mj.cache_info()
        assert (info["entries"], info["bytes"], info["hits"], info["misses"]) == (0, 0, 0, 0)
    finally:
        mj.configure()
