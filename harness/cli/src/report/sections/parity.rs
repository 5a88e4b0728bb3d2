//! The parity matrix summary (failing cells; every cell with `--full`).

use super::Doc;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    let _ = writeln!(s, "## Parity (simdpar vs Mojo twins)\n");
    if let Some(n) = &r.parity.note {
        let _ = writeln!(s, "> {n}\n");
    }
    let Some(v) = &r.parity.report else {
        return;
    };
    let ok = v.cells.iter().filter(|c| c.ok).count();
    let _ = writeln!(
        s,
        "{ok} of {} cells agree (the parity matrix, run in-process without its timing rows; \
         bitwise for elementwise kernels and Mandelbrot, within the summation-order error bound \
         for sums). Mojo: {}.\n",
        v.cells.len(),
        v.mojo_version
    );
    let _ = writeln!(
        s,
        "| kernel | dtype | isa | twin | cases | mismatches | ok |\n|---|---|---|---|---|---|---|"
    );
    for c in v.cells.iter().filter(|c| !c.ok || r.opts.full) {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} |",
            c.kernel,
            c.dtype,
            c.isa,
            c.twin,
            c.cases,
            c.mismatches,
            if c.ok { "ok" } else { "**FAIL**" }
        );
    }
    if !r.opts.full {
        let _ = writeln!(
            s,
            "| (cells that agree are listed with `--full`) | | | | | | |"
        );
    }
    s.push('\n');
}
