"""Loads simdpar's one Python timing module, ``python/simdpar/timing.py``,
from the source tree, so the benchmark scripts here time the way the package
does even where the compiled package is not importable (``np_bench.py``
still measures the NumPy and NumKong baselines then).

    from timing import interleaved, median, paired_ratio, timed
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).resolve().parents[2] / "python" / "simdpar" / "timing.py"
_spec = importlib.util.spec_from_file_location("_simdpar_timing", _PATH)
if _spec is None or _spec.loader is None:
    raise ImportError(f"simdpar's timing module is missing: {_PATH}")
_module = importlib.util.module_from_spec(_spec)
sys.modules["_simdpar_timing"] = _module
_spec.loader.exec_module(_module)

interleaved = _module.interleaved
median = _module.median
paired_ratio = _module.paired_ratio
timed = _module.timed
