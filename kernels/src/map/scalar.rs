//! The elementwise oracle: one element at a time, exactly as the contract
//! in [`crate::map`] writes it (values pass through `black_box`, so LLVM
//! cannot vectorize).

use super::MapTable;
use crate::Element;
use crate::element::opaque;
use crate::vocab::Store;
use simdpar_dispatch::Isa;

/// The standard leaky ReLU of one element: `x > 0 ? x : alpha * x` (so
/// `-0.0`, `-Inf` and NaN take `alpha * x`).
#[inline]
pub fn leaky_relu_one<T: Element>(x: T, alpha: T) -> T {
    if x > T::ZERO { x } else { alpha * x }
}

fn zip2<T: Element>(a: &[T], b: &[T], out: &mut [T], f: impl Fn(T, T) -> T) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = f(opaque(x), opaque(y));
    }
}

fn map1<T: Element>(x: &[T], out: &mut [T], f: impl Fn(T) -> T) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f(opaque(v));
    }
}

fn map1_inplace<T: Element>(x: &mut [T], f: impl Fn(T) -> T) {
    for v in x.iter_mut() {
        *v = f(opaque(*v));
    }
}

/// `out[i] = a[i] + b[i]`.
pub fn add<T: Element>(a: &[T], b: &[T], out: &mut [T], _: Store) {
    zip2(a, b, out, |x, y| x + y)
}
/// `out[i] = a[i] * b[i]`.
pub fn multiply<T: Element>(a: &[T], b: &[T], out: &mut [T], _: Store) {
    zip2(a, b, out, |x, y| x * y)
}
/// `a[i] = a[i] + b[i]`.
pub fn add_assign<T: Element>(a: &mut [T], b: &[T]) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = opaque(*x) + opaque(y);
    }
}
/// `a[i] = a[i] * b[i]`.
pub fn multiply_assign<T: Element>(a: &mut [T], b: &[T]) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = opaque(*x) * opaque(y);
    }
}
/// `out[i] = x[i] * x[i]`.
pub fn square<T: Element>(x: &[T], out: &mut [T], _: Store) {
    map1(x, out, |v| v * v)
}
/// `x[i] = x[i] * x[i]`.
pub fn square_inplace<T: Element>(x: &mut [T]) {
    map1_inplace(x, |v| v * v)
}
/// `out[i] = x[i] * factor`.
pub fn scale<T: Element>(x: &[T], factor: T, out: &mut [T], _: Store) {
    map1(x, out, |v| v * factor)
}
/// `x[i] = x[i] * factor`.
pub fn scale_inplace<T: Element>(x: &mut [T], factor: T) {
    map1_inplace(x, |v| v * factor)
}
/// `out[i] = x[i] > 0 ? x[i] : alpha * x[i]`.
pub fn leaky_relu<T: Element>(x: &[T], alpha: T, out: &mut [T], _: Store) {
    map1(x, out, |v| leaky_relu_one(v, alpha))
}
/// `x[i] = x[i] > 0 ? x[i] : alpha * x[i]`.
pub fn leaky_relu_inplace<T: Element>(x: &mut [T], alpha: T) {
    map1_inplace(x, |v| leaky_relu_one(v, alpha))
}

macro_rules! table {
    ($name:ident, $t:ty) => {
        pub(crate) static $name: MapTable<$t> = MapTable {
            isa: Isa::Scalar,
            add: add::<$t>,
            multiply: multiply::<$t>,
            add_assign: add_assign::<$t>,
            multiply_assign: multiply_assign::<$t>,
            square: square::<$t>,
            square_inplace: square_inplace::<$t>,
            scale: scale::<$t>,
            scale_inplace: scale_inplace::<$t>,
            leaky_relu: leaky_relu::<$t>,
            leaky_relu_inplace: leaky_relu_inplace::<$t>,
        };
    };
}
table!(TABLE_F32, f32);
table!(TABLE_F64, f64);
