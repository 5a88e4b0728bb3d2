//! `_simdpar.mandelbrot_rows`: a band of rows of a Mandelbrot image, for
//! `simdpar.dask.mandelbrot` (each tile row computed on its own, with the
//! pixel coordinates of the full grid).

use crate::array::{dtype_arg, new_array, rw};
use crate::kernels::{grid_args, kernel_err, run};
use crate::with_dt;
use numpy::npyffi::NPY_TYPES;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use simdpar_kernels::MandelbrotGrid;
use simdpar_kernels::mandelbrot::mandelbrot_rows as rows_kernel;
use std::os::raw::c_int;

/// Rows `y0 .. y0 + rows` of the `height x width` image that
/// `simdpar.mandelbrot` computes with the same arguments: a uint32 array of
/// shape `(rows, width)`, bitwise equal to that image's rows. ValueError for
/// a band outside the image.
#[pyfunction]
#[pyo3(signature = (width, height, max_iter, xlim, ylim, dtype, y0, rows))]
#[allow(clippy::too_many_arguments)]
pub fn mandelbrot_rows<'py>(
    py: Python<'py>,
    width: isize,
    height: isize,
    max_iter: i64,
    xlim: (f64, f64),
    ylim: (f64, f64),
    dtype: &Bound<'py, PyAny>,
    y0: usize,
    rows: usize,
) -> PyResult<Bound<'py, PyAny>> {
    let dt = dtype_arg(py, Some(dtype))?;
    let (w, h, it) = grid_args(width, height, max_iter)?;
    if y0.checked_add(rows).is_none_or(|end| end > h) {
        return Err(PyValueError::new_err(format!(
            "mandelbrot_rows: rows {y0}..{y0}+{rows} are outside the {h} rows of the image"
        )));
    }
    let n = w
        .checked_mul(rows)
        .filter(|&n| n <= isize::MAX as usize / 4)
        .ok_or_else(|| PyValueError::new_err("mandelbrot_rows: band too large"))?;
    let o = new_array(py, NPY_TYPES::NPY_UINT as c_int, &[rows as isize, width])?;
    let op = o.ptr;
    with_dt!(dt, T => run(py, usize::MAX, move || {
        let grid = MandelbrotGrid::<T> {
            width: w,
            height: h,
            max_iter: it,
            xlim: (xlim.0 as T, xlim.1 as T),
            ylim: (ylim.0 as T, ylim.1 as T),
        };
        // SAFETY: `o` is a fresh array of n = w * rows u32 counts.
        rows_kernel(&grid, y0, unsafe { rw::<u32>(op, n) })
    })?)
    .map_err(kernel_err)?;
    Ok(o.arr.into_any())
}
