//! A loaded Mojo shared library with checked symbol lookup.

use std::path::{Path, PathBuf};

use crate::error::MojoError;

/// A shared library loaded from the cache.
///
/// Obtained from [`crate::Artifact::load`], which refuses artifacts compiled
/// for CPU features this machine lacks. The library stays loaded as long as
/// this value lives; function pointers taken from it must not outlive it.
#[derive(Debug)]
pub struct Library {
    lib: libloading::Library,
    path: PathBuf,
}

impl Library {
    pub(crate) fn open(path: &Path) -> Result<Library, MojoError> {
        // SAFETY: loading runs the library's initializers. Libraries reach
        // this point only from the cache, built by `mojo build` from a known
        // source, and only after `Artifact::check_host` confirmed that this
        // CPU has every feature the code was compiled for.
        let lib = unsafe { libloading::Library::new(path) }.map_err(|e| MojoError::Load {
            path: path.to_path_buf(),
            message: e.to_string(),
        })?;
        Ok(Library {
            lib,
            path: path.to_path_buf(),
        })
    }

    /// The library file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Whether the library exports `name`.
    pub fn has_symbol(&self, name: &str) -> bool {
        // SAFETY: the symbol is only looked up as an opaque pointer and never
        // called or dereferenced.
        unsafe { self.lib.get::<*const ()>(name.as_bytes()) }.is_ok()
    }

    /// Looks up `name` as a value of type `F` (normally an
    /// `unsafe extern "C" fn(...)` pointer); fails with
    /// [`MojoError::MissingSymbol`] when it is not exported.
    ///
    /// # Safety
    /// `F` must be the exact type of the exported symbol, and the returned
    /// value must not be used after this `Library` is dropped.
    pub unsafe fn symbol<F: Copy>(&self, name: &str) -> Result<F, MojoError> {
        // SAFETY: the caller guarantees that `F` matches the symbol's type.
        let sym = unsafe { self.lib.get::<F>(name.as_bytes()) }.map_err(|_| {
            MojoError::MissingSymbol {
                path: self.path.clone(),
                symbol: name.to_string(),
            }
        })?;
        Ok(*sym)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unloadable_file_is_a_load_error() {
        let dir = std::env::temp_dir().join(format!("simdpar-mojo-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bogus = dir.join("libbogus.so");
        std::fs::write(&bogus, b"not an ELF file").unwrap();
        let err = Library::open(&bogus).expect_err("garbage must not load");
        std::fs::remove_dir_all(&dir).unwrap();
        match err {
            MojoError::Load { path, message } => {
                assert_eq!(path, bogus);
                assert!(!message.is_empty());
            }
            other => panic!("expected a Load error, got {other:?}"),
        }
    }
}
