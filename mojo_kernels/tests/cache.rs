//! Behaviour of the compile cache against the real `mojo` toolchain.

use std::fs;
use std::process::Command;
use std::time::Duration;

use simdpar_mojo::{BuildOutcome, BuildRequest, EmitKind, HostCpu, MojoError, Source, TwinVariant};
use simdpar_mojo_test_support::{answer_source, call_answer, temp_cache, temp_cache_with};

#[test]
fn second_build_is_a_cache_hit() {
    let Some((cache, _dir)) = temp_cache("second_build_is_a_cache_hit") else {
        return;
    };
    let req = BuildRequest::shared_lib(answer_source("hit.mojo", 7));
    let first = cache.build(&req).expect("first build");
    assert_eq!(first.outcome(), &BuildOutcome::Compiled);
    let second = cache.build(&req).expect("second build");
    assert_eq!(second.outcome(), &BuildOutcome::Hit);
    assert_eq!(first.path(), second.path());
    assert_eq!(first.key().len(), 16);

    let stats = cache.stats();
    assert_eq!((stats.hits, stats.misses), (1, 1));
    assert!(stats.compile_seconds > 0.0);
    let info = cache.info().expect("info");
    assert_eq!(info.entries, 1);
    assert!(info.total_bytes > 0);
    assert_eq!((info.lifetime.hits, info.lifetime.misses), (1, 1));
    assert!(info.mojo_version.starts_with("Mojo"));

    let m = second.manifest();
    assert_eq!(m.key, second.key());
    assert_eq!(m.sha256.len(), 64);
    assert_eq!(m.size, fs::metadata(second.path()).unwrap().len());
    assert_eq!(m.inputs.fp_mode, "contract=fast");
    assert_eq!(m.inputs.emit, "shared-lib");
    assert!(!m.inputs.target.features.is_empty());
    let on_disk: simdpar_mojo::Manifest = serde_json::from_slice(
        &fs::read(second.path().parent().unwrap().join("manifest.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(&on_disk, m);

    assert_eq!(call_answer(&second.load().expect("load")), 7);

    // Any change of the inputs is a different key.
    let other = cache
        .key(&req.clone().define("X", "1"))
        .expect("key with define");
    assert_ne!(other, first.key());
    let off = cache
        .key(&req.clone().fp_mode(simdpar_mojo::FpMode::ContractOff))
        .expect("key contract=off");
    assert_ne!(off, first.key());
}

#[test]
fn truncated_or_corrupt_artifact_is_rebuilt() {
    let Some((cache, _dir)) = temp_cache("truncated_or_corrupt_artifact_is_rebuilt") else {
        return;
    };
    let req = BuildRequest::shared_lib(answer_source("trunc.mojo", 11));
    let art = cache.build(&req).expect("build");
    let len = fs::metadata(art.path()).unwrap().len();
    let f = fs::OpenOptions::new().write(true).open(art.path()).unwrap();
    f.set_len(len / 2).unwrap();
    drop(f);

    let again = cache.build(&req).expect("rebuild");
    match again.outcome() {
        BuildOutcome::Rebuilt { reason } => assert!(reason.contains("truncated"), "{reason}"),
        other => panic!("expected a rebuild, got {other:?}"),
    }
    assert_eq!(fs::metadata(again.path()).unwrap().len(), len);
    assert_eq!(call_answer(&again.load().expect("load")), 11);

    // Same size, one byte flipped: caught by the checksum.
    let mut bytes = fs::read(again.path()).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    fs::write(again.path(), &bytes).unwrap();
    let third = cache.build(&req).expect("rebuild after corruption");
    match third.outcome() {
        BuildOutcome::Rebuilt { reason } => assert!(reason.contains("checksum"), "{reason}"),
        other => panic!("expected a rebuild, got {other:?}"),
    }
    assert_eq!(cache.stats().rebuilt_corrupt, 2);
    assert_eq!(call_answer(&third.load().expect("load")), 11);
}

#[cfg(target_arch = "x86_64")]
#[test]
fn x86_64_v4_artifact_is_refused_on_an_avx2_host() {
    let Some((cache, _dir)) = temp_cache("x86_64_v4_artifact_is_refused_on_an_avx2_host") else {
        return;
    };
    let art = cache
        .build(&BuildRequest::shared_lib(answer_source("v4.mojo", 4)).target_cpu("x86-64-v4"))
        .expect("cross-compiling for x86-64-v4 works on any host");
    assert_eq!(art.manifest().inputs.target.cpu, "x86-64-v4");
    assert!(
        art.manifest()
            .inputs
            .target
            .features
            .iter()
            .any(|f| f == "+avx512f")
    );

    // The CI machine (AVX2 + FMA, no AVX-512) as the compiler describes x86-64-v3.
    let v3 = cache
        .toolchain()
        .effective_target(Some("x86-64-v3"), None)
        .expect("x86-64-v3");
    let avx2_host = HostCpu::with_features(&v3.features);
    let err = art.check_host(&avx2_host).expect_err("must be refused");
    match &err {
        MojoError::UnsupportedTarget {
            target_cpu,
            missing,
            ..
        } => {
            assert_eq!(target_cpu, "x86-64-v4");
            for f in ["avx512f", "avx512bw", "avx512dq", "avx512vl", "avx512cd"] {
                assert!(missing.iter().any(|m| m == f), "{f} not in {missing:?}");
            }
        }
        other => panic!("expected UnsupportedTarget, got {other:?}"),
    }
    let msg = err.to_string();
    assert!(
        msg.contains("x86-64-v4") && msg.contains("avx512f"),
        "{msg}"
    );

    // On this machine: refused unless the CPU really has AVX-512.
    let real = art.load();
    if std::arch::is_x86_feature_detected!("avx512f")
        && std::arch::is_x86_feature_detected!("avx512bw")
        && std::arch::is_x86_feature_detected!("avx512dq")
        && std::arch::is_x86_feature_detected!("avx512vl")
        && std::arch::is_x86_feature_detected!("avx512cd")
    {
        assert_eq!(call_answer(&real.expect("AVX-512 host loads v4")), 4);
    } else {
        assert!(
            matches!(real, Err(MojoError::UnsupportedTarget { .. })),
            "{real:?}"
        );
    }
}

#[cfg(target_arch = "x86_64")]
#[test]
fn artifact_needing_features_this_cpu_lacks_is_never_loaded() {
    let Some((cache, _dir)) =
        temp_cache("artifact_needing_features_this_cpu_lacks_is_never_loaded")
    else {
        return;
    };
    // The first CPU in this list that has a feature this machine lacks.
    let candidates = [
        "x86-64-v4",
        "sapphirerapids",
        "graniterapids",
        "diamondrapids",
    ];
    let cpu = candidates
        .iter()
        .find(|c| {
            let t = cache.toolchain().effective_target(Some(c), None);
            t.is_ok_and(|t| !cache.host().missing(t.required_features()).is_empty())
        })
        .expect("some candidate CPU has a feature this machine lacks");
    let art = cache
        .build(&BuildRequest::shared_lib(answer_source("foreign.mojo", 5)).target_cpu(*cpu))
        .expect("cross-compile");
    match art.load() {
        Err(MojoError::UnsupportedTarget {
            target_cpu,
            missing,
            ..
        }) => {
            assert_eq!(&target_cpu, cpu);
            assert!(!missing.is_empty());
        }
        Ok(_) => panic!("{cpu} artifact was loaded on a CPU lacking its features"),
        Err(e) => panic!("expected UnsupportedTarget, got {e}"),
    }
}

#[test]
fn syntax_error_surfaces_with_file_and_line() {
    let Some((cache, dir)) = temp_cache("syntax_error_surfaces_with_file_and_line") else {
        return;
    };
    let text = "@export(\"f\")\ndef f() abi(\"C\") -> Int:\n    return 1 +* 2\n";
    let inline = Source::Inline {
        name: "broken.mojo".into(),
        text: text.into(),
    };
    match cache.build(&BuildRequest::shared_lib(inline)) {
        Err(
            ref e @ MojoError::Compile {
                location: Some(ref loc),
                ..
            },
        ) => {
            assert_eq!(loc.file, "broken.mojo");
            assert_eq!(loc.line, 3);
            assert!(loc.col > 0);
            assert!(e.to_string().contains("broken.mojo:3:"), "{e}");
        }
        other => panic!("expected a located compile error, got {other:?}"),
    }

    let path = dir.path().join("on_disk.mojo");
    fs::write(&path, text).unwrap();
    match cache.build(&BuildRequest::shared_lib(Source::File(path.clone()))) {
        Err(MojoError::Compile {
            location: Some(loc),
            stderr,
            ..
        }) => {
            assert!(loc.file.ends_with("on_disk.mojo"), "{}", loc.file);
            assert_eq!(loc.line, 3);
            assert!(stderr.contains("on_disk.mojo:3:"), "{stderr}");
        }
        other => panic!("expected a located compile error, got {other:?}"),
    }
    assert_eq!(
        cache.info().unwrap().entries,
        0,
        "failed builds leave no entry"
    );
}

#[test]
fn eight_racing_processes_compile_one_uncompiled_twin_once() {
    let Some((cache, _dir)) = temp_cache("eight_racing_processes_compile_one_uncompiled_twin_once")
    else {
        return;
    };
    // Each child: `simdpar-mojo twins exact` on the same empty cache; it
    // builds (or finds) the twin, loads it and calls `spm_simd_width_*`.
    let children: Vec<_> = (0..8)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_simdpar-mojo"))
                .args(["twins", "exact"])
                .env("SIMDPAR_CACHE_DIR", cache.dir())
                .env("SIMDPAR_MOJO", cache.toolchain().path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn child")
        })
        .collect();
    let mut outcomes = Vec::new();
    let mut keys = std::collections::BTreeSet::new();
    for c in children {
        let out = c.wait_with_output().expect("child");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "child failed: {}{stdout}",
            String::from_utf8_lossy(&out.stderr)
        );
        // "exact <key> <outcome> cpu=... f32x<n> f64x<n> compile=... <path>"
        let fields: Vec<&str> = stdout.split_whitespace().collect();
        assert_eq!(fields[0], "exact", "{stdout}");
        assert!(fields.iter().any(|f| f.starts_with("f32x")), "{stdout}");
        keys.insert(fields[1].to_string());
        outcomes.push(fields[2].to_string());
    }
    assert_eq!(keys.len(), 1, "all children agree on the key: {keys:?}");
    let compiled = outcomes.iter().filter(|o| *o == "compiled").count();
    let hits = outcomes.iter().filter(|o| *o == "hit").count();
    assert_eq!(
        (compiled, hits),
        (1, 7),
        "exactly one process compiles: {outcomes:?}"
    );
    let info = cache.info().unwrap();
    assert_eq!((info.lifetime.misses, info.lifetime.hits), (1, 7));
    assert_eq!(info.entries, 1);
    let key = keys.into_iter().next().unwrap();
    assert_eq!(key, cache.key(&TwinVariant::Exact.request()).unwrap());
    let leftovers = fs::read_dir(cache.dir().join("tmp"))
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.path().is_dir())
        .count();
    assert_eq!(leftovers, 0, "staging directories are cleaned up");
}

