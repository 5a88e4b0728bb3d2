//! The content-keyed compile cache.
//!
//! Layout of the cache directory:
//!
//! ```text
//! <dir>/entries/<key>/<artifact>      the compiled library or executable
//! <dir>/entries/<key>/manifest.json   key inputs, checksum, target, compile time
//! <dir>/locks/<key>.lock              per-key build lock; its mtime is the last use
//! <dir>/tmp/                          staging area (same filesystem: renames are atomic)
//! <dir>/stats.json                    lifetime hits / misses / compile seconds
//! <dir>/.lock                         guards stats.json and eviction
//! ```
//!
//! A build first looks for a complete entry without locking (entries only
//! appear through `rename`, so a reader never sees a partial file; the
//! manifest is renamed last and carries the artifact's SHA-256). On a miss it
//! takes the key's exclusive file lock, looks again (another process may have
//! finished meanwhile), compiles into `tmp/`, and renames the artifact and
//! then the manifest into place. N processes racing for one key therefore
//! compile it once.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{MojoError, parse_compile_error};
use crate::host::HostCpu;
use crate::imports::local_imports;
use crate::loader::Library;
use crate::toolchain::{EffectiveTarget, Toolchain, mojo_command};

/// Environment variable overriding the cache directory.
pub const ENV_CACHE_DIR: &str = "SIMDPAR_CACHE_DIR";
/// Environment variable overriding the size cap (bytes).
pub const ENV_CACHE_MAX_BYTES: &str = "SIMDPAR_CACHE_MAX_BYTES";
/// Environment variable overriding the compile timeout (seconds).
pub const ENV_COMPILE_TIMEOUT: &str = "SIMDPAR_MOJO_TIMEOUT";
/// Default size cap of the cache directory.
pub const DEFAULT_MAX_BYTES: u64 = 256 * 1024 * 1024;
/// Default limit for one `mojo build`.
pub const DEFAULT_COMPILE_TIMEOUT: Duration = Duration::from_secs(300);
/// Version of the key derivation and manifest layout.
pub const CACHE_FORMAT: u32 = 1;

/// Where the Mojo source comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on disk, compiled in place (diagnostics name this path). Only
    /// its own bytes are part of the key: pass the directories of modules it
    /// imports as [`BuildRequest::include_dirs`] so that their bytes count too.
    File(PathBuf),
    /// Source text held in memory; it is written to a staging file called
    /// `name` for compilation and diagnostics name it `name`.
    Inline {
        /// File name, e.g. `kernel.mojo`.
        name: String,
        /// The Mojo source.
        text: String,
    },
}

impl Source {
    /// A short human-readable name (file name or inline name).
    pub fn name(&self) -> String {
        match self {
            Source::File(p) => p
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| p.display().to_string()),
            Source::Inline { name, .. } => name.clone(),
        }
    }

    fn bytes(&self) -> Result<Vec<u8>, MojoError> {
        match self {
            Source::File(p) => {
                fs::read(p).map_err(|e| MojoError::io(format!("reading {}", p.display()), e))
            }
            Source::Inline { text, .. } => Ok(text.as_bytes().to_vec()),
        }
    }
}

/// What `mojo build` should produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EmitKind {
    /// A shared library (`--emit shared-lib`), loadable with [`Artifact::load`].
    SharedLib,
    /// An executable (`--emit exe`), runnable with [`Artifact::command`].
    Executable,
    /// A CPython extension module (`--emit shared-lib` of a source holding
    /// `PyInit_<name>`), stored as `<source stem>.so` and located with
    /// [`Artifact::extension_path`]; keyed apart from [`EmitKind::SharedLib`].
    PythonExtension,
}

impl EmitKind {
    /// The `--emit` value passed to `mojo build`.
    pub fn flag(self) -> &'static str {
        match self {
            EmitKind::SharedLib | EmitKind::PythonExtension => "shared-lib",
            EmitKind::Executable => "exe",
        }
    }

    /// The name recorded in the key inputs and the manifest: the `--emit`
    /// value, except `"python-extension"` for [`EmitKind::PythonExtension`].
    pub fn key_name(self) -> &'static str {
        match self {
            EmitKind::PythonExtension => "python-extension",
            other => other.flag(),
        }
    }
}

/// Floating-point contraction mode (`--fp-mode contract=...`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FpMode {
    /// `contract=fast` (the compiler default): `a*b + c` may become an FMA.
    ContractFast,
    /// `contract=off`: every operation rounds separately (bitwise parity with Rust).
    ContractOff,
}

impl FpMode {
    /// The `--fp-mode` value.
    pub fn flag(self) -> &'static str {
        match self {
            FpMode::ContractFast => "contract=fast",
            FpMode::ContractOff => "contract=off",
        }
    }
}

/// One compilation: source plus every flag that changes the output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuildRequest {
    /// The Mojo source.
    pub source: Source,
    /// Library or executable.
    pub emit: EmitKind,
    /// `--target-cpu` (None: the host CPU).
    pub target_cpu: Option<String>,
    /// `--target-features` (None: the CPU's default features).
    pub target_features: Option<String>,
    /// `--fp-mode`.
    pub fp_mode: FpMode,
    /// `-D NAME=VALUE` defines.
    pub defines: BTreeMap<String, String>,
    /// `--optimization-level` (0..=3).
    pub opt_level: u8,
    /// `-I` directories; every `.mojo` file under them is part of the key.
    pub include_dirs: Vec<PathBuf>,
    /// `-I` directories of which only the `.mojo` files the source imports
    /// (directly or through other local files) are part of the key. The
    /// directory of a [`Source::File`] is always searched this way.
    pub import_dirs: Vec<PathBuf>,
}

