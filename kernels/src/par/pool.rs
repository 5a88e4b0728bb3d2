//! simdpar's own worker pool: a few std threads that help the calling thread
//! with one job at a time.
//!
//! * The **caller works too**: it publishes the job, wakes helpers, then runs
//!   the job itself instead of sleeping.
//! * A job is a **claim loop** over work items (atomic counters), so a
//!   helper that is descheduled holds at most the one item it claimed; when
//!   the caller runs out of items it withdraws the job, and a helper that had
//!   not started yet never starts it. The caller then waits only for helpers
//!   that are inside an item, spinning briefly first ([`CALLER_SPIN`]).
//! * **Home segments**: each thread claims from its own contiguous part of
//!   the items first, so repeated calls on one array keep each part on the
//!   same core ([`map_items`]).
//! * **Fork-safe**: the pool remembers the process id it was made in. After
//!   `fork` the child has no helper threads (and the parent's lock may be
//!   held forever), so the first parallel call in the child sees a new pid
//!   and builds a fresh pool instead of touching the old one.
//! * **Concurrent callers**: one job at a time; a caller that finds the pool
//!   busy runs its job alone (it still gets every item, so it still finishes).
//! * **Helpers spin briefly after a job, and stop when it does not pay.**
//!   A helper watches for the next job for [`HELPER_SPIN`] before it
//!   sleeps, so back-to-back calls skip a futex wake each. When a job ends
//!   that no helper joined although one was spinning, the spinner had no
//!   CPU of its own, so helpers sleep at once for the next [`SPIN_PAUSE`]
//!   jobs. The caller's own spin ([`CALLER_SPIN`]) lasts at most one item,
//!   while it has nothing else to do. Numbers:
//!   `docs/measurements.md#pool-wake-cost`.

use super::claims::Claims;
use crate::plan::limit::logical_cpus;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicPtr, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a caller that ran out of items spins, waiting for the helpers
/// still inside an item, before it sleeps. One item is 16 Ki elements or
/// more of a streaming kernel (a few microseconds), so the spin usually
/// ends with the helpers; sleeping instead costs a futex wake of the
/// caller, which on a VM whose vCPU halted meant tens of microseconds.
const CALLER_SPIN: Duration = Duration::from_micros(200);

/// How long a helper watches for the next job after one ended (or after
/// it was woken) before it sleeps; see the module doc.
const HELPER_SPIN: Duration = Duration::from_micros(100);

/// How many jobs helpers sleep at once after a job that a spinning helper
/// could not join (its CPU was taken), before they try spinning again.
const SPIN_PAUSE: usize = 256;

/// A job as helpers see it: a shared closure whose borrow the caller keeps
/// alive until every helper has left it (see [`Pool::run`]).
type Job = &'static (dyn Fn() + Sync);

struct State {
    /// The published job, `None` when there is none (or it was withdrawn).
    job: Option<Job>,
    /// How many more helpers may join the published job.
    seats: usize,
    /// Helpers currently inside the job (mirrored in [`Pool::inside`]).
    active: usize,
    /// A helper's job panicked.
    panicked: bool,
    /// Helpers asleep on [`Pool::work`] (the caller wakes only these).
    sleeping: usize,
}

