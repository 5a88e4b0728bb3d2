import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import time

    import marimo as mo
    import numpy as np

    import simdpar
    from simdpar import _viz as viz

    return mo, np, simdpar, time, viz


@app.cell
def _(mo, simdpar):
    mo.md(
        f"""
        # A tour of simdpar

        Every simdpar kernel on numpy arrays, on the instruction set you pick.
        This machine can run **{", ".join(simdpar.available_isas())}**;
        simdpar picked **{simdpar.active_isa()}** by default.
        Results are compared bit for bit with numpy's own arithmetic.
        """
    )
    return


@app.cell
def _(mo, simdpar):
    isa_pick = mo.ui.dropdown(
        options=simdpar.available_isas(), value=simdpar.active_isa(), label="ISA"
    )
    dtype_pick = mo.ui.dropdown(options=["float32", "float64"], value="float32", label="dtype")
    size_pick = mo.ui.slider(start=10, stop=24, step=1, value=16, label="size = 2**", show_value=True)
    mo.hstack([isa_pick, dtype_pick, size_pick], justify="start")
    return dtype_pick, isa_pick, size_pick


@app.cell
def _(dtype_pick, isa_pick, np, simdpar, size_pick, time):
    def _best_of(f, reps=5):
        ts = []
        for _ in range(reps):
            s = time.perf_counter()
            f()
            ts.append(time.perf_counter() - s)
        return min(ts)

    def _same_bits(a, b):
        a, b = np.asarray(a), np.asarray(b)
        return a.dtype == b.dtype and a.shape == b.shape and bool(np.array_equal(a, b, equal_nan=True))

    isa = isa_pick.value
    t = np.dtype(dtype_pick.value).type
    n = 2 ** size_pick.value
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(t)
    y = rng.standard_normal(n).astype(t)
    m = x.reshape(-1, 256)
    cases = [
        ("sum", lambda: simdpar.sum(x), lambda: np.sum(x), None),
        ("row_sums", lambda: simdpar.row_sums(m), lambda: m.sum(axis=1), None),
        ("add", lambda: simdpar.add(x, y), lambda: np.add(x, y), "bits"),
        ("multiply", lambda: simdpar.multiply(x, y), lambda: np.multiply(x, y), "bits"),
        ("square", lambda: simdpar.square(x), lambda: np.square(x), "bits"),
        ("scale", lambda: simdpar.scale(x, 1.5), lambda: x * t(1.5), "bits"),
        ("leaky_relu", lambda: simdpar.leaky_relu(x, 0.1),
         lambda: np.where(x > 0, x, t(0)) + t(0.1) * x, "bits"),
    ]
    tour_rows = []
    with simdpar.use_isa(isa):
        for name, ours, theirs, mode in cases:
            got, want = ours(), theirs()
            if mode == "bits":
                ok = _same_bits(got, want)
                check = "bitwise equal" if ok else "DIFFERENT"
            else:
                ok = bool(np.allclose(got, want, rtol=1e-4 if t is np.float32 else 1e-10, atol=1e-3))
                check = "close (different summation order)" if ok else "DIFFERENT"
            t_ours, t_np = _best_of(ours), _best_of(theirs)
            tour_rows.append({
                "kernel": name, "isa": simdpar.kernel_isa(name, t.__name__), "dtype": t.__name__,
                "check": check, "ok": ok, "simdpar_ms": t_ours * 1e3, "numpy_ms": t_np * 1e3,
                "speedup": t_np / t_ours,
            })
    return isa, tour_rows


@app.cell
def _(isa, mo, tour_rows):
    _lines = ["| kernel | ran on | dtype | vs numpy | simdpar ms | numpy ms | speedup |",
              "|---|---|---|---|---:|---:|---:|"]
    for _r in tour_rows:
        _mark = "✅" if _r["ok"] else "❌"
        _lines.append(
            f"| {_r['kernel']} | {_r['isa']} | {_r['dtype']} | {_mark} {_r['check']} | "
            f"{_r['simdpar_ms']:.3f} | {_r['numpy_ms']:.3f} | {_r['speedup']:.2f}x |"
        )
    mo.vstack([mo.md(f"## Kernels on `{isa}`"), mo.md("\n".join(_lines))])
    return


@app.cell
def _(dtype_pick, isa, mo, np, simdpar, time, viz):
    _s = time.perf_counter()
    with simdpar.use_isa(isa):
        counts = simdpar.mandelbrot(480, 300, max_iter=128, dtype=np.dtype(dtype_pick.value).type)
    mandel_ms = (time.perf_counter() - _s) * 1e3
    mo.vstack([
        mo.md(f"## Mandelbrot on `{isa}`: 480 x 300, 128 iterations, {mandel_ms:.1f} ms"),
        mo.image(viz.counts_png(counts, 128)),
    ])
    return counts, mandel_ms


@app.cell
def _(mo, simdpar):
    _info = simdpar.cpu_info()
    _widths = ", ".join(f"{k}: {v['float32']}xf32/{v['float64']}xf64" for k, v in _info["simd_widths"].items())
    mo.md(f"**CPU**: {_info['brand']} ({_info['vendor']}), {_info['logical_cpus']} logical CPUs; SIMD lanes {_widths}")
    return


if __name__ == "__main__":
    app.run()
