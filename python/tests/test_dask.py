"""simdpar.dask on real schedulers (threads, processes, a distributed
LocalCluster of 2 worker processes): bitwise equal to simdpar on the
computed array, for ragged chunkings, f32 and f64; a worker killed mid-sum
changes nothing; bad input is refused at graph-build time.

Missing dask / distributed: a loud SKIPPED, a failure when SIMDPAR_CI=1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import simdpar

try:
    import cloudpickle
    import dask
    import dask.array as da
    import distributed

    import simdpar.dask as sd

    _MISSING = None
except ImportError as e:  # pragma: no cover - depends on the environment
    _MISSING = str(e)

# Functions of this module run on worker processes, which cannot import it.
if _MISSING is None:
    cloudpickle.register_pickle_by_value(sys.modules[__name__])

RAGGED = [1, 7, 511, 512, 513, 1023, 1024, 1025, 4096, 65536]


def _required() -> bool:
    return os.environ.get("SIMDPAR_CI", "").strip().lower() in ("1", "true", "yes")


@pytest.fixture(autouse=True)
def _need_dask(request):
    if _MISSING is None or request.node.name.startswith("test_import_without_dask"):
        return
    reason = f"SKIPPED: simdpar.dask tests (dask/distributed not installed: {_MISSING})"
    if _required():
        pytest.fail(f"SIMDPAR_CI=1 but {reason}; install with pip install ./python[dask]")
    print("\n" + "*" * 72 + f"\n{reason}\n" + "*" * 72, file=sys.stderr)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def client():
    """One LocalCluster (2 worker processes on loopback) for the module."""
    if _MISSING is not None:
        pytest.skip("dask missing")
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
        silence_logs=40,
    )
    c = distributed.Client(cluster)
    yield c
    c.close()
    cluster.close()


def mixed(rng, n, dtype):
    return (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)).astype(dtype)


def bits(v) -> bytes:
    return np.asarray(v).tobytes()


def ragged_chunks(rng):
    """A shuffled mix of the interesting chunk sizes."""
    c = list(RAGGED) + [int(v) for v in rng.choice(RAGGED[:-1], 6)]
    rng.shuffle(c)
    return tuple(c)


def cases(dtype):
    """(numpy array, dask array) pairs: 1-D ragged, 2-D ragged both ways, 3-D."""
    rng = np.random.default_rng(42 if dtype == np.float32 else 43)
    c1 = ragged_chunks(rng)
    x1 = mixed(rng, sum(c1), dtype)
    rows, cols = (1, 7, 29, 3), (1, 7, 511, 512, 513, 1023, 433)
    x2 = mixed(rng, sum(rows) * sum(cols), dtype).reshape(sum(rows), sum(cols))
    x3 = mixed(rng, 5 * 6 * 700, dtype).reshape(5, 6, 700)
    return [
        (x1, da.from_array(x1, chunks=(c1,))),
        (x2, da.from_array(x2, chunks=(rows, cols))),
        (x2, da.from_array(x2, chunks=(rows, -1))),
        (x3, da.from_array(x3, chunks=((2, 3), (1, 5), (7, 693)))),
    ]


def expected_and_graphs(dtype):
    want, graphs = [], []
    for x, dx in cases(dtype):
        want.append(simdpar.sum(x))
        graphs.append(sd.sum(dx))
        if x.ndim == 2:
            want.append(simdpar.row_sums(x))
            graphs.append(sd.row_sums(dx))
    return want, graphs


def check(want, got):
    assert len(want) == len(got)
    for i, (w, g) in enumerate(zip(want, got)):
        assert np.asarray(g).dtype == np.asarray(w).dtype, i
        assert bits(g) == bits(w), f"case {i}: {g!r} != {w!r}"


@pytest.mark.parametrize("scheduler", ["threads", "sync"])
def test_sum_and_row_sums_threads(dtype, scheduler):
    want, graphs = expected_and_graphs(dtype)
    check(want, dask.compute(*graphs, scheduler=scheduler))


def test_sum_and_row_sums_processes():
    want, graphs = [], []
    for dt in (np.float32, np.float64):
        w, g = expected_and_graphs(dt)
        want += w
        graphs += g
    check(want, dask.compute(*graphs, scheduler="processes", num_workers=2))


def test_sum_and_row_sums_distributed(client, dtype):
    assert len(client.scheduler_info()["workers"]) >= 2
    want, graphs = expected_and_graphs(dtype)
    check(want, client.gather(client.compute(list(graphs))))


def test_every_chunking_gives_one_bit_pattern(dtype):
    rng = np.random.default_rng(7)
    ragged = ragged_chunks(rng)
    x = mixed(rng, sum(ragged), dtype)
    want = bits(simdpar.sum(x))
    plain = set()
    for chunks in (x.size, 1023, 1025, 4096, 65536, (ragged,)):
        dx = da.from_array(x, chunks=chunks)
        got = sd.sum(dx, split_every=3).compute(scheduler="threads")
        assert bits(got) == want, chunks
        plain.add(bits(da.sum(dx, split_every=3).compute(scheduler="threads")))
    # The data are order-sensitive: dask's own sum changes with the chunks.
    assert len(plain) > 1
    small = x[:2500]  # tiny chunks on a prefix (thousands of tasks otherwise)
    for chunks in (1, 7):
        got = sd.sum(da.from_array(small, chunks=chunks)).compute(scheduler="sync")
        assert bits(got) == bits(simdpar.sum(small)), chunks


def test_elementwise_and_mandelbrot_match_simdpar(client, dtype):
    rng = np.random.default_rng(3)
    a = mixed(rng, 30_000, dtype).reshape(100, 300)
    b = mixed(rng, 30_000, dtype).reshape(100, 300)
    da_a = da.from_array(a, chunks=((1, 7, 92), (1, 7, 292)))
    da_b = da.from_array(b, chunks=(50, 150))  # other chunks: rechunked to a's
    graphs = {
        "add": (sd.add(da_a, da_b), simdpar.add(a, b)),
        "multiply": (sd.multiply(da_a, da_b), simdpar.multiply(a, b)),
        "add_scalar": (sd.add(da_a, 2.5), simdpar.add(a, 2.5)),
        "multiply_scalar_first": (sd.multiply(3.0, da_a), simdpar.multiply(3.0, a)),
        "add_row": (sd.add(da_a, da.from_array(b[0], chunks=100)), simdpar.add(a, b[0])),
        "square": (sd.square(da_a), simdpar.square(a)),
        "scale": (sd.scale(da_a, 1.0 / 3.0), simdpar.scale(a, 1.0 / 3.0)),
        "leaky_relu": (sd.leaky_relu(da_a, 0.2), simdpar.leaky_relu(a, 0.2)),
        "mandelbrot": (
            sd.mandelbrot(67, 45, max_iter=200, xlim=(-1.5, 0.3), ylim=(-1.0, 1.1),
                          dtype=dtype, chunks=(7, 13)),
            simdpar.mandelbrot(67, 45, max_iter=200, xlim=(-1.5, 0.3), ylim=(-1.0, 1.1),
                               dtype=dtype),
        ),
    }
    assert graphs["add"][0].chunks == da_a.chunks
    assert graphs["mandelbrot"][0].chunks == ((7,) * 6 + (3,), (13,) * 5 + (2,))
    got = client.gather(client.compute([g for g, _ in graphs.values()]))
    for (name, (_, want)), g in zip(graphs.items(), got):
        assert g.dtype == want.dtype, name
        assert g.shape == want.shape, name
        assert g.tobytes() == want.tobytes(), name


def test_bad_input_is_refused_when_the_graph_is_built():
    i32 = da.zeros(10, dtype=np.int32, chunks=5)
    f32 = da.zeros(10, dtype=np.float32, chunks=5)
    f64 = da.zeros(10, dtype=np.float64, chunks=5)
    for f in (sd.sum, sd.square, lambda v: sd.scale(v, 2.0), sd.leaky_relu, sd.row_sums):
        with pytest.raises(TypeError, match="float32 or float64"):
            f(i32)
    with pytest.raises(TypeError):
        sd.sum(np.zeros(3))  # not a dask array
    with pytest.raises(TypeError, match="mixed dtypes"):
        sd.add(f32, f64)
    with pytest.raises(ValueError, match="2-D"):
        sd.row_sums(f64)
    with pytest.raises(ValueError, match="broadcast"):
        sd.multiply(f64, da.zeros(7, dtype=np.float64, chunks=7))
    with pytest.raises(TypeError):
        sd.scale(f64, "two")
    with pytest.raises(TypeError):
        sd.add(f64, "x")
    with pytest.raises(ValueError):
        sd.mandelbrot(0, 10)
    with pytest.raises(TypeError):
        sd.mandelbrot(10, 10, dtype=np.int16)
    with pytest.raises(ValueError):
        sd.mandelbrot(10, 10, xlim=(1.0,))


def test_empty_and_zero_d(dtype):
    empty = sd.sum(da.zeros((0, 3), dtype=dtype, chunks=2)).compute(scheduler="sync")
    assert bits(empty) == bits(dtype(0.0))
    x = np.array(-0.0, dtype=dtype)
    assert bits(sd.sum(da.from_array(x)).compute(scheduler="sync")) == bits(simdpar.sum(x))


def _slow_copy(block):
    time.sleep(0.25)
    return block.copy()


def test_worker_killed_mid_sum_recomputes_same_bits(client):
    rng = np.random.default_rng(11)
    chunks = ragged_chunks(rng)
    x = mixed(rng, sum(chunks), np.float32)
    slow = da.from_array(x, chunks=(chunks,)).map_blocks(_slow_copy, dtype=np.float32)
    before = client.run(os.getpid)
    future = client.compute(sd.sum(slow))
    # Wait until the workers are busy with the chunks, then kill one.
    deadline = time.monotonic() + 30
    while not any(client.processing().values()) and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.3)
    victim = sorted(before.values())[0]
    assert not future.done(), "the sum finished before a worker could be killed"
    os.kill(victim, signal.SIGKILL)
    got = future.result(timeout=180)
    assert bits(got) == bits(simdpar.sum(x))
    client.wait_for_workers(2, timeout=60)
    after = client.run(os.getpid)
    assert victim not in after.values(), "the killed worker process was replaced"


def test_import_without_dask_names_the_install_command():
    code = (
        "import sys\n"
        "sys.modules['dask'] = None\n"
        "sys.modules['dask.array'] = None\n"
        "try:\n"
        "    import simdpar.dask\n"
        "except ImportError as e:\n"
        "    print('IMPORTERROR', e)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env=os.environ.copy())
    assert "IMPORTERROR" in out.stdout, out.stderr
    assert "pip install ./python[dask]" in out.stdout


def test_unknown_chunk_sizes_work_or_name_compute_chunk_sizes(dtype):
    rng = np.random.default_rng(5)
    x = mixed(rng, 5000, dtype)
    dx = da.from_array(x, chunks=700)
    u = dx[dx > 0]  # chunk sizes unknown until computed
    assert any(np.isnan(c) for c in u.chunks[0])
    # Sums and binary operations need positions / shapes: a ValueError that
    # says what to do, not "cannot convert float NaN to integer".
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        sd.sum(u)
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        sd.add(u, u)
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        sd.multiply(u, u)
    with pytest.raises(ValueError, match=r"compute_chunk_sizes\(\)"):
        sd.row_sums(da.stack([u, u]))
    # ... and after compute_chunk_sizes() they give simdpar's bits.
    k = u.compute_chunk_sizes()
    pos = x[x > 0]
    assert bits(sd.sum(k).compute(scheduler="sync")) == bits(simdpar.sum(pos))
    assert bits(sd.add(k, k).compute(scheduler="sync")) == bits(simdpar.add(pos, pos))
    # One array (with or without a number) needs no chunk sizes.
    assert bits(sd.square(u).compute(scheduler="sync")) == bits(simdpar.square(pos))
    assert bits(sd.add(u, 2.0).compute(scheduler="sync")) == bits(simdpar.add(pos, 2.0))
    assert bits(sd.scale(u, 3.0).compute(scheduler="sync")) == bits(simdpar.scale(pos, 3.0))


def test_big_endian_input_gives_native_results(dtype):
    rng = np.random.default_rng(6)
    x = mixed(rng, 30 * 700, dtype).reshape(30, 700)
    be = x.astype(np.dtype(dtype).newbyteorder(">"))
    dbe = da.from_array(be, chunks=(7, 100))
    assert bits(simdpar.sum(be)) == bits(simdpar.sum(x))
    got = sd.sum(dbe).compute(scheduler="sync")
    assert np.asarray(got).dtype == np.dtype(dtype)
    assert bits(got) == bits(simdpar.sum(x))
    assert bits(sd.row_sums(dbe).compute(scheduler="sync")) == bits(simdpar.row_sums(x))
    for got, want in [
        (sd.add(dbe, dbe), simdpar.add(x, x)),
        (sd.square(dbe), simdpar.square(x)),
        (sd.scale(dbe, 0.5), simdpar.scale(x, 0.5)),
    ]:
        out = got.compute(scheduler="sync")
        assert out.dtype == np.dtype(dtype)
        assert bits(out) == bits(want)


@pytest.mark.parametrize("bad", [0, -5])
def test_bad_thread_counts_are_refused_at_graph_build(bad):
    with pytest.raises(ValueError):
        simdpar.add(np.zeros(3), np.zeros(3), threads=bad)
    f64 = da.zeros((10, 4), dtype=np.float64, chunks=5)
    calls = [
        lambda: sd.add(f64, f64, threads=bad),
        lambda: sd.add(f64, 1.0, threads=bad),
        lambda: sd.add(1.0, f64, threads=bad),
        lambda: sd.multiply(f64, f64, threads=bad),
        lambda: sd.square(f64, threads=bad),
        lambda: sd.scale(f64, 2.0, threads=bad),
        lambda: sd.leaky_relu(f64, threads=bad),
        lambda: sd.row_sums(f64, threads=bad),
        lambda: sd.row_sums(f64.rechunk((5, -1)), threads=bad),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="thread"):
            call()


def test_column_chunked_sum_matches_one_core_for_many_shapes(dtype):
    # The Rust runs state: narrow column chunks, ragged rows, 3-D, runs that
    # cross block boundaries; every split_every, the same bits as one core.
    rng = np.random.default_rng(7)
    shapes = [
        ((400, 100), ((400,), (10,) * 10)),
        ((333, 37), ((100, 233), (1, 5, 31))),
        ((50, 3000), ((17, 33), (1000, 999, 1, 1000))),
        ((6, 7, 900), ((2, 4), (3, 4), (1, 450, 449))),
    ]
    for shape, chunks in shapes:
        x = mixed(rng, int(np.prod(shape)), dtype).reshape(shape)
        x.flat[rng.integers(0, x.size, 3)] = np.array([np.inf, -0.0, 1e30], dtype=dtype)
        for src in (x, np.asfortranarray(x), x.astype(np.dtype(dtype).newbyteorder(">"))):
            dx = da.from_array(src, chunks=chunks)
            for split_every in (None, 2, 3):
                got = sd.sum(dx, split_every=split_every).compute(scheduler="threads")
                assert bits(got) == bits(simdpar.sum(x)), (shape, chunks, split_every)


def test_row_sums_of_narrow_column_chunks_match_one_core(dtype):
    # One Rust state per row band and column chunk (no Python object per
    # row): any column chunking, any split_every, C or Fortran order, either
    # byte order: simdpar.row_sums' bits.
    rng = np.random.default_rng(8)
    x = mixed(rng, 300 * 2100, dtype).reshape(300, 2100)
    want = simdpar.row_sums(x)
    for src in (x, np.asfortranarray(x), x.astype(np.dtype(dtype).newbyteorder(">"))):
        for chunks in (((300,), (10,) * 210), ((100, 7, 193), (1, 1023, 1, 1075)), ((300,), (2099, 1))):
            dx = da.from_array(src, chunks=chunks)
            for split_every in (None, 2, 5):
                got = sd.row_sums(dx, split_every=split_every)
                assert got.chunks == (chunks[0],)
                out = got.compute(scheduler="threads")
                assert out.dtype == np.dtype(dtype)
                assert bits(out) == bits(want), (chunks, split_every)
