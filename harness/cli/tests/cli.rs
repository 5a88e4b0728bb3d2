//! The `simdpar` binary: `info` reports the ISA every kernel runs and
//! honours the ISA overrides; a missing, disabled or unknown ISA and bad
//! arguments are refused with a clear message, never a panic.

use serde_json::Value;
use simdpar::{Dtype, Isa, Kernel, available_isas, is_supported};
use std::process::{Command, Output};

fn simdpar_cli(env: &[(&str, &str)], args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simdpar"));
    cmd.env_remove("SIMDPAR_ISA")
        .env_remove("SIMDPAR_MAX_ISA")
        .env_remove("SIMDPAR_DISABLE_ISA");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("run simdpar")
}

/// `simdpar info --json`, parsed.
fn info_json(env: &[(&str, &str)]) -> Value {
    let out = simdpar_cli(env, &["info", "--json"]);
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("info --json prints JSON")
}

/// The ISAs `info --json` plans for one kernel and dtype (one per size
/// class, each an ISA this machine has).
fn isas_of(info: &Value, k: Kernel, d: Dtype) -> Vec<String> {
    let isas: Vec<String> = info["plans"]
        .as_array()
        .expect("plans array")
        .iter()
        .filter(|r| r["kernel"] == k.name() && r["dtype"] == d.name())
        .map(|r| r["isa"].as_str().expect("isa name").to_string())
        .collect();
    assert_eq!(isas.len(), 3, "one plan per size class for {k} {d}");
    isas
}

#[test]
fn info_json_plans_every_kernel_on_an_available_isa() {
    let info = info_json(&[]);
    let best = simdpar::best_isa().name();
    assert_eq!(info["active_isa"], best);
    let avail: Vec<&str> = available_isas().iter().map(|i| i.name()).collect();
    for k in Kernel::ALL {
        for d in Dtype::ALL {
            for isa in isas_of(&info, k, d) {
                assert!(avail.contains(&isa.as_str()), "{k} {d}: {isa}");
            }
        }
    }
    let cpu = &info["cpu"];
    assert_eq!(cpu["logical_cpus"], simdpar::cpu_info().logical_cpus);
    assert!(cpu["simd_lanes"].get(best).is_some(), "{cpu}");
}

