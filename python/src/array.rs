//! Reading numpy arrays, shared by the kernels (`kernels.rs`) and the Mojo
//! twins (`mojo.rs`): dtype checks, zero-copy views of contiguous data, one
//! copy of non-contiguous data, `out=` validation and overlap checks, the
//! argument bundles of the unary, binary and row-sum calls, and raw slices
//! over validated arrays.

use numpy::npyffi::{
    self, NPY_ARRAY_ALIGNED, NPY_ARRAY_C_CONTIGUOUS, NPY_ARRAY_WRITEABLE, NPY_ORDER, NPY_TYPES,
    PY_ARRAY_API,
};
use numpy::{PyArrayDescr, PyArrayDescrMethods, PyUntypedArray, PyUntypedArrayMethods};
use pyo3::exceptions::{PyTypeError, PyValueError};
use pyo3::prelude::*;
use pyo3::sync::PyOnceLock;
use pyo3::types::PyType;
use std::os::raw::c_int;

/// The element types the kernels take: the kernels' own [`Dtype`], with
/// NumPy's side of it in [`NumpyDtype`].
pub use simdpar_kernels::Dtype;

/// What NumPy calls a [`Dtype`]: its name, type number and descriptor.
pub trait NumpyDtype: Copy {
    /// numpy's name of the dtype (`float32`, `float64`).
    fn numpy_name(self) -> &'static str;
    /// numpy's type number.
    fn type_num(self) -> c_int;
    /// A new reference to the native-order descriptor of this dtype.
    fn descr(self, py: Python<'_>) -> *mut npyffi::PyArray_Descr {
        // SAFETY: attached to the interpreter; returns a new reference.
        unsafe { PY_ARRAY_API.PyArray_DescrFromType(py, self.type_num()) }
    }
}

impl NumpyDtype for Dtype {
    fn numpy_name(self) -> &'static str {
        match self {
            Dtype::F32 => "float32",
            Dtype::F64 => "float64",
        }
    }

    fn type_num(self) -> c_int {
        match self {
            Dtype::F32 => NPY_TYPES::NPY_FLOAT as c_int,
            Dtype::F64 => NPY_TYPES::NPY_DOUBLE as c_int,
        }
    }
}

/// The [`Dtype`] of numpy type number `num`, if the kernels take it.
fn dtype_of_num(num: c_int) -> Option<Dtype> {
    [Dtype::F32, Dtype::F64]
        .into_iter()
        .find(|d| d.type_num() == num)
}

/// The raw fields of an array (valid while the array lives).
#[inline]
fn fields<'a>(arr: &'a Bound<'_, PyUntypedArray>) -> &'a npyffi::PyArrayObject_fields {
    // SAFETY: `arr` is a live ndarray and we are attached to the interpreter.
    unsafe { &*npyffi::_PyArray_GET_ITEM_DATA(arr.as_ptr().cast()) }
}

/// The dtype of an array as far as the kernels are concerned: `Ok(Some)`
/// for native float32/float64, `Ok(None)` for a byte-swapped one (usable
/// after a copy), `Err` for anything else.
fn array_dtype(what: &str, arr: &Bound<'_, PyUntypedArray>) -> PyResult<(Dtype, bool)> {
    let f = fields(arr);
    // SAFETY: an array's descr is never null.
    let descr: Bound<'_, PyArrayDescr> = unsafe {
        Bound::from_borrowed_ptr(arr.py(), f.descr.cast()).cast_into_unchecked::<PyArrayDescr>()
    };
    match dtype_of_num(descr.num()) {
        Some(dt) => Ok((dt, descr.is_native_byteorder() != Some(false))),
        None => Err(PyTypeError::new_err(format!(
            "{what} has dtype {}; simdpar kernels take float32 or float64 arrays (convert with x.astype(np.float32) or np.float64)",
            descr
                .str()
                .map(|s| s.to_string())
                .unwrap_or_else(|_| "?".into())
        ))),
    }
}

