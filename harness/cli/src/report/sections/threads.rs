//! 1 thread against all threads.

use super::Doc;
use super::fmt::*;
use simdpar_bench::workloads::Impl;
use simdpar_mojo::TwinVariant;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    if r.threads < 2 {
        return;
    }
    let _ = writeln!(
        s,
        "## 1 vs {n} threads\n\nSpeedup = 1-thread time / {n}-thread time, simdpar on the \
         dispatched ISA (`simdpar::par` with `Threads::AtMost(1)` and `AtMost(n)`; the plan keeps inputs below its thread threshold on one thread) and the \
         threaded Mojo twins where they exist.\n",
        n = r.threads
    );
    let _ = writeln!(
        s,
        "| kernel | dtype | size | simdpar 1T | simdpar {n}T | speedup | mojo 1T | mojo {n}T | speedup |\n|---|---|---|---|---|---|---|---|---|",
        n = r.threads
    );
    for w in r.workloads() {
        let a = med(r, &w, Impl::Simdpar(r.best), 1);
        let b = med(r, &w, Impl::Simdpar(r.best), r.threads);
        let (ma, mb) = if w.op.has_mt_twin() {
            (
                med(r, &w, Impl::Mojo(TwinVariant::Exact), 1),
                med(r, &w, Impl::Mojo(TwinVariant::Exact), r.threads),
            )
        } else {
            (None, None)
        };
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            w.op.name(),
            w.dtype.name(),
            w.shape.label(),
            opt_t(a),
            opt_t(b),
            x(div(a, b)),
            opt_t(ma),
            opt_t(mb),
            x(div(ma, mb))
        );
    }
    s.push('\n');
}
