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
    s.push_str(&section(&kept_results(&results_dir())));
}

/// The section's Markdown, listing the `kept` results.
fn section(kept: &[String]) -> String {
    let mut s = String::from("## Across machines\n\n");
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
    if kept.is_empty() {
        return s;
    }
    let _ = writeln!(s, "Results kept in the source tree (`results/`):\n");
    for m in kept {
        let _ = writeln!(
            s,
            "- [`results/{m}/`](../../results/{m}/README.md) ([report.md](../../results/{m}/report.md))"
        );
    }
    s.push('\n');
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_the_kept_results_with_the_compare_command() {
        let dir = std::env::temp_dir().join(format!("simdpar-results-{}", std::process::id()));
        for m in ["zen5-b", "zen4-a", "not-a-result"] {
            std::fs::create_dir_all(dir.join(m)).unwrap();
        }
        std::fs::write(dir.join("zen4-a/report.json"), "{}").unwrap();
        std::fs::write(dir.join("zen5-b/report.json"), "{}").unwrap();
        let kept = kept_results(&dir);
        assert_eq!(kept, ["zen4-a", "zen5-b"]);
        let md = section(&kept);
        assert!(
            md.contains("simdpar compare target/simdpar-report/report.json results/*/report.json")
        );
        assert!(md.contains("- [`results/zen4-a/`](../../results/zen4-a/README.md)"));
        assert!(!md.contains("not-a-result"));
        assert!(!section(&[]).contains("kept in the source tree"));
        // The source tree keeps the Zen 4 result.
        assert!(kept_results(&results_dir()).contains(&"zen4-genoa-2026-12-05".to_string()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
