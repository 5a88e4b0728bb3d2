"""simdpar.timing: the one interleaved-rounds timing routine of the Python
benchmarks and notebooks. These tests check what it does with the calls
(order, counts, calibration, errors), never how long anything takes."""

from __future__ import annotations

import time

import pytest

from simdpar.timing import interleaved, median, paired_ratio, timed


def recorder(log, name):
    return name, lambda: log.append(name)


def test_every_round_times_each_call_once_in_a_fresh_order():
    log = []
    names = ["a", "b", "c", "d"]
    samples, per_sample = interleaved([recorder(log, n) for n in names], rounds=40)
    assert per_sample == {n: 1 for n in names}
    assert {n: len(s) for n, s in samples.items()} == {n: 40 for n in names}
    assert all(t >= 0 for s in samples.values() for t in s)
    warmup, rounds = log[:4], log[4:]
    assert warmup == names  # one warm-up call each, in the given order
    orders = [tuple(rounds[i : i + 4]) for i in range(0, len(rounds), 4)]
    assert len(orders) == 40 and all(sorted(o) == names for o in orders)
    # Shuffled: 40 rounds of 4 calls do not all share one order, and every
    # call is somewhere first.
    assert len(set(orders)) > 1
    assert {o[0] for o in orders} == set(names)


def test_inner_repeats_each_sample_and_the_seed_fixes_the_order():
    log = []
    interleaved([recorder(log, "x"), recorder(log, "y")], rounds=3, inner=5)
    # warm-up 1 each, then per round: one untimed call and 5 timed ones each
    assert len(log) == 2 + 3 * 2 * (1 + 5)
    a, b = [], []
    interleaved([recorder(a, "x"), recorder(a, "y")], rounds=9, seed=7)
    interleaved([recorder(b, "x"), recorder(b, "y")], rounds=9, seed=7)
    assert a == b


def test_min_sample_calibrates_calls_per_sample():
    def slow():
        time.sleep(0.004)

    _, per_sample = interleaved([("noop", lambda: None), ("slow", slow)], rounds=2, min_sample=0.002)
    assert per_sample["slow"] == 1  # a sleep never returns early
    assert per_sample["noop"] > 1


def test_bad_arguments_are_value_errors():
    call = ("a", lambda: None)
    for kwargs in ({"rounds": 0}, {"rounds": 1, "inner": 0}, {"rounds": 1, "min_sample": 0.0}):
        with pytest.raises(ValueError):
            interleaved([call], **kwargs)
    with pytest.raises(ValueError, match="at least one"):
        interleaved([], rounds=3)
    with pytest.raises(ValueError, match="unique"):
        interleaved([call, call], rounds=3)
    with pytest.raises(ValueError, match="equal counts"):
        paired_ratio([1.0, 2.0], [1.0])
    with pytest.raises(ValueError):
        median([])


def test_median_and_paired_ratio():
    assert median([3.0, 1.0, 2.0]) == 2.0
    assert median([4.0, 1.0, 3.0, 2.0]) == 2.5
    # The median of per-round ratios, not the ratio of medians.
    assert paired_ratio([2.0, 10.0, 3.0], [1.0, 10.0, 1.0]) == 2.0
    assert median([2.0, 10.0, 3.0]) / median([1.0, 10.0, 1.0]) == 3.0
    assert timed(lambda: None, 3) >= 0


def test_a_context_wraps_each_sample_outside_the_timed_span():
    log = []

    class Ctx:
        def __enter__(self):
            log.append("enter")

        def __exit__(self, *exc):
            log.append("exit")

    samples, _ = interleaved(
        [("plain", lambda: log.append("plain")), ("ctx", lambda: log.append("ctx"), Ctx)], rounds=4
    )
    assert len(samples["ctx"]) == 4
    # Every call of "ctx" (warm-up and samples) runs inside its context,
    # "plain" never does.
    depth, seen = 0, []
    for e in log:
        if e == "enter":
            depth += 1
        elif e == "exit":
            depth -= 1
        else:
            seen.append((e, depth))
    assert {d for e, d in seen if e == "ctx"} == {1}
    assert {d for e, d in seen if e == "plain"} == {0}
    assert depth == 0
    with pytest.raises(ValueError, match="name, fn"):
        interleaved([("a",)], rounds=1)
    with pytest.raises(ValueError, match="context"):
        interleaved([("a", lambda: None, 3)], rounds=1)