/// The byte range `[lo, hi)` an array's elements occupy (strides taken into
/// account); empty for an array without elements.
fn extent(f: &npyffi::PyArrayObject_fields, itemsize: usize) -> (usize, usize) {
    let base = f.data as usize;
    let nd = f.nd as usize;
    let (mut lo, mut hi) = (0isize, 0isize);
    for i in 0..nd {
        // SAFETY: dimensions and strides hold `nd` entries.
        let (d, s) = unsafe { (*f.dimensions.add(i), *f.strides.add(i)) };
        if d == 0 {
            return (base, base);
        }
        let span = s * (d - 1);
        if span < 0 {
            lo += span;
        } else {
            hi += span;
        }
    }
    (
        base.wrapping_add_signed(lo),
        base.wrapping_add_signed(hi) + itemsize,
    )
}

/// A kernel input: a native, aligned, C-contiguous view of a float32 or
/// float64 array (the array itself, or one copy of it).
pub struct Input<'py> {
    /// The array the data pointer belongs to (kept alive for the call).
    pub arr: Bound<'py, PyUntypedArray>,
    /// Element type.
    pub dt: Dtype,
    /// Address of the first element.
    pub ptr: usize,
    /// Number of elements.
    pub len: usize,
    /// The byte range of the caller's original array.
    pub extent: (usize, usize),
    /// Whether `arr` is a copy of the caller's array.
    pub copied: bool,
}

/// Rejects anything but an ndarray with a TypeError naming the argument,
/// and refuses a masked array (its mask would be ignored: a silent wrong
/// result). Other subclasses (`np.matrix`, `np.memmap`) are read as their
/// base arrays.
#[inline]
pub fn as_array<'a, 'py>(
    what: &str,
    obj: &'a Bound<'py, PyAny>,
) -> PyResult<&'a Bound<'py, PyUntypedArray>> {
    let arr = obj.cast::<PyUntypedArray>().map_err(|_| {
        PyTypeError::new_err(format!(
            "{what} must be a numpy.ndarray of float32 or float64, got {} (wrap it with np.asarray)",
            type_name(obj)
        ))
    })?;
    // SAFETY: `obj` is a live object and we are attached to the interpreter.
    if unsafe { npyffi::PyArray_CheckExact(obj.py(), obj.as_ptr()) } == 0 {
        refuse_masked(what, obj)?;
    }
    Ok(arr)
}

/// The type name of `obj`, for messages.
pub fn type_name(obj: &Bound<'_, PyAny>) -> String {
    obj.get_type()
        .name()
        .map(|n| n.to_string())
        .unwrap_or_else(|_| "?".into())
}

/// A TypeError when `obj` is a `numpy.ma.MaskedArray`: simdpar kernels see
/// only the data, so the mask would be silently ignored.
pub fn refuse_masked(what: &str, obj: &Bound<'_, PyAny>) -> PyResult<()> {
    static MASKED: PyOnceLock<Py<PyType>> = PyOnceLock::new();
    let py = obj.py();
    let masked = MASKED.import(py, "numpy.ma", "MaskedArray")?;
    if obj.is_instance(masked)? {
        return Err(PyTypeError::new_err(format!(
            "{what} is a numpy.ma.MaskedArray; simdpar kernels ignore masks, so pass \
             {what}.filled(value) (masked elements replaced by a value) or \
             {what}.compressed() (the unmasked elements, 1-D)"
        )));
    }
    Ok(())
}

