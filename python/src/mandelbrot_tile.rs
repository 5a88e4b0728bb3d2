//! `_simdpar.mandelbrot_tile`: a tile of a Mandelbrot image, for
//! `simdpar.dask.mandelbrot` (each chunk computed on its own, with the pixel
//! coordinates of the full grid).

use crate::array::{dtype_arg, new_array, slice_at_mut};
use crate::kernels::{grid, grid_args, kernel_err, run};
use crate::with_dt;
use numpy::npyffi::NPY_TYPES;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use simdpar_kernels::mandelbrot::mandelbrot_tile as tile_kernel;
use std::os::raw::c_int;

/// The tile of rows `y0 .. y0 + rows` and columns `x0 .. x0 + cols` of the
/// `height x width` image that `simdpar.mandelbrot` computes with the same
/// arguments: a uint32 array of shape `(rows, cols)`, bitwise equal to that
/// image's pixels. ValueError for an empty tile or one outside the image.
#[pyfunction]
#[pyo3(signature = (width, height, max_iter, xlim, ylim, dtype, y0, x0, rows, cols))]
#[allow(clippy::too_many_arguments)]
pub fn mandelbrot_tile<'py>(
    py: Python<'py>,
    width: isize,
    height: isize,
    max_iter: i64,
    xlim: (f64, f64),
    ylim: (f64, f64),
    dtype: &Bound<'py, PyAny>,
    y0: usize,
    x0: usize,
    rows: usize,
    cols: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let dt = dtype_arg(py, Some(dtype))?;
    let args = grid_args(width, height, max_iter)?;
    let (w, h, _) = args;
    let inside = |start: usize, len: usize, end: usize| {
        len > 0 && start.checked_add(len).is_some_and(|e| e <= end)
    };
    if !inside(y0, rows, h) || !inside(x0, cols, w) {
        return Err(PyValueError::new_err(format!(
            "mandelbrot_tile: rows {y0}..{y0}+{rows} x columns {x0}..{x0}+{cols} are not a \
             non-empty tile inside the {h} x {w} image"
        )));
    }
    // Inside a checked image, so rows * cols <= w * h fits.
    let n = rows * cols;
    let o = new_array(
        py,
        NPY_TYPES::NPY_UINT as c_int,
        &[rows as isize, cols as isize],
    )?;
    let op = o.ptr;
    with_dt!(dt, T => run(py, usize::MAX, move || {
        // SAFETY: `o` is a fresh array of n = rows * cols u32 counts.
        tile_kernel(&grid::<T>(args, xlim, ylim), y0, x0, cols, unsafe { slice_at_mut::<u32>(op, n) })
    })?)
    .map_err(kernel_err)?;
    Ok(o.arr.into_any())
}
