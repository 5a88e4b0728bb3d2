"""The same array in three chunkings: dask.array.sum gives different bits,
simdpar.dask.sum gives one bit pattern, on threads and on a cluster of two
worker processes, equal to simdpar.sum on one core.

Run: ``PYTHONPATH=<simdpar build> python examples/dask_same_bits.py``
(needs ``pip install ./python[dask]``).
"""

import numpy as np
import dask.array as da
import distributed

import simdpar
import simdpar.dask as sd


def main():
    rng = np.random.default_rng(2026)
    n = 1_000_003
    # Mixed magnitudes (both signs over 16 decades): addition order shows.
    x = (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 9, n)).astype(np.float32)
    ragged = (1, 7, 1023, 4096, 333_333, 1025, 511, 360_000)
    chunkings = {
        "100_000 per chunk": 100_000,
        "65_536 per chunk": 65_536,
        "ragged (1, 7, 1023, 4096, ...)": (ragged + (n - sum(ragged),),),
    }
    one_core = float(simdpar.sum(x)).hex()
    print(f"simdpar.sum on one core:            {one_core}")
    print(f"numpy float64 reference (rounded):  {float(np.float32(x.astype(np.float64).sum())).hex()}")
    print()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=40) as cluster, distributed.Client(cluster) as client:
        plain, ours = set(), set()
        for name, chunks in chunkings.items():
            dx = da.from_array(x, chunks=chunks)
            assert dx.size == n
            a = float(da.sum(dx).compute(scheduler="threads")).hex()
            b = float(sd.sum(dx).compute(scheduler="threads")).hex()
            c = float(client.compute(sd.sum(dx)).result()).hex()
            plain.add(a)
            ours.update((b, c))
            print(f"{name:32s} dask.array.sum {a:>16s}   simdpar.dask.sum threads {b}, "
                  f"2-process cluster {c}")
    print()
    print(f"dask.array.sum:   {len(plain)} different bit patterns")
    print(f"simdpar.dask.sum: {len(ours)} bit pattern(s), equal to one core: {ours == {one_core}}")


if __name__ == "__main__":
    main()
