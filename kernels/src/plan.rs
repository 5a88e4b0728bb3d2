//! What runs a kernel call: which ISA, on how many threads, and why.
//!
//! Precedence, highest first:
//!
//! 1. **Forced**: a thread's [`simdpar_dispatch::with_isa`] scope, then
//!    [`simdpar_dispatch::set_isa`], then `SIMDPAR_ISA`: one ISA for every
//!    kernel and size.
//! 2. **Capped**: `SIMDPAR_MAX_ISA` / `SIMDPAR_DISABLE_ISA` lower or thin
//!    the set the next two may pick from.
//! 3. **Profile**: a tuned profile for this CPU (`simdpar tune`; see
//!    [`simdpar_dispatch::profile`]) per family x dtype x size class (a
//!    family is measured on one kernel and the choice applies to all).
//! 4. **Default**: the built-in choice per kernel x dtype x size class
//!    ([`default_choice`]),
//!    which encodes measurements where they exist.
//!
//! The ISA and the thread threshold come from the same source (profile or
//! default); [`Threads::AtMost`] and the logical CPU count bound the
//! threads. The choices are resolved once per process (again after
//! [`simdpar_dispatch::profile::set_profile`]) into a small table; a call
//! costs a size-class lookup.

mod defaults;

use crate::par::Threads;
use crate::reduce::Fetch;
use crate::vocab::{Dtype, Family, Kernel};
use simdpar_dispatch::profile::{self, Profile, SizeClass};
use simdpar_dispatch::{ForcedBy, Isa, Selection};
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

pub(crate) use defaults::{MAP_THREADS_FROM, PREFETCH_IN_DRAM, REDUCE_THREADS_FROM};
pub use defaults::{default_choice, is_zen4};

/// Why a [`Plan`] runs its ISA.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Forced for every kernel by a scope, `set_isa` or `SIMDPAR_ISA`.
    Forced(ForcedBy),
    /// The profile's or the default's choice was above what
    /// `SIMDPAR_MAX_ISA` / `SIMDPAR_DISABLE_ISA` allow.
    Capped,
    /// The tuned profile of this CPU.
    Profile,
    /// The built-in default.
    Default,
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Reason::Forced(by) => write!(f, "forced ({})", by.name()),
            Reason::Capped => write!(
                f,
                "capped ({} / {})",
                simdpar_dispatch::ENV_MAX,
                simdpar_dispatch::ENV_DISABLE
            ),
            Reason::Profile => f.write_str("tuned profile"),
            Reason::Default => f.write_str("built-in default"),
        }
    }
}

/// How one kernel call runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Plan {
    /// The ISA that runs it (always one this CPU supports).
    pub isa: Isa,
    /// Threads it is split across (1: the calling thread only).
    pub threads: usize,
    /// Where the ISA and the thread policy came from.
    pub reason: Reason,
    /// The size class the call falls in.
    pub class: SizeClass,
}

/// One family x dtype x class cell of the resolved table.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Choice {
    /// The ISA to run on one thread (supported here, below any cap applied
    /// per call).
    pub isa: Isa,
    /// The ISA to run when the call is split across threads: the same as
    /// `isa` except where a built-in default or the profile measured
    /// otherwise (the tuner measures every ISA on one thread and on all).
    pub split_isa: Isa,
    /// Size from which threads pay (`u64::MAX`: never).
    pub threads_from: u64,
    /// From the profile (else the built-in default).
    pub from_profile: bool,
}

/// Choices for every kernel x dtype x class, the non-temporal store
/// threshold and the DRAM read policy of reductions, per dtype.
struct Table {
    cells: [[[Choice; 3]; 2]; Kernel::ALL.len()],
    nt_bytes: [usize; 2],
    prefetch_dram: [bool; 2],
}

#[inline]
fn kernel_index(k: Kernel) -> usize {
    Kernel::ALL
        .iter()
        .position(|&x| x == k)
        .expect("every kernel is in Kernel::ALL")
}

fn dtype_index(d: Dtype) -> usize {
    match d {
        Dtype::F32 => 0,
        Dtype::F64 => 1,
    }
}

fn class_index(c: SizeClass) -> usize {
    match c {
        SizeClass::Cache => 0,
        SizeClass::Llc => 1,
        SizeClass::Dram => 2,
    }
}

/// The best supported ISA at or below `isa` (scalar at worst).
fn supported_at_or_below(isa: Isa) -> Isa {
    simdpar_dispatch::available_isas()
        .into_iter()
        .rfind(|&i| i <= isa)
        .unwrap_or(Isa::Scalar)
}

