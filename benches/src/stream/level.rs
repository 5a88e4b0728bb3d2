//! The memory level a STREAM pattern (or a kernel call) runs from: one
//! core's L1 data cache, one core's L2, the shared last-level cache, or
//! DRAM, decided on the bytes touched against this CPU's caches
//! ([`Caches`]), and the array lengths that put each pattern at about half
//! of each cache.

use super::Pattern;
use simdpar::simdpar_kernels::plan::Caches;

/// Where the bytes of a pass live between passes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// One core's level-1 data cache.
    L1,
    /// One core's L2.
    L2,
    /// The last-level cache, shared by the cores.
    Llc,
    /// Beyond the last-level cache.
    Dram,
}

impl Level {
    /// The cache levels, smallest first.
    pub const IN_CACHE: [Level; 3] = [Level::L1, Level::L2, Level::Llc];

    /// `L1`, `L2`, `LLC`, `DRAM`: the name in tables.
    pub fn name(self) -> &'static str {
        match self {
            Level::L1 => "L1",
            Level::L2 => "L2",
            Level::Llc => "LLC",
            Level::Dram => "DRAM",
        }
    }

    /// `l1`, `l2`, `llc`, `dram`: the name in JSON and goal ids.
    pub fn key(self) -> &'static str {
        match self {
            Level::L1 => "l1",
            Level::L2 => "l2",
            Level::Llc => "llc",
            Level::Dram => "dram",
        }
    }

    /// Bytes of this level's cache in `caches` (one core's for L1 and L2;
    /// `None` for DRAM).
    pub fn cache_bytes(self, caches: &Caches) -> Option<usize> {
        match self {
            Level::L1 => Some(caches.l1d),
            Level::L2 => Some(caches.l2),
            Level::Llc => Some(caches.llc),
            Level::Dram => None,
        }
    }

    /// Whether every core has its own cache of this level (L1, L2), so that
    /// `t` threads together hold `t` times its size.
    pub fn per_core(self) -> bool {
        matches!(self, Level::L1 | Level::L2)
    }

    /// The smallest level that holds a pass touching `bytes` on `threads`
    /// threads: the per-core caches count once per thread (each thread's
    /// part in its own core's cache), the last-level cache once.
    pub fn of(bytes: usize, threads: usize, caches: &Caches) -> Level {
        let t = threads.max(1);
        if bytes <= caches.l1d.saturating_mul(t) {
            Level::L1
        } else if bytes <= caches.l2.saturating_mul(t) {
            Level::L2
        } else if bytes <= caches.llc {
            Level::Llc
        } else {
            Level::Dram
        }
    }

    /// The thread counts a cache level's patterns are measured at, out of
    /// `1` and `max_threads`: L1 on one thread only (a fork-join over
    /// threads costs microseconds, while half of an L1 is read in well
    /// under one, so all threads would time the fork-join, not the cache);
    /// L2, the last-level cache and DRAM on 1 and on all threads.
    pub fn thread_counts(self, max_threads: usize) -> Vec<usize> {
        if self == Level::L1 || max_threads <= 1 {
            vec![1]
        } else {
            vec![1, max_threads]
        }
    }

    /// Doubles per array that make `pattern` on `threads` threads touch
    /// about half of this level's cache (half of each core's for L1 and
    /// L2): room for the code's own data and the hardware's way conflicts,
    /// as a kernel call that fits the level would have. A multiple of 64
    /// doubles (so every thread's part stays in whole cache lines), at
    /// least 64. `None` for DRAM.
    pub fn elems_for(self, pattern: Pattern, threads: usize, caches: &Caches) -> Option<usize> {
        let cache = self.cache_bytes(caches)?;
        let share = if self.per_core() {
            cache.saturating_mul(threads.max(1))
        } else {
            cache
        };
        let n = share / 2 / pattern.footprint_per_elem();
        Some((n / 64 * 64).max(64))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ZEN4: Caches = Caches {
        l1d: 32 << 10,
        l2: 1 << 20,
        llc: 32 << 20,
    };
    const OTHER: Caches = Caches {
        l1d: 48 << 10,
        l2: 2 << 20,
        llc: 96 << 20,
    };

    #[test]
    fn levels_follow_the_caches() {
        assert_eq!(Level::of(32 << 10, 1, &ZEN4), Level::L1);
        assert_eq!(Level::of((32 << 10) + 1, 1, &ZEN4), Level::L2);
        assert_eq!(Level::of(1 << 20, 1, &ZEN4), Level::L2);
        assert_eq!(Level::of(12 << 20, 1, &ZEN4), Level::Llc);
        assert_eq!(Level::of(33 << 20, 1, &ZEN4), Level::Dram);
        // Per-core caches count once per thread, the LLC once.
        assert_eq!(Level::of(64 << 10, 2, &ZEN4), Level::L1);
        assert_eq!(Level::of(2 << 20, 2, &ZEN4), Level::L2);
        assert_eq!(Level::of(33 << 20, 2, &ZEN4), Level::Dram);
        // Another CPU moves every boundary.
        assert_eq!(Level::of(40 << 10, 1, &OTHER), Level::L1);
        assert_eq!(Level::of(1536 << 10, 1, &OTHER), Level::L2);
        assert_eq!(Level::of(64 << 20, 1, &OTHER), Level::Llc);
    }

    #[test]
    fn pattern_sizes_are_half_the_cache_in_bytes_touched() {
        for caches in [ZEN4, OTHER] {
            for level in Level::IN_CACHE {
                for p in Pattern::ALL {
                    for t in [1, 2] {
                        let n = level.elems_for(p, t, &caches).unwrap();
                        let cache = level.cache_bytes(&caches).unwrap();
                        let share = if level.per_core() { cache * t } else { cache };
                        let bytes = n * p.footprint_per_elem();
                        assert!(bytes <= share / 2, "{level:?} {p:?} t{t}");
                        assert!(bytes + 64 * 24 > share / 2, "{level:?} {p:?} t{t}");
                        assert_eq!(n % 64, 0);
                        // The pattern lands in the level it was sized for.
                        assert_eq!(Level::of(bytes, t, &caches), level, "{p:?} t{t}");
                    }
                }
            }
            assert_eq!(Level::Dram.elems_for(Pattern::Read, 1, &caches), None);
        }
        // Half of Zen 4's 32 KiB L1: 2048 doubles read, 682 -> 640 for
        // the triad's three arrays; the L2 on two threads doubles it.
        assert_eq!(Level::L1.elems_for(Pattern::Read, 1, &ZEN4), Some(2048));
        assert_eq!(Level::L1.elems_for(Pattern::Triad, 1, &ZEN4), Some(640));
        assert_eq!(Level::L2.elems_for(Pattern::Copy, 2, &ZEN4), Some(65536));
        assert_eq!(Level::Llc.elems_for(Pattern::Read, 2, &ZEN4), Some(2 << 20));
        assert_eq!(Level::L1.elems_for(Pattern::Read, 1, &OTHER), Some(3072));
    }

    #[test]
    fn l1_runs_on_one_thread_only() {
        assert_eq!(Level::L1.thread_counts(2), vec![1]);
        assert_eq!(Level::L2.thread_counts(2), vec![1, 2]);
        assert_eq!(Level::Llc.thread_counts(8), vec![1, 8]);
        assert_eq!(Level::Llc.thread_counts(1), vec![1]);
    }
}
