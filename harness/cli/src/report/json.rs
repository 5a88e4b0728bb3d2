//! `report.json`: the report as serializable data (serde). Field names are
//! the JSON keys; a new field here is a new key.

use super::goals::{Goal, in_cache};
use super::results::Results;
use crate::info::CpuJson;
use serde::Serialize;
use simdpar_bench::stream::StreamResult;
use simdpar_bench::thresholds;
use simdpar_bench::workloads::Row;
use std::collections::BTreeMap;

/// One measured candidate.
#[derive(Serialize)]
pub struct RowJson {
    kernel: &'static str,
    dtype: &'static str,
    shape: String,
    class: &'static str,
    #[serde(rename = "impl")]
    imp: String,
    threads: usize,
    align: &'static str,
    median_s: f64,
    min_s: f64,
    max_s: f64,
    samples: usize,
    inner: usize,
    bytes: usize,
    gb_per_s: f64,
    elems_per_s: f64,
}

impl From<&Row> for RowJson {
    fn from(r: &Row) -> Self {
        let w = &r.workload;
        RowJson {
            kernel: w.op.name(),
            dtype: w.dtype.name(),
            shape: w.shape.label(),
            class: w.shape.class(w.dtype),
            imp: r.spec.imp.label(),
            threads: r.spec.threads,
            align: r.spec.align.name(),
            median_s: r.stats.median,
            min_s: r.stats.min,
            max_s: r.stats.max,
            samples: r.stats.samples,
            inner: r.stats.inner,
            bytes: r.bytes(),
            gb_per_s: r.gbs(),
            elems_per_s: r.elems_per_s(),
        }
    }
}

/// One goal, with the command that measured it.
#[derive(Serialize)]
pub struct GoalJson<'a> {
    #[serde(flatten)]
    goal: &'a Goal,
    command: &'a str,
}

/// Goal counts.
#[derive(Serialize)]
pub struct GoalsSummary {
    passed: usize,
    missed: usize,
    not_measured: usize,
}

/// Load average at the start and the end of the run.
#[derive(Serialize)]
pub struct LoadJson {
    start: Option<f64>,
    end: Option<f64>,
}

/// One STREAM bandwidth.
#[derive(Serialize)]
pub struct StreamJson {
    pattern: &'static str,
    threads: usize,
    elements: usize,
    /// Where the arrays live: `l1`, `l2`, `llc` or `dram`.
    level: &'static str,
    /// Distinct bytes one pass touches.
    footprint_bytes: usize,
    bytes_per_elem: usize,
    median_gb_per_s: f64,
    best_gb_per_s: f64,
    /// The store form of the fastest form, kept (`cached` or `nt`).
    store: &'static str,
    /// The vector width of the fastest form (`avx512`, `avx2`, `portable`).
    width: &'static str,
    /// Whether the fastest form prefetches ahead of its loads (read only).
    prefetch: bool,
    /// Median GB/s of every other form measured (`"avx512 nt"`, ...).
    other_forms_gb_per_s: BTreeMap<String, f64>,
}

impl From<&StreamResult> for StreamJson {
    fn from(x: &StreamResult) -> Self {
        StreamJson {
            pattern: x.pattern.name(),
            threads: x.threads,
            elements: x.n,
            level: x.level.key(),
            footprint_bytes: x.n * x.pattern.footprint_per_elem(),
            bytes_per_elem: x.pattern.bytes_per_elem(),
            median_gb_per_s: x.gbs(),
            best_gb_per_s: x.best_gbs(),
            store: x.form.store.name(),
            width: x.form.width.name(),
            prefetch: x.form.prefetch,
            other_forms_gb_per_s: x
                .others_gbs()
                .into_iter()
                .map(|(f, g)| (f.name(), g))
                .collect(),
        }
    }
}

/// One cached-vs-streaming row.
#[derive(Serialize)]
pub struct NtRowJson {
    kernel: &'static str,
    elements: usize,
    threads: usize,
    cached_s: f64,
    streaming_s: f64,
    nt_speedup: f64,
}

/// The non-temporal store sweep.
#[derive(Serialize)]
pub struct NtJson {
    rows: Vec<NtRowJson>,
    crossover_output_bytes: Option<usize>,
}

/// One serial-vs-split row.
#[derive(Serialize)]
pub struct ParRowJson {
    kernel: &'static str,
    elements: usize,
    threads: usize,
    serial_s: f64,
    parallel_s: f64,
    speedup: f64,
}

/// The parallel-split sweep.
#[derive(Serialize)]
pub struct ParJson {
    rows: Vec<ParRowJson>,
    crossover_elems: Option<usize>,
}

/// One loaded twin.
#[derive(Serialize)]
pub struct TwinJson {
    variant: &'static str,
    f32_lanes: usize,
    f64_lanes: usize,
}

/// The Mojo side.
#[derive(Serialize)]
pub struct MojoJson<'a> {
    version: Option<&'a str>,
    twins: Vec<TwinJson>,
    notes: &'a [String],
}

/// Which machine measured the report, for `simdpar compare`: CPU identity,
/// caches, ISAs and the profile in force.
#[derive(Serialize)]
struct MachineJson {
    /// e.g. `Zen 4 (AMD EPYC)`.
    name: String,
    vendor: String,
    brand: String,
    family: u32,
    model: u32,
    stepping: u32,
    logical_cpus: usize,
    l1d_bytes: Option<u64>,
    l2_bytes: Option<u64>,
    llc_bytes: Option<u64>,
    isas: Vec<&'static str>,
    /// `built-in defaults` or `tuned profile <path>`.
    profile: String,
    /// The tuned profile's text, when one was in force.
    profile_text: Option<String>,
}

