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
use simdpar_kernels::{AccumulatorError, Element, SumAccumulator};
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

// ---------------------------------------------------------------------------
// Many runs at once: the states of `simdpar.dask.sum`.

/// Pieces shorter than this many blocks stay raw elements; longer ones
/// become a `SumAccumulator` (whose state is small whatever its length).
const RAW_BLOCKS: usize = 4;

/// One piece of a [`Runs`]: raw elements (in the pool), an accumulator, or
/// a grid of raw elements (`rows` runs of `run_len` elements, `stride`
/// positions apart: the chunk of a column-chunked array, one piece however
/// many rows it has).
#[derive(Clone)]
enum Piece<T: Element> {
    Raw {
        start: u64,
        off: usize,
        len: usize,
    },
    Acc(Box<SumAccumulator<T>>),
    Grid {
        start: u64,
        run_len: usize,
        stride: u64,
        rows: usize,
        off: usize,
    },
}

impl<T: Element> Piece<T> {
    fn start(&self) -> u64 {
        match self {
            Piece::Raw { start, .. } | Piece::Grid { start, .. } => *start,
            Piece::Acc(a) => a.start(),
        }
    }

    /// Position after the last element (of the last row, for a grid).
    fn end(&self) -> u64 {
        match self {
            Piece::Raw { start, len, .. } => start + *len as u64,
            Piece::Acc(a) => a.end(),
            Piece::Grid {
                start,
                run_len,
                stride,
                rows,
                ..
            } => start + (*rows as u64 - 1) * stride + *run_len as u64,
        }
    }
}

/// Runs of element positions with disjoint spans, sorted, touching ones
/// joined: raw elements while short (one pool for all of them, no state per
/// run), an accumulator once long, and grids for the column chunks of 2-D
/// arrays. Joining runs performs the additions of the fixed order exactly as
/// merging one accumulator per run would: raw elements are only ever copied
/// in position order, and sums start from contiguous runs.
#[derive(Clone)]
struct Runs<T: Element> {
    pool: Vec<T>,
    pieces: Vec<Piece<T>>,
}

/// A piece and the pool its elements are in.
type PieceRef<'a, T> = (&'a Piece<T>, &'a [T]);

impl<T: Element> Runs<T> {
    fn empty() -> Self {
        Self {
            pool: Vec::new(),
            pieces: Vec::new(),
        }
    }

    /// An accumulator holding the raw run `data` that starts at `start`.
    fn acc_of(start: u64, data: &[T]) -> Result<SumAccumulator<T>, AccumulatorError> {
        let mut a = SumAccumulator::starting_at(start);
        a.add(data)?;
        Ok(a)
    }

    /// Appends `p` (elements in `pool`) after the last piece, joining it to
    /// that piece when they touch. Pieces must come in order of position; a
    /// grid must neither touch nor overlap its neighbours.
    fn push(&mut self, p: &Piece<T>, pool: &[T]) -> Result<(), String> {
        let last_end = self.pieces.last().map(|q| q.end());
        if let Some(end) = last_end
            && p.start() < end
        {
            return Err(format!(
                "overlapping runs: one ends at {end}, the next starts at {}",
                p.start()
            ));
        }
        if last_end != Some(p.start()) {
            match p {
                Piece::Raw { start, off, len } => {
                    let at = self.pool.len();
                    self.pool.extend_from_slice(&pool[*off..off + len]);
                    self.pieces.push(Piece::Raw {
                        start: *start,
                        off: at,
                        len: *len,
                    });
                }
                Piece::Acc(a) => self.pieces.push(Piece::Acc(a.clone())),
                Piece::Grid {
                    start,
                    run_len,
                    stride,
                    rows,
                    off,
                } => {
                    let at = self.pool.len();
                    self.pool
                        .extend_from_slice(&pool[*off..off + rows * run_len]);
                    self.pieces.push(Piece::Grid {
                        start: *start,
                        run_len: *run_len,
                        stride: *stride,
                        rows: *rows,
                        off: at,
                    });
                }
            }
            return self.settle();
        }
        let last = self.pieces.len() - 1;
        let e = |e: AccumulatorError| e.to_string();
        match (&mut self.pieces[last], p) {
            (Piece::Grid { .. }, _) | (_, Piece::Grid { .. }) => {
                return Err("a grid of runs touches another run".into());
            }
            (Piece::Raw { len, .. }, Piece::Raw { off, len: n, .. }) => {
                self.pool.extend_from_slice(&pool[*off..off + n]);
                *len += n;
            }
            (Piece::Acc(a), Piece::Raw { off, len: n, .. }) => {
                a.add(&pool[*off..off + n]).map_err(e)?;
            }
            (Piece::Acc(a), Piece::Acc(b)) => a.merge(b).map_err(e)?,
            (Piece::Raw { start, off, len }, Piece::Acc(b)) => {
                let mut a = Self::acc_of(*start, &self.pool[*off..*off + *len]).map_err(e)?;
                a.merge(b).map_err(e)?;
                self.pool.truncate(*off);
                self.pieces[last] = Piece::Acc(Box::new(a));
            }
        }
        self.settle()
    }

