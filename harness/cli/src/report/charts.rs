//! The report's PNG plots, built from the measured rows.

use super::bar_chart::{BarChart, render};
use super::results::Results;
use simdpar_bench::stream::Pattern;
use simdpar_bench::workloads::{Dtype, Impl, Op, Workload};
use simdpar_mojo::TwinVariant;
use std::path::Path;

fn gbs(r: &Results, w: &Workload, imp: Impl, t: usize) -> Option<f64> {
    r.find(w, imp, t).map(|x| x.gbs())
}

fn numpy_gbs(r: &Results, w: &Workload) -> Option<f64> {
    r.py.median(w.op.name(), w.dtype.name(), &w.shape.label(), "numpy", 1)
        .map(|s| w.bytes() as f64 / s / 1e9)
}

/// Writes every plot into `dir`; returns the file names.
pub fn write_all(r: &Results, dir: &Path) -> Result<Vec<String>, String> {
    let mut files = Vec::new();
    let workloads = r.workloads();
    for dtype in [Dtype::F32, Dtype::F64] {
        for class in ["cache", "l3", "dram"] {
            let ws: Vec<Workload> = workloads
                .iter()
                .filter(|w| {
                    w.dtype == dtype && w.op != Op::MANDELBROT && w.shape.class(dtype) == class
                })
                .copied()
                .collect();
            if ws.is_empty() {
                continue;
            }
            let mut series: Vec<(String, Vec<Option<f64>>)> = Vec::new();
            for &isa in &r.isas {
                series.push((
                    format!("simdpar {} 1T", isa.name()),
                    ws.iter()
                        .map(|w| gbs(r, w, Impl::Simdpar(isa), 1))
                        .collect(),
                ));
            }
            if r.threads > 1 {
                series.push((
                    format!("simdpar {} {}T", r.best.name(), r.threads),
                    ws.iter()
                        .map(|w| gbs(r, w, Impl::Simdpar(r.best), r.threads))
                        .collect(),
                ));
            }
            series.push((
                "mojo exact 1T".into(),
                ws.iter()
                    .map(|w| gbs(r, w, Impl::Mojo(TwinVariant::Exact), 1))
                    .collect(),
            ));
            series.push(("numpy".into(), ws.iter().map(|w| numpy_gbs(r, w)).collect()));
            series.retain(|s| s.1.iter().any(Option::is_some));
            let mut hlines = Vec::new();
            if class == "dram" {
                for p in Pattern::ALL {
                    if let Some(g) = r.stream_gbs(p, 1) {
                        hlines.push((format!("STREAM {} 1T", p.name()), g));
                    }
                }
            }
            let chart = BarChart {
                title: format!(
                    "simdpar {} GB/s, {} (higher is better)",
                    dtype.name(),
                    match class {
                        "cache" => "L1/L2-sized inputs",
                        "l3" => "L3-sized inputs",
                        _ => "DRAM-sized inputs",
                    }
                ),
                y_label: "GB/s (read+written)".into(),
                categories: ws
                    .iter()
                    .map(|w| format!("{} {}", w.op.name(), w.shape.label()))
                    .collect(),
                series,
                hlines,
                log_y: true,
            };
            let name = format!("gbs-{}-{}.png", dtype.name(), class);
            render(&chart, &dir.join(&name))?;
            files.push(name);
        }
    }
    // Mandelbrot: Mpixel/s per implementation.
    let mandel: Vec<Workload> = workloads
        .iter()
        .filter(|w| w.op == Op::MANDELBROT)
        .copied()
        .collect();
    if !mandel.is_empty() {
        let mut series: Vec<(String, Vec<Option<f64>>)> = Vec::new();
        let mps =
            |w: &Workload, imp: Impl, t: usize| r.find(w, imp, t).map(|x| x.elems_per_s() / 1e6);
        for &isa in &r.isas {
            series.push((
                format!("simdpar {} 1T", isa.name()),
                mandel
                    .iter()
                    .map(|w| mps(w, Impl::Simdpar(isa), 1))
                    .collect(),
            ));
        }
        if r.threads > 1 {
            series.push((
                format!("simdpar {} {}T", r.best.name(), r.threads),
                mandel
                    .iter()
                    .map(|w| mps(w, Impl::Simdpar(r.best), r.threads))
                    .collect(),
            ));
            series.push((
                format!("mojo exact {}T", r.threads),
                mandel
                    .iter()
                    .map(|w| mps(w, Impl::Mojo(TwinVariant::Exact), r.threads))
                    .collect(),
            ));
        }
        series.push((
            "mojo exact 1T".into(),
            mandel
                .iter()
                .map(|w| mps(w, Impl::Mojo(TwinVariant::Exact), 1))
                .collect(),
        ));
        series.push((
            "numpy".into(),
            mandel
                .iter()
                .map(|w| {
                    r.py.median("mandelbrot", w.dtype.name(), &w.shape.label(), "numpy", 1)
                        .map(|s| w.shape.elems() as f64 / s / 1e6)
                })
                .collect(),
        ));
        series.retain(|s| s.1.iter().any(Option::is_some));
        let chart = BarChart {
            title: "mandelbrot 1024x1024, 256 iterations (higher is better)".into(),
            y_label: "Mpixel/s".into(),
            categories: mandel.iter().map(|w| w.dtype.name().to_string()).collect(),
            series,
            hlines: Vec::new(),
            log_y: true,
        };
        render(&chart, &dir.join("mandelbrot.png"))?;
        files.push("mandelbrot.png".into());
    }
    // NT vs cached stores.
    if !r.nt.is_empty() {
        let mut cats: Vec<usize> = r.nt.iter().map(|x| x.n).collect();
        cats.dedup();
        let mut keys: Vec<(&str, usize)> = r.nt.iter().map(|x| (x.kernel, x.threads)).collect();
        keys.sort();
        keys.dedup();
        let series = keys
            .iter()
            .map(|&(k, t)| {
                (
                    format!("{k} {t}T"),
                    cats.iter()
                        .map(|&n| {
                            r.nt.iter()
                                .find(|x| x.n == n && x.kernel == k && x.threads == t)
                                .map(|x| x.nt_speedup())
                        })
                        .collect(),
                )
            })
            .collect();
        let chart = BarChart {
            title: "non-temporal stores: cached time / NT time, f32 (> 1: NT wins)".into(),
            y_label: "speedup of NT".into(),
            categories: cats
                .iter()
                .map(|n| format!("{}M elements", n >> 20))
                .collect(),
            series,
            hlines: vec![("no gain".into(), 1.0)],
            log_y: false,
        };
        render(&chart, &dir.join("nt-threshold.png"))?;
        files.push("nt-threshold.png".into());
    }
    Ok(files)
}
