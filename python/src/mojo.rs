//! The Mojo front end's native half: the simdpar-mojo compile cache, built
//! artifacts, loaded libraries and the Mojo twins, for `simdpar.mojo`.

use crate::array::{Dtype, data_ptr, dtype_arg};
use crate::kernels::{Bin, BinaryOperands, Call, Engine, Real, Un, UnaryOperands, in_methods};
use numpy::PyUntypedArray;
use numpy::npyffi::{self, NPY_ARRAY_ALIGNED, NPY_ARRAY_C_CONTIGUOUS, NPY_ARRAY_WRITEABLE};
use numpy::{PyArrayDescrMethods, PyUntypedArrayMethods};
use pyo3::exceptions::{PyRuntimeError, PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use simdpar_kernels::Threads;
use simdpar_mojo::{
    Artifact, BuildOutcome, BuildRequest, Cache, CacheConfig, EmitKind, FpMode, Library,
    MojoError as RustMojoError, Source, TwinVariant, Twins,
};
use std::collections::BTreeMap;
use std::os::raw::c_int;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pyo3::create_exception!(
    simdpar.mojo,
    MojoError,
    PyRuntimeError,
    "Something went wrong between finding mojo and calling compiled code."
);
pyo3::create_exception!(
    simdpar.mojo,
    MojoNotFoundError,
    MojoError,
    "No working Mojo toolchain: install it with `pip install mojo==1.2.0`."
);
pyo3::create_exception!(
    simdpar.mojo,
    MojoCompileError,
    MojoError,
    "`mojo build` rejected the source; `.message`, `.line`, `.column`, `.file` and `.stderr` say why."
);

/// Maps a simdpar-mojo error to the Python exception of the front end.
pub fn mojo_err(py: Python<'_>, e: RustMojoError) -> PyErr {
    let text = e.to_string();
    match e {
        RustMojoError::ToolchainMissing { .. } | RustMojoError::ToolchainBroken { .. } => {
            MojoNotFoundError::new_err(text)
        }
        RustMojoError::Compile {
            location,
            message,
            stderr,
        } => {
            let err = MojoCompileError::new_err(text);
            let v = err.value(py);
            let (file, line, col) = match location {
                Some(l) => (Some(l.file), Some(l.line), Some(l.col)),
                None => (None, None, None),
            };
            // Setting attributes on a fresh exception instance cannot fail
            // in practice; if it did, the message still carries everything.
            let _ = v.setattr("message", message);
            let _ = v.setattr("line", line);
            let _ = v.setattr("column", col);
            let _ = v.setattr("file", file);
            let _ = v.setattr("stderr", stderr);
            err
        }
        _ => MojoError::new_err(text),
    }
}

/// An open compile cache (one directory, one toolchain).
#[pyclass(frozen, name = "MojoCache", module = "simdpar.mojo")]
pub struct PyCache {
    cache: Arc<Cache>,
}

/// The Rust side of a built artifact.
#[pyclass(frozen, name = "Artifact", module = "simdpar.mojo")]
pub struct PyArtifact {
    artifact: Artifact,
}

/// A shared library loaded from the cache (checked against this CPU).
#[pyclass(frozen, name = "Library", module = "simdpar.mojo")]
pub struct PyLibrary {
    lib: Library,
}

fn outcome_name(o: &BuildOutcome) -> &'static str {
    match o {
        BuildOutcome::Hit => "hit",
        BuildOutcome::Compiled => "compiled",
        BuildOutcome::Rebuilt { .. } => "rebuilt",
    }
}

fn stats_dict<'py>(
    py: Python<'py>,
    s: &simdpar_mojo::CacheStats,
    d: &Bound<'py, PyDict>,
    prefix: &str,
) -> PyResult<()> {
    d.set_item(format!("{prefix}hits"), s.hits)?;
    d.set_item(format!("{prefix}misses"), s.misses)?;
    d.set_item(format!("{prefix}compile_seconds"), s.compile_seconds)?;
    d.set_item(format!("{prefix}evictions"), s.evictions)?;
    d.set_item(format!("{prefix}rebuilt_corrupt"), s.rebuilt_corrupt)?;
    let _ = py;
    Ok(())
}

