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
        "- Non-temporal stores in force from {} MiB of output (f32; `SIMDPAR_NT_THRESHOLD` > \
         tuned profile > built-in {} MiB) where the call's arrays also outgrow the {} MiB \
         last-level cache (unless `SIMDPAR_NT_THRESHOLD` is set); threads per size class in the \
         plans table below",
        simdpar::simdpar_kernels::plan::nt_threshold(Dtype::F32) >> 20,
        simdpar::map::nt_threshold_bytes() >> 20,
        simdpar::simdpar_kernels::plan::rules().caches.llc >> 20
    );
    let _ = writeln!(
        s,
        "\nWhat a call with automatic threads runs, per size class (ISA x threads, why; `simdpar info` \
         prints the same table; {}):\n\n| kernel | dtype | cache | llc | dram |\n|---|---|---|---|---|",
        simdpar::profile::profile_status()
    );
    let rows = simdpar::simdpar_kernels::plan::plans();
    for k in simdpar::Kernel::ALL {
        for dt in [Dtype::F32, Dtype::F64] {
            let cells: Vec<String> = rows
                .iter()
                .filter(|r| r.kernel == k && r.dtype == dt)
                .map(|r| format!("{} x{} ({})", r.plan.isa, r.plan.threads, r.plan.reason))
                .collect();
            let _ = writeln!(s, "| {k} | {dt} | {} |", cells.join(" | "));
        }
    }
    s.push('\n');
}
