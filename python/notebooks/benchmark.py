import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import math

    import altair as alt
    import marimo as mo
    import numpy as np

    import simdpar
    import simdpar.mojo as mj
    from simdpar.timing import interleaved, median

    return alt, interleaved, math, median, mj, mo, np, simdpar


@app.cell
def _(mo):
    mo.md(
        """
        # NumPy vs simdpar (per ISA) vs the Mojo twin

        Median wall time of each kernel on float32 data, single-threaded
        (`threads=1`), so the comparison is about the instruction set, not the
        thread count. Lower is faster; the time axis is logarithmic.

        The NumPy baselines are the best plain NumPy spelling of each kernel,
        writing into preallocated buffers (`out=`) so that no call allocates:
        `leaky_relu` (the standard leaky ReLU, `np.where(x > 0, x, alpha * x)`)
        is `np.multiply(x, alpha, out=out)`, `np.maximum(x, out, out=out)`
        (the same for 0 <= alpha <= 1; two passes over memory where simdpar
        makes one). NumPy has no Mandelbrot kernel, so that row has no
        NumPy bar.
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
def _(math):
    def fmt_time(us):
        """A time given in µs, in µs or ms by magnitude, 3 significant digits."""
        if us != us:
            return "—"
        value, unit = (us / 1e3, "ms") if us >= 1e3 else (us, "µs")
        digits = max(0, 2 - int(math.floor(math.log10(abs(value))))) if value else 0
        return f"{value:,.{digits}f} {unit}"

    return (fmt_time,)


@app.cell
def _(interleaved, median, np, reps_pick, simdpar, size_pick, twins):
    n = 2 ** size_pick.value
    reps = reps_pick.value
    rng = np.random.default_rng(0)
    x = rng.standard_normal(n).astype(np.float32)
    y = rng.standard_normal(n).astype(np.float32)
    out = np.empty_like(x)
    alpha = np.float32(0.1)
    m = x.reshape(-1, 512)
    # The Mandelbrot grid: 256 pixels wide, n / 64 pixels in all (at least
    # one row; 64 iterations each), so its work grows with the slider like
    # the other kernels'. The title and the row label give its real size.
    mw, mh = 256, max(1, n // (64 * 256))

    def _np_leaky():
        np.multiply(x, alpha, out=out)
        np.maximum(x, out, out=out)

    mandel_name = f"mandelbrot {mw}×{mh}"
    kernels = {
        "sum": (lambda: np.sum(x), lambda: simdpar.sum(x, threads=1),
                (lambda: twins.sum(x)) if twins else None),
        f"row_sums {m.shape[0]}×512": (lambda: m.sum(axis=1), lambda: simdpar.row_sums(m, threads=1),
                                        (lambda: twins.row_sums(m, threads=1)) if twins else None),
        "add": (lambda: np.add(x, y, out=out), lambda: simdpar.add(x, y, out=out, threads=1),
                (lambda: twins.add(x, y, out=out)) if twins else None),
        "multiply": (lambda: np.multiply(x, y, out=out), lambda: simdpar.multiply(x, y, out=out, threads=1),
                     (lambda: twins.multiply(x, y, out=out, threads=1)) if twins else None),
        "leaky_relu": (_np_leaky, lambda: simdpar.leaky_relu(x, 0.1, out=out, threads=1),
                       (lambda: twins.leaky_relu(x, 0.1, out=out)) if twins else None),
        mandel_name: (None, lambda: simdpar.mandelbrot(mw, mh, max_iter=64, dtype=np.float32, threads=1),
                      (lambda: twins.mandelbrot(mw, mh, max_iter=64, dtype=np.float32, threads=1)) if twins else None),
    }
    bench = {"numpy": {}, "mojo twin": {}}
    for isa in simdpar.available_isas():
        bench[f"simdpar {isa}"] = {}
    for name, (np_f, sp_f, mojo_f) in kernels.items():
        # Every contender of a kernel in the same interleaved rounds, each
        # simdpar ISA under its use_isa scope (entered outside the timing).
        calls = [(f"simdpar {isa}", sp_f, lambda isa=isa: simdpar.use_isa(isa))
                 for isa in simdpar.available_isas()]
        calls += [(series, f) for series, f in (("numpy", np_f), ("mojo twin", mojo_f)) if f]
        samples, _ = interleaved(calls, rounds=reps)
        for series in bench:
            bench[series][name] = median(samples[series]) if series in samples else float("nan")
    if twins is None:
        del bench["mojo twin"]
    # One row per kernel: the plain kernel name, its label and µs per series.
    bench_rows = [
        {"kernel": k.split()[0], "label": k, **{series: bench[series][k] * 1e6 for series in bench}}
        for k in kernels
    ]
    title = (f"float32, {n:,} elements (Mandelbrot: {mw}×{mh} = {mw * mh:,} pixels, 64 iterations), "
             f"threads=1, median of {reps} interleaved rounds")
    return bench, bench_rows, kernels, n, title


@app.cell
def _(alt, bench, bench_rows, fmt_time, math, mo, title):
    _points = [
        {"kernel": r["label"], "series": s, "us": r[s], "time": fmt_time(r[s])}
        for r in bench_rows for s in bench if r[s] == r[s]
    ]
    # One unit for the whole axis, chosen by the largest time shown.
    _ms = max(p["us"] for p in _points) >= 1e4
    _unit, _div = ("ms", 1e3) if _ms else ("µs", 1.0)
    for _p in _points:
        _p["value"] = _p["us"] / _div
    _lo = min(p["value"] for p in _points)
    _hi = max(p["value"] for p in _points)
    _domain = [10 ** math.floor(math.log10(_lo)), 10 ** math.ceil(math.log10(_hi))]
    _chart = (
        alt.Chart(alt.Data(values=_points), title=alt.Title(title, fontSize=15, anchor="start"))
        .mark_bar()
        .encode(
            y=alt.Y("kernel:N", sort=[r["label"] for r in bench_rows], title=None,
                    axis=alt.Axis(labelFontSize=14, labelLimit=260)),
            yOffset=alt.YOffset("series:N", sort=list(bench)),
            # Bars on a log axis start at the axis' left end (a decade below
            # the fastest time), never at zero.
            x=alt.X("value:Q", stack=None, scale=alt.Scale(type="log", domain=_domain),
                    title=f"median time per call ({_unit}, log scale; lower is faster)",
                    axis=alt.Axis(labelFontSize=13, titleFontSize=14, grid=True)),
            color=alt.Color("series:N", sort=list(bench), title="implementation",
                            legend=alt.Legend(orient="bottom", labelFontSize=13, titleFontSize=13, columns=3)),
            tooltip=[alt.Tooltip("kernel:N"), alt.Tooltip("series:N", title="implementation"),
                     alt.Tooltip("time:N", title="median time")],
        )
        .properties(width=620, height=alt.Step(12))
    )
    chart = mo.ui.altair_chart(_chart)
    chart_spec = _chart.to_dict()
    chart
    return chart, chart_spec


@app.cell
def _(bench, bench_rows, fmt_time, mo):
    _series = list(bench)
    _lines = ["| kernel | " + " | ".join(_series) + " |", "|:---|" + "---:|" * len(_series)]
    for _r in bench_rows:
        _lines.append(f"| {_r['label']} | " + " | ".join(fmt_time(_r[s]) for s in _series) + " |")
    bench_table = "\n".join(_lines)
    mo.md(bench_table)
    return (bench_table,)


if __name__ == "__main__":
    app.run()
