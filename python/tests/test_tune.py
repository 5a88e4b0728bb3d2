"""simdpar.tune() and what cpu_info() says about the plans.

The tuner's measurements are machine-dependent: these tests check shapes and
meanings, never times. A full tune runs in a subprocess with its own
SIMDPAR_TUNE_FILE, so the suite's process keeps its built-in defaults."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

import simdpar

FAMILIES = {"reduce", "map", "mandelbrot"}
CLASSES = {"cache", "llc", "dram"}
TUNED_KERNELS = {"sum", "row_sums", "add", "scale", "mandelbrot"}


def test_cpu_info_shows_a_plan_per_kernel_dtype_and_class():
    info = simdpar.cpu_info()
    assert info["identity"] and " " not in info["identity"]
    assert isinstance(info["profile"], str) and info["profile"]
    plans = info["plans"]
    assert len(plans) == len(simdpar.KERNEL_NAMES) * 2 * 3
    seen = {(p["kernel"], p["dtype"], p["class"]) for p in plans}
    assert len(seen) == len(plans)
    for p in plans:
        assert p["isa"] in simdpar.available_isas()
        assert 1 <= p["threads"] <= info["logical_cpus"]
        assert p["class"] in CLASSES
        assert p["len"] > 0
        assert p["reason"], p
        if p["kernel"] in ("sum", "row_sums"):
            assert p["read"] in ("on_demand", "ahead"), p
            if p["class"] != "dram":
                assert p["read"] == "on_demand", p
            # Interleaved streams of large subtrees: `sum` only.
            assert p["streams"] in (1, 2, 4), p
            if p["kernel"] == "row_sums":
                assert p["streams"] == 1, p
        else:
            assert p["read"] is None, p
            assert p["streams"] is None, p


def test_a_scope_shows_as_forced_in_the_plans():
    with simdpar.use_isa("scalar"):
        plans = simdpar.cpu_info()["plans"]
    assert all(p["isa"] == "scalar" for p in plans)
    assert all(p["reason"] == "forced (scope)" for p in plans)


@pytest.mark.parametrize("bad", [0, -1, float("nan"), 1e9])
def test_tune_refuses_a_bad_budget(bad):
    with pytest.raises(ValueError, match="budget_s"):
        simdpar.tune(bad)


CHILD = r"""
import json, simdpar
r = simdpar.tune(1.0)
info = simdpar.cpu_info()
print(json.dumps({"tune": r, "profile": info["profile"],
                  "reasons": sorted({p["reason"] for p in info["plans"]})}))
