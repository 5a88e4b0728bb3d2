//! Fault injection into the Mojo compile cache. Each fault must end in a
//! typed [`MojoError`] or a correct rebuild, and no partial artifact may
//! ever be loaded.
//!
//! Most faults are injected through a fake `mojo` (a shell script given as
//! the toolchain) that answers `--version` and `--print-effective-target`
//! like the real one and "compiles" by copying a real shared library built
//! once with the C compiler (it exports `answer() -> 42`), or misbehaves on
//! demand: killed by SIGKILL after writing half the output, hanging past the
//! timeout, failing with ENOSPC. These tests need `sh` and `cc`, not Mojo.
//! One test kills the real `mojo build` mid-compile (skipped loudly without
//! Mojo). The read-only directory and full filesystem tests mount a tmpfs
//! when running as root; otherwise they fall back to `chmod` (read-only) and
//! the fake compiler's simulated ENOSPC, and say so.
//!
//! Not repeated here (see `tests/cache.rs`): 8 racing processes, truncated
//! and bit-flipped artifacts, the x86-64-v4 refusal, syntax errors, LRU
//! eviction, the real compiler's timeout, a missing `$SIMDPAR_MOJO`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use simdpar_mojo::{BuildOutcome, BuildRequest, Cache, CacheConfig, Manifest, MojoError, Source};

/// The library the fake compiler "produces": `answer() -> 42`.
const ANSWER: isize = 42;

/// A directory holding a fake `mojo` script and the library it copies.
struct Fake {
    dir: tempfile::TempDir,
}

fn strict() -> bool {
    simdpar_mojo::mojo_required()
}

/// Loud skip (a failure under `SIMDPAR_CI=1`).
fn skip(test: &str, why: &str) {
    if strict() {
        panic!("SIMDPAR_CI=1: {test} cannot run: {why}");
    }
    let _ = writeln!(
        std::io::stderr(),
        "\n**** SKIPPED: {test} ({why}); set SIMDPAR_CI=1 to make this a failure ****"
    );
}

const FAKE_MOJO: &str = r#"#!/bin/sh
# Fake `mojo` for fault injection (simdpar-mojo tests/faults.rs).
here="$(dirname "$0")"
case "$1" in
  --version) echo "Mojo 0.0.0-fake (fault injection)"; exit 0 ;;
esac
if [ "$1" = build ] && [ "$2" = --print-effective-target ]; then
  cpu=fake-cpu; feats=""
  prev=""
  for a in "$@"; do
    [ "$prev" = --target-cpu ] && cpu="$a"
    prev="$a"
  done
  # A CPU named needs-* requires a feature no real CPU has.
  case "$cpu" in needs-*) feats="+simdpar-fake-feature" ;; esac
  echo "Effective target configuration:"
  echo "  --target-triple fake-unknown-linux-gnu"
  echo "  --target-cpu $cpu"
  echo "  --target-features $feats"
  exit 0
fi
out=""; prev=""
for a in "$@"; do
  [ "$prev" = -o ] && out="$a"
  prev="$a"
done
echo "$$ $*" >> "$here/calls.log"
mode="$(cat "$here/mode" 2>/dev/null)"
case "$mode" in
  sigkill)
    head -c 1000 "$here/libgood.so" > "$out"
    kill -9 $$ ;;
  hang)
    head -c 1000 "$here/libgood.so" > "$out"
    echo $$ > "$here/hang.pid"
    exec sleep 300 ;;
  enospc)
    head -c 1000 "$here/libgood.so" > "$out"
    echo "error: failed to write $out: No space left on device (os error 28)" >&2
    exit 1 ;;
  orphan)
    # Leaves a grandchild holding stdout/stderr open, then succeeds.
    sleep 300 &
    echo $! > "$here/orphan.pid"
    cp "$here/libgood.so" "$out" || exit 1 ;;
  bigwrite)
    # Writes 4 MiB first (fails on a small filesystem), then the library.
    head -c 4194304 /dev/zero > "$out" || exit 1
    cp "$here/libgood.so" "$out" || exit 1 ;;
  *)
    cp "$here/libgood.so" "$out" || exit 1 ;;