    /// Turns the last piece into an accumulator once it is long.
    fn settle(&mut self) -> Result<(), String> {
        if let Some(&Piece::Raw { start, off, len }) = self.pieces.last()
            && len >= RAW_BLOCKS * T::SUM_BLOCK
        {
            let a = Self::acc_of(start, &self.pool[off..off + len]).map_err(|e| e.to_string())?;
            self.pool.truncate(off);
            *self.pieces.last_mut().expect("a last piece") = Piece::Acc(Box::new(a));
        }
        Ok(())
    }

    /// The runs of `data` read as `starts.len()` rows of `run_len`
    /// elements, row `r` starting at position `starts[r]`.
    fn from_rows(data: &[T], starts: &[u64], run_len: usize) -> Result<Self, String> {
        let mut out = Self::empty();
        if run_len == 0 || starts.is_empty() {
            return Ok(out);
        }
        for &s in starts {
            s.checked_add(run_len as u64)
                .ok_or("a run ends past 2**64")?;
        }
        // Rows evenly spaced with gaps between them: one grid.
        if starts.len() >= 2 {
            let stride = starts[1].wrapping_sub(starts[0]);
            if starts[1] > starts[0]
                && stride > run_len as u64
                && starts.windows(2).all(|w| w[1].wrapping_sub(w[0]) == stride)
            {
                out.pool.extend_from_slice(data);
                out.pieces.push(Piece::Grid {
                    start: starts[0],
                    run_len,
                    stride,
                    rows: starts.len(),
                    off: 0,
                });
                return Ok(out);
            }
        }
        let mut order: Vec<usize> = (0..starts.len()).collect();
        order.sort_by_key(|&r| starts[r]);
        for r in order {
            let piece = Piece::Raw {
                start: starts[r],
                off: r * run_len,
                len: run_len,
            };
            out.push(&piece, data)?;
        }
        Ok(out)
    }

    /// One grid from `rows` rows of `run_len` elements read at `p` with
    /// `row_stride` elements between rows' starts (a strided 2-D view, read
    /// without an intermediate contiguous copy); `None` when the starts are
    /// not evenly spaced with gaps (the caller takes the general path).
    ///
    /// # Safety
    ///
    /// `p` must point at `rows` rows of `run_len` readable elements of `T`,
    /// `row_stride` elements apart, alive and unchanged for the call.
    unsafe fn grid_from_strided(
        p: usize,
        row_stride: isize,
        run_len: usize,
        starts: &[u64],
    ) -> Option<Self> {
        let rows = starts.len();
        if rows < 2 || run_len == 0 {
            return None;
        }
        let stride = starts[1].checked_sub(starts[0])?;
        if stride <= run_len as u64
            || !starts.windows(2).all(|w| w[1].wrapping_sub(w[0]) == stride)
            || starts[rows - 1].checked_add(run_len as u64).is_none()
        {
            return None;
        }
        let mut pool = Vec::with_capacity(rows * run_len);
        for r in 0..rows {
            // SAFETY: row r lies within the view described by the caller.
            let row = unsafe {
                std::slice::from_raw_parts((p as *const T).offset(r as isize * row_stride), run_len)
            };
            pool.extend_from_slice(row);
        }
        Some(Self {
            pool,
            pieces: vec![Piece::Grid {
                start: starts[0],
                run_len,
                stride,
                rows,
                off: 0,
            }],
        })
    }