impl BuildRequest {
    /// A shared-library build of `source` for the host CPU, `-O3`, `contract=fast`.
    pub fn shared_lib(source: Source) -> BuildRequest {
        BuildRequest {
            source,
            emit: EmitKind::SharedLib,
            target_cpu: None,
            target_features: None,
            fp_mode: FpMode::ContractFast,
            defines: BTreeMap::new(),
            opt_level: 3,
            include_dirs: Vec::new(),
            import_dirs: Vec::new(),
        }
    }

    /// A CPython extension-module build of `source` (which must define
    /// `PyInit_<stem of the source name>`) for the host CPU, `-O3`, `contract=fast`.
    pub fn python_extension(source: Source) -> BuildRequest {
        BuildRequest {
            emit: EmitKind::PythonExtension,
            ..BuildRequest::shared_lib(source)
        }
    }

    /// An executable build of `source` for the host CPU, `-O3`, `contract=fast`.
    pub fn executable(source: Source) -> BuildRequest {
        BuildRequest {
            emit: EmitKind::Executable,
            ..BuildRequest::shared_lib(source)
        }
    }

    /// Sets `--target-cpu`.
    pub fn target_cpu(mut self, cpu: impl Into<String>) -> Self {
        self.target_cpu = Some(cpu.into());
        self
    }

    /// Sets `--target-features`.
    pub fn target_features(mut self, features: impl Into<String>) -> Self {
        self.target_features = Some(features.into());
        self
    }

    /// Sets `--fp-mode`.
    pub fn fp_mode(mut self, mode: FpMode) -> Self {
        self.fp_mode = mode;
        self
    }

    /// Adds `-D name=value`.
    pub fn define(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.defines.insert(name.into(), value.into());
        self
    }

    /// Sets `--optimization-level`.
    pub fn opt_level(mut self, level: u8) -> Self {
        self.opt_level = level;
        self
    }

    /// Adds an `-I` directory.
    pub fn include_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.include_dirs.push(dir.into());
        self
    }

    /// Adds an `-I` directory whose imported files only are keyed.
    pub fn import_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.import_dirs.push(dir.into());
        self
    }

    fn validate(&self) -> Result<(), MojoError> {
        if self.opt_level > 3 {
            return Err(MojoError::InvalidArgument(format!(
                "optimization level {} is not in 0..=3",
                self.opt_level
            )));
        }
        for name in self.defines.keys() {
            if name.is_empty() || name.contains('=') || name.contains(char::is_whitespace) {
                return Err(MojoError::InvalidArgument(format!(
                    "define name {name:?} must be non-empty without '=' or spaces"
                )));
            }
        }
        if let Source::Inline { name, .. } = &self.source
            && (name.is_empty() || name.contains(['/', '\\']) || !name.ends_with(".mojo"))
        {
            return Err(MojoError::InvalidArgument(format!(
                "inline source name {name:?} must be a plain file name ending in .mojo"
            )));
        }
        Ok(())
    }
}

/// Everything the cache key is derived from (also stored in the manifest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyInputs {
    /// Key derivation version ([`CACHE_FORMAT`]).
    pub format: u32,
    /// Source name (file name or inline name).
    pub source_name: String,
    /// SHA-256 of the source bytes (hex).
    pub source_sha256: String,
    /// `(relative path, SHA-256)` of every `.mojo` file under the include
    /// dirs, then `("import:<path>", SHA-256)` of every local file the
    /// source imports.
    pub includes: Vec<(String, String)>,
    /// `mojo --version`.
    pub mojo_version: String,
    /// Resolved target triple, CPU and features.
    pub target: EffectiveTarget,
    /// `--fp-mode` value.
    pub fp_mode: String,
    /// `-D` defines.
    pub defines: BTreeMap<String, String>,
    /// [`EmitKind::key_name`] of the build.
    pub emit: String,
    /// `--optimization-level`.
    pub opt_level: u8,
}

impl KeyInputs {
    /// The cache key: the first 16 hex digits of SHA-256 over the canonical
    /// JSON encoding of the inputs.
    pub fn key(&self) -> String {
        let json = serde_json::to_vec(self).expect("KeyInputs serializes");
        hex(&Sha256::digest(&json))[..16].to_string()
    }
}

/// The record stored beside each artifact.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Manifest {
    /// The cache key (directory name).
    pub key: String,
    /// The artifact's file name inside the entry directory.
    pub artifact_file: String,
    /// SHA-256 of the artifact (hex).
    pub sha256: String,
    /// Artifact size in bytes.
    pub size: u64,
    /// Wall-clock seconds `mojo build` took.
    pub compile_seconds: f64,
    /// When it was compiled (seconds since the Unix epoch).
    pub created_unix: u64,
    /// The key inputs, including the target features the artifact requires.
    pub inputs: KeyInputs,
}

/// How [`Cache::build`] obtained the artifact.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BuildOutcome {
    /// A valid entry was already there.
    Hit,
    /// Nothing was there; this call compiled it.
    Compiled,
    /// An entry was there but invalid (truncated, corrupt, unreadable manifest); recompiled.
    Rebuilt {
        /// Why the old entry was rejected.
        reason: String,
    },
}

