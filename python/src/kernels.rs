//! The simdpar kernels as Python functions on numpy arrays, and the binding
//! code the Mojo twins (`mojo.rs`) reuse.
//!
//! Every entry point validates its arguments while holding the GIL, then
//! runs the kernel with the GIL released (see [`run`]) and returns a new
//! array, or the caller's `out=`. The entry points are written once
//! ([`entry_points!`](crate::kernels::entry_points)) over an [`Engine`]: what
//! runs a checked call, simdpar's kernels ([`Kernels`]) or the twins.

use crate::array::{
    BinaryPlan, binary_args, detach_alias, dtype_arg, input, new_array, np_scalar, row_sums_args,
    same_shape, slice_at, slice_at_mut, unary_args, widen,
};
use crate::with_dt;
use numpy::npyffi::NPY_TYPES;
use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use simdpar_kernels::{Element, KernelError, MandelbrotGrid, Threads, par};
use simdpar_mojo::TwinElement;
use std::os::raw::c_int;
use std::panic::{AssertUnwindSafe, catch_unwind};

mod broadcast;

/// Elements below which a kernel runs without releasing the GIL: such a
/// call takes a few microseconds at most, releasing and re-taking the GIL
/// is a noticeable part of that, and another thread that took the GIL
/// meanwhile could keep it for the 5 ms switch interval
/// (`docs/measurements.md#gil-release-threshold`). Mandelbrot always
/// releases it.
pub const DETACH_MIN_ELEMS: usize = 65536;

/// Parses `threads=`: None is automatic, n >= 1 is at most n threads.
pub fn threads_arg(threads: Option<isize>) -> PyResult<Threads> {
    match threads {
        None => Ok(Threads::Auto),
        Some(n) if n >= 1 => Ok(Threads::AtMost(n as usize)),
        Some(n) => Err(PyValueError::new_err(format!(
            "threads must be None (automatic) or an integer >= 1, got {n}"
        ))),
    }
}

/// Maps a kernel error to ValueError.
pub fn kernel_err(e: KernelError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// Runs `f` (a kernel on slices) with the GIL released when the work is big
/// enough to pay for it; a panic becomes a RuntimeError, never a crash.
pub fn run<R: Send>(py: Python<'_>, elems: usize, f: impl FnOnce() -> R + Send) -> PyResult<R> {
    let r = if elems >= DETACH_MIN_ELEMS {
        py.detach(|| catch_unwind(AssertUnwindSafe(f)))
    } else {
        catch_unwind(AssertUnwindSafe(f))
    };
    r.map_err(|p| {
        let msg = p
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string()))
            .unwrap_or_else(|| "unknown panic".into());
        PyRuntimeError::new_err(format!("simdpar kernel failed: {msg}"))
    })
}

