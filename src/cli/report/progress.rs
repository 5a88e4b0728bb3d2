//! A progress bar on a terminal (stderr), plain lines otherwise.

use std::io::{IsTerminal, Write};
use std::time::Instant;

/// Counts steps and draws `[#####.....] 12/40 1m05s multiply f32 64M`.
pub struct Progress {
    total: usize,
    done: usize,
    tty: bool,
    start: Instant,
}

impl Progress {
    /// A bar for `total` steps.
    pub fn new(total: usize) -> Self {
        Progress {
            total: total.max(1),
            done: 0,
            tty: std::io::stderr().is_terminal(),
            start: Instant::now(),
        }
    }

    /// Starts the next step, labelled `what`.
    pub fn step(&mut self, what: &str) {
        self.done = (self.done + 1).min(self.total);
        let secs = self.start.elapsed().as_secs();
        let elapsed = format!("{}m{:02}s", secs / 60, secs % 60);
        let mut err = std::io::stderr().lock();
        if self.tty {
            let width = 30;
            let filled = width * (self.done - 1) / self.total;
            let bar: String = "#".repeat(filled) + &".".repeat(width - filled);
            let mut line = format!("[{bar}] {}/{} {elapsed} {what}", self.done, self.total);
            line.truncate(110);
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "[{}/{} {elapsed}] {what}", self.done, self.total);
        }
        let _ = err.flush();
    }

    /// Prints a message on its own line (keeping the bar below it).
    pub fn note(&self, msg: &str) {
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = writeln!(err, "\r\x1b[2K{msg}");
        } else {
            let _ = writeln!(err, "{msg}");
        }
    }

    /// Ends the bar.
    pub fn finish(&self) {
        if self.tty {
            let _ = writeln!(std::io::stderr());
        }
    }
}