#[test]
fn cli_build_reports_the_outcome_and_calls_the_library() {
    let Some((cache, dir)) = temp_cache("cli_build_reports_the_outcome_and_calls_the_library")
    else {
        return;
    };
    let src = dir.path().join("cli.mojo");
    fs::write(
        &src,
        "@export(\"cli_answer\")\ndef cli_answer() abi(\"C\") -> Int:\n    return 42\n",
    )
    .unwrap();
    let run = || {
        let out = Command::new(env!("CARGO_BIN_EXE_simdpar-mojo"))
            .arg("build")
            .arg(&src)
            .args(["--fp-mode", "off", "-D", "UNUSED=1", "--call", "cli_answer"])
            .env("SIMDPAR_CACHE_DIR", cache.dir())
            .env("SIMDPAR_MOJO", cache.toolchain().path())
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<serde_json::Value>(&out.stdout).expect("json")
    };
    let first = run();
    let second = run();
    assert_eq!(first["outcome"], "compiled");
    assert_eq!(second["outcome"], "hit");
    assert_eq!(first["key"], second["key"]);
    assert_eq!(second["called"], 42);
}

#[test]
fn executables_are_cached_and_run() {
    let Some((cache, _dir)) = temp_cache("executables_are_cached_and_run") else {
        return;
    };
    let src = Source::Inline {
        name: "hello.mojo".into(),
        text: "def main():\n    print(\"hello from mojo\", 6 * 7)\n".into(),
    };
    let req = BuildRequest::executable(src.clone());
    let art = cache.build(&req).expect("exe build");
    assert_eq!(art.manifest().inputs.emit, EmitKind::Executable.flag());
    let out = art.command().expect("command").output().expect("run");
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        "hello from mojo 42"
    );
    assert!(art.load().is_err(), "an executable is not a library");
    assert_eq!(cache.build(&req).unwrap().outcome(), &BuildOutcome::Hit);
    let lib_key = cache.key(&BuildRequest::shared_lib(src)).unwrap();
    assert_ne!(lib_key, art.key(), "emit kind is part of the key");
}

