//! Progress of a report run: an `indicatif` bar on a terminal (stderr),
//! plain `[n/total elapsed] step` lines otherwise (logs, CI).

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::time::Instant;

/// Counts the steps of a run and shows the current one.
pub struct Progress {
    /// The bar, when stderr is a terminal.
    bar: Option<ProgressBar>,
    total: usize,
    done: usize,
    start: Instant,
}

impl Progress {
    /// A progress display for `total` steps.
    pub fn new(total: usize) -> Self {
        let total = total.max(1);
        let bar = std::io::stderr().is_terminal().then(|| {
            let b = ProgressBar::with_draw_target(Some(total as u64), ProgressDrawTarget::stderr());
            let style = ProgressStyle::with_template("[{bar:30}] {pos}/{len} {elapsed} {wide_msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("#>.");
            b.set_style(style);
            b
        });
        Progress {
            bar,
            total,
            done: 0,
            start: Instant::now(),
        }
    }

    /// Starts the next step, labelled `what`.
    pub fn step(&mut self, what: &str) {
        self.done = (self.done + 1).min(self.total);
        match &self.bar {
            Some(b) => {
                b.set_position(self.done as u64 - 1);
                b.set_message(what.to_string());
            }
            None => {
                let secs = self.start.elapsed().as_secs();
                eprintln!(
                    "[{}/{} {}m{:02}s] {what}",
                    self.done,
                    self.total,
                    secs / 60,
                    secs % 60
                );
            }
        }
    }

    /// Prints a message on its own line (above the bar).
    pub fn note(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.println(msg),
            None => eprintln!("{msg}"),
        }
    }

    /// Ends the bar.
    pub fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