#[pymethods]
impl PyCache {
    /// Opens (creating if needed) the cache in `dir` (None: SIMDPAR_CACHE_DIR,
    /// else ~/.cache/simdpar/mojo) with the `mojo` executable at `mojo`
    /// (None: SIMDPAR_MOJO, PATH, a project .venv). Runs `mojo --version`.
    #[new]
    #[pyo3(signature = (mojo=None, dir=None, max_bytes=None, compile_timeout=None))]
    fn new(
        py: Python<'_>,
        mojo: Option<PathBuf>,
        dir: Option<PathBuf>,
        max_bytes: Option<u64>,
        compile_timeout: Option<f64>,
    ) -> PyResult<Self> {
        let mut cfg = CacheConfig {
            mojo,
            dir,
            ..CacheConfig::default()
        };
        if let Some(m) = max_bytes {
            cfg.max_bytes = m;
        }
        if let Some(t) = compile_timeout {
            if !(t > 0.0 && t.is_finite()) {
                return Err(PyValueError::new_err("compile_timeout must be > 0 seconds"));
            }
            cfg.compile_timeout = Duration::from_secs_f64(t);
        }
        let cache = py
            .detach(|| Cache::with_config(cfg))
            .map_err(|e| mojo_err(py, e))?;
        Ok(PyCache {
            cache: Arc::new(cache),
        })
    }

    /// Builds (or finds) an artifact. `emit` is "exe", "shared-lib" or
    /// "python-extension" (stored as `<stem of name>.so`; refused, like an
    /// executable, when it needs CPU features this host lacks);
    /// `fp_mode` "contract=fast" or "contract=off". The source is `text`
    /// compiled under the file name `name`; `include_dirs` become `-I` (every
    /// .mojo file under them is keyed), `import_dirs` too (only the local
    /// files the source imports are keyed); `target_features` is
    /// `--target-features`.
    #[pyo3(signature = (text, name, emit, defines=BTreeMap::new(), fp_mode="contract=fast", target_cpu=None, opt_level=3, include_dirs=Vec::new(), import_dirs=Vec::new(), target_features=None))]
    #[allow(clippy::too_many_arguments)]
    fn build(
        &self,
        py: Python<'_>,
        text: String,
        name: String,
        emit: &str,
        defines: BTreeMap<String, String>,
        fp_mode: &str,
        target_cpu: Option<String>,
        opt_level: u8,
        include_dirs: Vec<PathBuf>,
        import_dirs: Vec<PathBuf>,
        target_features: Option<String>,
    ) -> PyResult<PyArtifact> {
        let src = Source::Inline { name, text };
        let mut req = match emit {
            "exe" => BuildRequest::executable(src),
            "shared-lib" => BuildRequest::shared_lib(src),
            "python-extension" => BuildRequest::python_extension(src),
            other => {
                return Err(PyValueError::new_err(format!(
                    "emit must be 'exe', 'shared-lib' or 'python-extension', got {other:?}"
                )));
            }
        };
        req.fp_mode = match fp_mode {
            "contract=fast" | "fast" => FpMode::ContractFast,
            "contract=off" | "off" => FpMode::ContractOff,
            other => {
                return Err(PyValueError::new_err(format!(
                    "fp_mode must be 'contract=fast' or 'contract=off', got {other:?}"
                )));
            }
        };
        req.defines = defines;
        req.target_cpu = target_cpu;
        req.opt_level = opt_level;
        req.include_dirs = include_dirs;
        req.import_dirs = import_dirs;
        req.target_features = target_features;
        let cache = Arc::clone(&self.cache);
        let artifact = py
            .detach(move || {
                let a = cache.build(&req)?;
                // Refuses an executable or extension needing CPU features this host lacks.
                if a.manifest().inputs.emit == EmitKind::Executable.key_name() {
                    a.command()?;
                } else if a.manifest().inputs.emit == EmitKind::PythonExtension.key_name() {
                    a.extension_path()?;
                }
                Ok::<_, RustMojoError>(a)
            })
            .map_err(|e| mojo_err(py, e))?;
        Ok(PyArtifact { artifact })
    }

