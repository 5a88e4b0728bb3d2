//! `simdpar tune [--seconds N] [--json] [--check]`: measures this machine
//! (the fastest ISA and whether threads pay per kernel group x dtype x size
//! class, the non-temporal store threshold, the read policy, `sum`'s
//! stream count), checks the
//! profile against the built-in defaults on a held-out grid (dropping what
//! loses), writes it to the user's cache dir (or `SIMDPAR_TUNE_FILE`) and
//! prints what it picked and the check. `--check` only re-checks the
//! profile in force (and rewrites it without what lost).

use serde_json::json;
use simdpar::tune::{CheckReport, StreamsResult, TuneReport, tune};
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
    /// Re-check the existing profile against the built-in defaults on the
    /// held-out grid instead of measuring a new one; a choice that loses is
    /// dropped from the file.
    #[arg(long)]
    check: bool,
}

/// `--check`: the profile in force, checked; rewritten without what lost.
fn run_check(args: &Args) -> Result<(), String> {
    let (profile, status) = simdpar::profile::active_profile();
    let Some(profile) = profile else {
        return Err(format!("no profile to check ({status})"));
    };
    let points = simdpar::tune::held_out_grid().len().max(1) as u32;
    let allowance = Duration::from_secs_f64(args.seconds) / points;
    eprintln!(
        "simdpar tune --check: {status}; checking for at most about {} s...",
        args.seconds
    );
    let check = simdpar::tune::check(&profile, allowance);
    let mut note = None;
    if check.dropped().next().is_some() {
        note = Some(match simdpar::profile::write_profile(&check.kept) {
            Ok(p) => format!(
                "profile rewritten without the dropped choices: {}",
                p.display()
            ),
            Err(e) => format!("could not rewrite the profile: {e}"),
        });
    }
    if args.json {
        let mut v = check_json(&check);
        v["note"] = json!(note);
        let text = serde_json::to_string_pretty(&v).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", check_text(&check));
        if let Some(n) = note {
            println!("{n}");
        }
    }
    Ok(())
}

/// Measures, writes the profile, prints the result.
pub fn run(args: &Args) -> Result<(), String> {
    if !(args.seconds.is_finite() && args.seconds > 0.0 && args.seconds <= 3600.0) {
        return Err(format!(
            "--seconds must be in (0, 3600], got {}",
            args.seconds
        ));
    }
    if args.check {
        return run_check(args);
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
        "kernel", "dtype", "class", "len", "isa", "threads from", "split isa"
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
            c.kernel.name(),
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
        let _ = writeln!(
            s,
            "non-temporal stores for {dt} from {b} output bytes (where the call outgrows the LLC)"
        );
    }
    for ((k, dt), b) in &r.profile.nt_kernel {
        let _ = writeln!(
            s,
            "non-temporal stores for {dt} maps like `{k}` from {b} output bytes"
        );
    }
    for (dt, on) in &r.profile.prefetch {
        let how = if *on {
            "prefetch ahead"
        } else {
            "read on demand"
        };
        let _ = writeln!(s, "{dt} reductions beyond the last-level cache: {how}");
    }
    for st in &r.streams {
        s += &streams_text(st, r.profile.streams.get(&st.dtype).copied());
    }
    s += &check_text(&r.check);
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

/// The race of `sum`'s stream counts for one dtype: per size, each count's
/// median and speedup over the built-in, then what the profile says
/// (`kept`: the count that survived the check, if any).
fn streams_text(st: &StreamsResult, kept: Option<simdpar::reduce::Streams>) -> String {
    let mut s = String::new();
    for z in &st.sizes {
        let counts: Vec<String> = z
            .seconds
            .iter()
            .zip(&z.speedup)
            .map(|((n, t), (_, up))| format!("{n}: {t:.3e} s {up:.3}x"))
            .collect();
        let _ = writeln!(
            s,
            "sum {} {} {} on 1 thread, {} (built-in {} streams): {}",
            st.dtype,
            z.class,
            z.len,
            z.isa,
            z.builtin,
            counts.join(", ")
        );
    }
    let verdict = match (st.chosen, kept) {
        (None, _) if st.sizes.is_empty() => {
            "not raced (no size holds a subtree that streams)".into()
        }
        (None, _) => "none beat the built-in by the margin: no `streams` line".to_string(),
        (Some(c), Some(k)) if c == k => format!("`streams {} {c}` written", st.dtype),
        (Some(c), _) => format!("{c} chosen, dropped by the check"),
    };
    let _ = writeln!(s, "sum {} streams: {verdict}", st.dtype);
    s
}

/// The race of `sum`'s stream counts as JSON, keyed by dtype.
fn streams_json(r: &TuneReport) -> serde_json::Value {
    let mut m = serde_json::Map::new();
    for st in &r.streams {
        let count_map = |v: &[(simdpar::reduce::Streams, f64)]| {
            v.iter()
                .map(|(n, t)| (n.name().to_string(), json!(t)))
                .collect::<serde_json::Map<_, _>>()
        };
        let sizes: Vec<_> = st
            .sizes
            .iter()
            .map(|z| {
                json!({
                    "class": z.class.name(),
                    "len": z.len,
                    "isa": z.isa.name(),
                    "builtin": z.builtin.count(),
                    "seconds": count_map(&z.seconds),
                    "speedup": count_map(&z.speedup),
                })
            })
            .collect();
        m.insert(
            st.dtype.name().to_string(),
            json!({
                "chosen": st.chosen.map(|c| c.count()),
                "written": r.profile.streams.get(&st.dtype).map(|c| c.count()),
                "sizes": sizes,
            }),
        );
    }
    serde_json::Value::Object(m)
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
                "kernel": c.kernel.name(),
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
        "nt_bytes": by_dtype(&r.profile.nt_bytes),
        "nt_kernel_bytes": r
            .profile
            .nt_kernel
            .iter()
            .map(|((k, d), b)| (format!("{k} {d}"), *b))
            .collect::<std::collections::BTreeMap<_, _>>(),
        "prefetch": by_dtype(&r.profile.prefetch),
        "streams": streams_json(r),
        "check": check_json(&r.check),
    })
}