    /// Joins chains of grids that sit side by side (same rows and stride,
    /// each starting where the previous one's first row ends) into one
    /// grid, or one raw run once the rows meet. Returns the pieces left,
    /// with owned data for the joined ones in `joined`.
    fn join_grids<'a>(
        pieces: Vec<PieceRef<'a, T>>,
        joined: &mut Runs<T>,
    ) -> Vec<Option<PieceRef<'a, T>>> {
        use std::collections::HashMap;
        let mut by_start: HashMap<(u64, u64, usize), usize> = HashMap::new();
        for (i, (p, _)) in pieces.iter().enumerate() {
            if let Piece::Grid {
                start,
                stride,
                rows,
                ..
            } = p
            {
                by_start.insert((*start, *stride, *rows), i);
            }
        }
        let mut has_pred = vec![false; pieces.len()];
        let mut next = vec![None; pieces.len()];
        for (i, (p, _)) in pieces.iter().enumerate() {
            if let Piece::Grid {
                start,
                run_len,
                stride,
                rows,
                ..
            } = p
                && let Some(&j) = by_start.get(&(start + *run_len as u64, *stride, *rows))
                && j != i
            {
                next[i] = Some(j);
                has_pred[j] = true;
            }
        }
        let mut left: Vec<Option<PieceRef<'a, T>>> = pieces.iter().map(|&p| Some(p)).collect();
        for head in 0..pieces.len() {
            if has_pred[head] || next[head].is_none() {
                continue;
            }
            let mut chain = vec![head];
            while let Some(j) = next[*chain.last().expect("a chain")] {
                if chain.len() > pieces.len() {
                    return left; // a cycle cannot happen with positions; stay safe
                }
                chain.push(j);
            }
            let Piece::Grid {
                start,
                stride,
                rows,
                ..
            } = *pieces[head].0
            else {
                continue;
            };
            let widths: Vec<usize> = chain
                .iter()
                .map(|&i| match pieces[i].0 {
                    Piece::Grid { run_len, .. } => *run_len,
                    _ => 0,
                })
                .collect();
            let width: usize = widths.iter().sum();
            if width as u64 > stride {
                continue; // overlapping rows: left to the general walk, which refuses them
            }
            let mut segments: Vec<&[T]> = Vec::with_capacity(rows * chain.len());
            for r in 0..rows {
                for (&i, &w) in chain.iter().zip(&widths) {
                    if let (Piece::Grid { off: o, .. }, pool) = pieces[i] {
                        segments.push(&pool[o + r * w..o + (r + 1) * w]);
                    }
                }
            }
            if width as u64 == stride && rows * width >= RAW_BLOCKS * T::SUM_BLOCK {
                // The rows meet and the run is long: sum it through a small
                // staging buffer (adding a run piece by piece gives the same
                // bits as adding it whole) instead of copying it all first.
                let mut acc = SumAccumulator::starting_at(start);
                let cap = 64 * T::SUM_BLOCK;
                let mut stage: Vec<T> = Vec::with_capacity(cap);
                for seg in segments {
                    let mut seg = seg;
                    while !seg.is_empty() {
                        let take = seg.len().min(cap - stage.len());
                        stage.extend_from_slice(&seg[..take]);
                        seg = &seg[take..];
                        if stage.len() == cap {
                            if acc.add(&stage).is_err() {
                                return left;
                            }
                            stage.clear();
                        }
                    }
                }
                if acc.add(&stage).is_err() {
                    return left;
                }
                joined.pieces.push(Piece::Acc(Box::new(acc)));
                for &i in &chain {
                    left[i] = None;
                }
                continue;
            }
            let off = joined.pool.len();
            joined.pool.reserve(rows * width);
            for seg in segments {
                joined.pool.extend_from_slice(seg);
            }
            let piece = if width as u64 == stride {
                Piece::Raw {
                    start,
                    off,
                    len: rows * width,
                }
            } else {
                Piece::Grid {
                    start,
                    run_len: width,
                    stride,
                    rows,
                    off,
                }
            };
            joined.pieces.push(piece);
            for &i in &chain {
                left[i] = None;
            }
        }
        left
    }

    /// A grid as one raw piece per row.
    fn rows_of(p: &Piece<T>) -> Vec<Piece<T>> {
        match *p {
            Piece::Grid {
                start,
                run_len,
                stride,
                rows,
                off,
            } => (0..rows)
                .map(|r| Piece::Raw {
                    start: start + r as u64 * stride,
                    off: off + r * run_len,
                    len: run_len,
                })
                .collect(),
            ref other => vec![other.clone()],
        }
    }

    /// All runs of `parts` in one, sorted, touching ones joined.
    fn merged(parts: &[&Self]) -> Result<Self, String> {
        let all: Vec<PieceRef<'_, T>> = parts
            .iter()
            .flat_map(|r| r.pieces.iter().map(move |p| (p, r.pool.as_slice())))
            .collect();
        let mut joined = Self::empty();
        let left = Self::join_grids(all, &mut joined);
        let mut refs: Vec<PieceRef<'_, T>> = left.into_iter().flatten().collect();
        refs.extend(joined.pieces.iter().map(|p| (p, joined.pool.as_slice())));
        // Each part is sorted already: a stable sort finds those runs and
        // merges them (n log parts), where an unstable one would not.
        refs.sort_by_key(|(p, _)| p.start());
        let grid_conflict = refs.windows(2).any(|w| {
            let grid = matches!(w[0].0, Piece::Grid { .. }) || matches!(w[1].0, Piece::Grid { .. });
            grid && w[1].0.start() <= w[0].0.end()
        });
        let mut out = Self::empty();
        if !grid_conflict {
            for (p, pool) in refs {
                out.push(p, pool)?;
            }
            return Ok(out);
        }
        // A grid interleaves with other runs: every grid row by row.
        let mut rows: Vec<(Piece<T>, &[T])> = refs
            .iter()
            .flat_map(|&(p, pool)| Self::rows_of(p).into_iter().map(move |q| (q, pool)))
            .collect();
        rows.sort_by_key(|(p, _)| p.start());
        for (p, pool) in &rows {
            out.push(p, pool)?;
        }
        Ok(out)
    }

    /// The sum of positions `0..size`, when the runs are exactly that.
    fn result(&self, size: u64) -> Result<T, String> {
        let spans: Vec<(u64, u64)> = self.pieces.iter().map(|p| (p.start(), p.end())).collect();
        let e = |e: AccumulatorError| e.to_string();
        match self.pieces.as_slice() {
            [] if size == 0 => Ok(T::ZERO),
            [p] if p.start() == 0 && p.end() == size => match p {
                Piece::Acc(a) => a.result().map_err(e),
                Piece::Raw { start, off, len } => Self::acc_of(*start, &self.pool[*off..off + len])
                    .map_err(e)?
                    .result()
                    .map_err(e),
                Piece::Grid { .. } => Err(format!("the runs {spans:?} have gaps")),
            },
            _ => Err(format!("the runs {spans:?} do not cover 0..{size}")),
        }
    }

    /// Encoding: count, then per piece a tag (0 raw, 1 accumulator, 2
    /// grid); raw: start, length, values' bits; accumulator: byte length,
    /// its bytes; grid: start, run length, stride, rows, values' bits.
    fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        let values = |b: &mut Vec<u8>, vs: &[T]| {
            for v in vs {
                let bits = v.to_bits_u64();
                b.extend_from_slice(&bits.to_le_bytes()[..std::mem::size_of::<T>()]);
            }
        };
        b.extend_from_slice(&(self.pieces.len() as u64).to_le_bytes());
        for p in &self.pieces {
            match p {
                Piece::Raw { start, off, len } => {
                    b.push(0);
                    b.extend_from_slice(&start.to_le_bytes());
                    b.extend_from_slice(&(*len as u64).to_le_bytes());
                    values(&mut b, &self.pool[*off..off + len]);
                }
                Piece::Acc(a) => {
                    let enc = a.to_bytes();
                    b.push(1);
                    b.extend_from_slice(&(enc.len() as u64).to_le_bytes());
                    b.extend_from_slice(&enc);
                }
                Piece::Grid {
                    start,
                    run_len,
                    stride,
                    rows,
                    off,
                } => {
                    b.push(2);
                    for v in [*start, *run_len as u64, *stride, *rows as u64] {
                        b.extend_from_slice(&v.to_le_bytes());
                    }
                    values(&mut b, &self.pool[*off..off + rows * run_len]);
                }
            }
        }
        b
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], String> {
            let s = bytes
                .get(at..at.checked_add(n).ok_or("truncated")?)
                .ok_or("truncated runs state")?;
            at += n;
            Ok(s)
        };
        let u64_of = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
        let size = std::mem::size_of::<T>();
        let count = u64_of(take(8)?);
        let mut out = Self::empty();
        let read_values = |raw: &[u8], pool: &mut Vec<T>| {
            for c in raw.chunks_exact(size) {
                let mut w = [0u8; 8];
                w[..size].copy_from_slice(c);
                pool.push(T::from_bits_u64(u64::from_le_bytes(w)));
            }
        };
        let usize_of = |v: u64| usize::try_from(v).map_err(|_| "too long".to_string());
        for _ in 0..count {
            let piece = match take(1)?[0] {
                0 => {
                    let start = u64_of(take(8)?);
                    let len = usize_of(u64_of(take(8)?))?;
                    let raw = take(len.checked_mul(size).ok_or("too long")?)?;
                    let off = out.pool.len();
                    read_values(raw, &mut out.pool);
                    Piece::Raw { start, off, len }
                }
                1 => {
                    let n = usize_of(u64_of(take(8)?))?;
                    let a = SumAccumulator::from_bytes(take(n)?).map_err(|e| e.to_string())?;
                    Piece::Acc(Box::new(a))
                }
                2 => {
                    let start = u64_of(take(8)?);
                    let run_len = usize_of(u64_of(take(8)?))?;
                    let stride = u64_of(take(8)?);
                    let rows = usize_of(u64_of(take(8)?))?;
                    if rows == 0 || run_len == 0 || stride <= run_len as u64 {
                        return Err("a malformed grid in the runs state".into());
                    }
                    let n = rows.checked_mul(run_len).ok_or("too long")?;
                    let raw = take(n.checked_mul(size).ok_or("too long")?)?;
                    let off = out.pool.len();
                    read_values(raw, &mut out.pool);
                    Piece::Grid {
                        start,
                        run_len,
                        stride,
                        rows,
                        off,
                    }
                }
                t => return Err(format!("unknown piece tag {t}")),
            };
            out.pieces.push(piece);
        }
        if at != bytes.len() {
            return Err("trailing bytes after the runs state".into());
        }
        Ok(out)
    }
}

