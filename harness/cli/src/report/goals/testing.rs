//! Measurements made up for the goals' unit tests: rows with given
//! per-round times and a [`Results`] holding only them.

use crate::report::Options;
use crate::report::claims::Claims;
use crate::report::mojo::MojoState;
use crate::report::python::PyResults;
use crate::report::results::{Parity, Results};
use simdpar::simdpar_kernels::plan::Caches;
use simdpar_bench::data::Align;
use simdpar_bench::timing::Stats;
use simdpar_bench::workloads::{Impl, Row, Spec, TwinSet, Workload};

/// A row of `w` run by `imp` on `threads` threads with these seconds per
/// call, one per round.
pub fn row(w: Workload, imp: Impl, threads: usize, rounds: &[f64]) -> Row {
    let mut s = rounds.to_vec();
    let median = simdpar_bench::timing::median(&mut s);
    Row {
        workload: w,
        spec: Spec {
            imp,
            threads,
            align: Align::Aligned,
        },
        stats: Stats {
            name: imp.label(),
            median,
            min: s[0],
            max: s[s.len() - 1],
            samples: rounds.len(),
            inner: 1,
            rounds: rounds.to_vec(),
        },
    }
}

/// Results of a 2-thread run holding `rows` only, on a CPU with Zen 4's
/// caches (32 KiB L1d, 1 MiB L2, 32 MiB LLC).
pub fn results(rows: Vec<Row>) -> Results {
    Results {
        opts: Options::rust_only(),
        best: simdpar::best_isa(),
        isas: simdpar::available_isas(),
        threads: 2,
        rows,
        align_rows: Vec::new(),
        stream: Vec::new(),
        stream_in_cache: Vec::new(),
        caches: Caches {
            l1d: 32 << 10,
            l2: 1 << 20,
            llc: 32 << 20,
        },
        nt: Vec::new(),
        par: Vec::new(),
        py: PyResults::default(),
        claims: Claims::skipped("test"),
        mojo: MojoState {
            twins: TwinSet::default(),
            version: None,
            notes: Vec::new(),
            cache: None,
        },
        parity: Parity::default(),
        load: (None, None),
        foreign: None,
        elapsed: std::time::Duration::ZERO,
        date: String::new(),
        source: None,
    }
}
