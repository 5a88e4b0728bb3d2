//! Replays every input kept under `fuzz/regressions/<target>/` (crashes the
//! fuzzers found, and hand-written seeds of the hard cases) through the same
//! checks the fuzz targets run. A plain `cargo test`: no libFuzzer needed.
//!
//! ```text
//! cargo test --manifest-path fuzz/Cargo.toml --no-default-features --release
//! ```

use std::path::Path;

fn replay(target: &str, check: fn(&[u8])) -> usize {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    for f in &files {
        let data = std::fs::read(f).unwrap();
        let r = std::panic::catch_unwind(|| check(&data));
        assert!(r.is_ok(), "regression input {} fails again", f.display());
    }
    eprintln!(
        "{target}: replayed {} inputs over ISAs {:?}",
        files.len(),
        simdpar_dispatch::available_isas()
    );
    files.len()
}

#[test]
fn reduce_regressions() {
    replay("reduce", simdpar_fuzz::reduce);
}

#[test]
fn map_regressions() {
    replay("map", simdpar_fuzz::map);
}

#[test]
fn mandelbrot_regressions() {
    replay("mandelbrot", simdpar_fuzz::mandelbrot);
}

/// Inputs of every shape (empty, one byte, headers only, every header byte
/// value) run clean: the decoders never panic on their own.
#[test]
fn short_and_odd_inputs() {
    let mut cases = 0;
    for len in 0..12 {
        for fill in [0u8, 1, 0x2a << 1, 0x55, 0x7f, 0x80, 0xff] {
            let data = vec![fill; len];
            simdpar_fuzz::reduce(&data);
            simdpar_fuzz::map(&data);
            simdpar_fuzz::mandelbrot(&data);
            cases += 3;
        }
    }
    assert_eq!(cases, 12 * 7 * 3);
}