/// Counters of cache activity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct CacheStats {
    /// Builds answered from the cache.
    pub hits: u64,
    /// Builds that had to compile (including rebuilds of corrupt entries).
    pub misses: u64,
    /// Of the misses, how many replaced a corrupt or truncated entry.
    pub rebuilt_corrupt: u64,
    /// Total seconds spent in `mojo build`.
    pub compile_seconds: f64,
    /// Entries removed by the size cap.
    pub evictions: u64,
}

impl CacheStats {
    fn add(&mut self, o: &CacheStats) {
        self.hits += o.hits;
        self.misses += o.misses;
        self.rebuilt_corrupt += o.rebuilt_corrupt;
        self.compile_seconds += o.compile_seconds;
        self.evictions += o.evictions;
    }
}

/// A snapshot of the cache directory.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CacheInfo {
    /// The cache directory.
    pub dir: PathBuf,
    /// Number of complete entries.
    pub entries: usize,
    /// Bytes used by the entries.
    pub total_bytes: u64,
    /// The size cap.
    pub max_bytes: u64,
    /// The `mojo` executable in use.
    pub toolchain: PathBuf,
    /// Its `mojo --version`.
    pub mojo_version: String,
    /// Counters over the directory's lifetime (all processes).
    pub lifetime: CacheStats,
}

/// How to open a [`Cache`].
#[derive(Debug, Clone)]
pub struct CacheConfig {
    /// Cache directory (None: [`Cache::default_dir`]).
    pub dir: Option<PathBuf>,
    /// The `mojo` executable (None: [`Toolchain::discover`]).
    pub mojo: Option<PathBuf>,
    /// Size cap; least recently used entries are evicted beyond it.
    pub max_bytes: u64,
    /// Limit for one `mojo build`.
    pub compile_timeout: Duration,
}

impl Default for CacheConfig {
    /// Directory and toolchain discovered, size cap from
    /// `$SIMDPAR_CACHE_MAX_BYTES` (default 256 MiB), compile timeout from
    /// `$SIMDPAR_MOJO_TIMEOUT` seconds (default 300).
    fn default() -> Self {
        let env_num = |name: &str| {
            std::env::var(name)
                .ok()
                .and_then(|v| v.trim().parse::<f64>().ok())
        };
        CacheConfig {
            dir: None,
            mojo: None,
            max_bytes: env_num(ENV_CACHE_MAX_BYTES)
                .filter(|v| *v >= 0.0)
                .map(|v| v as u64)
                .unwrap_or(DEFAULT_MAX_BYTES),
            compile_timeout: env_num(ENV_COMPILE_TIMEOUT)
                .filter(|v| v.is_finite() && *v > 0.0)
                .map(Duration::from_secs_f64)
                .unwrap_or(DEFAULT_COMPILE_TIMEOUT),
        }
    }
}

/// A compiled artifact in the cache.
#[derive(Debug, Clone)]
pub struct Artifact {
    path: PathBuf,
    manifest: Manifest,
    outcome: BuildOutcome,
    host: Arc<HostCpu>,
}

impl Artifact {
    /// The artifact file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The cache key.
    pub fn key(&self) -> &str {
        &self.manifest.key
    }

    /// The manifest stored beside the artifact.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Whether this build was a hit, a compile or a rebuild.
    pub fn outcome(&self) -> &BuildOutcome {
        &self.outcome
    }

    /// Fails with [`MojoError::UnsupportedTarget`] when `host` lacks a
    /// feature the artifact was compiled for.
    pub fn check_host(&self, host: &HostCpu) -> Result<(), MojoError> {
        let missing = host.missing(self.manifest.inputs.target.required_features());
        if missing.is_empty() {
            Ok(())
        } else {
            Err(MojoError::UnsupportedTarget {
                artifact: self.path.clone(),
                target_cpu: self.manifest.inputs.target.cpu.clone(),
                missing,
            })
        }
    }

    /// Loads a shared-library artifact after checking it against this CPU.
    /// An artifact needing features this CPU lacks is refused, never loaded.
    pub fn load(&self) -> Result<Library, MojoError> {
        if self.manifest.inputs.emit != EmitKind::SharedLib.key_name() {
            return Err(MojoError::InvalidArgument(format!(
                "{} is a {}, not a plain shared library",
                self.path.display(),
                self.manifest.inputs.emit
            )));
        }
        self.check_host(&self.host)?;
        Library::open(&self.path)
    }

    /// The file of a Python-extension artifact, for CPython's extension
    /// loader, after checking it against this CPU: an artifact needing
    /// features this CPU lacks is refused with [`MojoError::UnsupportedTarget`].
    pub fn extension_path(&self) -> Result<&Path, MojoError> {
        if self.manifest.inputs.emit != EmitKind::PythonExtension.key_name() {
            return Err(MojoError::InvalidArgument(format!(
                "{} is a {}, not a Python extension module",
                self.path.display(),
                self.manifest.inputs.emit
            )));
        }
        self.check_host(&self.host)?;
        Ok(&self.path)
    }

    /// A [`Command`] running an executable artifact, after checking it
    /// against this CPU.
    pub fn command(&self) -> Result<Command, MojoError> {
        if self.manifest.inputs.emit != EmitKind::Executable.key_name() {
            return Err(MojoError::InvalidArgument(format!(
                "{} is a shared library, not an executable",
                self.path.display()
            )));
        }
        self.check_host(&self.host)?;
        Ok(Command::new(&self.path))
    }
}

/// The compile cache: a directory of content-keyed Mojo artifacts plus the
/// toolchain that fills it.
#[derive(Debug)]
pub struct Cache {
    dir: PathBuf,
    toolchain: Toolchain,
    host: Arc<HostCpu>,
    config: CacheConfig,
    stats: Mutex<CacheStats>,
}

