//! Dispatch safety: forcing an ISA this CPU lacks, or an unknown name, is an
//! error naming what is available, never a crash; overrides nest and apply.
//! (The `simdpar` binary's side of this is `harness/cli/tests/cli.rs`.)

use simdpar::{Isa, IsaError, active_isa, available_isas, is_supported, with_isa};

fn missing_isas() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|&i| !is_supported(i)).collect()
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
                    for len in [0, 1 << 10, 1 << 20, 1 << 26] {
                        assert_eq!(simdpar::kernel_isa(k, d, len), isa, "{k} {d} {len}");
                    }
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