#[test]
fn size_cap_evicts_least_recently_used_and_clear_empties() {
    let Some((cache, _dir)) = temp_cache_with(
        "size_cap_evicts_least_recently_used_and_clear_empties",
        |c| c.max_bytes = 1,
    ) else {
        return;
    };
    let a = BuildRequest::shared_lib(answer_source("a.mojo", 1));
    let b = BuildRequest::shared_lib(answer_source("b.mojo", 2));
    let art_a = cache.build(&a).expect("a");
    let art_b = cache.build(&b).expect("b");
    assert!(!art_a.path().exists(), "a was evicted to make room for b");
    assert!(art_b.path().exists(), "the entry just built is kept");
    assert_eq!(cache.stats().evictions, 1);
    assert_eq!(cache.info().unwrap().entries, 1);
    assert_eq!(cache.build(&a).unwrap().outcome(), &BuildOutcome::Compiled);
    assert_eq!(cache.clear().unwrap(), 1);
    assert_eq!(cache.info().unwrap().entries, 0);
    assert_eq!(
        cache.info().unwrap().lifetime.misses,
        0,
        "clear resets the counters"
    );
}

#[test]
fn missing_symbol_is_a_typed_error() {
    let Some((cache, _dir)) = temp_cache("missing_symbol_is_a_typed_error") else {
        return;
    };
    let lib = cache
        .build(&BuildRequest::shared_lib(answer_source("sym.mojo", 3)))
        .unwrap()
        .load()
        .unwrap();
    assert!(lib.has_symbol("answer"));
    assert!(!lib.has_symbol("no_such_symbol"));
    // SAFETY: the lookup fails, nothing is called.
    let r = unsafe { lib.symbol::<unsafe extern "C" fn()>("no_such_symbol") };
    match r {
        Err(MojoError::MissingSymbol { symbol, .. }) => assert_eq!(symbol, "no_such_symbol"),
        other => panic!("expected MissingSymbol, got {other:?}"),
    }
}