esac
exit 0
"#;

impl Fake {
    /// Builds the fake toolchain, or `None` (loud skip) without `cc`.
    fn new(test: &str) -> Option<Fake> {
        let dir = tempfile::Builder::new()
            .prefix("simdpar-fake-mojo-")
            .tempdir()
            .unwrap();
        let c = dir.path().join("good.c");
        fs::write(&c, "long answer(void) { return 42; }\n").unwrap();
        let so = dir.path().join("libgood.so");
        let built = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
            .args(["-shared", "-fPIC", "-O1", "-o"])
            .arg(&so)
            .arg(&c)
            .status();
        if !matches!(built, Ok(s) if s.success()) {
            skip(
                test,
                "no working C compiler `cc` to build the fake artifact",
            );
            return None;
        }
        let mojo = dir.path().join("mojo");
        fs::write(&mojo, FAKE_MOJO).unwrap();
        set_mode(&mojo, 0o755);
        Some(Fake { dir })
    }

    fn mojo(&self) -> PathBuf {
        self.dir.path().join("mojo")
    }

    /// Sets the behaviour of the next `mojo build`.
    fn mode(&self, mode: &str) {
        fs::write(self.dir.path().join("mode"), mode).unwrap();
    }

    fn builds(&self) -> usize {
        fs::read_to_string(self.dir.path().join("calls.log"))
            .map(|s| s.lines().count())
            .unwrap_or(0)
    }

    fn config(&self, cache_dir: &Path) -> CacheConfig {
        CacheConfig {
            dir: Some(cache_dir.to_path_buf()),
            mojo: Some(self.mojo()),
            ..CacheConfig::default()
        }
    }

    fn cache(&self, cache_dir: &Path) -> Cache {
        Cache::with_config(self.config(cache_dir)).expect("fake toolchain opens")
    }
}

fn set_mode(p: &Path, mode: u32) {
    use std::os::unix::fs::PermissionsExt;
    fs::set_permissions(p, fs::Permissions::from_mode(mode)).unwrap();
}

fn source(name: &str) -> Source {
    Source::Inline {
        name: name.into(),
        text: format!(
            "# {name}\n@export(\"answer\")\ndef answer() abi(\"C\") -> Int:\n    return 42\n"
        ),
    }
}

fn call_answer(lib: &simdpar_mojo::Library) -> isize {
    // SAFETY: both the fake library and `simdpar_mojo_test_support::answer_source` export
    // `answer` as `() -> long`.
    let f: unsafe extern "C" fn() -> isize = unsafe { lib.symbol("answer") }.expect("answer");
    // SAFETY: as above; `lib` outlives the call.
    unsafe { f() }
}

/// Entries that exist, and files left in the staging area.
fn entries(cache: &Cache) -> usize {
    cache.info().expect("info").entries
}

fn staging_leftovers(cache: &Cache) -> Vec<PathBuf> {
    fs::read_dir(cache.dir().join("tmp"))
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default()
}

/// Builds `req` with the fake in good mode, loads and calls it.
fn rebuild_and_call(fake: &Fake, cache: &Cache, req: &BuildRequest) -> BuildOutcome {
    fake.mode("good");
    let art = cache.build(req).expect("rebuild after the fault");
    let lib = art.load().expect("load the rebuilt artifact");
    assert_eq!(call_answer(&lib), ANSWER);
    art.outcome().clone()
}