static STAGING_COUNTER: AtomicU64 = AtomicU64::new(0);

impl Cache {
    /// Opens the cache with [`CacheConfig::default`].
    pub fn open() -> Result<Cache, MojoError> {
        Cache::with_config(CacheConfig::default())
    }

    /// Opens (creating if needed) the cache described by `config`; finds the
    /// toolchain and detects the host CPU. A cache directory that cannot be
    /// written (read-only filesystem, permissions) is replaced by
    /// `$TMPDIR/simdpar-mojo-$USER`, with a warning on stderr.
    pub fn with_config(config: CacheConfig) -> Result<Cache, MojoError> {
        let toolchain = match &config.mojo {
            Some(p) => Toolchain::at(p)?,
            None => Toolchain::discover()?,
        };
        let dir = match &config.dir {
            Some(d) => d.clone(),
            None => Cache::default_dir()?,
        };
        let dir = match prepare_dir(&dir) {
            Ok(()) => dir,
            // Not writable (read-only filesystem, permissions): fall back to
            // a private temporary cache, with a warning.
            Err(e) => {
                let user = std::env::var("USER").unwrap_or_else(|_| "user".into());
                let fallback = std::env::temp_dir().join(format!("simdpar-mojo-{user}"));
                if fallback == dir || prepare_dir(&fallback).is_err() {
                    return Err(e);
                }
                eprintln!(
                    "simdpar-mojo: warning: cache directory {} is not writable ({e}); using the temporary cache {} instead",
                    dir.display(),
                    fallback.display()
                );
                fallback
            }
        };
        let compiler_host = toolchain.effective_target(None, None)?;
        let host = Arc::new(HostCpu::detect(Some(&compiler_host.features)));
        Ok(Cache {
            dir,
            toolchain,
            host,
            config,
            stats: Mutex::new(CacheStats::default()),
        })
    }

