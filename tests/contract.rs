//! The numerical contract, checked on every ISA this machine can run (and on
//! NEON when this suite runs under `qemu-aarch64`):
//!
//! * every kernel x ISA x dtype x length `0..=4W+3` (+ large lengths) x
//!   element offset `0..W` x special values, against the scalar oracle,
//!   bit for bit, with guard zones around every output;
//! * `sum` / `row_sums` bitwise identical across ISAs and 1..4 threads;
//! * accuracy of the fixed summation order on hard inputs.

use simdpar::map::{Store, scalar as map_oracle};
use simdpar::reduce::scalar as reduce_oracle;
use simdpar::{
    Element, Isa, Kernel, MandelbrotGrid, Plain, Threads, available_isas, par, with_isa,
};
use simdpar_test_support::{Coverage, GUARD, Guarded, Placed, Rng, assert_same, same, values};

/// Widest vector of any ISA in elements (AVX-512 f32): tails up to 4W+3.
const W: usize = 16;

fn lengths() -> Vec<usize> {
    let mut v: Vec<usize> = (0..=4 * W + 3).collect();
    // 16 Ki + 5: a one-input kernel there runs `Store::ByLine` (arrays past
    // L1, inside a quarter of L2).
    v.extend([127, 128, 129, 1000, 4099, 16_384 + 5, 65_536 + 13]);
    v
}

fn run_on<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    with_isa(isa, f).expect("available ISAs can be scoped")
}

/// One elementwise kernel, given as (dispatched call, oracle call).
type Binary<T> = (
    &'static str,
    fn(&[T], &[T], &mut [T]) -> Result<(), simdpar::KernelError>,
    fn(&[T], &[T], &mut [T], Store),
);

fn check_map<T: Element + Plain>(cov: &Coverage) {
    let binaries: [Binary<T>; 2] = [
        ("add", simdpar::add, map_oracle::add),
        ("multiply", simdpar::multiply, map_oracle::multiply),
    ];
    let sentinel = T::from_f64(12345.0);
    let params = [T::from_f64(0.1), T::from_f64(-2.5), T::from_f64(0.0)];
    for isa in available_isas() {
        let mut cases = 0;
        for n in lengths() {
            let offsets = if n > 4 * W + 3 { 0..2 } else { 0..W };
            let a = values::<T>(n, n as u64, 7);
            let b = values::<T>(n, n as u64 + 99, 5);
            for off in offsets {
                let pa = Placed::new(&a, off);
                let pb = Placed::new(&b, (off + 3) % W);
                for (name, kernel, oracle) in &binaries {
                    let mut want = vec![T::ZERO; n];
                    oracle(&a, &b, &mut want, Store::Cached);
                    let mut out = Guarded::new(n, off, sentinel);
                    run_on(isa, || kernel(pa.get(), pb.get(), out.out())).unwrap();
                    let what = format!("{name} {} {isa} n={n} off={off}", T::NAME);
                    out.check_guards(&what);
                    assert_same(out.result(), &want, &what);
                    // In place: a op= b gives the same bits.
                    let mut inplace = Placed::new(&a, off);
                    run_on(isa, || match *name {
                        "add" => simdpar::add_assign(inplace.get_mut(), pb.get()),
                        _ => simdpar::multiply_assign(inplace.get_mut(), pb.get()),
                    })
                    .unwrap();
                    assert_same(inplace.get(), &want, &format!("{what} assign"));
                    cases += 2;
                }
                // Unary kernels, out of place and in place.
                let mut want = vec![T::ZERO; n];
                map_oracle::square(&a, &mut want, Store::Cached);
                let mut out = Guarded::new(n, off, sentinel);
                run_on(isa, || simdpar::square(pa.get(), out.out())).unwrap();
                let what = format!("square {} {isa} n={n} off={off}", T::NAME);
                out.check_guards(&what);
                assert_same(out.result(), &want, &what);
                let mut inplace = Placed::new(&a, off);
                run_on(isa, || simdpar::square_inplace(inplace.get_mut()));
                assert_same(inplace.get(), &want, &format!("{what} inplace"));
                cases += 2;
                for &p in &params {
                    for name in ["scale", "leaky_relu"] {
                        let mut want = vec![T::ZERO; n];
                        let mut out = Guarded::new(n, off, sentinel);
                        let mut inplace = Placed::new(&a, off);
                        if name == "scale" {
                            map_oracle::scale(&a, p, &mut want, Store::Cached);
                            run_on(isa, || simdpar::scale(pa.get(), p, out.out())).unwrap();
                            run_on(isa, || simdpar::scale_inplace(inplace.get_mut(), p));
                        } else {
                            map_oracle::leaky_relu(&a, p, &mut want, Store::Cached);
                            run_on(isa, || simdpar::leaky_relu(pa.get(), p, out.out())).unwrap();
                            run_on(isa, || simdpar::leaky_relu_inplace(inplace.get_mut(), p));
                        }
                        let what = format!("{name}({p:?}) {} {isa} n={n} off={off}", T::NAME);
                        out.check_guards(&what);
                        assert_same(out.result(), &want, &what);
                        assert_same(inplace.get(), &want, &format!("{what} inplace"));
                        cases += 2;
                    }
                }
            }
        }
        cov.add(isa, cases);
    }
}

