//! NumPy broadcasting for `add` and `multiply`, without materialising the
//! broadcast operand.
//!
//! Both operands are read as C-contiguous arrays (a Python scalar or a 0-d
//! array is one value). Over the broadcast shape each operand gets element
//! strides, 0 along the dimensions it is broadcast over; dimensions of size
//! 1 are dropped and neighbours that both operands walk contiguously are
//! merged, so the work becomes "runs" along the last dimension. Each run is
//! one kernel call: both operands contiguous (a row against a matrix) calls
//! the elementwise kernel; one of them constant along the run (a column, a
//! scalar) calls the scalar form (`scale` for multiply, `add` against a
//! short splatted buffer for add). Every element is one IEEE operation, so
//! results are bitwise those of NumPy and of simdpar on explicit copies.

use super::{Bin, kernel_err, run};
use crate::array::{
    Alias, Dtype, Input, NumpyDtype, Output, alias, as_array, check_out, copy_of, data_ptr,
    fmt_shape, input, new_array, shape, slice_at, slice_at_mut, type_name,
};
use crate::with_dt;
use numpy::npyffi::{self, NpyTypes, PY_ARRAY_API};
use numpy::{PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyFloat, PyInt};
use simdpar_kernels::{Element, KernelError, Threads, par};

/// One operand of a broadcast call.
enum Operand<'py> {
    /// An array with at least one dimension.
    Array(Input<'py>),
    /// A 0-d array or numpy scalar: its value and its own dtype (NumPy 2
    /// treats it as typed, so another dtype is a mixed-dtype error).
    Typed(f64, Dtype),
    /// A Python int or float: takes the array's dtype (NumPy 2's "weak"
    /// scalars: a Python float with a float32 array stays float32).
    Weak(f64),
}

impl Operand<'_> {
    fn dt(&self) -> Option<Dtype> {
        match self {
            Operand::Array(i) => Some(i.dt),
            Operand::Typed(_, dt) => Some(*dt),
            Operand::Weak(_) => None,
        }
    }

    fn dims(&self) -> Vec<isize> {
        match self {
            Operand::Array(i) => shape(&i.arr),
            _ => Vec::new(),
        }
    }
}

/// The one value of a 0-d input, widened to f64 (exact).
fn value_0d(i: &Input<'_>) -> f64 {
    // SAFETY: `i` keeps its one element alive at `ptr`, aligned.
    unsafe {
        match i.dt {
            Dtype::F32 => f64::from(*(i.ptr as *const f32)),
            Dtype::F64 => *(i.ptr as *const f64),
        }
    }
}

/// Reads `obj` as an operand: an ndarray (0-d ones become a typed value), a
/// numpy scalar (typed), or a Python int/float (weak).
fn operand<'py>(what: &str, obj: &Bound<'py, PyAny>) -> PyResult<Operand<'py>> {
    if let Ok(arr) = obj.cast::<PyUntypedArray>() {
        let i = input(what, obj)?;
        if arr.ndim() == 0 {
            return Ok(Operand::Typed(value_0d(&i), i.dt));
        }
        return Ok(Operand::Array(i));
    }
    if obj.is_exact_instance_of::<PyFloat>() || obj.is_instance_of::<PyInt>() {
        return Ok(Operand::Weak(obj.extract::<f64>().map_err(|e| {
            PyTypeError::new_err(format!("{what}: {e} (simdpar computes in float32/float64)"))
        })?));
    }
    let py = obj.py();
    // SAFETY: attached; the type object is numpy's static `np.generic`.
    let generic = unsafe {
        pyo3::ffi::PyObject_TypeCheck(
            obj.as_ptr(),
            npyffi::get_type_object(py, NpyTypes::PyGenericArrType_Type),
        )
    } != 0;
    if generic {
        // SAFETY: FromAny of a numpy scalar returns a new 0-d array or null.
        let arr = unsafe {
            let p = PY_ARRAY_API.PyArray_FromAny(
                py,
                obj.as_ptr(),
                std::ptr::null_mut(),
                0,
                0,
                0,
                std::ptr::null_mut(),
            );
            Bound::from_owned_ptr_or_err(py, p)?
        };
        let i = input(what, &arr)?;
        return Ok(Operand::Typed(value_0d(&i), i.dt));
    }
    if obj.is_instance_of::<PyFloat>() {
        return Ok(Operand::Weak(obj.extract::<f64>()?));
    }
    as_array(what, obj)?;
    Err(PyTypeError::new_err(format!(
        "{what} must be a numpy array or a number, got {}",
        type_name(obj)
    )))
}

