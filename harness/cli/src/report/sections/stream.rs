//! The STREAM-like bandwidth table.

use super::Doc;
use simdpar_bench::stream::Pattern;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    if r.stream.is_empty() {
        return;
    }
    let n = r.stream[0].n;
    let _ = writeln!(
        s,
        "## Memory bandwidth (STREAM-like)\n\n{} Mi doubles per array ({} MiB), {} loads with \
         8 independent accumulators or vectors in flight; every store pattern ran with cached and \
         with non-temporal stores in the same rounds and the faster form is kept (`stores`; the \
         other form's median in the last column). Bytes counted as read + written (no \
         write-allocate), medians of interleaved rounds. A kernel or peer above its pattern is \
         flagged as a measurement to investigate (see \"Above the memory limit\").\n",
        n >> 20,
        (n * 8) >> 20,
        simdpar_bench::stream::level().name()
    );
    let _ = writeln!(
        s,
        "| pattern | bytes/elem | bounds | threads | stores | median GB/s | best GB/s | other stores GB/s |\n|---|---|---|---|---|---|---|---|"
    );
    for p in Pattern::ALL {
        let bounds = match p {
            Pattern::Read => "sum, row_sums",
            Pattern::Copy => "square, scale, leaky_relu",
            Pattern::Triad => "add, multiply",
            Pattern::InplaceScale => "scale_inplace",
        };
        for x in r.stream.iter().filter(|x| x.pattern == p) {
            let _ = writeln!(
                s,
                "| {} | {} | {bounds} | {} | {} | {:.1} | {:.1} | {} |",
                p.name(),
                p.bytes_per_elem(),
                x.threads,
                x.store.name(),
                x.gbs(),
                x.best_gbs(),
                x.other
                    .as_ref()
                    .zip(x.other_gbs())
                    .map(|((st, _), g)| format!("{g:.1} ({})", st.name()))
                    .unwrap_or_else(|| "–".into())
            );
        }
    }
    s.push('\n');
}
