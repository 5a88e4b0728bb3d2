//! `simdpar-mojo`: command-line access to the Mojo compile cache.
//!
//! ```text
//! simdpar-mojo build FILE.mojo [--exe] [--cpu CPU] [--features F] [--fp-mode fast|off]
//!                              [-D NAME=VALUE]... [-O N] [--call SYMBOL]
//! simdpar-mojo twins [VARIANT...]     build (or find) the twin variants
//! simdpar-mojo info                   cache directory, entries, lifetime stats (JSON)
//! simdpar-mojo clear                  remove every entry
//! ```
//!
//! `build` prints one JSON object: key, path, outcome (`hit`, `compiled`,
//! `rebuilt`), compile seconds and, with `--call SYMBOL`, the value returned
//! by the exported `() -> Int` function SYMBOL after loading the library.

use std::path::PathBuf;
use std::process::ExitCode;

use simdpar_mojo::{
    BuildOutcome, BuildRequest, Cache, CacheConfig, FpMode, MojoError, Source, TwinVariant, Twins,
};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simdpar-mojo: {e}");
            if let MojoError::Compile { stderr, .. } = &e {
                eprintln!("{stderr}");
            }
            ExitCode::FAILURE
        }
    }
}

fn outcome_name(o: &BuildOutcome) -> &'static str {
    match o {
        BuildOutcome::Hit => "hit",
        BuildOutcome::Compiled => "compiled",
        BuildOutcome::Rebuilt { .. } => "rebuilt",
    }
}

fn usage() -> MojoError {
    MojoError::InvalidArgument(
        "usage: simdpar-mojo build FILE.mojo [--exe] [--cpu CPU] [--features F] [--fp-mode fast|off] [-D K=V]... [-O N] [--call SYMBOL] | twins [VARIANT...] | info | clear"
            .into(),
    )
}

fn run(args: &[String]) -> Result<(), MojoError> {
    let Some(cmd) = args.first() else {
        return Err(usage());
    };
    let cache = Cache::with_config(CacheConfig::default())?;
    match cmd.as_str() {
        "build" => build(&cache, &args[1..]),
        "twins" => {
            let variants: Vec<TwinVariant> = if args.len() > 1 {
                args[1..]
                    .iter()
                    .map(|n| {
                        TwinVariant::from_name(n).ok_or_else(|| {
                            MojoError::InvalidArgument(format!("unknown twin variant {n:?}"))
                        })
                    })
                    .collect::<Result<_, _>>()?
            } else {
                TwinVariant::ALL.to_vec()
            };
            for v in variants {
                let t = Twins::load(&cache, v)?;
                let m = t.artifact().manifest();
                println!(
                    "{:<9} {} {:<8} cpu={} f32x{} f64x{} compile={:.2}s {}",
                    v.name(),
                    t.artifact().key(),
                    outcome_name(t.artifact().outcome()),
                    m.inputs.target.cpu,
                    t.simd_width::<f32>(),
                    t.simd_width::<f64>(),
                    m.compile_seconds,
                    t.artifact().path().display()
                );
            }
            Ok(())
        }
        "info" => {
            let info = cache.info()?;
            println!(
                "{}",
                serde_json::to_string_pretty(&info).expect("info serializes")
            );
            Ok(())
        }
        "clear" => {
            let n = cache.clear()?;
            println!("removed {n} entries from {}", cache.dir().display());
            Ok(())
        }
        _ => Err(usage()),
    }
}

fn build(cache: &Cache, args: &[String]) -> Result<(), MojoError> {
    let mut file: Option<PathBuf> = None;
    let mut exe = false;
    let mut cpu = None;
    let mut features = None;
    let mut fp = FpMode::ContractFast;
    let mut defines = Vec::new();
    let mut opt = 3u8;
    let mut call = None;
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut val = || it.next().cloned().ok_or_else(usage);
        match a.as_str() {
            "--exe" => exe = true,
            "--cpu" => cpu = Some(val()?),
            "--features" => features = Some(val()?),
            "--fp-mode" => {
                fp = match val()?.as_str() {
                    "fast" | "contract=fast" => FpMode::ContractFast,
                    "off" | "contract=off" => FpMode::ContractOff,
                    other => {
                        return Err(MojoError::InvalidArgument(format!("fp mode {other:?}")));
                    }
                }
            }
            "-D" => defines.push(val()?),
            "-O" => {
                opt = val()?
                    .parse()
                    .map_err(|_| MojoError::InvalidArgument("-O needs 0..=3".into()))?
            }
            "--call" => call = Some(val()?),
            f if !f.starts_with('-') && file.is_none() => file = Some(PathBuf::from(f)),
            _ => return Err(usage()),
        }
    }
    let file = file.ok_or_else(usage)?;
    let src = Source::File(file);
    let mut req = if exe {
        BuildRequest::executable(src)
    } else {
        BuildRequest::shared_lib(src)
    }
    .fp_mode(fp)
    .opt_level(opt);
    if let Some(c) = cpu {
        req = req.target_cpu(c);
    }
    if let Some(f) = features {
        req = req.target_features(f);
    }
    for d in defines {
        let (k, v) = d.split_once('=').unwrap_or((d.as_str(), "1"));
        req = req.define(k, v);
    }
    let art = cache.build(&req)?;
    let called = match call {
        Some(sym) => {
            let lib = art.load()?;
            // SAFETY: `--call` is documented to name an exported `() -> Int` function.
            let f: unsafe extern "C" fn() -> isize = unsafe { lib.symbol(&sym) }?;
            // SAFETY: as above; the library stays loaded during the call.
            Some(unsafe { f() })
        }
        None => None,
    };
    let out = serde_json::json!({
        "key": art.key(),
        "path": art.path(),
        "outcome": outcome_name(art.outcome()),
        "compile_seconds": art.manifest().compile_seconds,
        "target_cpu": art.manifest().inputs.target.cpu,
        "called": called,
    });
    println!("{out}");
    Ok(())
}
