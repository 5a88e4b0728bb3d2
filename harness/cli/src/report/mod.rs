//! `simdpar report`: the main job. Benchmarks every kernel on every ISA of
//! this CPU against its Mojo twins, NumPy (through the project's Python
//! package, in the same run) and a STREAM-like bandwidth limit, and writes
//! `report.md`, `report.json` and PNG charts into `target/simdpar-report/`.
//!
//! Every group of candidates is timed round-robin
//! ([`simdpar_bench::timing`]), so a burst of load from other processes
//! hits all of them alike; the report records the load average and the CPU
//! time other processes used during the run, because 2-thread results on a
//! shared 2-core machine are only meaningful when it was quiet.
//!
//! Where things plug in: a Markdown section is one file in [`sections`]
//! (listed in `sections::render`), a goal group one file in [`goals`]
//! (listed in `goals::evaluate`), a chart one function in [`charts`], a
//! field of `report.json` one field in [`json`]; a new peer to time is one
//! more `Impl` variant in `simdpar_bench::workloads` plus its goals file.

pub(crate) mod bar_chart;
mod chart_text;
mod charts;
mod claims;
mod goals;
mod json;
mod mojo;
mod plan;
mod progress;
mod python;
mod results;
mod sections;
mod source;

use plan::PlanCtx;
use progress::Progress;
use results::{Parity, Results};
use simdpar::{active_isa, available_isas};
use simdpar_bench::timing::{self, TimingConfig};
use simdpar_bench::workloads;
use simdpar_mojo::TwinVariant;
use std::path::PathBuf;
use std::time::{Duration, Instant};

/// Options of `simdpar report`.
#[derive(Clone, Debug, clap::Args)]
pub struct Args {
    /// Every ISA x threads x alignment x size, more samples.
    #[arg(long, overrides_with = "quick")]
    pub full: bool,
    /// The quick matrix (the default).
    #[arg(long, overrides_with = "full")]
    pub quick: bool,
    /// Output directory [default: target/simdpar-report].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Only these kernels, comma-separated (sum, row_sums, add, multiply,
    /// square, scale, scale_inplace, leaky_relu, mandelbrot).
    #[arg(long, value_name = "K1,K2", value_delimiter = ',', value_parser = parse_kernel)]
    pub only: Vec<String>,
    /// Before each group, wait up to SECS seconds for other processes to go
    /// quiet (< 0.25 CPUs).
    #[arg(long, value_name = "SECS", default_value_t = 0.0, value_parser = parse_wait)]
    pub quiet_wait: f64,
    /// Skip the Python/NumPy part.
    #[arg(long)]
    pub no_python: bool,
    /// Skip the Mojo twins.
    #[arg(long)]
    pub no_mojo: bool,
    /// Skip the parity summary.
    #[arg(long)]
    pub no_parity: bool,
}

fn parse_kernel(k: &str) -> Result<String, String> {
    if workloads::Op::ALL.iter().any(|op| op.name() == k) {
        Ok(k.to_string())
    } else {
        let names: Vec<&str> = workloads::Op::ALL.iter().map(|op| op.name()).collect();
        Err(format!(
            "unknown kernel {k:?} (known: {})",
            names.join(", ")
        ))
    }
}

fn parse_wait(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if v >= 0.0 && v.is_finite() => Ok(v),
        _ => Err(format!("{s:?} is not a number of seconds >= 0")),
    }
}

/// The options of one run, resolved.
#[derive(Clone, Debug)]
pub struct Options {
    /// The whole matrix (every ISA x threads x alignment x size), more samples.
    pub full: bool,
    /// Output directory.
    pub out: PathBuf,
    /// Only these kernels (empty: all).
    pub only: Vec<String>,
    /// Skip the Python/NumPy part.
    pub no_python: bool,
    /// Skip the Mojo twins.
    pub no_mojo: bool,
    /// Skip the parity summary.
    pub no_parity: bool,
    /// Seconds to wait for a quiet machine before each group.
    pub quiet_wait: f64,
    /// The command line, for the report.
    pub command: String,
}

impl Options {
    /// The quick matrix with nothing outside Rust (no Python, Mojo or
    /// parity) and no output directory: for unit tests of the report's
    /// pieces.
    #[cfg(test)]
    pub(crate) fn rust_only() -> Self {
        Options {
            full: false,
            out: "unused".into(),
            only: Vec::new(),
            no_python: true,
            no_mojo: true,
            no_parity: true,
            quiet_wait: 0.0,
            command: String::new(),
        }
    }

