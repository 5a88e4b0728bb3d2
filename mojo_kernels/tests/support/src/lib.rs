//! Helpers shared by the simdpar-mojo integration tests (a crate of its own,
//! not a `mod common` compiled into every suite, so each uses what it needs).

use simdpar_mojo::{Cache, CacheConfig, Source};

/// A cache in a fresh temporary directory, or `None` (after a loud
/// `SKIPPED: mojo not found` message) when the toolchain is missing.
pub fn temp_cache(test: &str) -> Option<(Cache, tempfile::TempDir)> {
    temp_cache_with(test, |_| {})
}

/// Like [`temp_cache`], with a config tweak.
pub fn temp_cache_with(
    test: &str,
    tweak: impl FnOnce(&mut CacheConfig),
) -> Option<(Cache, tempfile::TempDir)> {
    let dir = tempfile::Builder::new()
        .prefix("simdpar-mojo-test-")
        .tempdir()
        .expect("temp dir");
    let mut cfg = CacheConfig {
        dir: Some(dir.path().to_path_buf()),
        ..CacheConfig::default()
    };
    tweak(&mut cfg);
    let cache = simdpar_mojo::open_or_skip(cfg, test)?;
    Some((cache, dir))
}

/// The user's cache (default directory): twin builds are shared across runs.
pub fn shared_cache(test: &str) -> Option<Cache> {
    simdpar_mojo::open_or_skip(CacheConfig::default(), test)
}

/// A tiny library exporting `answer() -> Int` returning `value`.
pub fn answer_source(name: &str, value: i64) -> Source {
    Source::Inline {
        name: name.to_string(),
        text: format!("@export(\"answer\")\ndef answer() abi(\"C\") -> Int:\n    return {value}\n"),
    }
}

/// Calls the `answer` export of a loaded library.
pub fn call_answer(lib: &simdpar_mojo::Library) -> isize {
    // SAFETY: `answer_source` exports `answer` as `() -> Int`.
    let f: unsafe extern "C" fn() -> isize = unsafe { lib.symbol("answer") }.expect("answer");
    // SAFETY: as above; `lib` outlives the call.
    unsafe { f() }
}
