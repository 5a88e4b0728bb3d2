//! `simdpar.SumAccumulator`: the fixed-order sum fed piece by piece, for
//! streams and for the chunks of a distributed array (`simdpar.dask`).
//!
//! A thin wrapper over [`simdpar_kernels::SumAccumulator`] for one of the
//! two dtypes; pickles through the kernels' stable byte encoding.

use crate::array::{Dtype, NumpyDtype, dtype_arg, input, np_scalar, slice_at, widen};
use crate::kernels::run;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyTuple};
use simdpar_kernels::reduce::accumulator::encoded_dtype;
use simdpar_kernels::{AccumulatorError, SumAccumulator};
use std::sync::{Mutex, MutexGuard, TryLockError};

/// The accumulator of one dtype.
#[derive(Clone)]
enum Inner {
    F32(SumAccumulator<f32>),
    F64(SumAccumulator<f64>),
}

impl Inner {
    fn dt(&self) -> Dtype {
        match self {
            Inner::F32(_) => Dtype::F32,
            Inner::F64(_) => Dtype::F64,
        }
    }
}

/// Runs `$body` with `$a` bound to the typed accumulator inside `$inner`.
macro_rules! with_acc {
    ($inner:expr, $a:ident => $body:expr) => {
        match $inner {
            Inner::F32($a) => $body,
            Inner::F64($a) => $body,
        }
    };
}

/// Maps an accumulator error to ValueError.
fn acc_err(e: AccumulatorError) -> PyErr {
    PyValueError::new_err(e.to_string())
}

/// The bytes of a bytes-like object (`bytes`, `bytearray`, `memoryview`
/// or anything else with the buffer protocol), copied; TypeError for
/// anything else (an int is not taken as a length, as `bytes(5)` would).
pub fn bytes_like(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(b) = obj.cast::<PyBytes>() {
        return Ok(b.as_bytes().to_vec());
    }
    if let Ok(b) = obj.cast::<PyByteArray>() {
        return Ok(b.to_vec());
    }
    let py = obj.py();
    let view = py
        .import("builtins")?
        .getattr("memoryview")?
        .call1((obj,))
        .map_err(|_| {
            let got = obj
                .get_type()
                .name()
                .map(|n| n.to_string())
                .unwrap_or_else(|_| "?".into());
            PyTypeError::new_err(format!(
                "{what} needs a bytes-like object (bytes, bytearray, memoryview), got {got}"
            ))
        })?;
    let raw = view.call_method0("tobytes")?;
    Ok(raw.cast::<PyBytes>()?.as_bytes().to_vec())
}

/// Decodes bytes of either dtype.
fn decode(bytes: &[u8]) -> PyResult<Inner> {
    Ok(match encoded_dtype(bytes).map_err(acc_err)? {
        "f32" => Inner::F32(SumAccumulator::from_bytes(bytes).map_err(acc_err)?),
        _ => Inner::F64(SumAccumulator::from_bytes(bytes).map_err(acc_err)?),
    })
}

/// A running sum in simdpar's fixed order over a contiguous range of
/// element positions `[start, end)`: `add` appends elements, `merge`
/// appends the accumulator that starts where this one ends, and `result()`
/// (for one that starts at 0) is bitwise equal to `simdpar.sum` of all the
/// elements, however they were cut into pieces.
///
/// Safe to share between threads: calls on one accumulator are serialised
/// by a lock (a call waits, with the GIL released, while another thread's
/// `add` runs), so concurrent `add`s all land, one after the other.
#[pyclass(name = "SumAccumulator", module = "simdpar._simdpar", frozen)]
pub struct PySumAccumulator {
    inner: Mutex<Inner>,
}

impl PySumAccumulator {
    fn of(inner: Inner) -> Self {
        Self {
            inner: Mutex::new(inner),
        }
    }

    /// The state, locked. Waits with the GIL released while another thread
    /// holds it (that thread may need the GIL to finish), then takes it
    /// with the GIL held. A poisoned lock is taken as is: every change to
    /// the state is a kernel call whose panics are caught before they
    /// could leave it half-done.
    fn lock(&self, py: Python<'_>) -> MutexGuard<'_, Inner> {
        loop {
            match self.inner.try_lock() {
                Ok(g) => return g,
                Err(TryLockError::Poisoned(p)) => return p.into_inner(),
                Err(TryLockError::WouldBlock) => {
                    py.detach(|| drop(self.inner.lock()));
                }
            }
        }
    }
}

#[pymethods]
impl PySumAccumulator {
    /// `SumAccumulator(dtype, start=0)`: an empty accumulator for float32 or
    /// float64 elements whose first element is element number `start` of the
    /// whole stream. `None` means float64 (as elsewhere in simdpar); other
    /// dtypes raise TypeError.
    #[new]
    #[pyo3(signature = (dtype, start = 0))]
    fn new(py: Python<'_>, dtype: Option<&Bound<'_, PyAny>>, start: u64) -> PyResult<Self> {
        let inner = match dtype_arg(py, dtype)? {
            Dtype::F32 => Inner::F32(SumAccumulator::starting_at(start)),
            Dtype::F64 => Inner::F64(SumAccumulator::starting_at(start)),
        };
        Ok(Self::of(inner))
    }

