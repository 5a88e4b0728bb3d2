//! Elementwise kernels: [`add`], [`multiply`], [`square`], [`scale`],
//! [`leaky_relu`], their in-place forms, and [`add_assign`] /
//! [`multiply_assign`].
//!
//! # Numerical contract
//!
//! Each output element is one IEEE-754 operation on the matching inputs
//! (for `leaky_relu` a comparison that picks `x[i]` itself or one
//! product), evaluated as written, never fused:
//!
//! | kernel | `out[i]` |
//! |---|---|
//! | `add` | `a[i] + b[i]` |
//! | `multiply` | `a[i] * b[i]` |
//! | `square` | `x[i] * x[i]` |
//! | `scale` | `x[i] * factor` |
//! | `leaky_relu` | `x[i] > 0 ? x[i] : alpha * x[i]` (the standard leaky ReLU, NumPy's `np.where(x > 0, x, alpha * x)`) |
//!
//! so every ISA and thread count gives the same bits as the scalar path for
//! every output that is not NaN: ±Inf, -0.0 and subnormals included
//! (`leaky_relu(-0.0)` is `alpha * -0.0`, `leaky_relu(-Inf)` is
//! `alpha * -Inf`).
//!
//! **NaN.** An output is NaN exactly where the scalar path's is (a NaN
//! input, or an invalid operation such as `Inf * 0` or `Inf + -Inf`); the
//! sign and payload of that NaN are unspecified and may differ between
//! ISAs, store policies and thread counts, as IEEE 754 and NumPy leave
//! them: x86 makes an invalid operation's NaN negative and Arm positive,
//! and when both operands are NaN the hardware keeps one operand's payload
//! (for `scale` and `leaky_relu`, a NaN parameter's or the element's).
//! Making the bits identical would take a compare and a select per vector
//! on every kernel; reductions, where it costs one check per result, do
//! canonicalise (see [`crate::reduce`]).
//!
//! Large out-of-place calls use non-temporal stores (bypassing the cache)
//! above [`nt_threshold_bytes`], where they pay: see the crate README.

pub(crate) mod generic;
pub mod portable;
pub mod scalar;

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub mod avx2;
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
pub mod avx512;
#[cfg(target_arch = "aarch64")]
pub mod neon;

use crate::error::check_len;
pub use crate::plan::nt_threshold_bytes;
pub use crate::vocab::Store;

use crate::vocab::Kernel;
use crate::{Element, KernelError};
use simdpar_dispatch::Isa;

/// The elementwise kernels of one ISA for one dtype (function pointers
/// resolved once). Only reachable for supported ISAs. Every kernel works on
/// the first `n` elements, `n` the shortest of its slices.
pub(crate) struct MapTable<T: 'static> {
    pub(crate) isa: Isa,
    pub(crate) add: unsafe fn(&[T], &[T], &mut [T], Store),
    pub(crate) multiply: unsafe fn(&[T], &[T], &mut [T], Store),
    pub(crate) add_assign: unsafe fn(&mut [T], &[T]),
    pub(crate) multiply_assign: unsafe fn(&mut [T], &[T]),
    pub(crate) square: unsafe fn(&[T], &mut [T], Store),
    pub(crate) square_inplace: unsafe fn(&mut [T]),
    pub(crate) scale: unsafe fn(&[T], T, &mut [T], Store),
    pub(crate) scale_inplace: unsafe fn(&mut [T], T),
    pub(crate) leaky_relu: unsafe fn(&[T], T, &mut [T], Store),
    pub(crate) leaky_relu_inplace: unsafe fn(&mut [T], T),
}

crate::isa_tables!(MapTable);

/// The elementwise kernels that run `kernel` over `len` elements on this
/// thread now: [`crate::plan::isa_for`] (forced > capped > tuned profile >
/// built-in default, per size class), always an ISA this CPU supports.
#[inline]
pub(crate) fn resolve_for<T: Element>(kernel: Kernel, len: usize) -> &'static MapTable<T> {
    table_for::<T>(crate::plan::isa_for(kernel, T::DTYPE, len))
}

