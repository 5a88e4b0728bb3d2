//! What runs a kernel call: which ISA, on how many threads, and why.
//!
//! Precedence, highest first:
//!
//! 1. **Forced**: a thread's [`simdpar_dispatch::with_isa`] scope, then
//!    [`simdpar_dispatch::set_isa`], then `SIMDPAR_ISA`: one ISA for every
//!    kernel and size.
//! 2. **Capped**: `SIMDPAR_MAX_ISA` / `SIMDPAR_DISABLE_ISA` lower or thin
//!    the set the next two may pick from.
//! 3. **Profile**: a tuned profile for this CPU (`simdpar tune`, [`tune`];
//!    the type, its file and which one is in force: [`profile`]) per kernel
//!    group x dtype x size class (`sum`, `row_sums`, `add` for the
//!    two-input maps, `scale` for the one-input maps, `mandelbrot`; an
//!    older profile's family entries apply to every kernel of the family;
//!    see [`profile::AppliesTo`]).
//! 4. **Default**: the built-in choice per kernel x dtype x size class
//!    ([`default_choice`]); its evidence is in `docs/measurements.md`.
//!
//! Every size rule (size class, threads, non-temporal stores, the store
//! loop, prefetching, `sum`'s interleaved streams) is taken on the bytes a call touches (inputs and
//! outputs) against the cache sizes in [`Rules`], which come from this
//! CPU's CPUID ([`Caches::this_cpu`]); [`plan_with`] and [`store_with`]
//! take other caches, as a test's fake CPU has.
//!
//! The ISA and the thread threshold come from the same source (profile or
//! default); [`Threads::AtMost`] and the logical CPU count bound the
//! threads. The choices are resolved once per process (again after
//! [`profile::set_profile`]) into a small table; a call costs a
//! size-class lookup.

mod defaults;
pub(crate) mod limit;
pub mod profile;
mod size_class;
pub mod tune;

use crate::vocab::{Dtype, Family, Fetch, Kernel, Store, Streams};
use profile::Profile;
use simdpar_dispatch::{ForcedBy, Isa, Selection};
use std::cell::Cell;
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

pub use defaults::{
    ENV_NT_THRESHOLD, READ_STREAMS_FROM_BYTES, READ_STREAMS_UP_TO_BYTES, default_choice,
    default_choice_with, default_read_streams, is_zen4, nt_threshold_bytes, prefetch_in_dram,
};
pub(crate) use defaults::{MAP_THREADS_FROM, REDUCE_THREADS_FROM, env_nt_threshold};
pub use limit::Threads;
pub use size_class::SizeClass;

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
    /// Bytes touched (inputs and outputs) from which threads pay
    /// (`u64::MAX`: never).
    pub threads_from_bytes: u64,
    /// From the profile (else the built-in default).
    pub from_profile: bool,
}

/// The cache sizes every size rule is taken against (bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Caches {
    /// The level-1 data cache of one core.
    pub l1d: usize,
    /// One core's L2.
    pub l2: usize,
    /// The last-level cache (at least `l2`).
    pub llc: usize,
}

impl Caches {
    /// This CPU's caches, from CPUID (conservative sizes where it does not
    /// report them: see [`simdpar_dispatch::cache_limits_of`]).
    pub fn this_cpu() -> Caches {
        let (l2, llc) = simdpar_dispatch::cache_limits();
        Caches {
            l1d: simdpar_dispatch::l1_data_bytes(),
            l2,
            llc,
        }
    }

    /// The caches of a described CPU (a real one or a test's fake).
    pub fn of(info: &simdpar_dispatch::CpuInfo) -> Caches {
        let (l2, llc) = simdpar_dispatch::cache_limits_of(info);
        Caches {
            l1d: simdpar_dispatch::l1_data_bytes_of(info),
            l2,
            llc,
        }
    }

    /// The size class of a call touching `bytes`.
    #[inline]
    pub fn class_of(&self, bytes: usize) -> SizeClass {
        SizeClass::of_bytes_within(bytes, self.l2, self.llc)
    }
}

