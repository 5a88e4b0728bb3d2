//! Number formatting and lookups shared by the sections.

use super::super::goals::Goal;
use super::super::results::Results;
use simdpar::Isa;
use simdpar_bench::workloads::{Impl, Workload};
use simdpar_mojo::TwinVariant;
use std::fmt::Write;

/// Seconds as µs / ms / s with two decimals; `–` when not finite.
pub(super) fn t(s: f64) -> String {
    if !s.is_finite() {
        "–".into()
    } else if s < 1e-3 {
        format!("{:.2} µs", s * 1e6)
    } else if s < 1.0 {
        format!("{:.2} ms", s * 1e3)
    } else {
        format!("{s:.2} s")
    }
}

/// A ratio as `1.23×`; `–` when missing.
pub(super) fn x(r: Option<f64>) -> String {
    r.map(|r| format!("{r:.2}×")).unwrap_or_else(|| "–".into())
}

/// [`t`] of a value that may be missing.
pub(super) fn opt_t(s: Option<f64>) -> String {
    s.map(t).unwrap_or_else(|| "–".into())
}

/// `a / b` when both are known and `b > 0`.
pub(super) fn div(a: Option<f64>, b: Option<f64>) -> Option<f64> {
    match (a, b) {
        (Some(a), Some(b)) if b > 0.0 => Some(a / b),
        _ => None,
    }
}

/// The median seconds of a measured row, if any.
pub(super) fn med(r: &Results, w: &Workload, imp: Impl, th: usize) -> Option<f64> {
    r.find(w, imp, th).map(|x| x.stats.median)
}

/// The twin whose target matches a simdpar ISA: the x86-64-v3 twin for
/// avx2, the host-CPU twin for the dispatched ISA.
pub(super) fn twin_for(r: &Results, isa: Isa) -> Option<TwinVariant> {
    if isa == Isa::Avx2 && r.best != Isa::Avx2 {
        Some(TwinVariant::Portable)
    } else if isa == r.best {
        Some(TwinVariant::Exact)
    } else {
        None
    }
}

/// The goals as a Markdown table.
pub(super) fn goals_table(s: &mut String, goals: &[Goal], cmd: &str) {
    let _ = writeln!(
        s,
        "| goal | measured | target | result | how |\n|---|---|---|---|---|"
    );
    for g in goals {
        let res = match g.pass {
            Some(true) => "pass",
            Some(false) => "**MISS**",
            None => "not measured",
        };
        let _ = writeln!(
            s,
            "| {} | {} | ≥ {} | {} | {} |",
            g.description,
            x(g.measured),
            g.target,
            res,
            g.detail
        );
    }
    let _ = writeln!(s, "\nMeasured by: `{cmd}`.\n");
}
