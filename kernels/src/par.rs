//! Multi-threaded versions of every kernel (rayon), with the same results
//! bit for bit as the single-threaded ones.
//!
//! Each call resolves its kernel once on the calling thread (honouring that
//! thread's [`simdpar_dispatch::with_isa`] scope) and hands the resolved
//! function to the rayon workers; nothing is re-dispatched per chunk.
//! Inputs smaller than [`PAR_MIN_ELEMS`] ([`PAR_MIN_ELEMS_REDUCE`] for
//! reductions) run on the calling thread: on a small machine waking the
//! pool costs ~10 µs, more than the work.

use crate::error::check_len;
use crate::mandelbrot::{self, MandelbrotGrid};
use crate::map::{self, Store};
use crate::reduce::{self, generic::tree_sum_par};
use crate::{Element, KernelError};
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

/// Elements below which an elementwise kernel (or Mandelbrot-free map)
/// runs single-threaded. Measured on the 2-core reference machine
/// (`benches/threshold.rs`, `simdpar report`: serial vs split from outside
/// the pool, f32 multiply): 0.61x at 256 Ki, 1.19x at 512 Ki, 1.45x at 1 Mi.
pub const PAR_MIN_ELEMS: usize = 512 * 1024;

/// Elements below which `sum` and `row_sums` run single-threaded. A
/// reduction moves a third of the bytes per element of a binary op, so it
/// needs more elements to pay for waking the pool (f32 sum: 0.66x at
/// 512 Ki in the same measurement).
pub const PAR_MIN_ELEMS_REDUCE: usize = 2 * PAR_MIN_ELEMS;

/// Smallest piece of work handed to one task, in elements.
const MIN_CHUNK: usize = 128 * 1024;

/// Mandelbrot work (pixels x max_iter) below which it runs single-threaded.
const MANDELBROT_MIN_WORK: u64 = 1 << 20;

/// How many threads a parallel kernel may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Threads {
    /// Rayon's global pool (one thread per CPU unless `RAYON_NUM_THREADS`
    /// says otherwise); small inputs stay on the calling thread.
    #[default]
    Auto,
    /// At most this many threads (`AtMost(1)`: the calling thread only;
    /// 0 is treated as 1).
    AtMost(usize),
}

impl Threads {
    /// The largest number of threads this setting allows.
    pub fn max_threads(self) -> usize {
        match self {
            Threads::Auto => rayon::current_num_threads(),
            Threads::AtMost(n) => n.max(1),
        }
    }
}

/// A rayon pool of exactly `n` threads, made once per `n`.
fn pool(n: usize) -> Arc<rayon::ThreadPool> {
    static POOLS: OnceLock<Mutex<HashMap<usize, Arc<rayon::ThreadPool>>>> = OnceLock::new();
    let mut pools = POOLS
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    pools
        .entry(n)
        .or_insert_with(|| {
            Arc::new(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("simdpar-{i}"))
                    .build()
                    .expect("spawning rayon worker threads"),
            )
        })
        .clone()
}

/// Runs `f` where rayon calls use at most `threads` threads.
fn run<R: Send>(threads: Threads, f: impl FnOnce() -> R + Send) -> R {
    match threads {
        Threads::AtMost(n) if n < rayon::current_num_threads() => pool(n.max(1)).install(f),
        _ => f(),
    }
}

/// Elements per task for a streaming kernel of `n` elements.
fn chunk_len(n: usize, threads: usize) -> usize {
    (n / (4 * threads)).max(MIN_CHUNK).next_multiple_of(64)
}

fn single(n: usize, threads: Threads) -> bool {
    n < PAR_MIN_ELEMS || threads.max_threads() <= 1
}

fn single_reduce(n: usize, threads: Threads) -> bool {
    n < PAR_MIN_ELEMS_REDUCE || threads.max_threads() <= 1
}

