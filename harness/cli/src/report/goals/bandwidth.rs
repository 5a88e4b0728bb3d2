//! DRAM-sized kernels against the machine's memory bandwidth.

use super::{Goal, goal, ratio};
use crate::report::Results;
use crate::report::goals::defaults::plan_len;
use simdpar::Threads;
use simdpar_bench::timing::paired_ratio;
use simdpar_bench::workloads::Impl;

/// DRAM-sized kernels against the bounding STREAM pattern (group
/// `bandwidth`): on 1 and on all threads, the ISA the library plans for
/// that call at that thread count (what a user's call runs; on Zen 4 the
/// plan keeps memory-bound kernels on the 256-bit path, and the widest
/// ISA forced is a manual choice the defaults' goals judge).
pub(super) fn goals(r: &Results, out: &mut Vec<Goal>) {
    for w in r.workloads() {
        let Some(p) = w.op.pattern() else {
            continue;
        };
        if w.shape.class(w.dtype) != "dram" {
            continue;
        }
        let mut tcounts = vec![1];
        if r.threads > 1 {
            tcounts.push(r.threads);
        }
        for t in tcounts {
            let isa = simdpar::plan(w.op.kernel, w.dtype, plan_len(&w), Threads::AtMost(t)).isa;
            let row = r.find(&w, Impl::Simdpar(isa), t);
            let in_group = r.find(&w, Impl::Stream(p), t);
            let kern = row.map(|x| x.gbs());
            let (measured, detail) = match (row, in_group) {
                (Some(k), Some(s)) => (
                    Some(paired_ratio(&s.stats, &k.stats) * k.bytes() as f64 / s.bytes() as f64),
                    format!(
                        "median of per-round ratios against STREAM {} timed in the same rounds; \
                         medians simdpar:{} {:.1} GB/s, STREAM {:.1} GB/s ({t} thread(s))",
                        p.name(),
                        isa.name(),
                        k.gbs(),
                        s.gbs()
                    ),
                ),
                _ => {
                    let lim = r.stream_gbs(p, t);
                    let detail = match (kern, lim) {
                        (Some(k), Some(l)) => format!(
                            "simdpar:{} {k:.1} GB/s / STREAM {} {l:.1} GB/s (separate runs; {t} thread(s), medians)",
                            isa.name(),
                            p.name()
                        ),
                        _ => "not measured".to_string(),
                    };
                    (ratio(kern, lim), detail)
                }
            };
            out.push(goal(
                format!(
                    "bandwidth/{}/{}/{}/t{t}",
                    w.op.name(),
                    w.dtype.name(),
                    w.shape.label()
                ),
                "bandwidth",
                &w,
                t,
                format!(
                    "{} {} {} >= 90% of STREAM {} bandwidth, {t} thread(s)",
                    w.op.name(),
                    w.dtype.name(),
                    w.shape.label(),
                    p.name()
                ),
                measured,
                0.9,
                detail,
            ));
        }
    }
}