/// The pool of one process.
pub(crate) struct Pool {
    pid: u32,
    helpers: usize,
    state: Mutex<State>,
    /// Helpers wait here for a job.
    work: Condvar,
    /// The caller waits here for helpers to leave its job.
    done: Condvar,
    /// `State::active`, readable without the lock: the caller spins on it
    /// (see [`CALLER_SPIN`]). Written only under the lock.
    inside: AtomicUsize,
    /// Counts published jobs; spinning helpers watch it. Written only
    /// under the lock.
    epoch: AtomicUsize,
    /// Helpers spinning right now (see [`HELPER_SPIN`]).
    spinning: AtomicUsize,
    /// Jobs left during which helpers do not spin (see [`SPIN_PAUSE`]).
    spin_pause: AtomicUsize,
    /// How long helpers spin ([`HELPER_SPIN`]; tests lengthen it).
    spin: Duration,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A job never panics while the lock is held, so the state behind a
        // poisoned lock is consistent.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `job` on the calling thread and on up to `helpers` pool threads
    /// at once; returns when no thread runs it any more. `job` must be a
    /// claim loop that returns once all work is claimed.
    pub(crate) fn run(&self, helpers: usize, job: &(dyn Fn() + Sync)) {
        let helpers = helpers.min(self.helpers);
        if helpers == 0 {
            return job();
        }
        let published = {
            let mut st = self.lock();
            if st.job.is_some() || st.active > 0 {
                // Another caller owns the pool: do the whole job here.
                drop(st);
                return job();
            }
            // SAFETY (lifetime erasure, no ISA involved): helpers only reach
            // `job` through `st.job`, and `Withdraw` below (run on return and
            // on unwind) clears `st.job` and then waits until `st.active` is 0,
            // so no helper holds the reference once this function ends.
            let erased: Job = unsafe { std::mem::transmute::<&(dyn Fn() + Sync), Job>(job) };
            st.job = Some(erased);
            st.seats = helpers;
            st.panicked = false;
            self.epoch.fetch_add(1, Ordering::Release);
            // Spinning helpers see the new epoch; sleeping ones need a wake.
            (
                helpers.min(st.sleeping),
                self.spinning.load(Ordering::Acquire),
            )
        };
        let (wake, spinners) = published;
        for _ in 0..wake {
            self.work.notify_one();
        }
        let _ = self
            .spin_pause
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |p| p.checked_sub(1));
        let withdraw = Withdraw(self);
        job();
        let joined = helpers - withdraw.finish();
        if spinners > 0 && joined == 0 {
            // A helper was spinning when the job was published yet never
            // joined it: it had no CPU. Stop spinning for a while.
            self.spin_pause.store(SPIN_PAUSE, Ordering::Relaxed);
        }
        if std::mem::take(&mut self.lock().panicked) {
            panic!("simdpar: a parallel kernel panicked on a worker thread");
        }
    }

    /// A helper thread's life: wait for a job, run it, repeat; after a job
    /// (or a wake) watch for the next one for [`HELPER_SPIN`] before
    /// sleeping, unless spinning is paused.
    fn helper_loop(&self) {
        let mut st = self.lock();
        let mut may_spin = false;
        loop {
            match st.job {
                Some(job) if st.seats > 0 => {
                    st.seats -= 1;
                    st.active += 1;
                    self.inside.store(st.active, Ordering::Release);
                    drop(st);
                    let ok = catch_unwind(AssertUnwindSafe(job)).is_ok();
                    st = self.lock();
                    st.panicked |= !ok;
                    st.active -= 1;
                    self.inside.store(st.active, Ordering::Release);
                    if st.active == 0 {
                        self.done.notify_all();
                    }
                    may_spin = true;
                }
                _ if may_spin && self.spin_pause.load(Ordering::Relaxed) == 0 => {
                    may_spin = false;
                    let seen = self.epoch.load(Ordering::Acquire);
                    self.spinning.fetch_add(1, Ordering::AcqRel);
                    drop(st);
                    let t0 = Instant::now();
                    while self.epoch.load(Ordering::Acquire) == seen && t0.elapsed() < self.spin {
                        std::hint::spin_loop();
                    }
                    self.spinning.fetch_sub(1, Ordering::AcqRel);
                    st = self.lock();
                }
                _ => {
                    st.sleeping += 1;
                    st = self.work.wait(st).unwrap_or_else(|p| p.into_inner());
                    st.sleeping -= 1;
                    may_spin = true;
                }
            }
        }
    }
}

/// Withdraws the caller's job and waits for helpers inside it (on return
/// and on unwind alike).
struct Withdraw<'a>(&'a Pool);

