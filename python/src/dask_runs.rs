//! `simdpar._simdpar._SumRuns`: the state of `simdpar.dask.sum`, the runs
//! of element positions that a chunk (or a merge of chunks) covers, joined
//! in Rust so that a chunk of many short rows costs one object, not one
//! accumulator per row.

use crate::array::{Dtype, NumpyDtype, input, np_scalar, slice_at, widen};
use crate::dask_state::{
    RAW_BLOCKS, Reader, State, Typed, put_acc, put_u64, put_values, with_state,
};
use crate::kernels::run;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use simdpar_kernels::{AccumulatorError, Element, SumAccumulator};

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

    /// Where its raw elements lie in its pool (empty for an accumulator).
    fn pool_range(&self) -> std::ops::Range<usize> {
        match *self {
            Piece::Raw { off, len, .. } => off..off + len,
            Piece::Grid {
                off, rows, run_len, ..
            } => off..off + rows * run_len,
            Piece::Acc(_) => 0..0,
        }
    }

    /// The same piece with its raw elements at `at` in another pool.
    fn moved_to(&self, at: usize) -> Self {
        let mut q = self.clone();
        if let Piece::Raw { off, .. } | Piece::Grid { off, .. } = &mut q {
            *off = at;
        }
        q
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
            // Not touching: a new piece, its elements copied into our pool.
            let at = self.pool.len();
            self.pool.extend_from_slice(&pool[p.pool_range()]);
            self.pieces.push(p.moved_to(at));
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
}

impl<T: Element> State for Runs<T> {
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

    /// Encoding: count, then per piece a tag (0 raw, 1 accumulator, 2
    /// grid); raw: start, length, values' bits; accumulator: byte length,
    /// its bytes; grid: start, run length, stride, rows, values' bits.
    fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        put_u64(&mut b, self.pieces.len() as u64);
        for p in &self.pieces {
            match p {
                Piece::Raw { start, len, .. } => {
                    b.push(0);
                    put_u64(&mut b, *start);
                    put_u64(&mut b, *len as u64);
                    put_values(&mut b, &self.pool[p.pool_range()]);
                }
                Piece::Acc(a) => {
                    b.push(1);
                    put_acc(&mut b, a);
                }
                Piece::Grid {
                    start,
                    run_len,
                    stride,
                    rows,
                    ..
                } => {
                    b.push(2);
                    for v in [*start, *run_len as u64, *stride, *rows as u64] {
                        put_u64(&mut b, v);
                    }
                    put_values(&mut b, &self.pool[p.pool_range()]);
                }
            }
        }
        b
    }

    /// Decodes `to_bytes` output.
    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut r = Reader::new(bytes, "truncated runs state");
        let count = r.u64()?;
        let mut out = Self::empty();
        for _ in 0..count {
            let piece = match r.tag()? {
                0 => {
                    let start = r.u64()?;
                    let len = r.usize("too long")?;
                    let off = out.pool.len();
                    r.values(len, &mut out.pool)?;
                    Piece::Raw { start, off, len }
                }
                1 => Piece::Acc(Box::new(r.acc()?)),
                2 => {
                    let start = r.u64()?;
                    let run_len = r.usize("too long")?;
                    let stride = r.u64()?;
                    let rows = r.usize("too long")?;
                    if rows == 0 || run_len == 0 || stride <= run_len as u64 {
                        return Err("a malformed grid in the runs state".into());
                    }
                    let off = out.pool.len();
                    r.values(rows.checked_mul(run_len).ok_or("too long")?, &mut out.pool)?;
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
        r.finish("trailing bytes after the runs state")?;
        Ok(out)
    }

    /// The elements in the parts' pools, and 8 a piece.
    fn merge_cost(parts: &[&Self]) -> usize {
        parts
            .iter()
            .map(|r| r.pool.len() + 8 * r.pieces.len())
            .sum()
    }
}

/// Runs of either dtype.
type AnyRuns = Typed<Runs<f32>, Runs<f64>>;

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
        try_dtype!(f32, Typed::F32);
        try_dtype!(f64, Typed::F64);
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
                Runs::from_rows(unsafe { slice_at::<f32>(p, n) }, &starts, run_len).map(Typed::F32)
            })?,
            Dtype::F64 => run(py, n, || {
                Runs::from_rows(unsafe { slice_at::<f64>(p, n) }, &starts, run_len).map(Typed::F64)
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
        Ok(Self {
            runs: AnyRuns::merged(py, &all, "runs")?,
        })
    }

    /// The fixed-order sum of positions `0..size` (a numpy scalar), bitwise
    /// equal to `simdpar.sum` of those elements; ValueError when the runs
    /// are not exactly `0..size`.
    fn result<'py>(&self, py: Python<'py>, size: u64) -> PyResult<Bound<'py, PyAny>> {
        let v = with_state!(&self.runs, r => r.result(size).map(widen));
        np_scalar(py, self.runs.dt(), v.map_err(PyValueError::new_err)?)
    }

    /// `(start, end)` of every run, in order.
    fn spans(&self) -> Vec<(u64, u64)> {
        with_state!(&self.runs, r => r.pieces.iter().map(|p| (p.start(), p.end())).collect())
    }

    /// The dtype name: "float32" or "float64".
    #[getter]
    fn dtype(&self) -> &'static str {
        self.runs.dt().numpy_name()
    }

    /// Restores `_SumRuns` from `(dtype name, bytes)` (pickle).
    #[staticmethod]
    fn _restore(dtype: &str, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            runs: AnyRuns::restore(dtype, data)?,
        })
    }

    /// Pickle support (for worker processes): `_restore(dtype, bytes)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        slf.get().runs.reduce(slf)
    }

    fn __repr__(&self) -> String {
        let spans = self.spans();
        format!("_SumRuns(dtype={}, runs={})", self.dtype(), spans.len())
    }
}
