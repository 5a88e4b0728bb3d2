//! Tuned profiles: what `simdpar tune` measured on this CPU, read once per
//! process and used where no override says otherwise.
//!
//! # Where
//!
//! `$SIMDPAR_TUNE_FILE` if set, else `$XDG_CACHE_HOME/simdpar/tune-<id>.txt`
//! (`~/.cache/...` without `XDG_CACHE_HOME`), where `<id>` is a hash of
//! [`cpu_identity`]. `SIMDPAR_NO_TUNE=1` ignores any profile.
//!
//! # Format (version 1)
//!
//! Plain text, one record per line, fields separated by spaces, `#` starts a
//! comment line, blank lines are ignored:
//!
//! ```text
//! simdpar-tune 1
//! cpu x86_64:AuthenticAMD:25.17.1:2:avx2,avx512f,...
//! # entry <family> <dtype> <class> <isa> <threads-from> [<split-isa>]
//! entry map f32 cache avx2 65536 avx2
//! entry reduce f64 llc avx512 0 avx2
//! entry mandelbrot f32 llc avx512 never
//! # nt <dtype> <bytes> [<kernel>]: out-of-place maps use non-temporal
//! # stores from this much output, where their touched bytes also outgrow
//! # the LLC; with `add` or `scale`, only for two- or one-input maps
//! nt f32 16777216
//! nt f32 33554432 scale
//! # prefetch <dtype> on|off: reductions beyond the LLC prefetch ahead
//! prefetch f32 on
//! ```
//!
//! `family` is `reduce`, `map` or `mandelbrot`, or one of the kernels in
//! [`KERNEL_GROUPS`] (`sum`, `row_sums`, `add`, `scale`), whose entry wins
//! over its family's for the kernels it stands for; `dtype` is `f32` or
//! `f64`; `class` is a [`SizeClass`] name; `isa` runs calls on one thread;
//! `threads-from` is the size (elements of the named kernel, or of the
//! family's representative `sum` / `add`; pixels x iterations for
//! Mandelbrot) from which the kernel splits between threads, or `never`;
//! `split-isa` runs calls split between threads (an ISA can win on one
//! thread and lose on two: on the 2-vCPU Zen 5, `sum` f64 in the LLC ran
//! fastest on avx512 alone and on avx2 split). Without `split-isa` (the
//! tuner wrote none before it measured both) split calls run `isa`. The
//! first line must be `simdpar-tune 1`; any line
//! that does not parse makes the whole profile corrupt (it is then ignored
//! with a warning). A profile whose `cpu` line is not this CPU's identity is
//! ignored with a note: its measurements say nothing about this machine.
//!
//! # Messages
//!
//! Loading never fails a kernel call. What happened is [`profile_status`]
//! (for `simdpar info`, `cpu_info()` in Python and tests); a corrupt profile
//! also prints one warning line on stderr, once per process.
//!
//! Only a regular file of at most [`MAX_PROFILE_BYTES`] is read: a FIFO, a
//! device (`/dev/zero`), a directory or a huge file is ignored with one
//! warning line, so that a bad `SIMDPAR_TUNE_FILE` can neither block the
//! first kernel call nor read until memory runs out.

use crate::Isa;
use std::collections::BTreeMap;
use std::fmt;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock};

/// Environment variable naming the profile file (overrides the cache dir).
pub const ENV_TUNE_FILE: &str = "SIMDPAR_TUNE_FILE";
/// Environment variable that, set to `1`, makes simdpar ignore any profile.
pub const ENV_NO_TUNE: &str = "SIMDPAR_NO_TUNE";
/// The largest profile file read (1 MiB; a real one is a few KiB): a larger
/// file is ignored with a warning.
pub const MAX_PROFILE_BYTES: u64 = 1 << 20;
/// The first line of every profile of this format version.
pub const PROFILE_HEADER: &str = "simdpar-tune 1";

/// The kernel families a profile has entries for. This crate sits below
/// the kernels' vocabulary (`simdpar_kernels::vocab`), so the names here
/// are spelled out; a test of the plan checks that these lists are exactly
/// the vocabulary's names.
pub const FAMILIES: [&str; 3] = ["reduce", "map", "mandelbrot"];
/// The kernels the tuner measures on their own where kernels of one family
/// differ: `sum` and `row_sums` (reductions), `add` (maps with two inputs:
/// `add`, `multiply`) and `scale` (one input: `square`, `scale`,
/// `leaky_relu`). An entry for one of these wins over its family's entry.
pub const KERNEL_GROUPS: [&str; 4] = ["sum", "row_sums", "add", "scale"];
/// The kernels an `nt` line may name: `add` for the two-input maps,
/// `scale` for the one-input maps.
pub const NT_KERNELS: [&str; 2] = ["add", "scale"];
/// The dtypes a profile has entries for.
pub const DTYPES: [&str; 2] = ["f32", "f64"];

