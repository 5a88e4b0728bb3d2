//! The calls the tuner times: one kernel call at a fixed size over
//! prepared inputs, run on whatever ISA and thread count are in force.

use crate::mandelbrot::MandelbrotGrid;
use crate::par::{self, Threads};
use crate::vocab::Kernel;
use crate::{Element, KernelError};
use std::hint::black_box;

/// Columns of the matrices `row_sums` is tuned on (the check uses others).
const TUNE_COLS: usize = 128;
/// Mandelbrot iterations per pixel the tuner measures at.
const TUNE_ITERS: u32 = 128;

/// A kernel call at a fixed size, on whatever ISA and threads are in force.
pub(super) trait Bench {
    /// Makes the call once, split across at most `threads`.
    fn call(&mut self, threads: Threads);
}

struct SumBench<T>(Vec<T>);
impl<T: Element> Bench for SumBench<T> {
    fn call(&mut self, threads: Threads) {
        black_box(par::sum(&self.0, threads));
    }
}

struct AddBench<T>(Vec<T>, Vec<T>, Vec<T>);
impl<T: Element> Bench for AddBench<T> {
    fn call(&mut self, threads: Threads) {
        let r: Result<(), KernelError> = par::add(&self.0, &self.1, &mut self.2, threads);
        black_box(r.is_ok());
    }
}

struct RowSumsBench<T>(Vec<T>, usize, Vec<T>);
impl<T: Element> Bench for RowSumsBench<T> {
    fn call(&mut self, threads: Threads) {
        let r = par::row_sums(&self.0, self.1, &mut self.2, threads);
        black_box(r.is_ok());
    }
}

struct MulBench<T>(Vec<T>, Vec<T>, Vec<T>);
impl<T: Element> Bench for MulBench<T> {
    fn call(&mut self, threads: Threads) {
        let r: Result<(), KernelError> = par::multiply(&self.0, &self.1, &mut self.2, threads);
        black_box(r.is_ok());
    }
}

/// `scale` (`Scale`), `square` (`Square`), `leaky_relu` (`LeakyRelu`)
/// out of place, or `scale_inplace` (`in_place`).
struct UnaryBench<T> {
    kernel: Kernel,
    in_place: bool,
    x: Vec<T>,
    out: Vec<T>,
}
impl<T: Element> Bench for UnaryBench<T> {
    fn call(&mut self, threads: Threads) {
        let f = T::from_f64(1.0);
        if self.in_place {
            par::scale_inplace(&mut self.x, f, threads);
            return;
        }
        let r = match self.kernel {
            Kernel::Square => par::square(&self.x, &mut self.out, threads),
            Kernel::LeakyRelu => {
                par::leaky_relu(&self.x, T::from_f64(0.01), &mut self.out, threads)
            }
            _ => par::scale(&self.x, f, &mut self.out, threads),
        };
        black_box(r.is_ok());
    }
}

struct MandelBench<T>(MandelbrotGrid<T>, Vec<u32>);
impl<T: Element> Bench for MandelBench<T> {
    fn call(&mut self, threads: Threads) {
        let r = par::mandelbrot(&self.0, &mut self.1, threads);
        black_box(r.is_ok());
    }
}

/// `n` values of `T` in [-100, 150), varied by `seed`: inputs with no
/// special values, so every ISA runs its usual path.
pub(super) fn filled<T: Element>(n: usize, seed: usize) -> Vec<T> {
    (0..n)
        .map(|i| T::from_f64(((i * 7 + seed) % 1000) as f64 * 0.25 - 100.0))
        .collect()
}

/// A call of `kernel` (`scale_inplace` when `in_place`) over `len`
/// elements (work for Mandelbrot, at `iters` iterations; `cols` columns
/// for `row_sums`).
pub(super) fn bench_of<T: Element>(
    kernel: Kernel,
    len: usize,
    in_place: bool,
    cols: usize,
    iters: u32,
) -> Box<dyn Bench> {
    match kernel {
        Kernel::Sum => Box::new(SumBench(filled::<T>(len, 1))),
        Kernel::RowSums => {
            let rows = (len / cols).max(1);
            Box::new(RowSumsBench(
                filled::<T>(rows * cols, 1),
                cols,
                vec![T::ZERO; rows],
            ))
        }
        Kernel::Add => Box::new(AddBench(
            filled::<T>(len, 1),
            filled::<T>(len, 2),
            vec![T::ZERO; len],
        )),
        Kernel::Multiply => Box::new(MulBench(
            filled::<T>(len, 1),
            filled::<T>(len, 2),
            vec![T::ZERO; len],
        )),
        Kernel::Square | Kernel::Scale | Kernel::LeakyRelu => Box::new(UnaryBench {
            kernel,
            in_place,
            x: filled::<T>(len, 1),
            out: if in_place {
                Vec::new()
            } else {
                vec![T::ZERO; len]
            },
        }),
        Kernel::Mandelbrot => {
            let side = ((len / iters as usize) as f64).sqrt().ceil().max(8.0) as usize;
            let grid = MandelbrotGrid {
                max_iter: iters,
                ..MandelbrotGrid::<T>::new(side, side)
            };
            Box::new(MandelBench(grid, vec![0; side * side]))
        }
    }
}

/// The call the tuner measures `kernel` on.
pub(super) fn bench_for<T: Element>(kernel: Kernel, len: usize) -> Box<dyn Bench> {
    bench_of::<T>(kernel, len, false, TUNE_COLS, TUNE_ITERS)
}