/// NumPy's broadcast shape of `a` and `b`, or a ValueError naming both.
pub fn broadcast_shape(a: &[isize], b: &[isize]) -> PyResult<Vec<isize>> {
    let n = a.len().max(b.len());
    let at = |s: &[isize], i: usize| {
        if i + s.len() < n {
            1
        } else {
            s[i + s.len() - n]
        }
    };
    (0..n)
        .map(|i| match (at(a, i), at(b, i)) {
            (x, y) if x == y || y == 1 => Ok(x),
            (1, y) => Ok(y),
            _ => Err(PyValueError::new_err(format!(
                "shapes {} and {} cannot be broadcast together (NumPy's rules: trailing \
                 dimensions must be equal or 1)",
                fmt_shape(a),
                fmt_shape(b)
            ))),
        })
        .collect()
}

/// The loop over the output: coalesced dimensions (all > 1) with each
/// operand's element strides (0 where it is broadcast).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Walk {
    /// Dimension sizes, outermost first (empty for a one-element output).
    pub dims: Vec<usize>,
    /// Element strides of the first operand.
    pub sa: Vec<usize>,
    /// Element strides of the second operand.
    pub sb: Vec<usize>,
}

/// C-order element strides of an operand of shape `own` read over `out`
/// (0 along broadcast dimensions).
fn strides(own: &[isize], out: &[isize]) -> Vec<usize> {
    let mut s = vec![0usize; out.len()];
    let mut step = 1usize;
    for k in 0..own.len() {
        let i = out.len() - 1 - k;
        let d = own[own.len() - 1 - k] as usize;
        if d != 1 {
            s[i] = step;
        }
        step *= d;
    }
    s
}

impl Walk {
    /// The walk of `a` (shape `da`) and `b` (shape `db`) over `out`.
    pub fn new(da: &[isize], db: &[isize], out: &[isize]) -> Walk {
        let (sa, sb) = (strides(da, out), strides(db, out));
        let mut w = Walk {
            dims: Vec::new(),
            sa: Vec::new(),
            sb: Vec::new(),
        };
        for i in 0..out.len() {
            let d = out[i] as usize;
            if d == 1 {
                continue;
            }
            if let (Some(&ld), Some(&la), Some(&lb)) = (w.dims.last(), w.sa.last(), w.sb.last())
                && la == sa[i] * d
                && lb == sb[i] * d
            {
                *w.dims.last_mut().unwrap() = ld * d;
                *w.sa.last_mut().unwrap() = sa[i];
                *w.sb.last_mut().unwrap() = sb[i];
                continue;
            }
            w.dims.push(d);
            w.sa.push(sa[i]);
            w.sb.push(sb[i]);
        }
        w
    }

    /// Elements per run (the last dimension), 1 for a one-element output.
    fn run_len(&self) -> usize {
        self.dims.last().copied().unwrap_or(1)
    }

    /// Calls `f(run, offset_a, offset_b, step_a, step_b)` for every run, in
    /// output order; `step` is 1 (contiguous) or 0 (constant along the run).
    fn for_each_run(&self, mut f: impl FnMut(usize, usize, usize, usize, usize)) {
        let k = self.dims.len();
        let (ia, ib) = (
            self.sa.last().copied().unwrap_or(0),
            self.sb.last().copied().unwrap_or(0),
        );
        let outer = &self.dims[..k.saturating_sub(1)];
        let runs: usize = outer.iter().product();
        let mut idx = vec![0usize; outer.len()];
        let (mut oa, mut ob) = (0usize, 0usize);
        for r in 0..runs {
            f(r, oa, ob, ia, ib);
            // Odometer step over the outer dimensions.
            for d in (0..outer.len()).rev() {
                idx[d] += 1;
                oa += self.sa[d];
                ob += self.sb[d];
                if idx[d] < outer[d] {
                    break;
                }
                oa -= self.sa[d] * outer[d];
                ob -= self.sb[d] * outer[d];
                idx[d] = 0;
            }
        }
    }
}