/// Every size threshold of the built-in rules for one set of caches, in
/// bytes touched (inputs and outputs) unless said otherwise.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rules {
    /// The caches the rules were derived from.
    pub caches: Caches,
    /// Beyond this a call is in the `llc` class (one core's L2).
    pub cache_class_max: usize,
    /// Beyond this a call is in the `dram` class, where reductions may
    /// prefetch ahead and maps may stream (the last-level cache).
    pub llc_class_max: usize,
    /// Built-in: maps split between threads from here.
    pub map_threads_from: u64,
    /// Built-in: reductions split between threads from here.
    pub reduce_threads_from: u64,
    /// Out-of-place maps stream (non-temporal stores) only beyond this:
    /// the output and its inputs cannot stay in the last-level cache.
    pub streaming_above: usize,
    /// Built-in output bytes (not touched) from which a two-input map
    /// streams: the smallest output whose call outgrows the LLC.
    pub nt_output_bytes: usize,
    /// One-input out-of-place maps write a cache line per loop step
    /// ([`Store::ByLine`]) above the first and up to the second.
    pub by_line: (usize, usize),
}

impl Rules {
    /// The built-in rules for `caches`.
    pub fn for_caches(caches: Caches) -> Rules {
        Rules {
            caches,
            cache_class_max: caches.l2,
            llc_class_max: caches.llc,
            map_threads_from: defaults::map_threads_from_bytes(&caches),
            reduce_threads_from: defaults::reduce_threads_from_bytes(&caches),
            streaming_above: caches.llc,
            nt_output_bytes: caches.llc / 3 + 1,
            by_line: (caches.l1d, caches.l2 / 4),
        }
    }
}

/// Choices for every kernel x dtype x class, the non-temporal store
/// threshold, the DRAM read policy of reductions and `sum`'s stream count,
/// per dtype, and the rules of the caches they were resolved for.
pub(crate) struct Table {
    cells: [[[Choice; 3]; 2]; Kernel::ALL.len()],
    /// Output bytes from which maps stream, per [one input, two inputs] x
    /// dtype.
    nt_bytes: [[usize; 2]; 2],
    /// `SIMDPAR_NT_THRESHOLD` was set: its threshold alone decides.
    nt_forced: bool,
    prefetch_dram: [bool; 2],
    /// The profile's stream count of `sum` per dtype (`None`: the built-in
    /// count of the ISA that runs, [`default_read_streams`]).
    read_streams: [Option<Streams>; 2],
    rules: Rules,
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

/// The best supported ISA at or below `isa` (scalar at worst).
fn supported_at_or_below(isa: Isa) -> Isa {
    simdpar_dispatch::available_isas()
        .into_iter()
        .rfind(|&i| i <= isa)
        .unwrap_or(Isa::Scalar)
}

impl Table {
    /// The table for `profile` on a CPU with `caches`.
    pub(crate) fn build(profile: Option<&Profile>, caches: Caches) -> Table {
        let rules = Rules::for_caches(caches);
        let mut t = [[[default_choice_with(&rules, Kernel::Sum, Dtype::F32, SizeClass::Cache); 3];
            2]; Kernel::ALL.len()];
        for k in Kernel::ALL {
            for d in Dtype::ALL {
                for c in SizeClass::ALL {
                    let tuned = profile.and_then(|p| p.entry_for(k, d, c));
                    let choice = match tuned {
                        Some((applies, tuned)) => Choice {
                            isa: supported_at_or_below(tuned.isa),
                            split_isa: supported_at_or_below(tuned.split_isa),
                            threads_from_bytes: tuned.threads_from.map_or(u64::MAX, |n| {
                                let per = bytes_touched(applies.measured_on(), d, 1);
                                n.saturating_mul(per as u64)
                            }),
                            from_profile: true,
                        },
                        None => default_choice_with(&rules, k, d, c),
                    };
                    t[kernel_index(k)][dtype_index(d)][c.index()] = choice;
                }
            }
        }
        let env_nt = env_nt_threshold();
        let nt_bytes = [Kernel::Scale, Kernel::Add].map(|k| {
            Dtype::ALL.map(|d| match (env_nt, profile.and_then(|p| p.nt_for(k, d))) {
                (Some(b), _) => b,
                (None, Some(b)) => usize::try_from(b).unwrap_or(usize::MAX),
                (None, None) => rules.nt_output_bytes,
            })
        });
        let prefetch_dram = Dtype::ALL.map(|d| {
            profile
                .and_then(|p| p.prefetch(d))
                .unwrap_or(defaults::prefetch_in_dram())
        });
        let read_streams = Dtype::ALL.map(|d| profile.and_then(|p| p.streams(d)));
        Table {
            cells: t,
            nt_bytes,
            nt_forced: env_nt.is_some(),
            prefetch_dram,
            read_streams,
            rules,
        }
    }

