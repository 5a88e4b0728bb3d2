//! `simdpar report` (being built: this placeholder is replaced by the real subcommand).

/// Runs the subcommand.
pub fn run(_args: &[String]) -> Result<(), String> {
    Err("simdpar report is not available in this build yet".into())
}
