//! Choosing the ISA that runs: scope > process default > environment > best.

use crate::token::{Avx2, Avx512, Neon};
use crate::{Isa, IsaError};
use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU8, Ordering};

/// Environment variable that forces one ISA (`SIMDPAR_ISA=avx2`).
pub const ENV_FORCE: &str = "SIMDPAR_ISA";
/// Environment variable that caps the choice (`SIMDPAR_MAX_ISA=avx2` on an
/// AVX-512 host whose 512-bit units throttle).
pub const ENV_MAX: &str = "SIMDPAR_MAX_ISA";

/// Environment variable that takes ISAs out of the available set, as if the
/// CPU lacked them (`SIMDPAR_DISABLE_ISA=avx512,avx2`), like NumPy's
/// `NPY_DISABLE_CPU_FEATURES`. `scalar` cannot be disabled.
pub const ENV_DISABLE: &str = "SIMDPAR_DISABLE_ISA";

/// `true` when the hardware and OS can run `isa` (ignores `SIMDPAR_DISABLE_ISA`).
fn hardware_supports(isa: Isa) -> bool {
    match isa {
        Isa::Scalar | Isa::Portable => true,
        Isa::Avx2 => Avx2::new().is_some(),
        Isa::Avx512 => Avx512::new().is_some(),
        Isa::Neon => Neon::new().is_some(),
    }
}

/// Parses a `SIMDPAR_DISABLE_ISA` value (comma- or space-separated names).
fn disabled_from(value: Option<&str>) -> Result<Vec<Isa>, IsaError> {
    let hardware: Vec<Isa> = Isa::ALL
        .into_iter()
        .filter(|&i| hardware_supports(i))
        .collect();
    let mut out = Vec::new();
    for name in value
        .unwrap_or("")
        .split([',', ' '])
        .filter(|n| !n.trim().is_empty())
    {
        let wanted = name.trim().to_ascii_lowercase();
        match Isa::ALL.into_iter().find(|i| i.name() == wanted) {
            Some(Isa::Scalar) | None => {
                return Err(IsaError::Env {
                    var: ENV_DISABLE,
                    source: Box::new(IsaError::Unknown {
                        name: name.to_string(),
                        available: hardware,
                    }),
                });
            }
            Some(isa) => out.push(isa),
        }
    }
    Ok(out)
}

/// The ISAs `SIMDPAR_DISABLE_ISA` removes (read once; a bad value disables
/// nothing here and is reported by [`check_env`]).
fn disabled() -> &'static Result<Vec<Isa>, IsaError> {
    static DISABLED: OnceLock<Result<Vec<Isa>, IsaError>> = OnceLock::new();
    DISABLED.get_or_init(|| disabled_from(std::env::var(ENV_DISABLE).ok().as_deref()))
}

/// `true` when the hardware could run `isa` but `SIMDPAR_DISABLE_ISA` says no.
pub(crate) fn is_disabled(isa: Isa) -> bool {
    hardware_supports(isa) && matches!(disabled(), Ok(list) if list.contains(&isa))
}

/// `true` when `isa` can run on this CPU and OS and is not disabled by
/// `SIMDPAR_DISABLE_ISA`.
pub fn is_supported(isa: Isa) -> bool {
    let off = matches!(disabled(), Ok(list) if list.contains(&isa));
    hardware_supports(isa) && !off
}

/// The ISAs this machine can run, worst first (always starts with `scalar`,
/// `portable`).
pub fn available_isas() -> Vec<Isa> {
    static AVAILABLE: OnceLock<Vec<Isa>> = OnceLock::new();
    AVAILABLE
        .get_or_init(|| Isa::ALL.into_iter().filter(|&i| is_supported(i)).collect())
        .clone()
}

/// The best ISA this machine can run, ignoring every override.
pub fn best_isa() -> Isa {
    *available_isas().last().expect("scalar is always available")
}

fn check_supported(isa: Isa) -> Result<Isa, IsaError> {
    if is_supported(isa) {
        Ok(isa)
    } else {
        Err(IsaError::Unsupported {
            isa,
            available: available_isas(),
        })
    }
}