/// Runs of either dtype.
#[derive(Clone)]
enum AnyRuns {
    F32(Runs<f32>),
    F64(Runs<f64>),
}

impl AnyRuns {
    fn dt(&self) -> Dtype {
        match self {
            AnyRuns::F32(_) => Dtype::F32,
            AnyRuns::F64(_) => Dtype::F64,
        }
    }
}

/// Internal state of `simdpar.dask.sum`: the runs of element positions one
/// chunk (or a merge of chunks) covers, joined in Rust, so that a chunk of
/// many short rows costs one object, not one accumulator per row.
#[pyclass(name = "_SumRuns", module = "simdpar._simdpar", frozen)]
pub struct PySumRuns {
    runs: AnyRuns,
}

impl PySumRuns {
    /// The grid of a 2-D float32/float64 array in native byte order whose
    /// rows each lie contiguous (`x[:, a:b]` of a C-ordered array), one row
    /// per start; `None` for anything else.
    fn strided_grid(
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        starts: &[u64],
    ) -> PyResult<Option<AnyRuns>> {
        macro_rules! try_dtype {
            ($t:ty, $wrap:path) => {
                if let Ok(a) = x.extract::<numpy::PyReadonlyArray2<'_, $t>>() {
                    let view = a.as_array();
                    let (rows, cols) = view.dim();
                    let st = view.strides();
                    if rows != starts.len() || (cols > 1 && st[1] != 1) {
                        return Ok(None);
                    }
                    let (p, row_stride) = (view.as_ptr() as usize, st[0]);
                    // SAFETY: `a` (a read-only borrow of the array) keeps the
                    // rows x cols elements at p, row_stride apart, alive and
                    // unwritten for the call.
                    let runs = run(py, rows * cols, move || unsafe {
                        Runs::<$t>::grid_from_strided(p, row_stride, cols, starts)
                    })?;
                    return Ok(runs.map($wrap));
                }
            };
        }
        try_dtype!(f32, AnyRuns::F32);
        try_dtype!(f64, AnyRuns::F64);
        Ok(None)
    }
}