/// Where a kernel's data lives, by bytes touched against this CPU's caches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SizeClass {
    /// Fits in one core's L2 (L1 and L2 together).
    Cache,
    /// Fits in the last-level cache.
    Llc,
    /// Larger than the last-level cache: memory-bound.
    Dram,
}

impl SizeClass {
    /// Every class, smallest first.
    pub const ALL: [SizeClass; 3] = [SizeClass::Cache, SizeClass::Llc, SizeClass::Dram];

    /// `cache`, `llc` or `dram`.
    pub const fn name(self) -> &'static str {
        match self {
            SizeClass::Cache => "cache",
            SizeClass::Llc => "llc",
            SizeClass::Dram => "dram",
        }
    }

    /// Parses [`SizeClass::name`].
    pub fn from_name(name: &str) -> Option<SizeClass> {
        SizeClass::ALL.into_iter().find(|c| c.name() == name)
    }

    /// The class of a kernel touching `bytes` bytes on this CPU: up to the
    /// L2 size is `Cache`, up to the last-level cache `Llc`, beyond `Dram`
    /// (256 KiB and 8 MiB where the CPU does not report its caches).
    #[inline]
    pub fn of_bytes(bytes: usize) -> SizeClass {
        let (l2, llc) = cache_limits();
        SizeClass::of_bytes_within(bytes, l2, llc)
    }

    /// [`SizeClass::of_bytes`] against given cache sizes (`l2`, `llc` in
    /// bytes) instead of this CPU's: how a plan built for another CPU's
    /// caches classes a call.
    #[inline]
    pub fn of_bytes_within(bytes: usize, l2: usize, llc: usize) -> SizeClass {
        if bytes <= l2 {
            SizeClass::Cache
        } else if bytes <= llc {
            SizeClass::Llc
        } else {
            SizeClass::Dram
        }
    }
}

impl fmt::Display for SizeClass {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// `(L2 bytes, last-level cache bytes)` of `info`'s CPU: 256 KiB for an
/// unreported L2, the larger of L2 and 8 MiB for an unreported L3.
pub fn cache_limits_of(info: &crate::CpuInfo) -> (usize, usize) {
    let l2 = info.cache_bytes(2).unwrap_or(256 << 10) as usize;
    let llc = info.cache_bytes(3).map_or(l2.max(8 << 20), |b| b as usize);
    (l2, llc.max(l2))
}

/// `(L2 bytes, last-level cache bytes)` of this CPU, read once.
#[inline]
pub fn cache_limits() -> (usize, usize) {
    static LIMITS: OnceLock<(usize, usize)> = OnceLock::new();
    *LIMITS.get_or_init(|| cache_limits_of(&crate::cpu_info()))
}

/// Bytes of this CPU's level-1 data cache, read once (32 KiB when CPUID
/// does not say).
#[inline]
pub fn l1_data_bytes() -> usize {
    static L1: OnceLock<usize> = OnceLock::new();
    *L1.get_or_init(|| crate::cpu_info().cache_bytes(1).unwrap_or(32 << 10) as usize)
}

/// What a profile says for one family x dtype x size class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuned {
    /// The fastest ISA measured on one thread: calls that do not split.
    pub isa: Isa,
    /// The fastest ISA measured on all threads: calls that split (the same
    /// as `isa` where splitting never paid).
    pub split_isa: Isa,
    /// Size (elements; pixels x iterations for Mandelbrot) from which
    /// splitting between threads paid; `None`: it never did.
    pub threads_from: Option<u64>,
}

/// A tuned profile (see the module docs for the file format).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// The [`cpu_identity`] of the CPU it was measured on.
    pub cpu: String,
    /// Per (family, dtype, class).
    pub entries: BTreeMap<(String, String, SizeClass), Tuned>,
    /// Per dtype: output bytes from which out-of-place maps stream.
    pub nt_bytes: BTreeMap<String, u64>,
    /// Per (kernel, dtype): the same for the maps a kernel of
    /// [`NT_KERNELS`] stands for (`add`: two inputs, `scale`: one), where
    /// measured apart; wins over `nt_bytes`.
    pub nt_kernel: BTreeMap<(String, String), u64>,
    /// Per dtype: whether reductions beyond the last-level cache prefetch
    /// ahead of their loads (`simdpar_kernels::reduce::Fetch`).
    pub prefetch: BTreeMap<String, bool>,
}

