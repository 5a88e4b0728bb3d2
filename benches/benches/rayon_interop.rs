//! simdpar inside a user's rayon program (`--features rayon`):
//!
//! 1. A user's `par_iter` over 64 chunks of 1 Mi f32, each calling
//!    `par::sum(chunk, Threads::Auto)`, against the same loop with
//!    `Threads::AtMost(1)`: the OS threads of the process afterwards (no
//!    simdpar thread may start) and the time ratio (paired median over
//!    interleaved rounds).
//! 2. Single large calls (`sum` of 64 Mi f32, `add` of 16 Mi f32) from the
//!    main thread on `Runtime::Rayon` against simdpar's own pool.
//!
//! ```sh
//! cargo bench -p simdpar-bench --features rayon --bench rayon_interop [-- --rounds 61]
//! ```
//!
//! Prints the load average (`/proc/loadavg`) before and after: on a shared
//! machine only rounds measured alike are comparable, which the paired
//! ratios take care of; absolute times move with the load.

use rayon::prelude::*;
use simdpar::par::{self, Threads};
use simdpar::{Runtime, set_runtime};
use simdpar_bench::timing::{Candidate, Stats, TimingConfig, interleaved, paired_ratio};
use std::hint::black_box;
use std::time::Duration;

/// Names of this process's OS threads.
fn threads() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| std::fs::read_to_string(e.path().join("comm")).unwrap_or_default())
                .map(|s| s.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn row(s: &Stats) {
    println!(
        "  {:<34} median {:>9.3} ms  (min {:.3}, max {:.3}, {} rounds x {} calls)",
        s.name,
        s.median * 1e3,
        s.min * 1e3,
        s.max * 1e3,
        s.samples,
        s.inner
    );
}

fn main() {
    // `--rounds N` (default 31); cargo passes `--bench` too.
    let args: Vec<String> = std::env::args().collect();
    let rounds = args
        .iter()
        .position(|a| a == "--rounds")
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(31);
    let cfg = TimingConfig {
        reps: rounds,
        min_sample: Duration::from_millis(20),
    };
    // Before anything starts rayon's global pool.
    let at_start = threads().len();
    println!("load average before: {}", load());
    println!(
        "logical CPUs {}, rayon global pool {} threads",
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        rayon::current_num_threads()
    );
    let x: Vec<f32> = (0..64usize << 20)
        .map(|i| ((i % 4093) as f32 - 2046.0) * 1e-3)
        .collect();
    let chunk = 1usize << 20;

    // 1. Nested: the user's par_iter over 64 chunks. Nothing in this part
    // may use simdpar's own pool.
    let nested = |t: Threads| -> f32 { x.par_chunks(chunk).map(|c| par::sum(c, t)).sum() };
    let a = nested(Threads::Auto);
    let b = nested(Threads::AtMost(1));
    assert_eq!(a.to_bits(), b.to_bits(), "the same bits either way");
    let stats = interleaved(
        &mut [
            Candidate::new("par_iter x par::sum(Auto)", |n| {
                for _ in 0..n {
                    black_box(nested(Threads::Auto));
                }
            }),
            Candidate::new("par_iter x par::sum(AtMost(1))", |n| {
                for _ in 0..n {
                    black_box(nested(Threads::AtMost(1)));
                }
            }),
        ],
        &cfg,
    );
    let names = threads();
    let simdpar_threads = names.iter().filter(|n| n.starts_with("simdpar-")).count();
    println!("\n1. user's par_iter over 64 x 1 Mi f32, par::sum in each chunk");
    for s in &stats {
        row(s);
    }
    println!(
        "  OS threads: {} at start (before rayon's pool), {} after; rayon's pool {}; \
         simdpar threads {}",
        at_start,
        names.len(),
        rayon::current_num_threads(),
        simdpar_threads
    );
    println!(
        "  speed of Auto relative to AtMost(1) (paired median of t(AtMost(1)) / t(Auto)): {:.3}x",
        paired_ratio(&stats[1], &stats[0])
    );
    assert_eq!(simdpar_threads, 0, "a simdpar thread started: {names:?}");
    assert!(names.len() <= at_start + rayon::current_num_threads());

    // 2. Single large calls from the main thread: rayon's global pool
    // against simdpar's own.
    let xs = &x[..];
    let y: Vec<f32> = x[..16 << 20].iter().map(|v| v * 0.5).collect();
    let mut out = vec![0f32; 16 << 20];
    let mut out2 = vec![0f32; 16 << 20];
    let on = |r: Runtime| set_runtime(r).expect("the rayon feature is on");
    let (o1, o2) = (&mut out, &mut out2);
    let (ys, xs16) = (&y[..], &x[..16 << 20]);
    let stats = interleaved(
        &mut [
            Candidate::new("sum 64 Mi f32, Runtime::Own", |n| {
                on(Runtime::Own);
                for _ in 0..n {
                    black_box(par::sum(xs, Threads::Auto));
                }
            }),
            Candidate::new("sum 64 Mi f32, Runtime::Rayon", |n| {
                on(Runtime::Rayon);
                for _ in 0..n {
                    black_box(par::sum(xs, Threads::Auto));
                }
            }),
            Candidate::new("add 16 Mi f32, Runtime::Own", |n| {
                on(Runtime::Own);
                for _ in 0..n {
                    par::add(xs16, ys, o1, Threads::Auto).unwrap();
                }
            }),
            Candidate::new("add 16 Mi f32, Runtime::Rayon", |n| {
                on(Runtime::Rayon);
                for _ in 0..n {
                    par::add(xs16, ys, o2, Threads::Auto).unwrap();
                }
            }),
        ],
        &cfg,
    );
    on(Runtime::Own);
    assert_eq!(out, out2);
    println!("\n2. single large calls from the main thread");
    for s in &stats {
        row(s);
    }
    println!(
        "  sum: Rayon speed relative to Own (paired median t(Own) / t(Rayon)): {:.3}x",
        paired_ratio(&stats[0], &stats[1])
    );
    println!(
        "  add: Rayon speed relative to Own (paired median t(Own) / t(Rayon)): {:.3}x",
        paired_ratio(&stats[2], &stats[3])
    );
    println!("\nload average after: {}", load());
}
