//! `simdpar report [--full]`: the main job. Benchmarks every kernel on every
//! ISA of this CPU against its Mojo twins, NumPy (through the project's
//! Python package, in the same run) and a STREAM-like bandwidth limit, and
//! writes `report.md`, `report.json` and PNG plots into
//! `target/simdpar-report/`.
//!
//! Every group of candidates is timed round-robin (see [`timing`]), so a
//! burst of load from other processes hits all of them alike; the report
//! records the load average and the CPU time other processes used during
//! the run, because 2-thread results on a shared 2-core machine are only
//! meaningful when it was quiet.

mod charts;
mod data;
mod goals;
mod markdown;
mod plot;
mod progress;
mod python;
mod stream;
mod thresholds;
mod timing;
mod workloads;

use data::Align;
use progress::Progress;
use simdpar::simdpar_mojo::{Cache, TwinVariant, Twins};
use simdpar::{Isa, active_isa, available_isas};
use std::path::PathBuf;
use std::time::{Duration, Instant};
use timing::TimingConfig;
use workloads::{Dtype, Impl, Kernel, Row, Shape, Spec, TwinSet, Workload};

const USAGE: &str = "usage: simdpar report [--full] [--out DIR] [--only KERNEL,...] [--quiet-wait SECS] [--no-python] [--no-mojo] [--no-parity]

  --full            every ISA x threads x alignment x size, more samples
  --only K1,K2      only these kernels (sum, row_sums, add, multiply, square,
                    scale, scale_inplace, leaky_relu, mandelbrot)
  --quiet-wait S    before each group, wait up to S seconds for other
                    processes to go quiet (< 0.25 CPUs)
  --out DIR         output directory (default target/simdpar-report)";

/// Command-line options.
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

