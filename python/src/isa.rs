//! ISA selection and CPU description for Python.

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyList};
use simdpar_dispatch::{Isa, IsaError as RustIsaError, IsaScope};

pyo3::create_exception!(
    simdpar,
    IsaError,
    PyValueError,
    "An ISA name simdpar does not know, or one this CPU cannot run; the message names it and the ISAs available here."
);

/// Maps a dispatch error to `simdpar.IsaError` (a ValueError).
pub fn isa_err(e: RustIsaError) -> PyErr {
    IsaError::new_err(e.to_string())
}

fn parse(name: &str) -> PyResult<Isa> {
    Isa::from_name(name).map_err(isa_err)
}

/// The ISAs this machine can run, worst first (always starts with
/// "scalar", "portable").
#[pyfunction]
pub fn available_isas() -> Vec<&'static str> {
    simdpar_dispatch::available_isas()
        .into_iter()
        .map(Isa::name)
        .collect()
}

/// Every ISA name simdpar knows, whether or not this machine can run it.
#[pyfunction]
pub fn known_isas() -> Vec<&'static str> {
    Isa::ALL.into_iter().map(Isa::name).collect()
}

/// The ISA a kernel called now on this thread runs: the innermost
/// `use_isa` block, else `set_isa`, else SIMDPAR_ISA / SIMDPAR_MAX_ISA,
/// else the best available.
#[pyfunction]
pub fn active_isa() -> &'static str {
    simdpar_dispatch::active_isa().name()
}

/// Sets the process-wide default ISA (all threads; `use_isa` blocks still
/// win). `None` removes it. An unknown name or an ISA this CPU lacks raises
/// `simdpar.IsaError` naming it and the available ISAs.
#[pyfunction]
#[pyo3(signature = (name))]
pub fn set_isa(name: Option<&str>) -> PyResult<()> {
    match name {
        None => {
            simdpar_dispatch::clear_isa();
            Ok(())
        }
        Some(n) => simdpar_dispatch::set_isa(parse(n)?).map_err(isa_err),
    }
}

/// Removes the process-wide default set by `set_isa`.
#[pyfunction]
pub fn clear_isa() {
    simdpar_dispatch::clear_isa();
}

/// The ISA a call of `kernel` ("sum", "add", ...) on `n` elements of
/// `dtype` ("float32" or "float64") runs on this thread now: a forced ISA
/// (scope, `set_isa`, `SIMDPAR_ISA`) if any, else the tuned or built-in
/// choice for that size class. `n` defaults to 4096 (a cache-sized call);
/// `cpu_info()["plans"]` has every size class.
#[pyfunction]
#[pyo3(signature = (kernel, dtype, n = 4096))]
pub fn kernel_isa(kernel: &str, dtype: &str, n: usize) -> PyResult<&'static str> {
    let (k, d) = crate::array::kernel_and_dtype(kernel, dtype)?;
    Ok(simdpar_kernels::kernel_isa(k, d, n).name())
}

/// Validates SIMDPAR_ISA / SIMDPAR_MAX_ISA (read once per process); raises
/// `simdpar.IsaError` naming the variable, its value and the available ISAs.
#[pyfunction]
pub fn check_env() -> PyResult<()> {
    simdpar_dispatch::check_env().map_err(isa_err)
}

/// A `with` block running one ISA on the calling thread only (other
/// threads are unaffected). Blocks nest; leaving one restores the previous
/// selection. The ISA is checked when the object is made, so
/// `simdpar.use_isa("bogus")` raises before the block starts.
#[pyclass(unsendable, name = "use_isa", module = "simdpar")]
pub struct UseIsa {
    isa: Isa,
    scopes: Vec<IsaScope>,
}

#[pymethods]
impl UseIsa {
    /// Checks `name` against this CPU; the block starts at `__enter__`.
    #[new]
    fn new(name: &str) -> PyResult<Self> {
        let isa = parse(name)?;
        if !simdpar_dispatch::is_supported(isa) {
            return Err(isa_err(RustIsaError::Unsupported {
                isa,
                available: simdpar_dispatch::available_isas(),
            }));
        }
        Ok(UseIsa {
            isa,
            scopes: Vec::new(),
        })
    }

    /// Starts running the ISA on this thread; returns its name.
    fn __enter__(&mut self) -> PyResult<&'static str> {
        self.scopes.push(IsaScope::new(self.isa).map_err(isa_err)?);
        Ok(self.isa.name())
    }

    /// Restores the previous selection; never swallows an exception.
    #[pyo3(signature = (*_args))]
    fn __exit__(&mut self, _args: &Bound<'_, pyo3::types::PyTuple>) -> bool {
        self.scopes.pop();
        false
    }

    /// The ISA this block runs.
    #[getter]
    fn isa(&self) -> &'static str {
        self.isa.name()
    }

    fn __repr__(&self) -> String {
        format!("simdpar.use_isa({:?})", self.isa.name())
    }
}

/// A description of this CPU: arch, vendor, brand, family/model/stepping,
/// logical_cpus, features, caches (level, kind, size_bytes, line_bytes,
/// ways, shared_by) and simd_widths ({isa: {"float32": lanes, "float64": lanes}}
/// for every available ISA), identity (the key of tuned profiles), profile
/// (what became of the tuned profile: loaded, absent, ignored and why) and
/// plans (per kernel x dtype x size class: len, isa, threads and reason,
/// e.g. "tuned profile", "built-in default", "forced (scope)").
#[pyfunction]
pub fn cpu_info(py: Python<'_>) -> PyResult<Bound<'_, PyDict>> {
    let info = simdpar_dispatch::cpu_info();
    let d = PyDict::new(py);
    d.set_item("arch", info.arch)?;
    d.set_item("vendor", &info.vendor)?;
    d.set_item("brand", &info.brand)?;
    d.set_item("family", info.family)?;
    d.set_item("model", info.model)?;
    d.set_item("stepping", info.stepping)?;
    d.set_item("logical_cpus", info.logical_cpus)?;
    d.set_item("features", PyList::new(py, &info.features)?)?;
    let caches = PyList::empty(py);
    for c in &info.caches {
        let cd = PyDict::new(py);
        cd.set_item("level", c.level)?;
        cd.set_item("kind", c.kind)?;
        cd.set_item("size_bytes", c.size_bytes)?;
        cd.set_item("line_bytes", c.line_bytes)?;
        cd.set_item("ways", c.ways)?;
        cd.set_item("shared_by", c.shared_by)?;
        caches.append(cd)?;
    }
    d.set_item("caches", caches)?;
    let widths = PyDict::new(py);
    for (isa, l32, l64) in info.simd_widths() {
        let w = PyDict::new(py);
        w.set_item("float32", l32)?;
        w.set_item("float64", l64)?;
        widths.set_item(isa.name(), w)?;
    }
    d.set_item("simd_widths", widths)?;
    d.set_item("available_isas", available_isas())?;
    d.set_item("active_isa", active_isa())?;
    d.set_item("identity", simdpar_dispatch::cpu_identity())?;
    d.set_item(
        "profile",
        simdpar_kernels::plan::profile::profile_status().to_string(),
    )?;
    d.set_item("plans", crate::tune::plans(py)?)?;
    Ok(d)
}
