"""The one timing routine of the Python benchmarks (np_bench.py, claims.py).

Methods are timed in interleaved rounds: every round times one sample of
each method, in a fresh shuffled order, so load changes hit all methods
alike and sample ``i`` of every method comes from round ``i`` (for paired
ratios). Before the rounds each method is warmed up once, and, when a
``min_sample`` is given, calibrated: a sample repeats the call enough times
to last about that long. This mirrors the Rust engine in
``benches/src/timing.rs``.
"""

from __future__ import annotations

import random
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

Call = Callable[[], Any]


def timed(call: Call, inner: int) -> float:
    """Seconds per call of ``inner`` back-to-back calls."""
    t = time.perf_counter()
    for _ in range(inner):
        call()
    return (time.perf_counter() - t) / inner


def median(v: Sequence[float]) -> float:
    """The median (the mean of the middle two for an even count)."""
    s = sorted(v)
    n = len(s)
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def _calls_per_sample(call: Call, first: float, min_sample: float) -> int:
    """How many calls make a sample of about ``min_sample`` seconds.

    ``first`` is the warm-up call's time (it may have faulted buffers in).
    The fastest of three more warm calls calibrates unless the call was
    clearly long twice: one slow calibration call would give a method fewer
    calls per sample than its peers.
    """
    t = first
    if t >= 4 * min_sample:
        t = timed(call, 1)
    if t < 4 * min_sample:
        t = min([t] + [timed(call, 1) for _ in range(3)])
    return 1 if t >= min_sample or t <= 0 else max(1, int(min_sample / t + 0.999))


def interleaved(
    calls: Sequence[Tuple[str, Call]],
    rounds: int,
    min_sample: Optional[float] = None,
    inner: int = 1,
    seed: int = 0x5EED,
) -> Tuple[Dict[str, List[float]], Dict[str, int]]:
    """Times ``calls`` (``(name, fn)`` pairs) in ``rounds`` interleaved rounds.

    Each sample is seconds per call over ``inner`` calls, or over as many
    calls as ``min_sample`` seconds need when it is given. Returns
    ``({name: [seconds per call, one a round]}, {name: calls per sample})``.
    """
    # Every method's warm-up call comes before any calibrates, so the first
    # method does not calibrate while the group is cold.
    first = {name: timed(fn, 1) for name, fn in calls}
    per_sample = {
        name: inner if min_sample is None else _calls_per_sample(fn, first[name], min_sample)
        for name, fn in calls
    }
    samples: Dict[str, List[float]] = {name: [] for name, _ in calls}
    order = list(calls)
    rng = random.Random(seed)
    for _ in range(rounds):
        # A fresh order every round: no method always follows the same one.
        rng.shuffle(order)
        for name, fn in order:
            if per_sample[name] > 1:
                fn()  # untimed: a sample starts the way its calls run
            samples[name].append(timed(fn, per_sample[name]))
    return samples, per_sample