impl Withdraw<'_> {
    /// Withdraws the job on return; the seats no helper took.
    fn finish(self) -> usize {
        let empty = self.withdraw();
        std::mem::forget(self);
        empty
    }

    /// Withdraws the job, waits for the helpers inside it; the seats no
    /// helper took.
    fn withdraw(&self) -> usize {
        let mut st = self.0.lock();
        let empty = st.seats;
        st.job = None;
        st.seats = 0;
        if st.active > 0 {
            // No helper can join any more; the ones inside finish their
            // item. Spin briefly for them before sleeping.
            drop(st);
            let t0 = Instant::now();
            while self.0.inside.load(Ordering::Acquire) > 0 && t0.elapsed() < CALLER_SPIN {
                std::hint::spin_loop();
            }
            st = self.0.lock();
        }
        while st.active > 0 {
            st = self.0.done.wait(st).unwrap_or_else(|p| p.into_inner());
        }
        empty
    }
}

impl Drop for Withdraw<'_> {
    fn drop(&mut self) {
        self.withdraw();
    }
}

/// The current process's pool (never freed: helper threads borrow it).
static POOL: AtomicPtr<Pool> = AtomicPtr::new(std::ptr::null_mut());

/// The pool of this process, made on first use and made again in a child
/// after `fork` (the parent's helpers do not exist there).
pub(crate) fn pool() -> &'static Pool {
    let pid = std::process::id();
    let current = POOL.load(Ordering::Acquire);
    // SAFETY (not ISA code): POOL only ever holds null or a pointer from
    // `Box::leak` below, which is never freed, so it is valid for 'static.
    if let Some(p) = unsafe { current.as_ref() }
        && p.pid == pid
    {
        return p;
    }
    let fresh = Pool::leaked(pid, logical_cpus().saturating_sub(1));
    let fresh_ptr = fresh as *const Pool as *mut Pool;
    match POOL.compare_exchange(current, fresh_ptr, Ordering::AcqRel, Ordering::Acquire) {
        Ok(_) => {
            fresh.start_helpers();
            fresh
        }
        // Another thread installed a pool first; ours has no threads and
        // is simply never used.
        // SAFETY: as above, a leaked, never-freed pool.
        Err(winner) => unsafe { &*winner },
    }
}

impl Pool {
    /// A pool for `helpers` helper threads, not started, never freed
    /// (helper threads borrow it for the life of the process).
    fn leaked(pid: u32, helpers: usize) -> &'static Pool {
        Self::leaked_spinning(pid, helpers, HELPER_SPIN)
    }

    /// [`Pool::leaked`] with helpers that spin for `spin` after a job.
    fn leaked_spinning(pid: u32, helpers: usize, spin: Duration) -> &'static Pool {
        Box::leak(Box::new(Pool {
            pid,
            helpers,
            state: Mutex::new(State {
                job: None,
                seats: 0,
                active: 0,
                panicked: false,
                sleeping: 0,
            }),
            work: Condvar::new(),
            done: Condvar::new(),
            inside: AtomicUsize::new(0),
            epoch: AtomicUsize::new(0),
            spinning: AtomicUsize::new(0),
            spin_pause: AtomicUsize::new(0),
            spin,
        }))
    }

    /// Starts the helper threads.
    fn start_helpers(&'static self) {
        for i in 0..self.helpers {
            let spawned = std::thread::Builder::new()
                .name(format!("simdpar-{i}"))
                .spawn(move || {
                    HELPER_SEAT.with(|c| c.set(i + 1));
                    self.helper_loop()
                });
            if spawned.is_err() {
                // Fewer helpers than planned: unclaimed seats just stay
                // empty, the caller does their share.
                break;
            }
        }
    }
}

thread_local! {
    /// 0 on any thread but a pool helper; helper `i` holds `i + 1`.
    static HELPER_SEAT: std::cell::Cell<usize> = const { std::cell::Cell::new(0) };
}

