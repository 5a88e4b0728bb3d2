//! The process-wide thread limit: `set_max_threads` and
//! `SIMDPAR_NUM_THREADS` cap `Threads::Auto` (and so the plan of every
//! automatic call); an explicit `Threads::AtMost` is not capped; the bits
//! do not change. Tests that set the limit take turns.

use simdpar_kernels::par::{self, Threads};
use simdpar_kernels::{Dtype, Kernel, plan};
use std::sync::Mutex;

static TURN: Mutex<()> = Mutex::new(());

/// 64 Mi f32: a size every built-in plan splits when threads are allowed.
const BIG: usize = 64 << 20;

fn cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[test]
fn set_max_threads_caps_automatic_plans_only() {
    let _t = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let auto = plan(Kernel::Sum, Dtype::F32, BIG, Threads::Auto).threads;
    par::set_max_threads(1);
    assert_eq!(par::max_threads(), 1);
    assert_eq!(par::thread_limit(), Some(1));
    assert_eq!(Threads::Auto.max_threads(), 1);
    for k in [
        Kernel::Sum,
        Kernel::Add,
        Kernel::RowSums,
        Kernel::Mandelbrot,
    ] {
        assert_eq!(plan(k, Dtype::F32, BIG, Threads::Auto).threads, 1, "{k:?}");
    }
    // An explicit count is the caller's choice.
    assert_eq!(
        plan(Kernel::Sum, Dtype::F32, BIG, Threads::AtMost(2)).threads,
        plan(Kernel::Sum, Dtype::F32, BIG, Threads::AtMost(2))
            .threads
            .min(cpus())
    );
    // Never more than the CPUs.
    par::set_max_threads(cpus() + 7);
    assert_eq!(par::max_threads(), cpus());
    par::set_max_threads(0);
    assert_eq!(
        plan(Kernel::Sum, Dtype::F32, BIG, Threads::Auto).threads,
        auto
    );
}

#[test]
fn the_limit_does_not_change_the_bits() {
    let _t = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let x: Vec<f32> = (0..(5 << 20) + 77)
        .map(|i| ((i as f32) * 0.37).sin() * 1e3)
        .collect();
    let free = par::sum(&x, Threads::Auto);
    par::set_max_threads(1);
    let one = par::sum(&x, Threads::Auto);
    par::set_max_threads(0);
    assert_eq!(free.to_bits(), one.to_bits());
    assert_eq!(free.to_bits(), simdpar_kernels::sum(&x).to_bits());
}

/// Set in a child that [`child`] runs, which then tests the environment
/// it was given instead of starting a child of its own.
const CHILD: &str = "SIMDPAR_THREAD_LIMIT_CHILD";

/// Whether this process is such a child: the one reader of [`CHILD`].
fn in_child() -> bool {
    std::env::var_os(CHILD).is_some()
}

/// Runs this test binary's test `name` in a child with `env` set; whether
/// it passed.
fn child(name: &str, env: &[(&str, &str)]) -> bool {
    let exe = std::env::current_exe().expect("test binary path");
    let mut cmd = std::process::Command::new(exe);
    cmd.args(["--exact", name, "--test-threads=1"])
        .env(CHILD, "1");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run the child");
    let text = String::from_utf8_lossy(&out.stdout);
    out.status.success() && text.contains("1 passed")
}

#[test]
fn env_limit_is_read() {
    if !in_child() {
        assert!(child("env_limit_is_read", &[("SIMDPAR_NUM_THREADS", "1")]));
        return;
    }
    assert_eq!(par::check_env(), Ok(()));
    assert_eq!(par::thread_limit(), Some(1));
    assert_eq!(par::max_threads(), 1);
    assert_eq!(plan(Kernel::Sum, Dtype::F32, BIG, Threads::Auto).threads, 1);
    // set_max_threads overrides the variable; 0 goes back to it.
    par::set_max_threads(2);
    assert_eq!(par::max_threads(), 2.min(cpus()));
    par::set_max_threads(0);
    assert_eq!(par::max_threads(), 1);
}

#[test]
fn a_bad_env_limit_is_reported_and_ignored() {
    if !in_child() {
        assert!(child(
            "a_bad_env_limit_is_reported_and_ignored",
            &[
                ("SIMDPAR_NUM_THREADS", "zero"),
                ("SIMDPAR_RUNTIME", "green")
            ]
        ));
        return;
    }
    let e = par::check_env().unwrap_err();
    assert_eq!(e.var, par::ENV_NUM_THREADS);
    assert_eq!(par::thread_limit(), None);
    assert_eq!(par::max_threads(), cpus());
    assert_eq!(par::runtime(), par::Runtime::Own);
}

#[test]
fn env_runtime_is_read() {
    if !in_child() {
        assert!(child(
            "env_runtime_is_read",
            &[("SIMDPAR_RUNTIME", "rayon")]
        ));
        return;
    }
    if cfg!(feature = "rayon") {
        assert_eq!(par::check_env(), Ok(()));
        assert_eq!(par::runtime(), par::Runtime::Rayon);
        par::set_runtime(par::Runtime::Own).unwrap();
        assert_eq!(par::runtime(), par::Runtime::Own);
    } else {
        // Without the feature the variable cannot be honoured: reported,
        // and calls stay on the own pool.
        assert_eq!(par::check_env().unwrap_err().var, par::ENV_RUNTIME);
        assert_eq!(par::runtime(), par::Runtime::Own);
        assert!(par::set_runtime(par::Runtime::Rayon).is_err());
    }
}