#[test]
fn map_kernels_match_the_oracle_bitwise() {
    static COV: Coverage = Coverage::new();
    check_map::<f32>(&COV);
    check_map::<f64>(&COV);
    COV.write("map");
}

/// Non-temporal stores: every ISA that has them, every head misalignment.
#[test]
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn streaming_stores_match_cached_stores() {
    use simdpar::map::{avx2, avx512};
    for n in [0, 1, 5, 17, 64, 100, 1031] {
        let a = values::<f32>(n, 1, 9);
        let b = values::<f32>(n, 2, 0);
        let mut want = vec![0.0f32; n];
        map_oracle::multiply(&a, &b, &mut want, Store::Cached);
        for off in 0..W {
            let mut out = Guarded::new(n, off, 7.0f32);
            if let Some(t) = simdpar::Avx2::new() {
                avx2::multiply_f32(t, &a, &b, out.out(), Store::Streaming);
                out.check_guards("avx2 stream");
                assert_same(out.result(), &want, &format!("avx2 stream n={n} off={off}"));
            }
            if let Some(t) = simdpar::Avx512::new() {
                avx512::multiply_f32(t, &a, &b, out.out(), Store::Streaming);
                out.check_guards("avx512 stream");
                assert_same(
                    out.result(),
                    &want,
                    &format!("avx512 stream n={n} off={off}"),
                );
            }
        }
    }
}