    /// `$SIMDPAR_CACHE_DIR`, else `$XDG_CACHE_HOME/simdpar/mojo`, else
    /// `~/.cache/simdpar/mojo`.
    pub fn default_dir() -> Result<PathBuf, MojoError> {
        if let Some(d) = std::env::var_os(ENV_CACHE_DIR).filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(d));
        }
        if let Some(x) = std::env::var_os("XDG_CACHE_HOME").filter(|d| !d.is_empty()) {
            return Ok(PathBuf::from(x).join("simdpar").join("mojo"));
        }
        match std::env::var_os("HOME").filter(|d| !d.is_empty()) {
            Some(h) => Ok(PathBuf::from(h).join(".cache").join("simdpar").join("mojo")),
            None => Err(MojoError::InvalidArgument(format!(
                "no cache directory: set {ENV_CACHE_DIR}, XDG_CACHE_HOME or HOME"
            ))),
        }
    }

    /// The cache directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The toolchain used for compiling.
    pub fn toolchain(&self) -> &Toolchain {
        &self.toolchain
    }

    /// The CPU artifacts are checked against before loading.
    pub fn host(&self) -> &HostCpu {
        &self.host
    }

    /// The size cap in bytes.
    pub fn max_bytes(&self) -> u64 {
        self.config.max_bytes
    }

    /// Resolves the key inputs of `req` (reads the sources, asks the compiler
    /// for the effective target) without compiling.
    pub fn key_inputs(&self, req: &BuildRequest) -> Result<KeyInputs, MojoError> {
        req.validate()?;
        let source = req.source.bytes()?;
        let mut includes = Vec::new();
        for dir in &req.include_dirs {
            let mut files = Vec::new();
            collect_mojo_files(dir, &mut files)?;
            files.sort();
            for f in files {
                let bytes = fs::read(&f)
                    .map_err(|e| MojoError::io(format!("reading {}", f.display()), e))?;
                let rel = f.strip_prefix(dir).unwrap_or(&f).display().to_string();
                includes.push((rel, hex(&Sha256::digest(&bytes))));
            }
        }
        let (own_path, mut search) = match &req.source {
            Source::File(p) => (
                Some(p.as_path()),
                vec![p.parent().unwrap_or(Path::new(".")).to_path_buf()],
            ),
            Source::Inline { .. } => (None, Vec::new()),
        };
        search.extend(req.import_dirs.iter().cloned());
        search.extend(req.include_dirs.iter().cloned());
        let text = String::from_utf8_lossy(&source);
        for f in local_imports(&text, own_path, &search)? {
            let bytes =
                fs::read(&f).map_err(|e| MojoError::io(format!("reading {}", f.display()), e))?;
            includes.push((
                format!("import:{}", f.display()),
                hex(&Sha256::digest(&bytes)),
            ));
        }
        let target = self
            .toolchain
            .effective_target(req.target_cpu.as_deref(), req.target_features.as_deref())?;
        Ok(KeyInputs {
            format: CACHE_FORMAT,
            source_name: req.source.name(),
            source_sha256: hex(&Sha256::digest(&source)),
            includes,
            mojo_version: self.toolchain.version().to_string(),
            target,
            fp_mode: req.fp_mode.flag().to_string(),
            defines: req.defines.clone(),
            emit: req.emit.key_name().to_string(),
            opt_level: req.opt_level,
        })
    }

    /// The cache key of `req` (see [`KeyInputs::key`]).
    pub fn key(&self, req: &BuildRequest) -> Result<String, MojoError> {
        Ok(self.key_inputs(req)?.key())
    }

    /// Returns the artifact for `req`, compiling it at most once across
    /// threads and processes sharing the cache directory.
    pub fn build(&self, req: &BuildRequest) -> Result<Artifact, MojoError> {
        let inputs = self.key_inputs(req)?;
        let key = inputs.key();
        let entry = self.dir.join("entries").join(&key);
        let lock_path = self.dir.join("locks").join(format!("{key}.lock"));

        if let Ok(manifest) = validate_entry(&entry, &key, &inputs) {
            self.record_use(&lock_path);
            return self.finish_hit(entry, manifest);
        }

        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(|e| MojoError::io(format!("opening {}", lock_path.display()), e))?;
        lock.lock()
            .map_err(|e| MojoError::io(format!("locking {}", lock_path.display()), e))?;
        // Another process may have built it while we waited for the lock.
        let previous = match validate_entry(&entry, &key, &inputs) {
            Ok(manifest) => {
                touch(&lock);
                drop(lock);
                return self.finish_hit(entry, manifest);
            }
            Err(EntryState::Absent) => None,
            Err(EntryState::Invalid(reason)) => Some(reason),
        };
        let manifest = self.compile_locked(req, inputs, &key, &entry)?;
        touch(&lock);
        drop(lock);

        let outcome = match previous {
            None => BuildOutcome::Compiled,
            Some(reason) => BuildOutcome::Rebuilt { reason },
        };
        let delta = CacheStats {
            misses: 1,
            rebuilt_corrupt: u64::from(matches!(outcome, BuildOutcome::Rebuilt { .. })),
            compile_seconds: manifest.compile_seconds,
            ..CacheStats::default()
        };
        let evictions = self.evict_over_cap(&key)?;
        let delta = CacheStats { evictions, ..delta };
        self.record(&delta)?;
        Ok(Artifact {
            path: entry.join(&manifest.artifact_file),
            manifest,
            outcome,
            host: Arc::clone(&self.host),
        })
    }

    /// Counters of this `Cache` handle (this process only).
    pub fn stats(&self) -> CacheStats {
        *self.stats.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Entries, size and lifetime counters of the cache directory.
    pub fn info(&self) -> Result<CacheInfo, MojoError> {
        let entries = self.list_entries()?;
        let lifetime = {
            let _g = self.global_lock()?;
            read_stats(&self.dir)
        };
        Ok(CacheInfo {
            dir: self.dir.clone(),
            entries: entries.len(),
            total_bytes: entries.iter().map(|e| e.bytes).sum(),
            max_bytes: self.config.max_bytes,
            toolchain: self.toolchain.path().to_path_buf(),
            mojo_version: self.toolchain.version().to_string(),
            lifetime,
        })
    }

    /// Removes every entry, the staging area and the lifetime counters;
    /// returns the number of entries removed. Waits for builds in progress.
    pub fn clear(&self) -> Result<usize, MojoError> {
        let _g = self.global_lock()?;
        let mut removed = 0;
        for e in self.list_entries()? {
            let lock = self.open_lock(&e.key)?;
            lock.lock()
                .map_err(|err| MojoError::io(format!("locking entry {}", e.key), err))?;
            remove_dir(&e.dir)?;
            removed += 1;
        }
        let tmp = self.dir.join("tmp");
        remove_dir(&tmp)?;
        fs::create_dir_all(&tmp).map_err(|e| MojoError::io("recreating tmp", e))?;
        match fs::remove_file(self.dir.join("stats.json")) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(MojoError::io("removing stats.json", e)),
        }
        Ok(removed)
    }

    fn finish_hit(&self, entry: PathBuf, manifest: Manifest) -> Result<Artifact, MojoError> {
        self.record(&CacheStats {
            hits: 1,
            ..CacheStats::default()
        })?;
        Ok(Artifact {
            path: entry.join(&manifest.artifact_file),
            manifest,
            outcome: BuildOutcome::Hit,
            host: Arc::clone(&self.host),
        })
    }

    fn compile_locked(
        &self,
        req: &BuildRequest,
        inputs: KeyInputs,
        key: &str,
        entry: &Path,
    ) -> Result<Manifest, MojoError> {
        let n = STAGING_COUNTER.fetch_add(1, Ordering::Relaxed);
        let staging = self
            .dir
            .join("tmp")
            .join(format!("{key}-{}-{n}", std::process::id()));
        remove_dir(&staging)?;
        fs::create_dir_all(&staging)
            .map_err(|e| MojoError::io(format!("creating {}", staging.display()), e))?;
        let result = self.compile_in(req, inputs, key, entry, &staging);
        let _ = fs::remove_dir_all(&staging);
        result
    }

    fn compile_in(
        &self,
        req: &BuildRequest,
        inputs: KeyInputs,
        key: &str,
        entry: &Path,
        staging: &Path,
    ) -> Result<Manifest, MojoError> {
        let src_path = match &req.source {
            Source::File(p) => p.clone(),
            Source::Inline { name, text } => {
                let p = staging.join(name);
                fs::write(&p, text)
                    .map_err(|e| MojoError::io(format!("writing {}", p.display()), e))?;
                p
            }
        };
        let stem = Path::new(&inputs.source_name)
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "artifact".to_string());
        let artifact_file = match req.emit {
            EmitKind::SharedLib => format!("lib{stem}.{}", std::env::consts::DLL_EXTENSION),
            EmitKind::Executable => format!("{stem}{}", std::env::consts::EXE_SUFFIX),
            // CPython's extension loader wants `<module>.so`, not `lib<module>.so`.
            EmitKind::PythonExtension => format!("{stem}.so"),
        };
        let out = staging.join(&artifact_file);
        let mut cmd = mojo_command(self.toolchain.path());
        cmd.arg("build")
            .arg(&src_path)
            .args(["--emit", req.emit.flag()])
            .arg("-o")
            .arg(&out)
            .arg(format!("--optimization-level={}", req.opt_level))
            .args(["--fp-mode", req.fp_mode.flag()]);
        if let Some(cpu) = &req.target_cpu {
            cmd.args(["--target-cpu", cpu]);
        }
        if let Some(f) = &req.target_features {
            cmd.args(["--target-features", f]);
        }
        for (k, v) in &req.defines {
            cmd.arg("-D").arg(format!("{k}={v}"));
        }
        for d in req.include_dirs.iter().chain(&req.import_dirs) {
            cmd.arg("-I").arg(d);
        }
        let started = Instant::now();
        let (status, stderr) =
            run_with_timeout(cmd, self.config.compile_timeout).map_err(|e| match e {
                RunError::Timeout => MojoError::CompileTimeout {
                    source_name: inputs.source_name.clone(),
                    seconds: self.config.compile_timeout.as_secs_f64(),
                },
                RunError::Spawn(e) => MojoError::ToolchainBroken {
                    path: self.toolchain.path().to_path_buf(),
                    message: format!("cannot run `mojo build`: {e}"),
                },
            })?;
        let compile_seconds = started.elapsed().as_secs_f64();
        let mut stderr = clean_diagnostics(&stderr);
        if let Source::Inline { .. } = &req.source {
            let prefix = format!("{}{}", staging.display(), std::path::MAIN_SEPARATOR);
            stderr = stderr.replace(&prefix, "");
        }
        if !status.success() || !out.is_file() {
            let (location, mut message) = parse_compile_error(&stderr);
            if stderr.trim().is_empty() {
                // E.g. killed by a signal: say how it ended.
                message = format!("mojo build ended with {status} and printed nothing");
            }
            return Err(MojoError::Compile {
                location,
                message,
                stderr,
            });
        }
        let bytes =
            fs::read(&out).map_err(|e| MojoError::io(format!("reading {}", out.display()), e))?;
        let manifest = Manifest {
            key: key.to_string(),
            artifact_file: artifact_file.clone(),
            sha256: hex(&Sha256::digest(&bytes)),
            size: bytes.len() as u64,
            compile_seconds,
            created_unix: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or(0),
            inputs,
        };
        // Replace the entry: whatever an invalid entry held goes first (so
        // that no reader pairs an old manifest with the new artifact, and a
        // damaged entry, e.g. a directory where the artifact belongs, cannot
        // block the rebuild); the new manifest goes last.
        remove_dir(entry)?;
        fs::create_dir_all(entry)
            .map_err(|e| MojoError::io(format!("creating {}", entry.display()), e))?;
        let manifest_path = entry.join("manifest.json");
        fs::rename(&out, entry.join(&artifact_file))
            .map_err(|e| MojoError::io(format!("installing {artifact_file}"), e))?;
        let staged_manifest = staging.join("manifest.json");
        let json = serde_json::to_vec_pretty(&manifest).expect("manifest serializes");
        write_synced(&staged_manifest, &json)?;
        fs::rename(&staged_manifest, &manifest_path)
            .map_err(|e| MojoError::io("installing manifest.json", e))?;
        Ok(manifest)
    }

    fn record(&self, delta: &CacheStats) -> Result<(), MojoError> {
        self.stats
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .add(delta);
        let _g = self.global_lock()?;
        let mut total = read_stats(&self.dir);
        total.add(delta);
        let tmp = self
            .dir
            .join("tmp")
            .join(format!("stats-{}.json", std::process::id()));
        write_synced(
            &tmp,
            &serde_json::to_vec_pretty(&total).expect("stats serialize"),
        )?;
        fs::rename(&tmp, self.dir.join("stats.json"))
            .map_err(|e| MojoError::io("writing stats.json", e))
    }

    fn record_use(&self, lock_path: &Path) {
        if let Ok(f) = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(lock_path)
        {
            touch(&f);
        }
    }

    fn global_lock(&self) -> Result<File, MojoError> {
        let p = self.dir.join(".lock");
        let f = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(|e| MojoError::io(format!("opening {}", p.display()), e))?;
        f.lock()
            .map_err(|e| MojoError::io(format!("locking {}", p.display()), e))?;
        Ok(f)
    }

    fn open_lock(&self, key: &str) -> Result<File, MojoError> {
        let p = self.dir.join("locks").join(format!("{key}.lock"));
        OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&p)
            .map_err(|e| MojoError::io(format!("opening {}", p.display()), e))
    }

    fn list_entries(&self) -> Result<Vec<EntryInfo>, MojoError> {
        let root = self.dir.join("entries");
        let rd = fs::read_dir(&root)
            .map_err(|e| MojoError::io(format!("listing {}", root.display()), e))?;
        let mut out = Vec::new();
        for ent in rd.flatten() {
            let dir = ent.path();
            if !dir.is_dir() {
                continue;
            }
            let key = ent.file_name().to_string_lossy().into_owned();
            let mut bytes = 0;
            let mut newest = UNIX_EPOCH;
            if let Ok(files) = fs::read_dir(&dir) {
                for f in files.flatten() {
                    if let Ok(m) = f.metadata() {
                        bytes += m.len();
                        newest = newest.max(m.modified().unwrap_or(UNIX_EPOCH));
                    }
                }
            }
            let lock = self.dir.join("locks").join(format!("{key}.lock"));
            let last_used = fs::metadata(&lock)
                .and_then(|m| m.modified())
                .unwrap_or(newest);
            out.push(EntryInfo {
                key,
                dir,
                bytes,
                last_used,
            });
        }
        Ok(out)
    }

    fn evict_over_cap(&self, keep: &str) -> Result<u64, MojoError> {
        let _g = self.global_lock()?;
        let mut entries = self.list_entries()?;
        let mut total: u64 = entries.iter().map(|e| e.bytes).sum();
        if total <= self.config.max_bytes {
            return Ok(0);
        }
        entries.sort_by_key(|e| e.last_used);
        let mut evicted = 0;
        for e in entries {
            if total <= self.config.max_bytes {
                break;
            }
            if e.key == keep {
                continue;
            }
            let lock = self.open_lock(&e.key)?;
            // An entry being built or rebuilt right now is skipped.
            if lock.try_lock().is_err() {
                continue;
            }
            remove_dir(&e.dir)?;
            total = total.saturating_sub(e.bytes);
            evicted += 1;
        }
        Ok(evicted)
    }
}