/// [`resolve_for`] for an in-place call of `kernel` on `len` elements
/// (planned at [`crate::plan::in_place_len`]: one array fewer moves).
#[inline]
fn resolve_in_place<T: Element>(kernel: Kernel, len: usize) -> &'static MapTable<T> {
    resolve_for::<T>(kernel, crate::plan::in_place_len(kernel, len))
}

/// The store policy for an out-of-place call on `len` elements of `T` that
/// reads `inputs` arrays ([`crate::plan::store_for`]): streaming where the
/// output reaches the threshold and the arrays outgrow the last-level
/// cache; [`Store::ByLine`] for a one-input kernel whose two arrays are
/// more than the level-1 data cache holds and at most a quarter of L2;
/// [`Store::Cached`] otherwise. Evidence:
/// `docs/measurements.md#a-cache-line-per-loop-step-storebyline` (the
/// window) and `#non-temporal-stores-only-where-the-arrays-outgrow-the-llc`.
#[inline]
pub(crate) fn store_for_arrays<T: Element>(len: usize, inputs: usize) -> Store {
    crate::plan::store_for(T::DTYPE, inputs, len)
}

/// `out[i] = a[i] + b[i]`. Errors (nothing written) on unequal lengths.
pub fn add<T: Element>(a: &[T], b: &[T], out: &mut [T]) -> Result<(), KernelError> {
    check_len("b", a.len(), b.len())?;
    check_len("out", a.len(), out.len())?;
    let t = resolve_for::<T>(Kernel::Add, out.len());
    // SAFETY: supported ISA; lengths checked.
    unsafe { (t.add)(a, b, out, store_for_arrays::<T>(out.len(), 2)) };
    Ok(())
}

/// `out[i] = a[i] * b[i]`. Errors (nothing written) on unequal lengths.
pub fn multiply<T: Element>(a: &[T], b: &[T], out: &mut [T]) -> Result<(), KernelError> {
    check_len("b", a.len(), b.len())?;
    check_len("out", a.len(), out.len())?;
    let t = resolve_for::<T>(Kernel::Multiply, out.len());
    // SAFETY: supported ISA; lengths checked.
    unsafe { (t.multiply)(a, b, out, store_for_arrays::<T>(out.len(), 2)) };
    Ok(())
}

/// `a[i] = a[i] + b[i]`. Errors (nothing written) on unequal lengths.
pub fn add_assign<T: Element>(a: &mut [T], b: &[T]) -> Result<(), KernelError> {
    check_len("b", a.len(), b.len())?;
    let t = resolve_in_place::<T>(Kernel::Add, a.len());
    // SAFETY: supported ISA; lengths checked.
    unsafe { (t.add_assign)(a, b) };
    Ok(())
}

/// `a[i] = a[i] * b[i]`. Errors (nothing written) on unequal lengths.
pub fn multiply_assign<T: Element>(a: &mut [T], b: &[T]) -> Result<(), KernelError> {
    check_len("b", a.len(), b.len())?;
    let t = resolve_in_place::<T>(Kernel::Multiply, a.len());
    // SAFETY: supported ISA; lengths checked.
    unsafe { (t.multiply_assign)(a, b) };
    Ok(())
}

/// `out[i] = x[i] * x[i]`. Errors (nothing written) on unequal lengths.
pub fn square<T: Element>(x: &[T], out: &mut [T]) -> Result<(), KernelError> {
    check_len("out", x.len(), out.len())?;
    let t = resolve_for::<T>(Kernel::Square, out.len());
    // SAFETY: supported ISA; lengths checked.
    unsafe { (t.square)(x, out, store_for_arrays::<T>(out.len(), 1)) };
    Ok(())
}

/// `x[i] = x[i] * x[i]`.
pub fn square_inplace<T: Element>(x: &mut [T]) {
    let t = resolve_in_place::<T>(Kernel::Square, x.len());
    // SAFETY: supported ISA.
    unsafe { (t.square_inplace)(x) }
}

