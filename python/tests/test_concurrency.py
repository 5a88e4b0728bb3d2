"""Many Python threads calling the kernels at once, each inside its own
``simdpar.use_isa`` scope (some switching and nesting scopes, one flipping
the process default with ``set_isa``): every result stays bitwise right and
no scope leaks into another thread.

The arrays are larger than ``simdpar.DETACH_MIN_ELEMS``, so the GIL is
released inside the kernels and the threads really run them concurrently.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest

import simdpar
from conftest import assert_bitwise, ref_leaky, ref_mandelbrot, ref_sum

ISAS = simdpar.available_isas()


class Expected:
    """Inputs and their references (numpy, the contract's expressions)."""

    def __init__(self):
        rng = np.random.default_rng(11)
        n = 4 * simdpar.DETACH_MIN_ELEMS + 123
        self.a = (rng.standard_normal(n) * 3).astype(np.float32)
        self.b = (rng.standard_normal(n) * 3).astype(np.float32)
        self.a[::97] = np.nan
        self.a[5::101] = -np.inf
        self.m = (rng.standard_normal((300, 77)) * 5).astype(np.float64)
        self.sum_a = ref_sum(self.a)
        self.rows_m = np.array([ref_sum(r) for r in self.m], dtype=np.float64)
        with np.errstate(all="ignore"):
            self.add = self.a + self.b
            self.mul = self.a * self.b
            self.sq = self.a * self.a
            self.scale = self.a * np.float32(-1.5)
        self.lrelu = ref_leaky(self.a, 0.1)
        self.mandel = ref_mandelbrot(64, 48, 100, (-2.0, 0.5), (-1.25, 1.25), np.float64)


@pytest.fixture(scope="module")
def expected():
    return Expected()


def one_round(e, isa, threads):
    """Every kernel once, checked; `isa` must be active throughout."""
    assert simdpar.active_isa() == isa
    s = simdpar.sum(e.a, threads=threads)
    assert np.float32(s).tobytes() == np.float32(e.sum_a).tobytes() or (np.isnan(s) and np.isnan(e.sum_a))
    assert_bitwise(simdpar.row_sums(e.m, threads=threads), e.rows_m)
    assert_bitwise(simdpar.add(e.a, e.b, threads=threads), e.add)
    assert_bitwise(simdpar.multiply(e.a, e.b, threads=threads), e.mul)
    assert_bitwise(simdpar.square(e.a, threads=threads), e.sq)
    assert_bitwise(simdpar.scale(e.a, -1.5, threads=threads), e.scale)
    out = np.empty_like(e.a)
    simdpar.leaky_relu(e.a, 0.1, out=out, threads=threads)
    assert_bitwise(out, e.lrelu)
    got = simdpar.mandelbrot(64, 48, max_iter=100, threads=threads)
    assert (got == e.mandel).all()
    assert simdpar.active_isa() == isa


def run_threads(n, target):
    """Runs target(i) on n threads started together; re-raises the first
    failure."""
    start = threading.Barrier(n)
    errors = []

    def body(i):
        try:
            start.wait()
            target(i)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append((i, exc))

    ts = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    if errors:
        i, exc = errors[0]
        raise AssertionError(f"thread {i} failed ({len(errors)} failures): {exc!r}") from exc


def test_threads_with_different_scoped_isas(expected):
    """8 threads, ISAs round robin over the available ones, 3 rounds each
    with threads=1, 2 and automatic."""
    done = []

    def work(i):
        isa = ISAS[i % len(ISAS)]
        with simdpar.use_isa(isa):
            for threads in (1, 2, None):
                one_round(expected, isa, threads)
                done.append(i)

    run_threads(8, work)
    assert len(done) == 8 * 3


def test_switching_and_nested_scopes_while_the_default_flips(expected):
    """6 threads change (and nest) scopes every round while another thread
    calls set_isa/clear_isa in a loop: scoped threads never see it, and
    unscoped calls are bitwise right whatever the default is."""
    stop = threading.Event()
    flips = []

    def flipper():
        i = 0
        while not stop.is_set():
            simdpar.set_isa(ISAS[i % len(ISAS)])
            i += 1
        simdpar.clear_isa()
        flips.append(i)

    f = threading.Thread(target=flipper)
    f.start()
    try:

        def work(w):
            for r in range(2 * len(ISAS)):
                outer = ISAS[(w + r) % len(ISAS)]
                inner = ISAS[(w + 2 * r + 1) % len(ISAS)]
                with simdpar.use_isa(outer):
                    one_round(expected, outer, 2)
                    with simdpar.use_isa(inner):
                        one_round(expected, inner, 1)
                    assert simdpar.active_isa() == outer
                # Unscoped: any ISA, same bits.
                assert_bitwise(simdpar.multiply(expected.a, expected.b), expected.mul)

        run_threads(6, work)
    finally:
        stop.set()
        f.join()
        simdpar.clear_isa()
    assert flips and flips[0] > 0


def test_a_scope_is_invisible_to_other_threads():
    """Thread A holds use_isa('scalar') while thread B looks: B sees its own
    selection; after A's scope ends, A sees its previous one again."""
    before = simdpar.active_isa()
    inside = threading.Event()
    looked = threading.Event()
    seen = {}

    def a():
        with simdpar.use_isa("scalar"):
            seen["a_inside"] = simdpar.active_isa()
            inside.set()
            looked.wait(30)
        seen["a_after"] = simdpar.active_isa()

    def b():
        inside.wait(30)
        with simdpar.use_isa(ISAS[-1]):
            seen["b_scoped"] = simdpar.active_isa()
        seen["b"] = simdpar.active_isa()
        looked.set()

    ta, tb = threading.Thread(target=a), threading.Thread(target=b)
    ta.start()
    tb.start()
    ta.join()
    tb.join()
    assert seen["a_inside"] == "scalar"
    assert seen["b_scoped"] == ISAS[-1]
    assert seen["b"] == before
    assert seen["a_after"] == before
    assert simdpar.active_isa() == before


def test_errors_in_one_thread_do_not_disturb_others(expected):
    """Half the threads pass bad input (and raise inside their scope), the
    other half compute: the good results stay right, the scopes unwind."""

    def work(i):
        isa = ISAS[i % len(ISAS)]
        if i % 2:
            for _ in range(20):
                try:
                    with simdpar.use_isa(isa):
                        simdpar.add(expected.a, expected.b[:-1])
                except ValueError:
                    pass
                else:
                    raise AssertionError("shape mismatch accepted")
            assert simdpar.active_isa() in ISAS
        else:
            with simdpar.use_isa(isa):
                one_round(expected, isa, 2)

    run_threads(8, work)
