import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import time

    import marimo as mo
    import numpy as np

    import simdpar
    import simdpar.mojo as mj
    from simdpar import _viz as viz

    return mj, mo, np, simdpar, time, viz


@app.cell
def _(mo):
    mo.md(
        """
        # numpy vs simdpar (per ISA) vs the Mojo twin

        Median wall time of each kernel, single-threaded (`threads=1`) so the
        comparison is about the instruction set, not the thread count.
        The chart is log-scale: lower is faster.
        """
    )
    return


@app.cell
def _(mo):
    size_pick = mo.ui.slider(start=12, stop=24, step=1, value=18, label="elements = 2**", show_value=True)
    reps_pick = mo.ui.slider(start=3, stop=31, step=2, value=7, label="repetitions", show_value=True)
    mo.hstack([size_pick, reps_pick], justify="start")
    return reps_pick, size_pick


@app.cell
def _(mj, mo):
    if mj.available():
        try:
            twins = mj.load_twins("exact")
            mojo_note = mo.md(f"Mojo twin: `{mj.status()}`")
        except mj.MojoError as e:
            twins = None
            mojo_note = mo.callout(mo.md(f"**Mojo twins failed to build**: {e}"), kind="danger")
    else:
        twins = None
        mojo_note = mo.callout(
            mo.md(f"**Mojo is not installed**, so the Mojo column is skipped.\n\n{mj.status()}\n\n"
                  "Install it with `pip install mojo==1.2.0` and re-run this notebook."),
            kind="warn",
        )
    mojo_note
    return (twins,)


@app.cell
def _(np, reps_pick, simdpar, size_pick, time, twins):
    def _median_time(f, reps):
        f()
        ts = []
        for _ in range(reps):
            s = time.perf_counter()
            f()
            ts.append(time.perf_counter() - s)
        ts.sort()
        return ts[len(ts) // 2]

    n = 2 ** size_pick.value
    reps = reps_pick.value
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    out = np.empty_like(x)
    m = x.reshape(-1, 512)
    mw, mh = 256, max(16, n // (256 * 64))
    kernels = {
        "sum": (lambda: np.sum(x), lambda: simdpar.sum(x, threads=1),
                (lambda: twins.sum(x)) if twins else None),
        "row_sums": (lambda: m.sum(axis=1), lambda: simdpar.row_sums(m, threads=1),
                     (lambda: twins.row_sums(m, threads=1)) if twins else None),
        "add": (lambda: np.add(x, y, out=out), lambda: simdpar.add(x, y, out=out, threads=1),
                (lambda: twins.add(x, y, out=out)) if twins else None),
        "multiply": (lambda: np.multiply(x, y, out=out), lambda: simdpar.multiply(x, y, out=out, threads=1),
                     (lambda: twins.multiply(x, y, out=out, threads=1)) if twins else None),
        "leaky_relu": (lambda: np.add(np.where(x > 0, x, np.float32(0)), np.float32(0.1) * x, out=out),
                       lambda: simdpar.leaky_relu(x, 0.1, out=out, threads=1),
                       (lambda: twins.leaky_relu(x, 0.1, out=out)) if twins else None),
        "mandelbrot": (None, lambda: simdpar.mandelbrot(mw, mh, max_iter=64, dtype=np.float32, threads=1),
                       (lambda: twins.mandelbrot(mw, mh, max_iter=64, dtype=np.float32, threads=1)) if twins else None),
    }
    bench = {"numpy": {}, "mojo twin": {}}
    for isa in simdpar.available_isas():
        bench[f"simdpar {isa}"] = {}
    for name, (np_f, sp_f, mojo_f) in kernels.items():
        bench["numpy"][name] = _median_time(np_f, reps) if np_f else float("nan")
        for isa in simdpar.available_isas():
            with simdpar.use_isa(isa):
                bench[f"simdpar {isa}"][name] = _median_time(sp_f, reps)
        bench["mojo twin"][name] = _median_time(mojo_f, reps) if mojo_f else float("nan")
    if twins is None:
        del bench["mojo twin"]
    bench_rows = [
        {"kernel": k, **{series: bench[series][k] * 1e6 for series in bench}} for k in kernels
    ]
    return bench, bench_rows, kernels, n


@app.cell
def _(bench, kernels, mo, n, viz):
    chart_svg = viz.bar_chart_svg(
        list(kernels),
        {series: [bench[series][k] * 1e6 for k in kernels] for series in bench},
        title=f"float32, {n:,} elements, threads=1 (median)",
        unit="microseconds",
    )
    mo.Html(chart_svg)
    return (chart_svg,)


@app.cell
def _(bench, bench_rows, mo):
    _series = list(bench)
    _lines = ["| kernel | " + " | ".join(_series) + " |", "|---|" + "---:|" * len(_series)]
    for _r in bench_rows:
        _cells = ["—" if _r[s] != _r[s] else f"{_r[s]:.1f} µs" for s in _series]
        _lines.append(f"| {_r['kernel']} | " + " | ".join(_cells) + " |")
    mo.md("\n".join(_lines))
    return


if __name__ == "__main__":
    app.run()