/// Reads an input array: zero-copy when it is native, aligned and
/// C-contiguous; otherwise copied once into a C-contiguous array.
pub fn input<'py>(what: &str, obj: &Bound<'py, PyAny>) -> PyResult<Input<'py>> {
    let arr = as_array(what, obj)?;
    let (dt, native) = array_dtype(what, arr)?;
    let f = fields(arr);
    let flags = f.flags;
    let ext = extent(f, dt.size_bytes());
    let len = shape_len(f);
    if native && flags & NPY_ARRAY_C_CONTIGUOUS != 0 && flags & NPY_ARRAY_ALIGNED != 0 {
        return Ok(Input {
            arr: arr.clone(),
            dt,
            ptr: f.data as usize,
            len,
            extent: ext,
            copied: false,
        });
    }
    let py = obj.py();
    // SAFETY: FromAny steals the descr reference; returns a new reference or null.
    let copy = unsafe {
        let p = PY_ARRAY_API.PyArray_FromAny(
            py,
            obj.as_ptr(),
            dt.descr(py),
            0,
            0,
            NPY_ARRAY_C_CONTIGUOUS | NPY_ARRAY_ALIGNED | npyffi::NPY_ARRAY_ENSURECOPY,
            std::ptr::null_mut(),
        );
        Bound::from_owned_ptr_or_err(py, p)?.cast_into_unchecked::<PyUntypedArray>()
    };
    let cf = fields(&copy);
    Ok(Input {
        ptr: cf.data as usize,
        arr: copy,
        dt,
        len,
        extent: ext,
        copied: true,
    })
}

fn shape_len(f: &npyffi::PyArrayObject_fields) -> usize {
    let mut n = 1usize;
    for i in 0..f.nd as usize {
        // SAFETY: `nd` dimensions.
        n *= unsafe { *f.dimensions.add(i) } as usize;
    }
    n
}

/// The shape of an array.
pub fn shape(arr: &Bound<'_, PyUntypedArray>) -> Vec<isize> {
    let f = fields(arr);
    (0..f.nd as usize)
        // SAFETY: `nd` dimensions.
        .map(|i| unsafe { *f.dimensions.add(i) })
        .collect()
}

/// Shapes equal?
pub fn same_shape(a: &Bound<'_, PyUntypedArray>, b: &Bound<'_, PyUntypedArray>) -> bool {
    let (fa, fb) = (fields(a), fields(b));
    if fa.nd != fb.nd {
        return false;
    }
    (0..fa.nd as usize)
        // SAFETY: both have `nd` dimensions.
        .all(|i| unsafe { *fa.dimensions.add(i) == *fb.dimensions.add(i) })
}

/// Formats a shape the way numpy prints it.
pub fn fmt_shape(s: &[isize]) -> String {
    match s {
        [one] => format!("({one},)"),
        _ => format!(
            "({})",
            s.iter()
                .map(|d| d.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A kernel output: a writeable, aligned, C-contiguous array of the right
/// dtype and shape (the caller's `out=` or a new one).
pub struct Output<'py> {
    /// The array.
    pub arr: Bound<'py, PyUntypedArray>,
    /// Address of the first element.
    pub ptr: usize,
    /// Number of elements.
    pub len: usize,
}

/// A new uninitialized C-contiguous array.
pub fn new_array<'py>(py: Python<'py>, num: c_int, dims: &[isize]) -> PyResult<Output<'py>> {
    let mut dims = dims.to_vec();
    // SAFETY: PyArray_Empty steals the descr reference and returns a new
    // reference or null.
    let arr = unsafe {
        let descr = PY_ARRAY_API.PyArray_DescrFromType(py, num);
        let p = PY_ARRAY_API.PyArray_Empty(py, dims.len() as c_int, dims.as_mut_ptr(), descr, 0);
        Bound::from_owned_ptr_or_err(py, p)?.cast_into_unchecked::<PyUntypedArray>()
    };
    let f = fields(&arr);
    Ok(Output {
        ptr: f.data as usize,
        len: shape_len(f),
        arr,
    })
}

/// A new array shaped like `like` (C order) with `like`'s element type `dt`.
pub fn new_like<'py>(like: &Bound<'py, PyUntypedArray>, dt: Dtype) -> PyResult<Output<'py>> {
    new_array(like.py(), dt.type_num(), &shape(like))
}