struct EntryInfo {
    key: String,
    dir: PathBuf,
    bytes: u64,
    last_used: SystemTime,
}

enum EntryState {
    Absent,
    Invalid(String),
}

/// Creates the cache's subdirectories under `dir` and checks that a file
/// can be written there.
fn prepare_dir(dir: &Path) -> Result<(), MojoError> {
    for sub in ["entries", "locks", "tmp"] {
        fs::create_dir_all(dir.join(sub))
            .map_err(|e| MojoError::io(format!("creating cache directory {}", dir.display()), e))?;
    }
    let probe = dir
        .join("tmp")
        .join(format!(".probe-{}", std::process::id()));
    File::create(&probe)
        .map_err(|e| MojoError::io(format!("writing to cache directory {}", dir.display()), e))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// Checks that `entry` holds a manifest for `key` whose key inputs are
/// exactly `inputs` (a manifest edited to claim other target features is
/// invalid) and an artifact inside the entry matching its size and SHA-256.
fn validate_entry(entry: &Path, key: &str, inputs: &KeyInputs) -> Result<Manifest, EntryState> {
    let manifest_path = entry.join("manifest.json");
    let text = match fs::read(&manifest_path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(if entry.exists() {
                EntryState::Invalid("manifest.json missing".into())
            } else {
                EntryState::Absent
            });
        }
        Err(e) => return Err(EntryState::Invalid(format!("manifest unreadable: {e}"))),
    };
    let manifest: Manifest = serde_json::from_slice(&text)
        .map_err(|e| EntryState::Invalid(format!("manifest corrupt: {e}")))?;
    if manifest.key != key {
        return Err(EntryState::Invalid(format!(
            "manifest names key {}",
            manifest.key
        )));
    }
    if &manifest.inputs != inputs {
        return Err(EntryState::Invalid(
            "manifest key inputs (target features, flags) do not match the request".into(),
        ));
    }
    let plain_name = Path::new(&manifest.artifact_file)
        .file_name()
        .is_some_and(|n| n == manifest.artifact_file.as_str());
    if !plain_name {
        return Err(EntryState::Invalid(format!(
            "manifest names artifact {:?} outside its entry",
            manifest.artifact_file
        )));
    }
    let artifact = entry.join(&manifest.artifact_file);
    let mut bytes = Vec::new();
    File::open(&artifact)
        .and_then(|mut f| f.read_to_end(&mut bytes))
        .map_err(|e| EntryState::Invalid(format!("artifact unreadable: {e}")))?;
    if bytes.len() as u64 != manifest.size {
        return Err(EntryState::Invalid(format!(
            "artifact is {} bytes, manifest says {} (truncated?)",
            bytes.len(),
            manifest.size
        )));
    }
    let sum = hex(&Sha256::digest(&bytes));
    if sum != manifest.sha256 {
        return Err(EntryState::Invalid(format!(
            "artifact checksum {sum} does not match manifest {}",
            manifest.sha256
        )));
    }
    Ok(manifest)
}

