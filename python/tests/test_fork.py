"""A child made by fork after the parent used the thread pool must still run
parallel kernels: the pool's threads do not exist in the child, so simdpar
builds a fresh pool there (it notices the new process id). A hang would block
forever, so every child runs under a timeout and a hang fails the test."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import sys
import time

import numpy as np
import pytest

import simdpar

pytestmark = [
    pytest.mark.skipif(not hasattr(os, "fork") or sys.platform == "win32", reason="needs os.fork"),
    # Python 3.12+ warns that forking a multi-threaded process is risky: it
    # is exactly what these tests do on purpose.
    pytest.mark.filterwarnings("ignore:.*multi-threaded.*fork:DeprecationWarning"),
]

TIMEOUT_S = 60.0
BIG = 16 * 1024 * 1024


def _work() -> tuple:
    """Parallel kernels of the issue: a 16M float32 sum and a Mandelbrot."""
    x = np.ones(BIG, dtype=np.float32)
    s = float(simdpar.sum(x))
    img = simdpar.mandelbrot(256, 256, max_iter=500)
    return s, int(img.sum())


def _use_pool_in_parent() -> tuple:
    # threads=None is automatic: both calls are large enough to split.
    return _work()


def _child(q) -> None:
    q.put(_work())


def test_multiprocessing_fork_child_runs_parallel_kernels():
    want = _use_pool_in_parent()
    assert want[0] == float(BIG)
    ctx = mp.get_context("fork")
    q = ctx.Queue()
    procs = [ctx.Process(target=_child, args=(q,)) for _ in range(2)]
    for p in procs:
        p.start()
    got = []
    deadline = time.monotonic() + TIMEOUT_S
    try:
        for _ in procs:
            got.append(q.get(timeout=max(1.0, deadline - time.monotonic())))
    finally:
        for p in procs:
            p.join(timeout=5)
            if p.is_alive():
                p.kill()
                p.join()
    assert got == [want, want]
    assert all(p.exitcode == 0 for p in procs)


def test_os_fork_child_runs_parallel_kernels():
    want = _use_pool_in_parent()
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        code = 1
        try:
            got = _work()
            os.write(w, repr(got).encode())
            code = 0 if got == want else 2
        finally:
            os._exit(code)
    os.close(w)
    deadline = time.monotonic() + TIMEOUT_S
    status = None
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        os.close(r)
        pytest.fail(f"the forked child hung for {TIMEOUT_S} s in a parallel kernel")
    out = os.read(r, 4096).decode()
    os.close(r)
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0, (status, out)
    assert out == repr(want)


def test_grandchild_after_child_used_its_own_pool():
    """The child's fresh pool survives a second fork too."""
    _use_pool_in_parent()
    ctx = mp.get_context("fork")
    q = ctx.Queue()

    def child():
        _work()
        inner = ctx.Process(target=_child, args=(q,))
        inner.start()
        inner.join(TIMEOUT_S)
        if inner.is_alive():
            inner.kill()
            q.put("hung")

    p = ctx.Process(target=child)
    p.start()
    try:
        got = q.get(timeout=TIMEOUT_S)
    finally:
        p.join(timeout=TIMEOUT_S)
        if p.is_alive():
            p.kill()
    assert got == _work()