/// Validates the caller's `out=`: an ndarray of dtype `dt` and shape `dims`,
/// writeable, aligned, C-contiguous.
pub fn check_out<'py>(out: &Bound<'py, PyAny>, dt: Dtype, dims: &[isize]) -> PyResult<Output<'py>> {
    let arr = as_array("out", out)?;
    let (odt, native) = match array_dtype("out", arr) {
        Ok(x) => x,
        Err(_) => {
            return Err(PyTypeError::new_err(format!(
                "out has dtype {}, expected {} (the inputs' dtype)",
                arr.dtype()
                    .str()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|_| "?".into()),
                dt.numpy_name()
            )));
        }
    };
    if odt != dt {
        return Err(PyTypeError::new_err(format!(
            "out has dtype {}, expected {} (the inputs' dtype)",
            odt.numpy_name(),
            dt.numpy_name()
        )));
    }
    let f = fields(arr);
    let got = shape(arr);
    if got != dims {
        return Err(PyValueError::new_err(format!(
            "out has shape {}, expected {}",
            fmt_shape(&got),
            fmt_shape(dims)
        )));
    }
    if !native {
        return Err(PyValueError::new_err("out must be in native byte order"));
    }
    if f.flags & NPY_ARRAY_WRITEABLE == 0 {
        return Err(PyValueError::new_err("out is read-only"));
    }
    if f.flags & NPY_ARRAY_C_CONTIGUOUS == 0 {
        return Err(PyValueError::new_err(
            "out must be C-contiguous (np.empty(shape, dtype) or np.ascontiguousarray)",
        ));
    }
    if f.flags & NPY_ARRAY_ALIGNED == 0 {
        return Err(PyValueError::new_err("out must be aligned"));
    }
    Ok(Output {
        ptr: f.data as usize,
        len: shape_len(f),
        arr: arr.clone(),
    })
}

/// How an output relates to an input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alias {
    /// No shared memory.
    None,
    /// Exactly the same elements (in-place operation).
    Same,
}

/// Classifies the overlap of `out` with `inp`; partial overlap is a ValueError.
pub fn alias(out: &Output<'_>, inp: &Input<'_>, itemsize: usize, what: &str) -> PyResult<Alias> {
    let o = (out.ptr, out.ptr + out.len * itemsize);
    let i = inp.extent;
    if o.0 == o.1 || i.0 == i.1 || o.1 <= i.0 || i.1 <= o.0 {
        return Ok(Alias::None);
    }
    if !inp.copied && o == i && inp.ptr == out.ptr {
        return Ok(Alias::Same);
    }
    Err(PyValueError::new_err(format!(
        "out partially overlaps {what}; pass out={what} (the same array) to work in place, or a separate array"
    )))
}

/// `np.empty_like`-free copy of a contiguous array (used where a kernel
/// cannot work in place).
pub fn copy_of<'py>(arr: &Bound<'py, PyUntypedArray>) -> PyResult<Bound<'py, PyUntypedArray>> {
    let py = arr.py();
    // SAFETY: returns a new reference or null.
    unsafe {
        let p = PY_ARRAY_API.PyArray_NewCopy(py, arr.as_ptr().cast(), NPY_ORDER::NPY_CORDER);
        Ok(Bound::from_owned_ptr_or_err(py, p)?.cast_into_unchecked::<PyUntypedArray>())
    }
}

/// The data pointer of an array.
pub fn data_ptr(arr: &Bound<'_, PyUntypedArray>) -> usize {
    fields(arr).data as usize
}

/// A read-only slice over `n` elements at address `p`.
///
/// # Safety
/// `p` must point at `n` live, aligned `T` that outlive `'a` and that no one
/// writes meanwhile.
pub unsafe fn slice_at<'a, T>(p: usize, n: usize) -> &'a [T] {
    if n == 0 {
        &[]
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts(p as *const T, n) }
    }
}

/// A mutable slice over `n` elements at `p`.
///
/// # Safety
/// As [`slice_at`], and no other slice may cover these elements meanwhile.
pub unsafe fn slice_at_mut<'a, T>(p: usize, n: usize) -> &'a mut [T] {
    if n == 0 {
        &mut []
    } else {
        // SAFETY: guaranteed by the caller.
        unsafe { std::slice::from_raw_parts_mut(p as *mut T, n) }
    }
}

