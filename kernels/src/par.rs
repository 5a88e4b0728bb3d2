//! Multi-threaded versions of every kernel, with the same results bit for
//! bit as the single-threaded ones.
//!
//! Each call makes a [`crate::plan()`] on the calling thread: which ISA runs
//! (honouring that thread's [`simdpar_dispatch::with_isa`] scope, the
//! environment, the tuned profile and the built-in defaults) and on how many
//! threads (from which size threads pay, per kernel family, dtype and size
//! class). The resolved function is handed to the workers; nothing is
//! re-dispatched per chunk.
//!
//! The runtime is simdpar's own small pool (`par/pool.rs`): the calling
//! thread works too, work is cut into items claimed through an atomic
//! counter (a descheduled helper holds at most the item it claimed),
//! Mandelbrot rows are claimed in small batches (their cost varies a lot),
//! and a child process made by `fork` builds a pool of its own on its first
//! parallel call instead of waiting for threads that do not exist there.
//!
//! # Runtimes and the thread limit
//!
//! With the `rayon` feature, a call made on a rayon worker thread runs its
//! chunks on that rayon pool instead (no simdpar thread starts), and
//! [`set_runtime`] (or `SIMDPAR_RUNTIME=rayon`) sends calls made elsewhere
//! there too; see [`Runtime`] for when to choose which (rayon's pool does
//! not survive `fork`). [`set_max_threads`] (or `SIMDPAR_NUM_THREADS`)
//! caps [`Threads::Auto`] process-wide. Every runtime and thread count
//! gives the same bits.

mod claims;
mod pool;
#[cfg(feature = "rayon")]
mod rayon;
pub(crate) mod split;

pub use crate::plan::Threads;
pub use crate::plan::limit::{
    ENV_NUM_THREADS, ENV_RUNTIME, EnvError, Runtime, RuntimeUnavailable, check_env, max_threads,
    runtime, set_max_threads, set_runtime, thread_limit,
};

use crate::error::check_len;
use crate::mandelbrot::{self, MandelbrotGrid};
use crate::map;
use crate::plan::{Plan, plan};
use crate::reduce;
use crate::vocab::{Kernel, Store};
use crate::{Element, KernelError};

/// The built-in size from which an elementwise kernel splits between
/// threads where no tuned profile says otherwise, in elements of f32 `add`:
/// [`crate::plan()`] compares bytes touched (here 3 MiB), so other kernels
/// and dtypes split at the same bytes (the policy in force per size class
/// is in [`crate::plan::plans`]).
pub const PAR_MIN_ELEMS: usize = crate::plan::MAP_THREADS_FROM as usize;

/// The built-in size from which `sum` and `row_sums` split between threads
/// where no tuned profile says otherwise, in elements of f32 (4 MiB; f64
/// splits from half as many elements).
pub const PAR_MIN_ELEMS_REDUCE: usize = crate::plan::REDUCE_THREADS_FROM as usize;

/// [`crate::sum`] on up to `threads` threads; the same bits for any count.
pub fn sum<T: Element>(x: &[T], threads: Threads) -> T {
    let p = plan(Kernel::Sum, T::DTYPE, x.len(), threads);
    let f = reduce::table_for::<T>(p.isa).sum;
    split::tree_sum(x, p.threads, f, crate::plan::fetch_in(T::DTYPE, p.class))
}

/// [`crate::row_sums`] on up to `threads` threads (rows are split between
/// threads; each row is summed by one thread).
pub fn row_sums<T: Element>(
    matrix: &[T],
    cols: usize,
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    reduce::check_matrix(matrix.len(), out.len(), cols)?;
    let p = plan(Kernel::RowSums, T::DTYPE, matrix.len(), threads);
    let f = reduce::table_for::<T>(p.isa).row_sums;
    let fetch = crate::plan::fetch_in(T::DTYPE, p.class);
    if p.threads <= 1 || cols == 0 || out.len() < 2 {
        // SAFETY: resolved for a supported ISA; shape checked.
        unsafe { f(matrix, cols, out, fetch) };
        return Ok(());
    }
    let rows = split::chunk_len(matrix.len(), p.threads).div_ceil(cols);
    let items: Vec<_> = out
        .chunks_mut(rows)
        .zip(matrix.chunks(rows * cols))
        .collect();
    // SAFETY: as above; each item pairs whole rows with their sums.
    pool::map_items(items, p.threads, |(o, m)| unsafe { f(m, cols, o, fetch) });
    Ok(())
}