"""


def test_tune_writes_a_profile_that_a_new_process_loads(tmp_path):
    path = tmp_path / "tune.txt"
    env = dict(os.environ, SIMDPAR_TUNE_FILE=str(path))
    for var in ("SIMDPAR_ISA", "SIMDPAR_MAX_ISA", "SIMDPAR_DISABLE_ISA", "SIMDPAR_NO_TUNE"):
        env.pop(var, None)
    out = subprocess.run(
        [sys.executable, "-c", CHILD], env=env, capture_output=True, text=True, timeout=300
    )
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    r = got["tune"]
    assert r["path"] == str(path) and r["write_error"] is None
    assert {c["family"] for c in r["cells"]} == FAMILIES
    assert {c["class"] for c in r["cells"]} == CLASSES
    # Kernels that differ are tuned apart: sum, row_sums, two-input maps
    # (add), one-input maps (scale) and mandelbrot, per dtype and class.
    assert {c["kernel"] for c in r["cells"]} == TUNED_KERNELS
    assert len(r["cells"]) == len(TUNED_KERNELS) * 2 * 3
    text = path.read_text()
    lines = text.splitlines()
    check = r["check"]
    verdicts = {v["choice"]: v for v in check["verdicts"]}
    assert check["seconds"] >= 0
    for v in check["verdicts"]:
        assert isinstance(v["kept"], bool) and v["points"] >= 0, v
        # A dropped choice lost somewhere by more than the margin.
        if not v["kept"]:
            assert v["points"] >= 1 and v["worst"] < 1.0, v
    for p in check["points"]:
        assert p["kernel"] in simdpar.KERNEL_NAMES and p["class"] in CLASSES, p
        assert p["speedup"] > 0 and p["held_out"] > 0, p
    for c in r["cells"]:
        assert c["isa"] in c["one_thread"], c
        assert c["split_isa"] in c["all_threads"], c
        # Where splitting never paid, split calls run the one-thread ISA.
        assert c["threads_from"] is not None or c["split_isa"] == c["isa"], c
        assert c["threads_from"] is None or c["threads_from"] >= 0
        key = f"entry {c['kernel']} {c['dtype']} {c['class']}"
        line = f"{key} {c['isa']} "
        written = any(l.startswith(line) and l.endswith(" " + c["split_isa"]) for l in lines)
        # The file holds exactly the entries the check kept.
        dropped = key in verdicts and not verdicts[key]["kept"]
        assert written != dropped, (c, verdicts.get(key))
    for dt, on in r["prefetch"].items():
        assert dt in ("f32", "f64") and isinstance(on, bool)
    assert set(r["nt_bytes"]) <= {"f32", "f64"}
    assert got["profile"] == "profile installed by the program"
    assert set(got["reasons"]) <= {"tuned profile", "built-in default"}, got["reasons"]
    assert "tuned profile" in got["reasons"] or all(not v["kept"] for v in check["verdicts"])
    assert text.startswith("simdpar-tune 1\n")
    for dt, on in r["prefetch"].items():
        if verdicts.get(f"prefetch {dt}", {"kept": True})["kept"]:
            assert f"prefetch {dt} {'on' if on else 'off'}\n" in text
    # `sum` raced with 1, 2 and 4 streams on one thread, per dtype: a count
    # is written only where it beat the built-in and the check kept it.
    assert set(r["streams"]) == {"f32", "f64"}, r["streams"]
    for dt, st in r["streams"].items():
        assert st["chosen"] in (None, 1, 2, 4) and st["written"] in (None, 1, 2, 4), st
        for z in st["sizes"]:
            assert z["class"] in ("llc", "dram") and z["len"] > 0, z
            assert z["isa"] in simdpar.available_isas() and z["builtin"] in (1, 2, 4), z
            assert set(z["seconds"]) == set(z["speedup"]) == {"1", "2", "4"}, z
            assert z["speedup"][str(z["builtin"])] == 1.0, z
        if st["chosen"] is None:
            assert st["written"] is None, st
        kept = verdicts.get(f"streams {dt}", {"kept": True})["kept"]
        assert st["written"] == (st["chosen"] if kept else None), (st, verdicts.get(f"streams {dt}"))
        if st["written"] is None:
            assert f"streams {dt} " not in text
        else:
            assert f"streams {dt} {st['written']}\n" in text
    for p in check["points"]:
        assert isinstance(p["one_thread"], bool), p
        if p["one_thread"]:
            # The held-out calls of the stream count: `sum` and `row_sums`.
            assert p["kernel"] in ("sum", "row_sums"), p

    # A fresh process reads the file, once, and says so.
    show = "import simdpar; i = simdpar.cpu_info(); print(i['profile']); print(sorted({p['reason'] for p in i['plans']}))"
    out = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    first, reasons = out.stdout.splitlines()
    assert first == f"tuned profile {path}"
    assert set(eval(reasons)) == set(got["reasons"]), (reasons, got["reasons"])

    # SIMDPAR_NO_TUNE=1 ignores it.
    env["SIMDPAR_NO_TUNE"] = "1"
    out = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, timeout=60)
    assert "SIMDPAR_NO_TUNE=1" in out.stdout
    assert "tuned profile'" not in out.stdout


def test_a_corrupt_profile_warns_once_and_is_ignored(tmp_path):
    path = tmp_path / "bad.txt"
    path.write_text("simdpar-tune 1\ncpu x\nentry map f32 cache avx9000 1\n")
    env = dict(os.environ, SIMDPAR_TUNE_FILE=str(path))
    env.pop("SIMDPAR_NO_TUNE", None)
    show = (
        "import numpy as np, simdpar; simdpar.sum(np.ones(10, np.float32)); "
        "simdpar.add(np.ones(10), np.ones(10)); print(simdpar.cpu_info()['profile'])"
    )
    out = subprocess.run([sys.executable, "-c", show], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "corrupt" in out.stdout and "ignored" in out.stdout
    assert out.stderr.count("simdpar: warning: profile") == 1, out.stderr