/// What the environment asks for, computed from raw values (testable without
/// touching the real environment).
fn non_empty(v: Option<&str>) -> Option<&str> {
    v.map(str::trim).filter(|s| !s.is_empty())
}

fn selection_from(force: Option<&str>, max: Option<&str>) -> Result<Option<Isa>, IsaError> {
    let env_err = |var, e| IsaError::Env {
        var,
        source: Box::new(e),
    };
    let cap = match non_empty(max) {
        Some(name) => Some(Isa::from_name(name).map_err(|e| env_err(ENV_MAX, e))?),
        None => None,
    };
    if let Some(name) = non_empty(force) {
        let isa = Isa::from_name(name)
            .and_then(check_supported)
            .map_err(|e| env_err(ENV_FORCE, e))?;
        return Ok(Some(isa));
    }
    Ok(cap.map(|cap| {
        available_isas()
            .into_iter()
            .rfind(|&i| i <= cap)
            .unwrap_or(Isa::Scalar)
    }))
}

/// `SIMDPAR_ISA` and `SIMDPAR_MAX_ISA` as set (unparsed): the one reader
/// of both variables.
fn env_force_max() -> (Option<String>, Option<String>) {
    (std::env::var(ENV_FORCE).ok(), std::env::var(ENV_MAX).ok())
}

/// The ISA the environment selects (`SIMDPAR_ISA`, else the best available
/// at or below `SIMDPAR_MAX_ISA`), `None` when neither is set. A bad value
/// is an error naming the variable and the available ISAs.
///
/// Read once per process; later changes to the environment are not seen.
pub fn env_selection() -> Result<Option<Isa>, IsaError> {
    static ENV: OnceLock<Result<Option<Isa>, IsaError>> = OnceLock::new();
    ENV.get_or_init(|| {
        let (force, max) = env_force_max();
        selection_from(force.as_deref(), max.as_deref())
    })
    .clone()
}

/// Validates the environment. Front ends (the CLI, the Python module) call it
/// at start and refuse to run on a bad value; the Rust library itself falls
/// back to the best ISA with a one-time warning on stderr instead of failing
/// inside a kernel call.
pub fn check_env() -> Result<(), IsaError> {
    disabled().clone()?;
    env_selection().map(|_| ())
}

const NO_OVERRIDE: u8 = u8::MAX;
static PROCESS_DEFAULT: AtomicU8 = AtomicU8::new(NO_OVERRIDE);

thread_local! {
    static SCOPED: Cell<Option<Isa>> = const { Cell::new(None) };
}

fn isa_from_index(i: u8) -> Option<Isa> {
    Isa::ALL.get(usize::from(i)).copied()
}

fn isa_index(isa: Isa) -> u8 {
    Isa::ALL.iter().position(|&i| i == isa).expect("in ALL") as u8
}

/// Sets the process-wide default ISA (it overrides the environment, and is
/// overridden by thread-local scopes). Refuses an ISA this CPU lacks.
pub fn set_isa(isa: Isa) -> Result<(), IsaError> {
    check_supported(isa)?;
    PROCESS_DEFAULT.store(isa_index(isa), Ordering::Relaxed);
    Ok(())
}

/// Removes the process-wide default set by [`set_isa`].
pub fn clear_isa() {
    PROCESS_DEFAULT.store(NO_OVERRIDE, Ordering::Relaxed);
}

/// The ISA a kernel called now, on this thread, runs.
///
/// Order: the innermost [`IsaScope`] / [`with_isa`] on this thread, then
/// [`set_isa`], then the environment, then [`best_isa`]. A bad environment
/// value is reported once on stderr and ignored here (see [`check_env`]).
#[inline]
pub fn active_isa() -> Isa {
    if let Some(isa) = SCOPED.with(Cell::get) {
        return isa;
    }
    if let Some(isa) = isa_from_index(PROCESS_DEFAULT.load(Ordering::Relaxed)) {
        return isa;
    }
    default_isa()
}

fn default_isa() -> Isa {
    static DEFAULT: OnceLock<Isa> = OnceLock::new();
    *DEFAULT.get_or_init(|| match env_selection() {
        Ok(Some(isa)) => isa,
        Ok(None) => best_isa(),
        Err(e) => {
            eprintln!("simdpar: warning: {e}; using {}", best_isa());
            best_isa()
        }
    })
}

