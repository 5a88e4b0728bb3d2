//! Tuned profiles: a profile changes the chosen ISA and thread policy,
//! overrides (scopes, `set_isa`, `SIMDPAR_ISA`, `SIMDPAR_MAX_ISA`) still win,
//! a profile for another CPU or a corrupt one is ignored with a clear
//! message, and results stay bitwise identical whatever a profile says.
//!
//! The profile is process-wide: tests that install one hold `PROFILE`.
//! Tests of the file and the environment (read once per process) run this
//! test binary again as a child with the environment set.

use proptest::prelude::*;
use simdpar::map::{Store, scalar as map_oracle};
use simdpar::plan::SizeClass;
use simdpar::profile::{AppliesTo, Profile, ProfileStatus, Tuned, set_profile};
use simdpar::reduce::scalar as reduce_oracle;
use simdpar::{
    Dtype, Family, Isa, Kernel, MandelbrotGrid, Reason, Threads, available_isas, par, plan,
};
use simdpar_test_support::{assert_same, same, values};
use std::process::Command;
use std::sync::Mutex;

static PROFILE: Mutex<()> = Mutex::new(());

fn lock() -> std::sync::MutexGuard<'static, ()> {
    PROFILE.lock().unwrap_or_else(|p| p.into_inner())
}

/// A profile for this CPU saying `isa` (one thread and split) and
/// `threads_from` everywhere.
fn uniform(isa: Isa, threads_from: Option<u64>) -> Profile {
    let mut p = Profile::for_this_cpu();
    for fam in Family::ALL {
        for dt in Dtype::ALL {
            for class in SizeClass::ALL {
                let key = (AppliesTo::Family(fam), dt, class);
                let tuned = Tuned {
                    isa,
                    split_isa: isa,
                    threads_from,
                };
                p.entries.insert(key, tuned);
            }
        }
    }
    p
}

/// Restores the file's profile when dropped (also on a failed assertion).
struct Installed;

impl Installed {
    fn new(p: Profile) -> Installed {
        set_profile(Some(p));
        Installed
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        set_profile(None);
    }
}

/// `false` (with a loud SKIPPED line) when the environment forces or caps
/// the ISA, which would rightly override what these tests install.
fn environment_leaves_the_choice_free() -> bool {
    match simdpar::simdpar_dispatch::selection() {
        simdpar::simdpar_dispatch::Selection::Free { capped: false, .. } => true,
        other => {
            simdpar_test_support::skip(&format!(
                "profile precedence in-process ({other:?} from the environment)"
            ));
            false
        }
    }
}

fn multi_thread_machine() -> bool {
    Threads::Auto.max_threads() > 1
}

#[test]
fn a_profile_sets_the_isa_and_the_thread_policy() {
    let _g = lock();
    if !environment_leaves_the_choice_free() {
        return;
    }
    for isa in [Isa::Scalar, Isa::Portable] {
        let _p = Installed::new(uniform(isa, None));
        for k in Kernel::ALL {
            for d in Dtype::ALL {
                for n in [100, 1 << 16, 1 << 24] {
                    let pl = plan(k, d, n, Threads::Auto);
                    assert_eq!((pl.isa, pl.threads, pl.reason), (isa, 1, Reason::Profile));
                }
            }
        }
    }
    let _p = Installed::new(uniform(Isa::Portable, Some(0)));
    let pl = plan(Kernel::Add, Dtype::F32, 1000, Threads::Auto);
    assert_eq!(pl.isa, Isa::Portable);
    let want = if multi_thread_machine() {
        Threads::Auto.max_threads()
    } else {
        1
    };
    assert_eq!(pl.threads, want);
    assert_eq!(
        plan(Kernel::Add, Dtype::F32, 1000, Threads::AtMost(1)).threads,
        1
    );
    let _p = Installed::new(uniform(Isa::Portable, Some(5000)));
    assert_eq!(
        plan(Kernel::Sum, Dtype::F64, 4999, Threads::Auto).threads,
        1
    );
    assert_eq!(
        plan(Kernel::Sum, Dtype::F64, 5000, Threads::Auto).threads,
        want
    );
}

