"""Each marimo notebook runs headless (``app.run()``, the same cells marimo
runs) and produces real results: the tour's kernels all match numpy, the
benchmark has a row per kernel with simdpar timings for every ISA and a
chart, the playground's Mojo kernel compiles and matches simdpar bit for bit
(or, without Mojo, says how to install it)."""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import pytest

import simdpar
import simdpar.mojo as mj
from conftest import mojo_required

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def run_notebook(name: str):
    """Imports a notebook file and runs all its cells headless; returns (outputs, defs)."""
    spec = importlib.util.spec_from_file_location(f"nb_{name}", NOTEBOOKS / f"{name}.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.app.run()


def test_tour_runs_every_kernel_and_matches_numpy():
    """Tour runs every kernel and matches numpy."""
    outputs, defs = run_notebook("tour")
    rows = defs["tour_rows"]
    assert [r["kernel"] for r in rows] == ["sum", "row_sums", "add", "multiply", "square", "scale", "leaky_relu",
                                          "add (broadcast row)"]
    assert all(r["ok"] for r in rows), [r for r in rows if not r["ok"]]
    assert all(r["simdpar_ms"] > 0 and r["numpy_ms"] > 0 for r in rows)
    # Kernels are timed into out=; allocating the result is timed apart.
    assert all((r["simdpar_alloc_ms"] is None) == (r["kernel"] == "sum") for r in rows)
    assert all(r["simdpar_alloc_ms"] > 0 for r in rows if r["kernel"] != "sum")
    assert defs["isa"] == simdpar.active_isa()
    assert defs["counts"].shape == (300, 480) and defs["counts"].max() == 128
    assert any(o is not None for o in outputs)


def test_benchmark_times_numpy_every_isa_and_mojo():
    """Benchmark times numpy every isa and mojo."""
    _, defs = run_notebook("benchmark")
    rows = defs["bench_rows"]
    assert [r["kernel"] for r in rows] == ["sum", "row_sums", "add", "multiply", "leaky_relu", "mandelbrot"]
    for r in rows:
        for isa in simdpar.available_isas():
            assert r[f"simdpar {isa}"] > 0
        if r["kernel"] != "mandelbrot":
            assert r["numpy"] > 0
    has_mojo = "mojo twin" in rows[0]
    assert has_mojo == mj.available()
    if has_mojo:
        assert all(r["mojo twin"] > 0 and not math.isnan(r["mojo twin"]) for r in rows)
    # The chart (altair): a bar per kernel and implementation with a time
    # (NumPy has no Mandelbrot), a log time axis titled with its unit, the
    # title giving the sizes.
    spec = defs["chart_spec"]
    points = spec["data"]["values"]
    series = [k for k in rows[0] if k not in ("kernel", "label")]
    assert len(points) == len(rows) * len(series) - 1
    assert {p["kernel"] for p in points} == {r["label"] for r in rows}
    x = spec["encoding"]["x"]
    assert x["scale"]["type"] == "log" and ("(µs" in x["title"] or "(ms" in x["title"])
    title = spec["title"]["text"]
    assert f"{defs['n']:,} elements" in title and "pixels" in title
    assert any(r["label"].startswith("mandelbrot ") and "×" in r["label"] for r in rows)
    # the table: text column left-aligned, a unit on every time
    table = defs["bench_table"].splitlines()
    assert table[1].startswith("|:---|")
    assert all(c.strip().endswith(("µs", "ms", "—")) for line in table[2:] for c in line.strip("|").split("|")[1:])


def test_playground_compiles_and_compares_or_explains():
    """Playground compiles and compares or explains."""
    _, defs = run_notebook("mojo_playground")
    res = defs["playground_result"]
    if mj.available():
        assert res["mojo"] is True, res
        assert res["bitwise_equal"] is True, res  # the kernel vs its own NumPy formula
        assert res["simdpar_is_leaky_relu"] is True, res
        assert res["cache"] in ("hit", "compiled", "rebuilt")
        assert res["mojo_us"] > 0 and res["simdpar_us"] > 0
    else:
        if mojo_required():
            pytest.fail("SIMDPAR_CI/SIMDPAR_REQUIRE_MOJO set but Mojo is unusable: " + mj.status())
        assert res["mojo"] is False
        assert "pip install mojo==1.2.0" in defs["mojo_status"]


def test_notebooks_without_mojo_explain_how_to_install(tmp_path):
    """What a notebook user sees without Mojo: the simdpar parts run, the
    Mojo parts are replaced by a note naming `pip install mojo==1.2.0`."""
    import json
    import os
    import subprocess
    import sys

    code = (
        "import importlib.util, json, sys\n"
        "res = {}\n"
        "for name in ('benchmark', 'mojo_playground'):\n"
        f"    spec = importlib.util.spec_from_file_location(name, {str(NOTEBOOKS)!r} + '/' + name + '.py')\n"
        "    mod = importlib.util.module_from_spec(spec); spec.loader.exec_module(mod)\n"
        "    outs, defs = mod.app.run()\n"
        "    res[name] = {k: defs[k] for k in ('bench_rows', 'playground_result', 'mojo_status') if k in defs}\n"
        "    res[name]['text'] = ' '.join(str(getattr(o, 'text', o)) for o in outs)\n"
        "print(json.dumps(res, default=str))\n"
    )
    env = {**os.environ, "SIMDPAR_MOJO": str(tmp_path / "no-mojo-here")}
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    res = json.loads(r.stdout.strip().splitlines()[-1])
    bench = res["benchmark"]
    assert "mojo twin" not in bench["bench_rows"][0]
    assert all(row[f"simdpar {simdpar.available_isas()[-1]}"] > 0 for row in bench["bench_rows"])
    assert "Mojo is not installed" in bench["text"] and "pip install mojo==1.2.0" in bench["text"]
    pg = res["mojo_playground"]
    assert pg["playground_result"]["mojo"] is False
    assert pg["mojo_status"].startswith("Mojo unavailable") and "pip install mojo==1.2.0" in pg["mojo_status"]
    assert "Mojo is not installed" in pg["text"]