fn parse(args: &[String]) -> Result<Options, String> {
    let mut o = Options {
        full: false,
        out: python::repo_root().join("target").join("simdpar-report"),
        only: Vec::new(),
        no_python: false,
        no_mojo: false,
        no_parity: false,
        quiet_wait: 0.0,
        command: std::iter::once("simdpar report".to_string())
            .chain(args.iter().cloned())
            .collect::<Vec<_>>()
            .join(" "),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        match a.as_str() {
            "--full" => o.full = true,
            "--quick" => o.full = false,
            "--no-python" => o.no_python = true,
            "--no-mojo" => o.no_mojo = true,
            "--no-parity" => o.no_parity = true,
            "--out" => o.out = PathBuf::from(it.next().ok_or(USAGE)?),
            "--quiet-wait" => {
                o.quiet_wait = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|v: &f64| *v >= 0.0)
                    .ok_or(USAGE)?
            }
            "--only" => {
                let list = it.next().ok_or(USAGE)?;
                for k in list.split(',').filter(|k| !k.is_empty()) {
                    if !Kernel::ALL.iter().any(|x| x.name() == k) {
                        return Err(format!("unknown kernel {k:?}\n{USAGE}"));
                    }
                    o.only.push(k.to_string());
                }
            }
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(o)
}

/// What the Mojo side could offer.
pub struct MojoState {
    /// Loaded twins.
    pub twins: TwinSet,
    /// `mojo --version`, if found.
    pub version: Option<String>,
    /// Why twins are missing, if they are.
    pub notes: Vec<String>,
}

/// The parity summary.
#[derive(Default)]
pub struct Parity {
    /// The `simdpar parity --json` output, if it ran.
    pub json: Option<serde_json::Value>,
    /// Why it is missing or failed.
    pub note: Option<String>,
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
    /// STREAM results.
    pub stream: Vec<stream::StreamResult>,
    /// NT-vs-cached rows.
    pub nt: Vec<thresholds::NtRow>,
    /// Serial-vs-parallel rows.
    pub par: Vec<thresholds::ParRow>,
    /// Python side.
    pub py: python::PyResults,
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

/// The workloads of the matrix.
fn plan_workloads(opts: &Options) -> Vec<Workload> {
    let mut v = Workload::standard();
    v.retain(|w| opts.only.is_empty() || opts.only.iter().any(|k| k == w.kernel.name()));
    v
}

fn specs_for(w: &Workload, r: &PlanCtx) -> Vec<Spec> {
    let mut v = Vec::new();
    let spec = |imp, threads| Spec {
        imp,
        threads,
        align: Align::Aligned,
    };
    for &isa in &r.isas {
        v.push(spec(Impl::Simdpar(isa), 1));
        let all_t = r.full || isa == r.best || isa == Isa::Avx2;
        if r.threads > 1 && all_t {
            v.push(spec(Impl::Simdpar(isa), r.threads));
        }
    }
    if let Some(p) = w.kernel.pattern()
        && w.shape.class(w.dtype) == "dram"
    {
        v.push(spec(Impl::Stream(p), 1));
        if r.threads > 1 {
            v.push(spec(Impl::Stream(p), r.threads));
        }
    }
    if w.kernel.has_twin() {
        let mut twins = vec![TwinVariant::Exact, TwinVariant::Fast];
        if r.isas.contains(&Isa::Avx2) {
            twins.push(TwinVariant::Portable);
        }
        if w.dtype == Dtype::F32 {
            twins.push(TwinVariant::Forced16);
        }
        for t in twins {
            v.push(spec(Impl::Mojo(t), 1));
        }
        if w.kernel.has_mt_twin() && r.threads > 1 {
            v.push(spec(Impl::Mojo(TwinVariant::Exact), r.threads));
            if r.isas.contains(&Isa::Avx2) && r.best != Isa::Avx2 {
                v.push(spec(Impl::Mojo(TwinVariant::Portable), r.threads));
            }
        }
    }
    v
}

/// The alignment groups: `(workload, specs over the three alignments)`.
fn align_plan(opts: &Options, ctx: &PlanCtx) -> Vec<(Workload, Vec<Spec>)> {
    let m = 1usize << 20;
    let (kernels, sizes, dtypes): (Vec<Kernel>, Vec<usize>, Vec<Dtype>) = if opts.full {
        (
            vec![
                Kernel::Sum,
                Kernel::Add,
                Kernel::Multiply,
                Kernel::Square,
                Kernel::Scale,
                Kernel::ScaleInplace,
                Kernel::LeakyRelu,
            ],
            vec![16 * 1024, m, 64 * m],
            vec![Dtype::F32, Dtype::F64],
        )
    } else {
        (
            vec![Kernel::Sum, Kernel::Multiply, Kernel::ScaleInplace],
            vec![16 * 1024, m],
            vec![Dtype::F32],
        )
    };
    let mut isas = vec![ctx.best];
    if ctx.isas.contains(&Isa::Avx2) && ctx.best != Isa::Avx2 {
        isas.push(Isa::Avx2);
    }
    if opts.full {
        isas = ctx.isas.clone();
    }
    let mut v = Vec::new();
    for dtype in dtypes {
        for &k in &kernels {
            if !opts.only.is_empty() && !opts.only.iter().any(|o| o == k.name()) {
                continue;
            }
            for &n in &sizes {
                if n == 64 * m && dtype == Dtype::F64 {
                    continue;
                }
                let w = Workload {
                    kernel: k,
                    dtype,
                    shape: Shape::Elems(n),
                };
                let mut specs = Vec::new();
                for align in Align::ALL {
                    for &isa in &isas {
                        specs.push(Spec {
                            imp: Impl::Simdpar(isa),
                            threads: 1,
                            align,
                        });
                    }
                    if k.has_twin() {
                        specs.push(Spec {
                            imp: Impl::Mojo(TwinVariant::Exact),
                            threads: 1,
                            align,
                        });
                    }
                }
                v.push((w, specs));
            }
        }
    }
    v
}

struct PlanCtx {
    isas: Vec<Isa>,
    best: Isa,
    threads: usize,
    full: bool,
}

fn load_mojo(opts: &Options, progress: &mut Progress) -> MojoState {
    let mut st = MojoState {
        twins: TwinSet::default(),
        version: None,
        notes: Vec::new(),
    };
    if opts.no_mojo {
        st.notes.push("Mojo twins skipped (--no-mojo)".into());
        return st;
    }
    let cache = match Cache::open() {
        Ok(c) => c,
        Err(e) => {
            st.notes.push(format!(
                "Mojo twins unavailable: {e} (tools/report.sh installs mojo into the project venv)"
            ));
            return st;
        }
    };
    st.version = Some(cache.toolchain().version().to_string());
    for v in TwinVariant::ALL {
        progress.step(&format!(
            "Mojo twin {} (compiled once, then cached)",
            v.name()
        ));
        match Twins::load(&cache, v) {
            Ok(t) => st.twins.loaded.push(t),
            Err(e) => st
                .notes
                .push(format!("Mojo twin {} unavailable: {e}", v.name())),
        }
    }
    st
}

fn run_parity(opts: &Options) -> Parity {
    if opts.no_parity {
        return Parity {
            json: None,
            note: Some("skipped (--no-parity)".into()),
        };
    }
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            return Parity {
                json: None,
                note: Some(format!("cannot find this executable: {e}")),
            };
        }
    };
    let out = std::process::Command::new(exe)
        .args(["parity", "--json", "--no-timing"])
        .stderr(std::process::Stdio::piped())
        .output();
    match out {
        Err(e) => Parity {
            json: None,
            note: Some(format!("`simdpar parity` could not run: {e}")),
        },
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stdout);
            match serde_json::from_str::<serde_json::Value>(text.trim()) {
                Ok(v) => Parity {
                    json: Some(v),
                    note: (!o.status.success()).then(|| {
                        "`simdpar parity` reported failing cells (see the table)".to_string()
                    }),
                },
                Err(_) => Parity {
                    json: None,
                    note: Some(format!(
                        "`simdpar parity --json --no-timing` gave no parity matrix ({}): {}",
                        o.status,
                        String::from_utf8_lossy(&o.stderr)
                            .lines()
                            .last()
                            .unwrap_or("")
                            .trim()
                    )),
                },
            }
        }
    }
}

