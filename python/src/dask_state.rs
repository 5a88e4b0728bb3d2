//! What `_SumRuns` ([`crate::dask_runs`]) and `_RowStates`
//! ([`crate::dask_row_states`]) share: a state held for either dtype, its
//! pickling through `_restore(dtype, bytes)`, `merged` over parts of one
//! dtype, and the little-endian byte encoding both states are written in.

use crate::accumulator::bytes_like;
use crate::array::{Dtype, NumpyDtype};
use crate::kernels::run;
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyTuple};
use simdpar_kernels::{Element, SumAccumulator};

/// Pieces shorter than this many blocks stay raw elements; longer ones
/// become a `SumAccumulator` (whose state is small whatever its length).
pub(crate) const RAW_BLOCKS: usize = 4;

/// A state of one element type that the dask helpers merge and pickle.
pub(crate) trait State: Sized + Send + Sync {
    /// Its stable byte encoding.
    fn to_bytes(&self) -> Vec<u8>;
    /// Decodes [`State::to_bytes`] output; the error says what is wrong.
    fn from_bytes(bytes: &[u8]) -> Result<Self, String>;
    /// All of `parts` (at least one) in one state.
    fn merged(parts: &[&Self]) -> Result<Self, String>;
    /// The work of merging `parts`, in elements: whether the GIL is
    /// released for it (see [`run`]).
    fn merge_cost(parts: &[&Self]) -> usize;
}

/// A state for float32 (`A`) or float64 (`B`) elements.
#[derive(Clone)]
pub(crate) enum Typed<A, B> {
    /// float32 elements.
    F32(A),
    /// float64 elements.
    F64(B),
}

/// Runs `$body` with `$s` bound to the state inside `$typed`, whatever its
/// dtype.
macro_rules! with_state {
    ($typed:expr, $s:ident => $body:expr) => {
        match $typed {
            $crate::dask_state::Typed::F32($s) => $body,
            $crate::dask_state::Typed::F64($s) => $body,
        }
    };
}
pub(crate) use with_state;

impl<A: State, B: State> Typed<A, B> {
    /// The dtype of the elements.
    pub(crate) fn dt(&self) -> Dtype {
        match self {
            Typed::F32(_) => Dtype::F32,
            Typed::F64(_) => Dtype::F64,
        }
    }

    /// Decodes `(dtype name, bytes-like)`, the arguments `__reduce__`
    /// gives `_restore`; ValueError for an unknown dtype or bad bytes.
    pub(crate) fn restore(dtype: &str, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = bytes_like("_restore", data)?;
        let state = match dtype {
            "float32" => A::from_bytes(&bytes).map(Typed::F32),
            "float64" => B::from_bytes(&bytes).map(Typed::F64),
            other => return Err(PyValueError::new_err(format!("unknown dtype {other}"))),
        };
        state.map_err(PyValueError::new_err)
    }

    /// Pickle support for the class of `slf` holding this state:
    /// `(cls._restore, (dtype name, bytes))`.
    pub(crate) fn reduce<'py, C: pyo3::PyClass>(
        &self,
        slf: &Bound<'py, C>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let bytes = with_state!(self, s => s.to_bytes());
        let restore = slf.as_any().get_type().getattr("_restore")?;
        let args = (self.dt().numpy_name(), PyBytes::new(py, &bytes)).into_pyobject(py)?;
        PyTuple::new(py, [restore, args.into_any()])
    }

    /// All of `parts` merged into one state, the GIL released for a large
    /// merge. ValueError for no parts or a failed merge, TypeError for
    /// parts of different dtypes (`what` names the states in its message).
    pub(crate) fn merged(py: Python<'_>, parts: &[&Self], what: &str) -> PyResult<Self> {
        let (mut f32s, mut f64s): (Vec<&A>, Vec<&B>) = (Vec::new(), Vec::new());
        for p in parts {
            match p {
                Typed::F32(s) => f32s.push(s),
                Typed::F64(s) => f64s.push(s),
            }
        }
        let merged = match (f32s.is_empty(), f64s.is_empty()) {
            (true, true) => return Err(PyValueError::new_err("merged() needs at least one part")),
            (false, false) => {
                return Err(PyTypeError::new_err(format!(
                    "cannot merge {what} of different dtypes"
                )));
            }
            (false, true) => run(py, A::merge_cost(&f32s), || {
                A::merged(&f32s).map(Typed::F32)
            })?,
            (true, false) => run(py, B::merge_cost(&f64s), || {
                B::merged(&f64s).map(Typed::F64)
            })?,
        };
        merged.map_err(PyValueError::new_err)
    }
}

