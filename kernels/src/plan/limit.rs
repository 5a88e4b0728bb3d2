//! How many threads a call may use and where it runs them: [`Threads`], the
//! process-wide thread limit and the runtime choice; the one reader of
//! `SIMDPAR_NUM_THREADS` and `SIMDPAR_RUNTIME`. The plan bounds its thread
//! count with these; `crate::par` re-exports them and runs the threads.
//!
//! The limit caps [`Threads::Auto`] (and so Python's `threads=None`,
//! `simdpar.dask` and the tuner, which plan with it); an explicit
//! [`Threads::AtMost`] is the caller's own choice and is not capped by it
//! (as an explicit `num_threads` clause wins over `OMP_NUM_THREADS`).

use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};

/// The environment variable that sets the thread limit at startup: a
/// positive integer (`SIMDPAR_NUM_THREADS=1`: the calling thread only).
pub const ENV_NUM_THREADS: &str = "SIMDPAR_NUM_THREADS";

/// The environment variable that picks the runtime of parallel calls made
/// outside a rayon pool: `own` (the default) or `rayon` (needs the `rayon`
/// feature; ignored without it).
pub const ENV_RUNTIME: &str = "SIMDPAR_RUNTIME";

/// How many threads a parallel kernel may use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Threads {
    /// One thread per logical CPU this process may use, capped by the
    /// process-wide limit ([`set_max_threads`], `SIMDPAR_NUM_THREADS`), when
    /// the size pays for it (see [`crate::plan()`]); small inputs stay on
    /// the calling thread.
    #[default]
    Auto,
    /// At most this many threads (`AtMost(1)`: the calling thread only;
    /// 0 is treated as 1; never more than the logical CPUs), when the size
    /// pays for it.
    AtMost(usize),
}

impl Threads {
    /// The largest number of threads this setting allows on this machine.
    pub fn max_threads(self) -> usize {
        match self {
            Threads::Auto => max_threads(),
            Threads::AtMost(n) => n.clamp(1, logical_cpus().max(1)),
        }
    }
}

/// Logical CPUs this process may use (affinity and cgroup limits included),
/// read once: asking the OS reads cgroup files, far too slow per call.
pub(crate) fn logical_cpus() -> usize {
    static CPUS: OnceLock<usize> = OnceLock::new();
    *CPUS.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get()))
}

/// The limit set by [`set_max_threads`]; 0: none set (the environment's,
/// else every logical CPU).
static SET_LIMIT: AtomicUsize = AtomicUsize::new(0);

/// A bad value of one of the variables: which one and what it held.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvError {
    /// The variable's name.
    pub var: &'static str,
    /// Its value.
    pub value: String,
    /// What it may hold.
    pub expected: &'static str,
}

impl std::fmt::Display for EnvError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}={:?} is not valid (expected {}); it is ignored",
            self.var, self.value, self.expected
        )
    }
}

impl std::error::Error for EnvError {}

/// `SIMDPAR_NUM_THREADS`, read once: `Ok(None)` when unset or empty.
fn env_limit() -> &'static Result<Option<usize>, EnvError> {
    static ENV: OnceLock<Result<Option<usize>, EnvError>> = OnceLock::new();
    ENV.get_or_init(|| match std::env::var(ENV_NUM_THREADS) {
        Err(_) => Ok(None),
        Ok(v) if v.trim().is_empty() => Ok(None),
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(n) if n >= 1 => Ok(Some(n)),
            _ => Err(EnvError {
                var: ENV_NUM_THREADS,
                value: v,
                expected: "an integer >= 1",
            }),
        },
    })
}

/// Checks `SIMDPAR_NUM_THREADS` and `SIMDPAR_RUNTIME`: the first bad value
/// (which is ignored where it is read).
pub fn check_env() -> Result<(), EnvError> {
    env_limit().clone()?;
    env_runtime().clone().map(|_| ())
}

/// Sets the process-wide thread limit of [`Threads::Auto`]: `n >= 1`
/// threads at most; `0` removes a limit set here (back to
/// `SIMDPAR_NUM_THREADS`, else every logical CPU). Takes effect for calls
/// planned after it returns, on every thread.
pub fn set_max_threads(n: usize) {
    SET_LIMIT.store(n, Ordering::Relaxed);
}

/// The limit as set, before the CPU count caps it: [`set_max_threads`],
/// else `SIMDPAR_NUM_THREADS`, else `None`.
pub fn thread_limit() -> Option<usize> {
    match SET_LIMIT.load(Ordering::Relaxed) {
        0 => env_limit().clone().ok().flatten(),
        n => Some(n),
    }
}