/// Runs `f` on `items` on up to `threads` threads the way the kernels run
/// their pieces (simdpar's pool, or rayon where the runtime says): for
/// code that must schedule exactly as a kernel does (the bandwidth probes).
pub(crate) fn run_items<I: Send>(items: Vec<I>, threads: usize, f: impl Fn(I) + Sync) {
    pool::map_items(items, threads, f);
}

/// Runs `f` on the items `cut(len)` yields, where `len` is the elements per
/// item: the whole range as one item on the calling thread when the plan
/// says one thread (no allocation, no pool), else claimed chunks on the
/// pool.
fn chunked<I: Send, It: Iterator<Item = I>>(
    p: &Plan,
    n: usize,
    cut: impl FnOnce(usize) -> It,
    f: impl Fn(I) + Sync,
) {
    if p.threads <= 1 {
        cut(n.max(1)).for_each(f);
    } else {
        let items: Vec<I> = cut(split::chunk_len(n, p.threads)).collect();
        pool::map_items(items, p.threads, f);
    }
}

/// The plan of an elementwise call and its family's kernels for that plan.
fn map_plan<T: Element>(
    kernel: Kernel,
    n: usize,
    threads: Threads,
) -> (Plan, &'static map::MapTable<T>) {
    let p = plan(kernel, T::DTYPE, n, threads);
    (p, map::table_for::<T>(p.isa))
}

/// [`map_plan`] for an in-place call on `n` elements (planned at
/// [`crate::plan::in_place_len`]: one array fewer moves).
fn map_plan_in_place<T: Element>(
    kernel: Kernel,
    n: usize,
    threads: Threads,
) -> (Plan, &'static map::MapTable<T>) {
    map_plan::<T>(kernel, crate::plan::in_place_len(kernel, n), threads)
}

/// An out-of-place binary kernel of a map table.
type BinaryFn<T> = unsafe fn(&[T], &[T], &mut [T], Store);
/// An in-place binary kernel of a map table.
type AssignFn<T> = unsafe fn(&mut [T], &[T]);

/// Runs an out-of-place binary kernel in chunks.
fn binary<T: Element>(
    kernel: Kernel,
    pick: fn(&map::MapTable<T>) -> BinaryFn<T>,
    a: &[T],
    b: &[T],
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    check_len("b", a.len(), b.len())?;
    check_len("out", a.len(), out.len())?;
    let n = out.len();
    let (p, t) = map_plan::<T>(kernel, n, threads);
    let f = pick(t);
    let store = map::store_for_arrays::<T>(n, 2);
    chunked(
        &p,
        n,
        |c| out.chunks_mut(c).zip(a.chunks(c).zip(b.chunks(c))),
        // SAFETY: `f` was resolved for a supported ISA; chunks match.
        |(o, (x, y))| unsafe { f(x, y, o, store) },
    );
    Ok(())
}

/// Runs an out-of-place unary kernel in chunks (`f` gets input, output and
/// store policy).
fn unary<T: Element>(
    p: &Plan,
    f: impl Fn(&[T], &mut [T], Store) + Sync,
    x: &[T],
    out: &mut [T],
) -> Result<(), KernelError> {
    check_len("out", x.len(), out.len())?;
    let n = out.len();
    let store = map::store_for_arrays::<T>(n, 1);
    chunked(
        p,
        n,
        |c| out.chunks_mut(c).zip(x.chunks(c)),
        |(o, x)| f(x, o, store),
    );
    Ok(())
}

/// Runs an in-place kernel in chunks.
fn inplace<T: Element>(p: &Plan, f: impl Fn(&mut [T]) + Sync, x: &mut [T]) {
    let n = x.len();
    chunked(p, n, |c| x.chunks_mut(c), f);
}

/// Runs an in-place binary kernel in chunks.
fn assign<T: Element>(
    kernel: Kernel,
    pick: fn(&map::MapTable<T>) -> AssignFn<T>,
    a: &mut [T],
    b: &[T],
    threads: Threads,
) -> Result<(), KernelError> {
    check_len("b", a.len(), b.len())?;
    let n = a.len();
    let (p, t) = map_plan_in_place::<T>(kernel, n, threads);
    let f = pick(t);
    chunked(
        &p,
        n,
        |c| a.chunks_mut(c).zip(b.chunks(c)),
        // SAFETY: `f` was resolved for a supported ISA; chunks match.
        |(a, b)| unsafe { f(a, b) },
    );
    Ok(())
}

/// [`crate::add`] on up to `threads` threads.
pub fn add<T: Element>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    binary(Kernel::Add, |t| t.add, a, b, out, threads)
}

/// [`crate::multiply`] on up to `threads` threads.
pub fn multiply<T: Element>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    binary(Kernel::Multiply, |t| t.multiply, a, b, out, threads)
}