#[test]
fn compile_timeout_kills_the_compiler() {
    let Some((cache, _dir)) = temp_cache_with("compile_timeout_kills_the_compiler", |c| {
        c.compile_timeout = Duration::from_millis(30)
    }) else {
        return;
    };
    match cache.build(&BuildRequest::shared_lib(answer_source("slow.mojo", 9))) {
        Err(MojoError::CompileTimeout { source_name, .. }) => assert_eq!(source_name, "slow.mojo"),
        other => panic!("expected CompileTimeout, got {other:?}"),
    }
    assert_eq!(cache.info().unwrap().entries, 0);
}

#[test]
fn missing_toolchain_names_the_install_command() {
    let out = Command::new(env!("CARGO_BIN_EXE_simdpar-mojo"))
        .arg("info")
        .env("SIMDPAR_MOJO", "/nonexistent/bin/mojo")
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("mojo toolchain not found"), "{err}");
    assert!(err.contains("pip install mojo==1.2.0"), "{err}");

    match simdpar_mojo::Toolchain::at(std::path::Path::new("/nonexistent/bin/mojo")) {
        Err(MojoError::ToolchainBroken { .. }) => {}
        other => panic!("expected ToolchainBroken, got {other:?}"),
    }
}

/// An extension module `extmod` whose `value()` returns `helper.base() + 1`.
const EXT_SOURCE: &str = "from std.os import abort\n\
from std.python import PythonObject\n\
from std.python.bindings import PythonModuleBuilder\n\
from helper import base\n\
\n\
def value() raises -> PythonObject:\n    return PythonObject(base() + 1)\n\
\n\
@export\n\
def PyInit_extmod() abi(\"C\") -> PythonObject:\n    try:\n        var m = PythonModuleBuilder(\"extmod\")\n        m.def_function[value](\"value\")\n        return m.finalize()\n    except e:\n        abort(String(\"extmod: \", e))\n";