#[test]
fn compiler_sigkilled_mid_build_leaves_nothing_then_rebuilds() {
    let Some(fake) = Fake::new("compiler_sigkilled_mid_build") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = fake.cache(dir.path());
    let req = BuildRequest::shared_lib(source("killed.mojo"));
    fake.mode("sigkill");
    match cache.build(&req) {
        Err(MojoError::Compile { message, .. }) => {
            assert!(message.contains("signal"), "{message}");
        }
        Ok(a) => panic!("a SIGKILLed compile produced an artifact: {:?}", a.path()),
        Err(e) => panic!("expected a Compile error, got {e:?}"),
    }
    assert_eq!(entries(&cache), 0, "no entry from a killed compile");
    assert!(staging_leftovers(&cache).is_empty(), "staging cleaned up");
    assert_eq!(
        rebuild_and_call(&fake, &cache, &req),
        BuildOutcome::Compiled
    );
    assert_eq!(fake.builds(), 2);
    // And it is a hit from now on.
    assert_eq!(cache.build(&req).unwrap().outcome(), &BuildOutcome::Hit);
}

/// A process killed between installing the artifact and its manifest (or
/// while writing a manifest in place, or leaving a staging directory behind)
/// leaves an entry that must be rebuilt, never loaded.
#[test]
fn entries_left_by_a_killed_process_are_rebuilt_not_loaded() {
    let Some(fake) = Fake::new("entries_left_by_a_killed_process") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = fake.cache(dir.path());
    let req = BuildRequest::shared_lib(source("half.mojo"));
    let art = cache.build(&req).expect("first build");
    let entry = art.path().parent().unwrap().to_path_buf();
    let manifest_path = entry.join("manifest.json");
    let good_manifest = fs::read(&manifest_path).unwrap();
    let lib_bytes = fs::read(art.path()).unwrap();

    type Damage = (&'static str, &'static str, Box<dyn Fn(&Path, &Path)>);
    let damages: Vec<Damage> = vec![
        (
            "artifact installed, manifest missing",
            "manifest.json missing",
            Box::new(|_, m| fs::remove_file(m).unwrap()),
        ),
        (
            "manifest cut short",
            "manifest corrupt",
            Box::new(|_, m| {
                let t = fs::read(m).unwrap();
                fs::write(m, &t[..t.len() / 2]).unwrap();
            }),
        ),
        (
            "manifest empty",
            "manifest corrupt",
            Box::new(|_, m| fs::write(m, b"").unwrap()),
        ),
        (
            "artifact missing",
            "artifact unreadable",
            Box::new(|a, _| fs::remove_file(a).unwrap()),
        ),
        (
            "artifact zero bytes",
            "truncated",
            Box::new(|a, _| fs::write(a, b"").unwrap()),
        ),
        (
            "artifact replaced by a directory",
            "artifact unreadable",
            Box::new(|a, _| {
                fs::remove_file(a).unwrap();
                fs::create_dir(a).unwrap();
            }),
        ),
        (
            "artifact with garbage appended",
            "truncated",
            Box::new(|a, _| {
                let mut f = fs::OpenOptions::new().append(true).open(a).unwrap();
                f.write_all(b"\0garbage").unwrap();
            }),
        ),
    ];
    for (what, reason_has, damage) in &damages {
        // Restore a good entry, then damage it.
        if art.path().is_dir() {
            fs::remove_dir(art.path()).unwrap();
        }
        fs::write(art.path(), &lib_bytes).unwrap();
        fs::write(&manifest_path, &good_manifest).unwrap();
        assert_eq!(cache.build(&req).unwrap().outcome(), &BuildOutcome::Hit);
        damage(art.path(), &manifest_path);
        // A killed process may also leave its staging directory behind.
        fs::create_dir_all(dir.path().join("tmp/deadbeef-999999-0")).unwrap();
        fs::write(
            dir.path().join("tmp/deadbeef-999999-0/libhalf.so"),
            b"\x7fELF",
        )
        .unwrap();
        match rebuild_and_call(&fake, &cache, &req) {
            BuildOutcome::Rebuilt { reason } => {
                assert!(reason.contains(reason_has), "{what}: reason {reason:?}")
            }
            other => panic!("{what}: expected a rebuild, got {other:?}"),
        }
    }
    assert_eq!(cache.stats().rebuilt_corrupt, damages.len() as u64);
}

