//! The `simdpar` command: `info`, `parity`, `report`.

mod cli;

use std::process::ExitCode;

const USAGE: &str = "\
simdpar: hardware-aware SIMD kernels with a Mojo parity suite

usage:
  simdpar info [--json]      the CPU, the available ISAs and the ISA each kernel runs
  simdpar parity [--json]    every kernel vs its Mojo twin, on every host ISA
  simdpar report [--full]    benchmarks into target/simdpar-report/ (the main job)

environment:
  SIMDPAR_ISA=<isa>          force one ISA (scalar, portable, avx2, avx512, neon)
  SIMDPAR_MAX_ISA=<isa>      use the best ISA at or below this one
  SIMDPAR_DISABLE_ISA=<list> treat these ISAs as missing (e.g. avx512,avx2)
";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let Err(e) = simdpar::check_env() {
        eprintln!("simdpar: error: {e}");
        return ExitCode::from(2);
    }
    let (cmd, rest) = match args.split_first() {
        Some((c, r)) => (c.as_str(), r),
        None => ("help", &[][..]),
    };
    let result = match cmd {
        "info" => cli::info::run(rest),
        "parity" => cli::parity::run(rest),
        "report" => cli::report::run(rest),
        "help" | "-h" | "--help" => {
            print!("{USAGE}");
            Ok(())
        }
        other => Err(format!("unknown command {other:?}\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simdpar: error: {e}");
            ExitCode::from(1)
        }
    }
}
