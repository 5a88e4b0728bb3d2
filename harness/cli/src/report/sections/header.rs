//! The title, when and how the report was measured, the goal counts and
//! the charts.

use super::Doc;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let (r, goals) = (d.r, d.goals);
    let _ = writeln!(s, "# simdpar report\n");
    let _ = writeln!(
        s,
        "- {} · `{}` · {} mode · {:.0} s",
        r.date,
        r.opts.command,
        if r.opts.full { "full" } else { "quick" },
        r.elapsed.as_secs_f64()
    );
    if let Some(src) = &r.source {
        let _ = writeln!(s, "- Source measured: {src} (a release build of it)");
    }
    let fmt_load = |l: Option<f64>| l.map(|l| format!("{l:.2}")).unwrap_or_else(|| "?".into());
    let _ = writeln!(
        s,
        "- Load average at start / end: {} / {}; other processes used {} CPUs on average while \
         the Rust benchmarks ran. Medians of interleaved rounds; multi-threaded rows on a \
         shared 2-core machine are only trustworthy when that number is near 0.",
        fmt_load(r.load.0),
        fmt_load(r.load.1),
        r.foreign
            .map(|f| format!("{f:.2}"))
            .unwrap_or_else(|| "?".into())
    );
    let passed = goals.iter().filter(|g| g.pass == Some(true)).count();
    let missed = goals.iter().filter(|g| g.pass == Some(false)).count();
    let _ = writeln!(
        s,
        "- Goals: **{passed} passed, {missed} missed, {} not measured** (table below; all ratios \
         are also in `report.json`).\n",
        goals.len() - passed - missed
    );
    for p in d.pngs {
        let _ = writeln!(s, "![{p}]({p})");
    }
    s.push('\n');
}