/// [`crate::add_assign`] on up to `threads` threads.
pub fn add_assign<T: Element>(a: &mut [T], b: &[T], threads: Threads) -> Result<(), KernelError> {
    assign(Kernel::Add, |t| t.add_assign, a, b, threads)
}

/// [`crate::multiply_assign`] on up to `threads` threads.
pub fn multiply_assign<T: Element>(
    a: &mut [T],
    b: &[T],
    threads: Threads,
) -> Result<(), KernelError> {
    assign(Kernel::Multiply, |t| t.multiply_assign, a, b, threads)
}

/// [`crate::square`] on up to `threads` threads.
pub fn square<T: Element>(x: &[T], out: &mut [T], threads: Threads) -> Result<(), KernelError> {
    let (p, t) = map_plan::<T>(Kernel::Square, x.len(), threads);
    let f = t.square;
    // SAFETY: resolved for a supported ISA; chunks match.
    unary(&p, |x: &[T], o: &mut [T], s| unsafe { f(x, o, s) }, x, out)
}

/// [`crate::square_inplace`] on up to `threads` threads.
pub fn square_inplace<T: Element>(x: &mut [T], threads: Threads) {
    let (p, t) = map_plan_in_place::<T>(Kernel::Square, x.len(), threads);
    let f = t.square_inplace;
    // SAFETY: resolved for a supported ISA.
    inplace(&p, |x: &mut [T]| unsafe { f(x) }, x)
}

/// [`crate::scale`] on up to `threads` threads.
pub fn scale<T: Element>(
    x: &[T],
    factor: T,
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    let (p, t) = map_plan::<T>(Kernel::Scale, x.len(), threads);
    let f = t.scale;
    // SAFETY: resolved for a supported ISA; chunks match.
    unary(
        &p,
        |x: &[T], o: &mut [T], s| unsafe { f(x, factor, o, s) },
        x,
        out,
    )
}

/// [`crate::scale_inplace`] on up to `threads` threads.
pub fn scale_inplace<T: Element>(x: &mut [T], factor: T, threads: Threads) {
    let (p, t) = map_plan_in_place::<T>(Kernel::Scale, x.len(), threads);
    let f = t.scale_inplace;
    // SAFETY: resolved for a supported ISA.
    inplace(&p, |x: &mut [T]| unsafe { f(x, factor) }, x)
}

/// [`crate::leaky_relu`] on up to `threads` threads.
pub fn leaky_relu<T: Element>(
    x: &[T],
    alpha: T,
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    let (p, t) = map_plan::<T>(Kernel::LeakyRelu, x.len(), threads);
    let f = t.leaky_relu;
    // SAFETY: resolved for a supported ISA; chunks match.
    unary(
        &p,
        |x: &[T], o: &mut [T], s| unsafe { f(x, alpha, o, s) },
        x,
        out,
    )
}

/// [`crate::leaky_relu_inplace`] on up to `threads` threads.
pub fn leaky_relu_inplace<T: Element>(x: &mut [T], alpha: T, threads: Threads) {
    let (p, t) = map_plan_in_place::<T>(Kernel::LeakyRelu, x.len(), threads);
    let f = t.leaky_relu_inplace;
    // SAFETY: resolved for a supported ISA.
    inplace(&p, |x: &mut [T]| unsafe { f(x, alpha) }, x)
}

/// [`crate::mandelbrot()`] on up to `threads` threads: rows are claimed in
/// small batches, so a thread that drew cheap rows simply claims more.
/// The plan's size is the work, pixels x `max_iter`.
pub fn mandelbrot<T: Element>(
    grid: &MandelbrotGrid<T>,
    out: &mut [u32],
    threads: Threads,
) -> Result<(), KernelError> {
    let n = grid.pixels()?;
    check_len("out", n, out.len())?;
    let work = n.saturating_mul(grid.max_iter.max(1) as usize);
    let p = plan(Kernel::Mandelbrot, T::DTYPE, work, threads);
    let f = mandelbrot::table_for::<T>(p.isa).rows;
    if p.threads <= 1 || grid.height == 1 {
        // SAFETY: resolved for a supported ISA; out holds the whole image.
        unsafe { f(grid, 0, out) };
        return Ok(());
    }
    let rows = split::mandelbrot_rows(grid.height, p.threads);
    let items: Vec<_> = out.chunks_mut(rows * grid.width).enumerate().collect();
    // SAFETY: as above; item i holds whole rows starting at i * rows.
    pool::map_items(items, p.threads, |(i, o)| unsafe { f(grid, i * rows, o) });
    Ok(())
}