/// The home segment of the current thread among `t` participants: the
/// caller's is 0, helper `i`'s is `1 + i mod (t - 1)` (stable across calls).
fn home_segment(t: usize) -> usize {
    match HELPER_SEAT.with(std::cell::Cell::get) {
        0 => 0,
        seat => 1 + (seat - 1) % (t - 1).max(1),
    }
}

/// Runs `f` on every item, on the calling thread and up to `threads - 1`
/// helpers, and returns the results in item order.
///
/// The items are cut into one contiguous segment per participant; each
/// participant claims the items of its own segment first, front to back,
/// then helps with the others. So the same thread tends to get the same
/// part of the data call after call (repeated calls on one array find it in
/// that core's L2), while a descheduled participant still holds at most the
/// one item it claimed.
///
/// With the `rayon` feature, a call made on a rayon worker thread (or any
/// call while [`super::Runtime::Rayon`] is chosen) runs the same claim loop
/// as rayon tasks instead (`par/rayon.rs`): the results, and so the bits,
/// are the same.
pub(crate) fn map_items<I: Send, R: Send>(
    items: Vec<I>,
    threads: usize,
    f: impl Fn(I) -> R + Sync,
) -> Vec<R> {
    if threads <= 1 || items.len() <= 1 {
        return items.into_iter().map(f).collect();
    }
    #[cfg(feature = "rayon")]
    if super::rayon::wanted() {
        return super::rayon::map_items(items, threads, f);
    }
    map_items_on(pool(), items, threads, f)
}

