//! 16 lanes against the native width (Mojo forced16, simdpar avx512 vs avx2).

use super::Doc;
use super::fmt::*;
use simdpar::Isa;
use simdpar_bench::workloads::{Dtype, Impl};
use simdpar_mojo::TwinVariant;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    let _ = writeln!(
        s,
        "## 16 lanes vs the native width\n\nMojo: the x86-64-v3 twin with f32 vectors forced to 16 \
         lanes (`-D SIMDPAR_F32_WIDTH=16`) against the same twin at its native 8 lanes. simdpar: \
         the avx512 path (16 f32 lanes) against avx2 (8 lanes), where this CPU has both. \
         Ratio = native time / 16-lane time (> 1: 16 lanes faster). f32, 1 thread.\n"
    );
    let _ = writeln!(
        s,
        "| kernel | size | mojo native (v3) | mojo forced16 | ratio | simdpar avx2 | simdpar avx512 | ratio |\n|---|---|---|---|---|---|---|---|"
    );
    for w in r.workloads().iter().filter(|w| w.dtype == Dtype::F32) {
        let mn = med(r, w, Impl::Mojo(TwinVariant::Portable), 1);
        let m16 = med(r, w, Impl::Mojo(TwinVariant::Forced16), 1);
        let s8 = med(r, w, Impl::Simdpar(Isa::Avx2), 1);
        let s16 = med(r, w, Impl::Simdpar(Isa::Avx512), 1);
        if mn.is_none() && s16.is_none() {
            continue;
        }
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} | {} | {} |",
            w.op.name(),
            w.shape.label(),
            opt_t(mn),
            opt_t(m16),
            x(div(mn, m16)),
            opt_t(s8),
            opt_t(s16),
            x(div(s8, s16))
        );
    }
    s.push('\n');
}