#[pymethods]
impl PySumRuns {
    /// `_SumRuns.from_rows(x, starts)`: `x` (float32/float64, any shape,
    /// read in C order) as `len(starts)` rows of equal length, row `r`
    /// holding positions `starts[r]`, `starts[r] + 1`, ... (`starts` a 1-D
    /// int64 array).
    #[staticmethod]
    fn from_rows(
        py: Python<'_>,
        x: &Bound<'_, PyAny>,
        starts: numpy::PyReadonlyArray1<'_, i64>,
    ) -> PyResult<Self> {
        let starts: Vec<u64> = starts
            .as_array()
            .iter()
            .map(|&s| u64::try_from(s))
            .collect::<Result<_, _>>()
            .map_err(|_| PyValueError::new_err("a run starts at a negative position"))?;
        // A 2-D native array whose rows are contiguous (a column chunk):
        // read row by row, no contiguous copy first.
        if let Some(runs) = Self::strided_grid(py, x, &starts)? {
            return Ok(Self { runs });
        }
        let ix = input("x", x)?;
        let (p, n) = (ix.ptr, ix.len);
        let rows = starts.len();
        if (rows == 0 && n != 0) || (rows != 0 && n % rows != 0) {
            return Err(PyValueError::new_err(format!(
                "{n} elements do not split into {rows} equal runs"
            )));
        }
        let run_len = n.checked_div(rows).unwrap_or(0);
        // SAFETY (both arms): `ix` keeps n elements of its dtype alive at
        // p for the call, and nothing writes them meanwhile.
        let runs = match ix.dt {
            Dtype::F32 => run(py, n, || {
                Runs::from_rows(unsafe { slice_at::<f32>(p, n) }, &starts, run_len)
                    .map(AnyRuns::F32)
            })?,
            Dtype::F64 => run(py, n, || {
                Runs::from_rows(unsafe { slice_at::<f64>(p, n) }, &starts, run_len)
                    .map(AnyRuns::F64)
            })?,
        };
        Ok(Self {
            runs: runs.map_err(PyValueError::new_err)?,
        })
    }

    /// All runs of `parts` (a list of `_SumRuns` of one dtype) in one.
    #[staticmethod]
    fn merged(py: Python<'_>, parts: Vec<Bound<'_, PySumRuns>>) -> PyResult<Self> {
        let all: Vec<&AnyRuns> = parts.iter().map(|p| &p.get().runs).collect();
        let Some(first) = all.first() else {
            return Err(PyValueError::new_err("merged() needs at least one part"));
        };
        let dt = first.dt();
        if all.iter().any(|r| r.dt() != dt) {
            return Err(PyTypeError::new_err(
                "cannot merge runs of different dtypes",
            ));
        }
        let n: usize = all
            .iter()
            .map(|r| match r {
                AnyRuns::F32(r) => r.pool.len() + 8 * r.pieces.len(),
                AnyRuns::F64(r) => r.pool.len() + 8 * r.pieces.len(),
            })
            .sum();
        let runs = run(py, n, || match dt {
            Dtype::F32 => {
                let v: Vec<&Runs<f32>> = all
                    .iter()
                    .filter_map(|r| match r {
                        AnyRuns::F32(r) => Some(r),
                        AnyRuns::F64(_) => None,
                    })
                    .collect();
                Runs::merged(&v).map(AnyRuns::F32)
            }
            Dtype::F64 => {
                let v: Vec<&Runs<f64>> = all
                    .iter()
                    .filter_map(|r| match r {
                        AnyRuns::F64(r) => Some(r),
                        AnyRuns::F32(_) => None,
                    })
                    .collect();
                Runs::merged(&v).map(AnyRuns::F64)
            }
        })?;
        Ok(Self {
            runs: runs.map_err(PyValueError::new_err)?,
        })
    }

