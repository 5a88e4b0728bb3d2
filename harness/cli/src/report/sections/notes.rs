//! What ran on the Python, NumPy and Mojo side, and every note.

use super::Doc;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let r = d.r;
    let _ = writeln!(s, "## Python, NumPy and Mojo\n");
    let _ = writeln!(
        s,
        "- Python: {} (NumPy {}, NumKong {}, simdpar package {})",
        r.py.python.as_deref().unwrap_or("not run"),
        r.py.numpy.as_deref().unwrap_or("missing"),
        r.py.numkong.as_deref().unwrap_or("missing"),
        r.py.simdpar.as_deref().unwrap_or("not importable")
    );
    if !r.py.command.is_empty() {
        let _ = writeln!(s, "- Python command: `{}`", r.py.command);
    }
    let _ = writeln!(
        s,
        "- Mojo: {}; twins loaded: {}",
        r.mojo.version.as_deref().unwrap_or("not found"),
        r.mojo
            .twins
            .loaded
            .iter()
            .map(|t| t.variant().name())
            .collect::<Vec<_>>()
            .join(", ")
    );
    for n in r.py.notes.iter().chain(&r.mojo.notes) {
        let _ = writeln!(s, "- **note:** {n}");
    }
    s.push('\n');
}
