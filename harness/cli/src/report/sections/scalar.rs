//! Every SIMD path against the scalar path.

use super::Doc;
use super::fmt::*;
use simdpar::Isa;
use simdpar_bench::workloads::Impl;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    let simd: Vec<Isa> = r
        .isas
        .iter()
        .copied()
        .filter(|i| *i != Isa::Scalar)
        .collect();
    let _ = writeln!(
        s,
        "## Scalar vs SIMD\n\nSpeedup of each SIMD path over simdpar's scalar path \
         (scalar time / path time), 1 thread.\n"
    );
    let head: Vec<String> = simd.iter().map(|i| i.name().to_string()).collect();
    let _ = writeln!(
        s,
        "| kernel | dtype | size | scalar | {} |\n|---|---|---|---|{}",
        head.join(" | "),
        "---|".repeat(simd.len())
    );
    for w in r.workloads() {
        let sc = med(r, &w, Impl::Simdpar(Isa::Scalar), 1);
        let cols: Vec<String> = simd
            .iter()
            .map(|&i| x(div(sc, med(r, &w, Impl::Simdpar(i), 1))))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} |",
            w.op.name(),
            w.dtype.name(),
            w.shape.label(),
            opt_t(sc),
            cols.join(" | ")
        );
    }
    s.push('\n');
}
