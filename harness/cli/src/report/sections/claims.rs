//! "Popular claims, measured here": the verdicts of benches/python/claims.py.

use super::Doc;
use std::fmt::Write;

/// Escapes a table cell.
fn cell(s: &str) -> String {
    s.replace('|', "\\|").replace('\n', " ")
}

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let c = &d.r.claims;
    let _ = writeln!(s, "## Popular claims, measured here\n");
    let _ = writeln!(
        s,
        "Speed claims from notebook-integration posts, Mojo pitfalls articles and Mojo vs \
         Python articles, each measured on this CPU in this run by `benches/python/claims.py` \
         (contenders interleaved, medians). Where this machine lacks the hardware a claim \
         needs, the measured line says what was measured instead; the verdict is for this CPU.\n"
    );
    if let Some((before, after)) = &c.load {
        let _ = writeln!(s, "Load average before / after: {before} / {after}.\n");
    }
    if !c.claims.is_empty() {
        let _ = writeln!(
            s,
            "| # | claim | source | measured here | baseline | verdict | why |"
        );
        let _ = writeln!(s, "|---|---|---|---|---|---|---|");
        for k in &c.claims {
            let _ = writeln!(
                s,
                "| {} | {} | {} | {} | {} | **{}** | {} |",
                k.id,
                cell(&k.claim),
                cell(&k.source),
                cell(&k.measured),
                cell(&k.baseline),
                cell(&k.verdict),
                cell(&k.why)
            );
        }
        s.push('\n');
    }
    for n in &c.notes {
        let _ = writeln!(s, "- **note:** {n}");
    }
    if !c.notes.is_empty() {
        s.push('\n');
    }
}