    /// The cache directory, entries, bytes, size cap, toolchain and the
    /// counters: `hits`/`misses` over the directory's lifetime (every
    /// process), `session_hits`/`session_misses` of this process.
    fn info<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let cache = Arc::clone(&self.cache);
        let info = py
            .detach(move || cache.info())
            .map_err(|e| mojo_err(py, e))?;
        let d = PyDict::new(py);
        d.set_item("dir", info.dir.display().to_string())?;
        d.set_item("entries", info.entries)?;
        d.set_item("bytes", info.total_bytes)?;
        d.set_item("max_bytes", info.max_bytes)?;
        d.set_item("toolchain", info.toolchain.display().to_string())?;
        d.set_item("mojo_version", info.mojo_version)?;
        stats_dict(py, &info.lifetime, &d, "")?;
        stats_dict(py, &self.cache.stats(), &d, "session_")?;
        Ok(d)
    }

    /// Removes every entry and the lifetime counters; returns how many
    /// entries were removed.
    fn clear(&self, py: Python<'_>) -> PyResult<usize> {
        let cache = Arc::clone(&self.cache);
        py.detach(move || cache.clear())
            .map_err(|e| mojo_err(py, e))
    }

    /// Builds (or finds) and loads the Mojo twins: variant "exact" (bitwise
    /// parity with simdpar's elementwise kernels), "fast", "portable" or
    /// "forced16".
    #[pyo3(signature = (variant="exact"))]
    fn twins(&self, py: Python<'_>, variant: &str) -> PyResult<PyTwins> {
        let v = TwinVariant::from_name(variant).ok_or_else(|| {
            PyValueError::new_err(format!(
                "unknown twins variant {variant:?}; variants: exact, fast, portable, forced16"
            ))
        })?;
        let cache = Arc::clone(&self.cache);
        let twins = py
            .detach(move || Twins::load(&cache, v))
            .map_err(|e| mojo_err(py, e))?;
        Ok(PyTwins { twins })
    }

    /// The cache directory.
    #[getter]
    fn dir(&self) -> String {
        self.cache.dir().display().to_string()
    }

    /// The `mojo` executable in use.
    #[getter]
    fn toolchain(&self) -> String {
        self.cache.toolchain().path().display().to_string()
    }

    /// Its `mojo --version` line.
    #[getter]
    fn mojo_version(&self) -> String {
        self.cache.toolchain().version().to_string()
    }
}

#[pymethods]
impl PyArtifact {
    /// The artifact file.
    #[getter]
    fn path(&self) -> String {
        self.artifact.path().display().to_string()
    }

    /// The cache key (16 hex digits).
    #[getter]
    fn key(&self) -> String {
        self.artifact.key().to_string()
    }

    /// "hit", "compiled" or "rebuilt".
    #[getter]
    fn outcome(&self) -> &'static str {
        outcome_name(self.artifact.outcome())
    }

    /// Seconds `mojo build` took when the artifact was compiled.
    #[getter]
    fn compile_seconds(&self) -> f64 {
        self.artifact.manifest().compile_seconds
    }

    /// Loads a shared-library artifact, refusing one compiled for CPU
    /// features this machine lacks.
    fn load(&self, py: Python<'_>) -> PyResult<PyLibrary> {
        let lib = self.artifact.load().map_err(|e| mojo_err(py, e))?;
        Ok(PyLibrary { lib })
    }

    /// The file of a Python-extension artifact for CPython's extension
    /// loader, refusing one compiled for CPU features this machine lacks.
    fn extension_path(&self, py: Python<'_>) -> PyResult<String> {
        let p = self
            .artifact
            .extension_path()
            .map_err(|e| mojo_err(py, e))?;
        Ok(p.display().to_string())
    }

    /// "exe", "shared-lib" or "python-extension".
    #[getter]
    fn emit(&self) -> String {
        self.artifact.manifest().inputs.emit.clone()
    }
}

#[pymethods]
impl PyLibrary {
    /// The library file.
    #[getter]
    fn path(&self) -> String {
        self.lib.path().display().to_string()
    }

    /// Whether the library exports `name`.
    fn has_symbol(&self, name: &str) -> bool {
        self.lib.has_symbol(name)
    }

    /// The address of the exported symbol `name` (for a ctypes prototype);
    /// valid while this object lives.
    fn address(&self, py: Python<'_>, name: &str) -> PyResult<usize> {
        // SAFETY: the symbol is read as an opaque address, never called here;
        // callers keep this Library alive as long as they use the address.
        let p: *const std::ffi::c_void =
            unsafe { self.lib.symbol(name) }.map_err(|e| mojo_err(py, e))?;
        Ok(p as usize)
    }
}

/// The address of a numpy array's data after checking it can be passed as
/// a pointer of numpy type number `num`: an ndarray (not a masked one), that
/// dtype, native, aligned, C-contiguous, and writeable when `writeable`.
#[pyfunction]
pub fn array_address(obj: &Bound<'_, PyAny>, num: c_int, writeable: bool) -> PyResult<usize> {
    let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "expected a numpy.ndarray, got {}",
            obj.get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into())
        ))
    })?;
    // A masked array's mask would be ignored by the callee: refuse it.
    crate::array::refuse_masked("array", obj)?;
    let d = arr.dtype();
    if d.num() != num || d.is_native_byteorder() == Some(false) {
        // SAFETY: returns a new reference to a builtin descr.
        let want = unsafe {
            Bound::from_owned_ptr(
                obj.py(),
                npyffi::PY_ARRAY_API
                    .PyArray_DescrFromType(obj.py(), num)
                    .cast(),
            )
        };
        return Err(PyTypeError::new_err(format!(
            "array has dtype {}, the function takes {} (convert with .astype)",
            d.str()?,
            want.str()?
        )));
    }
    // SAFETY: a live ndarray, attached.
    let flags = unsafe { (*npyffi::_PyArray_GET_ITEM_DATA(arr.as_ptr().cast())).flags };
    if flags & NPY_ARRAY_C_CONTIGUOUS == 0 || flags & NPY_ARRAY_ALIGNED == 0 {
        return Err(PyValueError::new_err(
            "array must be C-contiguous and aligned (use np.ascontiguousarray)",
        ));
    }
    if writeable && flags & NPY_ARRAY_WRITEABLE == 0 {
        return Err(PyValueError::new_err(
            "array is read-only but the function writes through this pointer",
        ));
    }
    Ok(data_ptr(arr))
}