/// The real compiler, killed with SIGKILL while it compiles: a typed error,
/// no entry, then a correct rebuild.
#[test]
fn real_mojo_killed_mid_build() {
    let Some((cache, _dir)) = simdpar_mojo_test_support::temp_cache("real_mojo_killed_mid_build")
    else {
        return;
    };
    let mut killed = false;
    for attempt in 0..3 {
        let req = BuildRequest::shared_lib(simdpar_mojo_test_support::answer_source(
            &format!("sigkill{attempt}.mojo"),
            17,
        ));
        let staging_marker = format!("{}", cache.dir().join("tmp").display());
        let done = std::sync::atomic::AtomicBool::new(false);
        let result = std::thread::scope(|s| {
            let killer = s.spawn(|| {
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    if let Some(pid) = find_process_with_arg(&staging_marker) {
                        let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
                        return true;
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
                false
            });
            let r = cache.build(&req);
            done.store(true, std::sync::atomic::Ordering::Relaxed);
            (r, killer.join().unwrap())
        });
        match result {
            (Err(e), true) => {
                assert!(
                    matches!(
                        e,
                        MojoError::Compile { .. } | MojoError::ToolchainBroken { .. }
                    ),
                    "{e:?}"
                );
                assert_eq!(entries(&cache), 0);
                let art = cache.build(&req).expect("rebuild after SIGKILL");
                assert_eq!(art.outcome(), &BuildOutcome::Compiled);
                assert_eq!(
                    simdpar_mojo_test_support::call_answer(&art.load().unwrap()),
                    17
                );
                eprintln!("real mojo SIGKILLed mid-build (attempt {attempt}): {e}; rebuilt");
                killed = true;
                break;
            }
            (Ok(art), _) => {
                // The kill came too late (or hit a helper process): the
                // result must still be complete and correct.
                assert_eq!(
                    simdpar_mojo_test_support::call_answer(&art.load().unwrap()),
                    17
                );
            }
            (Err(e), false) => panic!("build failed without being killed: {e}"),
        }
    }
    if !killed {
        skip(
            "real_mojo_killed_mid_build",
            "the compiler finished before it could be killed, 3 times",
        );
    }
}

/// The pid of a process (other than this one) whose command line contains `needle`.
fn find_process_with_arg(needle: &str) -> Option<u32> {
    let me = std::process::id();
    for ent in fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = ent.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        if let Ok(cmd) = fs::read(ent.path().join("cmdline"))
            && String::from_utf8_lossy(&cmd).contains(needle)
            && String::from_utf8_lossy(&cmd).contains("build")
        {
            return Some(pid);
        }
    }
    None
}

