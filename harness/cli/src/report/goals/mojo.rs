//! simdpar against its Mojo twins (groups `mojo` and `mojo_avx2`).

use super::{Goal, goal, median, paired};
use crate::report::Results;
use simdpar::Isa;
use simdpar_bench::workloads::Impl;
use simdpar_mojo::TwinVariant;

/// simdpar vs Mojo twin goals for one simdpar ISA and one twin variant.
pub(super) fn goals(
    r: &Results,
    out: &mut Vec<Goal>,
    group: &'static str,
    isa: Isa,
    twin: TwinVariant,
) {
    for w in r.workloads() {
        if !w.op.has_twin() {
            continue;
        }
        let mut tcounts = vec![1];
        if w.op.has_mt_twin() && r.threads > 1 {
            tcounts.push(r.threads);
        }
        for t in tcounts {
            let s = median(r, &w, Impl::Simdpar(isa), t);
            let m = median(r, &w, Impl::Mojo(twin), t);
            let detail = match (s, m) {
                (Some(s), Some(m)) => format!(
                    "median of per-round ratios; medians mojo:{} {:.4} ms, simdpar:{} {:.4} ms",
                    twin.name(),
                    m * 1e3,
                    isa.name(),
                    s * 1e3
                ),
                (_, None) => format!(
                    "mojo:{} twin not measured (see the Mojo notes)",
                    twin.name()
                ),
                (None, _) => format!("simdpar:{} with {t} threads not measured", isa.name()),
            };
            out.push(goal(
                format!(
                    "{group}/{}/{}/{}/t{t}",
                    w.op.name(),
                    w.dtype.name(),
                    w.shape.label()
                ),
                group,
                &w,
                t,
                format!(
                    "simdpar ({}) >= Mojo twin ({}), {} {} {}, {t} thread(s)",
                    isa.name(),
                    twin.name(),
                    w.op.name(),
                    w.dtype.name(),
                    w.shape.label()
                ),
                paired(r, &w, (Impl::Mojo(twin), t), (Impl::Simdpar(isa), t)),
                1.0,
                detail,
            ));
        }
    }
}
