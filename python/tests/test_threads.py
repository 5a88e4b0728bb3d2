"""The process-wide thread limit (set_num_threads / SIMDPAR_NUM_THREADS),
what automatic calls plan under it, cpu_info's thread entries, and the
threadpoolctl controller (threadpool_info lists simdpar;
threadpool_limits(1) makes a 64M-element sum plan one thread)."""

import os
import subprocess
import sys

import numpy as np
import pytest

import simdpar

BIG = 64 << 20  # 64M elements: every built-in plan splits it when allowed


def _skip_or_fail(what):
    """Loud skip; a failure under SIMDPAR_CI=1."""
    msg = f"SKIPPED: {what}"
    print(msg)
    if os.environ.get("SIMDPAR_CI") == "1":
        pytest.fail(f"{msg} (SIMDPAR_CI=1 makes a skip a failure)")
    pytest.skip(msg)


@pytest.fixture
def no_limit():
    simdpar.set_num_threads(None)
    yield
    simdpar.set_num_threads(None)


def _cpus():
    return simdpar.cpu_info()["logical_cpus"]


def test_set_num_threads_caps_automatic_plans(no_limit):
    free = simdpar.get_num_threads()
    assert 1 <= free <= _cpus()
    simdpar.set_num_threads(1)
    assert simdpar.get_num_threads() == 1
    for k in ("sum", "add", "row_sums", "mandelbrot"):
        assert simdpar.plan(k, "float32", BIG)["threads"] == 1, k
    # An explicit count is not capped by the limit.
    assert simdpar.plan("sum", "float32", BIG, threads=2)["threads"] == simdpar.plan(
        "sum", "float32", BIG, threads=2
    )["threads"]
    info = simdpar.cpu_info()
    assert info["num_threads"] == 1
    assert info["thread_limit"] == 1
    assert info["runtime"] == "own"
    simdpar.set_num_threads(_cpus() + 3)
    assert simdpar.get_num_threads() == _cpus()
    simdpar.set_num_threads(None)
    assert simdpar.get_num_threads() == free
    assert simdpar.cpu_info()["thread_limit"] is None


def test_the_limit_keeps_the_bits(no_limit):
    x = np.random.default_rng(5).standard_normal((3 << 20) + 11).astype(np.float32)
    free = simdpar.sum(x)
    simdpar.set_num_threads(1)
    one = simdpar.sum(x)
    assert free.tobytes() == one.tobytes()


def test_bad_values_are_refused(no_limit):
    for bad in (0, -3):
        with pytest.raises(ValueError, match="set_num_threads"):
            simdpar.set_num_threads(bad)
    with pytest.raises(ValueError, match="dtype"):
        simdpar.plan("sum", "int8", 10)
    with pytest.raises(ValueError):
        simdpar.plan("bogus", "float32", 10)


def _child(code, **env):
    e = dict(os.environ)
    e.pop("SIMDPAR_NUM_THREADS", None)
    e.update(env)
    r = subprocess.run(
        [sys.executable, "-c", code], env=e, capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    return r


def test_env_var_sets_the_limit():
    r = _child(
        "import simdpar; print(simdpar.get_num_threads(), "
        "simdpar.plan('sum','float32',64<<20)['threads'], simdpar.cpu_info()['thread_limit'])",
        SIMDPAR_NUM_THREADS="1",
    )
    assert r.stdout.split() == ["1", "1", "1"]


def test_bad_env_var_warns_and_is_ignored():
    r = _child(
        "import warnings, simdpar; print(simdpar.cpu_info()['thread_limit'])",
        SIMDPAR_NUM_THREADS="lots",
    )
    assert "SIMDPAR_NUM_THREADS" in r.stderr and "RuntimeWarning" in r.stderr
    assert r.stdout.split() == ["None"]


def _threadpoolctl():
    try:
        import threadpoolctl
    except ImportError:
        _skip_or_fail("threadpoolctl is not installed (pip install -r tools/requirements.txt)")
    major, minor = (int(p) for p in threadpoolctl.__version__.split(".")[:2])
    if (major, minor) < (3, 5):
        _skip_or_fail(f"threadpoolctl {threadpoolctl.__version__} < 3.5 has no register()")
    return threadpoolctl


def _entries(tpc):
    return [d for d in tpc.threadpool_info() if d["user_api"] == "simdpar"]


def test_threadpool_info_lists_simdpar(no_limit):
    tpc = _threadpoolctl()
    entries = _entries(tpc)
    assert len(entries) == 1, tpc.threadpool_info()
    e = entries[0]
    assert e["internal_api"] == "simdpar"
    assert e["version"] == simdpar.__version__
    assert e["isa"] == simdpar.active_isa()
    assert e["num_threads"] == simdpar.get_num_threads()
    assert os.path.basename(e["filepath"]).startswith("_simdpar")


def test_threadpool_limits_one_makes_a_64m_sum_plan_one_thread(no_limit):
    tpc = _threadpoolctl()
    x = np.ones(BIG, dtype=np.float32)
    before = simdpar.plan("sum", "float32", BIG)["threads"]
    with tpc.threadpool_limits(limits=1):
        assert simdpar.get_num_threads() == 1
        assert simdpar.plan("sum", "float32", BIG, threads=None)["threads"] == 1
        assert _entries(tpc)[0]["num_threads"] == 1
        assert simdpar.sum(x, threads=None) == np.float32(BIG)
    assert simdpar.plan("sum", "float32", BIG)["threads"] == before
    # Limiting only simdpar's API works too.
    with tpc.threadpool_limits(limits=1, user_api="simdpar"):
        assert simdpar.plan("sum", "float32", BIG)["threads"] == 1
    assert simdpar.plan("sum", "float32", BIG)["threads"] == before


def test_dask_tasks_plan_under_the_limit(no_limit):
    """simdpar.dask's kernels with threads=None plan in the process that
    runs the task, under its limit (here the threaded scheduler, in this
    process); the result keeps its bits."""
    try:
        import dask
        import dask.array as da
    except ImportError:
        _skip_or_fail("dask is not installed (pip install -r tools/requirements.txt)")
    import simdpar.dask as sd

    x = np.random.default_rng(9).standard_normal(1 << 20).astype(np.float32)
    want = simdpar.square(x)
    simdpar.set_num_threads(1)
    planned = dask.delayed(simdpar.plan)("square", "float32", BIG).compute(scheduler="threads")
    assert planned["threads"] == 1
    got = sd.square(da.from_array(x, chunks=1 << 18), threads=None).compute(scheduler="threads")
    assert got.tobytes() == want.tobytes()
    # A limit set where the graph is built travels with the tasks (worker
    # processes do not share this process's limit); without one, None stays
    # None and each task uses what its process allows.
    assert sd._threads(None) == 1
    assert sd._threads(3) == 3
    with pytest.raises(ValueError):
        sd._threads(0)
    simdpar.set_num_threads(None)
    assert sd._threads(None) is None