    /// The fixed-order sum of positions `0..size` (a numpy scalar), bitwise
    /// equal to `simdpar.sum` of those elements; ValueError when the runs
    /// are not exactly `0..size`.
    fn result<'py>(&self, py: Python<'py>, size: u64) -> PyResult<Bound<'py, PyAny>> {
        let v = match &self.runs {
            AnyRuns::F32(r) => r.result(size).map(widen),
            AnyRuns::F64(r) => r.result(size).map(widen),
        };
        np_scalar(py, self.runs.dt(), v.map_err(PyValueError::new_err)?)
    }

    /// `(start, end)` of every run, in order.
    fn spans(&self) -> Vec<(u64, u64)> {
        match &self.runs {
            AnyRuns::F32(r) => r.pieces.iter().map(|p| (p.start(), p.end())).collect(),
            AnyRuns::F64(r) => r.pieces.iter().map(|p| (p.start(), p.end())).collect(),
        }
    }

    /// The dtype name: "float32" or "float64".
    #[getter]
    fn dtype(&self) -> &'static str {
        self.runs.dt().numpy_name()
    }

    /// Restores `_SumRuns` from `(dtype name, bytes)` (pickle).
    #[staticmethod]
    fn _restore(dtype: &str, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = bytes_like("_restore", data)?;
        let runs = match dtype {
            "float32" => Runs::from_bytes(&bytes).map(AnyRuns::F32),
            "float64" => Runs::from_bytes(&bytes).map(AnyRuns::F64),
            other => return Err(PyValueError::new_err(format!("unknown dtype {other}"))),
        };
        Ok(Self {
            runs: runs.map_err(PyValueError::new_err)?,
        })
    }

    /// Pickle support (for worker processes): `_restore(dtype, bytes)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let me = slf.get();
        let bytes = match &me.runs {
            AnyRuns::F32(r) => r.to_bytes(),
            AnyRuns::F64(r) => r.to_bytes(),
        };
        let restore = slf.get_type().getattr("_restore")?;
        let args = (me.dtype(), PyBytes::new(py, &bytes)).into_pyobject(py)?;
        PyTuple::new(py, [restore, args.into_any()])
    }

    fn __repr__(&self) -> String {
        let spans = self.spans();
        format!("_SumRuns(dtype={}, runs={})", self.dtype(), spans.len())
    }
}

// ---------------------------------------------------------------------------
// Row sums of column chunks: one accumulator per row, all rows in one state.

/// The rows of one band of a 2-D array over columns `[start, start + len)`:
/// raw elements (row-major, `len` per row) while the columns are few, one
/// accumulator per row (positions within the row) once they are many.
/// Merging the states of neighbouring column chunks row by row and taking
/// each row's result gives `row_sums` bit for bit.
#[derive(Clone)]
struct RowStates<T: Element> {
    start: u64,
    len: u64,
    rows: usize,
    /// `rows * len` raw elements, or empty once `accs` holds the rows.
    raw: Vec<T>,
    accs: Vec<SumAccumulator<T>>,
}

impl<T: Element> RowStates<T> {
    /// Whether the rows are still raw elements.
    fn is_raw(&self) -> bool {
        self.accs.is_empty() && self.rows > 0
    }

    /// Row `r` of the raw elements.
    fn raw_row(&self, r: usize) -> &[T] {
        let w = self.len as usize;
        &self.raw[r * w..(r + 1) * w]
    }

    /// Turns raw rows into one accumulator per row.
    fn into_accs(mut self) -> Result<Self, String> {
        if self.is_raw() {
            let mut accs = Vec::with_capacity(self.rows);
            for r in 0..self.rows {
                let mut a = SumAccumulator::starting_at(self.start);
                a.add(self.raw_row(r)).map_err(|e| e.to_string())?;
                accs.push(a);
            }
            self.accs = accs;
            self.raw = Vec::new();
        }
        Ok(self)
    }

    /// The states of `rows` rows of `cols` elements at `p`, `row_stride`
    /// elements between rows and `col_stride` between columns, for the
    /// columns starting at `start`.
    ///
    /// # Safety
    ///
    /// The described elements must be readable, alive and unchanged for the
    /// call.
    unsafe fn from_strided(
        p: usize,
        rows: usize,
        cols: usize,
        row_stride: isize,
        col_stride: isize,
        start: u64,
    ) -> Result<Self, String> {
        start
            .checked_add(cols as u64)
            .ok_or("columns end past 2**64")?;
        let mut raw = Vec::with_capacity(rows * cols);
        for r in 0..rows {
            let first = (p as *const T).wrapping_offset(r as isize * row_stride);
            if cols == 0 {
                continue;
            }
            if col_stride == 1 || cols == 1 {
                // SAFETY: row r's cols elements are contiguous here.
                raw.extend_from_slice(unsafe { std::slice::from_raw_parts(first, cols) });
            } else {
                // SAFETY: element (r, c) lies in the described view.
                raw.extend((0..cols).map(|c| unsafe { *first.offset(c as isize * col_stride) }));
            }
        }
        let out = Self {
            start,
            len: cols as u64,
            rows,
            raw,
            accs: Vec::new(),
        };
        if cols >= RAW_BLOCKS * T::SUM_BLOCK {
            out.into_accs()
        } else {
            Ok(out)
        }
    }