#[test]
fn a_profile_sets_the_isa_of_split_calls_apart_from_one_thread_calls() {
    let _g = lock();
    if !environment_leaves_the_choice_free() {
        return;
    }
    if !multi_thread_machine() {
        simdpar_test_support::skip("split ISA of a profile (one thread here: calls never split)");
        return;
    }
    // Portable on one thread, scalar when split: every call from the size
    // where threads pay runs scalar, every smaller (or one-thread) call
    // portable.
    let mut p = uniform(Isa::Portable, Some(5000));
    for t in p.entries.values_mut() {
        t.split_isa = Isa::Scalar;
    }
    let _p = Installed::new(p);
    for k in [
        Kernel::Sum,
        Kernel::Add,
        Kernel::RowSums,
        Kernel::Mandelbrot,
    ] {
        for d in Dtype::ALL {
            let small = plan(k, d, 4999, Threads::Auto);
            assert_eq!(
                (small.isa, small.threads),
                (Isa::Portable, 1),
                "{k:?} {d:?}"
            );
            let split = plan(k, d, 1 << 20, Threads::Auto);
            assert!(split.threads > 1, "{k:?} {d:?}");
            assert_eq!((split.isa, split.reason), (Isa::Scalar, Reason::Profile));
            let one = plan(k, d, 1 << 20, Threads::AtMost(1));
            assert_eq!((one.isa, one.threads), (Isa::Portable, 1), "{k:?} {d:?}");
        }
    }
    // And the bits stay: a split scalar sum equals the oracle.
    let x = values::<f64>(1 << 16, 9, 0);
    let got = par::sum(&x, Threads::Auto);
    assert!(same(got, reduce_oracle::sum(&x)));
}

#[test]
fn a_profile_sets_the_streaming_store_threshold() {
    let _g = lock();
    if std::env::var_os("SIMDPAR_NT_THRESHOLD").is_some() {
        simdpar_test_support::skip("profile NT threshold (SIMDPAR_NT_THRESHOLD is set and wins)");
        return;
    }
    let mut p = uniform(Isa::Portable, None);
    p.nt_bytes.insert(Dtype::F32, 12_345);
    p.nt_kernel.insert((Kernel::Scale, Dtype::F32), 99_999);
    let _p = Installed::new(p);
    assert_eq!(simdpar::plan::nt_threshold(Dtype::F32), 12_345);
    // One-input maps follow their own line, two-input ones the dtype's.
    for (k, want) in [
        (Kernel::Multiply, 12_345),
        (Kernel::Square, 99_999),
        (Kernel::LeakyRelu, 99_999),
    ] {
        assert_eq!(simdpar::plan::nt_threshold_for(k, Dtype::F32), want, "{k}");
    }
    // No entry for f64: the built-in threshold.
    assert_eq!(
        simdpar::plan::nt_threshold(Dtype::F64),
        simdpar::map::nt_threshold_bytes()
    );
}

