"""simdpar.SumAccumulator: any split, any merge order, pickled or not, gives
the bits of simdpar.sum of the concatenation; bad input is refused."""

from __future__ import annotations

import copy
import pickle

import numpy as np
import pytest

import simdpar
from simdpar import SumAccumulator

SIZES = [0, 1, 7, 511, 512, 513, 1023, 1024, 1025, 4096, 65536, 100_003]


def mixed(rng: np.random.Generator, n: int, dtype) -> np.ndarray:
    """Both signs over 16 decades: the order of additions shows in the bits."""
    return (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)).astype(dtype)


def bits(v) -> bytes:
    return np.asarray(v).tobytes()


def pieces_merged(rng, x, cuts, pickled: bool):
    accs = []
    for lo, hi in zip(cuts[:-1], cuts[1:]):
        a = SumAccumulator(x.dtype, lo)
        a.add(x[lo:hi])
        if pickled:
            a = pickle.loads(pickle.dumps(a))
        accs.append(a)
    while len(accs) > 1:
        i = int(rng.integers(0, len(accs) - 1))
        right = accs.pop(i + 1)
        accs[i].merge(right)
    return accs[0]


@pytest.mark.parametrize("n", SIZES)
def test_random_splits_and_merge_orders_match_sum(dtype, n):
    rng = np.random.default_rng(n + 17)
    x = mixed(rng, n, dtype)
    want = simdpar.sum(x)
    for round_ in range(8):
        k = int(rng.integers(1, 30))
        cuts = [0, *sorted(int(c) for c in rng.integers(0, n + 1, k - 1)), n]
        acc = pieces_merged(rng, x, cuts, pickled=round_ % 2 == 1)
        got = acc.result()
        assert got.dtype == x.dtype
        assert bits(got) == bits(want), (n, cuts)
        assert (acc.start, acc.end, acc.size) == (0, n, n)


def test_streaming_many_small_adds(dtype):
    rng = np.random.default_rng(5)
    x = mixed(rng, 20_000, dtype)
    acc = SumAccumulator(dtype)
    i = 0
    while i < len(x):
        step = int(rng.integers(0, 1500))
        acc.add(x[i : i + step])
        i += step
    assert bits(acc.result()) == bits(simdpar.sum(x))


def test_nd_and_non_contiguous_inputs_are_read_in_c_order(dtype):
    rng = np.random.default_rng(9)
    m = mixed(rng, 3 * 700, dtype).reshape(3, 700)
    for view in (m, m.T, m[:, ::3], m[::-1]):
        acc = SumAccumulator(dtype)
        acc.add(view)
        assert bits(acc.result()) == bits(simdpar.sum(np.ascontiguousarray(view)))
        assert acc.size == view.size


def test_special_values(dtype):
    for x in ([], [-0.0], [0.0, -0.0], [np.inf, 1.0], [np.inf, -np.inf], [np.nan, 1.0]):
        arr = np.array(x, dtype=dtype)
        a = SumAccumulator(dtype)
        a.add(arr[:1])
        b = SumAccumulator(dtype, a.end)
        b.add(arr[1:])
        a.merge(b)
        got, want = a.result(), simdpar.sum(arr)
        assert bits(got) == bits(want) or (np.isnan(got) and np.isnan(want)), x
    assert bits(SumAccumulator(dtype).result()) == bits(dtype(0.0))  # +0.0


def test_pickle_copy_and_bytes_round_trip_mid_stream(dtype):
    rng = np.random.default_rng(2)
    x = mixed(rng, 5000, dtype)
    a = SumAccumulator(dtype, 100)
    a.add(x[100:3333])
    for b in (pickle.loads(pickle.dumps(a)), copy.deepcopy(a), a.copy(),
              SumAccumulator.from_bytes(a.to_bytes())):
        assert (b.dtype, b.start, b.end) == (a.dtype, a.start, a.end)
        assert b.to_bytes() == a.to_bytes()
        b.add(x[3333:])
        head = SumAccumulator(dtype)
        head.add(x[:100])
        head.merge(b)
        assert bits(head.result()) == bits(simdpar.sum(x))
    # The copies are independent: `a` still ends where it did.
    assert a.end == 3333


def test_wrong_dtypes_are_type_errors():
    with pytest.raises(TypeError):
        SumAccumulator(np.int32)
    with pytest.raises(TypeError):
        SumAccumulator("complex128")
    a = SumAccumulator(np.float32)
    with pytest.raises(TypeError, match="float32"):
        a.add(np.zeros(3, np.float64))
    with pytest.raises(TypeError):
        a.add(np.zeros(3, np.int64))
    with pytest.raises(TypeError, match="merge"):
        a.merge(SumAccumulator(np.float64))
    assert a.size == 0, "refused input adds nothing"


def test_misplaced_pieces_and_bad_bytes_are_value_errors():
    a = SumAccumulator(np.float64)
    a.add(np.ones(10))
    gap = SumAccumulator(np.float64, 11)
    gap.add(np.ones(1))
    with pytest.raises(ValueError, match="ends at element 10"):
        a.merge(gap)
    assert a.end == 10
    with pytest.raises(ValueError, match="starts at element 11"):
        gap.result()
    good = a.to_bytes()
    for bad in (b"", good[:-1], good + b"\0", b"XXXX" + good[4:],
                good[:4] + b"\x02" + good[5:]):
        with pytest.raises(ValueError):
            SumAccumulator.from_bytes(bad)
    with pytest.raises(ValueError, match="version 2"):
        SumAccumulator.from_bytes(good[:4] + b"\x02" + good[5:])
    with pytest.raises(OverflowError):
        SumAccumulator(np.float64, -1)