    fn from_args(a: Args) -> Self {
        Options {
            full: a.full,
            out: a
                .out
                .unwrap_or_else(|| python::repo_root().join("target").join("simdpar-report")),
            only: a.only,
            no_python: a.no_python,
            no_mojo: a.no_mojo,
            no_parity: a.no_parity,
            quiet_wait: a.quiet_wait,
            command: std::iter::once("simdpar report".to_string())
                .chain(std::env::args().skip(2))
                .collect::<Vec<_>>()
                .join(" "),
        }
    }
}

fn run_parity(opts: &Options, mojo: &mojo::MojoState) -> Parity {
    if opts.no_parity {
        return Parity::skipped("skipped (--no-parity)");
    }
    let Some(cache) = &mojo.cache else {
        return Parity::skipped("the Mojo toolchain is missing (see the Mojo notes)");
    };
    match simdpar_parity::compute_matrix(cache, false) {
        Ok(report) => Parity {
            note: (!report.all_ok())
                .then(|| "the parity matrix has failing cells (see the table)".to_string()),
            report: Some(report),
        },
        Err(e) => Parity::skipped(&format!("the parity matrix could not run: {e}")),
    }
}

/// Runs the subcommand.
pub fn run(args: Args) -> Result<(), String> {
    let opts = Options::from_args(args);
    let start = Instant::now();
    std::fs::create_dir_all(&opts.out)
        .map_err(|e| format!("cannot create {}: {e}", opts.out.display()))?;
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1);
    let ctx = PlanCtx {
        isas: available_isas(),
        best: active_isa(),
        threads,
    };
    let cfg = if opts.full {
        TimingConfig {
            reps: 15,
            min_sample: Duration::from_millis(10),
        }
    } else {
        TimingConfig {
            reps: 7,
            min_sample: Duration::from_millis(3),
        }
    };
    let work = plan::workloads(&opts);
    let aligns = plan::alignment(&opts, &ctx);
    let nt_sizes = plan::nt_sizes();
    let par_sizes = plan::par_sizes(opts.full);
    let thresholds_on = opts.only.is_empty();
    let total = 2
        + simdpar_bench::stream::Level::IN_CACHE.len()
        + TwinVariant::ALL.len()
        + work.len()
        + aligns.len()
        + if thresholds_on {
            nt_sizes.len() + par_sizes.len()
        } else {
            0
        }
        + 2;
    let mut progress = Progress::new(total);
    let load0 = timing::loadavg();

    let mojo = mojo::load(&opts, &mut progress);
    progress.step("parity (in-process, no timing rows)");
    let parity = run_parity(&opts, &mojo);
    for n in &mojo.notes {
        progress.note(&format!("note: {n}"));
    }

    let ((stream, stream_in_cache, rows, align_rows, nt, par), foreign) =
        timing::foreign_load(|| {
            progress.step("STREAM-like bandwidth (read, copy, triad, in-place scale)");
            let stream_n = if opts.full { 64 << 20 } else { 32 << 20 };
            let stream = simdpar_bench::stream::measure(stream_n, threads, &cfg);
            // The same patterns at about half of each cache: few rounds of
            // short samples, the engine's calibration sizing calls per sample
            // (a pass lasts microseconds). The kernels' groups time the pattern
            // again over their own bytes, in the form found fastest here.
            let cache_cfg = TimingConfig {
                reps: if opts.full { cfg.reps } else { 5 },
                min_sample: cfg.min_sample / 3,
            };
            let stream_in_cache =
                simdpar_bench::stream::measure_in_cache(threads, &cache_cfg, |l| {
                    progress.step(&format!(
                        "STREAM-like bandwidth in {} (every pattern and form)",
                        l.name()
                    ))
                });
            let mut rows = Vec::new();
            let quiet = || {
                if opts.quiet_wait > 0.0 {
                    timing::wait_quiet(Duration::from_secs_f64(opts.quiet_wait), 0.25);
                }
            };
            for w in &work {
                progress.step(&w.label());
                quiet();
                let specs = plan::specs_for(w, &ctx);
                let wcfg = match w.shape.class(w.dtype) {
                    // Cheap groups: many short samples, so that the median
                    // (and the paired ratios) come from rounds no other process
                    // preempted, even on a busy machine. 121 rounds in quick
                    // mode (a group takes 1-2 s): with 61, ratios of two
                    // equally fast choices (the defaults and the same ISA and
                    // threads forced, or simdpar and its twin at 16K) had a
                    // run-to-run spread of 2-3% on this VM, enough to cross a
                    // goal's line now and then.
                    "cache" | "l3" => TimingConfig {
                        reps: 16 * cfg.reps + 9,
                        min_sample: cfg.min_sample / 6,
                    },
                    "compute" if !opts.full => TimingConfig { reps: 5, ..cfg },
                    // DRAM: 31 rounds. With 15, a median over the 7 odd rounds
                    // moved by 10% on this VM (sum f32 64M: best manual 0.99x
                    // the defaults over all rounds, 0.88x over the odd ones);
                    // with 25, equally fast choices still spread by 2-3%.
                    _ => TimingConfig {
                        reps: cfg.reps.max(31),
                        ..cfg
                    },
                };
                rows.extend(workloads::measure(w, &specs, &mojo.twins, &wcfg));
            }
            let mut align_rows = Vec::new();
            for (w, specs) in &aligns {
                progress.step(&format!("alignment {}", w.label()));
                quiet();
                align_rows.extend(workloads::measure(w, specs, &mojo.twins, &cfg));
            }
            let (mut nt, mut par) = (Vec::new(), Vec::new());
            if thresholds_on {
                use simdpar_bench::thresholds;
                nt = thresholds::nt(&nt_sizes, threads, &cfg, |s| progress.step(s));
                par = thresholds::par_threshold(&par_sizes, threads, &cfg, |s| progress.step(s));
            }
            (stream, stream_in_cache, rows, align_rows, nt, par)
        });

    progress.step("NumPy and simdpar through Python (benches/python/np_bench.py)");
    progress.finish();
    let py = if opts.no_python {
        python::PyResults {
            notes: vec!["Python part skipped (--no-python)".into()],
            ..Default::default()
        }
    } else {
        let only: Vec<&str> = opts.only.iter().map(String::as_str).collect();
        python::run(&opts.out, opts.full, threads, &only)
    };
    // Popular Mojo claims (benches/python/claims.py), after the Rust timings.
    let claims = if opts.no_python {
        claims::Claims::skipped("claims skipped (--no-python)")
    } else {
        claims::run(&opts.out)
    };
    let load1 = timing::loadavg();
    let res = Results {
        best: ctx.best,
        isas: ctx.isas.clone(),
        threads,
        rows,
        align_rows,
        stream,
        stream_in_cache,
        caches: simdpar::simdpar_kernels::plan::Caches::this_cpu(),
        nt,
        par,
        py,
        claims,
        mojo,
        parity,
        load: (load0, load1),
        foreign,
        elapsed: start.elapsed(),
        date: source::utc_now(),
        source: source::source_state(),
        opts,
    };
    let goals = goals::evaluate(&res);
    let pngs = charts::write_all(&res, &res.opts.out)?;
    let md = sections::render(&res, &goals, &pngs);
    let md_path = res.opts.out.join("report.md");
    std::fs::write(&md_path, md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    let json_text = serde_json::to_string_pretty(&json::ReportJson::new(&res, &goals))
        .map_err(|e| e.to_string())?;
    let json_path = res.opts.out.join("report.json");
    std::fs::write(&json_path, json_text).map_err(|e| format!("{}: {e}", json_path.display()))?;
    let passed = goals.iter().filter(|g| g.pass == Some(true)).count();
    let failed = goals.iter().filter(|g| g.pass == Some(false)).count();
    println!(
        "simdpar report: {} goals passed, {} missed, {} not measured ({:.0} s)",
        passed,
        failed,
        goals.len() - passed - failed,
        res.elapsed.as_secs_f64()
    );
    println!("report: {}", md_path.display());
    println!("json:   {}", json_path.display());
    for p in &pngs {
        println!("plot:   {}", res.opts.out.join(p).display());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Wrap {
        #[command(flatten)]
        args: Args,
    }

    fn parse(v: &[&str]) -> Result<Args, clap::Error> {
        Wrap::try_parse_from(std::iter::once("report").chain(v.iter().copied())).map(|w| w.args)
    }

    #[test]
    fn parse_options() {
        let a = parse(&["--full", "--only", "sum,add"]).unwrap();
        assert!(a.full);
        assert_eq!(a.only, vec!["sum", "add"]);
        let a = parse(&["--full", "--quick"]).unwrap();
        assert!(!a.full);
        assert!(parse(&["--only", "nope"]).is_err());
        assert!(parse(&["--only", "scale_inplace"]).is_ok());
        assert!(parse(&["--quiet-wait", "-1"]).is_err());
        assert!(parse(&["--bogus"]).is_err());
    }
}