impl Table {
    /// A profile is measured per family (on the family's representative
    /// kernel) and applies to all its kernels; the built-in defaults may
    /// differ per kernel.
    fn build(profile: Option<&Profile>) -> Table {
        let mut t = [[[default_choice(Kernel::Sum, Dtype::F32, SizeClass::Cache); 3]; 2];
            Kernel::ALL.len()];
        for k in Kernel::ALL {
            for d in Dtype::ALL {
                for c in SizeClass::ALL {
                    let tuned = profile.and_then(|p| p.get(k.family().name(), d.name(), c));
                    let choice = match tuned {
                        Some(tuned) => Choice {
                            isa: supported_at_or_below(tuned.isa),
                            split_isa: supported_at_or_below(tuned.split_isa),
                            threads_from: tuned.threads_from.unwrap_or(u64::MAX),
                            from_profile: true,
                        },
                        None => default_choice(k, d, c),
                    };
                    t[kernel_index(k)][dtype_index(d)][class_index(c)] = choice;
                }
            }
        }
        let env_nt = std::env::var_os("SIMDPAR_NT_THRESHOLD").is_some();
        let nt_bytes = Dtype::ALL.map(|d| match profile.and_then(|p| p.nt(d.name())) {
            Some(b) if !env_nt => usize::try_from(b).unwrap_or(usize::MAX),
            _ => crate::map::nt_threshold_bytes(),
        });
        let prefetch_dram = Dtype::ALL.map(|d| {
            profile
                .and_then(|p| p.prefetch(d.name()))
                .unwrap_or(defaults::PREFETCH_IN_DRAM)
        });
        Table {
            cells: t,
            nt_bytes,
            prefetch_dram,
        }
    }

    fn get(&self, k: Kernel, d: Dtype, c: SizeClass) -> Choice {
        self.cells[kernel_index(k)][dtype_index(d)][class_index(c)]
    }
}

thread_local! {
    /// Set by the tuner while it measures: split across this many threads
    /// whatever the size.
    static FORCED_THREADS: Cell<Option<usize>> = const { Cell::new(None) };
}

/// How many [`with_forced_threads`] scopes are open in the process: while
/// none is, a call skips the thread-local lookup (a TLS access costs more
/// in a shared library, such as the Python extension, than in a program).
static FORCING_SCOPES: AtomicUsize = AtomicUsize::new(0);

/// The thread count the tuner forces on this thread, if any.
#[inline]
fn forced_threads() -> Option<usize> {
    if FORCING_SCOPES.load(Ordering::Relaxed) == 0 {
        None
    } else {
        FORCED_THREADS.with(Cell::get)
    }
}

/// Runs `f` with every kernel called on this thread split across `threads`
/// threads (at most what each call's [`Threads`] allows), ignoring the
/// thresholds: how the tuner measures whether threads pay.
pub(crate) fn with_forced_threads<R>(threads: usize, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<usize>);
    impl Drop for Restore {
        fn drop(&mut self) {
            FORCED_THREADS.with(|c| c.set(self.0));
            FORCING_SCOPES.fetch_sub(1, Ordering::SeqCst);
        }
    }
    FORCING_SCOPES.fetch_add(1, Ordering::SeqCst);
    let _restore = Restore(FORCED_THREADS.with(|c| c.replace(Some(threads))));
    f()
}

/// Runs `f` on the table for the profile in force.
#[inline]
fn with_table<R>(f: impl FnOnce(&Table) -> R) -> R {
    static FILE: OnceLock<Table> = OnceLock::new();
    static INSTALLED: RwLock<Option<(u64, Arc<Table>)>> = RwLock::new(None);
    let generation = profile::profile_generation();
    if generation == 0 {
        return f(FILE.get_or_init(|| Table::build(profile::active_profile().0.as_deref())));
    }
    {
        let installed = INSTALLED.read().unwrap_or_else(|p| p.into_inner());
        if let Some((g, t)) = installed.as_ref()
            && *g == generation
        {
            return f(t);
        }
    }
    let table = Arc::new(Table::build(profile::active_profile().0.as_deref()));
    *INSTALLED.write().unwrap_or_else(|p| p.into_inner()) = Some((generation, table.clone()));
    f(&table)
}