/// Every store policy gives the oracle's bits on every x86 ISA entry point
/// (the line-per-step loop of `Store::ByLine` runs on AVX-512; the others
/// take it as `Store::Cached`): all five out-of-place kernels, f32 and f64,
/// lengths around one vector, one line and the four-vector step, every
/// element offset of the output and an input offset that differs from it,
/// with guard zones around the output.
#[test]
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn every_store_policy_matches_the_oracle() {
    /// An ISA entry point as (name, call with inputs a and b, output, store).
    type Entry<'a, T> = (&'a str, &'a dyn Fn(&[T], &[T], &mut [T], Store));
    /// The oracle of a kernel: (name, call with a, b, parameter, output).
    type Oracle<T> = (&'static str, fn(&[T], &[T], T, &mut [T]));
    fn check<T: Element + Plain>(kernels: &[Entry<'_, T>], isa: &str) {
        let mut lens: Vec<usize> = (0..=4 * W + 3).collect();
        lens.extend([127, 128, 129, 1000, 4099]);
        let q = T::from_f64(-0.75);
        for n in lens {
            let a = values::<T>(n, 5 * n as u64 + 2, 7);
            let b = values::<T>(n, 5 * n as u64 + 3, 5);
            let oracles: [Oracle<T>; 5] = [
                ("add", |a, b, _, o| map_oracle::add(a, b, o, Store::Cached)),
                ("multiply", |a, b, _, o| {
                    map_oracle::multiply(a, b, o, Store::Cached)
                }),
                ("square", |a, _, _, o| {
                    map_oracle::square(a, o, Store::Cached)
                }),
                ("scale", |a, _, q, o| {
                    map_oracle::scale(a, q, o, Store::Cached)
                }),
                ("leaky_relu", |a, _, q, o| {
                    map_oracle::leaky_relu(a, q, o, Store::Cached)
                }),
            ];
            for off in 0..W {
                let pa = Placed::new(&a, (off + 1) % W);
                let pb = Placed::new(&b, (off + 5) % W);
                for ((name, kernel), (oname, oracle)) in kernels.iter().zip(&oracles) {
                    assert_eq!(name, oname);
                    let mut want = vec![T::ZERO; n];
                    oracle(&a, &b, q, &mut want);
                    for store in [Store::Cached, Store::ByLine, Store::Streaming] {
                        let mut out = Guarded::new(n, off, T::from_f64(4321.0));
                        kernel(pa.get(), pb.get(), out.out(), store);
                        let what = format!("{isa} {name} {} {store:?} n={n} off={off}", T::NAME);
                        out.check_guards(&what);
                        assert_same(out.result(), &want, &what);
                    }
                }
            }
        }
    }
    use simdpar::map::{avx2, avx512};
    // The five out-of-place entry points of one ISA module for one dtype.
    macro_rules! entries {
        ($m:ident, $t:expr, $add:ident, $mul:ident, $sq:ident, $scale:ident, $lrelu:ident) => {
            [
                ("add", &|a, b, o, s| $m::$add($t, a, b, o, s)),
                ("multiply", &|a, b, o, s| $m::$mul($t, a, b, o, s)),
                ("square", &|a, _, o, s| $m::$sq($t, a, o, s)),
                ("scale", &|a, _, o, s| $m::$scale($t, a, -0.75, o, s)),
                ("leaky_relu", &|a, _, o, s| $m::$lrelu($t, a, -0.75, o, s)),
            ]
        };
    }
    macro_rules! both_dtypes {
        ($m:ident, $t:expr) => {
            check::<f32>(
                &entries!(
                    $m,
                    $t,
                    add_f32,
                    multiply_f32,
                    square_f32,
                    scale_f32,
                    leaky_relu_f32
                ),
                stringify!($m),
            );
            check::<f64>(
                &entries!(
                    $m,
                    $t,
                    add_f64,
                    multiply_f64,
                    square_f64,
                    scale_f64,
                    leaky_relu_f64
                ),
                stringify!($m),
            );
        };
    }
    if let Some(t) = simdpar::Avx2::new() {
        both_dtypes!(avx2, t);
    }
    if let Some(t) = simdpar::Avx512::new() {
        both_dtypes!(avx512, t);
    } else {
        eprintln!(
            "every_store_policy_matches_the_oracle: no AVX-512 on this CPU; the Bochs suite runs Store::ByLine's loop (tests/bochs)"
        );
    }
}

/// Prefetching ahead (the path DRAM-sized reductions take) changes no bit:
/// every ISA that prefetches, lengths around the lane group, the block and
/// several blocks, every element offset, and row shapes whose rows end
/// mid-group; each against the scalar oracle.
#[test]
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn prefetching_reductions_match_the_oracle() {
    use simdpar::reduce::{Fetch, avx2, avx512};
    let mut lens: Vec<usize> = (0..=130).collect();
    lens.extend([1023, 1024, 1025, 4099, 70_001]);
    for n in lens {
        let x = values::<f32>(n, 3 * n as u64 + 1, 11);
        let want = reduce_oracle::sum(&x);
        for off in if n > 200 { 0..3 } else { 0..W } {
            let px = Placed::new(&x, off);
            for fetch in [Fetch::OnDemand, Fetch::Ahead] {
                if let Some(t) = simdpar::Avx2::new() {
                    let got = avx2::sum_f32(t, px.get(), fetch);
                    assert!(same(got, want), "avx2 {fetch:?} n={n} off={off}");
                }
                if let Some(t) = simdpar::Avx512::new() {
                    let got = avx512::sum_f32(t, px.get(), fetch);
                    assert!(same(got, want), "avx512 {fetch:?} n={n} off={off}");
                }
            }
        }
    }
    for cols in [1, 63, 64, 65, 128, 1000, 1024, 2049] {
        let rows = 9;
        let m = values::<f64>(rows * cols, cols as u64, 13);
        let mut want = vec![0.0f64; rows];
        reduce_oracle::row_sums(&m, cols, &mut want);
        for fetch in [Fetch::OnDemand, Fetch::Ahead] {
            if let Some(t) = simdpar::Avx2::new() {
                let mut out = Guarded::new(rows, cols % W, -777.0f64);
                avx2::row_sums_f64(t, &m, cols, out.out(), fetch);
                out.check_guards("avx2 row_sums");
                assert_same(
                    out.result(),
                    &want,
                    &format!("avx2 {fetch:?} {rows}x{cols}"),
                );
            }
            if let Some(t) = simdpar::Avx512::new() {
                let mut out = Guarded::new(rows, cols % W, -777.0f64);
                avx512::row_sums_f64(t, &m, cols, out.out(), fetch);
                out.check_guards("avx512 row_sums");
                assert_same(
                    out.result(),
                    &want,
                    &format!("avx512 {fetch:?} {rows}x{cols}"),
                );
            }
        }
    }
}

fn check_reduce<T: Element + Plain>(cov: &Coverage) {
    let mut lens: Vec<usize> = (0..=4 * T::SUM_LANES + 3).collect();
    lens.extend([
        T::SUM_BLOCK - 1,
        T::SUM_BLOCK,
        T::SUM_BLOCK + 1,
        3 * T::SUM_BLOCK + 7,
        100_000,
    ]);
    for isa in available_isas() {
        let mut cases = 0;
        for &n in &lens {
            let x = values::<T>(n, 7 * n as u64, if n % 3 == 0 { 0 } else { 11 });
            let want = reduce_oracle::sum(&x);
            let offsets = if n > 200 { 0..3 } else { 0..W };
            for off in offsets {
                let px = Placed::new(&x, off);
                let got = run_on(isa, || simdpar::sum(px.get()));
                assert!(
                    same(got, want),
                    "sum {} {isa} n={n} off={off}: {got:?} vs {want:?}",
                    T::NAME
                );
                cases += 1;
            }
        }
        // Row sums: many shapes, each row equal to `sum` of the row.
        for cols in (0..=70).chain([T::SUM_BLOCK, T::SUM_BLOCK + 3, 3 * T::SUM_BLOCK + 1]) {
            for rows in [0, 1, 2, 5, 17] {
                let m = values::<T>(rows * cols, (rows * 1000 + cols) as u64, 13);
                let mut want = vec![T::ZERO; rows];
                reduce_oracle::row_sums(&m, cols, &mut want);
                for (r, w) in want.iter().enumerate() {
                    assert!(same(*w, reduce_oracle::sum(&m[r * cols..(r + 1) * cols])));
                }
                let off = (rows + cols) % W;
                let pm = Placed::new(&m, off);
                let mut out = Guarded::new(rows, off, T::from_f64(-777.0));
                run_on(isa, || simdpar::row_sums(pm.get(), cols, out.out())).unwrap();
                let what = format!("row_sums {} {isa} {rows}x{cols}", T::NAME);
                out.check_guards(&what);
                assert_same(out.result(), &want, &what);
                cases += 1;
            }
        }
        cov.add(isa, cases);
    }
}

#[test]
fn reductions_match_the_oracle_bitwise() {
    static COV: Coverage = Coverage::new();
    check_reduce::<f32>(&COV);
    check_reduce::<f64>(&COV);
    COV.write("reduce");
}

fn check_mandelbrot<T: Element>(cov: &Coverage) {
    let nan = T::from_f64(f64::NAN);
    let inf = T::from_f64(f64::INFINITY);
    let views = [
        (
            (T::from_f64(-2.0), T::from_f64(0.5)),
            (T::from_f64(-1.25), T::from_f64(1.25)),
        ),
        (
            (T::from_f64(-0.75), T::from_f64(-0.74)),
            (T::from_f64(0.1), T::from_f64(0.11)),
        ),
        (
            (nan, T::from_f64(1.0)),
            (T::from_f64(-1.0), T::from_f64(1.0)),
        ),
        (
            (T::from_f64(-inf.to_f64()), inf),
            (T::ZERO, T::from_f64(1e-39)),
        ),
    ];
    for isa in available_isas() {
        let mut cases = 0;
        for (width, height) in [(1, 1), (3, 2), (7, 3), (16, 2), (33, 3), (40, 4), (67, 2)] {
            for max_iter in [0, 1, 2, 50, 256] {
                for &(xlim, ylim) in &views {
                    let g = MandelbrotGrid {
                        width,
                        height,
                        max_iter,
                        xlim,
                        ylim,
                    };
                    let mut want = vec![0u32; width * height];
                    simdpar::mandelbrot::scalar::rows(&g, 0, &mut want);
                    let mut out = Guarded::new(width * height, 3, u32::MAX);
                    run_on(isa, || simdpar::mandelbrot(&g, out.out())).unwrap();
                    let what = format!("mandelbrot {} {isa} {g:?}", T::NAME);
                    out.check_guards(&what);
                    assert_eq!(out.result(), &want[..], "{what}");
                    cases += 1;
                }
            }
        }
        cov.add(isa, cases);
    }
}

#[test]
fn mandelbrot_matches_the_oracle_bitwise() {
    static COV: Coverage = Coverage::new();
    check_mandelbrot::<f32>(&COV);
    check_mandelbrot::<f64>(&COV);
    COV.write("mandelbrot");
}

/// Parallel runs (1..4 threads) give the same bits as the scalar oracle on
/// inputs large enough to really split.
fn check_threads<T: Element + Plain>() {
    let n = simdpar::par::PAR_MIN_ELEMS_REDUCE + simdpar::par::PAR_MIN_ELEMS + 777;
    // The premise: with two threads allowed, every kernel below splits.
    if simdpar::Threads::Auto.max_threads() >= 2 {
        for (k, len) in [
            (Kernel::Sum, n),
            (Kernel::RowSums, n / 1000 * 1000),
            (Kernel::Multiply, n),
            (Kernel::LeakyRelu, n / 2), // in place: one array moves
        ] {
            let p = simdpar::plan(k, T::DTYPE, len, Threads::AtMost(2));
            assert_eq!(p.threads, 2, "{k:?} {} of {len} must split: {p:?}", T::NAME);
        }
    }
    let a = values::<T>(n, 5, 101);
    let b = values::<T>(n, 6, 0);
    let want_sum = reduce_oracle::sum(&a);
    let cols = 1000;
    let rows = n / cols;
    let mut want_rows = vec![T::ZERO; rows];
    reduce_oracle::row_sums(&a[..rows * cols], cols, &mut want_rows);
    let mut want_mul = vec![T::ZERO; n];
    map_oracle::multiply(&a, &b, &mut want_mul, Store::Cached);
    let mut want_lrelu = vec![T::ZERO; n];
    map_oracle::leaky_relu(&a, T::from_f64(0.1), &mut want_lrelu, Store::Cached);
    let g = MandelbrotGrid::<T>::new(300, 200);
    let mut want_mandel = vec![0u32; 300 * 200];
    simdpar::mandelbrot::scalar::rows(&g, 0, &mut want_mandel);
    for isa in available_isas() {
        for t in 1..=4 {
            let th = Threads::AtMost(t);
            let what = format!("{} {isa} threads={t}", T::NAME);
            run_on(isa, || {
                let s = par::sum(&a, th);
                assert!(same(s, want_sum), "par sum {what}: {s:?} vs {want_sum:?}");
                let mut out = vec![T::ZERO; rows];
                par::row_sums(&a[..rows * cols], cols, &mut out, th).unwrap();
                assert_same(&out, &want_rows, &format!("par row_sums {what}"));
                let mut out = vec![T::ZERO; n];
                par::multiply(&a, &b, &mut out, th).unwrap();
                assert_same(&out, &want_mul, &format!("par multiply {what}"));
                let mut x = a.clone();
                par::leaky_relu_inplace(&mut x, T::from_f64(0.1), th);
                assert_same(&x, &want_lrelu, &format!("par leaky_relu_inplace {what}"));
                let mut out = vec![0u32; 300 * 200];
                par::mandelbrot(&g, &mut out, th).unwrap();
                assert_eq!(out, want_mandel, "par mandelbrot {what}");
            });
        }
    }
}

#[test]
fn results_are_identical_across_thread_counts() {
    check_threads::<f32>();
    check_threads::<f64>();
}

/// An error-free reference sum of f32 values: f64 accumulation of f32
/// inputs in chunks small enough to stay exact is not generally exact, so
/// use a compensated (Neumaier) f64 sum, accurate far beyond f32.
fn reference_sum(x: &[f32]) -> f64 {
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for &v in x {
        let v = f64::from(v);
        let t = s + v;
        c += if s.abs() >= v.abs() {
            (s - t) + v
        } else {
            (v - t) + s
        };
        s = t;
    }
    s + c
}

/// NumPy's pairwise summation, re-stated: blocks of 128 with 8 partial sums,
/// recursive halving above that. Used as the accuracy yardstick.
fn numpy_pairwise(x: &[f32]) -> f32 {
    if x.len() < 8 {
        let mut r = -0.0f32;
        for &v in x {
            r += v;
        }
        r
    } else if x.len() <= 128 {
        let mut r = [0.0f32; 8];
        r.copy_from_slice(&x[..8]);
        let mut i = 8;
        while i + 8 <= x.len() {
            for j in 0..8 {
                r[j] += x[i + j];
            }
            i += 8;
        }
        let mut res = ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]));
        for &v in &x[i..] {
            res += v;
        }
        res
    } else {
        let n2 = (x.len() / 2) / 8 * 8;
        numpy_pairwise(&x[..n2]) + numpy_pairwise(&x[n2..])
    }
}

