//! `simdpar info [--json]`: the CPU report and the ISA every kernel runs.

use super::json;
use simdpar::{
    CpuInfo, DTYPE_NAMES, KERNEL_NAMES, active_isa, available_isas, cpu_info, kernel_isa,
};

/// Prints the report; `--json` for machine-readable output.
pub fn run(args: &[String]) -> Result<(), String> {
    let as_json = match args {
        [] => false,
        [flag] if flag == "--json" => true,
        _ => return Err(format!("usage: simdpar info [--json] (got {args:?})")),
    };
    let cpu = cpu_info();
    if as_json {
        println!("{}", to_json(&cpu));
    } else {
        print!("{}", to_text(&cpu));
    }
    Ok(())
}

/// `(kernel, dtype, isa)` for every kernel and dtype.
fn kernel_rows() -> Vec<(&'static str, &'static str, &'static str)> {
    let mut rows = Vec::new();
    for k in KERNEL_NAMES {
        for d in DTYPE_NAMES {
            let isa = kernel_isa(k, d).expect("known kernel and dtype");
            rows.push((k, d, isa.name()));
        }
    }
    rows
}

/// The CPU section as a JSON object.
pub fn cpu_json(cpu: &CpuInfo) -> String {
    let caches: Vec<String> = cpu
        .caches
        .iter()
        .map(|c| {
            format!(
                "{{\"level\": {}, \"type\": {}, \"size_bytes\": {}, \"line_bytes\": {}, \"ways\": {}, \"shared_by\": {}}}",
                c.level,
                json::string(c.kind),
                c.size_bytes,
                c.line_bytes,
                c.ways,
                c.shared_by
            )
        })
        .collect();
    let widths: Vec<String> = cpu
        .simd_widths()
        .iter()
        .map(|(i, f, d)| format!("{}: {{\"f32\": {f}, \"f64\": {d}}}", json::string(i.name())))
        .collect();
    format!(
        "{{\"arch\": {}, \"vendor\": {}, \"brand\": {}, \"family\": {}, \"model\": {}, \"stepping\": {}, \"logical_cpus\": {}, \"features\": {}, \"caches\": [{}], \"simd_lanes\": {{{}}}}}",
        json::string(cpu.arch),
        json::string(&cpu.vendor),
        json::string(&cpu.brand),
        cpu.family,
        cpu.model,
        cpu.stepping,
        cpu.logical_cpus,
        json::strings(cpu.features.iter().copied()),
        caches.join(", "),
        widths.join(", ")
    )
}

fn to_json(cpu: &CpuInfo) -> String {
    let kernels: Vec<String> = kernel_rows()
        .into_iter()
        .map(|(k, d, i)| {
            format!(
                "{{\"kernel\": {}, \"dtype\": {}, \"isa\": {}}}",
                json::string(k),
                json::string(d),
                json::string(i)
            )
        })
        .collect();
    format!(
        "{{\"cpu\": {}, \"available_isas\": {}, \"active_isa\": {}, \"kernels\": [{}]}}",
        cpu_json(cpu),
        json::strings(available_isas().iter().map(|i| i.name())),
        json::string(active_isa().name()),
        kernels.join(", ")
    )
}

fn to_text(cpu: &CpuInfo) -> String {
    use std::fmt::Write;
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
    let _ = writeln!(s, "\nkernel       dtype  isa");
    for (k, d, i) in kernel_rows() {
        let _ = writeln!(s, "{k:<12} {d:<6} {i}");
    }
    s
}