/// The resolved choice (profile or default, before caps and forcing) for a
/// kernel x dtype x class.
#[inline]
pub fn choice(kernel: Kernel, dtype: Dtype, class: SizeClass) -> Choice {
    with_table(|t| t.get(kernel, dtype, class))
}

/// Output bytes from which out-of-place maps of `dtype` use non-temporal
/// stores: `SIMDPAR_NT_THRESHOLD` if set, else the tuned profile's, else
/// the built-in [`crate::map::nt_threshold_bytes`].
#[inline]
pub fn nt_threshold(dtype: Dtype) -> usize {
    with_table(|t| t.nt_bytes[dtype_index(dtype)])
}

/// How a reduction of `dtype` whose call (all threads together) falls in
/// `class` reads its input: [`Fetch::Ahead`] beyond the last-level cache
/// when the tuned profile (else the built-in default,
/// [`defaults::PREFETCH_IN_DRAM`]) says prefetching pays there, else
/// [`Fetch::OnDemand`]. The bits are the same either way.
#[inline]
pub fn fetch_in(dtype: Dtype, class: SizeClass) -> Fetch {
    if class == SizeClass::Dram && with_table(|t| t.prefetch_dram[dtype_index(dtype)]) {
        Fetch::Ahead
    } else {
        Fetch::OnDemand
    }
}

/// [`fetch_in`] for a call of `kernel` on `len` elements.
#[inline]
pub fn fetch_for(kernel: Kernel, dtype: Dtype, len: usize) -> Fetch {
    fetch_in(dtype, size_class(kernel, dtype, len))
}

/// Bytes a call of `kernel` over `len` elements reads and writes (for
/// Mandelbrot, `len` is the work, pixels x iterations, bucketed the same way).
#[inline]
pub fn bytes_touched(kernel: Kernel, dtype: Dtype, len: usize) -> usize {
    let arrays = match kernel {
        Kernel::Add | Kernel::Multiply => 3,
        Kernel::Square | Kernel::Scale | Kernel::LeakyRelu => 2,
        Kernel::Sum | Kernel::RowSums | Kernel::Mandelbrot => 1,
    };
    len.saturating_mul(arrays * dtype.size_bytes())
}

/// A size inside `class` for `kernel` (elements; work for Mandelbrot):
/// half the L2, halfway between L2 and the last-level cache, or four times
/// the last-level cache (at least 64 MiB), in bytes touched.
pub fn class_len(kernel: Kernel, dtype: Dtype, class: SizeClass) -> usize {
    let (l2, llc) = profile::cache_limits();
    let bytes = match class {
        SizeClass::Cache => l2 / 2,
        SizeClass::Llc => l2 + (llc - l2) / 2,
        SizeClass::Dram => (4 * llc).max(64 << 20),
    };
    (bytes / bytes_touched(kernel, dtype, 1)).max(1)
}

/// One row of [`plans`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanRow {
    /// The kernel.
    pub kernel: Kernel,
    /// The dtype.
    pub dtype: Dtype,
    /// The size class.
    pub class: SizeClass,
    /// The size planned for ([`class_len`]).
    pub len: usize,
    /// What runs at that size with `Threads::Auto`.
    pub plan: Plan,
    /// How a reduction reads its input there ([`fetch_in`]); `None` for
    /// the other families.
    pub fetch: Option<Fetch>,
}

/// What runs, on this thread now, for every kernel x dtype x size class
/// (at [`class_len`], automatic threads): for `simdpar info` and Python's
/// `cpu_info()`.
pub fn plans() -> Vec<PlanRow> {
    let mut rows = Vec::new();
    for kernel in Kernel::ALL {
        for dtype in Dtype::ALL {
            for class in SizeClass::ALL {
                let len = class_len(kernel, dtype, class);
                let plan = plan(kernel, dtype, len, Threads::Auto);
                let fetch = (kernel.family() == Family::Reduce).then(|| fetch_in(dtype, class));
                rows.push(PlanRow {
                    kernel,
                    dtype,
                    class,
                    len,
                    plan,
                    fetch,
                });
            }
        }
    }
    rows
}

/// The size class of a call of `kernel` over `len` elements.
pub fn size_class(kernel: Kernel, dtype: Dtype, len: usize) -> SizeClass {
    SizeClass::of_bytes(bytes_touched(kernel, dtype, len))
}

/// The ISA a single-threaded call of `kernel` on `len` elements of `dtype`
/// runs on this thread now: [`plan`]'s ISA without the thread policy (the
/// serial entry points call this once per call).
#[inline]
pub fn isa_for(kernel: Kernel, dtype: Dtype, len: usize) -> Isa {
    isa_in(kernel, dtype, size_class(kernel, dtype, len))
}

