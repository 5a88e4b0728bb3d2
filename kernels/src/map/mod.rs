//! Elementwise kernels: [`add`], [`multiply`], [`square`], [`scale`],
//! [`leaky_relu`], their in-place forms, and [`add_assign`] /
//! [`multiply_assign`].
//!
//! # Numerical contract
//!
//! Each output element is one IEEE-754 operation (two for `leaky_relu`) on
//! the matching inputs, evaluated as written, never fused:
//!
//! | kernel | `out[i]` |
//! |---|---|
//! | `add` | `a[i] + b[i]` |
//! | `multiply` | `a[i] * b[i]` |
//! | `square` | `x[i] * x[i]` |
//! | `scale` | `x[i] * factor` |
//! | `leaky_relu` | `(x[i] > 0 ? x[i] : +0.0) + alpha * x[i]` |
//!
//! so every ISA gives the same bits as the scalar path, NaN, ±Inf, -0.0 and
//! subnormals included (a NaN input gives a NaN output; its payload may
//! differ between ISAs).
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
use crate::vocab::Kernel;
use crate::{Element, KernelError};
use simdpar_dispatch::Isa;
use std::sync::OnceLock;

/// How an out-of-place kernel writes its output. Every policy gives the
/// same bits; they differ in speed only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Store {
    /// Ordinary stores (the output stays in cache), four vectors loaded
    /// ahead of their four stores per loop step: fastest while the arrays
    /// fit in the level-1 data cache.
    Cached,
    /// Ordinary stores, one cache line of output per loop step (each vector
    /// loaded, computed and stored before the next) where a vector is a
    /// whole line (AVX-512; other ISAs run [`Store::Cached`]'s loop): faster
    /// for one-input kernels once the arrays outgrow L1 while they fit in a
    /// quarter of L2 (see [`store_for_arrays`] for the measurement).
    ByLine,
    /// Non-temporal stores where the ISA has them (the output bypasses the
    /// cache; pays only when the output would not fit in it anyway).
    Streaming,
}

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

/// Output size in bytes from which out-of-place kernels use non-temporal
/// stores: half the last-level cache (inputs and output together no longer
/// fit), at least 8 MiB. Measured with a 32 MiB L3 (`simdpar report`, f32,
/// cached time / streaming time, 1 thread): multiply 1.27x at 1 Mi elements,
/// 1.71x at 4 Mi, 1.53x at 64 Mi; square 0.60x at 1 Mi (4 MiB output),
/// 1.51x at 4 Mi (16 MiB), 1.56x at 64 Mi. `SIMDPAR_NT_THRESHOLD` (bytes)
/// overrides it.
pub fn nt_threshold_bytes() -> usize {
    static T: OnceLock<usize> = OnceLock::new();
    *T.get_or_init(|| {
        if let Some(v) = std::env::var("SIMDPAR_NT_THRESHOLD")
            .ok()
            .and_then(|v| v.trim().parse().ok())
        {
            return v;
        }
        let info = simdpar_dispatch::cpu_info();
        let llc = info.cache_bytes(3).or(info.cache_bytes(2)).unwrap_or(0);
        (llc as usize / 2).max(8 << 20)
    })
}