/// Appends `v` as 8 little-endian bytes.
pub(crate) fn put_u64(b: &mut Vec<u8>, v: u64) {
    b.extend_from_slice(&v.to_le_bytes());
}

/// Appends the bits of `vs`, `size_of::<T>()` little-endian bytes each.
pub(crate) fn put_values<T: Element>(b: &mut Vec<u8>, vs: &[T]) {
    for v in vs {
        b.extend_from_slice(&v.to_bits_u64().to_le_bytes()[..std::mem::size_of::<T>()]);
    }
}

/// Appends an accumulator as its byte length and its bytes.
pub(crate) fn put_acc<T: Element>(b: &mut Vec<u8>, a: &SumAccumulator<T>) {
    let enc = a.to_bytes();
    put_u64(b, enc.len() as u64);
    b.extend_from_slice(&enc);
}

/// Reads what the `put_*` helpers wrote, front to back.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
    /// The error for bytes that end too soon.
    truncated: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `bytes`; `truncated` is the error when they
    /// end too soon.
    pub(crate) fn new(bytes: &'a [u8], truncated: &'static str) -> Self {
        Self {
            bytes,
            at: 0,
            truncated,
        }
    }

    /// The next `n` bytes.
    pub(crate) fn take(&mut self, n: usize) -> Result<&'a [u8], String> {
        let s = self
            .bytes
            .get(self.at..self.at.checked_add(n).ok_or("truncated")?)
            .ok_or(self.truncated)?;
        self.at += n;
        Ok(s)
    }

    /// The next one-byte tag.
    pub(crate) fn tag(&mut self) -> Result<u8, String> {
        Ok(self.take(1)?[0])
    }

    /// The next `u64`.
    pub(crate) fn u64(&mut self) -> Result<u64, String> {
        Ok(u64::from_le_bytes(
            self.take(8)?.try_into().expect("8 bytes"),
        ))
    }

    /// The next `u64` as a `usize`; `err` when it does not fit.
    pub(crate) fn usize(&mut self, err: &str) -> Result<usize, String> {
        usize::try_from(self.u64()?).map_err(|_| err.to_string())
    }

    /// The next `n` values of `T`, appended to `out`.
    pub(crate) fn values<T: Element>(&mut self, n: usize, out: &mut Vec<T>) -> Result<(), String> {
        let size = std::mem::size_of::<T>();
        let raw = self.take(n.checked_mul(size).ok_or("too long")?)?;
        for c in raw.chunks_exact(size) {
            let mut w = [0u8; 8];
            w[..size].copy_from_slice(c);
            out.push(T::from_bits_u64(u64::from_le_bytes(w)));
        }
        Ok(())
    }

    /// The next accumulator (its byte length, then its bytes).
    pub(crate) fn acc<T: Element>(&mut self) -> Result<SumAccumulator<T>, String> {
        let n = self.usize("too long")?;
        SumAccumulator::from_bytes(self.take(n)?).map_err(|e| e.to_string())
    }

    /// Checks that all bytes were read; `trailing` is the error otherwise.
    pub(crate) fn finish(&self, trailing: &str) -> Result<(), String> {
        if self.at != self.bytes.len() {
            return Err(trailing.to_string());
        }
        Ok(())
    }
}