/// Why a profile text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    /// 1-based line number (0: the text as a whole).
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ProfileError {}

impl Profile {
    /// An empty profile for this CPU.
    pub fn for_this_cpu() -> Profile {
        Profile {
            cpu: cpu_identity(),
            ..Profile::default()
        }
    }

    /// The entry for `family` x `dtype` x `class`, if measured.
    pub fn get(&self, family: &str, dtype: &str, class: SizeClass) -> Option<Tuned> {
        self.entries
            .get(&(family.to_string(), dtype.to_string(), class))
            .copied()
    }

    /// The non-temporal store threshold (output bytes) for `dtype`, if measured.
    pub fn nt(&self, dtype: &str) -> Option<u64> {
        self.nt_bytes.get(dtype).copied()
    }

    /// The non-temporal store threshold (output bytes) for the maps
    /// `kernel` (one of [`NT_KERNELS`]) stands for: its own if measured,
    /// else the dtype's.
    pub fn nt_for(&self, kernel: &str, dtype: &str) -> Option<u64> {
        self.nt_kernel
            .get(&(kernel.to_string(), dtype.to_string()))
            .copied()
            .or_else(|| self.nt(dtype))
    }

    /// Whether DRAM-sized reductions of `dtype` prefetch ahead, if measured.
    pub fn prefetch(&self, dtype: &str) -> Option<bool> {
        self.prefetch.get(dtype).copied()
    }

    /// Parses the text format (see the module docs). Never panics.
    pub fn from_text(text: &str) -> Result<Profile, ProfileError> {
        let err = |line: usize, message: String| ProfileError { line, message };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        match lines.next() {
            Some((_, PROFILE_HEADER)) => {}
            Some((n, other)) => {
                return Err(err(
                    n,
                    format!("expected `{PROFILE_HEADER}`, found `{other}`"),
                ));
            }
            None => return Err(err(0, "empty profile".into())),
        }
        let mut p = Profile::default();
        for (n, line) in lines {
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                ["cpu", id] => p.cpu = id.to_string(),
                ["entry", fam, dt, class, isa, from, split @ ..] if split.len() <= 1 => {
                    if !FAMILIES.contains(fam) && !KERNEL_GROUPS.contains(fam) {
                        return Err(err(n, format!("unknown family or kernel `{fam}`")));
                    }
                    if !DTYPES.contains(dt) {
                        return Err(err(n, format!("unknown dtype `{dt}`")));
                    }
                    let class = SizeClass::from_name(class)
                        .ok_or_else(|| err(n, format!("unknown size class `{class}`")))?;
                    let isa_named = |name: &str| {
                        Isa::ALL
                            .into_iter()
                            .find(|i| i.name() == name)
                            .ok_or_else(|| err(n, format!("unknown ISA `{name}`")))
                    };
                    let isa = isa_named(isa)?;
                    let split_isa = match split {
                        [name] => isa_named(name)?,
                        _ => isa,
                    };
                    let threads_from = match *from {
                        "never" => None,
                        v => Some(v.parse::<u64>().map_err(|_| {
                            err(n, format!("threads-from `{v}` is not a size or `never`"))
                        })?),
                    };
                    let key = (fam.to_string(), dt.to_string(), class);
                    let tuned = Tuned {
                        isa,
                        split_isa,
                        threads_from,
                    };
                    if p.entries.insert(key, tuned).is_some() {
                        return Err(err(n, "duplicate entry".into()));
                    }
                }
                ["nt", dt, bytes] if DTYPES.contains(dt) => {
                    let b = bytes
                        .parse::<u64>()
                        .map_err(|_| err(n, format!("nt bytes `{bytes}` is not a number")))?;
                    p.nt_bytes.insert(dt.to_string(), b);
                }
                ["nt", dt, bytes, kernel] if DTYPES.contains(dt) => {
                    if !NT_KERNELS.contains(kernel) {
                        return Err(err(n, format!("nt for unknown kernel `{kernel}`")));
                    }
                    let b = bytes
                        .parse::<u64>()
                        .map_err(|_| err(n, format!("nt bytes `{bytes}` is not a number")))?;
                    p.nt_kernel.insert((kernel.to_string(), dt.to_string()), b);
                }
                ["prefetch", dt, on] if DTYPES.contains(dt) => {
                    let on = match *on {
                        "on" => true,
                        "off" => false,
                        v => return Err(err(n, format!("prefetch `{v}` is not `on` or `off`"))),
                    };
                    p.prefetch.insert(dt.to_string(), on);
                }
                _ => return Err(err(n, format!("cannot read `{line}`"))),
            }
        }
        if p.cpu.is_empty() {
            return Err(err(0, "no `cpu` line".into()));
        }
        Ok(p)
    }

    /// The text format, readable by [`Profile::from_text`].
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{PROFILE_HEADER}\n# written by simdpar's tuner; see simdpar_dispatch::profile\ncpu {}\n\
             # entry <family> <dtype> <class> <isa (one thread)> <threads-from (elements; mandelbrot: pixels x iterations) | never> <split-isa (calls split between threads)>\n",
            self.cpu
        );
        for ((fam, dt, class), t) in &self.entries {
            let from = t
                .threads_from
                .map_or("never".to_string(), |v| v.to_string());
            s += &format!(
                "entry {fam} {dt} {class} {} {from} {}\n",
                t.isa.name(),
                t.split_isa.name()
            );
        }
        s += "# nt <dtype> <output bytes from which out-of-place maps use non-temporal stores>\n";
        for (dt, b) in &self.nt_bytes {
            s += &format!("nt {dt} {b}\n");
        }
        if !self.nt_kernel.is_empty() {
            s += "# nt <dtype> <output bytes> <kernel: add (two-input maps) | scale (one-input maps)>\n";
        }
        for ((k, dt), b) in &self.nt_kernel {
            s += &format!("nt {dt} {b} {k}\n");
        }
        if !self.prefetch.is_empty() {
            s += "# prefetch <dtype> <on | off: reductions beyond the last-level cache prefetch ahead>\n";
        }
        for (dt, on) in &self.prefetch {
            s += &format!("prefetch {dt} {}\n", if *on { "on" } else { "off" });
        }
        s
    }
}