/// `out[i] = x[i] * factor`. Errors (nothing written) on unequal lengths.
pub fn scale<T: Element>(x: &[T], factor: T, out: &mut [T]) -> Result<(), KernelError> {
    check_len("out", x.len(), out.len())?;
    let t = resolve_for::<T>(Kernel::Scale, out.len());
    // SAFETY: supported ISA; lengths checked.
    unsafe { (t.scale)(x, factor, out, store_for_arrays::<T>(out.len(), 1)) };
    Ok(())
}

/// `x[i] = x[i] * factor`.
pub fn scale_inplace<T: Element>(x: &mut [T], factor: T) {
    let t = resolve_in_place::<T>(Kernel::Scale, x.len());
    // SAFETY: supported ISA.
    unsafe { (t.scale_inplace)(x, factor) }
}

/// The standard leaky ReLU, `out[i] = x[i] > 0 ? x[i] : alpha * x[i]`
/// (bitwise `np.where(x > 0, x, alpha * x)` for every non-NaN output).
/// Errors (nothing written) on unequal lengths.
pub fn leaky_relu<T: Element>(x: &[T], alpha: T, out: &mut [T]) -> Result<(), KernelError> {
    check_len("out", x.len(), out.len())?;
    let t = resolve_for::<T>(Kernel::LeakyRelu, out.len());
    // SAFETY: supported ISA; lengths checked.
    unsafe { (t.leaky_relu)(x, alpha, out, store_for_arrays::<T>(out.len(), 1)) };
    Ok(())
}

/// `x[i] = x[i] > 0 ? x[i] : alpha * x[i]` (the standard leaky ReLU).
pub fn leaky_relu_inplace<T: Element>(x: &mut [T], alpha: T) {
    let t = resolve_in_place::<T>(Kernel::LeakyRelu, x.len());
    // SAFETY: supported ISA.
    unsafe { (t.leaky_relu_inplace)(x, alpha) }
}

