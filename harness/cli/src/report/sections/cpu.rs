//! The CPU, its caches, the ISAs and the thresholds in force.

use super::Doc;
use simdpar::Isa;
use simdpar_bench::workloads::Dtype;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    let cpu = simdpar::cpu_info();
    let _ = writeln!(s, "## CPU and dispatch\n");
    let _ = writeln!(
        s,
        "- CPU: {} ({}), family {:#x} model {:#x}, {} logical CPUs ({} used for \"all threads\")",
        cpu.brand, cpu.vendor, cpu.family, cpu.model, cpu.logical_cpus, r.threads
    );
    for c in &cpu.caches {
        let _ = writeln!(
            s,
            "- L{} {}: {} KiB, shared by {}",
            c.level,
            c.kind,
            c.size_bytes / 1024,
            c.shared_by
        );
    }
    let names: Vec<&str> = r.isas.iter().map(|i| i.name()).collect();
    let _ = writeln!(
        s,
        "- ISAs this CPU runs (all benchmarked): {}; simdpar dispatches to **{}**",
        names.join(", "),
        r.best.name()
    );
    if r.isas.contains(&Isa::Avx512) {
        let _ = writeln!(
            s,
            "- This CPU has AVX-512. The `avx2` rows (and the `mojo_avx2` goals, against the \
             `--target-cpu x86-64-v3` twin) show what an AVX2-only machine such as Zen 3 would run."
        );
    }
    let _ = writeln!(
        s,
        "- Non-temporal store threshold in force: {} MiB (`SIMDPAR_NT_THRESHOLD` overrides); \
         parallel threshold `PAR_MIN_ELEMS` = {} Ki elements",
        simdpar::map::nt_threshold_bytes() >> 20,
        simdpar::par::PAR_MIN_ELEMS >> 10
    );
    let _ = writeln!(s, "\n| kernel | f32 runs on | f64 runs on |\n|---|---|---|");
    for k in simdpar::Kernel::ALL {
        let f = |d| simdpar::kernel_isa(k, d).name();
        let _ = writeln!(s, "| {k} | {} | {} |", f(Dtype::F32), f(Dtype::F64));
    }
    s.push('\n');
}
