//! The report's speed goals (simdpar against Mojo, NumPy and memory
//! bandwidth; its defaults against manual choices and peers) and their
//! measured ratios: one file per goal group, each adding its goals in
//! [`evaluate`].

mod bandwidth;
pub mod defaults;
pub mod in_cache;
mod mojo;
mod numpy;
#[cfg(test)]
pub(crate) mod testing;

use super::Results;
use simdpar::Isa;
use simdpar_bench::timing::paired_ratio;
use simdpar_bench::workloads::{Impl, Workload};
use simdpar_mojo::TwinVariant;

/// One goal with its measured ratio.
#[derive(Clone, Debug, serde::Serialize)]
pub struct Goal {
    /// Stable id, e.g. `numpy/row_sums/f32/1Mx128/t1`.
    pub id: String,
    /// `mojo`, `mojo_avx2`, `bandwidth`, `in_cache`, `numpy`, or the
    /// defaults' groups
    /// `defaults_vs_manual`, `defaults_vs_mojo`, `defaults_vs_numpy`,
    /// `defaults_vs_numkong`, `threads`, `dram_scaling`.
    pub group: &'static str,
    /// What is compared.
    pub description: String,
    /// Measured ratio (None: could not be measured; see `detail`).
    pub measured: Option<f64>,
    /// Required ratio (pass when `measured >= target`).
    pub target: f64,
    /// Pass/fail (None when not measured).
    pub pass: Option<bool>,
    /// How the ratio was formed, or why it is missing.
    pub detail: String,
    /// Kernel, dtype, shape and thread count.
    pub kernel: &'static str,
    /// dtype name.
    pub dtype: &'static str,
    /// Shape label.
    pub shape: String,
    /// Threads of the simdpar side (0: automatic, the defaults).
    pub threads: usize,
}

#[allow(clippy::too_many_arguments)]
pub(super) fn goal(
    id: String,
    group: &'static str,
    w: &Workload,
    threads: usize,
    description: String,
    measured: Option<f64>,
    target: f64,
    detail: String,
) -> Goal {
    Goal {
        id,
        group,
        description,
        pass: measured.map(|m| m >= target),
        measured,
        target,
        detail,
        kernel: w.op.name(),
        dtype: w.dtype.name(),
        shape: w.shape.label(),
        threads,
    }
}

pub(super) fn ratio(num: Option<f64>, den: Option<f64>) -> Option<f64> {
    match (num, den) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => Some(a / b),
        _ => None,
    }
}

pub(super) fn median(r: &Results, w: &Workload, imp: Impl, t: usize) -> Option<f64> {
    r.find(w, imp, t).map(|r| r.stats.median)
}

/// `num / den` for two candidates of one interleaved group, paired by round.
pub(super) fn paired(
    r: &Results,
    w: &Workload,
    num: (Impl, usize),
    den: (Impl, usize),
) -> Option<f64> {
    let a = r.find(w, num.0, num.1)?;
    let b = r.find(w, den.0, den.1)?;
    Some(paired_ratio(&a.stats, &b.stats))
}

/// Every goal of the report, measured over the results `r`.
pub fn evaluate(r: &Results) -> Vec<Goal> {
    let mut out = Vec::new();
    mojo::goals(r, &mut out, "mojo", r.best, TwinVariant::Exact);
    if r.best != Isa::Avx2 && r.isas.contains(&Isa::Avx2) {
        // The brief's machine is AVX2-only: simdpar's avx2 path against the
        // x86-64-v3 twin is the comparison it would see.
        mojo::goals(r, &mut out, "mojo_avx2", Isa::Avx2, TwinVariant::Portable);
    }
    bandwidth::goals(r, &mut out);
    in_cache::goals(r, &mut out);
    numpy::goals(r, &mut out);
    defaults::goals(r, &mut out);
    out
}