/// Generates an ISA file's elementwise kernels for one dtype: the
/// `#[target_feature]` entry points (module `$imp`, used by the table) and
/// safe public functions that take the ISA's token (for callers that pick
/// the ISA themselves: benches, the emulator harness).
macro_rules! map_entry_points {
    ([$($tf:tt)*] [$($tok:ident : $token:ty)?] $t:ty, $v:ty, $imp:ident,
     $add:ident, $mul:ident, $add_assign:ident, $mul_assign:ident, $square:ident,
     $square_inplace:ident, $scale:ident, $scale_inplace:ident, $lrelu:ident,
     $lrelu_inplace:ident) => {
        pub(crate) mod $imp {
            use crate::map::generic::{self, Add, LeakyRelu, Mul, Scale, Square};
            use crate::simd::SimdVec;
            use crate::vocab::Store;
            type V = $v;
            $($tf)*
            pub(crate) unsafe fn add(a: &[$t], b: &[$t], out: &mut [$t], s: Store) {
                // SAFETY: the caller holds the ISA's proof; lengths are clamped.
                unsafe { generic::binary::<V, _>(a, b, out, Add, s) }
            }
            $($tf)*
            pub(crate) unsafe fn multiply(a: &[$t], b: &[$t], out: &mut [$t], s: Store) {
                // SAFETY: as above.
                unsafe { generic::binary::<V, _>(a, b, out, Mul, s) }
            }
            $($tf)*
            pub(crate) unsafe fn add_assign(a: &mut [$t], b: &[$t]) {
                // SAFETY: as above.
                unsafe { generic::binary_assign::<V, _>(a, b, Add) }
            }
            $($tf)*
            pub(crate) unsafe fn multiply_assign(a: &mut [$t], b: &[$t]) {
                // SAFETY: as above.
                unsafe { generic::binary_assign::<V, _>(a, b, Mul) }
            }
            $($tf)*
            pub(crate) unsafe fn square(x: &[$t], out: &mut [$t], s: Store) {
                // SAFETY: as above.
                unsafe { generic::unary::<V, _>(x, out, Square, s) }
            }
            $($tf)*
            pub(crate) unsafe fn square_inplace(x: &mut [$t]) {
                // SAFETY: as above.
                unsafe { generic::unary_inplace::<V, _>(x, Square) }
            }
            $($tf)*
            pub(crate) unsafe fn scale(x: &[$t], f: $t, out: &mut [$t], s: Store) {
                // SAFETY: as above.
                unsafe { generic::unary::<V, _>(x, out, Scale(V::splat(f)), s) }
            }
            $($tf)*
            pub(crate) unsafe fn scale_inplace(x: &mut [$t], f: $t) {
                // SAFETY: as above.
                unsafe { generic::unary_inplace::<V, _>(x, Scale(V::splat(f))) }
            }
            $($tf)*
            pub(crate) unsafe fn leaky_relu(x: &[$t], alpha: $t, out: &mut [$t], s: Store) {
                // SAFETY: as above.
                unsafe { generic::unary::<V, _>(x, out, LeakyRelu(V::splat(alpha)), s) }
            }
            $($tf)*
            pub(crate) unsafe fn leaky_relu_inplace(x: &mut [$t], alpha: $t) {
                // SAFETY: as above.
                unsafe { generic::unary_inplace::<V, _>(x, LeakyRelu(V::splat(alpha))) }
            }
        }

        /// `out[i] = a[i] + b[i]` on this ISA, over the shortest length.
        pub fn $add($($tok: $token,)? a: &[$t], b: &[$t], out: &mut [$t], store: crate::vocab::Store) {
            $(let _ = $tok;)?
            // SAFETY: the token (or the portable baseline) proves support.
            unsafe { $imp::add(a, b, out, store) }
        }
        /// `out[i] = a[i] * b[i]` on this ISA, over the shortest length.
        pub fn $mul($($tok: $token,)? a: &[$t], b: &[$t], out: &mut [$t], store: crate::vocab::Store) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::multiply(a, b, out, store) }
        }
        /// `a[i] += b[i]` on this ISA, over the shortest length.
        pub fn $add_assign($($tok: $token,)? a: &mut [$t], b: &[$t]) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::add_assign(a, b) }
        }
        /// `a[i] *= b[i]` on this ISA, over the shortest length.
        pub fn $mul_assign($($tok: $token,)? a: &mut [$t], b: &[$t]) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::multiply_assign(a, b) }
        }
        /// `out[i] = x[i] * x[i]` on this ISA, over the shortest length.
        pub fn $square($($tok: $token,)? x: &[$t], out: &mut [$t], store: crate::vocab::Store) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::square(x, out, store) }
        }
        /// `x[i] = x[i] * x[i]` on this ISA.
        pub fn $square_inplace($($tok: $token,)? x: &mut [$t]) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::square_inplace(x) }
        }
        /// `out[i] = x[i] * factor` on this ISA, over the shortest length.
        pub fn $scale($($tok: $token,)? x: &[$t], factor: $t, out: &mut [$t], store: crate::vocab::Store) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::scale(x, factor, out, store) }
        }
        /// `x[i] = x[i] * factor` on this ISA.
        pub fn $scale_inplace($($tok: $token,)? x: &mut [$t], factor: $t) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::scale_inplace(x, factor) }
        }
        /// `out[i] = x[i] > 0 ? x[i] : alpha * x[i]` on this ISA.
        pub fn $lrelu($($tok: $token,)? x: &[$t], alpha: $t, out: &mut [$t], store: crate::vocab::Store) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::leaky_relu(x, alpha, out, store) }
        }
        /// `x[i] = x[i] > 0 ? x[i] : alpha * x[i]` on this ISA.
        pub fn $lrelu_inplace($($tok: $token,)? x: &mut [$t], alpha: $t) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::leaky_relu_inplace(x, alpha) }
        }

    };
}
pub(crate) use map_entry_points;

