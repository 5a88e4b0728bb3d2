import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import base64
    import io
    import math
    import time

    import marimo as mo
    import numpy as np
    from PIL import Image

    import simdpar
    from simdpar.timing import interleaved, median, paired_ratio

    return Image, base64, interleaved, io, math, median, mo, np, paired_ratio, simdpar, time


@app.cell
def _(mo, simdpar):
    def _plan_summary(sp):
        """What `add` on float32 runs in each size class (ISA, threads), from
        simdpar's plans: the tuned profile's or the built-in choices."""
        rows = [p for p in sp.cpu_info()["plans"] if p["kernel"] == "add" and p["dtype"] == "f32"]
        where = {"cache": "in cache", "llc": "in the last-level cache", "dram": "in DRAM"}
        return "add on float32: " + ", ".join(
            f"{p['isa']}{' on %d threads' % p['threads'] if p['threads'] > 1 else ''} {where.get(p['class'], p['class'])}"
            for p in rows)

    mo.md(
        f"""
        # A tour of simdpar

        Every simdpar kernel on numpy arrays, on the instruction set you pick.
        This machine can run **{", ".join(simdpar.available_isas())}**.
        Left alone, simdpar picks the ISA and thread count per kernel and
        input size ({_plan_summary(simdpar)}; `simdpar.cpu_info()["plans"]`
        has the whole table); the selector below forces one ISA for the tour.
        Results are compared bit for bit with NumPy's own arithmetic (the
        sums, whose order differs, to a tolerance). Times are medians of 7
        interleaved rounds (`simdpar.timing`; the ratio is the median of
        per-round ratios), both sides writing into a preallocated result (`out=`), so
        they time the kernels; the last column times simdpar allocating its
        result (no `out=`), which at small sizes costs as much as the kernel
        itself. `leaky_relu` is the standard leaky ReLU, checked bit for bit
        against `np.where(x > 0, x, alpha * x)`; NumPy is timed in an
        allocation-free spelling of it (`np.multiply(x, alpha, out=out)`,
        then `np.maximum(x, out, out=out)`: the same for 0 <= alpha <= 1).
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
def _(math):
    def fmt_ms(ms):
        """A time given in ms, in µs or ms by magnitude, 3 significant digits."""
        value, unit = (ms * 1e3, "µs") if ms < 1 else (ms, "ms")
        digits = max(0, 2 - int(math.floor(math.log10(abs(value))))) if value else 0
        return f"{value:,.{digits}f} {unit}"

    return (fmt_ms,)


@app.cell
def _(dtype_pick, interleaved, isa_pick, median, np, paired_ratio, simdpar, size_pick):
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
    o = np.empty_like(x)
    o_rows = np.empty(m.shape[0], dtype=t)
    o_m = np.empty_like(m)
    def _np_leaky():
        np.multiply(x, t(0.1), out=o)
        return np.maximum(x, o, out=o)

    # (kernel, simdpar into out=, simdpar allocating, NumPy into out= (timed),
    #  NumPy reference checked, check)
    cases = [
        ("sum", lambda: simdpar.sum(x), None, lambda: np.sum(x), None, None),
        ("row_sums", lambda: simdpar.row_sums(m, out=o_rows), lambda: simdpar.row_sums(m),
         lambda: np.sum(m, axis=1, out=o_rows), None, None),
        ("add", lambda: simdpar.add(x, y, out=o), lambda: simdpar.add(x, y),
         lambda: np.add(x, y, out=o), None, "bits"),
        ("multiply", lambda: simdpar.multiply(x, y, out=o), lambda: simdpar.multiply(x, y),
         lambda: np.multiply(x, y, out=o), None, "bits"),
        ("square", lambda: simdpar.square(x, out=o), lambda: simdpar.square(x),
         lambda: np.square(x, out=o), None, "bits"),
        ("scale", lambda: simdpar.scale(x, 1.5, out=o), lambda: simdpar.scale(x, 1.5),
         lambda: np.multiply(x, t(1.5), out=o), lambda: x * t(1.5), "bits"),
        ("leaky_relu", lambda: simdpar.leaky_relu(x, 0.1, out=o), lambda: simdpar.leaky_relu(x, 0.1),
         _np_leaky, lambda: np.where(x > 0, x, t(0.1) * x), "bits"),
        ("add (broadcast row)", lambda: simdpar.add(m, m[0], out=o_m), lambda: simdpar.add(m, m[0]),
         lambda: np.add(m, m[0], out=o_m), None, "bits"),
    ]
    tour_rows = []
    with simdpar.use_isa(isa):
        for name, ours, ours_alloc, theirs, reference, mode in cases:
            # Copies: the out= buffers are reused by the next call.
            got, want = np.copy(ours()), np.copy((reference or theirs)())
            if mode == "bits":
                ok = _same_bits(got, want)
                check = "bitwise equal" if ok else "DIFFERENT"
            else:
                ok = bool(np.allclose(got, want, rtol=1e-4 if t is np.float32 else 1e-10, atol=1e-3))
                check = "close (different summation order)" if ok else "DIFFERENT"
            if ours_alloc is not None and not _same_bits(ours_alloc(), got):
                ok, check = False, "DIFFERENT with and without out="
            # Both (and simdpar allocating) in 7 interleaved rounds; medians.
            _calls = [("ours", ours), ("numpy", theirs)]
            if ours_alloc is not None:
                _calls.append(("alloc", ours_alloc))
            _times, _ = interleaved(_calls, rounds=7)
            t_ours, t_np = median(_times["ours"]), median(_times["numpy"])
            t_alloc = median(_times["alloc"]) if ours_alloc is not None else None
            tour_rows.append({
                "kernel": name, "isa": simdpar.kernel_isa(name.split()[0], t.__name__), "dtype": t.__name__,
                "check": check, "ok": ok, "simdpar_ms": t_ours * 1e3, "numpy_ms": t_np * 1e3,
                "speedup": paired_ratio(_times["numpy"], _times["ours"]),
                "simdpar_alloc_ms": None if t_alloc is None else t_alloc * 1e3,
            })
    return isa, tour_rows


@app.cell
def _(fmt_ms, isa, mo, tour_rows):
    _lines = ["| kernel | ran on | dtype | vs NumPy | simdpar (out=) | NumPy (out=) "
              "| NumPy time / simdpar time | simdpar allocating its result |",
              "|:---|:---|:---|:---|---:|---:|---:|---:|"]
    for _r in tour_rows:
        _mark = "✓" if _r["ok"] else "✗"
        _alloc = "—" if _r["simdpar_alloc_ms"] is None else fmt_ms(_r["simdpar_alloc_ms"])
        _lines.append(
            f"| {_r['kernel']} | {_r['isa']} | {_r['dtype']} | {_mark} {_r['check']} | "
            f"{fmt_ms(_r['simdpar_ms'])} | {fmt_ms(_r['numpy_ms'])} | {_r['speedup']:.2f}x | {_alloc} |"
        )
    mo.vstack([mo.md(f"## Kernels on `{isa}`"), mo.md("\n".join(_lines))])
    return


@app.cell
def _(Image, base64, dtype_pick, fmt_ms, io, isa, mo, np, simdpar, time):
    _w, _h, _iters = 480, 300, 128
    _s = time.perf_counter()
    with simdpar.use_isa(isa):
        counts = simdpar.mandelbrot(_w, _h, max_iter=_iters, dtype=np.dtype(dtype_pick.value).type)
    mandel_ms = (time.perf_counter() - _s) * 1e3
    # Colour by escape speed (points in the set are black), row 0 at the top
    # edge of the picture being the smallest imaginary part, as computed.
    _t = np.sqrt(counts / _iters)
    _rgb = np.stack([255 * np.sqrt(_t), 255 * _t, 255 * (1 - _t) * (_t > 0)], axis=-1).astype(np.uint8)
    _rgb[counts >= _iters] = 0
    _png = io.BytesIO()
    Image.fromarray(_rgb, "RGB").save(_png, format="PNG")
    # A data URL, not a marimo virtual file: a re-run cannot leave the
    # browser asking for a file that was already replaced.
    _url = "data:image/png;base64," + base64.b64encode(_png.getvalue()).decode()
    mo.vstack([
        mo.md(f"## Mandelbrot on `{isa}`: {_w} × {_h} pixels, {_iters} iterations, {fmt_ms(mandel_ms)}"),
        mo.Html(f'<img src="{_url}" width="{_w}" height="{_h}" alt="Mandelbrot set, {_w} x {_h} pixels" '
                f'style="width:{_w}px;height:{_h}px;max-width:none;image-rendering:pixelated">'),
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