#[test]
fn a_profile_sets_the_dram_read_policy_and_the_bits_stay() {
    use simdpar::reduce::Fetch;
    let _g = lock();
    let (_, llc) = simdpar::simdpar_dispatch::cache_limits();
    // Just beyond the last-level cache: the DRAM class.
    let n = llc / 4 + 4096;
    let x = values::<f32>(n, 5, 3);
    let want = reduce_oracle::sum(&x);
    let cols = 1000;
    let mut rows_want = vec![0.0f32; n / cols];
    reduce_oracle::row_sums(&x[..n / cols * cols], cols, &mut rows_want);
    for on in [false, true] {
        let mut p = uniform(Isa::Portable, Some(0));
        p.prefetch.insert(Dtype::F32, on);
        let _p = Installed::new(p);
        let dram = if on { Fetch::Ahead } else { Fetch::OnDemand };
        assert_eq!(simdpar::plan::fetch_in(Dtype::F32, SizeClass::Dram), dram);
        assert_eq!(simdpar::plan::fetch_for(Kernel::Sum, Dtype::F32, n), dram);
        // In cache, and for f64 (no entry: the built-in policy), unchanged.
        assert_eq!(
            simdpar::plan::fetch_in(Dtype::F32, SizeClass::Llc),
            Fetch::OnDemand
        );
        let builtin = if simdpar::plan::prefetch_in_dram() {
            Fetch::Ahead
        } else {
            Fetch::OnDemand
        };
        assert_eq!(
            simdpar::plan::fetch_in(Dtype::F64, SizeClass::Dram),
            builtin
        );
        for isa in available_isas() {
            let got = simdpar::with_isa(isa, || par::sum(&x, Threads::Auto)).unwrap();
            assert!(same(got, want), "sum {isa} prefetch {on}");
            let mut rows = vec![0.0f32; n / cols];
            simdpar::with_isa(isa, || {
                par::row_sums(&x[..n / cols * cols], cols, &mut rows, Threads::Auto)
            })
            .unwrap()
            .unwrap();
            assert_same(&rows, &rows_want, &format!("row_sums {isa} prefetch {on}"));
        }
    }
}

#[test]
fn a_profile_sets_the_stream_count_of_sum_and_the_bits_stay() {
    use simdpar::plan::{READ_STREAMS_FROM_BYTES, default_read_streams, read_streams};
    use simdpar::reduce::Streams;
    let _g = lock();
    // One and a half times the threshold plus an odd rest: a streamed
    // subtree, then blocks one by one, the last one partial.
    let n = READ_STREAMS_FROM_BYTES * 3 / 2 / 4 + 333;
    // Ordinary values: a finite sum, where a wrong addition shows.
    let x = values::<f32>(n, 11, 0);
    let want = reduce_oracle::sum(&x);
    assert!(want.is_finite());
    for s in Streams::ALL {
        let mut p = Profile::for_this_cpu();
        p.streams.insert(Dtype::F32, s);
        let text = p.to_text();
        assert!(
            text.contains(&format!("\nstreams f32 {}\n", s.count())),
            "{text}"
        );
        assert_eq!(Profile::from_text(&text).as_ref(), Ok(&p));
        let _p = Installed::new(p);
        for isa in available_isas() {
            assert_eq!(read_streams(Dtype::F32, isa), s, "{isa}");
            // No line for f64: the ISA's built-in count.
            assert_eq!(read_streams(Dtype::F64, isa), default_read_streams(isa));
            let got = simdpar::with_isa(isa, || simdpar::sum(&x)).unwrap();
            assert!(same(got, want), "sum {isa} streams {s}");
            let got = simdpar::with_isa(isa, || par::sum(&x, Threads::AtMost(1))).unwrap();
            assert!(same(got, want), "par::sum {isa} streams {s}");
        }
        // `info` and `cpu_info()` show it: `sum` reads the count, `row_sums`
        // one stream, the maps none.
        for row in simdpar::plan::plans() {
            let want = match row.kernel {
                Kernel::Sum if row.dtype == Dtype::F32 => Some(s),
                Kernel::Sum => Some(default_read_streams(row.plan.isa)),
                Kernel::RowSums => Some(Streams::One),
                _ => None,
            };
            assert_eq!(row.streams, want, "{:?} {:?}", row.kernel, row.dtype);
        }
    }
}

#[test]
fn scopes_and_set_isa_win_over_the_profile() {
    let _g = lock();
    let _p = Installed::new(uniform(Isa::Portable, Some(0)));
    simdpar::with_isa(Isa::Scalar, || {
        let pl = plan(Kernel::Mandelbrot, Dtype::F32, 1 << 20, Threads::Auto);
        assert_eq!(pl.isa, Isa::Scalar);
        assert_eq!(
            pl.reason,
            Reason::Forced(simdpar::simdpar_dispatch::ForcedBy::Scope)
        );
        assert!(pl.reason.to_string().contains("scope"), "{}", pl.reason);
    })
    .unwrap();
    simdpar::set_isa(Isa::Scalar).unwrap();
    let pl = plan(Kernel::Add, Dtype::F32, 10, Threads::Auto);
    simdpar::clear_isa();
    assert_eq!(pl.isa, Isa::Scalar);
    assert_eq!(
        pl.reason,
        Reason::Forced(simdpar::simdpar_dispatch::ForcedBy::Api)
    );
}

