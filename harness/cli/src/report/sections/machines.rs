//! Across machines: how to compare this report with the results of other
//! machines (`simdpar compare`), and which ones the source tree keeps.

use super::Doc;
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// The source tree's `results/` directory (one result per machine).
fn results_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../results")
}

/// The `results/<machine>/report.json` files under `dir`, sorted.
pub(crate) fn kept_results(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut v: Vec<String> = entries
        .flatten()
        .filter(|e| e.path().join("report.json").is_file())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

/// Writes the section.
pub(super) fn write(s: &mut String, _d: &Doc<'_>) {
    let _ = writeln!(s, "## Across machines\n");
    let _ = writeln!(
        s,
        "`report.json` names the machine (its `machine` block: CPU identity, caches, ISAs, the \
         profile in force). To set this run beside other machines' results, cell by cell \
         (defaults against the best manual choice, every peer and the % of limit, with what \
         each machine's defaults ran), as Markdown and PNG charts in `target/simdpar-compare/`:\n"
    );
    let _ = writeln!(
        s,
        "```sh\nsimdpar compare target/simdpar-report/report.json results/*/report.json\n```\n"
    );
    let kept = kept_results(&results_dir());
    if kept.is_empty() {
        return;
    }
    let _ = writeln!(s, "Results kept in the source tree (`results/`):\n");
    for m in kept {
        let _ = writeln!(
            s,
            "- [`results/{m}/`](../../results/{m}/README.md) ([report.md](../../results/{m}/report.md))"
        );
    }
    s.push('\n');
}
