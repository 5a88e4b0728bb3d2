//! Zero-sized proofs that an instruction set may run.
//!
//! A token can only be built when the CPU and the OS support its ISA, so a
//! safe function that takes a token may call `#[target_feature]` code: holding
//! the token is the proof. The tokens are `Copy` and may cross threads: CPU
//! features are the same on every core of one process.

/// Proof that AVX2 and FMA may run on this CPU.
#[derive(Clone, Copy, Debug)]
pub struct Avx2(());

/// Proof that AVX-512 F may run on this CPU (and that the OS saves the
/// 512-bit and mask registers).
#[derive(Clone, Copy, Debug)]
pub struct Avx512(());

/// Proof that NEON may run on this CPU.
#[derive(Clone, Copy, Debug)]
pub struct Neon(());

impl Avx2 {
    /// The ISA this token proves.
    pub const ISA: crate::Isa = crate::Isa::Avx2;

    /// `Some` when AVX2 and FMA are usable here, else `None`.
    #[inline]
    pub fn new() -> Option<Self> {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            if std::arch::is_x86_feature_detected!("avx2")
                && std::arch::is_x86_feature_detected!("fma")
            {
                return Some(Avx2(()));
            }
        }
        None
    }

    /// Builds the token without checking.
    ///
    /// # Safety
    /// The caller must know that AVX2 and FMA are usable, for example because
    /// the code runs inside an emulator configured with them.
    #[inline]
    pub const unsafe fn new_unchecked() -> Self {
        Avx2(())
    }
}

impl Avx512 {
    /// The ISA this token proves.
    pub const ISA: crate::Isa = crate::Isa::Avx512;

    /// `Some` when AVX-512 F is usable here, else `None`.
    #[inline]
    pub fn new() -> Option<Self> {
        #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
        {
            if std::arch::is_x86_feature_detected!("avx512f") {
                return Some(Avx512(()));
            }
        }
        None
    }

    /// Builds the token without checking.
    ///
    /// # Safety
    /// The caller must know that AVX-512 F is usable, for example because the
    /// code runs inside the Bochs CPU emulator.
    #[inline]
    pub const unsafe fn new_unchecked() -> Self {
        Avx512(())
    }
}

impl Neon {
    /// The ISA this token proves.
    pub const ISA: crate::Isa = crate::Isa::Neon;

    /// `Some` when NEON is usable here, else `None`.
    #[inline]
    pub fn new() -> Option<Self> {
        #[cfg(target_arch = "aarch64")]
        {
            if std::arch::is_aarch64_feature_detected!("neon") {
                return Some(Neon(()));
            }
        }
        None
    }

    /// Builds the token without checking.
    ///
    /// # Safety
    /// The caller must know that NEON is usable.
    #[inline]
    pub const unsafe fn new_unchecked() -> Self {
        Neon(())
    }
}
