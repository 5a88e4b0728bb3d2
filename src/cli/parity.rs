//! `simdpar parity` (being built: this placeholder is replaced by the real subcommand).

/// Runs the subcommand.
pub fn run(_args: &[String]) -> Result<(), String> {
    Err("simdpar parity is not available in this build yet".into())
}
