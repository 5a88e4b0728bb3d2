//! The `simdpar` command: `info`, `parity`, `report`, `tune`, `compare`. One file per
//! subcommand; a new subcommand is one more variant of [`Command`] and one
//! more module with a `run` function.

mod compare;
mod info;
mod parity;
mod report;
mod tune;

use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The environment variables every subcommand honours (shown by `--help`).
const ENV_HELP: &str = "\
environment:
  SIMDPAR_ISA=<isa>          force one ISA (scalar, portable, avx2, avx512, neon)
  SIMDPAR_MAX_ISA=<isa>      use the best ISA at or below this one
  SIMDPAR_DISABLE_ISA=<list> treat these ISAs as missing (e.g. avx512,avx2)
  SIMDPAR_NT_THRESHOLD=<n>   bytes from which map kernels use streaming stores
  SIMDPAR_TUNE_FILE=<path>   the tuned profile to read (and `simdpar tune` to write)
  SIMDPAR_NO_TUNE=1          ignore any tuned profile
  SIMDPAR_NUM_THREADS=<n>    at most n threads for every automatic thread count
  SIMDPAR_RUNTIME=<own|rayon> where parallel calls outside rayon run (rayon: feature `rayon`)";

/// simdpar: hardware-aware SIMD kernels with a Mojo parity suite.
#[derive(Debug, Parser)]
#[command(name = "simdpar", version, about, after_help = ENV_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
enum Command {
    /// The CPU, its ISAs, and what each kernel runs per size class (ISA, threads, why).
    Info(info::Args),
    /// Every kernel vs its Mojo twin, on every host ISA.
    Parity(parity::Args),
    /// Benchmarks into target/simdpar-report/ (the main job).
    Report(report::Args),
    /// Measure this machine and write its tuned profile (about a minute).
    Tune(tune::Args),
    /// Compare report.json files of several machines, cell by cell.
    Compare(compare::Args),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = simdpar::check_env() {
        eprintln!("simdpar: error: {e}");
        return ExitCode::from(2);
    }
    let result = match cli.command {
        Command::Info(a) => info::run(&a),
        Command::Parity(a) => parity::run(&a),
        Command::Report(a) => report::run(a),
        Command::Tune(a) => tune::run(&a),
        Command::Compare(a) => compare::run(&a),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simdpar: error: {e}");
            ExitCode::from(1)
        }
    }
}
