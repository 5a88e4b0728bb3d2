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
        "## Memory bandwidth (STREAM-like)\n\n{} Mi doubles per array ({} MiB), the kernels' \
         bandwidth probes (`simdpar_kernels::bandwidth`): 8 vectors in flight per loop step \
         (16 accumulators for the read), over 1, 2 or 4 parts walked at once (`x1`, `x2`, \
         `x4`) of each run of at most 32 MiB (`READ_STREAMS_UP_TO_BYTES`: streams further \
         apart read slower on some machines, as `sum`'s and `row_sums`'s would); on several \
         threads the arrays are cut and run exactly as simdpar's parallel kernels cut and run \
         theirs (about 16 pieces per thread claimed on simdpar's own pool, \
         `bandwidth::on_threads`), so a kernel and its pattern pay the same thread costs. Every pattern ran in every form this CPU has \
         (vector width {} x streams; read with and without prefetch, store patterns with \
         cached and with non-temporal stores) in the same interleaved rounds, and the fastest \
         form is kept (`form`; the others' medians in the last column). Bytes counted as read \
         + written (no write-allocate), medians. A kernel or peer above its pattern is flagged \
         as a measurement to investigate (see \"Above the memory limit\"). Inside each \
         workload's group the pattern runs over the kernel's own buffers (the same bytes at \
         the same addresses), in the form fastest on them. The same patterns at cache sizes: \
         \"Memory bandwidth in cache\".\n",
        n >> 20,
        (n * 8) >> 20,
        simdpar_bench::stream::levels()
            .iter()
            .map(|l| l.name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "| pattern | bytes/elem | bounds | threads | form | median GB/s | best GB/s | other forms GB/s |\n|---|---|---|---|---|---|---|---|"
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
                x.form.name(),
                x.gbs(),
                x.best_gbs(),
                if x.others.is_empty() {
                    "–".to_string()
                } else {
                    x.others_gbs()
                        .iter()
                        .map(|(f, g)| format!("{} {g:.1}", f.name()))
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            );
        }
    }
    s.push('\n');
}