#[test]
fn summation_is_as_accurate_as_numpy_pairwise() {
    // 20M ones must be exact, on every ISA and thread count.
    let ones = vec![1.0f32; 20_000_000];
    for isa in available_isas() {
        for t in [1, 2, 4] {
            let s = run_on(isa, || par::sum(&ones, Threads::AtMost(t)));
            assert_eq!(s, 20_000_000.0, "20M ones on {isa} with {t} threads");
        }
    }
    drop(ones);
    // Hard inputs: mixed magnitudes, cancellation, a geometric spread.
    let mut rng = Rng::new(42);
    let n: usize = 1 << 20;
    let inputs: Vec<(&str, Vec<f32>)> = vec![
        (
            "mixed magnitudes",
            (0..n)
                .map(|_| (rng.unit() * 10f64.powi((rng.next_u64() % 12) as i32 - 6)) as f32)
                .collect(),
        ),
        (
            "cancellation",
            (0..n)
                .map(|i| {
                    if i % 2 == 0 {
                        1e4 + rng.unit() as f32
                    } else {
                        -1e4 + rng.unit() as f32
                    }
                })
                .collect(),
        ),
        (
            "uniform [0,1)",
            (0..n).map(|_| (rng.unit() * 0.5 + 0.5) as f32).collect(),
        ),
        (
            "geometric",
            (0..n)
                .map(|i| 1.0001f32.powi((i % 20_000) as i32))
                .collect(),
        ),
    ];
    let (mut ours_total, mut numpy_total) = (0.0f64, 0.0f64);
    for (name, x) in &inputs {
        let exact = reference_sum(x);
        let ours = f64::from(simdpar::sum(x));
        let theirs = f64::from(numpy_pairwise(x));
        let abs_sum: f64 = x.iter().map(|v| f64::from(v.abs())).sum();
        // The documented bound: (16 + log2 L + ceil(log2(n/B)) + 1) eps sum|x|.
        let lanes = <f32 as Element>::SUM_LANES as f64;
        let blocks = n.div_ceil(<f32 as Element>::SUM_BLOCK) as f64;
        let levels = 16.0 + lanes.log2() + blocks.log2().ceil() + 1.0;
        let bound = levels * f64::from(f32::EPSILON) * abs_sum;
        let err = (ours - exact).abs();
        assert!(err <= bound, "{name}: error {err:e} above bound {bound:e}");
        ours_total += err / abs_sum;
        numpy_total += (theirs - exact).abs() / abs_sum;
        println!(
            "{name}: relative error simdpar {:.3e}, numpy pairwise {:.3e}",
            err / abs_sum,
            (theirs - exact).abs() / abs_sum
        );
    }
    assert!(
        ours_total <= 1.5 * numpy_total,
        "simdpar's total relative error {ours_total:e} vs numpy pairwise {numpy_total:e}"
    );
}

#[test]
fn guard_zone_helper_catches_stray_writes() {
    // The guards used above must really detect a write past the end.
    let mut g = Guarded::new(4, 1, 9.0f32);
    let r = std::panic::catch_unwind(move || {
        let p = g.out().as_mut_ptr();
        // SAFETY: the guard zone (GUARD elements) follows the slice inside
        // the same allocation.
        unsafe { *p.add(4) = 0.0 };
        g.check_guards("deliberate");
    });
    assert!(r.is_err());
    const { assert!(GUARD >= 2 * W) };
}