/// How many threads [`Threads::Auto`] may use now: the limit
/// ([`set_max_threads`] or `SIMDPAR_NUM_THREADS`), never more than the
/// logical CPUs this process may use.
#[inline]
pub fn max_threads() -> usize {
    let cpus = logical_cpus().max(1);
    match SET_LIMIT.load(Ordering::Relaxed) {
        0 => match env_limit() {
            Ok(Some(n)) => (*n).min(cpus),
            _ => cpus,
        },
        n => n.min(cpus),
    }
}

/// Where a parallel call runs its chunks.
///
/// A call made on a rayon worker thread always runs on that rayon pool when
/// the `rayon` feature is on (no simdpar thread starts next to rayon's);
/// this choice is for calls made anywhere else.
///
/// * [`Runtime::Own`] (the default): simdpar's own pool. It survives
///   `fork` (a child builds a pool of its own), so it is right for
///   libraries, Python, and anything that may fork (multiprocessing,
///   Dask's process workers, servers that prefork).
/// * [`Runtime::Rayon`]: rayon's global pool, for an application that is
///   already built on rayon and wants one set of threads. rayon's pool hangs
///   in a child after `fork` (rayon issue 708), so a process that forks
///   must not choose it.
///
/// Every runtime gives the same bits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Runtime {
    /// simdpar's own fork-safe pool.
    #[default]
    Own,
    /// rayon's global pool (needs the `rayon` feature).
    Rayon,
}

impl Runtime {
    /// `own` or `rayon`.
    pub fn name(self) -> &'static str {
        match self {
            Runtime::Own => "own",
            Runtime::Rayon => "rayon",
        }
    }
}

impl std::fmt::Display for Runtime {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// [`set_runtime`] was asked for rayon in a build without the `rayon`
/// feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RuntimeUnavailable(pub Runtime);

impl std::fmt::Display for RuntimeUnavailable {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the {} runtime is not in this build (enable the `rayon` feature)",
            self.0
        )
    }
}

impl std::error::Error for RuntimeUnavailable {}

/// `SIMDPAR_RUNTIME`, read once: `Ok(None)` when unset or empty.
fn env_runtime() -> &'static Result<Option<Runtime>, EnvError> {
    static ENV: OnceLock<Result<Option<Runtime>, EnvError>> = OnceLock::new();
    ENV.get_or_init(|| match std::env::var(ENV_RUNTIME) {
        Err(_) => Ok(None),
        Ok(v) => match v.trim().to_ascii_lowercase().as_str() {
            "" => Ok(None),
            "own" => Ok(Some(Runtime::Own)),
            "rayon" if RAYON_BUILT => Ok(Some(Runtime::Rayon)),
            _ => Err(EnvError {
                var: ENV_RUNTIME,
                value: v,
                expected: if RAYON_BUILT {
                    "`own` or `rayon`"
                } else {
                    "`own` (`rayon` needs the `rayon` feature)"
                },
            }),
        },
    })
}

/// Whether this build has the `rayon` feature.
const RAYON_BUILT: bool = cfg!(feature = "rayon");

/// The runtime set by [`set_runtime`]: 0 none, 1 own, 2 rayon.
static SET_RUNTIME: AtomicU8 = AtomicU8::new(0);

/// Chooses the runtime of parallel calls made outside a rayon pool (calls
/// on a rayon worker always stay on its pool when the `rayon` feature is
/// on). Overrides `SIMDPAR_RUNTIME`. Fails for [`Runtime::Rayon`] without
/// the `rayon` feature.
pub fn set_runtime(r: Runtime) -> Result<(), RuntimeUnavailable> {
    if r == Runtime::Rayon && !RAYON_BUILT {
        return Err(RuntimeUnavailable(r));
    }
    SET_RUNTIME.store(
        match r {
            Runtime::Own => 1,
            Runtime::Rayon => 2,
        },
        Ordering::Relaxed,
    );
    Ok(())
}

/// The runtime of parallel calls made outside a rayon pool:
/// [`set_runtime`], else `SIMDPAR_RUNTIME`, else [`Runtime::Own`].
#[inline]
pub fn runtime() -> Runtime {
    match SET_RUNTIME.load(Ordering::Relaxed) {
        1 => Runtime::Own,
        2 => Runtime::Rayon,
        _ => env_runtime().clone().ok().flatten().unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runtime_names_and_availability() {
        assert_eq!(Runtime::default(), Runtime::Own);
        assert_eq!(Runtime::Rayon.to_string(), "rayon");
        if !RAYON_BUILT {
            assert_eq!(
                set_runtime(Runtime::Rayon),
                Err(RuntimeUnavailable(Runtime::Rayon))
            );
            assert_eq!(runtime(), Runtime::Own);
        }
    }
}