/// The store policy for an out-of-place call on `len` elements of `T` that
/// reads `inputs` arrays: streaming from [`crate::plan::nt_threshold`]
/// bytes of output (`SIMDPAR_NT_THRESHOLD` > tuned profile >
/// [`nt_threshold_bytes`]); [`Store::ByLine`] for a one-input kernel whose
/// two arrays are more than the level-1 data cache holds and at most a
/// quarter of L2; [`Store::Cached`] otherwise.
///
/// The window is where a line per step measured faster on the 2-vCPU Zen 5
/// VM (AVX-512 entry points, one thread, both policies interleaved in one
/// process, 31 rounds; time cached / time by line): scale and square f32
/// and scale f64 with 64-256 KiB touched 1.01-1.08; in L1 (32 KiB) 0.77-0.98
/// (square f32 4 Ki 0.77); at 384-512 KiB 0.91-1.01; from 768 KiB on
/// 0.99-1.01; `add` (two inputs) 0.91-1.07 with no consistent side, so
/// binary kernels keep the four-vector loop. Against the Mojo twins
/// (`simdpar report`, 1 thread, two runs each), square / scale / leaky_relu
/// f32 and f64 16K went from 0.97-0.99 to 0.99-1.02.
#[inline]
pub(crate) fn store_for_arrays<T: Element>(len: usize, inputs: usize) -> Store {
    let out = len.saturating_mul(std::mem::size_of::<T>());
    if out >= crate::plan::nt_threshold(T::DTYPE) {
        return Store::Streaming;
    }
    if inputs != 1 {
        return Store::Cached;
    }
    let touched = 2 * out;
    let (l2, _) = simdpar_dispatch::profile::cache_limits();
    if touched > simdpar_dispatch::profile::l1_data_bytes() && touched <= l2 / 4 {
        Store::ByLine
    } else {
        Store::Cached
    }
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

/// `out[i] = (x[i] > 0 ? x[i] : +0.0) + alpha * x[i]`. Errors (nothing
/// written) on unequal lengths.
pub fn leaky_relu<T: Element>(x: &[T], alpha: T, out: &mut [T]) -> Result<(), KernelError> {
    check_len("out", x.len(), out.len())?;
    let t = resolve_for::<T>(Kernel::LeakyRelu, out.len());
    // SAFETY: supported ISA; lengths checked.
    unsafe { (t.leaky_relu)(x, alpha, out, store_for_arrays::<T>(out.len(), 1)) };
    Ok(())
}

/// `x[i] = (x[i] > 0 ? x[i] : +0.0) + alpha * x[i]`.
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
            use crate::map::Store;
            use crate::map::generic::{self, Add, LeakyRelu, Mul, Scale, Square};
            use crate::simd::SimdVec;
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
        pub fn $add($($tok: $token,)? a: &[$t], b: &[$t], out: &mut [$t], store: crate::map::Store) {
            $(let _ = $tok;)?
            // SAFETY: the token (or the portable baseline) proves support.
            unsafe { $imp::add(a, b, out, store) }
        }
        /// `out[i] = a[i] * b[i]` on this ISA, over the shortest length.
        pub fn $mul($($tok: $token,)? a: &[$t], b: &[$t], out: &mut [$t], store: crate::map::Store) {
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
        pub fn $square($($tok: $token,)? x: &[$t], out: &mut [$t], store: crate::map::Store) {
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
        pub fn $scale($($tok: $token,)? x: &[$t], factor: $t, out: &mut [$t], store: crate::map::Store) {
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
        /// `out[i] = (x[i] > 0 ? x[i] : +0) + alpha * x[i]` on this ISA.
        pub fn $lrelu($($tok: $token,)? x: &[$t], alpha: $t, out: &mut [$t], store: crate::map::Store) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::leaky_relu(x, alpha, out, store) }
        }
        /// `x[i] = (x[i] > 0 ? x[i] : +0) + alpha * x[i]` on this ISA.
        pub fn $lrelu_inplace($($tok: $token,)? x: &mut [$t], alpha: $t) {
            $(let _ = $tok;)?
            // SAFETY: as above.
            unsafe { $imp::leaky_relu_inplace(x, alpha) }
        }

    };
}
pub(crate) use map_entry_points;

/// Generates an ISA file: entry points for f32 and f64 and the two tables.
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
    use simdpar_dispatch::profile::{cache_limits, l1_data_bytes};

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
        let nt = crate::plan::nt_threshold(crate::Dtype::F32);
        if nt < usize::MAX / 8 {
            assert_eq!(store_for_arrays::<f32>(nt / 4, 1), Store::Streaming);
            assert_eq!(store_for_arrays::<f32>(nt / 4, 2), Store::Streaming);
            assert_eq!(store_for_arrays::<f32>(nt / 4 - 1, 1), Store::Cached);
        }
    }
}
