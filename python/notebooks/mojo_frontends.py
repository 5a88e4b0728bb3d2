import marimo

__generated_with = "0.25.2"
app = marimo.App(width="medium")


@app.cell
def _():
    import os

    import marimo as mo

    import simdpar.mojo as mj
    from simdpar.timing import interleaved, median

    return interleaved, median, mj, mo, os


@app.cell
def _(mj, mo):
    mojo_ok = mj.available()
    mo.vstack([
        mo.md(
            """
            # Three ways to run Mojo from Python

            simdpar builds all three through one content-keyed compile cache
            (source, imported local files, compiler version, target CPU and
            features, flags, emit kind), so an unchanged source never
            recompiles, in this notebook or any other process.

            1. **Executor** `simdpar.mojo.run(code)`: builds a program, runs it
               as a subprocess, returns its standard output.
            2. **Decorator** `@simdpar.mojo.function`: the docstring is the
               program, `{{param}}` placeholders are filled from the arguments,
               the output is converted to the return annotation.
            3. **Extension module** `simdpar.mojo.extension(code)`: a CPython
               extension written in Mojo (`PyInit_<name>`, or bindings
               generated for `functions=[...]`), loaded into this process.
            """
        ),
        mo.md(f"**Mojo:** `{mj.status()}`") if mojo_ok else mo.callout(
            mo.md(f"**Mojo is not installed**: {mj.status()}\n\n"
                  "Install it with `pip install mojo==1.2.0`, then re-run."),
            kind="warn",
        ),
    ])
    return (mojo_ok,)


@app.cell
def _(mj, mojo_ok):
    program = """
def main():
    var s = 0
    for i in range(1, 101):
        s += i
    print(s)
"""

    def add_numbers(n: int) -> int:
        """
        def main():
            var s = 0
            for i in range(1, {{n}} + 1):
                s += i
            print(s)
        """

    add_numbers = mj.function(add_numbers)

    binding_source = """
def triangle(n: Int) -> Int:
    var s = 0
    for i in range(1, n + 1):
        s += i
    return s
"""
    ext = mj.extension(binding_source, name="nb_frontends", functions=["triangle"]) if mojo_ok else None
    results = {}
    if mojo_ok:
        results = {
            "executor": int(mj.run(program)),
            "decorator": add_numbers(100),
            "extension": ext.triangle(100),
        }
    return add_numbers, ext, program, results


@app.cell
def _(add_numbers, ext, interleaved, median, mj, mojo_ok, os, program):
    costs = {}
    if mojo_ok:
        # Five interleaved rounds, each sample at least 20 ms of calls
        # (one call of the executor, thousands of the extension's).
        samples, _ = interleaved(
            [
                ("executor (run)", lambda: mj.run(program)),
                ("decorator (@function)", lambda: add_numbers(100)),
                ("extension module", lambda: ext.triangle(100)),
            ],
            rounds=5,
            min_sample=0.02,
        )
        costs = {name: median(s) for name, s in samples.items()}
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return costs, load


@app.cell
def _(costs, load, mo, mojo_ok, results):
    def fmt(s):
        return f"{s * 1e3:.2f} ms" if s >= 1e-3 else f"{s * 1e6:.2f} µs"

    if mojo_ok:
        fastest = min(costs.values())
        table = "\n".join(
            f"| {k} | {fmt(v)} | {v / fastest:,.0f}x |" for k, v in costs.items()
        )
        view = mo.md("\n".join([
            "## Call costs, side by side",
            "",
            f"All three computed 1 + 2 + ... + 100: {results}.",
            "",
            "| front end | cost per call (cached) | relative |",
            "|:---|---:|---:|",
            table,
            "",
            f"Medians of 5 batches; load average {load} (a shared machine: indicative "
            "figures). The subprocess routes pay a process start per call; the extension "
            "is an ordinary C call into this process.",
        ]))
    else:
        view = mo.md("Mojo is not installed, so no call costs were measured.")
    view
    return


if __name__ == "__main__":
    app.run()