def test_none_dtype_is_float64_and_bytes_like_states_decode():
    a = SumAccumulator(None)
    assert a.dtype == "float64"
    assert SumAccumulator(None, 5).start == 5
    x = np.arange(1000.0)
    a.add(x)
    raw = a.to_bytes()
    for data in (raw, bytearray(raw), memoryview(raw), memoryview(bytearray(raw)),
                 np.frombuffer(raw, dtype=np.uint8)):
        b = SumAccumulator.from_bytes(data)
        assert bits(b.result()) == bits(a.result()), type(data).__name__
    for bad in (5, "text", None, [1, 2, 3]):
        with pytest.raises(TypeError, match="bytes-like"):
            SumAccumulator.from_bytes(bad)
    c = SumAccumulator(np.float64)
    c.__setstate__(bytearray(raw))
    assert c.end == 1000


def test_merge_into_itself_is_a_value_error_saying_why():
    a = SumAccumulator(np.float32)
    a.add(np.ones(10, np.float32))
    with pytest.raises(ValueError, match="itself"):
        a.merge(a)
    assert a.end == 10 and bits(a.result()) == bits(np.float32(10))


def _run_threads(n, target):
    import threading

    errors = []
    barrier = threading.Barrier(n)

    def body(i):
        try:
            barrier.wait()
            target(i)
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=body, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_concurrent_adds_from_threads_all_land_with_the_serial_result(dtype):
    # 20 threads add equal pieces at once (large enough that each add
    # releases the GIL) while others read end/size/repr: nothing is refused,
    # and since the pieces are equal the result does not depend on the order.
    piece = (np.random.default_rng(3).standard_normal(1 << 17) * 1e3).astype(dtype)
    a = SumAccumulator(dtype)

    def work(i):
        a.add(piece)
        for _ in range(5):
            assert a.end % piece.size == 0
            repr(a)
            a.size  # noqa: B018 - a read during others' adds

    assert _run_threads(20, work) == []
    serial = SumAccumulator(dtype)
    for _ in range(20):
        serial.add(piece)
    assert a.end == serial.end == 20 * piece.size
    assert bits(a.result()) == bits(serial.result()) == bits(simdpar.sum(np.tile(piece, 20)))


def test_concurrent_merges_both_ways_do_not_deadlock():
    # a.merge(b) and b.merge(a) at once: each snapshot-then-lock, never two
    # locks at a time. Positions make only some merges valid; the others
    # raise a ValueError about positions, never a RuntimeError.
    import threading

    for _ in range(20):
        a = SumAccumulator(np.float64)
        a.add(np.ones(100_000))
        b = SumAccumulator(np.float64, 100_000)
        b.add(np.ones(100_000))
        results = []

        def ab():
            try:
                a.merge(b)
                results.append("ab")
            except ValueError:
                results.append("ab-refused")

        def ba():
            try:
                b.merge(a)
                results.append("ba")
            except ValueError:
                results.append("ba-refused")

        ts = [threading.Thread(target=ab), threading.Thread(target=ba)]
        for t in ts:
            t.start()
        for t in ts:
            t.join(timeout=60)
        assert not any(t.is_alive() for t in ts), "merge deadlocked"
        assert "ab" in results and "ba-refused" in results, results
        assert a.end == 200_000 and bits(a.result()) == bits(np.float64(200_000))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_runs_state_of_dask_sum_joins_any_order_and_pickles(dtype):
    # simdpar.dask.sum's state: a (60, 3000) array cut into column chunks
    # (grids), a row band (one contiguous run) and single rows; joined in a
    # shuffled order, through pickle, it gives simdpar.sum's bits.
    import random

    from simdpar._simdpar import _SumRuns

    rng = np.random.default_rng(9)
    m = (rng.standard_normal((60, 3000)) * 1e4).astype(dtype)
    cols = 3000
    parts = []
    for c0, c1 in ((0, 7), (7, 1500), (1500, 2999), (2999, 3000)):  # rows 0..20: column chunks
        starts = np.arange(20, dtype=np.int64) * cols + c0
        parts.append(_SumRuns.from_rows(m[:20, c0:c1], starts))
    parts.append(_SumRuns.from_rows(m[20:50], np.array([20 * cols], dtype=np.int64)))
    for r in range(50, 60):
        parts.append(_SumRuns.from_rows(m[r], np.array([r * cols], dtype=np.int64)))
    order = list(range(len(parts)))
    random.Random(1).shuffle(order)
    left = _SumRuns.merged([parts[i] for i in order[:7]])
    right = _SumRuns.merged([parts[i] for i in order[7:]])
    left, right = (pickle.loads(pickle.dumps(s)) for s in (left, right))
    whole = _SumRuns.merged([right, left])
    assert whole.spans() == [(0, m.size)]
    assert bits(whole.result(m.size)) == bits(simdpar.sum(m))
    with pytest.raises(ValueError, match="do not cover"):
        left.result(m.size)
    with pytest.raises(ValueError):
        _SumRuns.merged([parts[0], parts[0]])  # overlapping runs
    with pytest.raises(ValueError):
        _SumRuns._restore(np.dtype(dtype).name, b"\x01\x00")