/// Runs `$body` with `$T` bound to the Rust type of `$dt`.
#[macro_export]
macro_rules! with_dt {
    ($dt:expr, $T:ident => $body:expr) => {
        match $dt {
            $crate::array::Dtype::F32 => {
                type $T = f32;
                $body
            }
            $crate::array::Dtype::F64 => {
                type $T = f64;
                $body
            }
        }
    };
}

/// Widens a kernel result to f64 (exact for f32 and f64).
pub fn widen<T: Into<f64>>(v: T) -> f64 {
    v.into()
}

/// A numpy scalar of dtype `dt` holding `v`.
pub fn np_scalar<'py>(py: Python<'py>, dt: Dtype, v: f64) -> PyResult<Bound<'py, PyAny>> {
    let mut b32 = v as f32;
    let mut b64 = v;
    let data: *mut std::ffi::c_void = match dt {
        Dtype::F32 => (&raw mut b32).cast(),
        Dtype::F64 => (&raw mut b64).cast(),
    };
    // SAFETY: `data` points at one element of `dt`; PyArray_Scalar copies
    // it and does not steal the descr, which we release afterwards.
    unsafe {
        let descr = dt.descr(py);
        let p = PY_ARRAY_API.PyArray_Scalar(py, data, descr, std::ptr::null_mut());
        pyo3::ffi::Py_DecRef(descr.cast());
        Bound::from_owned_ptr_or_err(py, p)
    }
}

/// The shared dtype of two inputs, or a TypeError.
pub fn same_dt(a: &Input<'_>, b: &Input<'_>, an: &str, bn: &str) -> PyResult<Dtype> {
    if a.dt != b.dt {
        return Err(PyTypeError::new_err(format!(
            "mixed dtypes: {an} is {} but {bn} is {}; convert one with .astype(...) (simdpar does not promote)",
            a.dt.numpy_name(),
            b.dt.numpy_name()
        )));
    }
    Ok(a.dt)
}

/// Checks two inputs have equal shapes (no broadcasting).
pub fn check_same_shape(a: &Input<'_>, b: &Input<'_>, an: &str, bn: &str) -> PyResult<()> {
    if !same_shape(&a.arr, &b.arr) {
        return Err(PyValueError::new_err(format!(
            "shape mismatch: {an} has shape {} but {bn} has shape {} (simdpar does not broadcast)",
            fmt_shape(&shape(&a.arr)),
            fmt_shape(&shape(&b.arr))
        )));
    }
    Ok(())
}

/// `out=` validated against `like`, or a new array shaped like it.
pub fn output<'py>(out: Option<&Bound<'py, PyAny>>, like: &Input<'py>) -> PyResult<Output<'py>> {
    match out {
        Some(o) => check_out(o, like.dt, &shape(&like.arr)),
        None => new_like(&like.arr, like.dt),
    }
}

/// What a binary elementwise call should do once aliasing is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinaryPlan {
    /// `out = op(a, b)`, nothing shared.
    Fresh,
    /// `out` is `a`: `a op= b`.
    IntoA,
    /// `out` is `b`: `b op= a` (both ops commute bit for bit).
    IntoB,
    /// `out` is both `a` and `b`.
    IntoBoth,
}

/// Reads and checks the arguments of a binary elementwise op.
pub fn binary_args<'py>(
    a: &Bound<'py, PyAny>,
    b: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Input<'py>, Input<'py>, Output<'py>, BinaryPlan)> {
    let ia = input("a", a)?;
    let ib = input("b", b)?;
    let dt = same_dt(&ia, &ib, "a", "b")?;
    check_same_shape(&ia, &ib, "a", "b")?;
    let o = output(out, &ia)?;
    let plan = if out.is_some() {
        match (
            alias(&o, &ia, dt.size_bytes(), "a")?,
            alias(&o, &ib, dt.size_bytes(), "b")?,
        ) {
            (Alias::None, Alias::None) => BinaryPlan::Fresh,
            (Alias::Same, Alias::None) => BinaryPlan::IntoA,
            (Alias::None, Alias::Same) => BinaryPlan::IntoB,
            (Alias::Same, Alias::Same) => BinaryPlan::IntoBoth,
        }
    } else {
        BinaryPlan::Fresh
    };
    Ok((ia, ib, o, plan))
}