fn read_stats(dir: &Path) -> CacheStats {
    fs::read(dir.join("stats.json"))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn touch(f: &File) {
    // Best effort: the mtime only orders LRU eviction.
    let _ = f.set_modified(SystemTime::now());
}

fn write_synced(path: &Path, bytes: &[u8]) -> Result<(), MojoError> {
    let mut f =
        File::create(path).map_err(|e| MojoError::io(format!("creating {}", path.display()), e))?;
    f.write_all(bytes)
        .and_then(|()| f.sync_all())
        .map_err(|e| MojoError::io(format!("writing {}", path.display()), e))
}

fn remove_dir(p: &Path) -> Result<(), MojoError> {
    match fs::remove_dir_all(p) {
        Ok(()) => Ok(()),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(MojoError::io(format!("removing {}", p.display()), e)),
    }
}

fn collect_mojo_files(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), MojoError> {
    let rd =
        fs::read_dir(dir).map_err(|e| MojoError::io(format!("listing {}", dir.display()), e))?;
    for ent in rd.flatten() {
        let p = ent.path();
        if p.is_dir() {
            collect_mojo_files(&p, out)?;
        } else if p.extension().is_some_and(|e| e == "mojo" || e == "🔥") {
            out.push(p);
        }
    }
    Ok(())
}

/// Drops the compiler's crash-reporter noise from diagnostics.
fn clean_diagnostics(stderr: &str) -> String {
    let mut s = String::new();
    for line in stderr.split_inclusive('\n') {
        if let Some(i) = line.find("Failed to initialize Crashpad") {
            s.push_str(&line[..i]);
            if !line[..i].is_empty() {
                s.push('\n');
            }
        } else {
            s.push_str(line);
        }
    }
    s
}

enum RunError {
    Spawn(std::io::Error),
    Timeout,
}

fn run_with_timeout(
    mut cmd: Command,
    timeout: Duration,
) -> Result<(std::process::ExitStatus, String), RunError> {
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().map_err(RunError::Spawn)?;
    let mut out_pipe = child.stdout.take().expect("stdout piped");
    let mut err_pipe = child.stderr.take().expect("stderr piped");
    // The readers report through channels: a child of the compiler that
    // outlives it may hold the pipes open, and the build must not wait for
    // it past the deadline.
    let (out_tx, out_rx) = std::sync::mpsc::channel();
    let (err_tx, err_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = out_pipe.read_to_end(&mut s);
        let _ = out_tx.send(s);
    });
    std::thread::spawn(move || {
        let mut s = Vec::new();
        let _ = err_pipe.read_to_end(&mut s);
        let _ = err_tx.send(s);
    });
    let deadline = Instant::now() + timeout;
    let status = loop {
        match child.try_wait() {
            Ok(Some(st)) => break st,
            Ok(None) if Instant::now() >= deadline => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(RunError::Timeout);
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            Err(e) => return Err(RunError::Spawn(e)),
        }
    };
    let left = || deadline.saturating_duration_since(Instant::now());
    let err = err_rx.recv_timeout(left()).unwrap_or_else(|_| {
        b"(the compiler exited but a process it started still holds its stderr)\n".to_vec()
    });
    let out = out_rx.recv_timeout(left()).unwrap_or_default();
    let mut text = String::from_utf8_lossy(&err).into_owned();
    let out = String::from_utf8_lossy(&out);
    if !out.trim().is_empty() {
        text.push_str(&out);
    }
    Ok((status, text))
}

