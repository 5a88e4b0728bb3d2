"""benches/python/timing.py, the loader the report's Python scripts use,
gives them the package's own timing module from the source tree. A test of
the source tree: tools/test-wheels.sh, which copies the tests out of it,
leaves this file to tools/test-python.sh."""

from __future__ import annotations

import importlib.util
from pathlib import Path


def test_the_bench_scripts_load_the_same_module_from_the_source_tree():
    shim = Path(__file__).resolve().parents[2] / "benches" / "python" / "timing.py"
    spec = importlib.util.spec_from_file_location("bench_timing_shim", shim)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    src = Path(mod.interleaved.__code__.co_filename).resolve()
    assert src == Path(__file__).resolve().parents[1] / "simdpar" / "timing.py"
    assert mod.paired_ratio([4.0], [2.0]) == 2.0