/// What runs a call once its arguments are checked: simdpar's kernels
/// ([`Kernels`]) or the Mojo twins. It gets slices the bindings have
/// validated (lengths and dtypes match, `out` is writeable and aliases an
/// input only as the operands say).
pub trait Engine: Sync {
    /// Whether the engine works in place when `out=` is an input; when not,
    /// such an input is copied first and the engine sees separate buffers.
    const IN_PLACE: bool;
    /// Whether the engine broadcasts binary operands of different shapes
    /// (otherwise shapes must be equal).
    const BROADCASTS: bool;
    /// The engine's error.
    type Error: Send;
    /// Maps an error to the Python exception the engine raises.
    fn error(py: Python<'_>, e: Self::Error) -> PyErr;
    /// Sum of `x`.
    fn sum<T: Real>(&self, x: &[T], threads: Threads) -> T;
    /// Runs one call that writes its output.
    fn run<T: Real>(&self, call: Call<'_, T>, threads: Threads) -> Result<(), Self::Error>;
}

/// The element types both engines take (`f32`, `f64`).
pub trait Real: Element + TwinElement {}
impl<T: Element + TwinElement> Real for T {}

/// A checked call that writes an output, as an [`Engine`] gets it.
pub enum Call<'a, T> {
    /// Row sums of the row-major matrix `m` of `cols` columns into `out`.
    RowSums {
        /// The matrix.
        m: &'a [T],
        /// Its columns.
        cols: usize,
        /// One sum per row.
        out: &'a mut [T],
    },
    /// `a + b` or `a * b`.
    Binary(Bin, BinaryOperands<'a, T>),
    /// `x * x`, `x * p` or the leaky ReLU of slope `p`, with `p`.
    Unary(Un, T, UnaryOperands<'a, T>),
    /// The iteration counts of a grid into `out` (row-major).
    Mandelbrot(&'a MandelbrotGrid<T>, &'a mut [u32]),
}

/// Which binary kernel.
#[derive(Clone, Copy, Debug)]
pub enum Bin {
    /// `a + b`.
    Add,
    /// `a * b`.
    Mul,
}

/// Which unary kernel.
#[derive(Clone, Copy, Debug)]
pub enum Un {
    /// `x * x`.
    Square,
    /// `x * factor`.
    Scale,
    /// `x if x > 0 else alpha * x`.
    Leaky,
}

/// The operands of a binary call, once `out=` aliasing is known.
pub enum BinaryOperands<'a, T> {
    /// `out = a op b`, nothing shared.
    Fresh(&'a [T], &'a [T], &'a mut [T]),
    /// `out op= other`: `out` was one of the inputs (both ops commute bit
    /// for bit).
    Into(&'a mut [T], &'a [T]),
    /// `out` was both inputs: `out = out op out`.
    Both(&'a mut [T]),
}

/// The operands of a unary call.
pub enum UnaryOperands<'a, T> {
    /// `out = op(x)`.
    Fresh(&'a [T], &'a mut [T]),
    /// `x = op(x)`: `out` was `x`.
    InPlace(&'a mut [T]),
}

/// simdpar's own kernels (`simdpar_kernels::par`), the engine of the module
/// functions `_simdpar.sum` etc.: the fixed summation order, every ISA and
/// thread count giving the same bits.
pub struct Kernels;

impl Engine for Kernels {
    const IN_PLACE: bool = true;
    const BROADCASTS: bool = true;
    type Error = KernelError;

    fn error(_: Python<'_>, e: KernelError) -> PyErr {
        kernel_err(e)
    }

    fn sum<T: Real>(&self, x: &[T], threads: Threads) -> T {
        par::sum(x, threads)
    }

    fn run<T: Real>(&self, call: Call<'_, T>, t: Threads) -> Result<(), KernelError> {
        use BinaryOperands as B;
        use UnaryOperands as U;
        match call {
            Call::RowSums { m, cols, out } => par::row_sums(m, cols, out, t),
            Call::Binary(Bin::Add, B::Fresh(a, b, out)) => par::add(a, b, out, t),
            Call::Binary(Bin::Mul, B::Fresh(a, b, out)) => par::multiply(a, b, out, t),
            Call::Binary(Bin::Add, B::Into(out, other)) => par::add_assign(out, other, t),
            Call::Binary(Bin::Mul, B::Into(out, other)) => par::multiply_assign(out, other, t),
            // x + x is exactly 2 * x (one rounding, same overflow).
            Call::Binary(Bin::Add, B::Both(x)) => {
                par::scale_inplace(x, T::from_f64(2.0), t);
                Ok(())
            }
            Call::Binary(Bin::Mul, B::Both(x)) => {
                par::square_inplace(x, t);
                Ok(())
            }
            Call::Unary(op, p, U::InPlace(x)) => {
                match op {
                    Un::Square => par::square_inplace(x, t),
                    Un::Scale => par::scale_inplace(x, p, t),
                    Un::Leaky => par::leaky_relu_inplace(x, p, t),
                }
                Ok(())
            }
            Call::Unary(Un::Square, _, U::Fresh(x, o)) => par::square(x, o, t),
            Call::Unary(Un::Scale, p, U::Fresh(x, o)) => par::scale(x, p, o, t),
            Call::Unary(Un::Leaky, p, U::Fresh(x, o)) => par::leaky_relu(x, p, o, t),
            Call::Mandelbrot(grid, out) => par::mandelbrot(grid, out, t),
        }
    }
}

/// `sum(x, threads)` on `engine`: a numpy scalar of x's dtype.
pub fn sum_call<'py, E: Engine>(
    py: Python<'py>,
    engine: &E,
    x: &Bound<'py, PyAny>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = threads_arg(threads)?;
    let ix = input("x", x)?;
    let (p, n) = (ix.ptr, ix.len);
    // SAFETY (both arms): `ix` keeps n elements alive at p for the call.
    let v = with_dt!(ix.dt, T => run(py, n, move || widen(engine.sum(unsafe { slice_at::<T>(p, n) }, t)))?);
    np_scalar(py, ix.dt, v)
}

/// `row_sums(m, out, threads)` on `engine`.
pub fn row_sums_call<'py, E: Engine>(
    py: Python<'py>,
    engine: &E,
    m: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = threads_arg(threads)?;
    let (im, o, _rows, cols) = row_sums_args(m, out)?;
    let (mp, n, op, rows) = (im.ptr, im.len, o.ptr, o.len);
    with_dt!(im.dt, T => run(py, n, move || {
        // SAFETY: `im` and `o` keep their elements alive and do not overlap
        // (checked); nothing else writes them during the call.
        let (mm, oo) = unsafe { (slice_at::<T>(mp, n), slice_at_mut::<T>(op, rows)) };
        engine.run(Call::RowSums { m: mm, cols, out: oo }, t)
    })?)
    .map_err(|e| E::error(py, e))?;
    Ok(o.arr.into_any())
}

/// Both arguments are ndarrays of one shape with at least one dimension
/// (the common case, served without broadcasting).
fn same_shape_arrays(a: &Bound<'_, PyAny>, b: &Bound<'_, PyAny>) -> bool {
    match (a.cast::<PyUntypedArray>(), b.cast::<PyUntypedArray>()) {
        (Ok(x), Ok(y)) => x.ndim() > 0 && same_shape(x, y),
        _ => false,
    }
}

/// `a op b` on `engine` (`out=` may be a separate array, or exactly `a` or
/// `b`).
pub fn binary_call<'py, E: Engine>(
    py: Python<'py>,
    engine: &E,
    op: Bin,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = threads_arg(threads)?;
    if E::BROADCASTS && !same_shape_arrays(a, b) {
        return broadcast::binary(py, op, a, b, out, t);
    }
    let (ia, ib, o, plan) = binary_args(a, b, out)?;
    // An engine that cannot work in place reads an input `out` aliases
    // through a copy (kept alive until the call returns).
    let copy = |into: BinaryPlan| !E::IN_PLACE && (plan == into || plan == BinaryPlan::IntoBoth);
    let (ap, _copy_a) = detach_alias(&ia, copy(BinaryPlan::IntoA))?;
    let (bp, _copy_b) = detach_alias(&ib, copy(BinaryPlan::IntoB))?;
    let plan = if E::IN_PLACE { plan } else { BinaryPlan::Fresh };
    let (op_, n) = (o.ptr, o.len);
    with_dt!(ia.dt, T => run(py, n, move || {
        // SAFETY: the arrays keep their elements alive; `out` shares memory
        // with an input only in the in-place plans, where that input is
        // reached through the one mutable slice.
        let operands = unsafe {
            match plan {
                BinaryPlan::Fresh => BinaryOperands::Fresh(
                    slice_at::<T>(ap, n),
                    slice_at::<T>(bp, n),
                    slice_at_mut::<T>(op_, n),
                ),
                BinaryPlan::IntoA => BinaryOperands::Into(slice_at_mut::<T>(op_, n), slice_at::<T>(bp, n)),
                BinaryPlan::IntoB => BinaryOperands::Into(slice_at_mut::<T>(op_, n), slice_at::<T>(ap, n)),
                BinaryPlan::IntoBoth => BinaryOperands::Both(slice_at_mut::<T>(op_, n)),
            }
        };
        engine.run(Call::Binary(op, operands), t)
    })?)
    .map_err(|e| E::error(py, e))?;
    Ok(o.arr.into_any())
}

/// A unary op on `engine`, its parameter `p` rounded to x's dtype
/// (`out=` may be `x`).
pub fn unary_call<'py, E: Engine>(
    py: Python<'py>,
    engine: &E,
    op: Un,
    x: &Bound<'py, PyAny>,
    p: f64,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = threads_arg(threads)?;
    let (ix, o, inplace) = unary_args(x, out)?;
    // An engine that cannot work in place reads `x` through a copy.
    let (xp, _copy_x) = detach_alias(&ix, inplace && !E::IN_PLACE)?;
    let inplace = inplace && E::IN_PLACE;
    let (op_, n) = (o.ptr, o.len);
    with_dt!(ix.dt, T => run(py, n, move || {
        // SAFETY: as in `binary_call`: in place, only the mutable slice exists.
        let operands = unsafe {
            if inplace {
                UnaryOperands::InPlace(slice_at_mut::<T>(op_, n))
            } else {
                UnaryOperands::Fresh(slice_at::<T>(xp, n), slice_at_mut::<T>(op_, n))
            }
        };
        engine.run(Call::Unary(op, p as T, operands), t)
    })?)
    .map_err(|e| E::error(py, e))?;
    Ok(o.arr.into_any())
}

