//! `report.md`: one file per section, written in the order of [`SECTIONS`].
//! A new section is a new file with a `write(s, doc)` function and one more
//! entry in that list.

mod alignment;
mod claims;
mod cpu;
mod defaults;
mod fmt;
mod goals;
mod header;
mod in_cache;
mod isa_tables;
mod lanes;
mod limit;
mod machines;
mod notes;
mod parity;
mod peer_wins;
mod scalar;
mod stream;
mod threads;
mod thresholds;

use super::goals::Goal;
use super::results::Results;

/// What every section may draw on: the measurements, the evaluated goals
/// and the chart files.
pub struct Doc<'a> {
    /// Everything measured.
    pub r: &'a Results,
    /// The goals, evaluated.
    pub goals: &'a [Goal],
    /// PNG file names (relative to the report directory).
    pub pngs: &'a [String],
}

/// A section: appends its Markdown to the report.
type Section = fn(&mut String, &Doc<'_>);

/// The sections, in report order.
const SECTIONS: &[Section] = &[
    header::write,
    cpu::write,
    parity::write,
    stream::write,
    in_cache::write,
    goals::write,
    defaults::write,
    peer_wins::write,
    limit::write,
    isa_tables::write,
    alignment::write,
    lanes::write,
    threads::write,
    scalar::write,
    thresholds::write,
    claims::write,
    notes::write,
    machines::write,
];

/// The Markdown report.
pub fn render(r: &Results, goals: &[Goal], pngs: &[String]) -> String {
    let doc = Doc { r, goals, pngs };
    let mut s = String::new();
    for section in SECTIONS {
        section(&mut s, &doc);
    }
    s
}