#[test]
fn a_profile_for_another_cpu_is_ignored() {
    let _g = lock();
    if !environment_leaves_the_choice_free() {
        return;
    }
    let mut p = uniform(Isa::Scalar, None);
    p.cpu = "x86_64:SomeoneElse:1.2.3:64:sse2".into();
    let _p = Installed::new(p);
    let status = simdpar::profile::profile_status();
    assert!(matches!(status, ProfileStatus::OtherCpu { .. }), "{status}");
    assert!(status.to_string().contains("another CPU"), "{status}");
    let pl = plan(Kernel::Add, Dtype::F32, 100, Threads::Auto);
    assert!(
        matches!(pl.reason, Reason::Default | Reason::Capped),
        "{:?}",
        pl.reason
    );
}

/// Every profile kept with a machine's results (written by earlier tuners,
/// with the format's comment lines of their day) still parses, and prints
/// back to text that parses to the same profile.
#[test]
fn the_profiles_kept_in_results_still_parse() {
    let results = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("results");
    let mut read = 0;
    for machine in std::fs::read_dir(&results).into_iter().flatten().flatten() {
        let path = machine.path().join("tune-profile.txt");
        let Ok(text) = std::fs::read_to_string(&path) else {
            continue;
        };
        let p = Profile::from_text(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(!p.entries.is_empty(), "{}", path.display());
        assert_eq!(Profile::from_text(&p.to_text()).as_ref(), Ok(&p));
        read += 1;
    }
    if read == 0 {
        simdpar_test_support::skip(&format!("no profile under {}", results.display()));
    }
}

/// Runs `test` of this binary in a child process with `env` set; returns
/// its stdout and stderr.
fn child(test: &str, env: &[(&str, &str)]) -> (String, String) {
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    for var in [
        "SIMDPAR_ISA",
        "SIMDPAR_MAX_ISA",
        "SIMDPAR_DISABLE_ISA",
        "SIMDPAR_TUNE_FILE",
        "SIMDPAR_NO_TUNE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("SIMDPAR_PROFILE_CHILD", "1").args([
        "--exact",
        test,
        "--nocapture",
        "--test-threads=1",
    ]);
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the test binary");
    let (so, se) = (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    );
    assert!(out.status.success(), "child {test} failed:\n{so}\n{se}");
    (so, se)
}

fn in_child() -> bool {
    std::env::var_os("SIMDPAR_PROFILE_CHILD").is_some()
}

/// Child: prints what the profile and a plan say, for the parent to check.
#[test]
fn child_report() {
    if !in_child() {
        return;
    }
    let pl = plan(Kernel::Add, Dtype::F32, 1 << 10, Threads::Auto);
    println!("STATUS[{}]", simdpar::profile::profile_status());
    println!("PLAN[{} {} {}]", pl.isa, pl.threads, pl.reason);
    // A second look reads nothing again (once per process).
    let _ = plan(Kernel::Sum, Dtype::F64, 1 << 10, Threads::Auto);
}

