//! Which profile is in force: the file's, read once per process (with
//! what became of it, [`ProfileStatus`]), unless the program installed
//! another with [`set_profile`]; a generation number lets cached plans
//! notice a change.

use super::file::{
    ENV_NO_TUNE, ENV_TUNE_FILE, MAX_PROFILE_BYTES, profile_path, read_small_regular_file,
    tuning_disabled,
};
use super::text::Profile;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// What became of the profile this process looked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ProfileStatus {
    /// Read and used.
    Loaded(PathBuf),
    /// No file there: built-in defaults.
    Missing(PathBuf),
    /// `SIMDPAR_NO_TUNE=1`: no profile read.
    Disabled,
    /// No path known (no `HOME`, no `XDG_CACHE_HOME`, no `SIMDPAR_TUNE_FILE`).
    NoPath,
    /// Measured on another CPU: ignored.
    OtherCpu {
        /// The file.
        path: PathBuf,
        /// The identity it was measured on.
        found: String,
    },
    /// Could not be read or parsed: ignored.
    Corrupt {
        /// The file.
        path: PathBuf,
        /// Why.
        error: String,
    },
    /// Not a regular file (a FIFO, a device, a directory) or larger than
    /// [`MAX_PROFILE_BYTES`]: not read, ignored.
    NotRead {
        /// The path.
        path: PathBuf,
        /// What it is instead.
        why: String,
    },
    /// Installed by [`set_profile`] (tests, the tuner).
    Installed,
}

impl fmt::Display for ProfileStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ProfileStatus::Loaded(p) => write!(f, "tuned profile {}", p.display()),
            ProfileStatus::Missing(p) => {
                write!(
                    f,
                    "no tuned profile ({} absent): built-in defaults",
                    p.display()
                )
            }
            ProfileStatus::Disabled => {
                write!(f, "{ENV_NO_TUNE}=1: profile ignored, built-in defaults")
            }
            ProfileStatus::NoPath => write!(f, "no profile path (no HOME): built-in defaults"),
            ProfileStatus::OtherCpu { path, found } => write!(
                f,
                "note: profile {} was measured on another CPU ({found}; this one is {}): ignored, built-in defaults",
                path.display(),
                simdpar_dispatch::cpu_identity()
            ),
            ProfileStatus::Corrupt { path, error } => write!(
                f,
                "warning: profile {} is corrupt ({error}): ignored, built-in defaults; run `simdpar tune` again",
                path.display()
            ),
            ProfileStatus::NotRead { path, why } => write!(
                f,
                "warning: profile {} is {why}: not read, built-in defaults; {ENV_TUNE_FILE} must name a regular file of at most {MAX_PROFILE_BYTES} bytes",
                path.display()
            ),
            ProfileStatus::Installed => write!(f, "profile installed by the program"),
        }
    }
}

/// A profile (if one is used) and what became of it.
type Current = (Option<Arc<Profile>>, ProfileStatus);

/// Reads the profile from the file (no caching, no messages).
fn load_file() -> Current {
    if tuning_disabled() {
        return (None, ProfileStatus::Disabled);
    }
    let Some(path) = profile_path() else {
        return (None, ProfileStatus::NoPath);
    };
    let bytes = match read_small_regular_file(&path) {
        Ok(Ok(bytes)) => bytes,
        Ok(Err(why)) => return (None, ProfileStatus::NotRead { path, why }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return (None, ProfileStatus::Missing(path));
        }
        Err(e) => {
            let error = e.to_string();
            return (None, ProfileStatus::Corrupt { path, error });
        }
    };
    let Ok(text) = String::from_utf8(bytes) else {
        let error = "not UTF-8 text".to_string();
        return (None, ProfileStatus::Corrupt { path, error });
    };
    match Profile::from_text(&text) {
        Ok(p) => accept(p, ProfileStatus::Loaded(path.clone()), path),
        Err(e) => {
            let error = e.to_string();
            (None, ProfileStatus::Corrupt { path, error })
        }
    }
}

/// `p` with `status` if it was measured on this CPU, else none and a note
/// naming the CPU it was measured on (`path`: where it came from).
fn accept(p: Profile, status: ProfileStatus, path: PathBuf) -> Current {
    if p.cpu == simdpar_dispatch::cpu_identity() {
        (Some(Arc::new(p)), status)
    } else {
        (None, ProfileStatus::OtherCpu { path, found: p.cpu })
    }
}

/// The file's profile, read once per process; a corrupt or unreadable
/// file prints its one warning line then.
fn file_profile() -> &'static Current {
    static FILE: OnceLock<Current> = OnceLock::new();
    FILE.get_or_init(|| {
        let loaded = load_file();
        if matches!(
            loaded.1,
            ProfileStatus::Corrupt { .. } | ProfileStatus::NotRead { .. }
        ) {
            eprintln!("simdpar: {}", loaded.1);
        }
        loaded
    })
}

/// Set by [`set_profile`]: `Some` replaces the file's profile.
static INSTALLED: RwLock<Option<Current>> = RwLock::new(None);
/// Bumped by every [`set_profile`], so that cached plans can notice.
static GENERATION: AtomicU64 = AtomicU64::new(0);

/// The profile in force (the file's, read once per process, unless
/// [`set_profile`] installed another), with what happened to it.
pub fn active_profile() -> (Option<Arc<Profile>>, ProfileStatus) {
    if GENERATION.load(Ordering::Acquire) > 0 {
        let installed = INSTALLED.read().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = installed.as_ref() {
            return c.clone();
        }
    }
    file_profile().clone()
}

/// What became of the profile (see [`ProfileStatus`]; its `Display` is the
/// note or warning to show).
pub fn profile_status() -> ProfileStatus {
    active_profile().1
}

/// A number that changes whenever [`set_profile`] is called (0 before).
#[inline]
pub fn profile_generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Installs `profile` for the whole process, replacing the file's (`None`:
/// back to the file's profile). A profile for another CPU is refused like
/// a file would be (its status says so). Meant for the tuner, which
/// installs what it measured, and for tests.
pub fn set_profile(profile: Option<Profile>) {
    let mut installed = INSTALLED.write().unwrap_or_else(|p| p.into_inner());
    *installed = profile.map(|p| accept(p, ProfileStatus::Installed, PathBuf::from("<installed>")));
    GENERATION.fetch_add(1, Ordering::AcqRel);
}