/// The Mojo twins of every simdpar kernel, callable on numpy arrays like
/// the simdpar functions (the same argument checks, `out=` rules and
/// errors: the bindings are the kernels', over the twins' engine). `sum`
/// adds with 4 vector accumulators, not simdpar's order, so it may differ in
/// the last bits; `row_sums`, `multiply` and `mandelbrot` run threaded
/// unless `threads=1`; the other methods check `threads` and ignore it; an
/// `out=` that is an input is written from a copy of that input.
#[pyclass(frozen, name = "Twins", module = "simdpar.mojo")]
pub struct PyTwins {
    twins: Twins,
}

impl PyTwins {
    /// The engine the shared entry points run on.
    fn engine(&self) -> &Twins {
        &self.twins
    }
}

/// The twins' thread argument: `None` for their single-threaded entry
/// point, `Some(0)` for one thread per CPU, `Some(n)` for at most `n`.
fn mt_threads(t: Threads) -> Option<usize> {
    match t {
        Threads::AtMost(1) => None,
        Threads::AtMost(n) => Some(n),
        Threads::Auto => Some(0),
    }
}

impl Engine for Twins {
    const IN_PLACE: bool = false;
    const BROADCASTS: bool = false;
    type Error = RustMojoError;

    fn error(py: Python<'_>, e: RustMojoError) -> PyErr {
        mojo_err(py, e)
    }

    fn sum<T: Real>(&self, x: &[T], _: Threads) -> T {
        Twins::sum(self, x)
    }

    fn run<T: Real>(&self, call: Call<'_, T>, threads: Threads) -> Result<(), RustMojoError> {
        // IN_PLACE is false: the operands are always separate buffers.
        const SEPARATE: &str = "the twins get separate buffers";
        match (call, mt_threads(threads)) {
            (Call::RowSums { m, cols, out }, None) => Twins::row_sums(self, m, cols, out),
            (Call::RowSums { m, cols, out }, Some(k)) => {
                self.row_sums_mt(m, cols, out, k).map(|_| ())
            }
            (Call::Binary(op, operands), k) => {
                let BinaryOperands::Fresh(x, y, z) = operands else {
                    unreachable!("{SEPARATE}")
                };
                match (op, k) {
                    (Bin::Add, _) => self.add(x, y, z),
                    (Bin::Mul, None) => self.multiply(x, y, z),
                    (Bin::Mul, Some(k)) => self.multiply_mt(x, y, z, k).map(|_| ()),
                }
            }
            (Call::Unary(op, p, operands), _) => {
                let UnaryOperands::Fresh(x, z) = operands else {
                    unreachable!("{SEPARATE}")
                };
                match op {
                    Un::Square => self.square(x, z),
                    Un::Scale => self.scale(x, p, z),
                    Un::Leaky => self.leaky_relu(x, p, z),
                }
            }
            (Call::Mandelbrot(grid, out), None) => Twins::mandelbrot(self, grid, out),
            (Call::Mandelbrot(grid, out), Some(k)) => self.mandelbrot_mt(grid, out, k).map(|_| ()),
        }
    }
}

crate::kernels::entry_points!(in_methods! { PyTwins; [
    /// "exact", "fast", "portable" or "forced16".
    #[getter]
    fn variant(&self) -> &'static str {
        self.twins.variant().name()
    }

    /// The loaded library file.
    #[getter]
    fn path(&self) -> String {
        self.twins.artifact().path().display().to_string()
    }

    /// Vector lanes the twin uses for `dtype`.
    fn simd_width(&self, py: Python<'_>, dtype: &Bound<'_, PyAny>) -> PyResult<usize> {
        Ok(match dtype_arg(py, Some(dtype))? {
            Dtype::F32 => self.twins.simd_width::<f32>(),
            Dtype::F64 => self.twins.simd_width::<f64>(),
        })
    }
] } [] [&self,] [self.engine()]);
