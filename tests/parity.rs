//! The parity suite: every Rust kernel x host ISA x dtype x size x offset x
//! thread count against its Mojo twin (rules in the `simdpar-parity` crate,
//! `harness/parity`).
//!
//! Needs the Mojo toolchain (`./tools/venv.sh` installs `mojo==1.2.0` into
//! `.venv`); without it the test prints a loud `SKIPPED` line, and with
//! `SIMDPAR_REQUIRE_MOJO=1` it fails instead. Writes
//! `target/coverage-parts/parity.json` and `target/parity/parity.json`.

use std::io::Write;
use std::path::PathBuf;

use serde_json::json;
use simdpar::{Dtype, Kernel};
use simdpar_mojo::{self as mojo, CacheConfig};

fn target_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target")
}

fn write(path: PathBuf, text: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).expect("create target dir");
    std::fs::write(&path, text).unwrap_or_else(|e| panic!("writing {}: {e}", path.display()));
}

/// Straight to the terminal: libtest does not capture direct writes.
fn loud(text: &str) {
    let _ = std::io::stderr().write_all(text.as_bytes());
}

#[test]
fn rust_kernels_match_their_mojo_twins() {
    let fragment = target_dir().join("coverage-parts").join("parity.json");
    let Some(cache) = mojo::open_or_skip(CacheConfig::default(), "parity suite") else {
        let skipped = json!({"parity": {"cells": 0, "ok": 0, "skipped": "mojo not found"}});
        write(fragment, &format!("{skipped}\n"));
        return;
    };
    let report = simdpar_parity::compute_matrix(&cache, true).expect("parity run");
    let text = simdpar_parity::to_text(&report);
    println!("{text}");
    write(
        target_dir().join("parity").join("parity.json"),
        &report.to_json(),
    );
    let ok = report.cells.iter().filter(|c| c.ok).count();
    let counts = json!({"parity": {"cells": report.cells.len(), "ok": ok}});
    write(fragment, &format!("{counts}\n"));

    // Report-only lines, shown even when output is captured.
    let mut summary = String::from("\nparity: twins ");
    for t in &report.twins {
        summary.push_str(&format!("{}={} ", t.variant, t.outcome));
    }
    summary.push('\n');
    for t in &report.timings {
        summary.push_str(&format!(
            "parity: forced16 {} {}: x{:.2} vs {} lanes (report only)\n",
            t.kernel, t.size, t.slowdown, t.native_lanes
        ));
    }
    for c in report
        .cells
        .iter()
        .filter(|c| c.twin == "fast" && c.mismatches > 0)
    {
        summary.push_str(&format!(
            "parity: contract=fast {} {}: {} elements differ, max |diff| {:.3e}\n",
            c.kernel, c.dtype, c.mismatches, c.max_error
        ));
    }
    loud(&summary);

    // Coverage: every kernel x dtype x host ISA has an exact cell with cases,
    // and every kernel x dtype has its portable, forced16 and fast rows.
    let isas = simdpar::available_isas();
    for k in Kernel::NAMES {
        for d in Dtype::NAMES {
            for isa in &isas {
                let c = report
                    .cells
                    .iter()
                    .find(|c| {
                        c.kernel == k && c.dtype == d && c.isa == isa.name() && c.twin == "exact"
                    })
                    .unwrap_or_else(|| panic!("no exact cell for {k}/{d}/{}", isa.name()));
                assert!(
                    c.cases >= 50,
                    "{k}/{d}/{}: only {} cases",
                    isa.name(),
                    c.cases
                );
            }
            for twin in ["portable", "forced16", "fast"] {
                assert!(
                    report
                        .cells
                        .iter()
                        .any(|c| c.kernel == k && c.dtype == d && c.twin == twin),
                    "no {twin} row for {k}/{d}"
                );
            }
        }
    }
    assert_eq!(
        report.cells.len(),
        Kernel::ALL.len() * Dtype::ALL.len() * (isas.len() + 3)
    );
    assert!(!report.timings.is_empty());

    let failed: Vec<String> = report
        .cells
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{c:?}"))
        .collect();
    assert!(
        failed.is_empty(),
        "parity failures:\n{}\n\n{text}",
        failed.join("\n")
    );

    // The exact twins are bitwise on elementwise kernels and mandelbrot.
    for c in report.cells.iter().filter(|c| c.twin != "fast") {
        if !matches!(c.kernel.parse(), Ok(Kernel::Sum | Kernel::RowSums)) {
            assert_eq!(c.max_error, 0.0, "{c:?}");
        }
    }
}
