//! The built-in choices, used where no tuned profile exists. Each one names
//! the measurement behind it.

use super::Choice;
use crate::vocab::{Dtype, Family};
use simdpar_dispatch::{Isa, SizeClass};
use std::sync::OnceLock;

/// AMD's AVX-512 generations simdpar has measured, by CPU family.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AmdAvx512 {
    /// Zen 4 (family 0x19 with AVX-512 F): 512-bit instructions run as two
    /// 256-bit halves ("double-pumped").
    Zen4,
    /// Zen 5 (family 0x1A with AVX-512 F).
    Zen5,
}

fn amd_avx512() -> Option<AmdAvx512> {
    static GEN: OnceLock<Option<AmdAvx512>> = OnceLock::new();
    *GEN.get_or_init(|| {
        let info = simdpar_dispatch::cpu_info();
        if info.vendor != "AuthenticAMD" || !info.features.contains(&"avx512f") {
            return None;
        }
        match info.family {
            0x19 => Some(AmdAvx512::Zen4),
            0x1A => Some(AmdAvx512::Zen5),
            _ => None,
        }
    })
}

/// `true` on AMD Zen 4 (family 0x19 with AVX-512 F), detected from CPUID.
pub fn is_zen4() -> bool {
    amd_avx512() == Some(AmdAvx512::Zen4)
}

/// Elementwise kernels split between threads from this many elements.
/// The claim-based pool costs one futex wake plus, at worst, waiting for
/// the helper's current 16 Ki-element item, so a split pays once the call
/// is several times that: 256 Ki f32 adds take ~25 us on one Zen 4 core.
/// On the 2-vCPU Zen 5 VM (`examples/tune_check.rs`, interleaved medians)
/// 2 threads ran add f32 1 Mi at 1.27-1.30x one thread while the second
/// vCPU was free (load 2) and at 0.93-0.99x while it was shared (load 2-8;
/// the old rayon split: 0.30-0.93x); `simdpar tune` measures the threshold
/// per machine.
pub(crate) const MAP_THREADS_FROM: u64 = 256 * 1024;

/// `sum` / `row_sums` split from this many elements: a reduction moves a
/// third of the bytes per element of a binary map, so it needs a larger
/// input to pay for the split. Measured on the 2-vCPU Zen 5 VM with the
/// second vCPU free (`./tools/report.sh`, load 1.2-1.6, other processes
/// 0.00 CPUs; medians of interleaved rounds, 2 threads / 1 thread):
/// row_sums 4096x128 (512 Ki elements) 0.79x in f32 and 0.86x in f64,
/// while sum f32 1 Mi ran at 1.07x (1.12x in `examples/tune_check.rs`)
/// and sum f64 1 Mi at 1.21x; so reductions split from 1 Mi elements.
pub(crate) const REDUCE_THREADS_FROM: u64 = 1024 * 1024;

/// Mandelbrot splits from this much work (pixels x iterations), the
/// previous runtime's measured threshold: 64x64 pixels x 64 iterations
/// (2^18) split ran at 0.81-0.83x one thread under load, while 1024x1024 x
/// 256 ran at 1.97x with the second vCPU free (1.00x when shared).
pub(crate) const MANDELBROT_THREADS_FROM: u64 = 1 << 20;

/// The ISA the defaults prefer for a family x dtype x class where it
/// differs from "the widest available".
fn preferred_isa(family: Family, _dtype: Dtype, class: SizeClass) -> Option<Isa> {
    let memory_bound = matches!(family, Family::Reduce | Family::Map);
    match amd_avx512() {
        // Zen 4, `simdpar report` and interleaved Python runs (issue 14;
        // avx2 = 1.00): the avx512 path ran add f32 1M at 0.64x, sum f32 64M
        // at 0.80x, row_sums f32 100Kx1000 at 0.82x, add f64 1M at 0.83x.
        Some(AmdAvx512::Zen4) if memory_bound => Some(Isa::Avx2),
        // Zen 5 (family 0x1A, the 2-core EPYC this was written on), the
        // tuner's paired medians (`examples/tune_check.rs measure 60`, load
        // 8.6; avx2 = 1.00): beyond L2 the avx512 path ran sum f32 4M at
        // 0.82x, sum f32 32M at 0.72x, sum f64 2M at 0.82x, add f32 11M at
        // 0.81x; inside L2 it won (sum f32 128K 1.33x, add f32 43K 1.07x).
        Some(AmdAvx512::Zen5) if memory_bound && class != SizeClass::Cache => Some(Isa::Avx2),
        // Compute-bound: avx512 ran mandelbrot 1.49x the avx2 path on Zen 4
        // (issue 14) and 1.7-1.9x on Zen 5 (same tuner run); elsewhere the
        // widest path is the rule.
        _ => None,
    }
}

/// The built-in choice for a family x dtype x class on this CPU: its ISA
/// (the preferred one if available, else the best available) and its
/// thread threshold.
pub fn default_choice(family: Family, dtype: Dtype, class: SizeClass) -> Choice {
    let isa = match preferred_isa(family, dtype, class) {
        Some(isa) if simdpar_dispatch::is_supported(isa) => isa,
        _ => simdpar_dispatch::best_isa(),
    };
    let threads_from = match family {
        Family::Map => MAP_THREADS_FROM,
        Family::Reduce => REDUCE_THREADS_FROM,
        Family::Mandelbrot => MANDELBROT_THREADS_FROM,
    };
    Choice {
        isa,
        threads_from,
        from_profile: false,
    }
}