    /// Appends the elements of `x` (an array of this accumulator's dtype,
    /// any shape, read in C order). Another dtype raises TypeError. The GIL
    /// is released while a large array is summed.
    fn add(&self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<()> {
        let ix = input("x", x)?;
        let mut guard = self.lock(py);
        if ix.dt != guard.dt() {
            return Err(PyTypeError::new_err(format!(
                "this SumAccumulator holds {}, got an array of {}",
                guard.dt().numpy_name(),
                ix.dt.numpy_name()
            )));
        }
        let (p, n) = (ix.ptr, ix.len);
        let inner = &mut *guard;
        // SAFETY (both arms): `ix` keeps n elements of the matching type
        // alive at p for the call, and nothing writes them meanwhile.
        let r = run(
            py,
            n,
            move || with_acc!(inner, a => a.add(unsafe { slice_at(p, n) })),
        )?;
        r.map_err(acc_err)
    }

    /// Appends everything `other` holds after what this one holds. `other`
    /// must have the same dtype (TypeError otherwise), start where this
    /// one ends (ValueError otherwise; nothing changes) and be another
    /// accumulator (ValueError for `a.merge(a)`).
    fn merge(&self, py: Python<'_>, other: &Bound<'_, Self>) -> PyResult<()> {
        let other = other.get();
        if std::ptr::eq(self, other) {
            return Err(PyValueError::new_err(
                "cannot merge a SumAccumulator into itself: merge appends another \
                 accumulator's elements after this one's, and this one does not start \
                 where it ends; merge a copy() of a neighbouring piece instead",
            ));
        }
        // A snapshot of `other` first, so that only one lock is held at a
        // time (two threads merging a into b and b into a cannot deadlock).
        let theirs = other.lock(py).clone();
        let mut mine = self.lock(py);
        match (&mut *mine, &theirs) {
            (Inner::F32(a), Inner::F32(b)) => a.merge(b).map_err(acc_err),
            (Inner::F64(a), Inner::F64(b)) => a.merge(b).map_err(acc_err),
            (a, b) => Err(PyTypeError::new_err(format!(
                "cannot merge a {} SumAccumulator into a {} one",
                b.dt().numpy_name(),
                a.dt().numpy_name()
            ))),
        }
    }

    /// The sum of all elements from position 0 to `end`, a numpy scalar of
    /// the accumulator's dtype, bitwise equal to `simdpar.sum` of their
    /// concatenation (0.0 when empty). ValueError when `start != 0`.
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let (dt, v) = {
            let g = self.lock(py);
            let v = with_acc!(&*g, a => widen(a.result().map_err(acc_err)?));
            (g.dt(), v)
        };
        np_scalar(py, dt, v)
    }

    /// The dtype name: "float32" or "float64".
    #[getter]
    fn dtype(&self, py: Python<'_>) -> &'static str {
        self.lock(py).dt().numpy_name()
    }

    /// Position of the first element covered.
    #[getter]
    fn start(&self, py: Python<'_>) -> u64 {
        with_acc!(&*self.lock(py), a => a.start())
    }

    /// Position after the last element: where the next piece starts.
    #[getter]
    fn end(&self, py: Python<'_>) -> u64 {
        with_acc!(&*self.lock(py), a => a.end())
    }

    /// Number of elements added so far (directly or by merging).
    #[getter]
    fn size(&self, py: Python<'_>) -> u64 {
        with_acc!(&*self.lock(py), a => a.len())
    }

    /// The stable, versioned byte encoding of the state (see the Rust
    /// `SumAccumulator::to_bytes`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        let bytes = with_acc!(&*self.lock(py), a => a.to_bytes());
        PyBytes::new(py, &bytes)
    }

    /// Restores an accumulator from `to_bytes()` output (any bytes-like
    /// object: bytes, bytearray, memoryview); ValueError for bytes of
    /// another version, a truncated state or anything else, TypeError for
    /// an object that is not bytes-like.
    #[staticmethod]
    fn from_bytes(data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self::of(decode(&bytes_like("from_bytes", data)?)?))
    }

    /// Pickle support: `(SumAccumulator, (dtype,), state bytes)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.get();
        let args = PyTuple::new(py, [me.dtype(py)])?;
        let state = me.to_bytes(py);
        PyTuple::new(
            py,
            [slf.get_type().into_any(), args.into_any(), state.into_any()],
        )
    }

    /// The state as bytes (pickle protocol).
    fn __getstate__<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        self.to_bytes(py)
    }

    /// Replaces the state with decoded bytes (pickle protocol).
    fn __setstate__(&self, py: Python<'_>, state: &Bound<'_, PyAny>) -> PyResult<()> {
        let decoded = decode(&bytes_like("__setstate__", state)?)?;
        *self.lock(py) = decoded;
        Ok(())
    }

    /// A copy with its own state.
    fn copy(&self, py: Python<'_>) -> Self {
        Self::of(self.lock(py).clone())
    }

    fn __repr__(&self, py: Python<'_>) -> String {
        let g = self.lock(py);
        let (start, end) = with_acc!(&*g, a => (a.start(), a.end()));
        format!(
            "SumAccumulator(dtype={}, start={start}, end={end})",
            g.dt().numpy_name()
        )
    }
}
