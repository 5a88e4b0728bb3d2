//! The built-in choices, used where no tuned profile exists. Each one names
//! the measurement behind it.

use super::Choice;
use super::size_class::SizeClass;
use crate::vocab::{Dtype, Family, Kernel, Streams};
use simdpar_dispatch::Isa;
use std::sync::OnceLock;

/// The environment variable that forces the non-temporal store threshold:
/// output bytes from which every out-of-place map streams, whatever the
/// profile and the caches say.
pub const ENV_NT_THRESHOLD: &str = "SIMDPAR_NT_THRESHOLD";

/// `SIMDPAR_NT_THRESHOLD` (output bytes), if set to a number: the one
/// reader of the variable.
pub(crate) fn env_nt_threshold() -> Option<usize> {
    std::env::var(ENV_NT_THRESHOLD)
        .ok()
        .and_then(|v| v.trim().parse().ok())
}

/// Output bytes from which a two-input out-of-place map (`add`) uses
/// non-temporal stores without a tuned profile: `SIMDPAR_NT_THRESHOLD` if
/// set, else the smallest output whose call (inputs and output) outgrows
/// the last-level cache ([`super::Rules::nt_output_bytes`]). Streaming
/// also needs the touched bytes beyond the LLC, so one-input maps stream
/// from half the LLC of output ([`super::store_for`]; evidence in
/// `docs/measurements.md`). Read once per process.
pub fn nt_threshold_bytes() -> usize {
    static T: OnceLock<usize> = OnceLock::new();
    *T.get_or_init(|| {
        env_nt_threshold()
            .unwrap_or_else(|| super::Rules::for_caches(super::Caches::this_cpu()).nt_output_bytes)
    })
}

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

/// Elementwise kernels split between threads from this many elements of
/// f32 `add` (3 MiB touched) on a 1 MiB L2; the rule scales with the L2
/// ([`map_threads_from_bytes`]). Evidence: `docs/measurements.md`, threads.
pub(crate) const MAP_THREADS_FROM: u64 = 256 * 1024;

/// `sum` / `row_sums` split from this many elements of f32 `sum` (4 MiB)
/// on a 1 MiB L2 ([`reduce_threads_from_bytes`]). Evidence:
/// `docs/measurements.md`, threads.
pub(crate) const REDUCE_THREADS_FROM: u64 = 1024 * 1024;

/// Mandelbrot splits from this much work (pixels x iterations); it is
/// compute-bound, so no cache term. Evidence: `docs/measurements.md`,
/// threads.
pub(crate) const MANDELBROT_THREADS_FROM: u64 = 1 << 20;

/// Whether reductions beyond the last-level cache prefetch 2 KiB ahead of
/// their loads without a profile ([`crate::vocab::Fetch::Ahead`]; AVX2
/// and AVX-512 issue the prefetches, other ISAs read on demand either
/// way): on Zen 5, where it paid on two threads; elsewhere not, the
/// smaller worst loss over the machines measured (Zen 4 took
/// 1.16-1.36x the time with it on one thread). `simdpar tune` measures it per machine. Evidence:
/// `docs/measurements.md`, prefetching.
pub fn prefetch_in_dram() -> bool {
    amd_avx512() == Some(AmdAvx512::Zen5)
}

/// Bytes from which a complete subtree of `sum`'s block tree is read as
/// interleaved streams ([`Streams`]; its equal, power-of-two
/// sub-subtrees side by side, each with its own stack, the same
/// additions): one thread then has several sequential streams in flight,
/// which the hardware prefetchers run side by side. Below it (every L1 /
/// L2 input, most of the LLC) every count runs the one-stream loop.
///
/// Measured on Zen 4 only (one thread, interleaved rounds,
/// `kernels/examples/read_limit.rs`; `docs/measurements.md#one-thread-at-the-read-limit-interleaved-streams`):
/// `sum` 64 Mi f32 / 32 Mi f64 beyond the LLC and 16 MiB inside it read
/// faster with 2 (AVX2) / 4 (AVX-512) streams, 4 MiB calls did not. The
/// count per dtype is the tuned profile's where it has one
/// ([`default_read_streams`] otherwise).
pub const READ_STREAMS_FROM_BYTES: usize = 8 << 20;

/// The largest complete subtree of `sum`'s block tree read as one set of
/// interleaved streams: a larger one (a power of two of blocks) is read
/// as its subtrees of this size one after the other, each as
/// interleaved streams, and they combine pairwise as the tree says (the
/// same additions, the same bits). It caps the distance between the
/// streams at this size over the stream count.
///
/// Measured on Zen 4 (2-vCPU KVM guest, one thread, interleaved rounds;
/// `docs/measurements.md#streams-far-apart-lose-beyond-256-mib`): reading
/// a 1 GiB array as 2 or 4 parts side by side (parts 256-512 MiB apart)
/// ran at 0.61-0.79x of one stream, while the same loops over
/// consecutive chunks of 8 to 128 MiB ran at 1.03-1.12x; at 256 MiB every
/// distance won. 32 MiB is inside the winning range with room on both
/// sides, and above [`READ_STREAMS_FROM_BYTES`].
pub const READ_STREAMS_UP_TO_BYTES: usize = 32 << 20;