/// [`isa_for`] for a call already known to fall in `class` (the serial
/// reductions also need the class for [`fetch_in`], so they compute it once).
#[inline]
pub(crate) fn isa_in(kernel: Kernel, dtype: Dtype, class: SizeClass) -> Isa {
    match simdpar_dispatch::selection() {
        Selection::Forced(isa, _) => isa,
        Selection::Free { ceiling, .. } => choice(kernel, dtype, class).isa.min(ceiling),
    }
}

/// The length an in-place call of `kernel` on `len` elements is planned
/// at: the out-of-place length that touches the same bytes (the output is
/// one of the inputs, so one array fewer moves), e.g. half of `len` for
/// `scale_inplace`, two thirds for `add_assign`.
pub(crate) fn in_place_len(kernel: Kernel, len: usize) -> usize {
    let arrays = bytes_touched(kernel, Dtype::F32, 1) / Dtype::F32.size_bytes();
    if arrays <= 1 {
        return len;
    }
    // u128: len * (arrays - 1) cannot overflow.
    (len as u128 * (arrays as u128 - 1) / arrays as u128) as usize
}

/// Bytes touched per element of the kernel a family's thresholds are
/// measured on (`sum`, `add`, `mandelbrot`), so that a threshold in its
/// elements applies to every kernel of the family by bytes touched.
fn representative_bytes(family: Family, dtype: Dtype) -> u64 {
    bytes_touched(family.representative(), dtype, 1) as u64
}

/// How a call of `kernel` on `len` elements of `dtype` runs on this thread
/// now (for Mandelbrot, `len` is pixels x `max_iter`): the ISA, the thread
/// count (at most what `threads` allows, 1 below the size from which threads
/// pay) and why. Every ISA and thread count gives the same bits.
///
/// Thresholds are compared in bytes touched: a family's `threads_from`
/// counts elements of its representative kernel (`sum`, `add`,
/// `mandelbrot`), so `square` (two arrays) splits from 1.5 times as many
/// elements as `add` (three), and f64 from half as many as f32.
#[inline]
pub fn plan(kernel: Kernel, dtype: Dtype, len: usize, threads: Threads) -> Plan {
    let bytes = bytes_touched(kernel, dtype, len) as u64;
    let class = SizeClass::of_bytes(bytes as usize);
    let family = kernel.family();
    let c = choice(kernel, dtype, class);
    let max = threads.max_threads();
    let threads = if let Some(n) = forced_threads() {
        n.clamp(1, max)
    } else if max > 1
        && bytes
            >= c.threads_from
                .saturating_mul(representative_bytes(family, dtype))
    {
        max
    } else {
        1
    };
    let source = if c.from_profile {
        Reason::Profile
    } else {
        Reason::Default
    };
    let chosen = if threads > 1 { c.split_isa } else { c.isa };
    let (isa, reason) = match simdpar_dispatch::selection() {
        Selection::Forced(isa, by) => (isa, Reason::Forced(by)),
        Selection::Free { ceiling, .. } if chosen > ceiling => (ceiling, Reason::Capped),
        Selection::Free { .. } => (chosen, source),
    };
    Plan {
        isa,
        threads,
        reason,
        class,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The ISA a plan must show for a free choice of `want` (or the forced
    /// ISA when the environment forces one).
    fn expected(want: Isa) -> Isa {
        match simdpar_dispatch::selection() {
            Selection::Forced(isa, _) => isa,
            Selection::Free { ceiling, .. } => want.min(ceiling),
        }
    }

    #[test]
    fn split_calls_run_the_split_isa_and_one_thread_calls_the_other() {
        for k in Kernel::ALL {
            for d in Dtype::ALL {
                for c in SizeClass::ALL {
                    let ch = choice(k, d, c);
                    let len = class_len(k, d, c);
                    let one = plan(k, d, len, Threads::AtMost(1));
                    assert_eq!(one.threads, 1);
                    assert_eq!(one.isa, expected(ch.isa), "{k:?} {d:?} {c:?} 1 thread");
                    let split = with_forced_threads(2, || plan(k, d, len, Threads::AtMost(2)));
                    if split.threads > 1 {
                        assert_eq!(split.isa, expected(ch.split_isa), "{k:?} {d:?} {c:?} split");
                    }
                }
            }
        }
    }
}
