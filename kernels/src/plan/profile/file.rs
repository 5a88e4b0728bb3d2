//! Where the profile file lives and how it is read and written: the path
//! from `SIMDPAR_TUNE_FILE` or the user's cache dir, a read that takes only
//! a small regular file (so a FIFO or a device can neither block nor flood
//! the first kernel call), and an atomic write.

use super::text::Profile;
use std::io::Read;
use std::path::{Path, PathBuf};

/// Environment variable naming the profile file (overrides the cache dir).
pub const ENV_TUNE_FILE: &str = "SIMDPAR_TUNE_FILE";
/// Environment variable that, set to `1`, makes simdpar ignore any profile.
pub const ENV_NO_TUNE: &str = "SIMDPAR_NO_TUNE";
/// The largest profile file read (1 MiB; a real one is a few KiB): a larger
/// file is ignored with a warning.
pub const MAX_PROFILE_BYTES: u64 = 1 << 20;

/// Whether `SIMDPAR_NO_TUNE=1` is set: the one reader of the variable.
pub(super) fn tuning_disabled() -> bool {
    std::env::var(ENV_NO_TUNE).is_ok_and(|v| v.trim() == "1")
}

/// Where this process reads and the tuner writes the profile:
/// `SIMDPAR_TUNE_FILE`, else `tune-<cpu hash>.txt` in the user's cache dir;
/// `None` when neither it nor `HOME` is known.
pub fn profile_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_TUNE_FILE).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    let name = format!("tune-{}.txt", simdpar_dispatch::cpu_identity_hash());
    Some(base.join("simdpar").join(name))
}

/// Writes `profile` to [`profile_path`] (directories created, the file
/// replaced at once through a temporary beside it), returning the path.
pub fn write_profile(profile: &Profile) -> std::io::Result<PathBuf> {
    let path = profile_path().ok_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "no profile path (no HOME)")
    })?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("txt.tmp");
    std::fs::write(&tmp, profile.to_text())?;
    std::fs::rename(&tmp, &path)?;
    Ok(path)
}

/// What a path is when it is not a regular file, in words.
fn kind_of(meta: &std::fs::Metadata) -> String {
    let ft = meta.file_type();
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO (named pipe)".into();
        }
        if ft.is_char_device() {
            return "a character device".into();
        }
        if ft.is_block_device() {
            return "a block device".into();
        }
        if ft.is_socket() {
            return "a socket".into();
        }
    }
    if ft.is_dir() {
        "a directory".into()
    } else {
        "not a regular file".into()
    }
}

/// Reads `path` if it is a regular file of at most [`MAX_PROFILE_BYTES`].
/// `Ok(Err(why))` when it is something else: the kind is checked before
/// opening (opening a FIFO blocks until a writer comes) and again on the
/// open file (the path may have changed in between), and the read stops
/// after the cap whatever the file claims its size is.
pub(super) fn read_small_regular_file(path: &Path) -> std::io::Result<Result<Vec<u8>, String>> {
    let check = |meta: &std::fs::Metadata| -> Result<(), String> {
        if !meta.is_file() {
            return Err(kind_of(meta));
        }
        if meta.len() > MAX_PROFILE_BYTES {
            return Err(format!("{} bytes, larger than the cap", meta.len()));
        }
        Ok(())
    };
    if let Err(why) = check(&std::fs::metadata(path)?) {
        return Ok(Err(why));
    }
    let file = std::fs::File::open(path)?;
    if let Err(why) = check(&file.metadata()?) {
        return Ok(Err(why));
    }
    let mut bytes = Vec::new();
    file.take(MAX_PROFILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_PROFILE_BYTES {
        return Ok(Err("larger than the cap".into()));
    }
    Ok(Ok(bytes))
}
