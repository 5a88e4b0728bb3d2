//! With the `rayon` feature, parallel calls made on rayon workers (and,
//! with `Runtime::Rayon`, from anywhere) run on rayon's pool: no simdpar
//! thread ever starts in this test binary. (Nothing here may use the own
//! pool, so the bit-for-bit checks live in `rayon_bits.rs`.)
#![cfg(feature = "rayon")]

use rayon::prelude::*;
use simdpar_kernels::par::{self, Runtime, Threads};

/// Names of this process's threads.
fn thread_names() -> Vec<String> {
    std::fs::read_dir("/proc/self/task")
        .map(|d| {
            d.filter_map(|e| e.ok())
                .map(|e| std::fs::read_to_string(e.path().join("comm")).unwrap_or_default())
                .map(|s| s.trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

fn data(n: usize) -> Vec<f32> {
    (0..n)
        .map(|i| ((i % 1013) as f32 - 500.0) * 0.013)
        .collect()
}

#[test]
fn calls_on_rayon_workers_and_the_rayon_runtime_start_no_simdpar_thread() {
    if !std::path::Path::new("/proc/self/task").exists() {
        println!("SKIPPED: no /proc/self/task to count threads");
        assert!(std::env::var("SIMDPAR_CI").as_deref() != Ok("1"));
        return;
    }
    let before = thread_names().len();
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .thread_name(|i| format!("user-rayon-{i}"))
        .build()
        .unwrap();
    // The shape: a user's par_iter over 64 chunks of 1 Mi f32, each
    // calling par::sum with automatic threads.
    let x = data(64 << 20);
    let sums: Vec<f32> = pool.install(|| {
        x.par_chunks(1 << 20)
            .map(|c| par::sum(c, Threads::Auto))
            .collect()
    });
    let serial: Vec<f32> = x.chunks(1 << 20).map(simdpar_kernels::sum).collect();
    assert_eq!(
        sums.iter().map(|s| s.to_bits()).collect::<Vec<_>>(),
        serial.iter().map(|s| s.to_bits()).collect::<Vec<_>>()
    );
    // One big call from inside the pool.
    let big = pool.install(|| par::sum(&x, Threads::Auto));
    assert_eq!(big.to_bits(), simdpar_kernels::sum(&x).to_bits());
    // A call from outside rayon on the rayon runtime (the global pool).
    par::set_runtime(Runtime::Rayon).unwrap();
    assert_eq!(par::runtime(), Runtime::Rayon);
    let mut out = vec![0f32; x.len()];
    par::add(&x, &x, &mut out, Threads::Auto).unwrap();
    assert!(
        out.iter()
            .zip(&x)
            .all(|(o, a)| o.to_bits() == (a + a).to_bits())
    );
    let names = thread_names();
    assert!(
        !names.iter().any(|n| n.starts_with("simdpar-")),
        "a simdpar thread started: {names:?}"
    );
    let global = rayon::current_num_threads();
    assert!(
        names.len() <= before + 2 + global,
        "{} threads: {before} before, 2 in the user's pool, {global} in rayon's global pool",
        names.len()
    );
}