/// Generates an ISA file's elementwise kernels for f32 and f64 and the two
/// tables. The grammar and each ISA's arguments: [`crate::simd::isa_shim`].
macro_rules! map_isa {
    (isa = $isa:expr; [$($tf:tt)*] [$($tok:ident : $token:ty)?]; f32 = $v32:ty, f64 = $v64:ty) => {
        crate::map::map_entry_points!([$($tf)*] [$($tok: $token)?] f32, $v32, f32_impl,
            add_f32, multiply_f32, add_assign_f32, multiply_assign_f32, square_f32,
            square_inplace_f32, scale_f32, scale_inplace_f32, leaky_relu_f32,
            leaky_relu_inplace_f32);
        crate::map::map_entry_points!([$($tf)*] [$($tok: $token)?] f64, $v64, f64_impl,
            add_f64, multiply_f64, add_assign_f64, multiply_assign_f64, square_f64,
            square_inplace_f64, scale_f64, scale_inplace_f64, leaky_relu_f64,
            leaky_relu_inplace_f64);
        crate::map::map_isa!(@table TABLE_F32, f32, f32_impl, $isa);
        crate::map::map_isa!(@table TABLE_F64, f64, f64_impl, $isa);
    };
    (@table $name:ident, $t:ty, $imp:ident, $isa:expr) => {
        pub(crate) static $name: crate::map::MapTable<$t> = crate::map::MapTable {
            isa: $isa,
            add: $imp::add,
            multiply: $imp::multiply,
            add_assign: $imp::add_assign,
            multiply_assign: $imp::multiply_assign,
            square: $imp::square,
            square_inplace: $imp::square_inplace,
            scale: $imp::scale,
            scale_inplace: $imp::scale_inplace,
            leaky_relu: $imp::leaky_relu,
            leaky_relu_inplace: $imp::leaky_relu_inplace,
        };
    };
}
pub(crate) use map_isa;

#[cfg(test)]
mod tests {
    use super::{Store, store_for_arrays};
    use simdpar_dispatch::{cache_limits, l1_data_bytes};

    #[test]
    fn store_policy_follows_the_caches_and_the_nt_threshold() {
        let (l1, l2) = (l1_data_bytes(), cache_limits().0);
        // Elements of f32 whose two arrays (input and output) touch `bytes`.
        let unary = |bytes: usize| bytes / 8;
        assert_eq!(store_for_arrays::<f32>(0, 1), Store::Cached);
        assert_eq!(store_for_arrays::<f32>(unary(l1), 1), Store::Cached);
        if l1 < l2 / 4 {
            assert_eq!(store_for_arrays::<f32>(unary(l1) + 16, 1), Store::ByLine);
            assert_eq!(store_for_arrays::<f32>(unary(l2 / 4), 1), Store::ByLine);
            // Two inputs keep the four-vector loop at the same size.
            assert_eq!(store_for_arrays::<f32>(unary(l1) + 16, 2), Store::Cached);
        }
        assert_eq!(
            store_for_arrays::<f32>(unary(l2 / 4) + 16, 1),
            Store::Cached
        );
        if crate::plan::env_nt_threshold().is_some() {
            return;
        }
        // Streaming needs both the threshold's output and arrays that
        // outgrow the LLC: a one-input call of the threshold's output
        // still fits (it touches two thirds of what `add` does).
        let llc = cache_limits().1;
        let nt = crate::plan::nt_threshold(crate::Dtype::F32);
        if nt < usize::MAX / 8 {
            let at = nt.div_ceil(4).max(llc / 12 + 1);
            assert_eq!(store_for_arrays::<f32>(at, 2), Store::Streaming);
            assert_eq!(store_for_arrays::<f32>(llc / 8, 1), Store::Cached);
            let beyond = (llc / 8 + 1).max(nt.div_ceil(4));
            assert_eq!(store_for_arrays::<f32>(beyond, 1), Store::Streaming);
        }
    }
}
