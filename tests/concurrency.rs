//! Many threads calling the kernels at once, each under its own scoped ISA
//! (`simdpar::with_isa`), some switching ISA between calls, while another
//! thread flips the process-wide default: every result must stay bitwise
//! equal to the scalar oracle, and every scope must see only its own ISA.

use simdpar::map::{Store, scalar as map_oracle};
use simdpar::reduce::scalar as reduce_oracle;
use simdpar::{
    Dtype, Isa, Kernel, MandelbrotGrid, Threads, active_isa, available_isas, kernel_isa, par,
    with_isa,
};
use simdpar_test_support::{assert_same, same, values};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex, RwLock};

/// The test that flips the process-wide default holds this exclusively;
/// tests that look at the unscoped selection hold it shared.
static DEFAULT_ISA: RwLock<()> = RwLock::new(());

/// Inputs and their oracle results, computed once on the scalar path.
struct Expected {
    a: Vec<f32>,
    b: Vec<f32>,
    big: Vec<f64>,
    cols: usize,
    sum_a: f32,
    sum_big: f64,
    rows_a: Vec<f32>,
    add: Vec<f32>,
    mul: Vec<f32>,
    lrelu: Vec<f32>,
    scale_big: Vec<f64>,
    grid: MandelbrotGrid<f64>,
    mandel: Vec<u32>,
}

fn expected() -> Expected {
    let n = 10_007;
    let a = values::<f32>(n, 1, 13);
    let b = values::<f32>(n, 2, 17);
    // Big enough for the parallel drivers to really split.
    let big = values::<f64>(
        par::PAR_MIN_ELEMS_REDUCE.max(par::PAR_MIN_ELEMS) + 4_097,
        3,
        101,
    );
    let cols = 97;
    let rows = n / cols;
    let mut rows_a = vec![0.0; rows];
    reduce_oracle::row_sums(&a[..rows * cols], cols, &mut rows_a);
    let mut add = vec![0.0; n];
    map_oracle::add(&a, &b, &mut add, Store::Cached);
    let mut mul = vec![0.0; n];
    map_oracle::multiply(&a, &b, &mut mul, Store::Cached);
    let mut lrelu = vec![0.0; n];
    map_oracle::leaky_relu(&a, 0.1, &mut lrelu, Store::Cached);
    let mut scale_big = vec![0.0; big.len()];
    map_oracle::scale(&big, -3.5, &mut scale_big, Store::Cached);
    let grid = MandelbrotGrid::<f64>::new(160, 90);
    let mut mandel = vec![0; 160 * 90];
    simdpar::mandelbrot::scalar::rows(&grid, 0, &mut mandel);
    Expected {
        sum_a: reduce_oracle::sum(&a),
        sum_big: reduce_oracle::sum(&big),
        a,
        b,
        big,
        cols,
        rows_a,
        add,
        mul,
        lrelu,
        scale_big,
        grid,
        mandel,
    }
}

/// One round of every kernel on the calling thread, checked bit for bit.
fn round(e: &Expected, isa: Isa, threads: Threads, what: &str) {
    assert_eq!(active_isa(), isa, "{what}: scope leaked");
    assert!(kernel_isa(Kernel::Sum, Dtype::F32, e.big.len()) <= isa);
    let s = simdpar::sum(&e.a);
    assert!(same(s, e.sum_a), "{what}: sum {s} vs {}", e.sum_a);
    let s = par::sum(&e.big, threads);
    assert!(same(s, e.sum_big), "{what}: par sum {s} vs {}", e.sum_big);
    let rows = e.rows_a.len();
    let mut out = vec![0.0f32; rows];
    par::row_sums(&e.a[..rows * e.cols], e.cols, &mut out, threads).unwrap();
    assert_same(&out, &e.rows_a, &format!("{what}: row_sums"));
    let mut out = vec![0.0f32; e.a.len()];
    simdpar::add(&e.a, &e.b, &mut out).unwrap();
    assert_same(&out, &e.add, &format!("{what}: add"));
    par::multiply(&e.a, &e.b, &mut out, threads).unwrap();
    assert_same(&out, &e.mul, &format!("{what}: multiply"));
    let mut x = e.a.clone();
    simdpar::leaky_relu_inplace(&mut x, 0.1);
    assert_same(&x, &e.lrelu, &format!("{what}: leaky_relu_inplace"));
    let mut out = vec![0.0f64; e.big.len()];
    par::scale(&e.big, -3.5, &mut out, threads).unwrap();
    assert_same(&out, &e.scale_big, &format!("{what}: par scale"));
    let mut m = vec![0u32; e.mandel.len()];
    par::mandelbrot(&e.grid, &mut m, threads).unwrap();
    assert_eq!(m, e.mandel, "{what}: mandelbrot");
    assert_eq!(active_isa(), isa, "{what}: scope changed during the round");
}

