//! The parity report as a plain-text table (what `simdpar parity` prints).

use crate::Report;

/// The matrix as a text table.
pub fn to_text(r: &Report) -> String {
    let mut s = format!("simdpar parity ({})\n\ntwins:\n", r.mojo_version);
    for t in &r.twins {
        s.push_str(&format!(
            "  {:<9} {} {:<8} cpu={:<10} {:<13} f32x{:<2} f64x{:<2} compiled in {:.2}s\n",
            t.variant,
            t.key,
            t.outcome,
            t.cpu,
            t.fp_mode,
            t.f32_lanes,
            t.f64_lanes,
            t.compile_seconds
        ));
    }
    s.push_str(&format!(
        "\n{:<11} {:<5} {:<9} {:<9} {:>6} {:>10} {:>11}  ok\n",
        "kernel", "dtype", "isa", "twin", "cases", "mismatches", "max_error"
    ));
    for c in &r.cells {
        s.push_str(&format!(
            "{:<11} {:<5} {:<9} {:<9} {:>6} {:>10} {:>11.3e}  {}\n",
            c.kernel,
            c.dtype,
            c.isa,
            c.twin,
            c.cases,
            c.mismatches,
            c.max_error,
            if c.ok { "ok" } else { "FAIL" }
        ));
    }
    if !r.timings.is_empty() {
        s.push_str(&format!(
            "\nforced 16-lane f32 vs the portable twin's native {} lanes (median of {} interleaved samples):\n",
            r.timings[0].native_lanes, r.timings[0].samples
        ));
        for t in &r.timings {
            s.push_str(&format!(
                "  {:<11} {:<22} native {:>9.2} us  forced16 {:>9.2} us  x{:.2}\n",
                t.kernel,
                t.size,
                t.native_s * 1e6,
                t.forced16_s * 1e6,
                t.slowdown
            ));
        }
    }
    let ok = r.cells.iter().filter(|c| c.ok).count();
    s.push_str(&format!("\n{ok} of {} cells ok\n", r.cells.len()));
    s
}
