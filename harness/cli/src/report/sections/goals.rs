//! The speed goals: the missed ones first, then all of them.

use super::Doc;
use super::fmt::goals_table;
use crate::report::goals::Goal;
use std::fmt::Write;

/// Writes the section.
pub(super) fn write(s: &mut String, d: &Doc<'_>) {
    let cmd = &d.r.opts.command;
    let _ = writeln!(s, "## Speed goals\n");
    let missed: Vec<Goal> = d
        .goals
        .iter()
        .filter(|g| g.pass == Some(false))
        .cloned()
        .collect();
    if !missed.is_empty() {
        let _ = writeln!(s, "### Missed\n");
        goals_table(s, &missed, cmd);
    }
    let _ = writeln!(s, "### All goals\n");
    goals_table(s, d.goals, cmd);
}