/// A manifest that lies about the target features, in both directions:
/// claiming a feature this CPU lacks (the entry is refused or rebuilt, never
/// loaded on the lie's word), and hiding the features the artifact needs
/// (the lie must not get the artifact loaded).
#[test]
fn manifest_lying_about_target_features() {
    let Some(fake) = Fake::new("manifest_lying_about_target_features") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = fake.cache(dir.path());

    // (1) An artifact for the host, whose manifest then claims a feature no
    // CPU has: never silently loaded as a hit under a key it does not match.
    let req = BuildRequest::shared_lib(source("claims.mojo"));
    let art = cache.build(&req).unwrap();
    let mpath = art.path().parent().unwrap().join("manifest.json");
    let mut m: Manifest = serde_json::from_slice(&fs::read(&mpath).unwrap()).unwrap();
    m.inputs
        .target
        .features
        .push("+simdpar-fake-feature".into());
    fs::write(&mpath, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let again = cache.build(&req);
    match &again {
        Ok(a) => {
            assert!(
                matches!(a.outcome(), BuildOutcome::Rebuilt { .. }),
                "a manifest whose inputs do not match its key was used as a hit"
            );
            assert_eq!(call_answer(&a.load().unwrap()), ANSWER);
        }
        Err(e) => panic!("{e:?}"),
    }

    // (2) An artifact compiled for a CPU with a feature this machine lacks;
    // the manifest then hides that feature. The next build must not hand
    // out a loadable artifact on the strength of the lie.
    let req = BuildRequest::shared_lib(source("hides.mojo")).target_cpu("needs-fake");
    let art = cache.build(&req).unwrap();
    match art.load() {
        Err(MojoError::UnsupportedTarget { missing, .. }) => {
            assert_eq!(missing, ["simdpar-fake-feature"])
        }
        other => panic!("expected UnsupportedTarget, got {other:?}"),
    }
    let mpath = art.path().parent().unwrap().join("manifest.json");
    let mut m: Manifest = serde_json::from_slice(&fs::read(&mpath).unwrap()).unwrap();
    m.inputs.target.features.clear();
    fs::write(&mpath, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let again = cache.build(&req).expect("build");
    assert!(
        matches!(again.outcome(), BuildOutcome::Rebuilt { .. }),
        "the lying manifest was trusted: {:?}",
        again.outcome()
    );
    assert!(
        matches!(again.load(), Err(MojoError::UnsupportedTarget { .. })),
        "an artifact needing a missing feature was loaded"
    );
}

/// A manifest naming an artifact outside its entry directory (`../..`) is
/// refused, not followed.
#[test]
fn manifest_pointing_outside_its_entry_is_refused() {
    let Some(fake) = Fake::new("manifest_pointing_outside_its_entry") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = fake.cache(dir.path());
    let req = BuildRequest::shared_lib(source("escape.mojo"));
    let art = cache.build(&req).unwrap();
    // A copy of the library outside the entry, with the right checksum.
    let outside = dir.path().join("outside.so");
    fs::copy(art.path(), &outside).unwrap();
    let mpath = art.path().parent().unwrap().join("manifest.json");
    let mut m: Manifest = serde_json::from_slice(&fs::read(&mpath).unwrap()).unwrap();
    m.artifact_file = "../../outside.so".into();
    fs::write(&mpath, serde_json::to_vec_pretty(&m).unwrap()).unwrap();
    let again = cache.build(&req).unwrap();
    assert!(
        again.path().starts_with(dir.path().join("entries")),
        "followed the manifest out of the cache: {}",
        again.path().display()
    );
    assert!(matches!(again.outcome(), BuildOutcome::Rebuilt { .. }));
}

/// A tmpfs mounted at `dir` (root only); unmounted on drop.
struct Mount(PathBuf);

impl Mount {
    fn tmpfs(dir: &Path, options: &str) -> Option<Mount> {
        let ok = Command::new("mount")
            .args(["-t", "tmpfs", "-o", options, "tmpfs"])
            .arg(dir)
            .stderr(std::process::Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then(|| Mount(dir.to_path_buf()))
    }
}

impl Drop for Mount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.0).status();
    }
}

