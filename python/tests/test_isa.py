"""ISA selection: available/active/set/use_isa, cpu_info, and the
SIMDPAR_ISA / SIMDPAR_MAX_ISA environment (checked at import, in child
processes since the variables are read once per process)."""

from __future__ import annotations

import os
import subprocess
import sys
import threading

import numpy as np
import pytest

import simdpar

AVAILABLE = simdpar.available_isas()
MISSING = [i for i in simdpar.known_isas() if i not in AVAILABLE]


def child(code: str, **env: str) -> subprocess.CompletedProcess:
    """Runs code in a fresh interpreter with only the given SIMDPAR_* variables."""
    e = {k: v for k, v in os.environ.items() if not k.startswith("SIMDPAR_")}
    e.update(env)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=e, timeout=120)


def test_available_and_known():
    """Available and known."""
    assert AVAILABLE[:2] == ["scalar", "portable"]
    assert set(AVAILABLE) <= set(simdpar.known_isas())
    assert set(simdpar.known_isas()) == {"scalar", "portable", "avx2", "avx512", "neon"}
    assert MISSING, "every machine lacks at least one of avx2/avx512/neon"


def test_use_isa_scopes_nest_and_restore():
    """Use isa scopes nest and restore."""
    before = simdpar.active_isa()
    with simdpar.use_isa("scalar") as name:
        assert name == "scalar" and simdpar.active_isa() == "scalar"
        assert simdpar.kernel_isa("sum", "float32") == "scalar"
        with simdpar.use_isa("portable"):
            assert simdpar.active_isa() == "portable"
            assert simdpar.kernel_isa("mandelbrot", "float64") == "portable"
        assert simdpar.active_isa() == "scalar"
    assert simdpar.active_isa() == before
    with pytest.raises(RuntimeError):
        with simdpar.use_isa("scalar"):
            raise RuntimeError("boom")
    assert simdpar.active_isa() == before


def test_use_isa_is_per_thread():
    """Use isa is per thread."""
    seen = {}
    inside, release = threading.Event(), threading.Event()

    def other():
        """Reads the active ISA on another thread while the main thread is inside use_isa."""
        inside.wait(10)
        seen["other"] = simdpar.active_isa()
        release.set()

    t = threading.Thread(target=other)
    t.start()
    with simdpar.use_isa("scalar"):
        inside.set()
        release.wait(10)
        seen["main"] = simdpar.active_isa()
    t.join()
    assert seen["main"] == "scalar"
    assert seen["other"] == AVAILABLE[-1] or os.environ.get("SIMDPAR_ISA") or os.environ.get("SIMDPAR_MAX_ISA")


def test_set_isa_is_process_wide_and_scopes_win():
    """Set isa is process wide and scopes win."""
    try:
        simdpar.set_isa("portable")
        assert simdpar.active_isa() == "portable"
        out = {}
        t = threading.Thread(target=lambda: out.setdefault("t", simdpar.active_isa()))
        t.start()
        t.join()
        assert out["t"] == "portable"
        with simdpar.use_isa("scalar"):
            assert simdpar.active_isa() == "scalar"
        assert simdpar.active_isa() == "portable"
    finally:
        simdpar.set_isa(None)
    simdpar.set_isa("scalar")
    simdpar.clear_isa()
    assert simdpar.active_isa() != "scalar" or AVAILABLE == ["scalar"]


@pytest.mark.parametrize("name", ["bogus", "AVX9000", ""])
def test_unknown_isa_names_it_and_the_available(name):
    """Unknown isa names it and the available."""
    for f in (simdpar.use_isa, simdpar.set_isa):
        with pytest.raises(simdpar.IsaError) as e:
            f(name)
        msg = str(e.value)
        assert repr(name).strip("'") in msg or name == ""
        assert "available on this machine: " + ", ".join(AVAILABLE) in msg
    assert issubclass(simdpar.IsaError, ValueError)


