//! The thread limit and runtime from Python, the plan of a call, and the
//! C-ABI getter/setter through which threadpoolctl's controller (see
//! `simdpar/_threadpoolctl.py`) reads and limits simdpar's threads.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyDict;
use simdpar_kernels::par;
use std::os::raw::{c_char, c_int};

/// Sets the process-wide thread limit of automatic calls (`threads=None`,
/// `simdpar.dask`, `tune()`): at most `n` threads (`n >= 1`), never more
/// than the logical CPUs; `None` removes a limit set here (back to
/// SIMDPAR_NUM_THREADS, else every logical CPU). An explicit `threads=n`
/// is not capped by it.
#[pyfunction]
#[pyo3(signature = (n))]
pub fn set_num_threads(n: Option<isize>) -> PyResult<()> {
    match n {
        None => par::set_max_threads(0),
        Some(n) if n >= 1 => par::set_max_threads(n as usize),
        Some(n) => {
            return Err(PyValueError::new_err(format!(
                "set_num_threads takes an integer >= 1 (or None to remove the limit), got {n}"
            )));
        }
    }
    Ok(())
}

/// How many threads an automatic call may use now: the limit
/// (`set_num_threads`, SIMDPAR_NUM_THREADS), capped by the logical CPUs.
#[pyfunction]
pub fn get_num_threads() -> usize {
    par::max_threads()
}

/// The limit as set, before the CPU count caps it (None: no limit), the
/// runtime name and a problem with SIMDPAR_NUM_THREADS / SIMDPAR_RUNTIME
/// (None: fine): for `cpu_info()` and the import-time warning.
#[pyfunction]
pub fn thread_settings(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let d = PyDict::new(py);
    d.set_item("num_threads", par::max_threads())?;
    d.set_item("thread_limit", par::thread_limit())?;
    d.set_item("runtime", par::runtime().name())?;
    d.set_item("env_error", par::check_env().err().map(|e| e.to_string()))?;
    Ok(d)
}

/// How a call of `kernel` on `n` elements of `dtype` would run now, with
/// `threads` as the kernels take it: {"isa", "threads", "reason", "class"}.
/// `threads` is the thread count the call is split across.
#[pyfunction]
#[pyo3(signature = (kernel, dtype, n, threads=None))]
pub fn plan<'py>(
    py: Python<'py>,
    kernel: &str,
    dtype: &str,
    n: usize,
    threads: Option<isize>,
) -> PyResult<Bound<'py, PyDict>> {
    let (k, d) = crate::array::kernel_and_dtype(kernel, dtype)?;
    let t = crate::kernels::threads_arg(threads)?;
    let p = simdpar_kernels::plan(k, d, n, t);
    let out = PyDict::new(py);
    out.set_item("isa", p.isa.name())?;
    out.set_item("threads", p.threads)?;
    out.set_item("reason", p.reason.to_string())?;
    out.set_item("class", p.class.name())?;
    Ok(out)
}

/// C ABI for threadpoolctl: the thread count automatic calls may use now.
// SAFETY: a plain symbol name for ctypes; no other item in this library
// (or in the libraries it links) exports `simdpar_get_num_threads`.
#[unsafe(no_mangle)]
pub extern "C" fn simdpar_get_num_threads() -> c_int {
    c_int::try_from(par::max_threads()).unwrap_or(c_int::MAX)
}

/// C ABI for threadpoolctl: sets the limit of automatic calls (`n >= 1`;
/// `n <= 0` removes a limit set before). Returns the thread count in force
/// afterwards. Never panics.
// SAFETY: as above, a unique exported name.
#[unsafe(no_mangle)]
pub extern "C" fn simdpar_set_num_threads(n: c_int) -> c_int {
    par::set_max_threads(usize::try_from(n).unwrap_or(0));
    simdpar_get_num_threads()
}

/// The version of this extension, as a NUL-terminated string.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "\0");

/// C ABI for threadpoolctl: the version of simdpar, a static
/// NUL-terminated string.
// SAFETY: as above, a unique exported name.
#[unsafe(no_mangle)]
pub extern "C" fn simdpar_version() -> *const c_char {
    VERSION.as_ptr().cast()
}