/// A read-only cache directory: the cache falls back to a temporary
/// directory with a warning, and builds and loads there.
#[test]
fn read_only_cache_dir_falls_back_to_a_temp_dir_with_a_warning() {
    let Some(fake) = Fake::new("read_only_cache_dir") else {
        return;
    };
    let parent = tempfile::tempdir().unwrap();
    let ro = parent.path().join("ro-cache");
    fs::create_dir(&ro).unwrap();
    // Root ignores permission bits: mount a read-only tmpfs there instead.
    let _mount = Mount::tmpfs(&ro, "ro,size=64k");
    let how = if _mount.is_some() {
        "read-only tmpfs mount"
    } else {
        set_mode(&ro, 0o555);
        "chmod 0555"
    };
    let (ro, how) = if fs::write(ro.join("probe"), b"x").is_ok() {
        // Root without CAP_SYS_ADMIN: permission bits do not stop root and
        // nothing can be mounted; procfs refuses new directories to anyone.
        let _ = fs::remove_file(ro.join("probe"));
        (
            PathBuf::from(format!("/proc/{}/simdpar-cache", std::process::id())),
            "an unwritable procfs path (root without mount)",
        )
    } else {
        (ro, how)
    };
    let cache = Cache::with_config(fake.config(&ro))
        .unwrap_or_else(|e| panic!("a read-only cache directory ({how}) must fall back, got: {e}"));
    assert_ne!(
        cache.dir(),
        ro,
        "{how}: still using the read-only directory"
    );
    let req = BuildRequest::shared_lib(source("ro.mojo"));
    let art = cache.build(&req).expect("build in the fallback directory");
    assert!(art.path().starts_with(cache.dir()));
    assert_eq!(call_answer(&art.load().unwrap()), ANSWER);
    if ro.is_dir() {
        assert_eq!(
            fs::read_dir(&ro).unwrap().count(),
            0,
            "nothing written to the read-only dir"
        );
    }

    // The warning, as a user sees it (the CLI on stderr).
    let src = parent.path().join("cli_ro.mojo");
    fs::write(&src, "# cli\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_simdpar-mojo"))
        .arg("build")
        .arg(&src)
        .args(["--call", "answer"])
        .env("SIMDPAR_CACHE_DIR", &ro)
        .env("SIMDPAR_MOJO", fake.mojo())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{how}: {stderr}");
    assert!(
        stderr.contains("warning") && stderr.contains(&ro.display().to_string()),
        "{how}: no warning naming the read-only directory: {stderr}"
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["called"], ANSWER as i64);
    eprintln!("read-only cache dir: simulated with {how}");
}

/// Free bytes of the filesystem holding `p` (`df`), if it can be asked.
fn free_bytes(p: &Path) -> Option<u64> {
    let out = Command::new("df")
        .args(["--output=avail", "-B1"])
        .arg(p)
        .output()
        .ok()?;
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .nth(1)?
        .trim()
        .parse()
        .ok()
}

/// A cache on a nearly full filesystem: a small tmpfs (root) filled to
/// within 0..=12 pages of full before each build. Every build must end in
/// a typed error or a loadable, correct artifact; after space is freed, a
/// build must succeed. Without root, ENOSPC is simulated by the fake
/// compiler.
#[test]
fn nearly_full_filesystem_never_yields_a_partial_artifact() {
    let Some(fake) = Fake::new("nearly_full_filesystem") else {
        return;
    };
    let parent = tempfile::tempdir().unwrap();
    let small = parent.path().join("small");
    fs::create_dir(&small).unwrap();
    let Some(_mount) = Mount::tmpfs(&small, "size=512k") else {
        // Simulated: the compiler fails with ENOSPC after a partial write.
        let cache = fake.cache(&small);
        let req = BuildRequest::shared_lib(source("enospc.mojo"));
        fake.mode("enospc");
        match cache.build(&req) {
            Err(MojoError::Compile { message, .. }) => {
                assert!(message.contains("No space left"), "{message}")
            }
            other => panic!("expected a Compile error, got {other:?}"),
        }
        assert_eq!(entries(&cache), 0);
        assert_eq!(
            rebuild_and_call(&fake, &cache, &req),
            BuildOutcome::Compiled
        );
        eprintln!("nearly full filesystem: SIMULATED (not root: no tmpfs mount)");
        return;
    };
    let cache = fake.cache(&small);
    let lib_len = fs::metadata(fake.dir.path().join("libgood.so"))
        .unwrap()
        .len();

    // First: the compiler itself hits ENOSPC (4 MiB on a 512 KiB disk).
    let req = BuildRequest::shared_lib(source("big.mojo"));
    fake.mode("bigwrite");
    match cache.build(&req) {
        Err(MojoError::Compile { .. }) => {}
        other => panic!("expected a Compile error from ENOSPC, got {other:?}"),
    }
    assert_eq!(entries(&cache), 0);
    assert!(staging_leftovers(&cache).is_empty(), "staging cleaned up");

    // Then: fill the disk to within k pages and build a fresh key each time.
    fake.mode("good");
    let page = 4096u64;
    let filler = small.join("filler");
    let (mut ok, mut failed) = (0, 0);
    for k in 0..=12u64 {
        let _ = fs::remove_file(&filler);
        let free = free_bytes(&small).expect("df");
        let keep = k * page;
        if free > keep {
            let f = fs::File::create(&filler).unwrap();
            // Write real bytes (tmpfs does not reserve for set_len).
            let mut w = std::io::BufWriter::new(f);
            let chunk = vec![0u8; 65536];
            let mut left = free - keep;
            while left > 0 {
                let n = left.min(chunk.len() as u64) as usize;
                if w.write_all(&chunk[..n]).is_err() {
                    break;
                }
                left -= n as u64;
            }
            let _ = w.flush();
        }
        let req = BuildRequest::shared_lib(source(&format!("full{k}.mojo")));
        match cache.build(&req) {
            Ok(art) => {
                // Complete: the manifest's checksum matched before returning.
                assert_eq!(fs::metadata(art.path()).unwrap().len(), lib_len);
                assert_eq!(call_answer(&art.load().unwrap()), ANSWER, "k={k}");
                ok += 1;
            }
            Err(e @ (MojoError::Io { .. } | MojoError::Compile { .. })) => {
                failed += 1;
                // Free the space: the same key now builds or rebuilds.
                fs::remove_file(&filler).unwrap();
                let art = cache.build(&req).unwrap_or_else(|e2| {
                    panic!("k={k}: after {e}, rebuild with space failed: {e2}")
                });
                assert_eq!(call_answer(&art.load().unwrap()), ANSWER, "k={k}");
            }
            Err(e) => panic!("k={k}: unexpected error kind: {e:?}"),
        }
    }
    assert!(failed > 0, "the disk never filled up (ok={ok})");
    eprintln!(
        "nearly full filesystem: tmpfs, {ok} builds fit, {failed} hit ENOSPC and were rebuilt"
    );
}