/// 8 threads, each pinned to one ISA (round robin over the available ones),
/// all starting at once.
#[test]
fn threads_with_different_scoped_isas_agree_bitwise() {
    let e = expected();
    let isas = available_isas();
    let n = 8;
    let start = Barrier::new(n);
    let rounds = AtomicUsize::new(0);
    std::thread::scope(|s| {
        for i in 0..n {
            let (e, start, rounds, isa) = (&e, &start, &rounds, isas[i % isas.len()]);
            s.spawn(move || {
                start.wait();
                for r in 0..3 {
                    let threads = [Threads::AtMost(1), Threads::AtMost(2), Threads::Auto][r];
                    let what = format!("thread {i} {isa} round {r} {threads:?}");
                    with_isa(isa, || round(e, isa, threads, &what)).unwrap();
                    rounds.fetch_add(1, Ordering::Relaxed);
                }
            });
        }
    });
    assert_eq!(rounds.load(Ordering::Relaxed), n * 3);
}

/// Threads that change ISA between (and inside, by nesting) calls, while
/// another thread flips the process-wide default with `set_isa`: scoped
/// threads never see the flips, and unscoped calls stay bitwise right
/// whatever the default is at that instant.
#[test]
fn switching_scopes_and_process_default_under_load() {
    let _exclusive = DEFAULT_ISA.write().unwrap_or_else(|p| p.into_inner());
    let e = expected();
    let isas = available_isas();
    let stop = AtomicBool::new(false);
    let flips = AtomicUsize::new(0);
    let checked = Mutex::new(0usize);
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut i = 0;
            while !stop.load(Ordering::Relaxed) {
                simdpar::set_isa(isas[i % isas.len()]).unwrap();
                i += 1;
                flips.fetch_add(1, Ordering::Relaxed);
                std::thread::yield_now();
            }
            simdpar::clear_isa();
        });
        let workers: Vec<_> = (0..6)
            .map(|w| {
                let (e, isas, checked) = (&e, &isas, &checked);
                s.spawn(move || {
                    for r in 0..2 * isas.len() {
                        let outer = isas[(w + r) % isas.len()];
                        let inner = isas[(w + 2 * r + 1) % isas.len()];
                        let what = format!("worker {w} round {r}");
                        with_isa(outer, || {
                            round(e, outer, Threads::AtMost(2), &format!("{what} {outer}"));
                            with_isa(inner, || {
                                round(e, inner, Threads::AtMost(1), &format!("{what} {inner}"))
                            })
                            .unwrap();
                            assert_eq!(active_isa(), outer, "{what}: nested scope leaked");
                        })
                        .unwrap();
                        // Unscoped: whatever the default is now, same bits.
                        let s = simdpar::sum(&e.a);
                        assert!(same(s, e.sum_a), "{what}: unscoped sum");
                        let mut out = vec![0.0f32; e.a.len()];
                        simdpar::multiply(&e.a, &e.b, &mut out).unwrap();
                        assert_same(&out, &e.mul, &format!("{what}: unscoped multiply"));
                        *checked.lock().unwrap() += 1;
                    }
                })
            })
            .collect();
        for w in workers {
            w.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
    assert_eq!(*checked.lock().unwrap(), 6 * 2 * isas.len());
    assert!(flips.load(Ordering::Relaxed) > 0);
}

/// Kernels called from inside rayon's own workers (a user's `par_iter`),
/// each task with its own scope, including the parallel drivers (nested
/// rayon): same bits, and a scope never leaks to the next task run by the
/// same worker thread.
#[test]
fn kernels_inside_rayon_tasks_with_per_task_scopes() {
    use rayon::prelude::*;
    let _shared = DEFAULT_ISA.read().unwrap_or_else(|p| p.into_inner());
    let e = expected();
    let isas = available_isas();
    let before = active_isa();
    (0..4 * isas.len()).into_par_iter().for_each(|i| {
        let isa = isas[i % isas.len()];
        let threads = if i % 2 == 0 {
            Threads::Auto
        } else {
            Threads::AtMost(2)
        };
        with_isa(isa, || round(&e, isa, threads, &format!("task {i} {isa}"))).unwrap();
    });
    // The caller's own thread took part; its selection is unchanged.
    assert_eq!(active_isa(), before);
}

/// A panic inside a scoped kernel call on one thread does not disturb the
/// other threads or leave the panicking thread's scope behind.
#[test]
fn a_panicking_thread_leaves_no_scope_behind() {
    let _shared = DEFAULT_ISA.read().unwrap_or_else(|p| p.into_inner());
    let e = expected();
    let isas = available_isas();
    std::thread::scope(|s| {
        let bad = s.spawn(|| {
            let outer = active_isa();
            let r = std::panic::catch_unwind(|| {
                with_isa(Isa::Scalar, || {
                    let _ = simdpar::sum(&e.a);
                    panic!("injected");
                })
            });
            assert!(r.is_err());
            assert_eq!(active_isa(), outer);
        });
        for (i, &isa) in isas.iter().enumerate() {
            let e = &e;
            s.spawn(move || {
                with_isa(isa, || {
                    round(e, isa, Threads::AtMost(2), &format!("peer {i}"))
                })
                .unwrap()
            });
        }
        bad.join().unwrap();
    });
}
