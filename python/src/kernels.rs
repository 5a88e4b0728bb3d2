//! The simdpar kernels as Python functions on numpy arrays.
//!
//! Every function validates its arguments while holding the GIL, then runs
//! the kernel with the GIL released (see [`run`]) and returns a new array,
//! or the caller's `out=`.

use crate::array::{
    BinaryPlan, binary_args, dtype_arg, input, new_array, np_scalar, row_sums_args, same_shape,
    slice_at, slice_at_mut, unary_args, widen,
};
use crate::with_dt;
use numpy::npyffi::NPY_TYPES;
use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use simdpar_kernels::{Element, KernelError, MandelbrotGrid, Threads, par};
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

/// Sum of all elements of `x` (any shape) in simdpar's fixed order: bitwise
/// the same on every ISA and thread count. Returns a numpy scalar of x's
/// dtype (float32 or float64); 0.0 for an empty array.
#[pyfunction]
#[pyo3(signature = (x, threads=None))]
pub fn sum<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = threads_arg(threads)?;
    let ix = input("x", x)?;
    let (p, n) = (ix.ptr, ix.len);
    // SAFETY (both arms): `ix` keeps n elements alive at p for the call.
    let v = with_dt!(ix.dt, T => run(py, n, move || widen(par::sum(unsafe { slice_at::<T>(p, n) }, t)))?);
    np_scalar(py, ix.dt, v)
}

/// Row sums of a 2-D array `m`: a 1-D array of m's dtype, one sum per row,
/// each bitwise equal to `sum(m[r])`. `out` (optional) must be a writeable,
/// C-contiguous array of shape `(rows,)` and m's dtype.
#[pyfunction]
#[pyo3(signature = (m, out=None, threads=None))]
pub fn row_sums<'py>(
    py: Python<'py>,
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
        par::row_sums(unsafe { slice_at::<T>(mp, n) }, cols, unsafe { slice_at_mut::<T>(op, rows) }, t)
    })?)
    .map_err(kernel_err)?;
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

/// Which binary kernel.
#[derive(Clone, Copy)]
enum Bin {
    Add,
    Mul,
}

fn binary<'py>(
    py: Python<'py>,
    op: Bin,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = threads_arg(threads)?;
    if !same_shape_arrays(a, b) {
        return broadcast::binary(py, op, a, b, out, t);
    }
    let (ia, ib, o, plan) = binary_args(a, b, out)?;
    let (ap, bp, op_, n) = (ia.ptr, ib.ptr, o.ptr, o.len);
    with_dt!(ia.dt, T => run(py, n, move || -> Result<(), KernelError> {
        // SAFETY: the arrays keep their elements alive; `out` shares memory
        // with an input only in the in-place plans, where that input is
        // reached through the one mutable slice.
        unsafe {
            match (plan, op) {
                (BinaryPlan::Fresh, Bin::Add) => par::add(slice_at::<T>(ap, n), slice_at::<T>(bp, n), slice_at_mut::<T>(op_, n), t),
                (BinaryPlan::Fresh, Bin::Mul) => par::multiply(slice_at::<T>(ap, n), slice_at::<T>(bp, n), slice_at_mut::<T>(op_, n), t),
                (BinaryPlan::IntoA, Bin::Add) => par::add_assign(slice_at_mut::<T>(op_, n), slice_at::<T>(bp, n), t),
                (BinaryPlan::IntoA, Bin::Mul) => par::multiply_assign(slice_at_mut::<T>(op_, n), slice_at::<T>(bp, n), t),
                (BinaryPlan::IntoB, Bin::Add) => par::add_assign(slice_at_mut::<T>(op_, n), slice_at::<T>(ap, n), t),
                (BinaryPlan::IntoB, Bin::Mul) => par::multiply_assign(slice_at_mut::<T>(op_, n), slice_at::<T>(ap, n), t),
                // x + x is exactly 2 * x (one rounding, same overflow).
                (BinaryPlan::IntoBoth, Bin::Add) => { par::scale_inplace(slice_at_mut::<T>(op_, n), 2.0, t); Ok(()) }
                (BinaryPlan::IntoBoth, Bin::Mul) => { par::square_inplace(slice_at_mut::<T>(op_, n), t); Ok(()) }
            }
        }
    })?)
    .map_err(kernel_err)?;
    Ok(o.arr.into_any())
}

