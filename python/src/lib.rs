//! `simdpar._simdpar`: the native half of the Python package `simdpar`.
//!
//! * [`kernels`]: `sum`, `row_sums`, `add`, `multiply`, `square`, `scale`,
//!   `leaky_relu`, `mandelbrot` on numpy float32/float64 arrays: zero-copy
//!   for contiguous inputs (others are copied once), the GIL released while
//!   a kernel of [`kernels::DETACH_MIN_ELEMS`] or more elements runs, every
//!   Rust error mapped to a Python exception.
//! * [`isa`]: ISA selection (`available_isas`, `set_isa`, `use_isa`...) and
//!   `cpu_info`.
//! * [`threads`]: `set_num_threads`, `get_num_threads`, `plan` and the
//!   C-ABI thread getter/setter for threadpoolctl.
//! * [`accumulator`]: the `SumAccumulator` class; [`dask_runs`] and
//!   [`dask_row_states`]: `_SumRuns` and `_RowStates`, the chunk states
//!   of `simdpar.dask`.
//! * [`mojo`]: the simdpar-mojo compile cache, artifacts and twins, used by
//!   the pure-Python module `simdpar.mojo`.

#![warn(missing_docs)]

pub mod accumulator;
pub mod array;
pub mod dask_row_states;
pub mod dask_runs;
mod dask_state;
pub mod isa;
pub mod kernels;
pub mod mandelbrot_tile;
pub mod mojo;
pub mod threads;
pub mod tune;

use pyo3::prelude::*;

/// The extension module.
#[pymodule]
fn _simdpar(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_function(wrap_pyfunction!(kernels::sum, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::row_sums, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::add, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::multiply, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::square, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::scale, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::leaky_relu, m)?)?;
    m.add_function(wrap_pyfunction!(kernels::mandelbrot, m)?)?;
    m.add_function(wrap_pyfunction!(mandelbrot_tile::mandelbrot_tile, m)?)?;
    m.add_function(wrap_pyfunction!(isa::available_isas, m)?)?;
    m.add_function(wrap_pyfunction!(isa::known_isas, m)?)?;
    m.add_function(wrap_pyfunction!(isa::active_isa, m)?)?;
    m.add_function(wrap_pyfunction!(isa::set_isa, m)?)?;
    m.add_function(wrap_pyfunction!(isa::clear_isa, m)?)?;
    m.add_function(wrap_pyfunction!(isa::kernel_isa, m)?)?;
    m.add_function(wrap_pyfunction!(isa::check_env, m)?)?;
    m.add_function(wrap_pyfunction!(isa::cpu_info, m)?)?;
    m.add_function(wrap_pyfunction!(tune::tune, m)?)?;
    m.add_function(wrap_pyfunction!(threads::set_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads::get_num_threads, m)?)?;
    m.add_function(wrap_pyfunction!(threads::thread_settings, m)?)?;
    m.add_function(wrap_pyfunction!(threads::plan, m)?)?;
    m.add_class::<accumulator::PySumAccumulator>()?;
    m.add_class::<dask_runs::PySumRuns>()?;
    m.add_class::<dask_row_states::PyRowStates>()?;
    m.add_class::<isa::UseIsa>()?;
    m.add("IsaError", py.get_type::<isa::IsaError>())?;
    m.add_class::<mojo::PyCache>()?;
    m.add_class::<mojo::PyArtifact>()?;
    m.add_class::<mojo::PyLibrary>()?;
    m.add_class::<mojo::PyTwins>()?;
    m.add_function(wrap_pyfunction!(mojo::array_address, m)?)?;
    m.add("MojoError", py.get_type::<mojo::MojoError>())?;
    m.add(
        "MojoNotFoundError",
        py.get_type::<mojo::MojoNotFoundError>(),
    )?;
    m.add("MojoCompileError", py.get_type::<mojo::MojoCompileError>())?;
    m.add("DETACH_MIN_ELEMS", kernels::DETACH_MIN_ELEMS)?;
    m.add("MOJO_INSTALL_HINT", simdpar_mojo::INSTALL_HINT)?;
    m.add("KERNEL_NAMES", simdpar_kernels::Kernel::NAMES.to_vec())?;
    Ok(())
}