    /// The states of `parts` (the same rows, neighbouring column ranges in
    /// any order) merged row by row in column order: raw rows side by side
    /// while short, accumulators otherwise.
    fn merged(parts: &[&Self]) -> Result<Self, String> {
        let mut order: Vec<&Self> = parts.to_vec();
        order.sort_by_key(|p| p.start);
        let (start, rows) = (order[0].start, order[0].rows);
        let mut end = start;
        for p in &order {
            if p.rows != rows {
                return Err(format!(
                    "row states of {rows} and {} rows cannot merge",
                    p.rows
                ));
            }
            if p.start != end {
                return Err(format!(
                    "columns {}..{} do not follow columns {start}..{end}",
                    p.start,
                    p.start + p.len
                ));
            }
            end += p.len;
        }
        let len = end - start;
        let all_raw = order.iter().all(|p| p.is_raw() || p.len == 0);
        if rows == 0 || (all_raw && (len as usize) < RAW_BLOCKS * T::SUM_BLOCK) {
            let mut raw = Vec::with_capacity(rows * len as usize);
            for r in 0..rows {
                for p in &order {
                    if p.len > 0 {
                        raw.extend_from_slice(p.raw_row(r));
                    }
                }
            }
            return Ok(Self {
                start,
                len,
                rows,
                raw,
                accs: Vec::new(),
            });
        }
        let e = |e: AccumulatorError| e.to_string();
        let mut accs = Vec::with_capacity(rows);
        for r in 0..rows {
            let mut a = SumAccumulator::starting_at(start);
            for p in &order {
                if p.is_raw() {
                    a.add(p.raw_row(r)).map_err(e)?;
                } else if let Some(b) = p.accs.get(r) {
                    a.merge(b).map_err(e)?;
                }
            }
            accs.push(a);
        }
        Ok(Self {
            start,
            len,
            rows,
            raw: Vec::new(),
            accs,
        })
    }

    /// Each row's sum, when the states cover columns `0..cols`.
    fn results(&self, cols: u64) -> Result<Vec<T>, String> {
        if self.start != 0 || self.len != cols {
            return Err(format!(
                "row states cover columns {}..{}, not 0..{cols}",
                self.start,
                self.start + self.len
            ));
        }
        let e = |e: AccumulatorError| e.to_string();
        (0..self.rows)
            .map(|r| {
                if self.is_raw() {
                    let mut a = SumAccumulator::starting_at(0);
                    a.add(self.raw_row(r)).map_err(e)?;
                    a.result().map_err(e)
                } else {
                    self.accs[r].result().map_err(e)
                }
            })
            .collect()
    }

    /// start, len, rows, a tag (0 raw, 1 accumulators); raw: the values'
    /// bits; accumulators: per row a byte length and the accumulator's
    /// bytes.
    fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [self.start, self.len, self.rows as u64] {
            b.extend_from_slice(&v.to_le_bytes());
        }
        if self.is_raw() || self.rows == 0 {
            b.push(0);
            for v in &self.raw {
                b.extend_from_slice(&v.to_bits_u64().to_le_bytes()[..std::mem::size_of::<T>()]);
            }
        } else {
            b.push(1);
            for a in &self.accs {
                let enc = a.to_bytes();
                b.extend_from_slice(&(enc.len() as u64).to_le_bytes());
                b.extend_from_slice(&enc);
            }
        }
        b
    }

    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut at = 0usize;
        let mut take = |n: usize| -> Result<&[u8], String> {
            let s = bytes
                .get(at..at.checked_add(n).ok_or("truncated")?)
                .ok_or("truncated row states")?;
            at += n;
            Ok(s)
        };
        let u64_of = |s: &[u8]| u64::from_le_bytes(s.try_into().expect("8 bytes"));
        let start = u64_of(take(8)?);
        let len = u64_of(take(8)?);
        let rows = usize::try_from(u64_of(take(8)?)).map_err(|_| "too many rows")?;
        let mut out = Self {
            start,
            len,
            rows,
            raw: Vec::new(),
            accs: Vec::new(),
        };
        match take(1)?[0] {
            0 => {
                let size = std::mem::size_of::<T>();
                let n = rows
                    .checked_mul(usize::try_from(len).map_err(|_| "too long")?)
                    .and_then(|n| n.checked_mul(size))
                    .ok_or("too long")?;
                for c in take(n)?.chunks_exact(size) {
                    let mut w = [0u8; 8];
                    w[..size].copy_from_slice(c);
                    out.raw.push(T::from_bits_u64(u64::from_le_bytes(w)));
                }
            }
            1 => {
                for _ in 0..rows {
                    let n = usize::try_from(u64_of(take(8)?)).map_err(|_| "too long")?;
                    let a: SumAccumulator<T> =
                        SumAccumulator::from_bytes(take(n)?).map_err(|e| e.to_string())?;
                    if a.start() != start || a.len() != len {
                        return Err("a row state does not cover the band's columns".into());
                    }
                    out.accs.push(a);
                }
            }
            t => return Err(format!("unknown row states tag {t}")),
        }
        if at != bytes.len() {
            return Err("trailing bytes after the row states".into());
        }
        Ok(out)
    }
}

/// Row states of either dtype.
#[derive(Clone)]
enum AnyRows {
    F32(RowStates<f32>),
    F64(RowStates<f64>),
}

/// Internal state of `simdpar.dask.row_sums` for column chunks: one
/// accumulator per row of a band, all in one object (no Python object per
/// row).
#[pyclass(name = "_RowStates", module = "simdpar._simdpar", frozen)]
pub struct PyRowStates {
    rows: AnyRows,
}

