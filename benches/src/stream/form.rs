//! The forms a STREAM pattern runs in: every vector width this CPU has,
//! with 1, 2 or 4 interleaved streams, and for the read pattern with and
//! without software prefetch, for the store patterns with cached and with
//! non-temporal stores. The loops themselves are the kernels' bandwidth
//! probes ([`simdpar::simdpar_kernels::bandwidth`]); which form moves the bytes
//! fastest depends on the machine (on Zen 4, 512-bit loads are split in
//! two), so the bench measures them all and keeps the fastest.

use simdpar::Isa;
use simdpar::simdpar_kernels::bandwidth::{self, Fetch, Store, Streams};

/// One way to run a pattern.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Form {
    /// The vector width: the ISA whose registers the loop uses.
    pub width: Isa,
    /// How many parts of the arrays one loop step walks.
    pub streams: Streams,
    /// The store form (always cached for the read pattern).
    pub store: Store,
    /// The read loop also prefetches 2 KiB ahead of each stream (read
    /// only, on ISAs with a prefetch instruction).
    pub prefetch: bool,
}

impl Form {
    /// `avx2 x2 nt`, `avx512 x1 cached`, `avx2 x4 cached prefetch`, ...
    pub fn name(self) -> String {
        let ahead = if self.prefetch { " prefetch" } else { "" };
        format!(
            "{} x{} {}{ahead}",
            self.width.name(),
            self.streams.count(),
            self.store.name()
        )
    }

    /// The fetch policy of the read loop.
    pub fn fetch(self) -> Fetch {
        if self.prefetch {
            Fetch::Ahead
        } else {
            Fetch::OnDemand
        }
    }

    /// Every form of a pattern this CPU runs: each width of [`levels`] at
    /// each stream count, with both store forms when the pattern stores
    /// and the width has non-temporal stores, with and without prefetch
    /// when it only reads and the width has a prefetch instruction.
    pub fn all(stores: bool) -> Vec<Form> {
        let mut v = Vec::new();
        for width in levels() {
            for streams in Streams::ALL {
                let plain = Form {
                    width,
                    streams,
                    store: Store::Cached,
                    prefetch: false,
                };
                v.push(plain);
                if stores && bandwidth::has_streaming_stores(width) {
                    v.push(Form {
                        store: Store::Streaming,
                        ..plain
                    });
                }
                if !stores && bandwidth::has_prefetch(width) {
                    v.push(Form {
                        prefetch: true,
                        ..plain
                    });
                }
            }
        }
        v
    }
}

/// Every vector ISA this CPU runs, widest first (what `SIMDPAR_DISABLE_ISA`
/// takes away excluded; the scalar loops are no vector width).
pub fn levels() -> Vec<Isa> {
    let mut v: Vec<Isa> = simdpar::available_isas()
        .into_iter()
        .filter(|&i| i != Isa::Scalar)
        .collect();
    v.reverse();
    v
}
