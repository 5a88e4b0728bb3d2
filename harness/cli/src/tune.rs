//! `simdpar tune [--seconds N] [--json]`: measures this machine (the fastest
//! ISA and whether threads pay per kernel family x dtype x size class, the
//! non-temporal store threshold), writes the tuned profile to the user's
//! cache dir (or `SIMDPAR_TUNE_FILE`) and prints what it picked.

use serde_json::json;
use simdpar::tune::{TuneReport, tune};
use std::fmt::Write;
use std::time::Duration;

/// Options of `simdpar tune`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// About how long to measure, in seconds.
    #[arg(long, default_value_t = 60.0)]
    seconds: f64,
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

/// Measures, writes the profile, prints the result.
pub fn run(args: &Args) -> Result<(), String> {
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 3600.0) {
        return Err(format!(
            "--seconds must be in (0, 3600], got {}",
            args.seconds
        ));
    }
    eprintln!("simdpar tune: measuring for about {} s...", args.seconds);
    let report = tune(Duration::from_secs_f64(args.seconds));
    if args.json {
        let text = serde_json::to_string_pretty(&to_json(&report)).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", to_text(&report));
    }
    match (&report.path, &report.write_error) {
        (Some(_), _) => Ok(()),
        (None, e) => Err(format!(
            "could not write the profile: {}",
            e.as_deref().unwrap_or("unknown error")
        )),
    }
}

fn threads_from(v: Option<u64>) -> String {
    v.map_or_else(|| "never".to_string(), |n| n.to_string())
}

fn to_text(r: &TuneReport) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "measured in {:.1} s, all threads = {}",
        r.seconds, r.threads
    );
    let _ = writeln!(
        s,
        "{:<11} {:<5} {:<6} {:>10}  {:<8} {:>14}  {:<9}  medians 1 thread / all threads",
        "family", "dtype", "class", "len", "isa", "threads from", "split isa"
    );
    for c in &r.cells {
        let times: Vec<String> = c
            .one_thread
            .iter()
            .zip(&c.all_threads)
            .map(|((isa, one), (_, all))| format!("{isa} {:.3e}/{:.3e}", one, all))
            .collect();
        let _ = writeln!(
            s,
            "{:<11} {:<5} {:<6} {:>10}  {:<8} {:>14}  {:<9}  {}",
            c.family.name(),
            c.dtype.name(),
            c.class.name(),
            c.len,
            c.tuned.isa.name(),
            threads_from(c.tuned.threads_from),
            c.tuned.split_isa.name(),
            times.join(", ")
        );
    }
    for (dt, b) in &r.profile.nt_bytes {
        let _ = writeln!(s, "non-temporal stores for {dt} from {b} output bytes");
    }
    for (dt, on) in &r.profile.prefetch {
        let how = if *on {
            "prefetch ahead"
        } else {
            "read on demand"
        };
        let _ = writeln!(s, "{dt} reductions beyond the last-level cache: {how}");
    }
    match &r.path {
        Some(p) => {
            let _ = writeln!(s, "profile written to {}", p.display());
        }
        None => {
            let _ = writeln!(s, "profile NOT written");
        }
    }
    s
}

fn to_json(r: &TuneReport) -> serde_json::Value {
    let cells: Vec<_> = r
        .cells
        .iter()
        .map(|c| {
            let map = |v: &[(simdpar::Isa, f64)]| {
                v.iter()
                    .map(|(i, t)| (i.name().to_string(), json!(t)))
                    .collect::<serde_json::Map<_, _>>()
            };
            json!({
                "family": c.family.name(),
                "dtype": c.dtype.name(),
                "class": c.class.name(),
                "len": c.len,
                "isa": c.tuned.isa.name(),
                "split_isa": c.tuned.split_isa.name(),
                "threads_from": c.tuned.threads_from,
                "one_thread_s": map(&c.one_thread),
                "all_threads_s": map(&c.all_threads),
            })
        })
        .collect();
    json!({
        "path": r.path.as_ref().map(|p| p.display().to_string()),
        "write_error": r.write_error,
        "seconds": r.seconds,
        "threads": r.threads,
        "cells": cells,
        "nt_bytes": r.profile.nt_bytes,
        "prefetch": r.profile.prefetch,
    })
}
