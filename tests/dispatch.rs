//! Dispatch safety: forcing an ISA this CPU lacks, or an unknown name, is an
//! error naming what is available (API, environment and CLI), never a crash;
//! overrides nest and apply; the CLI reports the ISA every kernel runs.

use simdpar::{Isa, IsaError, active_isa, available_isas, is_supported, with_isa};
use std::process::Command;

fn missing_isas() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|&i| !is_supported(i)).collect()
}

fn simdpar_cli(env: &[(&str, &str)], args: &[&str]) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_simdpar"));
    cmd.env_remove("SIMDPAR_ISA")
        .env_remove("SIMDPAR_MAX_ISA")
        .env_remove("SIMDPAR_DISABLE_ISA");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.args(args).output().expect("run simdpar")
}

#[test]
fn api_refuses_missing_isas_and_runs_nothing() {
    let missing = missing_isas();
    assert!(!missing.is_empty(), "no CPU has both NEON and AVX2");
    for isa in missing {
        let before = active_isa();
        let e = with_isa(isa, || unreachable!("must not run")).unwrap_err();
        assert!(matches!(e, IsaError::Unsupported { .. }));
        let msg = e.to_string();
        assert!(msg.contains(isa.name()), "{msg}");
        for avail in available_isas() {
            assert!(msg.contains(avail.name()), "{msg} should list {avail}");
        }
        assert!(simdpar::set_isa(isa).is_err());
        assert_eq!(active_isa(), before);
    }
    assert!(matches!(
        Isa::from_name("avx1024"),
        Err(IsaError::Unknown { .. })
    ));
}

#[test]
fn every_available_isa_runs_every_kernel_family() {
    for isa in available_isas() {
        with_isa(isa, || {
            assert_eq!(active_isa(), isa);
            for k in simdpar::Kernel::ALL {
                for d in simdpar::Dtype::ALL {
                    assert_eq!(simdpar::kernel_isa(k, d), isa, "{k} {d}");
                }
            }
            assert_eq!(simdpar::sum(&[1.0f32, 2.0]), 3.0);
        })
        .unwrap();
    }
    assert!("nope".parse::<simdpar::Kernel>().is_err());
    assert!("f16".parse::<simdpar::Dtype>().is_err());
}

#[test]
fn scopes_are_per_thread() {
    with_isa(Isa::Scalar, || {
        let other = std::thread::spawn(active_isa).join().unwrap();
        assert_eq!(active_isa(), Isa::Scalar);
        assert_ne!(
            other,
            Isa::Scalar,
            "a scope must not leak into other threads"
        );
    })
    .unwrap();
}

#[test]
fn cli_info_json_names_every_kernel_and_the_best_isa() {
    let out = simdpar_cli(&[], &["info", "--json"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let best = simdpar::best_isa().name();
    assert!(
        text.contains(&format!("\"active_isa\": \"{best}\"")),
        "{text}"
    );
    for k in simdpar::KERNEL_NAMES {
        for d in ["f32", "f64"] {
            let row = format!("{{\"kernel\": \"{k}\", \"dtype\": \"{d}\", \"isa\": \"{best}\"}}");
            assert!(text.contains(&row), "missing {row}");
        }
    }
}

#[test]
fn cli_honours_overrides() {
    let out = simdpar_cli(&[("SIMDPAR_ISA", "scalar")], &["info", "--json"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"active_isa\": \"scalar\""), "{text}");
    assert!(!text.contains("\"isa\": \"portable\""));

    let out = simdpar_cli(&[("SIMDPAR_MAX_ISA", "portable")], &["info", "--json"]);
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("\"active_isa\": \"portable\""), "{text}");
}

#[test]
fn cli_refuses_missing_and_unknown_isas() {
    let avail: Vec<&str> = available_isas().iter().map(|i| i.name()).collect();
    let mut bad: Vec<String> = missing_isas()
        .iter()
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
fn cli_rejects_bad_arguments() {
    let out = simdpar_cli(&[], &["info", "--bogus"]);
    assert!(!out.status.success());
    let out = simdpar_cli(&[], &["frobnicate"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("unknown command")
    );
}

#[test]
fn cli_refuses_a_disabled_isa_like_a_missing_one() {
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
    let out = simdpar_cli(&[("SIMDPAR_DISABLE_ISA", name)], &["info", "--json"]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let next = available_isas().into_iter().rfind(|&i| i != best).unwrap();
    assert!(
        text.contains(&format!("\"active_isa\": \"{next}\"")),
        "{text}"
    );
    assert!(!text.contains(&format!("\"isa\": \"{name}\"")), "{text}");

    // A bad disable list is refused at start.
    let out = simdpar_cli(&[("SIMDPAR_DISABLE_ISA", "scalar")], &["info"]);
    assert!(!out.status.success());
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("SIMDPAR_DISABLE_ISA")
    );
}