/// [`crate::sum`] on up to `threads` threads; the same bits for any count.
pub fn sum<T: Element>(x: &[T], threads: Threads) -> T {
    let f = reduce::resolve::<T>().sum;
    if single_reduce(x.len(), threads) || x.is_empty() {
        // SAFETY: resolved for a supported ISA.
        return unsafe { f(x) };
    }
    let blocks = x.len().div_ceil(T::SUM_BLOCK);
    let leaf = chunk_len(x.len(), threads.max_threads()) / T::SUM_BLOCK;
    run(threads, || tree_sum_par(x, 0, blocks, leaf, f))
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
    let f = reduce::resolve::<T>().row_sums;
    if single_reduce(matrix.len(), threads) || cols == 0 {
        // SAFETY: resolved for a supported ISA; shape checked.
        unsafe { f(matrix, cols, out) };
        return Ok(());
    }
    let rows_per_task = chunk_len(matrix.len(), threads.max_threads()).div_ceil(cols);
    run(threads, || {
        out.par_chunks_mut(rows_per_task)
            .zip(matrix.par_chunks(rows_per_task * cols))
            // SAFETY: as above; each chunk pairs whole rows with their sums.
            .for_each(|(o, m)| unsafe { f(m, cols, o) });
    });
    Ok(())
}

/// Runs an out-of-place binary kernel in chunks.
fn binary<T: Element>(
    f: unsafe fn(&[T], &[T], &mut [T], Store),
    a: &[T],
    b: &[T],
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    check_len("b", a.len(), b.len())?;
    check_len("out", a.len(), out.len())?;
    let store = map::store_for::<T>(out.len());
    if single(out.len(), threads) {
        // SAFETY: `f` was resolved for a supported ISA; lengths checked.
        unsafe { f(a, b, out, store) };
        return Ok(());
    }
    let c = chunk_len(out.len(), threads.max_threads());
    run(threads, || {
        out.par_chunks_mut(c)
            .zip(a.par_chunks(c).zip(b.par_chunks(c)))
            // SAFETY: as above, on matching chunks.
            .for_each(|(o, (x, y))| unsafe { f(x, y, o, store) });
    });
    Ok(())
}

/// Runs an out-of-place unary kernel with a parameter in chunks.
fn unary<T: Element>(
    f: unsafe fn(&[T], T, &mut [T], Store),
    x: &[T],
    p: T,
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    check_len("out", x.len(), out.len())?;
    let store = map::store_for::<T>(out.len());
    if single(out.len(), threads) {
        // SAFETY: `f` was resolved for a supported ISA; lengths checked.
        unsafe { f(x, p, out, store) };
        return Ok(());
    }
    let c = chunk_len(out.len(), threads.max_threads());
    run(threads, || {
        out.par_chunks_mut(c)
            .zip(x.par_chunks(c))
            // SAFETY: as above, on matching chunks.
            .for_each(|(o, x)| unsafe { f(x, p, o, store) });
    });
    Ok(())
}

/// Runs an in-place unary kernel with a parameter in chunks.
fn inplace<T: Element>(f: unsafe fn(&mut [T], T), x: &mut [T], p: T, threads: Threads) {
    if single(x.len(), threads) {
        // SAFETY: `f` was resolved for a supported ISA.
        unsafe { f(x, p) };
        return;
    }
    let c = chunk_len(x.len(), threads.max_threads());
    // SAFETY: as above, chunk by chunk.
    run(threads, || {
        x.par_chunks_mut(c).for_each(|x| unsafe { f(x, p) })
    });
}

/// Runs an in-place binary kernel in chunks.
fn assign<T: Element>(
    f: unsafe fn(&mut [T], &[T]),
    a: &mut [T],
    b: &[T],
    threads: Threads,
) -> Result<(), KernelError> {
    check_len("b", a.len(), b.len())?;
    if single(a.len(), threads) {
        // SAFETY: `f` was resolved for a supported ISA; lengths checked.
        unsafe { f(a, b) };
        return Ok(());
    }
    let c = chunk_len(a.len(), threads.max_threads());
    run(threads, || {
        a.par_chunks_mut(c)
            .zip(b.par_chunks(c))
            // SAFETY: as above, on matching chunks.
            .for_each(|(a, b)| unsafe { f(a, b) });
    });
    Ok(())
}

/// [`crate::add`] on up to `threads` threads.
pub fn add<T: Element>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    binary(map::resolve::<T>().add, a, b, out, threads)
}

/// [`crate::multiply`] on up to `threads` threads.
pub fn multiply<T: Element>(
    a: &[T],
    b: &[T],
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    binary(map::resolve::<T>().multiply, a, b, out, threads)
}