/// Checked Mandelbrot grid parameters: `(width, height, max_iter)`.
pub fn grid_args(width: isize, height: isize, max_iter: i64) -> PyResult<(usize, usize, u32)> {
    if width <= 0 || height <= 0 {
        return Err(PyValueError::new_err(format!(
            "mandelbrot: width and height must be > 0, got {width} x {height}"
        )));
    }
    let max_iter = u32::try_from(max_iter).map_err(|_| {
        PyValueError::new_err(format!(
            "mandelbrot: max_iter must be in 0..=4294967295, got {max_iter}"
        ))
    })?;
    Ok((width as usize, height as usize, max_iter))
}

/// The grid `simdpar.mandelbrot` describes, in dtype `T` (limits rounded to
/// `T` as NumPy's `astype` does).
pub fn grid<T: Element>(
    (width, height, max_iter): (usize, usize, u32),
    xlim: (f64, f64),
    ylim: (f64, f64),
) -> MandelbrotGrid<T> {
    MandelbrotGrid {
        width,
        height,
        max_iter,
        xlim: (T::from_f64(xlim.0), T::from_f64(xlim.1)),
        ylim: (T::from_f64(ylim.0), T::from_f64(ylim.1)),
    }
}

/// Mandelbrot iteration counts on `engine`: a uint32 array of shape
/// (height, width), row 0 at ylim[0].
#[allow(clippy::too_many_arguments)]
pub fn mandelbrot_call<'py, E: Engine>(
    py: Python<'py>,
    engine: &E,
    width: isize,
    height: isize,
    max_iter: i64,
    xlim: (f64, f64),
    ylim: (f64, f64),
    dtype: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = threads_arg(threads)?;
    let dt = dtype_arg(py, dtype)?;
    let args = grid_args(width, height, max_iter)?;
    let (w, h, _) = args;
    w.checked_mul(h)
        .filter(|&n| n <= isize::MAX as usize / 4)
        .ok_or_else(|| PyValueError::new_err(format!("mandelbrot: {w} x {h} is too large")))?;
    let o = new_array(py, NPY_TYPES::NPY_UINT as c_int, &[height, width])?;
    let (op, n) = (o.ptr, o.len);
    with_dt!(dt, T => run(py, usize::MAX, move || {
        // SAFETY: `o` is a fresh array of n = w*h u32 counts.
        let out = unsafe { slice_at_mut::<u32>(op, n) };
        engine.run(Call::Mandelbrot(&grid::<T>(args, xlim, ylim), out), t)
    })?)
    .map_err(|e| E::error(py, e))?;
    debug_assert_eq!(o.arr.ndim(), 2);
    Ok(o.arr.into_any())
}