#[pymethods]
impl PyRowStates {
    /// `_RowStates.from_block(block, start)`: the states of a 2-D float32/
    /// float64 block (any strides and byte order) holding columns
    /// `start, start + 1, ...` of its rows.
    #[staticmethod]
    fn from_block(py: Python<'_>, block: &Bound<'_, PyAny>, start: u64) -> PyResult<Self> {
        macro_rules! strided {
            ($t:ty, $wrap:path) => {
                if let Ok(a) = block.extract::<numpy::PyReadonlyArray2<'_, $t>>() {
                    let view = a.as_array();
                    let (rows, cols) = view.dim();
                    let st = view.strides();
                    let (p, rs, cs) = (view.as_ptr() as usize, st[0], st[1]);
                    // SAFETY: `a` (a read-only borrow) keeps the rows x cols
                    // elements described by p and the strides alive and
                    // unwritten for the call.
                    let r = run(py, rows * cols, move || unsafe {
                        RowStates::<$t>::from_strided(p, rows, cols, rs, cs, start)
                    })?;
                    return Ok(Self {
                        rows: $wrap(r.map_err(PyValueError::new_err)?),
                    });
                }
            };
        }
        strided!(f32, AnyRows::F32);
        strided!(f64, AnyRows::F64);
        // Another byte order or layout: one native contiguous copy.
        let shape: Vec<usize> = block.getattr("shape")?.extract()?;
        let [rows, cols] = shape[..] else {
            return Err(PyValueError::new_err(format!(
                "row states need a 2-D block, got shape {shape:?}"
            )));
        };
        let ix = input("block", block)?;
        let p = ix.ptr;
        let rs = cols as isize;
        let r = match ix.dt {
            // SAFETY (both arms): `ix` keeps rows x cols contiguous elements
            // of its dtype alive at p for the call.
            Dtype::F32 => run(py, rows * cols, move || unsafe {
                RowStates::<f32>::from_strided(p, rows, cols, rs, 1, start).map(AnyRows::F32)
            })?,
            Dtype::F64 => run(py, rows * cols, move || unsafe {
                RowStates::<f64>::from_strided(p, rows, cols, rs, 1, start).map(AnyRows::F64)
            })?,
        };
        Ok(Self {
            rows: r.map_err(PyValueError::new_err)?,
        })
    }

    /// The states of `parts` (same rows, neighbouring columns, one dtype)
    /// merged row by row.
    #[staticmethod]
    fn merged(py: Python<'_>, parts: Vec<Bound<'_, PyRowStates>>) -> PyResult<Self> {
        let all: Vec<&AnyRows> = parts.iter().map(|p| &p.get().rows).collect();
        let f32s: Vec<&RowStates<f32>> = all
            .iter()
            .filter_map(|r| match r {
                AnyRows::F32(r) => Some(r),
                AnyRows::F64(_) => None,
            })
            .collect();
        let f64s: Vec<&RowStates<f64>> = all
            .iter()
            .filter_map(|r| match r {
                AnyRows::F64(r) => Some(r),
                AnyRows::F32(_) => None,
            })
            .collect();
        let rows = match (f32s.is_empty(), f64s.is_empty()) {
            (true, true) => return Err(PyValueError::new_err("merged() needs at least one part")),
            (false, false) => {
                return Err(PyTypeError::new_err(
                    "cannot merge row states of different dtypes",
                ));
            }
            (false, true) => run(py, 1 << 20, || RowStates::merged(&f32s).map(AnyRows::F32))?,
            (true, false) => run(py, 1 << 20, || RowStates::merged(&f64s).map(AnyRows::F64))?,
        };
        Ok(Self {
            rows: rows.map_err(PyValueError::new_err)?,
        })
    }

    /// Each row's sum (a 1-D array of the dtype), bitwise `row_sums` of the
    /// band; ValueError unless the states cover columns `0..cols`.
    fn results<'py>(&self, py: Python<'py>, cols: u64) -> PyResult<Bound<'py, PyAny>> {
        Ok(match &self.rows {
            AnyRows::F32(r) => {
                numpy::PyArray1::from_vec(py, r.results(cols).map_err(PyValueError::new_err)?)
                    .into_any()
            }
            AnyRows::F64(r) => {
                numpy::PyArray1::from_vec(py, r.results(cols).map_err(PyValueError::new_err)?)
                    .into_any()
            }
        })
    }

    /// `(first column, past-last column)` covered.
    fn columns(&self) -> (u64, u64) {
        match &self.rows {
            AnyRows::F32(r) => (r.start, r.start + r.len),
            AnyRows::F64(r) => (r.start, r.start + r.len),
        }
    }

    /// Restores `_RowStates` from `(dtype name, bytes)` (pickle).
    #[staticmethod]
    fn _restore(dtype: &str, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        let bytes = bytes_like("_restore", data)?;
        let rows = match dtype {
            "float32" => RowStates::from_bytes(&bytes).map(AnyRows::F32),
            "float64" => RowStates::from_bytes(&bytes).map(AnyRows::F64),
            other => return Err(PyValueError::new_err(format!("unknown dtype {other}"))),
        };
        Ok(Self {
            rows: rows.map_err(PyValueError::new_err)?,
        })
    }

    /// Pickle support (for worker processes): `_restore(dtype, bytes)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        let py = slf.py();
        let (dtype, bytes) = match &slf.get().rows {
            AnyRows::F32(r) => ("float32", r.to_bytes()),
            AnyRows::F64(r) => ("float64", r.to_bytes()),
        };
        let restore = slf.get_type().getattr("_restore")?;
        let args = (dtype, PyBytes::new(py, &bytes)).into_pyobject(py)?;
        PyTuple::new(py, [restore, args.into_any()])
    }
}
