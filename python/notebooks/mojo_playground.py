import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import marimo as mo
    import numpy as np

    import simdpar
    import simdpar.mojo as mj
    from simdpar.timing import interleaved, median

    return interleaved, median, mj, mo, np, simdpar


@app.cell
def _(mj, mo):
    mojo_status = mj.status()
    mojo_ok = mj.available()
    mo.vstack([
        mo.md(
            """
            # Mojo playground

            Edit the Mojo kernel below. It is compiled through simdpar's
            compile cache (the same cache the Rust crate uses: an unchanged
            kernel is a cache hit), called on NumPy arrays without copying,
            and checked bit for bit against its own formula in NumPy. The
            default kernel is a custom activation, `max(0, x) + alpha * x`
            (not a leaky ReLU: 2.2 for x = 2 with alpha = 0.1); it is timed
            beside `simdpar.leaky_relu`, the standard leaky ReLU
            (`x if x > 0 else alpha * x`, checked against
            `np.where(x > 0, x, alpha * x)`), a kernel of the same cost.

            The kernel must export `leaky_relu_f32(x, dst, n)` with the C ABI:
            `x` a `const float32*` input, `dst` a `float32*` output, `n` the
            element count. There is no alpha argument: the slider's value is
            passed at compile time as `-D ALPHA_TENTHS=<tenths>` (read with
            `get_defined_int`), so moving it compiles a new variant (then a
            cache hit when you come back to a value).
            """
        ),
        mo.md(f"**Mojo:** `{mojo_status}`") if mojo_ok else mo.callout(
            mo.md(f"**Mojo is not installed**: {mojo_status}\n\n"
                  "Install it with `pip install mojo==1.2.0`, then re-run. "
                  "The simdpar side of this notebook still works."),
            kind="warn",
        ),
    ])
    return mojo_ok, mojo_status


@app.cell
def _(mo):
    default_kernel = '''from std.sys import get_defined_int
from std.sys.info import simd_width_of

comptime W = simd_width_of[DType.float32]()
comptime ALPHA = Float32(get_defined_int["ALPHA_TENTHS", 1]()) / 10


@export("leaky_relu_f32")
def leaky_relu_f32(
    x: Pointer[Float32, ImmutAnyOrigin],
    dst: Pointer[Float32, MutAnyOrigin],
    n: Int,
) abi("C"):
    var zero = SIMD[DType.float32, W](0)
    var alpha = SIMD[DType.float32, W](ALPHA)
    var i = 0
    while i + W <= n:
        var v = x.unsafe_load[width=W](i)
        dst.unsafe_store(i, v.gt(zero).select(v, zero) + alpha * v)
        i += W
    while i < n:
        var s = x[unsafe_offset=i]
        var pos = s if s > 0 else Float32(0)
        dst[unsafe_offset=i] = pos + ALPHA * s
        i += 1
'''
    editor = mo.ui.code_editor(value=default_kernel, language="python", label="Mojo kernel")
    alpha_pick = mo.ui.slider(start=0, stop=9, step=1, value=1, label="alpha (tenths)", show_value=True)
    size_pick = mo.ui.slider(start=10, stop=22, step=1, value=16, label="elements = 2**", show_value=True)
    mo.vstack([editor, mo.hstack([alpha_pick, size_pick], justify="start")])
    return alpha_pick, editor, size_pick


@app.cell
def _(alpha_pick, editor, interleaved, median, mj, mojo_ok, mo, np, simdpar, size_pick):
    def _fmt_us(us):
        """µs or ms by magnitude, 3 significant digits."""
        v, unit = (us / 1e3, "ms") if us >= 1e3 else (us, "µs")
        return f"{v:.3g} {unit}" if v < 100 else f"{v:,.0f} {unit}"

    def _medians(**calls):
        """Median seconds per call of each, in 7 interleaved rounds."""
        samples, _ = interleaved(list(calls.items()), rounds=7)
        return {name: median(s) for name, s in samples.items()}

    n = 2 ** size_pick.value
    alpha = alpha_pick.value / 10
    x = np.random.default_rng(1).standard_normal(n).astype(np.float32)
    # The default kernel's formula in NumPy, alpha rounded as the kernel
    # rounds it (Float32(tenths) / 10), each operation rounded separately.
    _a32 = np.float32(alpha_pick.value) / np.float32(10)
    reference = np.where(x > 0, x, np.float32(0)) + _a32 * x
    ours = simdpar.leaky_relu(x, alpha)
    simdpar_is_leaky_relu = bool(np.array_equal(
        ours.view(np.uint32), np.where(x > 0, x, np.float32(alpha) * x).view(np.uint32)))
    playground_result = {"mojo": False, "n": n, "alpha": alpha,
                         "simdpar_is_leaky_relu": simdpar_is_leaky_relu}
    if not mojo_ok:
        _t = _medians(simdpar=lambda: simdpar.leaky_relu(x, alpha))
        view = mo.md(f"simdpar.leaky_relu on {n:,} float32: {_fmt_us(_t['simdpar'] * 1e6)} (no Mojo to compare with)")
    else:
        try:
            lib = mj.compile(editor.value, fp_mode="contract=off", ALPHA_TENTHS=alpha_pick.value)
            kernel = lib.declare("leaky_relu_f32", "const float32*", "float32*", "int")
            got = np.empty_like(x)
            kernel(x, got, n)
            same = bool(np.array_equal(got.view(np.uint32), reference.view(np.uint32)))
            out = np.empty_like(x)
            _t = _medians(mojo=lambda: kernel(x, got, n),
                          simdpar=lambda: simdpar.leaky_relu(x, alpha, out=out, threads=1))
            t_mojo, t_simdpar = _t["mojo"], _t["simdpar"]
            playground_result.update(mojo=True, bitwise_equal=same, cache=lib.outcome,
                                     mojo_us=t_mojo * 1e6, simdpar_us=t_simdpar * 1e6,
                                     max_abs_diff=float(np.max(np.abs(got - reference))))
            view = mo.md(
                f"""
                | {n:,} float32, alpha = {alpha} | result |
                |:---|:---|
                | compile | cache **{lib.outcome}** (key `{lib.key}`) |
                | vs its NumPy formula `np.where(x > 0, x, 0) + alpha * x` | {"✓ bitwise equal" if same else f"✗ differs (max abs diff {playground_result['max_abs_diff']:.3g})"} |
                | `simdpar.leaky_relu` vs `np.where(x > 0, x, alpha * x)` | {"✓ bitwise equal" if simdpar_is_leaky_relu else "✗ differs"} |
                | Mojo kernel into `dst` (median of 7 interleaved rounds) | {_fmt_us(t_mojo * 1e6)} |
                | `simdpar.leaky_relu` into `out=`, threads=1 (median of 7 interleaved rounds) | {_fmt_us(t_simdpar * 1e6)} |
                """
            )
        except mj.MojoCompileError as e:
            playground_result.update(compile_error=e.message, line=e.line)
            view = mo.callout(mo.md(f"**Compile error at line {e.line}**: {e.message}\n\n```\n{e.stderr}\n```"), kind="danger")
        except (mj.MojoError, TypeError, AttributeError) as e:
            playground_result.update(error=str(e))
            view = mo.callout(mo.md(f"**{type(e).__name__}**: {e}"), kind="danger")
    view
    return (playground_result,)


if __name__ == "__main__":
    app.run()