/// Lower-case hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inputs() -> KeyInputs {
        KeyInputs {
            format: CACHE_FORMAT,
            source_name: "k.mojo".into(),
            source_sha256: hex(&Sha256::digest(b"def f(): pass")),
            includes: vec![],
            mojo_version: "Mojo 1.2.0 (2016d0cd)".into(),
            target: EffectiveTarget {
                triple: "x86_64-unknown-linux-gnu".into(),
                cpu: "x86-64-v3".into(),
                features: vec!["+avx2".into()],
            },
            fp_mode: FpMode::ContractOff.flag().into(),
            defines: BTreeMap::new(),
            emit: EmitKind::SharedLib.flag().into(),
            opt_level: 3,
        }
    }

    #[test]
    fn key_is_16_hex_and_depends_on_every_input() {
        let base = inputs();
        let k = base.key();
        assert_eq!(k.len(), 16);
        assert!(k.bytes().all(|b| b.is_ascii_hexdigit()));
        type Change = Box<dyn Fn(&mut KeyInputs)>;
        let variants: Vec<Change> = vec![
            Box::new(|i| i.source_sha256 = "00".into()),
            Box::new(|i| i.mojo_version = "Mojo 1.3.0".into()),
            Box::new(|i| i.target.cpu = "znver3".into()),
            Box::new(|i| i.target.triple = "aarch64-unknown-linux-gnu".into()),
            Box::new(|i| i.target.features.push("+avx512f".into())),
            Box::new(|i| i.fp_mode = FpMode::ContractFast.flag().into()),
            Box::new(|i| {
                i.defines.insert("SIMDPAR_F32_WIDTH".into(), "16".into());
            }),
            Box::new(|i| i.emit = EmitKind::Executable.flag().into()),
            Box::new(|i| i.emit = EmitKind::PythonExtension.key_name().into()),
            Box::new(|i| i.opt_level = 2),
            Box::new(|i| i.includes.push(("m.mojo".into(), "ab".into()))),
        ];
        for (n, change) in variants.iter().enumerate() {
            let mut i = base.clone();
            change(&mut i);
            assert_ne!(i.key(), k, "input change #{n} must change the key");
        }
        assert_eq!(inputs().key(), k, "key is deterministic");
    }

    #[test]
    fn request_validation() {
        let src = Source::Inline {
            name: "k.mojo".into(),
            text: String::new(),
        };
        assert!(BuildRequest::shared_lib(src.clone()).validate().is_ok());
        assert!(
            BuildRequest::shared_lib(src.clone())
                .define("A=B", "1")
                .validate()
                .is_err()
        );
        assert!(
            BuildRequest::shared_lib(src.clone())
                .opt_level(4)
                .validate()
                .is_err()
        );
        let bad = Source::Inline {
            name: "../k.mojo".into(),
            text: String::new(),
        };
        assert!(BuildRequest::shared_lib(bad).validate().is_err());
    }

    #[test]
    fn crashpad_noise_is_removed() {
        let s =
            clean_diagnostics("a.mojo:1:1: error: x\nFailed to initialize Crashpad.  Cause: y\n");
        assert_eq!(s, "a.mojo:1:1: error: x\n");
        let s = clean_diagnostics("okFailed to initialize Crashpad. z\n");
        assert_eq!(s, "ok\n");
    }

    #[test]
    fn hex_encodes() {
        assert_eq!(hex(&[0x00, 0xab, 0x10]), "00ab10");
    }
}