/// This CPU's identity, as a profile's `cpu` line holds it:
/// `arch:vendor:family.model.stepping:logical-cpus:features` (no spaces).
pub fn cpu_identity() -> String {
    let i = crate::cpu_info();
    let id = format!(
        "{}:{}:{}.{}.{}:{}:{}",
        i.arch,
        i.vendor,
        i.family,
        i.model,
        i.stepping,
        i.logical_cpus,
        i.features.join(",")
    );
    id.split_whitespace().collect::<Vec<_>>().join("_")
}

/// A short, stable hash of [`cpu_identity`] (FNV-1a, 64 bits, hex) for
/// the profile's file name.
pub fn cpu_identity_hash() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in cpu_identity().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

/// Where this process reads and the tuner writes the profile:
/// `SIMDPAR_TUNE_FILE`, else the user's cache dir; `None` when neither it
/// nor `HOME` is known.
pub fn profile_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(ENV_TUNE_FILE).filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .filter(|p| !p.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))?;
    Some(
        base.join("simdpar")
            .join(format!("tune-{}.txt", cpu_identity_hash())),
    )
}

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
                cpu_identity()
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

/// Reads the profile from the file (no caching, no messages).
fn load_file() -> (Option<Arc<Profile>>, ProfileStatus) {
    if std::env::var(ENV_NO_TUNE).is_ok_and(|v| v.trim() == "1") {
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
    let text = match String::from_utf8(bytes) {
        Ok(t) => t,
        Err(_) => {
            let error = "not UTF-8 text".to_string();
            return (None, ProfileStatus::Corrupt { path, error });
        }
    };
    match Profile::from_text(&text) {
        Ok(p) if p.cpu == cpu_identity() => (Some(Arc::new(p)), ProfileStatus::Loaded(path)),
        Ok(p) => (None, ProfileStatus::OtherCpu { path, found: p.cpu }),
        Err(e) => {
            let error = e.to_string();
            (None, ProfileStatus::Corrupt { path, error })
        }
    }
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
fn read_small_regular_file(path: &std::path::Path) -> std::io::Result<Result<Vec<u8>, String>> {
    use std::io::Read;
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

type Current = (Option<Arc<Profile>>, ProfileStatus);

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
    *installed = profile.map(|p| {
        if p.cpu == cpu_identity() {
            (Some(Arc::new(p)), ProfileStatus::Installed)
        } else {
            let status = ProfileStatus::OtherCpu {
                path: PathBuf::from("<installed>"),
                found: p.cpu,
            };
            (None, status)
        }
    });
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Writes `profile` to [`profile_path`] (directories created), returning
/// the path.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Profile {
        let mut p = Profile::for_this_cpu();
        p.entries.insert(
            ("map".into(), "f32".into(), SizeClass::Dram),
            Tuned {
                isa: Isa::Scalar,
                split_isa: Isa::Portable,
                threads_from: Some(1000),
            },
        );
        p.entries.insert(
            ("mandelbrot".into(), "f64".into(), SizeClass::Cache),
            Tuned {
                isa: Isa::Portable,
                split_isa: Isa::Portable,
                threads_from: None,
            },
        );
        p.entries.insert(
            ("row_sums".into(), "f32".into(), SizeClass::Llc),
            Tuned {
                isa: Isa::Avx512,
                split_isa: Isa::Avx2,
                threads_from: Some(0),
            },
        );
        p.nt_bytes.insert("f64".into(), 1 << 24);
        p.nt_kernel.insert(("scale".into(), "f32".into()), 1 << 25);
        p.prefetch.insert("f32".into(), false);
        p.prefetch.insert("f64".into(), true);
        p
    }

    #[test]
    fn text_round_trips() {
        let p = sample();
        assert_eq!(Profile::from_text(&p.to_text()), Ok(p));
    }

    #[test]
    fn a_kernel_nt_line_wins_over_its_dtype_line() {
        let p = sample();
        assert_eq!(p.nt_for("scale", "f32"), Some(1 << 25));
        assert_eq!(p.nt_for("add", "f32"), None);
        assert_eq!(p.nt_for("scale", "f64"), Some(1 << 24));
        assert_eq!(p.nt_for("add", "f64"), Some(1 << 24));
    }

    #[test]
    fn corrupt_texts_are_errors_with_a_line() {
        let good = sample().to_text();
        assert!(Profile::from_text("").is_err());
        assert!(Profile::from_text("simdpar-tune 2\ncpu x\n").is_err());
        for bad in [
            "entry map f32 cache avx9 10",
            "entry map f16 cache avx2 10",
            "entry map f32 l4 avx2 10",
            "entry blur f32 cache avx2 10",
            "entry map f32 cache avx2 ten",
            "entry map f32 dram scalar 5",
            "entry map f64 dram scalar 5 avx9",
            "entry map f64 dram scalar 5 avx2 avx2",
            "nt f32 lots",
            "nt f32 10 square",
            "nt f32 ten scale",
            "prefetch f32 maybe",
            "prefetch f16 on",
            "garbage",
        ] {
            let text = format!("{good}{bad}\n");
            let e = Profile::from_text(&text).unwrap_err();
            assert!(e.line > 0, "{bad}: {e}");
        }
        let no_cpu = format!("{PROFILE_HEADER}\nentry map f32 cache avx2 10\n");
        assert!(Profile::from_text(&no_cpu).is_err());
    }

    #[test]
    fn an_entry_without_a_split_isa_splits_on_its_isa() {
        let text = format!(
            "{PROFILE_HEADER}\ncpu x\nentry reduce f64 llc avx512 0\nentry map f32 llc avx512 0 avx2\n"
        );
        let p = Profile::from_text(&text).unwrap();
        let old = p.get("reduce", "f64", SizeClass::Llc).unwrap();
        assert_eq!((old.isa, old.split_isa), (Isa::Avx512, Isa::Avx512));
        let new = p.get("map", "f32", SizeClass::Llc).unwrap();
        assert_eq!((new.isa, new.split_isa), (Isa::Avx512, Isa::Avx2));
        assert!(
            p.to_text()
                .contains("entry reduce f64 llc avx512 0 avx512\n")
        );
    }

    #[test]
    fn classes_grow_with_bytes() {
        let (l2, llc) = cache_limits();
        assert_eq!(SizeClass::of_bytes(0), SizeClass::Cache);
        assert_eq!(SizeClass::of_bytes(l2), SizeClass::Cache);
        if llc > l2 {
            assert_eq!(SizeClass::of_bytes(l2 + 1), SizeClass::Llc);
        }
        assert_eq!(SizeClass::of_bytes(llc + 1), SizeClass::Dram);
    }

    #[test]
    fn identity_has_no_spaces_and_a_stable_hash() {
        assert!(!cpu_identity().contains(' '));
        assert_eq!(cpu_identity_hash(), cpu_identity_hash());
        assert_eq!(cpu_identity_hash().len(), 16);
    }
}