/// Writes the Python entry points of an engine once, for both front ends:
/// `in_module!` gives module functions (`#[pyfunction]`, engine
/// [`Kernels`]), `in_methods!(Type; [extra methods])` a `#[pymethods]`
/// block. Arguments, each in brackets: the attributes of every entry point,
/// the receiver (`&self,` or nothing) and the engine expression. The
/// binary and unary entry points are listed once and generated one at a
/// time (`@each`), so the wrapper gets them all as plain items.
macro_rules! entry_points {
    ($wrap:ident! { $($wrap_args:tt)* } $attr:tt $recv:tt $engine:tt) => {
        $crate::kernels::entry_points!(@each [$wrap { $($wrap_args)* }] $attr $recv $engine [] [
            (binary add Add "Elementwise `a + b` for float32/float64 arrays of one dtype. `out=` may be a separate array or exactly `a` or `b` (in place); a partial overlap is a ValueError.")
            (binary multiply Mul "Elementwise `a * b` for float32/float64 arrays of one dtype. `out=` may be a separate array or exactly `a` or `b` (in place); a partial overlap is a ValueError.")
            (unary square Square (x, out=None, threads=None) [] 0.0,
                "Elementwise `x * x` (any shape, float32/float64). `out=` may be `x`.")
            (unary scale Scale (x, factor, out=None, threads=None) [factor] factor,
                "Elementwise `x * factor`, the factor rounded to x's dtype first (as numpy does for a Python float). `out=` may be `x`.")
            (unary leaky_relu Leaky (x, alpha=0.1, out=None, threads=None) [alpha] alpha,
                "Elementwise leaky ReLU, the standard one: `x if x > 0 else alpha * x` (bitwise `np.where(x > 0, x, alpha * x)`: -0.0 gives `alpha * -0.0`, NaN stays NaN), alpha rounded to x's dtype. `out=` may be `x`.")
        ]);
    };
    (@each $wrap:tt [$($attr:tt)*] [$($recv:tt)*] [$($engine:tt)*] [$($done:tt)*]
     [(binary $name:ident $op:ident $doc:literal) $($rest:tt)*]) => {
        $crate::kernels::entry_points!(@each $wrap [$($attr)*] [$($recv)*] [$($engine)*] [$($done)*
            #[doc = $doc]
            $($attr)*
            #[pyo3(signature = (a, b, out=None, threads=None))]
            pub fn $name<'py>(
                $($recv)* py: Python<'py>, a: &Bound<'py, PyAny>, b: &Bound<'py, PyAny>,
                out: Option<&Bound<'py, PyAny>>, threads: Option<isize>,
            ) -> PyResult<Bound<'py, PyAny>> {
                use $crate::kernels::{Bin, binary_call};
                binary_call(py, $($engine)*, Bin::$op, a, b, out, threads)
            }
        ] [$($rest)*]);
    };
    (@each $wrap:tt [$($attr:tt)*] [$($recv:tt)*] [$($engine:tt)*] [$($done:tt)*]
     [(unary $name:ident $op:ident ($($sig:tt)*) [$($param:ident)?] $p:expr, $doc:literal) $($rest:tt)*]) => {
        $crate::kernels::entry_points!(@each $wrap [$($attr)*] [$($recv)*] [$($engine)*] [$($done)*
            #[doc = $doc]
            $($attr)*
            #[pyo3(signature = ($($sig)*))]
            pub fn $name<'py>(
                $($recv)* py: Python<'py>, x: &Bound<'py, PyAny>, $($param: f64,)?
                out: Option<&Bound<'py, PyAny>>, threads: Option<isize>,
            ) -> PyResult<Bound<'py, PyAny>> {
                use $crate::kernels::{Un, unary_call};
                unary_call(py, $($engine)*, Un::$op, x, $p, out, threads)
            }
        ] [$($rest)*]);
    };
    (@each [$wrap:ident { $($wrap_args:tt)* }] [$($attr:tt)*] [$($recv:tt)*] [$($engine:tt)*]
     [$($done:tt)*] []) => {
        $wrap! { $($wrap_args)*
            /// Sum of all elements of `x` (any shape): a numpy scalar of x's
            /// dtype (float32 or float64); 0.0 for an empty array.
            $($attr)*
            #[pyo3(signature = (x, threads=None))]
            pub fn sum<'py>(
                $($recv)* py: Python<'py>, x: &Bound<'py, PyAny>, threads: Option<isize>,
            ) -> PyResult<Bound<'py, PyAny>> {
                $crate::kernels::sum_call(py, $($engine)*, x, threads)
            }

            /// Row sums of a 2-D array `m`: a 1-D array of m's dtype, one sum
            /// per row. `out` (optional) must be a writeable, C-contiguous
            /// array of shape `(rows,)` and m's dtype.
            $($attr)*
            #[pyo3(signature = (m, out=None, threads=None))]
            pub fn row_sums<'py>(
                $($recv)* py: Python<'py>, m: &Bound<'py, PyAny>,
                out: Option<&Bound<'py, PyAny>>, threads: Option<isize>,
            ) -> PyResult<Bound<'py, PyAny>> {
                $crate::kernels::row_sums_call(py, $($engine)*, m, out, threads)
            }

            $($done)*

            /// Mandelbrot iteration counts: a uint32 array of shape
            /// (height, width), row 0 at ylim[0].
            $($attr)*
            #[pyo3(signature = (width, height, max_iter=256, xlim=(-2.0, 0.5), ylim=(-1.25, 1.25), dtype=None, threads=None))]
            #[allow(clippy::too_many_arguments)]
            pub fn mandelbrot<'py>(
                $($recv)* py: Python<'py>, width: isize, height: isize, max_iter: i64,
                xlim: (f64, f64), ylim: (f64, f64), dtype: Option<&Bound<'py, PyAny>>,
                threads: Option<isize>,
            ) -> PyResult<Bound<'py, PyAny>> {
                $crate::kernels::mandelbrot_call(
                    py, $($engine)*, width, height, max_iter, xlim, ylim, dtype, threads,
                )
            }
        }
    };
}
pub(crate) use entry_points;

/// The entry points as module items.
macro_rules! in_module {
    ($($item:tt)*) => { $($item)* };
}

/// The entry points as methods of `$ty`, beside `$extra` methods of its own.
macro_rules! in_methods {
    ($ty:ty; [$($extra:tt)*] $($item:tt)*) => {
        #[pymethods]
        impl $ty {
            $($extra)*
            $($item)*
        }
    };
}
pub(crate) use in_methods;

entry_points!(in_module! {} [#[pyfunction]] [] [&Kernels]);
