"""Timing Python calls side by side: the one timing routine of simdpar's
Python benchmarks (``benches/python``, ``python/benchmarks``) and notebooks,
public so that notebook users can compare their own calls the same way.

Methods are timed in interleaved rounds: every round times one sample of
each method, in a fresh shuffled order, so load changes hit all methods
alike and sample ``i`` of every method comes from round ``i`` (for paired
ratios). Before the rounds each method is warmed up once, and, when a
``min_sample`` is given, calibrated: a sample repeats the call enough times
to last about that long. This mirrors the Rust engine
``simdpar_kernels::timing``. Compare methods with :func:`paired_ratio` (the
median of per-round ratios), not with a ratio of medians: a load burst
slows one round of every method alike.

    >>> from simdpar.timing import interleaved, paired_ratio
    >>> samples, _ = interleaved([("a", lambda: sum(range(100))),
    ...                           ("b", lambda: sum(range(200)))], rounds=5)
    >>> paired_ratio(samples["b"], samples["a"]) > 0
    True

This module imports nothing of simdpar's own, so benchmark scripts can load
it from the source tree where the compiled package is not importable.
"""

from __future__ import annotations

import contextlib
import random
import time
from typing import Any, Callable, ContextManager, Dict, List, Optional, Sequence, Tuple

Call = Callable[[], Any]


def timed(call: Call, inner: int) -> float:
    """Seconds per call of ``inner`` back-to-back calls."""
    t = time.perf_counter()
    for _ in range(inner):
        call()
    return (time.perf_counter() - t) / inner


def median(v: Sequence[float]) -> float:
    """The median (the mean of the middle two for an even count).

    Raises ``ValueError`` for an empty sequence.
    """
    s = sorted(v)
    n = len(s)
    if n == 0:
        raise ValueError("median of no samples")
    return s[n // 2] if n % 2 else 0.5 * (s[n // 2 - 1] + s[n // 2])


def paired_ratio(num: Sequence[float], den: Sequence[float]) -> float:
    """The median over rounds of ``num[i] / den[i]``.

    Both must come from the same :func:`interleaved` run (sample ``i`` of
    each from round ``i``); a ``ValueError`` says so when the counts differ.
    """
    if len(num) != len(den):
        raise ValueError(f"paired samples need equal counts, got {len(num)} and {len(den)}")
    return median([n / d for n, d in zip(num, den)])


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
    calls: Sequence[Tuple[Any, ...]],
    rounds: int,
    min_sample: Optional[float] = None,
    inner: int = 1,
    seed: int = 0x5EED,
) -> Tuple[Dict[str, List[float]], Dict[str, int]]:
    """Times ``calls`` in ``rounds`` interleaved rounds.

    Each call is ``(name, fn)`` or ``(name, fn, context)``: ``context()``
    returns a context manager entered around each of ``fn``'s samples and
    left after it, outside the timed span (``lambda: simdpar.use_isa("avx2")``
    runs a method on one ISA without timing the switch). Each sample is
    seconds per call over ``inner`` calls, or over as many calls as
    ``min_sample`` seconds need when it is given. Returns
    ``({name: [seconds per call, one a round]}, {name: calls per sample})``.
    Raises ``ValueError`` for no calls, a call that is not such a tuple, a
    repeated name, ``rounds < 1``, ``inner < 1`` or ``min_sample <= 0``.
    """
    methods = [_method(c) for c in calls]
    names = [name for name, _, _ in methods]
    if not names:
        raise ValueError("interleaved() needs at least one call")
    if len(set(names)) != len(names):
        raise ValueError(f"call names must be unique, got {names}")
    if rounds < 1 or inner < 1:
        raise ValueError(f"rounds and inner must be at least 1, got {rounds} and {inner}")
    if min_sample is not None and not min_sample > 0:
        raise ValueError(f"min_sample must be a positive number of seconds, got {min_sample}")
    # Every method's warm-up call comes before any calibrates, so the first
    # method does not calibrate while the group is cold.
    first = {}
    for name, fn, context in methods:
        with context():
            first[name] = timed(fn, 1)
    per_sample = {}
    for name, fn, context in methods:
        with context():
            per_sample[name] = (
                inner if min_sample is None else _calls_per_sample(fn, first[name], min_sample)
            )
    samples: Dict[str, List[float]] = {name: [] for name in names}
    rng = random.Random(seed)
    for _ in range(rounds):
        # A fresh order every round: no method always follows the same one.
        rng.shuffle(methods)
        for name, fn, context in methods:
            with context():
                if per_sample[name] > 1:
                    fn()  # untimed: a sample starts the way its calls run
                samples[name].append(timed(fn, per_sample[name]))
    return samples, per_sample


def _method(call: Tuple[Any, ...]) -> Tuple[str, Call, Callable[[], ContextManager[Any]]]:
    """``(name, fn, context)`` of one entry of :func:`interleaved`'s calls."""
    if not isinstance(call, tuple) or len(call) not in (2, 3) or not callable(call[1]):
        raise ValueError(f"a call is (name, fn) or (name, fn, context), got {call!r}")
    context = call[2] if len(call) == 3 else contextlib.nullcontext
    if not callable(context):
        raise ValueError(f"the context of {call[0]!r} must be callable, got {context!r}")
    return str(call[0]), call[1], context
