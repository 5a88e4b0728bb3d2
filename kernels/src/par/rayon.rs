//! Parallel calls on rayon's pool (the `rayon` feature).
//!
//! A call made on a rayon worker thread runs here, on that worker's pool,
//! so an application that parallelises with rayon and calls simdpar inside
//! its `par_iter` gets no second set of threads: the calling worker runs
//! the claim loop of [`Claims`] itself and offers the other participants as
//! rayon tasks, which idle workers of its pool steal. When every worker is
//! busy with the application's own tasks, nobody steals them: the caller
//! claims every item, then finds the offered tasks with nothing left to
//! claim, so the call costs about what one thread would.
//!
//! A call made outside rayon runs here too when [`Runtime::Rayon`] is
//! chosen ([`super::set_runtime`] or `SIMDPAR_RUNTIME=rayon`): the calling
//! thread claims items itself, as on simdpar's own pool, while the other
//! participants run on rayon's global pool (`rayon::in_place_scope`).
//!
//! The items and their results are the same as on simdpar's own pool,
//! so the bits are too.

use super::claims::Claims;
use crate::plan::limit::{Runtime, runtime};

/// Whether a parallel call made on this thread now runs on rayon.
#[inline]
pub(crate) fn wanted() -> bool {
    ::rayon::current_thread_index().is_some() || runtime() == Runtime::Rayon
}

/// [`super::pool::map_items`] on rayon: up to `threads` participants (the
/// calling thread and `threads - 1` spawned tasks) claim the items.
pub(crate) fn map_items<I: Send, R: Send>(
    items: Vec<I>,
    threads: usize,
    f: impl Fn(I) -> R + Sync,
) -> Vec<R> {
    let n = items.len();
    let claims = Claims::new(items, threads.min(n));
    let t = claims.segments();
    let (claims_ref, f_ref) = (&claims, &f);
    ::rayon::in_place_scope(|s| {
        // Offered last-first: a worker that finds its own tasks again pops
        // the newest, and stealers take the oldest, segment 1.
        for home in 1..t {
            s.spawn(move |_| claims_ref.run(home, f_ref));
        }
        claims_ref.run(0, f_ref);
    });
    claims.into_results()
}
