//! The report's timing: the kernels' timing engine
//! ([`simdpar_kernels::timing`], re-exported here under the names the
//! report and the benches use) and readings of the machine's load.

pub use simdpar::simdpar_kernels::timing::{
    Calibration, Candidate, Order, Schedule, Stats, TimingConfig, calls_per_sample, held_out_best,
    interleaved, median, paired_ratio, paired_speedup_ratio, run_rounds,
};
use std::time::{Duration, Instant};

/// The 1-minute load average (`/proc/loadavg`), if readable.
pub fn loadavg() -> Option<f64> {
    std::fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// CPU time used by the whole machine minus this process while `f` ran, in
/// CPUs (e.g. 0.8 = other processes kept most of one core busy), from
/// `/proc/stat` and `/proc/self/stat`; `None` where those are unreadable.
pub fn foreign_load<R>(f: impl FnOnce() -> R) -> (R, Option<f64>) {
    let before = (busy_ticks(), self_ticks());
    let t = Instant::now();
    let r = f();
    let secs = t.elapsed().as_secs_f64();
    let after = (busy_ticks(), self_ticks());
    let load = match (before, after) {
        ((Some(b0), Some(s0)), (Some(b1), Some(s1))) if secs > 0.0 => {
            let hz = 100.0; // USER_HZ on Linux
            let other = (b1.saturating_sub(b0)).saturating_sub(s1.saturating_sub(s0));
            Some(other as f64 / hz / secs)
        }
        _ => None,
    };
    (r, load)
}

/// Waits until other processes use less than `threshold` CPUs over a
/// half-second window, for at most `max`; returns the last measured load.
pub fn wait_quiet(max: Duration, threshold: f64) -> Option<f64> {
    let start = Instant::now();
    loop {
        let ((), load) = foreign_load(|| std::thread::sleep(Duration::from_millis(500)));
        match load {
            Some(l) if l >= threshold && start.elapsed() < max => continue,
            other => return other,
        }
    }
}

fn busy_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/stat").ok()?;
    let line = s.lines().next()?;
    let v: Vec<u64> = line
        .split_whitespace()
        .skip(1)
        .filter_map(|x| x.parse().ok())
        .collect();
    // user nice system idle iowait irq softirq steal
    if v.len() < 8 {
        return None;
    }
    Some(v[0] + v[1] + v[2] + v[5] + v[6] + v[7])
}

fn self_ticks() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name (which may contain spaces).
    let rest = &s[s.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    // utime = field 14, stime = 15 (1-based) => indices 11, 12 after the name.
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}