#[test]
fn python_extension_is_keyed_apart_named_for_cpython_and_tracks_imports() {
    let Some((cache, dir)) =
        temp_cache("python_extension_is_keyed_apart_named_for_cpython_and_tracks_imports")
    else {
        return;
    };
    let src_dir = dir.path().join("src");
    fs::create_dir_all(&src_dir).unwrap();
    fs::write(
        src_dir.join("helper.mojo"),
        "def base() -> Int:\n    return 41\n",
    )
    .unwrap();
    fs::write(
        src_dir.join("unrelated.mojo"),
        "def u() -> Int:\n    return 0\n",
    )
    .unwrap();
    let main = src_dir.join("extmod.mojo");
    fs::write(&main, EXT_SOURCE).unwrap();

    let req = BuildRequest::python_extension(Source::File(main.clone()));
    let art = cache.build(&req).expect("extension build");
    assert_eq!(art.outcome(), &BuildOutcome::Compiled);
    assert_eq!(art.manifest().inputs.emit, "python-extension");
    assert_eq!(art.path().file_name().unwrap(), "extmod.so");
    assert!(
        art.manifest()
            .inputs
            .includes
            .iter()
            .any(|(p, _)| p.starts_with("import:") && p.ends_with("helper.mojo")),
        "{:?}",
        art.manifest().inputs.includes
    );
    assert!(art.extension_path().is_ok());
    // Not a plain C-ABI library: load() refuses it.
    assert!(matches!(art.load(), Err(MojoError::InvalidArgument(_))));
    // The same source as a plain shared library is another key.
    let plain = cache
        .key(&BuildRequest::shared_lib(Source::File(main.clone())))
        .unwrap();
    assert_ne!(plain, art.key());
    // An unrelated file in the directory does not change the key...
    fs::write(
        src_dir.join("unrelated.mojo"),
        "def u() -> Int:\n    return 9\n",
    )
    .unwrap();
    assert_eq!(cache.key(&req).unwrap(), art.key());
    assert_eq!(cache.build(&req).unwrap().outcome(), &BuildOutcome::Hit);
    // ...an imported one does.
    fs::write(
        src_dir.join("helper.mojo"),
        "def base() -> Int:\n    return 1\n",
    )
    .unwrap();
    assert_ne!(cache.key(&req).unwrap(), art.key());

    // Inline text with an import dir: same import tracking.
    let inline = BuildRequest::python_extension(Source::Inline {
        name: "extmod.mojo".into(),
        text: EXT_SOURCE.into(),
    })
    .import_dir(&src_dir);
    let inputs = cache.key_inputs(&inline).unwrap();
    assert_eq!(
        inputs
            .includes
            .iter()
            .filter(|(p, _)| p.starts_with("import:"))
            .count(),
        1
    );
    let built = cache.build(&inline).expect("inline extension with -I");
    assert_eq!(built.path().file_name().unwrap(), "extmod.so");
}

#[test]
fn python_extension_for_features_this_cpu_lacks_is_refused() {
    let Some((cache, _dir)) = temp_cache("python_extension_for_features_this_cpu_lacks_is_refused")
    else {
        return;
    };
    let host = cache.host().clone();
    let candidates = [
        "x86-64-v4",
        "sapphirerapids",
        "graniterapids",
        "diamondrapids",
    ];
    let Some(cpu) = candidates.iter().find(|c| {
        cache
            .toolchain()
            .effective_target(Some(c), None)
            .is_ok_and(|t| !host.missing(t.required_features()).is_empty())
    }) else {
        let what = "python_extension refusal (no candidate CPU has a feature this host lacks)";
        assert!(
            std::env::var("SIMDPAR_CI").as_deref() != Ok("1"),
            "SKIPPED in CI (SIMDPAR_CI=1 makes a skip a failure): {what}"
        );
        eprintln!("SKIPPED: {what}");
        return;
    };
    let src = Source::Inline {
        name: "extmod.mojo".into(),
        text: EXT_SOURCE.replace(
            "from helper import base\n",
            "def base() -> Int:\n    return 2\n",
        ),
    };
    let art = cache
        .build(&BuildRequest::python_extension(src).target_cpu(*cpu))
        .expect("cross-compile");
    assert!(matches!(
        art.extension_path(),
        Err(MojoError::UnsupportedTarget { .. })
    ));
}
