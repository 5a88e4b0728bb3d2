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
        "## Memory bandwidth (STREAM-like)\n\n{} Mi doubles per array ({} MiB), regular stores, \
         bytes counted as read + written (no write-allocate), medians of interleaved rounds.\n",
        n >> 20,
        (n * 8) >> 20
    );
    let _ = writeln!(
        s,
        "| pattern | bytes/elem | bounds | threads | median GB/s | best GB/s |\n|---|---|---|---|---|---|"
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
                "| {} | {} | {bounds} | {} | {:.1} | {:.1} |",
                p.name(),
                p.bytes_per_elem(),
                x.threads,
                x.gbs(),
                x.best_gbs()
            );
        }
    }
    s.push('\n');
}