/// A per-dtype map of the profile keyed by dtype name, for JSON.
fn by_dtype<V: Copy>(
    m: &std::collections::BTreeMap<simdpar::Dtype, V>,
) -> std::collections::BTreeMap<&'static str, V> {
    m.iter().map(|(d, v)| (d.name(), *v)).collect()
}

/// The check as text: every call whose plan the profile changes, then a
/// verdict per choice.
pub(crate) fn check_text(c: &CheckReport) -> String {
    let mut s = String::new();
    let measured: Vec<_> = c.points.iter().filter(|p| !p.choices.is_empty()).collect();
    let _ = writeln!(
        s,
        "check against the built-in defaults, held-out grid: {} calls, {} changed by the profile ({:.1} s)",
        c.points.len(),
        measured.len(),
        c.seconds
    );
    if !measured.is_empty() {
        let _ = writeln!(
            s,
            "  {:<34} {:>9} {:>9}  choices",
            "call", "speedup", "held-out"
        );
    }
    for p in measured {
        let names: Vec<String> = p.choices.iter().map(|c| c.to_string()).collect();
        let _ = writeln!(
            s,
            "  {:<34} {:>8.3}x {:>8.3}x  {}",
            p.point.to_string(),
            p.speedup,
            p.held_out,
            names.join(", ")
        );
    }
    for v in &c.verdicts {
        let what = if v.kept { "kept   " } else { "DROPPED" };
        if v.points == 0 {
            // Same plan as the defaults on every held-out call.
            let _ = writeln!(
                s,
                "  {what} {:<28} changes no held-out call",
                v.choice.to_string()
            );
            continue;
        }
        let _ = writeln!(
            s,
            "  {what} {:<28} worst {:.3}x over {} call(s)",
            v.choice.to_string(),
            v.worst,
            v.points
        );
    }
    s
}

/// The check as JSON.
pub(crate) fn check_json(c: &CheckReport) -> serde_json::Value {
    let points: Vec<_> = c
        .points
        .iter()
        .map(|p| {
            json!({
                "kernel": p.point.kernel.name(),
                "in_place": p.point.in_place,
                "dtype": p.point.dtype.name(),
                "len": p.point.len,
                "class": p.point.class.name(),
                "one_thread": p.point.threads == simdpar::Threads::AtMost(1),
                "choices": p.choices.iter().map(|c| c.to_string()).collect::<Vec<_>>(),
                "speedup": p.speedup,
                "held_out": p.held_out,
            })
        })
        .collect();
    let verdicts: Vec<_> = c
        .verdicts
        .iter()
        .map(|v| {
            json!({
                "choice": v.choice.to_string(),
                "points": v.points,
                "worst": v.worst,
                "kept": v.kept,
            })
        })
        .collect();
    json!({ "seconds": c.seconds, "points": points, "verdicts": verdicts })
}
