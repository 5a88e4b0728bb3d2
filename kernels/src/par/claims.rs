//! The items of one parallel call and the claim loop that runs them: every
//! participant (the caller, a pool helper or a rayon task) claims items
//! through atomic counters, its home segment first, so both runtimes cut
//! and order the work alike and give the same results.

use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The items of one parallel call, claimed through atomic counters by up
/// to `t` participants, each starting with its home segment.
pub(crate) struct Claims<I, R> {
    slots: Vec<Mutex<(Option<I>, Option<R>)>>,
    /// Segment s holds items `[bounds[s], bounds[s + 1])`.
    bounds: Vec<usize>,
    /// `next[s]`: the next unclaimed item of segment s.
    next: Vec<AtomicUsize>,
}

impl<I: Send, R: Send> Claims<I, R> {
    /// The items cut into `t` segments (`t` at most the item count).
    pub(crate) fn new(items: Vec<I>, t: usize) -> Self {
        let n = items.len();
        let t = t.clamp(1, n.max(1));
        let slots = items
            .into_iter()
            .map(|i| Mutex::new((Some(i), None)))
            .collect();
        let bounds: Vec<usize> = (0..=t).map(|s| s * n / t).collect();
        let next = bounds[..t].iter().map(|&b| AtomicUsize::new(b)).collect();
        Claims {
            slots,
            bounds,
            next,
        }
    }

    /// Segments (participants).
    pub(crate) fn segments(&self) -> usize {
        self.next.len()
    }

    /// Claims and runs items until none is left, segment `home` first.
    pub(crate) fn run(&self, home: usize, f: &(impl Fn(I) -> R + Sync)) {
        let t = self.segments();
        let home = home % t;
        for s in (home..t).chain(0..home) {
            loop {
                let i = self.next[s].fetch_add(1, Ordering::Relaxed);
                if i >= self.bounds[s + 1] {
                    break;
                }
                let slot = &self.slots[i];
                let item = slot.lock().unwrap_or_else(|p| p.into_inner()).0.take();
                if let Some(item) = item {
                    let r = f(item);
                    slot.lock().unwrap_or_else(|p| p.into_inner()).1 = Some(r);
                }
            }
        }
    }

    /// The results in item order (every item must have run).
    pub(crate) fn into_results(self) -> Vec<R> {
        self.slots
            .into_iter()
            .map(|s| {
                s.into_inner()
                    .unwrap_or_else(|p| p.into_inner())
                    .1
                    .expect("every item was run")
            })
            .collect()
    }
}
