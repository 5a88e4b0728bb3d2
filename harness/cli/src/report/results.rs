//! Everything one report run measured.

use super::Options;
use super::claims::Claims;
use super::mojo::MojoState;
use super::python;
use simdpar::Isa;
use simdpar::simdpar_kernels::plan::Caches;
use simdpar_bench::data::Align;
use simdpar_bench::stream;
use simdpar_bench::thresholds;
use simdpar_bench::workloads::{Impl, Row, Workload};
use std::time::Duration;

/// The parity summary.
#[derive(Default)]
pub struct Parity {
    /// The parity matrix (no timing rows), if it ran.
    pub report: Option<simdpar_parity::Report>,
    /// Why it is missing or failed.
    pub note: Option<String>,
}

impl Parity {
    /// No matrix, for the reason `why`.
    pub fn skipped(why: &str) -> Self {
        Parity {
            report: None,
            note: Some(why.to_string()),
        }
    }
}

/// Everything measured in one run.
pub struct Results {
    /// Options.
    pub opts: Options,
    /// The ISA simdpar dispatches to.
    pub best: Isa,
    /// Every ISA this CPU runs.
    pub isas: Vec<Isa>,
    /// Threads of "all threads".
    pub threads: usize,
    /// Main matrix rows.
    pub rows: Vec<Row>,
    /// Alignment rows.
    pub align_rows: Vec<Row>,
    /// STREAM results on DRAM-sized arrays.
    pub stream: Vec<stream::StreamResult>,
    /// STREAM results at each cache level (L1, L2, last-level).
    pub stream_in_cache: Vec<stream::StreamResult>,
    /// The caches the in-cache cells' levels are taken against (this
    /// CPU's; a test's fake).
    pub caches: Caches,
    /// NT-vs-cached rows.
    pub nt: Vec<thresholds::NtRow>,
    /// Serial-vs-parallel rows.
    pub par: Vec<thresholds::ParRow>,
    /// Python side.
    pub py: python::PyResults,
    /// Popular Mojo claims, measured by benches/python/claims.py.
    pub claims: Claims,
    /// Mojo side.
    pub mojo: MojoState,
    /// Parity.
    pub parity: Parity,
    /// Load average at start and end.
    pub load: (Option<f64>, Option<f64>),
    /// CPUs used by other processes while the Rust benchmarks ran.
    pub foreign: Option<f64>,
    /// Wall time of the run.
    pub elapsed: Duration,
    /// Date (UTC, from the system clock).
    pub date: String,
    /// The source measured: commit and uncommitted changes (from git, if
    /// the report runs in a checkout).
    pub source: Option<String>,
}

impl Results {
    /// The row for a workload and spec, if measured.
    pub fn find(&self, w: &Workload, imp: Impl, threads: usize) -> Option<&Row> {
        self.rows.iter().find(|r| {
            r.workload == *w
                && r.spec.imp == imp
                && r.spec.threads == threads
                && r.spec.align == Align::Aligned
        })
    }

    /// STREAM median GB/s of `pattern` with `threads` threads.
    pub fn stream_gbs(&self, pattern: stream::Pattern, threads: usize) -> Option<f64> {
        self.stream
            .iter()
            .find(|s| s.pattern == pattern && s.threads == threads)
            .map(|s| s.gbs())
    }

    /// The fastest in-cache STREAM result of `pattern` at `level` on at most
    /// `threads` threads (a contender allowed `threads` may run on fewer).
    pub fn stream_in_cache(
        &self,
        pattern: stream::Pattern,
        level: stream::Level,
        threads: usize,
    ) -> Option<&stream::StreamResult> {
        self.stream_in_cache
            .iter()
            .filter(|s| s.pattern == pattern && s.level == level && s.threads <= threads)
            .max_by(|a, b| a.gbs().total_cmp(&b.gbs()))
    }

    /// The workloads measured, in plan order, without duplicates.
    pub fn workloads(&self) -> Vec<Workload> {
        let mut v: Vec<Workload> = Vec::new();
        for r in &self.rows {
            if !v.contains(&r.workload) {
                v.push(r.workload);
            }
        }
        v
    }
}
