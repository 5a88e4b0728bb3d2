//! The cache sizes every size rule of the plan is taken against: one
//! core's L1 data cache and L2, and the last-level cache, from CPUID
//! ([`crate::cpu_info`]), with conservative sizes where the CPU does not
//! report them. This module only reports sizes; what they decide lives in
//! the kernels' plan.

use crate::CpuInfo;
use std::sync::OnceLock;

/// L2 bytes assumed where the CPU does not report its L2.
const UNREPORTED_L2: usize = 256 << 10;
/// Last-level cache bytes assumed where the CPU does not report an L3
/// (never less than the L2).
const UNREPORTED_LLC: usize = 8 << 20;
/// L1 data cache bytes assumed where the CPU does not report one.
const UNREPORTED_L1D: usize = 32 << 10;

/// `(L2 bytes, last-level cache bytes)` of `info`'s CPU: 256 KiB for an
/// unreported L2, the larger of L2 and 8 MiB for an unreported L3; the
/// last-level size is never below the L2 size.
pub fn cache_limits_of(info: &CpuInfo) -> (usize, usize) {
    let l2 = info.cache_bytes(2).map_or(UNREPORTED_L2, |b| b as usize);
    let llc = info
        .cache_bytes(3)
        .map_or(l2.max(UNREPORTED_LLC), |b| b as usize);
    (l2, llc.max(l2))
}

/// [`cache_limits_of`] this CPU, read once per process.
#[inline]
pub fn cache_limits() -> (usize, usize) {
    static LIMITS: OnceLock<(usize, usize)> = OnceLock::new();
    *LIMITS.get_or_init(|| cache_limits_of(&crate::cpu_info()))
}

/// Bytes of the level-1 data cache of `info`'s CPU (32 KiB where CPUID
/// does not say).
pub fn l1_data_bytes_of(info: &CpuInfo) -> usize {
    info.cache_bytes(1).map_or(UNREPORTED_L1D, |b| b as usize)
}

/// [`l1_data_bytes_of`] this CPU, read once per process.
#[inline]
pub fn l1_data_bytes() -> usize {
    static L1: OnceLock<usize> = OnceLock::new();
    *L1.get_or_init(|| l1_data_bytes_of(&crate::cpu_info()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unreported_caches_get_conservative_sizes() {
        let bare = CpuInfo {
            caches: Vec::new(),
            ..crate::cpu_info()
        };
        assert_eq!(cache_limits_of(&bare), (256 << 10, 8 << 20));
        assert_eq!(l1_data_bytes_of(&bare), 32 << 10);
        let (l2, llc) = cache_limits();
        assert!(llc >= l2 && l2 > 0);
        assert!(l1_data_bytes() > 0);
    }
}
