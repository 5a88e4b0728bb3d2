//! The lane-width timing rows: the portable twin (native f32 width) against
//! the `forced16` twin (the same code with f32 vectors forced to 16 lanes),
//! timed with the one timing engine of `simdpar-bench`.

use simdpar_bench::timing::{Candidate, TimingConfig, interleaved};
use simdpar_mojo::{self as mojo, MandelbrotGrid, Twins};
use std::time::Duration;

use crate::Timing;
use crate::cases::{data, merr};

/// Interleaved samples per side.
const SAMPLES: usize = 21;

/// Times `f` on the native and the forced-16 twin, interleaved, both
/// writing the same output buffer (so neither side gets a luckier address).
fn time_pair<O: ?Sized>(
    native: &Twins,
    forced: &Twins,
    out: &mut O,
    f: &dyn Fn(&Twins, &mut O) -> Result<(), mojo::MojoError>,
) -> Result<(f64, f64), String> {
    let out = std::cell::RefCell::new(out);
    let err = std::cell::RefCell::new(None);
    let call = |t: &Twins, inner: usize| {
        for _ in 0..inner {
            if let Err(e) = f(t, &mut out.borrow_mut()) {
                *err.borrow_mut() = Some(e);
            }
        }
    };
    let cfg = TimingConfig {
        reps: SAMPLES,
        min_sample: Duration::from_millis(2),
    };
    let stats = interleaved(
        &mut [
            Candidate::new("native", |inner| call(native, inner)),
            Candidate::new("forced16", |inner| call(forced, inner)),
        ],
        &cfg,
    );
    match err.into_inner() {
        Some(e) => Err(merr(e)),
        None => Ok((stats[0].median, stats[1].median)),
    }
}

/// Portable (native 8-lane f32 on x86-64-v3) against forced-16 f32 twins.
pub(crate) fn timings(native: &Twins, forced: &Twins) -> Result<Vec<Timing>, String> {
    let n = 1 << 16;
    // Large allocations start at the same offset within a 4 KiB page; stagger
    // the three buffers so that loads and stores do not 4K-alias.
    const STAGGER: usize = 272; // 1088 bytes
    let a_buf = data::<f32>(n + 3 * STAGGER, 1);
    let b_buf = data::<f32>(n + 3 * STAGGER, 2);
    let mut o_buf = vec![0.0f32; n + 3 * STAGGER];
    let a = &a_buf[..n];
    let b = &b_buf[STAGGER..STAGGER + n];
    let o = &mut o_buf[2 * STAGGER..2 * STAGGER + n];
    let (rows, cols) = (256, 256);
    let mandel = MandelbrotGrid {
        width: 256,
        height: 192,
        max_iter: 128,
        xlim: (-2.0f32, 0.5),
        ylim: (-1.25, 1.25),
    };
    let mut counts = vec![0u32; mandel.width * mandel.height];
    let row = |kernel: &'static str, size: String, (x, y): (f64, f64)| Timing {
        kernel,
        dtype: "f32",
        size,
        native_lanes: native.simd_width::<f32>(),
        native_s: x,
        forced16_s: y,
        slowdown: y / x,
        samples: SAMPLES,
    };
    let elems = format!("{n} f32");
    Ok(vec![
        row(
            "sum",
            elems.clone(),
            time_pair(native, forced, o, &|t, o| {
                o[0] = t.sum(a);
                Ok(())
            })?,
        ),
        row(
            "multiply",
            elems.clone(),
            time_pair(native, forced, o, &|t, o| t.multiply(a, b, o))?,
        ),
        row(
            "leaky_relu",
            elems,
            time_pair(native, forced, o, &|t, o| t.leaky_relu(a, 0.01, o))?,
        ),
        row(
            "row_sums",
            format!("{rows}x{cols} f32"),
            time_pair(native, forced, o, &|t, o| {
                t.row_sums(&a[..rows * cols], cols, &mut o[..rows])
            })?,
        ),
        row(
            "mandelbrot",
            format!(
                "{}x{} f32, {} iter",
                mandel.width, mandel.height, mandel.max_iter
            ),
            time_pair(native, forced, &mut counts[..], &|t, c| {
                t.mandelbrot(&mandel, c)
            })?,
        ),
    ])
}
