//! `simdpar.tune()`: measure this machine and write its tuned profile, and
//! the per-kernel plans that `cpu_info()` shows.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use std::time::Duration;

/// Measures, in about `budget_s` seconds, the fastest ISA and whether
/// threads pay for every kernel family x dtype x size class, and the
/// non-temporal store threshold, and whether reductions beyond the
/// last-level cache prefetch ahead; writes the profile to the user's cache dir
/// (or SIMDPAR_TUNE_FILE) and uses it in this process from now on. Returns
/// {"path": str | None, "write_error": str | None, "seconds": float,
/// "threads": int, "cells": [{"family", "dtype", "class", "len", "isa"
/// (one thread), "split_isa" (calls split between threads), "threads_from"
/// (None: never), "one_thread": {isa: s}, "all_threads":
/// {isa: s}}], "nt_bytes": {dtype: bytes}, "nt_kernel_bytes": {"scale
/// <dtype>": bytes} (one-input maps, where measured apart), "prefetch":
/// {dtype: bool}, "streams": {dtype: {"chosen": 1 | 2 | 4 | None (the
/// race's pick), "written": 1 | 2 | 4 | None (the profile's `streams`
/// line, after the check), "sizes": [{"class", "len", "isa", "builtin",
/// "seconds": {"1" | "2" | "4": s}, "speedup": {"1" | "2" | "4": x}}]}}
/// (`sum` on one thread with its large subtrees read as 1, 2 or 4
/// interleaved streams),
/// "check": {"seconds", "points": [{"kernel", "in_place", "dtype", "len",
/// "class", "one_thread", "choices": [str], "speedup", "held_out"}], "verdicts":
/// [{"choice": str, "points": int, "worst": float, "kept": bool}]}} where
/// "check" is the profile timed against the built-in defaults on a
/// held-out grid (a choice that lost by more than 3% anywhere was dropped
/// before writing). The GIL is released meanwhile.
#[pyfunction]
#[pyo3(signature = (budget_s = 60.0))]
pub fn tune(py: Python<'_>, budget_s: f64) -> PyResult<Bound<'_, PyDict>> {
    if !(budget_s.is_finite() && budget_s > 0.0 && budget_s <= 3600.0) {
        return Err(PyValueError::new_err(format!(
            "budget_s must be a number of seconds in (0, 3600], got {budget_s}"
        )));
    }
    let budget = Duration::from_secs_f64(budget_s);
    let report = py.detach(|| simdpar_kernels::plan::tune::tune(budget));
    let d = PyDict::new(py);
    d.set_item(
        "path",
        report.path.as_ref().map(|p| p.display().to_string()),
    )?;
    d.set_item("write_error", report.write_error.clone())?;
    d.set_item("seconds", report.seconds)?;
    d.set_item("threads", report.threads)?;
    let cells = PyList::empty(py);
    for c in &report.cells {
        let cd = PyDict::new(py);
        cd.set_item("family", c.family.name())?;
        cd.set_item("kernel", c.kernel.name())?;
        cd.set_item("dtype", c.dtype.name())?;
        cd.set_item("class", c.class.name())?;
        cd.set_item("len", c.len)?;
        cd.set_item("isa", c.tuned.isa.name())?;
        cd.set_item("split_isa", c.tuned.split_isa.name())?;
        cd.set_item("threads_from", c.tuned.threads_from)?;
        for (key, v) in [
            ("one_thread", &c.one_thread),
            ("all_threads", &c.all_threads),
        ] {
            let t = PyDict::new(py);
            for (isa, s) in v {
                t.set_item(isa.name(), s)?;
            }
            cd.set_item(key, t)?;
        }
        cells.append(cd)?;
    }
    d.set_item("cells", cells)?;
    let nt = PyDict::new(py);
    for (dt, b) in &report.profile.nt_bytes {
        nt.set_item(dt.name(), b)?;
    }
    d.set_item("nt_bytes", nt)?;
    let nt_kernel = PyDict::new(py);
    for ((k, dt), b) in &report.profile.nt_kernel {
        nt_kernel.set_item(format!("{k} {dt}"), b)?;
    }
    d.set_item("nt_kernel_bytes", nt_kernel)?;
    let prefetch = PyDict::new(py);
    for (dt, on) in &report.profile.prefetch {
        prefetch.set_item(dt.name(), on)?;
    }
    d.set_item("prefetch", prefetch)?;
    let streams = PyDict::new(py);
    for st in &report.streams {
        let sd = PyDict::new(py);
        sd.set_item("chosen", st.chosen.map(|c| c.count()))?;
        sd.set_item(
            "written",
            report.profile.streams(st.dtype).map(|c| c.count()),
        )?;
        let sizes = PyList::empty(py);
        for z in &st.sizes {
            let zd = PyDict::new(py);
            zd.set_item("class", z.class.name())?;
            zd.set_item("len", z.len)?;
            zd.set_item("isa", z.isa.name())?;
            zd.set_item("builtin", z.builtin.count())?;
            for (key, v) in [("seconds", &z.seconds), ("speedup", &z.speedup)] {
                let t = PyDict::new(py);
                for (n, x) in v {
                    t.set_item(n.name(), x)?;
                }
                zd.set_item(key, t)?;
            }
            sizes.append(zd)?;
        }
        sd.set_item("sizes", sizes)?;
        streams.set_item(st.dtype.name(), sd)?;
    }
    d.set_item("streams", streams)?;
    d.set_item("check", check_dict(py, &report.check)?)?;
    Ok(d)
}

/// The tuner's check as a dict (see [`tune`]).
fn check_dict<'py>(
    py: Python<'py>,
    c: &simdpar_kernels::plan::tune::CheckReport,
) -> PyResult<Bound<'py, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("seconds", c.seconds)?;
    let points = PyList::empty(py);
    for p in &c.points {
        let pd = PyDict::new(py);
        pd.set_item("kernel", p.point.kernel.name())?;
        pd.set_item("in_place", p.point.in_place)?;
        pd.set_item("dtype", p.point.dtype.name())?;
        pd.set_item("len", p.point.len)?;
        pd.set_item("class", p.point.class.name())?;
        pd.set_item(
            "one_thread",
            p.point.threads == simdpar_kernels::Threads::AtMost(1),
        )?;
        let names: Vec<String> = p.choices.iter().map(|c| c.to_string()).collect();
        pd.set_item("choices", names)?;
        pd.set_item("speedup", p.speedup)?;
        pd.set_item("held_out", p.held_out)?;
        points.append(pd)?;
    }
    d.set_item("points", points)?;
    let verdicts = PyList::empty(py);
    for v in &c.verdicts {
        let vd = PyDict::new(py);
        vd.set_item("choice", v.choice.to_string())?;
        vd.set_item("points", v.points)?;
        vd.set_item("worst", v.worst)?;
        vd.set_item("kept", v.kept)?;
        verdicts.append(vd)?;
    }
    d.set_item("verdicts", verdicts)?;
    Ok(d)
}

/// Per kernel x dtype x size class: what runs at a size inside the class
/// ("len"), on which ISA, how many threads, why, and for reductions how
/// they read ("read": "on_demand" or "ahead"; "streams": 1, 2 or 4, the
/// interleaved streams of large subtrees, always 1 for `row_sums`; None
/// for the other kernels).
pub fn plans(py: Python<'_>) -> PyResult<Bound<'_, PyList>> {
    let out = PyList::empty(py);
    for r in simdpar_kernels::plan::plans() {
        let d = PyDict::new(py);
        d.set_item("kernel", r.kernel.name())?;
        d.set_item("dtype", r.dtype.name())?;
        d.set_item("class", r.class.name())?;
        d.set_item("len", r.len)?;
        d.set_item("isa", r.plan.isa.name())?;
        d.set_item("threads", r.plan.threads)?;
        d.set_item("reason", r.plan.reason.to_string())?;
        d.set_item("read", r.fetch.map(|f| f.name()))?;
        d.set_item("streams", r.streams.map(|s| s.count()))?;
        out.append(d)?;
    }
    Ok(out)
}