/// [`crate::add_assign`] on up to `threads` threads.
pub fn add_assign<T: Element>(a: &mut [T], b: &[T], threads: Threads) -> Result<(), KernelError> {
    assign(map::resolve::<T>().add_assign, a, b, threads)
}

/// [`crate::multiply_assign`] on up to `threads` threads.
pub fn multiply_assign<T: Element>(
    a: &mut [T],
    b: &[T],
    threads: Threads,
) -> Result<(), KernelError> {
    assign(map::resolve::<T>().multiply_assign, a, b, threads)
}

/// [`crate::square`] on up to `threads` threads.
pub fn square<T: Element>(x: &[T], out: &mut [T], threads: Threads) -> Result<(), KernelError> {
    let f = map::resolve::<T>().square;
    check_len("out", x.len(), out.len())?;
    let store = map::store_for::<T>(out.len());
    if single(out.len(), threads) {
        // SAFETY: resolved for a supported ISA; lengths checked.
        unsafe { f(x, out, store) };
        return Ok(());
    }
    let c = chunk_len(out.len(), threads.max_threads());
    run(threads, || {
        out.par_chunks_mut(c)
            .zip(x.par_chunks(c))
            // SAFETY: as above, on matching chunks.
            .for_each(|(o, x)| unsafe { f(x, o, store) });
    });
    Ok(())
}

/// [`crate::square_inplace`] on up to `threads` threads.
pub fn square_inplace<T: Element>(x: &mut [T], threads: Threads) {
    let f = map::resolve::<T>().square_inplace;
    if single(x.len(), threads) {
        // SAFETY: resolved for a supported ISA.
        unsafe { f(x) };
        return;
    }
    let c = chunk_len(x.len(), threads.max_threads());
    // SAFETY: as above, chunk by chunk.
    run(threads, || {
        x.par_chunks_mut(c).for_each(|x| unsafe { f(x) })
    });
}

/// [`crate::scale`] on up to `threads` threads.
pub fn scale<T: Element>(
    x: &[T],
    factor: T,
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    unary(map::resolve::<T>().scale, x, factor, out, threads)
}

/// [`crate::scale_inplace`] on up to `threads` threads.
pub fn scale_inplace<T: Element>(x: &mut [T], factor: T, threads: Threads) {
    inplace(map::resolve::<T>().scale_inplace, x, factor, threads)
}

/// [`crate::leaky_relu`] on up to `threads` threads.
pub fn leaky_relu<T: Element>(
    x: &[T],
    alpha: T,
    out: &mut [T],
    threads: Threads,
) -> Result<(), KernelError> {
    unary(map::resolve::<T>().leaky_relu, x, alpha, out, threads)
}

/// [`crate::leaky_relu_inplace`] on up to `threads` threads.
pub fn leaky_relu_inplace<T: Element>(x: &mut [T], alpha: T, threads: Threads) {
    inplace(map::resolve::<T>().leaky_relu_inplace, x, alpha, threads)
}

/// [`crate::mandelbrot`] on up to `threads` threads (rows are dealt out in
/// small groups, since their cost varies a lot).
pub fn mandelbrot<T: Element>(
    grid: &MandelbrotGrid<T>,
    out: &mut [u32],
    threads: Threads,
) -> Result<(), KernelError> {
    let n = grid.pixels()?;
    check_len("out", n, out.len())?;
    let f = mandelbrot::resolve::<T>().rows;
    let work = n as u64 * u64::from(grid.max_iter.max(1));
    let nt = threads.max_threads();
    if work < MANDELBROT_MIN_WORK || nt <= 1 || grid.height == 1 {
        // SAFETY: resolved for a supported ISA; out holds the whole image.
        unsafe { f(grid, 0, out) };
        return Ok(());
    }
    let rows_per_task = (grid.height / (16 * nt)).max(1);
    let w = grid.width;
    run(threads, || {
        out.par_chunks_mut(rows_per_task * w)
            .enumerate()
            // SAFETY: as above; chunk i holds whole rows starting at i*rows_per_task.
            .for_each(|(i, o)| unsafe { f(grid, i * rows_per_task, o) });
    });
    Ok(())
}