/// [`map_items`] on a given pool.
fn map_items_on<I: Send, R: Send>(
    pool: &Pool,
    items: Vec<I>,
    threads: usize,
    f: impl Fn(I) -> R + Sync,
) -> Vec<R> {
    let n = items.len();
    if threads <= 1 || n <= 1 {
        return items.into_iter().map(f).collect();
    }
    let claims = Claims::new(items, threads.min(n));
    let t = claims.segments();
    let claim_loop = || claims.run(home_segment(t), &f);
    pool.run(t - 1, &claim_loop);
    claims.into_results()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    /// The pool serves one job at a time (a busy pool makes a caller work
    /// alone), so these tests take turns.
    static TURN: Mutex<()> = Mutex::new(());

    fn turn() -> MutexGuard<'static, ()> {
        TURN.lock().unwrap_or_else(|p| p.into_inner())
    }

    #[test]
    fn results_come_back_in_item_order() {
        let _turn = turn();
        for threads in [1, 2, 3, 8] {
            let items: Vec<u64> = (0..1000).collect();
            let got = map_items(items, threads, |i| i * i);
            assert_eq!(got, (0..1000u64).map(|i| i * i).collect::<Vec<_>>());
        }
        assert!(map_items(Vec::<u8>::new(), 4, |i| i).is_empty());
    }

    #[test]
    fn every_item_runs_exactly_once_with_concurrent_callers() {
        let _turn = turn();
        let total = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..4 {
                s.spawn(|| {
                    for _ in 0..50 {
                        let items: Vec<u64> = (1..=100).collect();
                        map_items(items, 4, |i| {
                            total.fetch_add(i, Ordering::Relaxed);
                        });
                    }
                });
            }
        });
        assert_eq!(total.load(Ordering::Relaxed), 4 * 50 * 5050);
    }

    /// `true`, with a loud SKIPPED line (a failure in CI), when this
    /// machine has one logical CPU, so a pool has no helpers.
    fn no_helpers_here(what: &str) -> bool {
        if logical_cpus() >= 2 {
            return false;
        }
        assert!(
            !crate::skips_fail(),
            "SKIPPED in CI (SIMDPAR_CI=1 makes a skip a failure): {what}"
        );
        println!("SKIPPED: {what}");
        true
    }

    #[test]
    fn a_helper_thread_takes_part_in_the_work() {
        let _turn = turn();
        if no_helpers_here("helper participation (one logical CPU: no helpers)") {
            return;
        }
        // A pool of its own (tests elsewhere in this binary use the shared
        // one, and a busy pool rightly makes a caller work alone). Each item
        // waits (up to 30 s) until items have run on two threads: a thread
        // inside one item cannot take the other (the helper takes its home
        // item at once and could otherwise steal the caller's too, before
        // the caller is back from waking it).
        let own = Pool::leaked(std::process::id(), 1);
        own.start_helpers();
        assert!(
            two_thread_job(own),
            "no helper thread ran an item within 30 s"
        );
    }

    /// Waits up to 30 s for `cond`; whether it came true.
    fn eventually(cond: impl Fn() -> bool) -> bool {
        let t0 = std::time::Instant::now();
        while !cond() {
            if t0.elapsed().as_secs() >= 30 {
                return false;
            }
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        true
    }

    /// Items that each wait (up to 30 s) until two threads have run items,
    /// so a job of two of them proves a helper took part.
    fn two_thread_job(pool: &Pool) -> bool {
        let seen = Mutex::new(std::collections::HashSet::new());
        let ids = map_items_on(pool, (0..2).collect::<Vec<u32>>(), 2, |_| {
            seen.lock().unwrap().insert(std::thread::current().id());
            eventually(|| seen.lock().unwrap().len() >= 2);
            std::thread::current().id()
        });
        ids[0] != ids[1]
    }

    #[test]
    fn a_spinning_helper_takes_the_next_job_without_a_wake() {
        let _turn = turn();
        if no_helpers_here("helper spinning (one logical CPU: no helpers)") {
            return;
        }
        // A helper that spins for 5 s: after the first job it must be seen
        // spinning (not asleep), and it must take the second job although
        // nobody wakes it.
        let own = Pool::leaked_spinning(std::process::id(), 1, Duration::from_secs(5));
        own.start_helpers();
        assert!(
            two_thread_job(own),
            "no helper ran an item of the first job"
        );
        assert!(
            eventually(|| own.spinning.load(Ordering::Acquire) == 1),
            "the helper did not spin after its job"
        );
        assert_eq!(own.lock().sleeping, 0);
        assert!(
            two_thread_job(own),
            "the spinning helper did not take the next job"
        );
        assert_eq!(own.spin_pause.load(Ordering::Relaxed), 0);
    }

    #[test]
    fn a_spinner_that_cannot_join_pauses_spinning() {
        let _turn = turn();
        // A pool whose one helper is never started, counted as spinning:
        // like a spinner without a CPU, it joins no job.
        let own = Pool::leaked(std::process::id(), 1);
        own.spinning.store(1, Ordering::Release);
        let got = map_items_on(own, (0..8).collect::<Vec<u32>>(), 2, |i| i * 2);
        assert_eq!(got, (0..8).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(own.spin_pause.load(Ordering::Relaxed), SPIN_PAUSE);
        // Each later job counts the pause down; none re-arms it while no
        // helper is counted as spinning.
        own.spinning.store(0, Ordering::Release);
        map_items_on(own, (0..8).collect::<Vec<u32>>(), 2, |i| i);
        assert_eq!(own.spin_pause.load(Ordering::Relaxed), SPIN_PAUSE - 1);
    }

    #[test]
    fn a_panicking_item_reaches_the_caller_and_the_pool_still_works() {
        let _turn = turn();
        let r = std::panic::catch_unwind(|| {
            map_items((0..64).collect::<Vec<u32>>(), 4, |i| {
                if i == 7 {
                    panic!("item 7");
                }
                i
            })
        });
        assert!(r.is_err());
        let ok = map_items((0..64).collect::<Vec<u32>>(), 4, |i| i + 1);
        assert_eq!(ok[63], 64);
    }
}
