//! `simdpar info [--json]`: the CPU, the available ISAs, the ISA every
//! kernel runs, and per kernel x dtype x size class the plan of a call with
//! automatic threads (ISA, threads and why: env, profile or default).
//! [`CpuJson`] is also the CPU section of `report.json`.

use serde::Serialize;
use simdpar::{CpuInfo, active_isa, available_isas, cpu_info};
use std::collections::BTreeMap;
use std::fmt::Write;

/// Options of `simdpar info`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print machine-readable JSON.
    #[arg(long)]
    json: bool,
}

/// Prints the report.
pub fn run(args: &Args) -> Result<(), String> {
    let cpu = cpu_info();
    if args.json {
        let info = InfoJson::now(&cpu);
        let text = serde_json::to_string_pretty(&info).map_err(|e| e.to_string())?;
        println!("{text}");
    } else {
        print!("{}", to_text(&cpu));
    }
    Ok(())
}

/// One cache of [`CpuJson`] (the fields of [`simdpar::CacheInfo`]).
#[derive(Debug, Serialize)]
pub struct CacheJson {
    /// 1, 2, 3...
    pub level: u8,
    /// `data`, `instruction` or `unified`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// Size of one instance in bytes.
    pub size_bytes: u64,
    /// Line size in bytes.
    pub line_bytes: u32,
    /// Associativity.
    pub ways: u32,
    /// Logical processors sharing one instance.
    pub shared_by: u32,
}

/// SIMD lanes of one ISA.
#[derive(Debug, Serialize)]
pub struct LanesJson {
    /// f32 lanes.
    pub f32: usize,
    /// f64 lanes.
    pub f64: usize,
}

/// The serializable view of [`CpuInfo`] (the library stays free of serde).
#[derive(Debug, Serialize)]
pub struct CpuJson {
    /// `x86_64`, `aarch64`, ...
    pub arch: &'static str,
    /// CPU vendor.
    pub vendor: String,
    /// Brand string.
    pub brand: String,
    /// Display family (x86), else 0.
    pub family: u32,
    /// Display model.
    pub model: u32,
    /// Stepping.
    pub stepping: u32,
    /// Logical CPUs this process may use.
    pub logical_cpus: usize,
    /// SIMD-related features usable here.
    pub features: Vec<&'static str>,
    /// Data and unified caches.
    pub caches: Vec<CacheJson>,
    /// Lanes per available ISA, by ISA name.
    pub simd_lanes: BTreeMap<&'static str, LanesJson>,
}

impl From<&CpuInfo> for CpuJson {
    fn from(cpu: &CpuInfo) -> Self {
        CpuJson {
            arch: cpu.arch,
            vendor: cpu.vendor.clone(),
            brand: cpu.brand.clone(),
            family: cpu.family,
            model: cpu.model,
            stepping: cpu.stepping,
            logical_cpus: cpu.logical_cpus,
            features: cpu.features.clone(),
            caches: cpu
                .caches
                .iter()
                .map(|c| CacheJson {
                    level: c.level,
                    kind: c.kind,
                    size_bytes: c.size_bytes,
                    line_bytes: c.line_bytes,
                    ways: c.ways,
                    shared_by: c.shared_by,
                })
                .collect(),
            simd_lanes: cpu
                .simd_widths()
                .into_iter()
                .map(|(i, f32, f64)| (i.name(), LanesJson { f32, f64 }))
                .collect(),
        }
    }
}

/// `simdpar info --json`.
#[derive(Debug, Serialize)]
pub struct InfoJson {
    /// The CPU.
    pub cpu: CpuJson,
    /// ISAs this CPU runs.
    pub available_isas: Vec<&'static str>,
    /// The ISA dispatch picks now.
    pub active_isa: &'static str,
    /// Where the plans come from: the tuned profile's status (loaded,
    /// missing, another CPU's, corrupt, disabled).
    pub profile: String,
    /// Per kernel x dtype x size class, what a call with automatic threads
    /// runs.
    pub plans: Vec<PlanJson>,
    /// The thread limit and runtime of automatic calls.
    pub threads: ThreadsJson,
}

/// The process-wide thread settings ([`simdpar::max_threads`] and friends).
#[derive(Debug, Serialize)]
pub struct ThreadsJson {
    /// Threads an automatic call may use now (the limit, capped by the
    /// logical CPUs).
    pub max_threads: usize,
    /// The limit as set (`SIMDPAR_NUM_THREADS` or `set_max_threads`);
    /// `null`: none.
    pub limit: Option<usize>,
    /// Where calls made outside rayon run: `own` or `rayon`.
    pub runtime: &'static str,
    /// A bad `SIMDPAR_NUM_THREADS` / `SIMDPAR_RUNTIME` value (ignored).
    pub env_error: Option<String>,
}

