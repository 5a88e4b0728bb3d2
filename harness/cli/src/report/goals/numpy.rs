//! simdpar against NumPy, timed in the same run by the Python helper.

use super::{Goal, goal, median, ratio};
use crate::report::Results;
use simdpar_bench::workloads::{Dtype, Impl, Op, Shape, Workload};

/// simdpar against NumPy (group `numpy`).
pub(super) fn goals(r: &Results, out: &mut Vec<Goal>) {
    let m = 1usize << 20;
    let all = r.threads.max(1);
    let spec: Vec<(Op, Dtype, Shape, usize, f64)> = vec![
        (
            Op::ROW_SUMS,
            Dtype::F32,
            Shape::Matrix { rows: m, cols: 128 },
            1,
            2.0,
        ),
        (
            Op::ROW_SUMS,
            Dtype::F32,
            Shape::Matrix { rows: m, cols: 128 },
            2,
            2.5,
        ),
        (
            Op::ROW_SUMS,
            Dtype::F32,
            Shape::Matrix {
                rows: 4096,
                cols: 128,
            },
            1,
            5.0,
        ),
        (Op::LEAKY_RELU, Dtype::F32, Shape::Elems(64 * m), 1, 4.0),
        (Op::MULTIPLY, Dtype::F32, Shape::Elems(64 * m), 1, 1.4),
        (Op::SUM, Dtype::F32, Shape::Elems(64 * m), 1, 1.4),
        (
            Op::MANDELBROT,
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
            Op::MANDELBROT,
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
    for (op, dtype, shape, want_t, target) in spec {
        let w = Workload { op, dtype, shape };
        if !r.opts.only.is_empty() && !r.opts.only.iter().any(|k| k == op.name()) {
            continue;
        }
        // "with 2" on the brief's 2-core machine = all threads here.
        let t = if want_t > 1 { all } else { 1 };
        let (k, d, s) = (op.name(), dtype.name(), shape.label());
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
