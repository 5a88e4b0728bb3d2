//! `simdpar._simdpar._RowStates`: the state of `simdpar.dask.row_sums` for
//! column-chunked arrays, one accumulator per row of a band, all rows in
//! one object (no Python object per row).

use crate::array::{Dtype, input};
use crate::dask_state::{
    RAW_BLOCKS, Reader, State, Typed, put_acc, put_u64, put_values, with_state,
};
use crate::kernels::run;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::PyTuple;
use simdpar_kernels::{AccumulatorError, Element, SumAccumulator};

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
}

impl<T: Element> State for RowStates<T> {
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

    /// start, len, rows, a tag (0 raw, 1 accumulators); raw: the values'
    /// bits; accumulators: per row a byte length and the accumulator's
    /// bytes.
    fn to_bytes(&self) -> Vec<u8> {
        let mut b = Vec::new();
        for v in [self.start, self.len, self.rows as u64] {
            put_u64(&mut b, v);
        }
        if self.is_raw() || self.rows == 0 {
            b.push(0);
            put_values(&mut b, &self.raw);
        } else {
            b.push(1);
            for a in &self.accs {
                put_acc(&mut b, a);
            }
        }
        b
    }

    /// Decodes `to_bytes` output.
    fn from_bytes(bytes: &[u8]) -> Result<Self, String> {
        let mut r = Reader::new(bytes, "truncated row states");
        let start = r.u64()?;
        let len = r.u64()?;
        let rows = r.usize("too many rows")?;
        let mut out = Self {
            start,
            len,
            rows,
            raw: Vec::new(),
            accs: Vec::new(),
        };
        match r.tag()? {
            0 => {
                let n = rows
                    .checked_mul(usize::try_from(len).map_err(|_| "too long")?)
                    .ok_or("too long")?;
                r.values(n, &mut out.raw)?;
            }
            1 => {
                for _ in 0..rows {
                    let a: SumAccumulator<T> = r.acc()?;
                    if a.start() != start || a.len() != len {
                        return Err("a row state does not cover the band's columns".into());
                    }
                    out.accs.push(a);
                }
            }
            t => return Err(format!("unknown row states tag {t}")),
        }
        r.finish("trailing bytes after the row states")?;
        Ok(out)
    }

    /// Always large enough to release the GIL.
    fn merge_cost(_parts: &[&Self]) -> usize {
        1 << 20
    }
}

/// Row states of either dtype.
type AnyRows = Typed<RowStates<f32>, RowStates<f64>>;

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
        strided!(f32, Typed::F32);
        strided!(f64, Typed::F64);
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
                RowStates::<f32>::from_strided(p, rows, cols, rs, 1, start).map(Typed::F32)
            })?,
            Dtype::F64 => run(py, rows * cols, move || unsafe {
                RowStates::<f64>::from_strided(p, rows, cols, rs, 1, start).map(Typed::F64)
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
        Ok(Self {
            rows: AnyRows::merged(py, &all, "row states")?,
        })
    }

    /// Each row's sum (a 1-D array of the dtype), bitwise `row_sums` of the
    /// band; ValueError unless the states cover columns `0..cols`.
    fn results<'py>(&self, py: Python<'py>, cols: u64) -> PyResult<Bound<'py, PyAny>> {
        Ok(with_state!(&self.rows, r => {
            numpy::PyArray1::from_vec(py, r.results(cols).map_err(PyValueError::new_err)?)
                .into_any()
        }))
    }

    /// `(first column, past-last column)` covered.
    fn columns(&self) -> (u64, u64) {
        with_state!(&self.rows, r => (r.start, r.start + r.len))
    }

    /// Restores `_RowStates` from `(dtype name, bytes)` (pickle).
    #[staticmethod]
    fn _restore(dtype: &str, data: &Bound<'_, PyAny>) -> PyResult<Self> {
        Ok(Self {
            rows: AnyRows::restore(dtype, data)?,
        })
    }

    /// Pickle support (for worker processes): `_restore(dtype, bytes)`.
    fn __reduce__<'py>(slf: &Bound<'py, Self>) -> PyResult<Bound<'py, PyTuple>> {
        slf.get().rows.reduce(slf)
    }
}