/// A missing or non-executable `mojo`, and one that disappears after the
/// cache was opened: typed toolchain errors, never a panic.
#[test]
fn missing_and_non_executable_mojo_are_typed_errors() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = |mojo: PathBuf| CacheConfig {
        dir: Some(dir.path().join("cache")),
        mojo: Some(mojo),
        ..CacheConfig::default()
    };
    // Missing.
    match Cache::with_config(cfg(dir.path().join("no-such-mojo"))) {
        Err(MojoError::ToolchainBroken { message, .. }) => assert!(!message.is_empty()),
        other => panic!("expected ToolchainBroken, got {other:?}"),
    }
    // Not executable (even root cannot execute a file without any x bit).
    let noexec = dir.path().join("mojo-noexec");
    fs::write(&noexec, "#!/bin/sh\necho Mojo 1.2.0\n").unwrap();
    set_mode(&noexec, 0o644);
    match Cache::with_config(cfg(noexec.clone())) {
        Err(MojoError::ToolchainBroken { path, .. }) => assert_eq!(path, noexec),
        other => panic!("expected ToolchainBroken, got {other:?}"),
    }
    // Executable but not a program.
    let garbage = dir.path().join("mojo-garbage");
    fs::write(&garbage, b"\x7fELF\x02\x01\x01garbage").unwrap();
    set_mode(&garbage, 0o755);
    match Cache::with_config(cfg(garbage)) {
        Err(MojoError::ToolchainBroken { .. }) => {}
        other => panic!("expected ToolchainBroken, got {other:?}"),
    }
    // A directory named mojo.
    let d = dir.path().join("mojo-dir");
    fs::create_dir(&d).unwrap();
    assert!(matches!(
        Cache::with_config(cfg(d)),
        Err(MojoError::ToolchainBroken { .. })
    ));
    // Through $SIMDPAR_MOJO in a child process (discovery path).
    let out = Command::new(env!("CARGO_BIN_EXE_simdpar-mojo"))
        .arg("info")
        .env("SIMDPAR_MOJO", &noexec)
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("does not work") && err.contains("pip install mojo"),
        "{err}"
    );

    // Removed (or made non-executable) after the cache was opened.
    let Some(fake) = Fake::new("mojo_removed_after_open") else {
        return;
    };
    let cache = fake.cache(&dir.path().join("cache2"));
    set_mode(&fake.mojo(), 0o644);
    match cache.build(&BuildRequest::shared_lib(source("gone.mojo"))) {
        Err(MojoError::ToolchainBroken { .. }) => {}
        other => panic!("expected ToolchainBroken after chmod -x, got {other:?}"),
    }
    fs::remove_file(fake.mojo()).unwrap();
    match cache.build(&BuildRequest::shared_lib(source("gone2.mojo"))) {
        Err(MojoError::ToolchainBroken { .. }) => {}
        other => panic!("expected ToolchainBroken after removal, got {other:?}"),
    }
    assert_eq!(entries(&cache), 0);
}

