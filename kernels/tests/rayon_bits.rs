//! With the `rayon` feature: every parallel kernel gives the same bits on
//! simdpar's own pool, on rayon's global pool (`Runtime::Rayon`) and on
//! a user's rayon pool, at every thread count.
#![cfg(feature = "rayon")]

use simdpar_kernels::par::{self, Runtime, Threads};
use simdpar_kernels::{MandelbrotGrid, sum};
use std::sync::Mutex;

/// Tests that switch the runtime take turns.
static TURN: Mutex<()> = Mutex::new(());

fn data(n: usize, seed: u32) -> Vec<f32> {
    (0..n)
        .map(|i| {
            let v = (i as u32).wrapping_mul(2_654_435_761).wrapping_add(seed);
            (v >> 8) as f32 / 65536.0 - 128.0
        })
        .collect()
}

/// Every kernel's output, as bits, on threads `t`.
fn outputs(t: Threads) -> Vec<Vec<u32>> {
    let n = (3 << 20) + 123;
    let a = data(n, 1);
    let b = data(n, 2);
    let mut v = vec![vec![par::sum(&a, t).to_bits()]];
    let mut out = vec![0f32; n];
    par::add(&a, &b, &mut out, t).unwrap();
    v.push(out.iter().map(|x| x.to_bits()).collect());
    par::multiply(&a, &b, &mut out, t).unwrap();
    v.push(out.iter().map(|x| x.to_bits()).collect());
    par::leaky_relu(&a, 0.1, &mut out, t).unwrap();
    v.push(out.iter().map(|x| x.to_bits()).collect());
    let mut c = a.clone();
    par::scale_inplace(&mut c, 1.5, t);
    v.push(c.iter().map(|x| x.to_bits()).collect());
    let cols = 1000;
    let rows = n / cols;
    let mut rs = vec![0f32; rows];
    par::row_sums(&a[..rows * cols], cols, &mut rs, t).unwrap();
    v.push(rs.iter().map(|x| x.to_bits()).collect());
    let mut grid = MandelbrotGrid::<f32>::new(300, 200);
    grid.max_iter = 200;
    let mut img = vec![0u32; 300 * 200];
    par::mandelbrot(&grid, &mut img, t).unwrap();
    v.push(img);
    v
}

#[test]
fn every_runtime_gives_the_same_bits() {
    let _t = TURN.lock().unwrap_or_else(|p| p.into_inner());
    let a = data((3 << 20) + 123, 1);
    let want = sum(&a).to_bits();
    for t in [
        Threads::AtMost(1),
        Threads::AtMost(2),
        Threads::AtMost(3),
        Threads::Auto,
    ] {
        par::set_runtime(Runtime::Own).unwrap();
        let own = outputs(t);
        assert_eq!(own[0][0], want);
        par::set_runtime(Runtime::Rayon).unwrap();
        let global = outputs(t);
        par::set_runtime(Runtime::Own).unwrap();
        let user = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap()
            .install(|| outputs(t));
        assert!(own == global, "own pool vs rayon's global pool, {t:?}");
        assert!(own == user, "own pool vs a user's rayon pool, {t:?}");
    }
}

#[test]
fn shape_errors_come_back_on_the_rayon_runtime() {
    let _t = TURN.lock().unwrap_or_else(|p| p.into_inner());
    par::set_runtime(Runtime::Rayon).unwrap();
    let a = data(1 << 20, 3);
    let mut out = vec![0f32; (1 << 20) - 1];
    assert!(par::add(&a, &a, &mut out, Threads::Auto).is_err());
    par::set_runtime(Runtime::Own).unwrap();
}