    fn get(&self, k: Kernel, d: Dtype, c: SizeClass) -> Choice {
        self.cells[kernel_index(k)][dtype_index(d)][c.index()]
    }

    /// Whether an out-of-place call writing `out_bytes` of `dtype` from
    /// `inputs` arrays streams: from the threshold's output bytes, and only
    /// where the arrays outgrow the last-level cache (inside it, the next
    /// reader would find the output gone); `SIMDPAR_NT_THRESHOLD` alone
    /// decides when set.
    #[inline]
    fn streams(&self, dtype: Dtype, inputs: usize, out_bytes: usize) -> bool {
        let from = self.nt_bytes[usize::from(inputs > 1)][dtype_index(dtype)];
        if self.nt_forced {
            return out_bytes >= from;
        }
        let touched = out_bytes.saturating_mul(inputs + 1);
        out_bytes >= from && touched > self.rules.streaming_above
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

/// How many [`with_table_of`] scopes are open in the process (the tuner's
/// check): while none is, a call skips the override lookup.
static OVERRIDE_SCOPES: AtomicUsize = AtomicUsize::new(0);
/// The table a [`with_table_of`] scope runs on.
static OVERRIDE: RwLock<Option<Arc<Table>>> = RwLock::new(None);

/// Runs `f` with every call in the process planned on `table` (the tuner
/// times a candidate profile against the built-in defaults this way without
/// installing either; nothing else plans meanwhile).
pub(crate) fn with_table_of<R>(table: &Arc<Table>, f: impl FnOnce() -> R) -> R {
    struct Restore(Option<Arc<Table>>);
    impl Drop for Restore {
        fn drop(&mut self) {
            *OVERRIDE.write().unwrap_or_else(|p| p.into_inner()) = self.0.take();
            OVERRIDE_SCOPES.fetch_sub(1, Ordering::SeqCst);
        }
    }
    let previous = OVERRIDE
        .write()
        .unwrap_or_else(|p| p.into_inner())
        .replace(table.clone());
    OVERRIDE_SCOPES.fetch_add(1, Ordering::SeqCst);
    let _restore = Restore(previous);
    f()
}

/// Runs `f` on the table for the profile in force.
#[inline]
fn with_table<R>(f: impl FnOnce(&Table) -> R) -> R {
    static FILE: OnceLock<Table> = OnceLock::new();
    static INSTALLED: RwLock<Option<(u64, Arc<Table>)>> = RwLock::new(None);
    if OVERRIDE_SCOPES.load(Ordering::Relaxed) != 0 {
        let t = OVERRIDE.read().unwrap_or_else(|p| p.into_inner()).clone();
        if let Some(t) = t {
            return f(&t);
        }
    }
    let generation = profile::profile_generation();
    if generation == 0 {
        return f(FILE.get_or_init(|| {
            Table::build(profile::active_profile().0.as_deref(), Caches::this_cpu())
        }));
    }
    {
        let installed = INSTALLED.read().unwrap_or_else(|p| p.into_inner());
        if let Some((g, t)) = installed.as_ref()
            && *g == generation
        {
            return f(t);
        }
    }
    let table = Arc::new(Table::build(
        profile::active_profile().0.as_deref(),
        Caches::this_cpu(),
    ));
    *INSTALLED.write().unwrap_or_else(|p| p.into_inner()) = Some((generation, table.clone()));
    f(&table)
}

/// The rules in force (this CPU's caches).
pub fn rules() -> Rules {
    with_table(|t| t.rules)
}

/// The resolved choice (profile or default, before caps and forcing) for a
/// kernel x dtype x class.
#[inline]
pub fn choice(kernel: Kernel, dtype: Dtype, class: SizeClass) -> Choice {
    with_table(|t| t.get(kernel, dtype, class))
}

/// Output bytes from which two-input out-of-place maps (`add`,
/// `multiply`) of `dtype` use non-temporal stores where their arrays also
/// outgrow the last-level cache: `SIMDPAR_NT_THRESHOLD` if set (then
/// alone), else the tuned profile's, else the built-in
/// [`Rules::nt_output_bytes`]. [`nt_threshold_for`] gives any kernel's.
#[inline]
pub fn nt_threshold(dtype: Dtype) -> usize {
    nt_threshold_for(Kernel::Add, dtype)
}

/// [`nt_threshold`] for the out-of-place map `kernel`: a profile may
/// measure one-input maps (`scale`) apart from two-input ones (`add`).
#[inline]
pub fn nt_threshold_for(kernel: Kernel, dtype: Dtype) -> usize {
    let two = kernel.inputs() > 1;
    with_table(|t| t.nt_bytes[usize::from(two)][dtype_index(dtype)])
}

/// How an out-of-place map reading `inputs` arrays writes `out_len`
/// elements of `dtype` (see [`store_with`]).
#[inline]
pub fn store_for(dtype: Dtype, inputs: usize, out_len: usize) -> Store {
    with_table(|t| store_in(t, dtype, inputs, out_len))
}

/// [`store_for`] on a CPU with `caches` and no profile: streaming where
/// the output reaches the threshold and the arrays outgrow the last-level
/// cache; a line per step for one-input calls between L1 and a quarter of
/// L2; the four-vector loop otherwise.
pub fn store_with(caches: Caches, dtype: Dtype, inputs: usize, out_len: usize) -> Store {
    store_in(&Table::build(None, caches), dtype, inputs, out_len)
}

#[inline]
pub(crate) fn store_in(t: &Table, dtype: Dtype, inputs: usize, out_len: usize) -> Store {
    let out = out_len.saturating_mul(dtype.size_bytes());
    if t.streams(dtype, inputs, out) {
        return Store::Streaming;
    }
    let touched = out.saturating_mul(inputs + 1);
    let (above, upto) = t.rules.by_line;
    if inputs == 1 && touched > above && touched <= upto {
        Store::ByLine
    } else {
        Store::Cached
    }
}

/// How a reduction of `dtype` whose call (all threads together) falls in
/// `class` reads its input: [`Fetch::Ahead`] beyond the last-level cache
/// when the tuned profile (else the built-in default,
/// [`prefetch_in_dram`]) says prefetching pays there, else
/// [`Fetch::OnDemand`]. The bits are the same either way.
#[inline]
pub fn fetch_in(dtype: Dtype, class: SizeClass) -> Fetch {
    with_table(|t| fetch_in_table(t, dtype, class))
}

#[inline]
pub(crate) fn fetch_in_table(t: &Table, dtype: Dtype, class: SizeClass) -> Fetch {
    if class == SizeClass::Dram && t.prefetch_dram[dtype_index(dtype)] {
        Fetch::Ahead
    } else {
        Fetch::OnDemand
    }
}

/// How many interleaved streams `sum` of `dtype` on `isa` reads its
/// complete subtrees of at least [`READ_STREAMS_FROM_BYTES`] as, and
/// `row_sums` its rows from that size of matrix (rows far apart side by
/// side): the tuned profile's count for the dtype (measured on `sum`, on
/// the ISA the plan picks there), else the built-in count of `isa`
/// ([`default_read_streams`]). The bits are the same for every count.
#[inline]
pub fn read_streams(dtype: Dtype, isa: Isa) -> Streams {
    with_table(|t| read_streams_in(t, dtype, isa))
}

#[inline]
pub(crate) fn read_streams_in(t: &Table, dtype: Dtype, isa: Isa) -> Streams {
    t.read_streams[dtype_index(dtype)].unwrap_or(default_read_streams(isa))
}

/// [`read_streams`] for a `sum` of `bytes`: below
/// [`READ_STREAMS_FROM_BYTES`] no subtree streams, so the count does not
/// matter and the table is not looked up.
#[inline]
pub(crate) fn read_streams_for(dtype: Dtype, isa: Isa, bytes: usize) -> Streams {
    if bytes < READ_STREAMS_FROM_BYTES {
        default_read_streams(isa)
    } else {
        read_streams(dtype, isa)
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
    let Caches { l2, llc, .. } = rules().caches;
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
    /// How many streams a reduction reads its large subtrees as on the
    /// plan's ISA ([`read_streams`]; `row_sums`: one); `None` for the
    /// other families.
    pub streams: Option<Streams>,
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
                let reduce = kernel.family() == Family::Reduce;
                let fetch = reduce.then(|| fetch_in(dtype, class));
                let streams = reduce.then(|| match kernel {
                    Kernel::Sum => read_streams(dtype, plan.isa),
                    _ => Streams::One,
                });
                rows.push(PlanRow {
                    kernel,
                    dtype,
                    class,
                    len,
                    plan,
                    fetch,
                    streams,
                });
            }
        }
    }
    rows
}

/// The size class of a call of `kernel` over `len` elements.
pub fn size_class(kernel: Kernel, dtype: Dtype, len: usize) -> SizeClass {
    with_table(|t| t.rules.caches.class_of(bytes_touched(kernel, dtype, len)))
}

/// The ISA a single-threaded call of `kernel` on `len` elements of `dtype`
/// runs on this thread now: [`plan`]'s ISA without the thread policy (the
/// serial entry points call this once per call).
#[inline]
pub fn isa_for(kernel: Kernel, dtype: Dtype, len: usize) -> Isa {
    with_table(|t| {
        let class = t.rules.caches.class_of(bytes_touched(kernel, dtype, len));
        isa_in_table(t, kernel, dtype, class)
    })
}

/// The ISA and read policy of a single-threaded reduction: [`isa_for`],
/// [`fetch_in`] and [`read_streams`] from one
/// table lookup and one size class (the serial reductions call this once
/// per call).
#[inline]
pub(crate) fn serial_reduce(kernel: Kernel, dtype: Dtype, len: usize) -> (Isa, Fetch, Streams) {
    with_table(|t| serial_reduce_in(t, kernel, dtype, len))
}

#[inline]
pub(crate) fn serial_reduce_in(
    t: &Table,
    kernel: Kernel,
    dtype: Dtype,
    len: usize,
) -> (Isa, Fetch, Streams) {
    let class = t.rules.caches.class_of(bytes_touched(kernel, dtype, len));
    let isa = isa_in_table(t, kernel, dtype, class);
    let streams = match kernel {
        Kernel::Sum | Kernel::RowSums => read_streams_in(t, dtype, isa),
        _ => Streams::One,
    };
    (isa, fetch_in_table(t, dtype, class), streams)
}

/// The one-thread ISA of `kernel` in `class` under `t`, after a forced ISA
/// or a cap.
#[inline]
fn isa_in_table(t: &Table, kernel: Kernel, dtype: Dtype, class: SizeClass) -> Isa {
    match simdpar_dispatch::selection() {
        Selection::Forced(isa, _) => isa,
        Selection::Free { ceiling, .. } => t.get(kernel, dtype, class).isa.min(ceiling),
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

/// How a call of `kernel` on `len` elements of `dtype` runs on this thread
/// now (for Mandelbrot, `len` is pixels x `max_iter`): the ISA, the thread
/// count (at most what `threads` allows, 1 below the size from which threads
/// pay) and why. Every ISA and thread count gives the same bits.
///
/// Thresholds are compared in bytes touched (inputs and outputs), so
/// `square` (two arrays) splits from 1.5 times as many elements as `add`
/// (three), and f64 from half as many as f32.
#[inline]
pub fn plan(kernel: Kernel, dtype: Dtype, len: usize, threads: Threads) -> Plan {
    with_table(|t| plan_in(t, kernel, dtype, len, threads))
}

/// [`plan`] on a CPU with `caches` and no profile (the rules a fake CPU
/// gets; forcing and caps still apply).
pub fn plan_with(
    caches: Caches,
    kernel: Kernel,
    dtype: Dtype,
    len: usize,
    threads: Threads,
) -> Plan {
    plan_in(&Table::build(None, caches), kernel, dtype, len, threads)
}

#[inline]
pub(crate) fn plan_in(
    t: &Table,
    kernel: Kernel,
    dtype: Dtype,
    len: usize,
    threads: Threads,
) -> Plan {
    let bytes = bytes_touched(kernel, dtype, len) as u64;
    let class = t.rules.caches.class_of(bytes as usize);
    let c = t.get(kernel, dtype, class);
    let max = threads.max_threads();
    let threads = if let Some(n) = forced_threads() {
        n.clamp(1, max)
    } else if max > 1 && bytes >= c.threads_from_bytes {
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

/// [`fetch_in`] on a CPU with `caches` and no profile, for a call of
/// `kernel` on `len` elements.
pub fn fetch_with(caches: Caches, kernel: Kernel, dtype: Dtype, len: usize) -> Fetch {
    let t = Table::build(None, caches);
    let class = caches.class_of(bytes_touched(kernel, dtype, len));
    fetch_in_table(&t, dtype, class)
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

    /// A CPU described as CPUID would describe it, with the given caches.
    fn fake_cpu(l1d: u64, l2: u64, l3: u64) -> simdpar_dispatch::CpuInfo {
        let cache = |level, kind, size_bytes| simdpar_dispatch::CacheInfo {
            level,
            kind,
            size_bytes,
            line_bytes: 64,
            ways: 8,
            shared_by: 1,
        };
        simdpar_dispatch::CpuInfo {
            caches: vec![
                cache(1, "data", l1d),
                cache(1, "instruction", 32 << 10),
                cache(2, "unified", l2),
                cache(3, "unified", l3),
            ],
            ..simdpar_dispatch::cpu_info()
        }
    }

    /// The plan reads `sum`'s stream count from a fake profile for any CPU
    /// (here a fake one), per dtype, whatever ISA runs; without a line it
    /// is the built-in count of the ISA; `row_sums` reads as `sum` does.
    #[test]
    fn a_profile_sets_the_stream_count_of_sum_per_dtype() {
        let caches = Caches::of(&fake_cpu(32 << 10, 1 << 20, 32 << 20));
        // Built-in: 2 on AVX2, 4 on AVX-512, 1 on 128-bit paths and scalar.
        let builtin = [
            (Isa::Scalar, Streams::One),
            (Isa::Portable, Streams::One),
            (Isa::Neon, Streams::One),
            (Isa::Avx2, Streams::Two),
            (Isa::Avx512, Streams::Four),
        ];
        let none = Table::build(None, caches);
        for (isa, want) in builtin {
            assert_eq!(default_read_streams(isa), want, "{isa}");
            for d in Dtype::ALL {
                assert_eq!(read_streams_in(&none, d, isa), want, "{isa} {d}");
            }
        }
        // 64 MiB of f32: beyond the fake LLC, with 32 MiB subtrees.
        let n = (64 << 20) / 4;
        for want in Streams::ALL {
            let mut p = profile::Profile::for_this_cpu();
            p.streams.insert(Dtype::F32, want);
            let t = Table::build(Some(&p), caches);
            for isa in Isa::ALL {
                assert_eq!(read_streams_in(&t, Dtype::F32, isa), want, "{isa}");
                assert_eq!(
                    read_streams_in(&t, Dtype::F64, isa),
                    default_read_streams(isa),
                    "{isa}"
                );
            }
            let (_, _, streams) = serial_reduce_in(&t, Kernel::Sum, Dtype::F32, n);
            assert_eq!(streams, want);
            let (isa, _, streams) = serial_reduce_in(&t, Kernel::Sum, Dtype::F64, n / 2);
            assert_eq!(streams, default_read_streams(isa));
            let (_, _, streams) = serial_reduce_in(&t, Kernel::RowSums, Dtype::F32, n);
            assert_eq!(streams, want);
        }
        // Below the threshold no subtree streams: no lookup, the built-in.
        for isa in Isa::ALL {
            assert_eq!(
                read_streams_for(Dtype::F32, isa, READ_STREAMS_FROM_BYTES - 1),
                default_read_streams(isa)
            );
        }
    }

    #[test]
    fn a_cpu_with_other_caches_moves_every_threshold() {
        const KIB: usize = 1 << 10;
        const MIB: usize = 1 << 20;
        let a = Caches::of(&fake_cpu(32 << 10, 1 << 20, 32 << 20));
        let b = Caches::of(&fake_cpu(48 << 10, 2 << 20, 96 << 20));
        assert_eq!((a.l1d, a.l2, a.llc), (32 * KIB, MIB, 32 * MIB));
        let (ra, rb) = (Rules::for_caches(a), Rules::for_caches(b));
        // Every size threshold is derived from the caches.
        assert_ne!(ra.cache_class_max, rb.cache_class_max);
        assert_ne!(ra.llc_class_max, rb.llc_class_max);
        assert_ne!(ra.map_threads_from, rb.map_threads_from);
        assert_ne!(ra.reduce_threads_from, rb.reduce_threads_from);
        assert_ne!(ra.streaming_above, rb.streaming_above);
        assert_ne!(ra.nt_output_bytes, rb.nt_output_bytes);
        assert_ne!(ra.by_line.0, rb.by_line.0);
        assert_ne!(ra.by_line.1, rb.by_line.1);

        // Size class: 1.5 MiB of f32 `sum` is past A's L2, inside B's.
        let n = 3 * MIB / 2 / 4;
        assert_eq!(
            plan_with(a, Kernel::Sum, Dtype::F32, n, Threads::AtMost(1)).class,
            SizeClass::Llc
        );
        assert_eq!(
            plan_with(b, Kernel::Sum, Dtype::F32, n, Threads::AtMost(1)).class,
            SizeClass::Cache
        );

        // Threads: `sum` f32 of 5 MiB and `add` f32 of 4 MiB touched split
        // on A (4 and 3 MiB thresholds), not on B (8 and 6 MiB).
        if Threads::AtMost(2).max_threads() > 1 {
            let t = |c, k, n| plan_with(c, k, Dtype::F32, n, Threads::AtMost(2)).threads;
            assert_eq!(t(a, Kernel::Sum, 5 * MIB / 4), 2);
            assert_eq!(t(b, Kernel::Sum, 5 * MIB / 4), 1);
            assert_eq!(t(a, Kernel::Add, 4 * MIB / 12), 2);
            assert_eq!(t(b, Kernel::Add, 4 * MIB / 12), 1);
            // Per kernel by bytes touched: `square` of as many elements
            // touches two thirds of what `add` does and stays on one.
            assert_eq!(t(a, Kernel::Square, 4 * MIB / 12), 1);
        }

        if env_nt_threshold().is_none() {
            // Non-temporal stores: `add` f32 of 16 MiB out (48 MiB touched)
            // outgrows A's 32 MiB LLC, not B's 96 MiB.
            let out = 16 * MIB / 4;
            assert_eq!(store_with(a, Dtype::F32, 2, out), Store::Streaming);
            assert_eq!(store_with(b, Dtype::F32, 2, out), Store::Cached);
            // `scale` f64 of 1 Mi (8 MiB out, 16 MiB touched) stays in A's
            // LLC: cached stores, whatever its output size.
            assert_eq!(store_with(a, Dtype::F64, 1, MIB), Store::Cached);
            // Unary vs binary at one output size: 12 MiB out of f32 is
            // 36 MiB touched for `add`, 24 MiB for `scale` (A's LLC: 32).
            assert_eq!(store_with(a, Dtype::F32, 2, 3 * MIB), Store::Streaming);
            assert_eq!(store_with(a, Dtype::F32, 1, 3 * MIB), Store::Cached);
        }
        // A line per step: 40 KiB touched by a one-input map is past A's
        // L1 (32 KiB), not B's (48 KiB).
        let n = 40 * KIB / 8;
        assert_eq!(store_with(a, Dtype::F32, 1, n), Store::ByLine);
        assert_eq!(store_with(b, Dtype::F32, 1, n), Store::Cached);

        // Read policy: 40 MiB of `sum` f32 is beyond A's LLC, in B's.
        let n = 40 * MIB / 4;
        let dram = if prefetch_in_dram() {
            Fetch::Ahead
        } else {
            Fetch::OnDemand
        };
        assert_eq!(fetch_with(a, Kernel::Sum, Dtype::F32, n), dram);
        assert_eq!(fetch_with(b, Kernel::Sum, Dtype::F32, n), Fetch::OnDemand);
    }
}
