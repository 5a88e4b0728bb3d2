//! The alignment penalty (offset4 and split against aligned).

use super::Doc;
use super::fmt::*;
use simdpar_bench::data::Align;
use simdpar_bench::workloads::{Impl, Workload};
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    if r.align_rows.is_empty() {
        return;
    }
    let _ = writeln!(
        s,
        "## Alignment penalty\n\n`offset4` starts every array 4 bytes (f64: 8 bytes) past a \
         64-byte boundary; `split` starts it 4 bytes (f64: 8) before one, so every 64-byte load \
         and every second 32-byte load crosses a cache line (the most a contiguous stream can \
         split). Ratio = aligned time / this time (< 1 = slower than aligned). 1 thread.\n"
    );
    let _ = writeln!(
        s,
        "| kernel | dtype | size | impl | aligned | offset4 | ratio | split | ratio |\n|---|---|---|---|---|---|---|---|---|"
    );
    let mut seen: Vec<(Workload, Impl)> = Vec::new();
    for row in &r.align_rows {
        let key = (row.workload, row.spec.imp);
        if seen.contains(&key) {
            continue;
        }
        seen.push(key);
        let get = |a: Align| {
            r.align_rows
                .iter()
                .find(|x| x.workload == key.0 && x.spec.imp == key.1 && x.spec.align == a)
                .map(|x| x.stats.median)
        };
        let (a, o, sp) = (get(Align::Aligned), get(Align::Off4), get(Align::Split));
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} |",
            key.0.op.name(),
            key.0.dtype.name(),
            key.0.shape.label(),
            key.1.label(),
            opt_t(a),
            opt_t(o),
            x(div(a, o)),
            opt_t(sp),
            x(div(a, sp))
        );
    }
    s.push('\n');
}