impl ThreadsJson {
    /// The settings now.
    pub fn now() -> Self {
        ThreadsJson {
            max_threads: simdpar::max_threads(),
            limit: simdpar::thread_limit(),
            runtime: simdpar::runtime().name(),
            env_error: simdpar::par::check_env().err().map(|e| e.to_string()),
        }
    }
}

/// What one kernel x dtype x size class runs ([`simdpar::plan`] with
/// `Threads::Auto` at a size inside the class).
#[derive(Debug, Serialize)]
pub struct PlanJson {
    /// Kernel name.
    pub kernel: &'static str,
    /// `f32` or `f64`.
    pub dtype: &'static str,
    /// `cache`, `llc` or `dram`.
    pub class: &'static str,
    /// The size planned for (elements; pixels x iterations for Mandelbrot).
    pub len: usize,
    /// The ISA that runs.
    pub isa: &'static str,
    /// Threads it is split across.
    pub threads: usize,
    /// Why: forced (env, scope, set_isa), capped, tuned profile or
    /// built-in default.
    pub reason: String,
    /// How a reduction reads its input (`on_demand`, or `ahead`: software
    /// prefetch); `null` for the other kernels.
    pub read: Option<&'static str>,
}

/// Every kernel x dtype x size class with its plan, now.
pub fn plan_rows() -> Vec<PlanJson> {
    simdpar::simdpar_kernels::plan::plans()
        .into_iter()
        .map(|r| PlanJson {
            kernel: r.kernel.name(),
            dtype: r.dtype.name(),
            class: r.class.name(),
            len: r.len,
            isa: r.plan.isa.name(),
            threads: r.plan.threads,
            reason: r.plan.reason.to_string(),
            read: r.fetch.map(|f| f.name()),
        })
        .collect()
}

impl InfoJson {
    /// The info of this machine and thread, now.
    pub fn now(cpu: &CpuInfo) -> Self {
        InfoJson {
            cpu: cpu.into(),
            available_isas: available_isas().iter().map(|i| i.name()).collect(),
            active_isa: active_isa().name(),
            profile: simdpar::profile::profile_status().to_string(),
            plans: plan_rows(),
            threads: ThreadsJson::now(),
        }
    }
}

fn to_text(cpu: &CpuInfo) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "CPU        {} ({}), {}", cpu.brand, cpu.vendor, cpu.arch);
    if cpu.family != 0 {
        let _ = writeln!(
            s,
            "           family {:#x} model {:#x} stepping {}",
            cpu.family, cpu.model, cpu.stepping
        );
    }
    let _ = writeln!(s, "threads    {}", cpu.logical_cpus);
    let t = ThreadsJson::now();
    let _ = writeln!(
        s,
        "limit      automatic calls use up to {} threads ({}), runtime {}",
        t.max_threads,
        match t.limit {
            Some(n) => format!(
                "limit {n}: {} or set_max_threads",
                simdpar::par::ENV_NUM_THREADS
            ),
            None => format!("no {} limit", simdpar::par::ENV_NUM_THREADS),
        },
        t.runtime
    );
    if let Some(e) = &t.env_error {
        let _ = writeln!(s, "           warning: {e}");
    }
    for c in &cpu.caches {
        let _ = writeln!(
            s,
            "cache      L{} {:<11} {:>8} KiB, {}-way, {} B lines, shared by {}",
            c.level,
            c.kind,
            c.size_bytes / 1024,
            c.ways,
            c.line_bytes,
            c.shared_by
        );
    }
    let _ = writeln!(s, "features   {}", cpu.features.join(" "));
    let names: Vec<&str> = available_isas().iter().map(|i| i.name()).collect();
    let _ = writeln!(s, "available  {}", names.join(", "));
    let _ = writeln!(s, "active     {}", active_isa());
    let _ = writeln!(s, "lanes      isa        f32  f64");
    for (i, f, d) in cpu.simd_widths() {
        let _ = writeln!(s, "           {:<10} {f:>3}  {d:>3}", i.name());
    }
    let _ = writeln!(
        s,
        "\nplans (threads automatic): {}",
        simdpar::profile::profile_status()
    );
    let _ = writeln!(
        s,
        "kernel       dtype  class  {:>12}  isa       threads  read       why",
        "len"
    );
    for p in plan_rows() {
        let _ = writeln!(
            s,
            "{:<12} {:<6} {:<6} {:>12}  {:<9} {:>7}  {:<9}  {}",
            p.kernel,
            p.dtype,
            p.class,
            p.len,
            p.isa,
            p.threads,
            p.read.unwrap_or("-"),
            p.reason
        );
    }
    s
}
