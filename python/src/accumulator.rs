//! `simdpar.SumAccumulator`: the fixed-order sum fed piece by piece, for
//! streams and for the chunks of a distributed array (`simdpar.dask`).
//!
//! A thin wrapper over [`simdpar_kernels::SumAccumulator`] for one of the
//! two dtypes; pickles through the kernels' stable byte encoding.

use crate::array::{Dt, dtype_arg, input, np_scalar, ro, widen};
use crate::kernels::run;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use simdpar_kernels::reduce::accumulator::encoded_dtype;
use simdpar_kernels::{AccumulatorError, SumAccumulator};

/// The accumulator of one dtype.
#[derive(Clone)]
enum Inner {
    F32(SumAccumulator<f32>),
    F64(SumAccumulator<f64>),
}

impl Inner {
    fn dt(&self) -> Dt {
        match self {
            Inner::F32(_) => Dt::F32,
            Inner::F64(_) => Dt::F64,
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
#[pyclass(name = "SumAccumulator", module = "simdpar._simdpar")]
pub struct PySumAccumulator {
    inner: Inner,
}

#[pymethods]
impl PySumAccumulator {
    /// `SumAccumulator(dtype, start=0)`: an empty accumulator for float32 or
    /// float64 elements whose first element is element number `start` of the
    /// whole stream. Other dtypes raise TypeError.
    #[new]
    #[pyo3(signature = (dtype, start = 0))]
    fn new(py: Python<'_>, dtype: &Bound<'_, PyAny>, start: u64) -> PyResult<Self> {
        let inner = match dtype_arg(py, Some(dtype))? {
            Dt::F32 => Inner::F32(SumAccumulator::starting_at(start)),
            Dt::F64 => Inner::F64(SumAccumulator::starting_at(start)),
        };
        Ok(Self { inner })
    }

    /// Appends the elements of `x` (an array of this accumulator's dtype,
    /// any shape, read in C order). Another dtype raises TypeError. The GIL
    /// is released while a large array is summed.
    fn add(&mut self, py: Python<'_>, x: &Bound<'_, PyAny>) -> PyResult<()> {
        let ix = input("x", x)?;
        if ix.dt != self.inner.dt() {
            return Err(PyTypeError::new_err(format!(
                "this SumAccumulator holds {}, got an array of {}",
                self.inner.dt().name(),
                ix.dt.name()
            )));
        }
        let (p, n) = (ix.ptr, ix.len);
        let inner = &mut self.inner;
        // SAFETY (both arms): `ix` keeps n elements of the matching type
        // alive at p for the call, and nothing writes them meanwhile.
        let r = run(
            py,
            n,
            move || with_acc!(inner, a => a.add(unsafe { ro(p, n) })),
        )?;
        r.map_err(acc_err)
    }

    /// Appends everything `other` holds after what this one holds. `other`
    /// must have the same dtype (TypeError otherwise) and start where this
    /// one ends (ValueError otherwise; nothing changes).
    fn merge(&mut self, other: PyRef<'_, Self>) -> PyResult<()> {
        match (&mut self.inner, &other.inner) {
            (Inner::F32(a), Inner::F32(b)) => a.merge(b).map_err(acc_err),
            (Inner::F64(a), Inner::F64(b)) => a.merge(b).map_err(acc_err),
            (a, b) => Err(PyTypeError::new_err(format!(
                "cannot merge a {} SumAccumulator into a {} one",
                b.dt().name(),
                a.dt().name()
            ))),
        }
    }

    /// The sum of all elements from position 0 to `end`, a numpy scalar of
    /// the accumulator's dtype, bitwise equal to `simdpar.sum` of their
    /// concatenation (0.0 when empty). ValueError when `start != 0`.
    fn result<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyAny>> {
        let v = with_acc!(&self.inner, a => widen(a.result().map_err(acc_err)?));
        np_scalar(py, self.inner.dt(), v)
    }

    /// The dtype name: "float32" or "float64".
    #[getter]
    fn dtype(&self) -> &'static str {
        self.inner.dt().name()
    }

    /// Position of the first element covered.
    #[getter]
    fn start(&self) -> u64 {
        with_acc!(&self.inner, a => a.start())
    }

    /// Position after the last element: where the next piece starts.
    #[getter]
    fn end(&self) -> u64 {
        with_acc!(&self.inner, a => a.end())
    }

    /// Number of elements added so far (directly or by merging).
    #[getter]
    fn size(&self) -> u64 {
        with_acc!(&self.inner, a => a.len())
    }

    /// The stable, versioned byte encoding of the state (see the Rust
    /// `SumAccumulator::to_bytes`).
    fn to_bytes<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &with_acc!(&self.inner, a => a.to_bytes()))
    }

    /// Restores an accumulator from `to_bytes()` output; ValueError for
    /// bytes of another version, a truncated state or anything else.
    #[staticmethod]
    fn from_bytes(data: &[u8]) -> PyResult<Self> {
        Ok(Self {
            inner: decode(data)?,
        })
    }

    /// Pickle support: `(SumAccumulator, (dtype,), state bytes)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.borrow();
        let args = PyTuple::new(py, [me.dtype()])?;
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
    fn __setstate__(&mut self, state: &[u8]) -> PyResult<()> {
        self.inner = decode(state)?;
        Ok(())
    }

    /// A copy with its own state.
    fn copy(&self) -> Self {
        Self {
            inner: self.inner.clone(),
        }
    }

    fn __repr__(&self) -> String {
        format!(
            "SumAccumulator(dtype={}, start={}, end={})",
            self.dtype(),
            self.start(),
            self.end()
        )
    }
}