/// Elementwise `a + b` for float32/float64 arrays of one dtype, with
/// NumPy broadcasting (Python numbers take the array's dtype; the smaller
/// operand is never expanded). `out=` must have the broadcast shape; it may
/// be a separate array or exactly `a` or `b` (in place); a partial overlap
/// is a ValueError.
#[pyfunction]
#[pyo3(signature = (a, b, out=None, threads=None))]
pub fn add<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    binary(py, Bin::Add, a, b, out, threads)
}

/// Elementwise `a * b` for float32/float64 arrays of one dtype, with
/// NumPy broadcasting (Python numbers take the array's dtype; the smaller
/// operand is never expanded). `out=` must have the broadcast shape; it may
/// be a separate array or exactly `a` or `b` (in place); a partial overlap
/// is a ValueError.
#[pyfunction]
#[pyo3(signature = (a, b, out=None, threads=None))]
pub fn multiply<'py>(
    py: Python<'py>,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    binary(py, Bin::Mul, a, b, out, threads)
}

/// Which unary kernel.
#[derive(Clone, Copy)]
enum Un {
    Square,
    Scale,
    Leaky,
}

fn unary<'py>(
    py: Python<'py>,
    op: Un,
    x: &Bound<'py, PyAny>,
    p: f64,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    let t = threads_arg(threads)?;
    let (ix, o, inplace) = unary_args(x, out)?;
    let (xp, op_, n) = (ix.ptr, o.ptr, o.len);
    with_dt!(ix.dt, T => run(py, n, move || -> Result<(), KernelError> {
        let p = p as T;
        // SAFETY: as in `binary`: in place, only the mutable slice exists.
        unsafe {
            if inplace {
                let x = slice_at_mut::<T>(op_, n);
                match op {
                    Un::Square => par::square_inplace(x, t),
                    Un::Scale => par::scale_inplace(x, p, t),
                    Un::Leaky => par::leaky_relu_inplace(x, p, t),
                }
                Ok(())
            } else {
                let (x, o) = (slice_at::<T>(xp, n), slice_at_mut::<T>(op_, n));
                match op {
                    Un::Square => par::square(x, o, t),
                    Un::Scale => par::scale(x, p, o, t),
                    Un::Leaky => par::leaky_relu(x, p, o, t),
                }
            }
        }
    })?)
    .map_err(kernel_err)?;
    Ok(o.arr.into_any())
}

/// Elementwise `x * x` (any shape, float32/float64). `out=` may be `x`.
#[pyfunction]
#[pyo3(signature = (x, out=None, threads=None))]
pub fn square<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    unary(py, Un::Square, x, 0.0, out, threads)
}

/// Elementwise `x * factor`, the factor rounded to x's dtype first (as
/// numpy does for a Python float). `out=` may be `x`.
#[pyfunction]
#[pyo3(signature = (x, factor, out=None, threads=None))]
pub fn scale<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    factor: f64,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    unary(py, Un::Scale, x, factor, out, threads)
}

/// Elementwise leaky ReLU, the standard one: `x if x > 0 else alpha * x`
/// (bitwise `np.where(x > 0, x, alpha * x)`: -0.0 gives `alpha * -0.0`,
/// NaN stays NaN), alpha rounded to x's dtype. `out=` may be `x`.
#[pyfunction]
#[pyo3(signature = (x, alpha=0.1, out=None, threads=None))]
pub fn leaky_relu<'py>(
    py: Python<'py>,
    x: &Bound<'py, PyAny>,
    alpha: f64,
    out: Option<&Bound<'py, PyAny>>,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyAny>> {
    unary(py, Un::Leaky, x, alpha, out, threads)
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

/// Mandelbrot iteration counts (the engine behind `simdpar.mandelbrot`):
/// a uint32 array of shape (height, width), row 0 at ylim[0].
#[pyfunction]
#[pyo3(signature = (width, height, max_iter, xlim, ylim, dtype=None, threads=None))]
#[allow(clippy::too_many_arguments)]
pub fn mandelbrot<'py>(
    py: Python<'py>,
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
        par::mandelbrot(&grid::<T>(args, xlim, ylim), unsafe { slice_at_mut::<u32>(op, n) }, t)
    })?)
    .map_err(kernel_err)?;
    debug_assert_eq!(o.arr.ndim(), 2);
    Ok(o.arr.into_any())
}