/// `commit (+ uncommitted changes in ...)` of the checkout this binary was
/// built from, when git can tell.
fn source_state() -> Option<String> {
    let root = python::repo_root();
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(&root)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim_end().to_string())
    };
    let head = git(&["rev-parse", "--short=12", "HEAD"])?
        .trim()
        .to_string();
    let dirty = git(&[
        "status",
        "--porcelain",
        "--",
        "kernels",
        "dispatch",
        "src",
        "mojo_kernels",
    ])
    .unwrap_or_default();
    let mut dirs: Vec<&str> = dirty
        .lines()
        .filter_map(|l| l.get(3..))
        .filter_map(|p| p.split('/').next())
        .collect();
    dirs.sort_unstable();
    dirs.dedup();
    Some(if dirs.is_empty() {
        format!("commit {head}")
    } else {
        format!("commit {head} + uncommitted changes in {}", dirs.join(", "))
    })
}

fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02} UTC",
        rem / 3600,
        (rem % 3600) / 60
    )
}

/// Runs the subcommand.
pub fn run(args: &[String]) -> Result<(), String> {
    let opts = parse(args)?;
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
        full: opts.full,
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
    let work = plan_workloads(&opts);
    let aligns = align_plan(&opts, &ctx);
    let nt_sizes: Vec<usize> = [1usize, 4, 16, 64].iter().map(|m| m << 20).collect();
    let par_sizes: Vec<usize> = if opts.full {
        vec![
            16 << 10,
            64 << 10,
            128 << 10,
            256 << 10,
            512 << 10,
            1 << 20,
            4 << 20,
        ]
    } else {
        vec![64 << 10, 128 << 10, 256 << 10, 512 << 10, 1 << 20]
    };
    let thresholds_on = opts.only.is_empty();
    let total = 2
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

    progress.step("parity (simdpar parity --json --no-timing)");
    let parity = run_parity(&opts);
    let mojo = load_mojo(&opts, &mut progress);
    for n in &mojo.notes {
        progress.note(&format!("note: {n}"));
    }

    let ((stream, rows, align_rows, nt, par), foreign) = timing::foreign_load(|| {
        progress.step("STREAM-like bandwidth (read, copy, triad, in-place scale)");
        let stream_n = if opts.full { 64 << 20 } else { 32 << 20 };
        let stream = stream::measure(stream_n, threads, &cfg);
        let mut rows = Vec::new();
        let quiet = || {
            if opts.quiet_wait > 0.0 {
                timing::wait_quiet(Duration::from_secs_f64(opts.quiet_wait), 0.25);
            }
        };
        for w in &work {
            progress.step(&w.label());
            quiet();
            let specs = specs_for(w, &ctx);
            let wcfg = match w.shape.class(w.dtype) {
                // Cheap groups: many short samples, so that the median
                // (and the paired ratios) come from rounds no other process
                // preempted, even on a busy machine.
                "cache" | "l3" => TimingConfig {
                    reps: 4 * cfg.reps + 3,
                    min_sample: cfg.min_sample / 6,
                },
                "compute" if !opts.full => TimingConfig { reps: 5, ..cfg },
                _ => cfg,
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
            nt = thresholds::nt(&nt_sizes, threads, &cfg, |s| progress.step(s));
            par = thresholds::par_threshold(&par_sizes, threads, &cfg, |s| progress.step(s));
        }
        (stream, rows, align_rows, nt, par)
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
    let load1 = timing::loadavg();
    let res = Results {
        best: ctx.best,
        isas: ctx.isas.clone(),
        threads,
        rows,
        align_rows,
        stream,
        nt,
        par,
        py,
        mojo,
        parity,
        load: (load0, load1),
        foreign,
        elapsed: start.elapsed(),
        date: utc_now(),
        source: source_state(),
        opts,
    };
    let goals = goals::evaluate(&res);
    let pngs = charts::write_all(&res, &res.opts.out)?;
    let md = markdown::render(&res, &goals, &pngs);
    let md_path = res.opts.out.join("report.md");
    std::fs::write(&md_path, md).map_err(|e| format!("{}: {e}", md_path.display()))?;
    let json = markdown::json(&res, &goals);
    let json_path = res.opts.out.join("report.json");
    std::fs::write(
        &json_path,
        serde_json::to_string_pretty(&json).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("{}: {e}", json_path.display()))?;
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

    #[test]
    fn parse_options() {
        let o = parse(&["--full".into(), "--only".into(), "sum,add".into()]).unwrap();
        assert!(o.full);
        assert_eq!(o.only, vec!["sum", "add"]);
        assert!(parse(&["--only".into(), "nope".into()]).is_err());
        assert!(parse(&["--bogus".into()]).is_err());
    }

    #[test]
    fn plan_covers_every_kernel_and_dtype() {
        let o = parse(&[]).unwrap();
        let w = plan_workloads(&o);
        for k in Kernel::ALL {
            for d in [Dtype::F32, Dtype::F64] {
                assert!(
                    w.iter().any(|w| w.kernel == k && w.dtype == d),
                    "{k:?} {d:?}"
                );
            }
        }
        assert_eq!(w.len(), 2 * (7 * 3 + 3 + 1));
    }

    #[test]
    fn date_format() {
        let d = utc_now();
        assert_eq!(d.len(), "2026-01-01 00:00 UTC".len());
    }
}