#[test]
fn info_text_lists_every_kernel() {
    let out = simdpar_cli(&[], &["info"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for k in Kernel::ALL {
        assert!(text.contains(k.name()), "{text}");
    }
}

#[test]
fn info_honours_overrides() {
    let info = info_json(&[("SIMDPAR_ISA", "scalar")]);
    assert_eq!(info["active_isa"], "scalar");
    assert_eq!(isas_of(&info, Kernel::Add, Dtype::F32), ["scalar"; 3]);
    let info = info_json(&[("SIMDPAR_MAX_ISA", "portable")]);
    assert_eq!(info["active_isa"], "portable");
}

#[test]
fn missing_and_unknown_isas_are_refused() {
    let avail: Vec<&str> = available_isas().iter().map(|i| i.name()).collect();
    let mut bad: Vec<String> = Isa::ALL
        .into_iter()
        .filter(|&i| !is_supported(i))
        .map(|i| i.name().to_string())
        .collect();
    bad.push("avx9000".into());
    for name in &bad {
        for var in ["SIMDPAR_ISA", "SIMDPAR_MAX_ISA"] {
            if var == "SIMDPAR_MAX_ISA" && name != "avx9000" {
                continue; // capping at a missing ISA is fine: it only limits
            }
            let out = simdpar_cli(&[(var, name)], &["info"]);
            assert!(!out.status.success(), "{var}={name} must fail");
            assert!(out.stdout.is_empty());
            let err = String::from_utf8(out.stderr).unwrap();
            assert!(err.contains(name) && err.contains(var), "{err}");
            for a in &avail {
                assert!(err.contains(a), "{err} should list {a}");
            }
            assert!(!err.contains("panicked"), "{err}");
        }
    }
}

#[test]
fn bad_arguments_are_refused_with_usage() {
    let out = simdpar_cli(&[], &["info", "--bogus"]);
    assert!(!out.status.success());
    assert!(String::from_utf8(out.stderr).unwrap().contains("--bogus"));
    let out = simdpar_cli(&[], &["frobnicate"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("frobnicate")
    );
    let out = simdpar_cli(&[], &["report", "--only", "nope"]);
    assert!(!out.status.success());
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("nope") && err.contains("row_sums"), "{err}");
}

#[test]
fn help_lists_the_subcommands_and_the_environment() {
    let out = simdpar_cli(&[], &["--help"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for word in [
        "info",
        "parity",
        "report",
        "compare",
        "SIMDPAR_ISA",
        "SIMDPAR_DISABLE_ISA",
        "SIMDPAR_NUM_THREADS",
        "SIMDPAR_RUNTIME",
    ] {
        assert!(text.contains(word), "{text}");
    }
    let out = simdpar_cli(&[], &["report", "--help"]);
    let text = String::from_utf8(out.stdout).unwrap();
    for opt in [
        "--full",
        "--only",
        "--quiet-wait",
        "--no-python",
        "--no-mojo",
        "--out",
    ] {
        assert!(text.contains(opt), "{text}");
    }
}

#[test]
fn a_disabled_isa_is_refused_like_a_missing_one() {
    // On any host: disable the best SIMD ISA, then force it. This is the
    // `SIMDPAR_ISA=avx512` refusal of an AVX2-only machine, on every machine.
    let best = simdpar::best_isa();
    if best == Isa::Portable {
        eprintln!("only scalar/portable here: nothing to disable");
        return;
    }
    let name = best.name();
    let out = simdpar_cli(
        &[("SIMDPAR_DISABLE_ISA", name), ("SIMDPAR_ISA", name)],
        &["info"],
    );
    assert!(!out.status.success(), "forcing a disabled {name} must fail");
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(name) && err.contains("SIMDPAR_ISA"), "{err}");
    assert!(
        err.contains("available on this machine: scalar, portable"),
        "{err}"
    );
    assert!(
        !err.contains(&format!("machine: scalar, portable, {name}")),
        "{err}"
    );

    // Disabled but not forced: the next best ISA runs every kernel.
    let info = info_json(&[("SIMDPAR_DISABLE_ISA", name)]);
    let next = available_isas().into_iter().rfind(|&i| i != best).unwrap();
    assert_eq!(info["active_isa"], next.name());
    for k in Kernel::ALL {
        assert!(!isas_of(&info, k, Dtype::F32).contains(&name.to_string()));
    }

    // A bad disable list is refused at start.
    let out = simdpar_cli(&[("SIMDPAR_DISABLE_ISA", "scalar")], &["info"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("SIMDPAR_DISABLE_ISA")
    );
}

/// `info --json` plans: one per kernel x dtype x size class; an env-forced
/// ISA shows in every plan with its reason; without a profile every plan is
/// the built-in default.
#[test]
fn info_json_plans_every_kernel_dtype_and_class_with_a_reason() {
    let info = info_json(&[("SIMDPAR_ISA", "scalar")]);
    let plans = info["plans"].as_array().expect("plans array");
    assert_eq!(plans.len(), Kernel::ALL.len() * Dtype::ALL.len() * 3);
    for k in Kernel::ALL {
        for d in Dtype::ALL {
            for class in ["cache", "llc", "dram"] {
                let p = plans
                    .iter()
                    .find(|p| {
                        p["kernel"] == k.name() && p["dtype"] == d.name() && p["class"] == class
                    })
                    .unwrap_or_else(|| panic!("no plan for {k} {d} {class}"));
                assert_eq!(p["isa"], "scalar", "{p}");
                assert_eq!(p["reason"], "forced (SIMDPAR_ISA)", "{p}");
                let t = p["threads"].as_u64().expect("threads");
                assert!(
                    t >= 1 && t as usize <= simdpar::cpu_info().logical_cpus,
                    "{p}"
                );
            }
        }
    }
    let info = info_json(&[("SIMDPAR_NO_TUNE", "1")]);
    for p in info["plans"].as_array().unwrap() {
        assert_eq!(p["reason"], "built-in default", "{p}");
        // Reductions say how they read (built-in: prefetch beyond the
        // LLC where this CPU's default says so); the other kernels have no
        // read policy.
        let reduction = p["kernel"] == "sum" || p["kernel"] == "row_sums";
        let dram = if simdpar::plan::prefetch_in_dram() {
            "ahead"
        } else {
            "on_demand"
        };
        let want = match (reduction, p["class"].as_str()) {
            (false, _) => Value::Null,
            (true, Some("dram")) => dram.into(),
            (true, _) => "on_demand".into(),
        };
        assert_eq!(p["read"], want, "{p}");
        assert!(
            is_supported(Isa::from_name(p["isa"].as_str().unwrap()).unwrap()),
            "{p}"
        );
    }
    assert!(
        info["profile"].as_str().is_some_and(|s| !s.is_empty()),
        "{info}"
    );
}

#[test]
fn compare_sets_two_machines_side_by_side_cell_by_cell() {
    let fixtures = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let out = std::env::temp_dir().join(format!("simdpar-compare-{}", std::process::id()));
    let old = fixtures.join("compare-old-zen4.json");
    let new = fixtures.join("compare-new-zen5.json");
    let run = simdpar_cli(
        &[],
        &[
            "compare",
            old.to_str().unwrap(),
            new.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(run.status.success(), "{run:?}");
    let md = String::from_utf8(run.stdout).unwrap();
    let written = std::fs::read_to_string(out.join("compare.md")).unwrap();
    assert!(
        written.starts_with("# simdpar across machines"),
        "{written}"
    );
    // The old file has no machine block: named from its cpu block, the
    // profile not recorded; the new one by its own block.
    assert!(
        md.contains("| | Zen 4 (AMD EPYC) | Zen 5 (AMD EPYC 9B45) |"),
        "{md}"
    );
    assert!(
        md.contains(
            "| caches | L1d 32 KiB, L2 1 MiB, L3 32 MiB | L1d 48 KiB, L2 1 MiB, L3 32 MiB |"
        ),
        "{md}"
    );
    assert!(
        md.contains("| profile | not recorded | tuned profile /home/u/.cache/simdpar/tune-x.txt |"),
        "{md}"
    );
    assert!(md.contains("| goals passed | 3/5 | 4/4 |"), "{md}");
    // sum f32 64M: defaults vs best manual, what ran, the peers (a peer
    // one machine lacks is `-`), % of limit, and where the machines
    // disagree.
    let row = md
        .lines()
        .find(|l| l.starts_with("| sum f32 64M |"))
        .unwrap_or_else(|| panic!("no sum row: {md}"));
    let cols: Vec<&str> = row.split('|').map(str::trim).collect();
    assert_eq!(
        &cols[1..14],
        &[
            "sum f32 64M",
            "0.904 ✗",
            "0.987",
            "avx2 2T, built-in default; best portable 2T",
            "avx2 2T, tuned profile; best avx2 2T",
            "1.608",
            "-",
            "-",
            "1.250",
            "1.444 (mojo:exact 1T)",
            "-",
            "58% 1T ✗",
            "93% 1T",
        ][..]
    );
    assert_eq!(cols[14], "vs best, limit");
    let scale = md
        .lines()
        .find(|l| l.starts_with("| scale f64 1M |"))
        .unwrap();
    assert!(scale.contains("| 0.991 | 0.372 ✗ |"), "{scale}");
    assert!(scale.ends_with("| vs best, plan |"), "{scale}");
    // One chart per dtype and one of the limit, real PNGs.
    for name in [
        "compare-defaults-f32.png",
        "compare-defaults-f64.png",
        "compare-limit.png",
    ] {
        let png = std::fs::read(out.join(name)).unwrap();
        assert!(png.len() > 1000 && png.starts_with(b"\x89PNG"), "{name}");
        assert!(md.contains(&format!("![{name}]({name})")), "{name}");
    }
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn compare_refuses_a_file_that_is_not_json() {
    let bad = std::env::temp_dir().join(format!("simdpar-not-json-{}.json", std::process::id()));
    std::fs::write(&bad, "not json").unwrap();
    let run = simdpar_cli(&[], &["compare", bad.to_str().unwrap()]);
    assert!(!run.status.success());
    let err = String::from_utf8_lossy(&run.stderr);
    assert!(err.contains("not JSON"), "{err}");
    let _ = std::fs::remove_file(&bad);
}

#[test]
fn tune_check_rechecks_the_profile_in_force() {
    let dir = std::env::temp_dir();
    let id = std::process::id();
    // No profile: nothing to check, said plainly.
    let missing = dir.join(format!("simdpar-no-profile-{id}.txt"));
    let run = simdpar_cli(
        &[("SIMDPAR_TUNE_FILE", missing.to_str().unwrap())],
        &["tune", "--check", "--seconds", "1"],
    );
    assert!(!run.status.success());
    assert!(
        String::from_utf8_lossy(&run.stderr).contains("no profile to check"),
        "{run:?}"
    );
    // A profile for this CPU with one entry: the check times the held-out
    // calls it changes and gives that entry and the nt line a verdict.
    let profile = dir.join(format!("simdpar-check-profile-{id}.txt"));
    let mut p = simdpar::profile::Profile::for_this_cpu();
    p.entries.insert(
        (
            simdpar::profile::AppliesTo::Group(Kernel::Sum),
            Dtype::F32,
            simdpar::plan::SizeClass::Cache,
        ),
        simdpar::profile::Tuned {
            isa: Isa::Scalar,
            split_isa: Isa::Scalar,
            threads_from: None,
        },
    );
    p.nt_bytes.insert(Dtype::F64, u64::MAX);
    // One stream for `sum` f32: timed on the one-thread held-out sums.
    p.streams.insert(Dtype::F32, simdpar::reduce::Streams::One);
    std::fs::write(&profile, p.to_text()).unwrap();
    let run = simdpar_cli(
        &[
            ("SIMDPAR_TUNE_FILE", profile.to_str().unwrap()),
            ("SIMDPAR_NO_TUNE", "0"),
        ],
        &["tune", "--check", "--json", "--seconds", "1"],
    );
    assert!(run.status.success(), "{run:?}");
    let v: Value = serde_json::from_slice(&run.stdout).expect("JSON");
    let verdicts: Vec<&str> = v["verdicts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["choice"].as_str().unwrap())
        .collect();
    assert_eq!(verdicts, ["entry sum f32 cache", "nt f64", "streams f32"]);
    let points = v["points"].as_array().unwrap();
    assert!(points.len() >= 30, "{}", points.len());
    // Only `sum` calls in cache can change with that entry.
    for p in points {
        let choices = p["choices"].as_array().unwrap();
        if choices.iter().any(|c| c == "entry sum f32 cache") {
            assert_eq!(
                (&p["kernel"], &p["class"]),
                (&Value::from("sum"), &Value::from("cache"))
            );
        }
        // The stream count changes only one-thread `sum` and `row_sums`
        // calls.
        if choices.iter().any(|c| c == "streams f32") {
            assert!(
                p["kernel"] == "sum" || p["kernel"] == "row_sums",
                "{}",
                p["kernel"]
            );
            assert_eq!(p["one_thread"], Value::from(true));
        }
    }
    assert!(
        points
            .iter()
            .any(|p| p["one_thread"] == true && p["dtype"] == "f32"),
        "the grid holds one-thread sums"
    );
    let _ = std::fs::remove_file(&profile);
}

#[test]
fn compare_reads_the_kept_zen4_result() {
    // The Zen 4 report.json kept in the source tree predates the machine
    // block: the machine comes from its cpu block.
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let json = root.join("results/zen4-genoa-2026-12-05/report.json");
    let out = std::env::temp_dir().join(format!("simdpar-compare-zen4-{}", std::process::id()));
    let run = simdpar_cli(
        &[],
        &[
            "compare",
            json.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    assert!(run.status.success(), "{run:?}");
    let md = String::from_utf8(run.stdout).unwrap();
    assert!(md.contains("| | Zen 4 (AMD EPYC) |"), "{md}");
    assert!(md.contains("| family / model | 0x19 / 0x11 |"), "{md}");
    assert!(md.contains("| goals passed | 329/414 |"), "{md}");
    let row = md
        .lines()
        .find(|l| l.starts_with("| scale f64 1M |"))
        .unwrap_or_else(|| panic!("{md}"));
    assert!(
        row.starts_with("| scale f64 1M | 0.992 | avx2 2T, built-in default; best avx512 2T |"),
        "{row}"
    );
    assert!(row.contains("| 1.258 |"), "NumKong: {row}");
    let cells = md
        .lines()
        .filter(|l| l.starts_with("| ") && l.contains(" f"))
        .count();
    assert!(cells >= 50, "{cells} rows");
    let _ = std::fs::remove_dir_all(&out);
}