/// Elements in the buffer the scalar `add` splats its value into.
const SPLAT: usize = 2048;

/// `out = op(x, s)` (or `out op= s` when `x` is `None`), one rounding per
/// element. `splat` is scratch space for `add`; `multiply` runs `scale` with
/// `t` threads (one thread below its parallel threshold).
fn scalar_op<T: Element>(
    op: Bin,
    x: Option<&[T]>,
    s: T,
    out: &mut [T],
    splat: &mut [T; SPLAT],
    t: Threads,
) -> Result<(), KernelError> {
    match (op, x) {
        (Bin::Mul, Some(x)) => par::scale(x, s, out, t),
        (Bin::Mul, None) => {
            par::scale_inplace(out, s, t);
            Ok(())
        }
        (Bin::Add, x) => {
            let k = out.len().min(SPLAT);
            splat[..k].fill(s);
            let mut start = 0;
            while start < out.len() {
                let end = (start + SPLAT).min(out.len());
                let (o, c) = (&mut out[start..end], &splat[..end - start]);
                match x {
                    Some(x) => simdpar_kernels::add(&x[start..end], c, o)?,
                    None => simdpar_kernels::add_assign(o, c)?,
                }
                start = end;
            }
            Ok(())
        }
    }
}

/// `out = op(a, b)` on two contiguous runs, or `a op= b` when `a` is `None`.
fn pair_op<T: Element>(
    op: Bin,
    a: Option<&[T]>,
    b: &[T],
    out: &mut [T],
) -> Result<(), KernelError> {
    match (op, a) {
        (Bin::Add, Some(a)) => simdpar_kernels::add(a, b, out),
        (Bin::Mul, Some(a)) => simdpar_kernels::multiply(a, b, out),
        (Bin::Add, None) => simdpar_kernels::add_assign(out, b),
        (Bin::Mul, None) => simdpar_kernels::multiply_assign(out, b),
    }
}

/// Where the kernel reads an operand: array data (address) or one value.
#[derive(Clone, Copy)]
enum Src {
    Data(usize),
    Value(f64),
}

/// Runs the walk: `out[i] = a[i] op b[i]`. `into` says which operand `out`
/// is (then it is read through `out`, never through a second slice).
fn execute<T: Element>(
    op: Bin,
    w: &Walk,
    a: Src,
    b: Src,
    out: (usize, usize),
    into: Option<Which>,
    t: Threads,
) -> Result<(), KernelError> {
    let l = w.run_len();
    let mut splat = [T::default(); SPLAT];
    let mut res = Ok(());
    w.for_each_run(|r, oa, ob, ia, ib| {
        if res.is_err() {
            return;
        }
        // SAFETY: `out` holds out.1 elements; runs tile it without overlap.
        let o = unsafe { slice_at_mut::<T>(out.0 + r * l * size_of::<T>(), l) };
        // A run of an operand: its contiguous slice, or its value.
        let slice = |s: Src, off: usize, step: usize| -> Result<&[T], T> {
            match s {
                Src::Value(v) => Err(T::from_f64(v)),
                // SAFETY: the operand keeps its data alive; the walk stays
                // inside its shape.
                Src::Data(p) if step == 1 => {
                    Ok(unsafe { slice_at::<T>(p + off * size_of::<T>(), l) })
                }
                // SAFETY: as above, one element.
                Src::Data(p) => Err(unsafe { *((p + off * size_of::<T>()) as *const T) }),
            }
        };
        res = match into {
            // `out` is `a` (same shape and memory): read `a` through `o`.
            Some(Which::A) => match slice(b, ob, ib) {
                Ok(bs) => pair_op(op, None, bs, o),
                Err(v) => scalar_op(op, None, v, o, &mut splat, t),
            },
            Some(Which::B) => match slice(a, oa, ia) {
                Ok(as_) => pair_op(op, None, as_, o),
                Err(v) => scalar_op(op, None, v, o, &mut splat, t),
            },
            None => match (slice(a, oa, ia), slice(b, ob, ib)) {
                (Ok(x), Ok(y)) => pair_op(op, Some(x), y, o),
                // add and multiply commute bit for bit (NaN payloads aside).
                (Ok(x), Err(v)) | (Err(v), Ok(x)) => scalar_op(op, Some(x), v, o, &mut splat, t),
                (Err(x), Err(y)) => {
                    // One IEEE operation in T, as NumPy computes it.
                    o.fill(match op {
                        Bin::Add => x + y,
                        Bin::Mul => x * y,
                    });
                    Ok(())
                }
            },
        };
    });
    debug_assert!(out.1 == w.dims.iter().product::<usize>());
    res
}