impl MachineJson {
    fn this(r: &Results) -> MachineJson {
        let c = simdpar::cpu_info();
        let avx512 = c.features.contains(&"avx512f");
        let arch = crate::compare::microarch(&c.vendor, u64::from(c.family), avx512)
            .map(str::to_string)
            .unwrap_or_else(|| format!("family {:#x} model {:#x}", c.family, c.model));
        let (profile, status) = simdpar::profile::active_profile();
        MachineJson {
            name: format!("{arch} ({})", c.brand),
            vendor: c.vendor.clone(),
            brand: c.brand.clone(),
            family: c.family,
            model: c.model,
            stepping: c.stepping,
            logical_cpus: c.logical_cpus,
            l1d_bytes: c.cache_bytes(1),
            l2_bytes: c.cache_bytes(2),
            llc_bytes: c.cache_bytes(3),
            isas: r.isas.iter().map(|i| i.name()).collect(),
            profile: match &profile {
                Some(_) => status.to_string(),
                None => "built-in defaults".to_string(),
            },
            profile_text: profile.map(|p| p.to_text()),
        }
    }
}

/// The whole `report.json`.
#[derive(Serialize)]
pub struct ReportJson<'a> {
    date: &'a str,
    source: Option<&'a str>,
    command: &'a str,
    mode: &'static str,
    elapsed_s: f64,
    loadavg: LoadJson,
    foreign_cpus_during_rust_benchmarks: Option<f64>,
    machine: MachineJson,
    cpu: CpuJson,
    available_isas: Vec<&'static str>,
    dispatched_isa: &'static str,
    threads: usize,
    nt_threshold_bytes: usize,
    par_min_elems: usize,
    goals: Vec<GoalJson<'a>>,
    goals_summary: GoalsSummary,
    stream: Vec<StreamJson>,
    /// The STREAM patterns at about half of each cache level.
    stream_in_cache: Vec<StreamJson>,
    /// Every in-cache cell's defaults against the pattern of its level.
    in_cache: Vec<in_cache::InCacheCell>,
    rows: Vec<RowJson>,
    alignment: Vec<RowJson>,
    nt_threshold: NtJson,
    par_threshold: ParJson,
    python: Option<&'a serde_json::Value>,
    python_notes: &'a [String],
    claims: &'a [super::claims::Claim],
    claims_notes: &'a [String],
    mojo: MojoJson<'a>,
    parity: Option<&'a simdpar_parity::Report>,
    parity_note: Option<&'a str>,
}

impl<'a> ReportJson<'a> {
    /// The JSON view of one run and its goals.
    pub fn new(r: &'a Results, goals: &'a [Goal]) -> Self {
        let command = r.opts.command.as_str();
        ReportJson {
            date: &r.date,
            source: r.source.as_deref(),
            command,
            mode: if r.opts.full { "full" } else { "quick" },
            elapsed_s: r.elapsed.as_secs_f64(),
            loadavg: LoadJson {
                start: r.load.0,
                end: r.load.1,
            },
            foreign_cpus_during_rust_benchmarks: r.foreign,
            machine: MachineJson::this(r),
            cpu: CpuJson::from(&simdpar::cpu_info()),
            available_isas: r.isas.iter().map(|i| i.name()).collect(),
            dispatched_isa: r.best.name(),
            threads: r.threads,
            nt_threshold_bytes: simdpar::map::nt_threshold_bytes(),
            par_min_elems: simdpar::par::PAR_MIN_ELEMS,
            goals: goals
                .iter()
                .map(|goal| GoalJson { goal, command })
                .collect(),
            goals_summary: GoalsSummary {
                passed: goals.iter().filter(|g| g.pass == Some(true)).count(),
                missed: goals.iter().filter(|g| g.pass == Some(false)).count(),
                not_measured: goals.iter().filter(|g| g.pass.is_none()).count(),
            },
            stream: r.stream.iter().map(StreamJson::from).collect(),
            stream_in_cache: r.stream_in_cache.iter().map(StreamJson::from).collect(),
            in_cache: in_cache::cells(r),
            rows: r.rows.iter().map(RowJson::from).collect(),
            alignment: r.align_rows.iter().map(RowJson::from).collect(),
            nt_threshold: NtJson {
                rows: r
                    .nt
                    .iter()
                    .map(|n| NtRowJson {
                        kernel: n.kernel,
                        elements: n.n,
                        threads: n.threads,
                        cached_s: n.cached.median,
                        streaming_s: n.streaming.median,
                        nt_speedup: n.nt_speedup(),
                    })
                    .collect(),
                crossover_output_bytes: thresholds::nt_crossover(&r.nt).map(|n| n * 4),
            },
            par_threshold: ParJson {
                rows: r
                    .par
                    .iter()
                    .map(|p| ParRowJson {
                        kernel: p.kernel,
                        elements: p.n,
                        threads: p.threads,
                        serial_s: p.serial.median,
                        parallel_s: p.parallel.median,
                        speedup: p.speedup(),
                    })
                    .collect(),
                crossover_elems: thresholds::par_crossover(&r.par),
            },
            python: r.py.raw.as_ref(),
            python_notes: &r.py.notes,
            claims: &r.claims.claims,
            claims_notes: &r.claims.notes,
            mojo: MojoJson {
                version: r.mojo.version.as_deref(),
                twins: r
                    .mojo
                    .twins
                    .loaded
                    .iter()
                    .map(|t| TwinJson {
                        variant: t.variant().name(),
                        f32_lanes: t.simd_width::<f32>(),
                        f64_lanes: t.simd_width::<f64>(),
                    })
                    .collect(),
                notes: &r.mojo.notes,
            },
            parity: r.parity.report.as_ref(),
            parity_note: r.parity.note.as_deref(),
        }
    }
}