fn tmp_file(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("simdpar-profile-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

#[test]
fn the_file_profile_is_read_and_env_vars_win_over_it() {
    if in_child() {
        return;
    }
    let path = tmp_file("good.txt", &uniform(Isa::Portable, None).to_text());
    let file = path.to_str().unwrap();
    let (out, err) = child("child_report", &[("SIMDPAR_TUNE_FILE", file)]);
    assert!(out.contains("STATUS[tuned profile"), "{out}");
    assert!(out.contains("PLAN[portable 1 tuned profile]"), "{out}");
    assert!(!err.contains("warning"), "{err}");

    let (out, _) = child(
        "child_report",
        &[("SIMDPAR_TUNE_FILE", file), ("SIMDPAR_ISA", "scalar")],
    );
    assert!(out.contains("PLAN[scalar 1 forced (SIMDPAR_ISA)]"), "{out}");

    let (out, _) = child(
        "child_report",
        &[("SIMDPAR_TUNE_FILE", file), ("SIMDPAR_NO_TUNE", "1")],
    );
    assert!(out.contains("SIMDPAR_NO_TUNE=1"), "{out}");
    assert!(
        out.contains("built-in default") || out.contains("capped"),
        "{out}"
    );

    // A cap below the profile's choice lowers it and says so.
    let best = simdpar::best_isa();
    let high = tmp_file("high.txt", &uniform(best, None).to_text());
    if best > Isa::Portable {
        let (out, _) = child(
            "child_report",
            &[
                ("SIMDPAR_TUNE_FILE", high.to_str().unwrap()),
                ("SIMDPAR_MAX_ISA", "portable"),
            ],
        );
        assert!(out.contains("PLAN[portable 1 capped"), "{out}");
    } else {
        simdpar_test_support::skip(&format!(
            "cap below the profile (this CPU's best ISA is {best})"
        ));
    }
}

#[test]
fn other_cpu_and_corrupt_files_are_ignored_with_a_message() {
    if in_child() {
        return;
    }
    let mut other = uniform(Isa::Scalar, None);
    other.cpu = "x86_64:SomeoneElse:1.2.3:64:sse2".into();
    let path = tmp_file("other.txt", &other.to_text());
    let (out, err) = child(
        "child_report",
        &[("SIMDPAR_TUNE_FILE", path.to_str().unwrap())],
    );
    assert!(
        out.contains("note: profile") && out.contains("another CPU"),
        "{out}"
    );
    assert!(!out.contains("PLAN[scalar 1 tuned"), "{out}");
    assert!(!err.contains("warning"), "{err}");

    for (name, text) in [
        (
            "corrupt.txt",
            "simdpar-tune 1\ncpu x\nentry map f32 cache avx9000 1\n".to_string(),
        ),
        ("binary.txt", "\u{0}\u{1}garbage".to_string()),
        ("future.txt", "simdpar-tune 99\n".to_string()),
    ] {
        let path = tmp_file(name, &text);
        let (out, err) = child(
            "child_report",
            &[("SIMDPAR_TUNE_FILE", path.to_str().unwrap())],
        );
        assert!(
            out.contains("STATUS[warning: profile") && out.contains("corrupt"),
            "{out}"
        );
        assert!(!out.contains("tuned profile]"), "{out}");
        assert_eq!(
            err.matches("simdpar: warning: profile").count(),
            1,
            "{name}: {err}"
        );
    }

    let missing = std::env::temp_dir().join("simdpar-no-such-profile.txt");
    let (out, _) = child(
        "child_report",
        &[("SIMDPAR_TUNE_FILE", missing.to_str().unwrap())],
    );
    assert!(out.contains("STATUS[no tuned profile"), "{out}");
}

/// Runs `child_report` with `SIMDPAR_TUNE_FILE=path`, killing the child
/// after `limit` so that a read that blocks fails the test instead of
/// hanging it. Returns stdout and stderr.
fn child_with_tune_file_in_time(path: &str, limit: std::time::Duration) -> (String, String) {
    use std::io::Read;
    let mut cmd = Command::new(std::env::current_exe().unwrap());
    for var in [
        "SIMDPAR_ISA",
        "SIMDPAR_MAX_ISA",
        "SIMDPAR_DISABLE_ISA",
        "SIMDPAR_NO_TUNE",
    ] {
        cmd.env_remove(var);
    }
    cmd.env("SIMDPAR_PROFILE_CHILD", "1")
        .env("SIMDPAR_TUNE_FILE", path)
        .args(["--exact", "child_report", "--nocapture", "--test-threads=1"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut proc = cmd.spawn().expect("run the test binary");
    let start = std::time::Instant::now();
    let status = loop {
        if let Some(status) = proc.try_wait().unwrap() {
            break status;
        }
        if start.elapsed() > limit {
            let _ = proc.kill();
            let _ = proc.wait();
            panic!("SIMDPAR_TUNE_FILE={path}: the first kernel call did not return in {limit:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    };
    let (mut so, mut se) = (String::new(), String::new());
    proc.stdout.take().unwrap().read_to_string(&mut so).unwrap();
    proc.stderr.take().unwrap().read_to_string(&mut se).unwrap();
    assert!(status.success(), "child failed for {path}:\n{so}\n{se}");
    (so, se)
}

#[test]
fn a_tune_file_that_is_not_a_small_regular_file_is_not_read() {
    if in_child() {
        return;
    }
    let limit = std::time::Duration::from_secs(60);
    let mut cases: Vec<(String, &str)> = Vec::new();
    let dir = std::env::temp_dir().join(format!("simdpar-profile-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let fifo = dir.join("fifo");
    let _ = std::fs::remove_file(&fifo);
    match Command::new("mkfifo").arg(&fifo).status() {
        Ok(s) if s.success() => cases.push((fifo.to_str().unwrap().into(), "FIFO")),
        other => simdpar_test_support::skip(&format!("FIFO tune file (mkfifo: {other:?})")),
    }
    if std::path::Path::new("/dev/zero").exists() {
        cases.push(("/dev/zero".into(), "character device"));
    } else {
        simdpar_test_support::skip("/dev/zero tune file (no /dev/zero)");
    }
    cases.push((dir.to_str().unwrap().into(), "directory"));
    // Larger than the cap: a profile of 1 MiB + comment lines.
    let big = dir.join("big.txt");
    let mut text = uniform(Isa::Portable, None).to_text();
    while (text.len() as u64) <= simdpar::profile::MAX_PROFILE_BYTES {
        text.push_str("# padding padding padding padding padding padding padding\n");
    }
    std::fs::write(&big, &text).unwrap();
    cases.push((big.to_str().unwrap().into(), "larger than the cap"));
    for (path, why) in cases {
        let (out, err) = child_with_tune_file_in_time(&path, limit);
        assert!(
            out.contains("STATUS[warning: profile") && out.contains(why),
            "{path}: {out}"
        );
        assert!(out.contains("PLAN["), "{path}: {out}");
        assert!(!out.contains("tuned profile]"), "{path}: {out}");
        assert_eq!(
            err.matches("simdpar: warning: profile").count(),
            1,
            "{path}: {err}"
        );
    }
    let _ = std::fs::remove_file(&fifo);
}

/// A random profile over the available ISAs with random thread thresholds.
fn random_profile(seed: u64) -> Profile {
    let isas = available_isas();
    let mut rng = simdpar_test_support::Rng::new(seed);
    let mut p = uniform(Isa::Scalar, None);
    for t in p.entries.values_mut() {
        t.isa = isas[(rng.next_u64() % isas.len() as u64) as usize];
        t.split_isa = isas[(rng.next_u64() % isas.len() as u64) as usize];
        t.threads_from = match rng.next_u64() % 3 {
            0 => None,
            1 => Some(0),
            _ => Some(rng.next_u64() % 300_000),
        };
    }
    // Entries per kernel group (`sum`, `row_sums`, `add`, `scale`), which
    // win over the family's, in about half the cells.
    let groups: std::collections::BTreeSet<AppliesTo> =
        Kernel::ALL.into_iter().map(AppliesTo::group_of).collect();
    for group in groups
        .into_iter()
        .filter(|g| matches!(g, AppliesTo::Group(_)))
    {
        for dt in Dtype::ALL {
            for class in SizeClass::ALL {
                if rng.next_u64().is_multiple_of(2) {
                    continue;
                }
                let tuned = Tuned {
                    isa: isas[(rng.next_u64() % isas.len() as u64) as usize],
                    split_isa: isas[(rng.next_u64() % isas.len() as u64) as usize],
                    threads_from: match rng.next_u64() % 3 {
                        0 => None,
                        1 => Some(0),
                        _ => Some(rng.next_u64() % 300_000),
                    },
                };
                p.entries.insert((group, dt, class), tuned);
            }
        }
    }
    // The store threshold and the read policy per dtype, or none.
    for dt in Dtype::ALL {
        match rng.next_u64() % 4 {
            0 => {}
            1 => {
                p.nt_bytes.insert(dt, 0);
            }
            2 => {
                p.nt_bytes.insert(dt, rng.next_u64() % (1 << 20));
            }
            _ => {
                p.nt_bytes.insert(dt, u64::MAX);
            }
        }
        if rng.next_u64().is_multiple_of(2) {
            let b = [0, rng.next_u64() % (1 << 20), u64::MAX][(rng.next_u64() % 3) as usize];
            p.nt_kernel.insert((Kernel::Scale, dt), b);
        }
        if !rng.next_u64().is_multiple_of(3) {
            p.prefetch.insert(dt, rng.next_u64().is_multiple_of(2));
        }
        if !rng.next_u64().is_multiple_of(3) {
            let all = simdpar::reduce::Streams::ALL;
            p.streams
                .insert(dt, all[(rng.next_u64() % all.len() as u64) as usize]);
        }
    }
    p
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(24)
    ))]

    /// Whatever the profile says, every kernel gives the scalar oracle's bits.
    #[test]
    fn results_do_not_depend_on_the_profile(
        seed in any::<u64>(),
        n in 0usize..200_000,
        threads in 0usize..4,
    ) {
        let _g = lock();
        let _p = Installed::new(random_profile(seed));
        let th = if threads == 0 { Threads::Auto } else { Threads::AtMost(threads) };
        let a = values::<f32>(n, seed, 97);
        let b = values::<f32>(n, seed ^ 1, 89);
        let x = values::<f64>(n, seed ^ 2, 0);

        let s = par::sum(&x, th);
        prop_assert_eq!(s.to_bits(), reduce_oracle::sum(&x).to_bits());
        prop_assert!(same(simdpar::sum(&a), reduce_oracle::sum(&a)));
        prop_assert!(same(par::sum(&a, th), reduce_oracle::sum(&a)));

        let mut got = vec![0.0f32; n];
        let mut want = vec![0.0f32; n];
        par::add(&a, &b, &mut got, th).unwrap();
        map_oracle::add(&a, &b, &mut want, Store::Cached);
        assert_same(&got, &want, "add");
        par::leaky_relu(&a, 0.25, &mut got, th).unwrap();
        map_oracle::leaky_relu(&a, 0.25, &mut want, Store::Cached);
        assert_same(&got, &want, "leaky_relu");
        // One- and two-input maps follow their own groups' entries.
        par::multiply(&a, &b, &mut got, th).unwrap();
        map_oracle::multiply(&a, &b, &mut want, Store::Cached);
        assert_same(&got, &want, "multiply");
        par::square(&a, &mut got, th).unwrap();
        map_oracle::square(&a, &mut want, Store::Cached);
        assert_same(&got, &want, "square");
        let mut y = x.clone();
        let mut y_want = vec![0.0f64; n];
        par::scale_inplace(&mut y, 1.5, th);
        map_oracle::scale(&x, 1.5, &mut y_want, Store::Cached);
        assert_same(&y, &y_want, "scale_inplace");

        let cols = 1 + (seed % 700) as usize;
        let rows = n / cols;
        let mut rs = vec![0.0f64; rows];
        let mut rs_want = vec![0.0f64; rows];
        par::row_sums(&x[..rows * cols], cols, &mut rs, th).unwrap();
        reduce_oracle::row_sums(&x[..rows * cols], cols, &mut rs_want);
        assert_same(&rs, &rs_want, "row_sums");

        let g = MandelbrotGrid::<f32> { max_iter: 50, ..MandelbrotGrid::new(61, 1 + n % 97) };
        let mut m = vec![0u32; g.width * g.height];
        let mut m_want = vec![0u32; m.len()];
        par::mandelbrot(&g, &mut m, th).unwrap();
        simdpar::mandelbrot::scalar::rows(&g, 0, &mut m_want);
        prop_assert_eq!(m, m_want);
    }
}
