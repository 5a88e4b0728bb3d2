//! `simdpar parity [--json] [--no-timing]`: every kernel against its Mojo
//! twin (the matrix and its rules: the `simdpar-parity` crate).

use simdpar_mojo::Cache;

/// Options of `simdpar parity`.
#[derive(Debug, clap::Args)]
pub struct Args {
    /// Print the matrix as JSON.
    #[arg(long)]
    json: bool,
    /// Skip the forced-16-lane timing rows.
    #[arg(long)]
    no_timing: bool,
}

/// Prints the matrix; fails when a cell fails or the Mojo toolchain is
/// missing.
pub fn run(args: &Args) -> Result<(), String> {
    let cache = Cache::open().map_err(|e| e.to_string())?;
    let report = simdpar_parity::compute_matrix(&cache, !args.no_timing)?;
    if args.json {
        println!("{}", report.to_json());
    } else {
        print!("{}", simdpar_parity::to_text(&report));
    }
    if report.all_ok() {
        return Ok(());
    }
    let bad: Vec<String> = report
        .cells
        .iter()
        .filter(|c| !c.ok)
        .map(|c| format!("{}/{}/{}/{}", c.kernel, c.dtype, c.isa, c.twin))
        .collect();
    Err(format!(
        "parity failed in {} cells: {}",
        bad.len(),
        bad.join(", ")
    ))
}