/// A compile that hangs (after writing part of its output) is killed at the
/// timeout: a typed error, the process gone, no entry; then a rebuild.
#[test]
fn hanging_compile_is_killed_at_the_timeout_then_rebuilt() {
    let Some(fake) = Fake::new("hanging_compile") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::with_config(CacheConfig {
        compile_timeout: Duration::from_millis(500),
        ..fake.config(dir.path())
    })
    .unwrap();
    let req = BuildRequest::shared_lib(source("hang.mojo"));
    fake.mode("hang");
    match cache.build(&req) {
        Err(MojoError::CompileTimeout {
            source_name,
            seconds,
        }) => {
            assert_eq!(source_name, "hang.mojo");
            assert!(seconds > 0.0);
        }
        other => panic!("expected CompileTimeout, got {other:?}"),
    }
    let pid = fs::read_to_string(fake.dir.path().join("hang.pid")).expect("the fake ran");
    let status = fs::read_to_string(format!("/proc/{}/status", pid.trim())).unwrap_or_default();
    assert!(
        status.is_empty() || status.contains("State:\tZ"),
        "the hung compiler {} is still alive:\n{status}",
        pid.trim()
    );
    assert_eq!(entries(&cache), 0);
    assert!(staging_leftovers(&cache).is_empty());
    assert_eq!(
        rebuild_and_call(&fake, &cache, &req),
        BuildOutcome::Compiled
    );
}

/// A compiler that exits but leaves a child holding its stdout/stderr (a
/// crash reporter, a daemon): the build must still end (within the compile
/// timeout), not wait for the child.
#[test]
fn compiler_leaving_a_child_holding_its_output_does_not_hang_the_build() {
    let Some(fake) = Fake::new("compiler_leaving_a_child") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let cache = Cache::with_config(CacheConfig {
        compile_timeout: Duration::from_secs(2),
        ..fake.config(dir.path())
    })
    .unwrap();
    fake.mode("orphan");
    let (tx, rx) = std::sync::mpsc::channel();
    let cache = std::sync::Arc::new(cache);
    let c2 = std::sync::Arc::clone(&cache);
    std::thread::spawn(move || {
        let r = c2.build(&BuildRequest::shared_lib(source("orphan.mojo")));
        let _ = tx.send(r.map(|a| a.path().to_path_buf()));
    });
    // A hang detector, not a timing assertion: the orphan lives 300 s.
    let r = rx.recv_timeout(Duration::from_secs(120));
    if let Ok(pid) = fs::read_to_string(fake.dir.path().join("orphan.pid")) {
        let _ = Command::new("kill").args(["-9", pid.trim()]).status();
    }
    match r {
        Ok(Ok(path)) => {
            let art = cache
                .build(&BuildRequest::shared_lib(source("orphan.mojo")))
                .unwrap();
            assert_eq!(art.path(), path);
            assert_eq!(call_answer(&art.load().unwrap()), ANSWER);
        }
        Ok(Err(e)) => panic!("typed error is acceptable only as a timeout: {e:?}"),
        Err(_) => panic!("the build waited on the compiler's orphaned child (timeout bypassed)"),
    }
}