/// The built-in stream count of `sum` on `isa` (either dtype) where no
/// tuned profile says otherwise: as many streams as keep the accumulators
/// of all of them within 16 vector registers, at most 4 (the fixed order
/// holds 64 f32 / 32 f64 lanes: AVX2 8 x 2 streams, AVX-512 4 x 4); one
/// where a single stream's accumulators already fill 16 (`portable` and
/// NEON, 128-bit registers) and on `scalar` (the oracle's loop). Measured
/// on Zen 4 only ([`READ_STREAMS_FROM_BYTES`]); `simdpar tune` races 1, 2
/// and 4 per machine.
pub const fn default_read_streams(isa: Isa) -> Streams {
    match isa {
        Isa::Avx2 => Streams::Two,
        Isa::Avx512 => Streams::Four,
        _ => Streams::One,
    }
}

/// The ISA the defaults prefer for a kernel x dtype x class where it
/// differs from "the widest available", on one thread or (`split`) on
/// several.
fn preferred_isa(kernel: Kernel, dtype: Dtype, class: SizeClass, split: bool) -> Option<Isa> {
    let family = kernel.family();
    let memory_bound = matches!(family, Family::Reduce | Family::Map);
    let binary_f64 = matches!(kernel, Kernel::Add | Kernel::Multiply) && dtype == Dtype::F64;
    match amd_avx512() {
        // Evidence for each arm: `docs/measurements.md`, ISA per kernel.
        // Zen 4: the 256-bit path for every memory-bound kernel.
        Some(AmdAvx512::Zen4) if memory_bound => Some(Isa::Avx2),
        // Zen 5 in the LLC: avx2 for add / multiply f64, and for `sum` f64
        // split across threads; avx512 for the rest.
        Some(AmdAvx512::Zen5) if class == SizeClass::Llc && binary_f64 => Some(Isa::Avx2),
        Some(AmdAvx512::Zen5)
            if class == SizeClass::Llc && split && kernel == Kernel::Sum && dtype == Dtype::F64 =>
        {
            Some(Isa::Avx2)
        }
        Some(AmdAvx512::Zen5) if class == SizeClass::Llc => None,
        // Zen 5 beyond the LLC: avx2 for memory-bound kernels.
        Some(AmdAvx512::Zen5) if memory_bound && class == SizeClass::Dram => Some(Isa::Avx2),
        // Compute-bound kernels and other CPUs: the widest path.
        _ => None,
    }
}

/// Bytes touched from which maps split by default: 3 MiB per MiB of
/// one core's L2 ([`MAP_THREADS_FROM`] f32 `add` elements on the 1 MiB L2
/// machines measured; see `docs/measurements.md`).
pub(crate) fn map_threads_from_bytes(caches: &super::Caches) -> u64 {
    per_mib_of_l2(MAP_THREADS_FROM * 12, caches)
}

/// Bytes touched from which reductions split by default: 4 MiB per MiB of
/// L2 ([`REDUCE_THREADS_FROM`] f32 `sum` elements on 1 MiB L2).
pub(crate) fn reduce_threads_from_bytes(caches: &super::Caches) -> u64 {
    per_mib_of_l2(REDUCE_THREADS_FROM * 4, caches)
}

/// `bytes_at_1mib` scaled by the L2 size over 1 MiB.
fn per_mib_of_l2(bytes_at_1mib: u64, caches: &super::Caches) -> u64 {
    (u128::from(bytes_at_1mib) * caches.l2 as u128 / (1u128 << 20)) as u64
}

/// The built-in choice for a kernel x dtype x class on this CPU: its ISA
/// (the preferred one if available, else the best available) and its
/// family's thread threshold.
pub fn default_choice(kernel: Kernel, dtype: Dtype, class: SizeClass) -> Choice {
    default_choice_with(&super::rules(), kernel, dtype, class)
}

/// [`default_choice`] under `rules` (another CPU's caches). Mandelbrot's
/// thread threshold is work (pixels x iterations), not bytes: it is
/// compute-bound, so the caches do not move it.
pub fn default_choice_with(
    rules: &super::Rules,
    kernel: Kernel,
    dtype: Dtype,
    class: SizeClass,
) -> Choice {
    let pick = |split| match preferred_isa(kernel, dtype, class, split) {
        Some(isa) if simdpar_dispatch::is_supported(isa) => isa,
        _ => simdpar_dispatch::best_isa(),
    };
    let (isa, split_isa) = (pick(false), pick(true));
    let threads_from_bytes = match kernel.family() {
        Family::Map => rules.map_threads_from,
        Family::Reduce => rules.reduce_threads_from,
        Family::Mandelbrot => MANDELBROT_THREADS_FROM.saturating_mul(super::bytes_touched(
            Kernel::Mandelbrot,
            dtype,
            1,
        ) as u64),
    };
    Choice {
        isa,
        split_isa,
        threads_from_bytes,
        from_profile: false,
    }
}
