//! The speed goals of the report (issue 6) and their measured ratios.

use super::Results;
use super::timing::paired_ratio;
use super::workloads::{Dtype, Impl, Kernel, Shape, Workload};
use simdpar::Isa;
use simdpar::simdpar_mojo::TwinVariant;

/// One goal with its measured ratio.
#[derive(Clone, Debug)]
pub struct Goal {
    /// Stable id, e.g. `numpy/row_sums/f32/1Mx128/t1`.
    pub id: String,
    /// `mojo`, `mojo_avx2`, `bandwidth` or `numpy`.
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
    /// Threads of the simdpar side.
    pub threads: usize,
}

#[allow(clippy::too_many_arguments)]
fn goal(
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
        kernel: w.kernel.name(),
        dtype: w.dtype.name(),
        shape: w.shape.label(),
        threads,
    }
}

fn ratio(num: Option<f64>, den: Option<f64>) -> Option<f64> {
    match (num, den) {
        (Some(a), Some(b)) if a > 0.0 && b > 0.0 => Some(a / b),
        _ => None,
    }
}

fn median(r: &Results, w: &Workload, imp: Impl, t: usize) -> Option<f64> {
    r.find(w, imp, t).map(|r| r.stats.median)
}

/// `num / den` for two candidates of one interleaved group, paired by round.
fn paired(r: &Results, w: &Workload, num: (Impl, usize), den: (Impl, usize)) -> Option<f64> {
    let a = r.find(w, num.0, num.1)?;
    let b = r.find(w, den.0, den.1)?;
    Some(paired_ratio(&a.stats, &b.stats))
}

/// simdpar vs Mojo twin goals for one simdpar ISA and one twin variant.
fn mojo_goals(r: &Results, out: &mut Vec<Goal>, group: &'static str, isa: Isa, twin: TwinVariant) {
    for w in r.workloads() {
        if !w.kernel.has_twin() {
            continue;
        }
        let mut tcounts = vec![1];
        if w.kernel.has_mt_twin() && r.threads > 1 {
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
                    w.kernel.name(),
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
                    w.kernel.name(),
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

fn bandwidth_goals(r: &Results, out: &mut Vec<Goal>) {
    for w in r.workloads() {
        let Some(p) = w.kernel.pattern() else {
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
            let row = r.find(&w, Impl::Simdpar(r.best), t);
            let in_group = r.find(&w, Impl::Stream(p), t);
            let kern = row.map(|x| x.gbs());
            let (measured, detail) = match (row, in_group) {
                (Some(k), Some(s)) => (
                    Some(paired_ratio(&s.stats, &k.stats) * k.bytes() as f64 / s.bytes() as f64),
                    format!(
                        "median of per-round ratios against STREAM {} timed in the same rounds; \
                         medians simdpar:{} {:.1} GB/s, STREAM {:.1} GB/s ({t} thread(s))",
                        p.name(),
                        r.best.name(),
                        k.gbs(),
                        s.gbs()
                    ),
                ),
                _ => {
                    let lim = r.stream_gbs(p, t);
                    let detail = match (kern, lim) {
                        (Some(k), Some(l)) => format!(
                            "simdpar:{} {k:.1} GB/s / STREAM {} {l:.1} GB/s (separate runs; {t} thread(s), medians)",
                            r.best.name(),
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
                    w.kernel.name(),
                    w.dtype.name(),
                    w.shape.label()
                ),
                "bandwidth",
                &w,
                t,
                format!(
                    "{} {} {} >= 90% of STREAM {} bandwidth, {t} thread(s)",
                    w.kernel.name(),
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

fn numpy_goals(r: &Results, out: &mut Vec<Goal>) {
    let m = 1usize << 20;
    let all = r.threads.max(1);
    let spec: Vec<(Kernel, Dtype, Shape, usize, f64)> = vec![
        (
            Kernel::RowSums,
            Dtype::F32,
            Shape::Matrix { rows: m, cols: 128 },
            1,
            2.0,
        ),
        (
            Kernel::RowSums,
            Dtype::F32,
            Shape::Matrix { rows: m, cols: 128 },
            2,
            2.5,
        ),
        (
            Kernel::RowSums,
            Dtype::F32,
            Shape::Matrix {
                rows: 4096,
                cols: 128,
            },
            1,
            5.0,
        ),
        (Kernel::LeakyRelu, Dtype::F32, Shape::Elems(64 * m), 1, 4.0),
        (Kernel::Multiply, Dtype::F32, Shape::Elems(64 * m), 1, 1.4),
        (Kernel::Sum, Dtype::F32, Shape::Elems(64 * m), 1, 1.4),
        (
            Kernel::Mandelbrot,
            Dtype::F64,
            Shape::Image {
                width: 1024,
                height: 1024,
                max_iter: 256,
            },
            1,
            15.0,
        ),
        (
            Kernel::Mandelbrot,
            Dtype::F64,
            Shape::Image {
                width: 1024,
                height: 1024,
                max_iter: 256,
            },
            2,
            30.0,
        ),
    ];
    for (kernel, dtype, shape, want_t, target) in spec {
        let w = Workload {
            kernel,
            dtype,
            shape,
        };
        if !r.opts.only.is_empty() && !r.opts.only.iter().any(|k| k == kernel.name()) {
            continue;
        }
        // "with 2" on the brief's 2-core machine = all threads here.
        let t = if want_t > 1 { all } else { 1 };
        let (k, d, s) = (kernel.name(), dtype.name(), shape.label());
        let np = r.py.median(k, d, &s, "numpy", 1);
        let via_py = r.py.median(k, d, &s, "simdpar-py", t);
        let py_paired = r.py.paired(k, d, &s, t);
        let rust = median(r, &w, Impl::Simdpar(r.best), t);
        let (simd, how) = match (via_py, rust) {
            (Some(p), _) => (Some(p), "simdpar through the Python package"),
            (None, Some(x)) => (
                Some(x),
                "simdpar in the Rust process (the Python package was not available)",
            ),
            _ => (None, ""),
        };
        let detail = match (np, simd) {
            (Some(n), Some(x)) => format!(
                "{}numpy {:.4} ms, {how} {:.4} ms, {t} thread(s)",
                if py_paired.is_some() {
                    "median of per-round ratios; medians "
                } else {
                    "ratio of medians: "
                },
                n * 1e3,
                x * 1e3
            ),
            (None, _) => "NumPy baseline not measured (see the Python notes)".to_string(),
            _ => "simdpar not measured".to_string(),
        };
        out.push(goal(
            format!("numpy/{k}/{d}/{s}/t{t}"),
            "numpy",
            &w,
            t,
            format!("{k} {d} {s}: simdpar >= {target}x NumPy, {t} thread(s)"),
            py_paired.or(ratio(np, simd)),
            target,
            detail,
        ));
    }
}

/// Every goal of the issue, measured.
pub fn evaluate(r: &Results) -> Vec<Goal> {
    let mut out = Vec::new();
    mojo_goals(r, &mut out, "mojo", r.best, TwinVariant::Exact);
    if r.best != Isa::Avx2 && r.isas.contains(&Isa::Avx2) {
        // The brief's machine is AVX2-only: simdpar's avx2 path against the
        // x86-64-v3 twin is the comparison it would see.
        mojo_goals(r, &mut out, "mojo_avx2", Isa::Avx2, TwinVariant::Portable);
    }
    bandwidth_goals(r, &mut out);
    numpy_goals(r, &mut out);
    out
}