@pytest.mark.parametrize("name", MISSING)
def test_missing_isa_refused_naming_it(name):
    """Missing isa refused naming it."""
    before = simdpar.active_isa()
    for f in (simdpar.use_isa, simdpar.set_isa):
        with pytest.raises(simdpar.IsaError, match=f"ISA {name} is not supported"):
            f(name)
    assert simdpar.active_isa() == before


def test_case_insensitive_names():
    """Case insensitive names."""
    with simdpar.use_isa("SCALAR"):
        assert simdpar.active_isa() == "scalar"


def test_cpu_info():
    """Cpu info."""
    info = simdpar.cpu_info()
    for k in ("arch", "vendor", "brand", "features", "caches", "simd_widths", "logical_cpus"):
        assert k in info, k
    assert isinstance(info["features"], list)
    assert set(info["simd_widths"]) == set(AVAILABLE)
    assert info["simd_widths"]["scalar"] == {"float32": 1, "float64": 1}
    if "avx2" in info["simd_widths"]:
        assert info["simd_widths"]["avx2"] == {"float32": 8, "float64": 4}
    if "avx512" in info["simd_widths"]:
        assert info["simd_widths"]["avx512"] == {"float32": 16, "float64": 8}
        assert "avx512f" in info["features"]
    for c in info["caches"]:
        assert c["size_bytes"] > 0 and c["level"] >= 1
    assert info["logical_cpus"] >= 1


def test_kernel_isa_errors():
    """Kernel isa errors."""
    with pytest.raises(ValueError, match="unknown kernel"):
        simdpar.kernel_isa("nope", "float32")
    with pytest.raises(ValueError, match="dtype"):
        simdpar.kernel_isa("sum", "int8")


def test_env_force_and_cap_are_honoured():
    """Env force and cap are honoured."""
    r = child("import simdpar; print(simdpar.active_isa())", SIMDPAR_ISA="scalar")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "scalar"
    r = child("import simdpar; print(simdpar.active_isa())", SIMDPAR_MAX_ISA="portable")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "portable"
    r = child("import simdpar; print(simdpar.active_isa())", SIMDPAR_ISA=AVAILABLE[-1], SIMDPAR_MAX_ISA="scalar")
    assert r.stdout.strip() == AVAILABLE[-1], "force wins over cap"


def test_env_bad_value_fails_import_with_a_clear_error():
    """Env bad value fails import with a clear error."""
    r = child("import simdpar", SIMDPAR_ISA="bogus")
    assert r.returncode != 0
    assert "ImportError" in r.stderr
    assert "SIMDPAR_ISA" in r.stderr and "bogus" in r.stderr
    assert ", ".join(AVAILABLE) in r.stderr
    r = child("import simdpar", SIMDPAR_MAX_ISA="nonsense")
    assert r.returncode != 0 and "SIMDPAR_MAX_ISA" in r.stderr and "nonsense" in r.stderr


@pytest.mark.parametrize("name", MISSING)
def test_env_missing_isa_fails_import(name):
    """Env missing isa fails import."""
    r = child("import simdpar", SIMDPAR_ISA=name)
    assert r.returncode != 0
    assert f"ISA {name} is not supported" in r.stderr and "SIMDPAR_ISA" in r.stderr


def test_kernels_follow_env_isa_in_child():
    """Kernels follow env isa in child."""
    code = (
        "import numpy as np, simdpar\n"
        "x = np.linspace(-3, 3, 1001, dtype=np.float32)\n"
        "print(simdpar.kernel_isa('add', 'float32'), simdpar.sum(simdpar.square(x)).view(np.uint32))\n"
    )
    outs = {}
    for isa in AVAILABLE:
        r = child(code, SIMDPAR_ISA=isa)
        assert r.returncode == 0, r.stderr
        got_isa, bits_ = r.stdout.split()
        assert got_isa == isa
        outs[isa] = bits_
    assert len(set(outs.values())) == 1, outs
    x = np.linspace(-3, 3, 1001, dtype=np.float32)
    assert str(simdpar.sum(simdpar.square(x)).view(np.uint32)) == outs[AVAILABLE[0]]