/// Which operand `out=` is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Which {
    A,
    B,
}

/// `a op b` with NumPy broadcasting (the engine of `add` / `multiply` when
/// the shapes differ or an operand is a scalar).
pub fn binary<'py>(
    py: Python<'py>,
    op: Bin,
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
    t: Threads,
) -> PyResult<Bound<'py, PyAny>> {
    let (oa, ob) = (operand("a", a)?, operand("b", b)?);
    if a.cast::<PyUntypedArray>().is_err() && b.cast::<PyUntypedArray>().is_err() {
        return Err(PyTypeError::new_err(format!(
            "a and b are {} and {}; at least one must be a numpy array",
            type_name(a),
            type_name(b)
        )));
    }
    let dt = match (oa.dt(), ob.dt()) {
        (Some(x), Some(y)) if x != y => {
            return Err(PyTypeError::new_err(format!(
                "mixed dtypes: a is {} but b is {}; convert one with .astype(...) (simdpar does not promote)",
                x.numpy_name(),
                y.numpy_name()
            )));
        }
        (Some(x), _) | (None, Some(x)) => x,
        (None, None) => {
            return Err(PyTypeError::new_err(
                "a and b are both Python numbers; at least one must be a numpy array",
            ));
        }
    };
    let (da, db) = (oa.dims(), ob.dims());
    let dims = broadcast_shape(&da, &db)?;
    let o: Output<'py> = match out {
        Some(o) => check_out(o, dt, &dims)?,
        None => new_array(py, dt.type_num(), &dims)?,
    };
    let mut into = None;
    let src = |x: &Operand<'_>, what: &str, w: Which, into: &mut Option<Which>| -> PyResult<Src> {
        Ok(match x {
            Operand::Array(i) => {
                if out.is_some() && alias(&o, i, dt.size_bytes(), what)? == Alias::Same {
                    *into = Some(w);
                }
                Src::Data(i.ptr)
            }
            Operand::Typed(v, _) | Operand::Weak(v) => Src::Value(*v),
        })
    };
    let sa = src(&oa, "a", Which::A, &mut into)?;
    let mut sb = src(&ob, "b", Which::B, &mut into)?;
    // `out` is both `a` and `b` (one memory under two shapes of one size):
    // read `b` from a copy so that only `out` is written and read in place.
    let _b_copy = match (&ob, into, &sa) {
        (Operand::Array(i), Some(Which::B), Src::Data(pa)) if *pa == i.ptr => {
            into = Some(Which::A);
            let c = copy_of(&i.arr)?;
            sb = Src::Data(data_ptr(&c));
            Some(c)
        }
        _ => None,
    };
    let walk = Walk::new(&da, &db, &dims);
    let (op_, n) = (o.ptr, o.len);
    if n > 0 {
        with_dt!(dt, T => run(py, n, move || {
            execute::<T>(op, &walk, sa, sb, (op_, n), into, t)
        })?)
        .map_err(kernel_err)?;
    }
    Ok(o.arr.into_any())
}
