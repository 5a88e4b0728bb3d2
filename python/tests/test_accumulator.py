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
