//! Where a call's data lives: [`SizeClass`], the bytes it touches against
//! one core's L2 and the last-level cache. Every per-size choice of the
//! plan and every entry of a tuned profile is made per class.

use std::fmt;

/// Where a kernel's data lives, by bytes touched against this CPU's caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SizeClass {
    /// Fits in one core's L2 (L1 and L2 together).
    Cache,
    /// Fits in the last-level cache.
    Llc,
    /// Larger than the last-level cache: memory-bound.
    Dram,
}

impl SizeClass {
    /// Every class, smallest first.
    pub const ALL: [SizeClass; 3] = [SizeClass::Cache, SizeClass::Llc, SizeClass::Dram];

    /// `cache`, `llc` or `dram`: the name in profiles, reports and Python.
    pub const fn name(self) -> &'static str {
        match self {
            SizeClass::Cache => "cache",
            SizeClass::Llc => "llc",
            SizeClass::Dram => "dram",
        }
    }

    /// The class named [`SizeClass::name`], if any.
    pub fn from_name(name: &str) -> Option<SizeClass> {
        SizeClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// Where the class sits in [`SizeClass::ALL`] (0, 1, 2), for tables.
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The class of a kernel touching `bytes` bytes on this CPU (the cache
    /// sizes of [`simdpar_dispatch::cache_limits`]).
    #[inline]
    pub fn of_bytes(bytes: usize) -> SizeClass {
        let (l2, llc) = simdpar_dispatch::cache_limits();
        SizeClass::of_bytes_within(bytes, l2, llc)
    }

    /// The class of `bytes` against given cache sizes (`l2`, `llc` in
    /// bytes): up to `l2` is `Cache`, up to `llc` is `Llc`, beyond is
    /// `Dram`. How a plan built for another CPU's caches classes a call.
    #[inline]
    pub fn of_bytes_within(bytes: usize, l2: usize, llc: usize) -> SizeClass {
        if bytes <= l2 {
            SizeClass::Cache
        } else if bytes <= llc {
            SizeClass::Llc
        } else {
            SizeClass::Dram
        }
    }
}

impl fmt::Display for SizeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_grow_with_bytes() {
        let (l2, llc) = simdpar_dispatch::cache_limits();
        assert_eq!(SizeClass::of_bytes(0), SizeClass::Cache);
        assert_eq!(SizeClass::of_bytes(l2), SizeClass::Cache);
        if llc > l2 {
            assert_eq!(SizeClass::of_bytes(l2 + 1), SizeClass::Llc);
        }
        assert_eq!(SizeClass::of_bytes(llc + 1), SizeClass::Dram);
    }

    #[test]
    fn names_and_indices_round_trip() {
        for (i, c) in SizeClass::ALL.into_iter().enumerate() {
            assert_eq!(SizeClass::from_name(c.name()), Some(c));
            assert_eq!(c.index(), i);
        }
        assert_eq!(SizeClass::from_name("l4"), None);
    }
}