/// Who forced the ISA of a [`Selection::Forced`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForcedBy {
    /// A thread-local [`IsaScope`] / [`with_isa`].
    Scope,
    /// The process default, [`set_isa`].
    Api,
    /// The `SIMDPAR_ISA` environment variable.
    Env,
}

impl ForcedBy {
    /// `scope`, `set_isa` or `SIMDPAR_ISA`: what a person would look for.
    pub fn name(self) -> &'static str {
        match self {
            ForcedBy::Scope => "scope",
            ForcedBy::Api => "set_isa",
            ForcedBy::Env => ENV_FORCE,
        }
    }
}

/// What the overrides leave to a per-kernel choice, on this thread now.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Selection {
    /// One ISA runs everything: forced by a scope, [`set_isa`] or `SIMDPAR_ISA`.
    Forced(Isa, ForcedBy),
    /// Free to choose per kernel among the available ISAs up to `ceiling`
    /// (the best available one, or the best at or below `SIMDPAR_MAX_ISA`).
    /// `capped` says `SIMDPAR_MAX_ISA` or `SIMDPAR_DISABLE_ISA` lowered or
    /// thinned the choice.
    Free {
        /// The best ISA a kernel may pick.
        ceiling: Isa,
        /// The environment capped or disabled something.
        capped: bool,
    },
}

/// The environment's force and cap, parsed once (a bad value is reported
/// once on stderr and ignored, as in [`active_isa`]).
fn env_force_cap() -> (Option<Isa>, Option<Isa>) {
    static PARTS: OnceLock<(Option<Isa>, Option<Isa>)> = OnceLock::new();
    *PARTS.get_or_init(|| {
        let (force, max) = env_force_max();
        match selection_from(force.as_deref(), None) {
            Ok(Some(isa)) => (Some(isa), None),
            _ => match selection_from(None, max.as_deref()) {
                Ok(cap) => (None, cap),
                Err(_) => (None, None),
            },
        }
    })
}

/// What runs on this thread now: a forced ISA, or the ceiling of a free,
/// per-kernel choice. Same precedence as [`active_isa`] (a scope, then
/// [`set_isa`], then `SIMDPAR_ISA`, then `SIMDPAR_MAX_ISA` /
/// `SIMDPAR_DISABLE_ISA`); cheap enough to call per kernel call (a thread-local, an atomic, a `OnceLock`).
#[inline]
pub fn selection() -> Selection {
    if let Some(isa) = SCOPED.with(Cell::get) {
        return Selection::Forced(isa, ForcedBy::Scope);
    }
    if let Some(isa) = isa_from_index(PROCESS_DEFAULT.load(Ordering::Relaxed)) {
        return Selection::Forced(isa, ForcedBy::Api);
    }
    free_selection()
}

#[inline]
fn free_selection() -> Selection {
    static FREE: OnceLock<Selection> = OnceLock::new();
    *FREE.get_or_init(|| match env_force_cap() {
        (Some(isa), _) => Selection::Forced(isa, ForcedBy::Env),
        (None, cap) => {
            let disabled = Isa::ALL.into_iter().any(is_disabled);
            Selection::Free {
                ceiling: cap.unwrap_or_else(best_isa),
                capped: disabled || cap.is_some_and(|c| c < best_isa()),
            }
        }
    })
}

/// A thread-local ISA override that lasts until the guard is dropped.
/// Scopes nest; dropping restores the previous one. The guard is not `Send`:
/// it belongs to the thread that made it, and calls made on other threads
/// (the application's own, or its rayon workers) do not see it. A parallel
/// simdpar call made inside the scope resolves its kernel on the calling
/// thread and hands that function to whichever runtime runs the chunks
/// (simdpar's pool, or rayon's with the `rayon` feature), so every chunk
/// runs the scope's ISA.
#[must_use = "the scope ends when the guard is dropped"]
pub struct IsaScope {
    previous: Option<Isa>,
    _not_send: PhantomData<*const ()>,
}

impl IsaScope {
    /// Starts a scope running `isa` on this thread; refuses an ISA the CPU lacks.
    pub fn new(isa: Isa) -> Result<IsaScope, IsaError> {
        check_supported(isa)?;
        let previous = SCOPED.with(|s| s.replace(Some(isa)));
        Ok(IsaScope {
            previous,
            _not_send: PhantomData,
        })
    }
}