/// Reads and checks the arguments of a unary elementwise op; `true` when
/// `out` is `x` (in place).
pub fn unary_args<'py>(
    x: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Input<'py>, Output<'py>, bool)> {
    let ix = input("x", x)?;
    let o = output(out, &ix)?;
    let inplace = out.is_some() && alias(&o, &ix, ix.dt.size_bytes(), "x")? == Alias::Same;
    Ok((ix, o, inplace))
}

/// Reads and checks the arguments of `row_sums`: `(m, out, rows, cols)`.
pub fn row_sums_args<'py>(
    m: &Bound<'py, PyAny>,
    out: Option<&Bound<'py, PyAny>>,
) -> PyResult<(Input<'py>, Output<'py>, usize, usize)> {
    let im = input("m", m)?;
    let dims = shape(&im.arr);
    if dims.len() != 2 {
        return Err(PyValueError::new_err(format!(
            "row_sums needs a 2-D array, got {} dimension(s) with shape {}",
            dims.len(),
            fmt_shape(&dims)
        )));
    }
    let (rows, cols) = (dims[0] as usize, dims[1] as usize);
    let o = match out {
        Some(o) => check_out(o, im.dt, &[dims[0]])?,
        None => new_array(m.py(), im.dt.type_num(), &[dims[0]])?,
    };
    if out.is_some() && alias(&o, &im, im.dt.size_bytes(), "m")? != Alias::None {
        return Err(PyValueError::new_err(
            "out overlaps m; pass a separate array",
        ));
    }
    Ok((im, o, rows, cols))
}

/// Resolves a dtype-like object (np.float32, "float64", np.dtype(...)).
pub fn dtype_arg(py: Python<'_>, dtype: Option<&Bound<'_, PyAny>>) -> PyResult<Dtype> {
    let Some(d) = dtype.filter(|d| !d.is_none()) else {
        return Ok(Dtype::F64);
    };
    let descr = PyArrayDescr::new(py, d)
        .map_err(|e| PyTypeError::new_err(format!("dtype must be float32 or float64: {e}")))?;
    match descr.num() {
        n if n == NPY_TYPES::NPY_FLOAT as c_int => Ok(Dtype::F32),
        n if n == NPY_TYPES::NPY_DOUBLE as c_int => Ok(Dtype::F64),
        _ => Err(PyTypeError::new_err(format!(
            "dtype must be float32 or float64, got {}",
            descr.str()?
        ))),
    }
}

/// A kernel name ("sum", "add", ...) and a dtype name ("float32" or
/// "float64", or "f32" / "f64"), parsed; ValueError naming the valid ones.
pub fn kernel_and_dtype(kernel: &str, dtype: &str) -> PyResult<(simdpar_kernels::Kernel, Dtype)> {
    let d = match dtype {
        "float32" | "f32" => Dtype::F32,
        "float64" | "f64" => Dtype::F64,
        other => {
            return Err(PyValueError::new_err(format!(
                "dtype must be 'float32' or 'float64', got {other:?}"
            )));
        }
    };
    let k = kernel
        .parse()
        .map_err(|e: simdpar_kernels::UnknownName| PyValueError::new_err(e.to_string()))?;
    Ok((k, d))
}

/// An input that the twin reads through a separate buffer when `out` is it.
pub fn detach_alias<'py>(
    i: &Input<'py>,
    aliased: bool,
) -> PyResult<(usize, Option<Bound<'py, PyUntypedArray>>)> {
    if aliased {
        let c = copy_of(&i.arr)?;
        Ok((data_ptr(&c), Some(c)))
    } else {
        Ok((i.ptr, None))
    }
}