impl Drop for IsaScope {
    fn drop(&mut self) {
        SCOPED.with(|s| s.set(self.previous));
    }
}

/// Runs `f` with `isa` active on this thread; refuses an ISA the CPU lacks
/// (without running `f`). The previous selection comes back afterwards, even
/// if `f` panics.
pub fn with_isa<R>(isa: Isa, f: impl FnOnce() -> R) -> Result<R, IsaError> {
    let _scope = IsaScope::new(isa)?;
    Ok(f())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn force_unknown_name_is_an_error_naming_available() {
        let e = selection_from(Some("avx9000"), None).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("SIMDPAR_ISA"), "{msg}");
        assert!(msg.contains("avx9000"), "{msg}");
        assert!(msg.contains("scalar"), "{msg}");
    }

    #[test]
    fn force_unsupported_is_an_error() {
        let missing = Isa::ALL.into_iter().find(|&i| !is_supported(i));
        if let Some(isa) = missing {
            let e = selection_from(Some(isa.name()), None).unwrap_err();
            assert!(matches!(
                e,
                IsaError::Env { source, .. } if matches!(*source, IsaError::Unsupported { .. })
            ));
        }
        // Every machine lacks at least one of avx2/avx512/neon.
        assert!(missing.is_some());
    }

    #[test]
    fn cap_picks_best_at_or_below() {
        assert_eq!(
            selection_from(None, Some("portable")),
            Ok(Some(Isa::Portable))
        );
        assert_eq!(selection_from(None, Some("SCALAR")), Ok(Some(Isa::Scalar)));
        assert_eq!(selection_from(None, Some("avx512")), Ok(Some(best_isa())));
        assert_eq!(selection_from(None, None), Ok(None));
        assert_eq!(selection_from(Some(""), Some(" ")), Ok(None));
        assert!(selection_from(None, Some("bogus")).is_err());
    }

    #[test]
    fn force_beats_cap() {
        assert_eq!(
            selection_from(Some("scalar"), Some("portable")),
            Ok(Some(Isa::Scalar))
        );
    }

    #[test]
    fn scopes_nest_and_restore() {
        let outer = active_isa();
        with_isa(Isa::Scalar, || {
            assert_eq!(active_isa(), Isa::Scalar);
            with_isa(Isa::Portable, || assert_eq!(active_isa(), Isa::Portable)).unwrap();
            assert_eq!(active_isa(), Isa::Scalar);
        })
        .unwrap();
        assert_eq!(active_isa(), outer);
    }

    #[test]
    fn scope_restores_after_panic() {
        let outer = active_isa();
        let r = std::panic::catch_unwind(|| {
            with_isa(Isa::Scalar, || panic!("boom")).unwrap();
        });
        assert!(r.is_err());
        assert_eq!(active_isa(), outer);
    }

    #[test]
    fn scope_refuses_unsupported() {
        for isa in Isa::ALL.into_iter().filter(|&i| !is_supported(i)) {
            let before = active_isa();
            let ran = std::cell::Cell::new(false);
            let e = with_isa(isa, || ran.set(true)).unwrap_err();
            assert!(!ran.get());
            assert_eq!(active_isa(), before);
            assert!(e.to_string().contains(isa.name()));
        }
    }

    #[test]
    fn disable_list_parses_and_refuses_scalar() {
        assert_eq!(disabled_from(None), Ok(vec![]));
        assert_eq!(
            disabled_from(Some("avx512, AVX2")),
            Ok(vec![Isa::Avx512, Isa::Avx2])
        );
        let e = disabled_from(Some("scalar")).unwrap_err().to_string();
        assert!(
            e.contains("SIMDPAR_DISABLE_ISA") && e.contains("scalar"),
            "{e}"
        );
        assert!(disabled_from(Some("avx3")).is_err());
    }

    #[test]
    fn names_round_trip() {
        for isa in Isa::ALL {
            assert_eq!(Isa::from_name(isa.name()), Ok(isa));
            assert_eq!(isa.to_string(), isa.name());
        }
    }
}
