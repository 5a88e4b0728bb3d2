//! The numerical contract, checked on every ISA this machine can run (and on
//! NEON when this suite runs under `qemu-aarch64`):
//!
//! * every kernel x ISA x dtype x length `0..=4W+3` (+ large lengths) x
//!   element offset `0..W` x special values, against the scalar oracle,
//!   with guard zones around every output: elementwise outputs bit for bit
//!   except NaN, which must be NaN exactly where the oracle's is (its sign
//!   and payload are unspecified, see `simdpar::map`); Mandelbrot counts
//!   exactly;
//! * `sum` / `row_sums` bitwise identical across ISAs and 1..4 threads, NaN
//!   included (a NaN sum is the canonical NaN on every path);
//! * `leaky_relu` is the standard leaky ReLU on every ISA and thread count;
//! * accuracy of the fixed summation order on hard inputs.

use simdpar::map::{Store, scalar as map_oracle};
use simdpar::reduce::scalar as reduce_oracle;
use simdpar::{
    Element, Isa, Kernel, MandelbrotGrid, Plain, SumAccumulator, Threads, available_isas, par,
    with_isa,
};
use simdpar_test_support::{Coverage, GUARD, Guarded, Placed, Rng, assert_same, values};

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

// Elementwise results compare with `same` / `assert_same` (equal bits, or
// both NaN); reductions compare with these, bit for bit, NaN included.

/// Equal bits, NaN sign and payload included.
fn bits<T: Element>(a: T, b: T) -> bool {
    a.to_bits_u64() == b.to_bits_u64()
}

/// Panics with the first index whose bits differ.
fn assert_bits<T: Element>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = (0..got.len()).find(|&i| !bits(got[i], want[i])) {
        panic!(
            "{what}: index {i}: got {:?} ({:#x}), want {:?} ({:#x})",
            got[i],
            got[i].to_bits_u64(),
            want[i],
            want[i].to_bits_u64()
        );
    }
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

/// Non-temporal stores: every ISA that has them, every head misalignment;
/// lengths where the two halves of the streamed loop leave a rest, and one
/// of more than two runs of `READ_STREAMS_UP_TO_BYTES` (at three offsets).
#[test]
#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn streaming_stores_match_cached_stores() {
    use simdpar::map::{avx2, avx512};
    let runs = simdpar::plan::READ_STREAMS_UP_TO_BYTES / 4 * 2 + 4099;
    for n in [0, 1, 5, 17, 64, 100, 1031, 4099, runs] {
        let a = values::<f32>(n, 1, 9);
        let b = values::<f32>(n, 2, 0);
        let mut want = vec![0.0f32; n];
        map_oracle::multiply(&a, &b, &mut want, Store::Cached);
        let offsets: Vec<usize> = if n == runs {
            vec![0, 3, W - 1]
        } else {
            (0..W).collect()
        };
        for off in offsets {
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
                    assert!(bits(got, want), "avx2 {fetch:?} n={n} off={off}");
                }
                if let Some(t) = simdpar::Avx512::new() {
                    let got = avx512::sum_f32(t, px.get(), fetch);
                    assert!(bits(got, want), "avx512 {fetch:?} n={n} off={off}");
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
                assert_bits(
                    out.result(),
                    &want,
                    &format!("avx2 {fetch:?} {rows}x{cols}"),
                );
            }
            if let Some(t) = simdpar::Avx512::new() {
                let mut out = Guarded::new(rows, cols % W, -777.0f64);
                avx512::row_sums_f64(t, &m, cols, out.out(), fetch);
                out.check_guards("avx512 row_sums");
                assert_bits(
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
                    bits(got, want),
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
                    assert!(bits(*w, reduce_oracle::sum(&m[r * cols..(r + 1) * cols])));
                }
                let off = (rows + cols) % W;
                let pm = Placed::new(&m, off);
                let mut out = Guarded::new(rows, off, T::from_f64(-777.0));
                run_on(isa, || simdpar::row_sums(pm.get(), cols, out.out())).unwrap();
                let what = format!("row_sums {} {isa} {rows}x{cols}", T::NAME);
                out.check_guards(&what);
                assert_bits(out.result(), &want, &what);
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
                assert!(bits(s, want_sum), "par sum {what}: {s:?} vs {want_sum:?}");
                let mut out = vec![T::ZERO; rows];
                par::row_sums(&a[..rows * cols], cols, &mut out, th).unwrap();
                assert_bits(&out, &want_rows, &format!("par row_sums {what}"));
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

/// The canonical NaN's bits, as the contract states them (not read from
/// the library): positive, quiet, payload zero.
fn canonical_bits<T: Element>() -> u64 {
    if T::NAME == "f32" {
        0x7fc0_0000
    } else {
        0x7ff8_0000_0000_0000
    }
}

/// A NaN of `T` with the sign bit set and a payload in the low bits
/// (quiet when `quiet`, signalling otherwise).
fn odd_nan<T: Element>(payload: u64, quiet: bool) -> T {
    let (sign, exp, q, mask) = if T::NAME == "f32" {
        (1u64 << 31, 0xffu64 << 23, 1u64 << 22, (1u64 << 22) - 1)
    } else {
        (1 << 63, 0x7ff << 52, 1 << 51, (1 << 51) - 1)
    };
    let payload = (payload & mask).max(1);
    T::from_bits_u64(sign | exp | if quiet { q } else { 0 } | payload)
}

/// Inputs whose sum is NaN, each built so that the NaN the additions
/// produce is not the canonical one on some path: NaNs of both signs and
/// several payloads, `Inf + -Inf` (a negative NaN on x86), and the
/// issue's mix of a NaN with an `Inf - Inf` block further on.
fn nan_sum_inputs<T: Element>() -> Vec<(&'static str, Vec<T>)> {
    let nan = T::from_f64(f64::NAN);
    let neg_nan = T::from_f64(-f64::NAN);
    let inf = T::from_f64(f64::INFINITY);
    let ninf = T::from_f64(f64::NEG_INFINITY);
    let one = T::from_f64(1.0);
    let mut mixed = vec![T::ZERO; 4096];
    mixed[0] = nan;
    mixed[2048] = inf;
    mixed[3000] = ninf;
    let mut late = vec![one; 3 * T::SUM_BLOCK + 11];
    late[2 * T::SUM_BLOCK + 5] = odd_nan(0x1234, false);
    let mut spread = vec![T::from_f64(0.5); 5 * T::SUM_BLOCK];
    spread[3] = inf;
    spread[4 * T::SUM_BLOCK + 1] = ninf;
    vec![
        ("[nan, -nan]", vec![nan, neg_nan]),
        ("[-nan, nan]", vec![neg_nan, nan]),
        ("[-nan payload, 1]", vec![odd_nan(0x55, true), one]),
        ("[1, signalling -nan]", vec![one, odd_nan(0x3, false)]),
        ("[inf, -inf]", vec![inf, ninf]),
        ("[-inf, inf, 1]", vec![ninf, inf, one]),
        ("nan at 0, inf at 2048, -inf at 3000", mixed),
        ("signalling -nan in block 2", late),
        ("inf in block 0, -inf in block 4", spread),
    ]
}

/// Every way a sum is computed: the dispatched `sum` and `par::sum` on
/// every ISA and 1..4 threads, `row_sums` (the input as one row, and as
/// rows of which one holds the NaN), and `SumAccumulator` cut at many
/// points (one cut, every element alone, Dask-like chunks of 1000), merged
/// left to right and through the byte encoding. Each NaN result must be
/// the canonical NaN, bit for bit.
fn check_nan_sums<T: Element + Plain>() {
    let want = canonical_bits::<T>();
    for (name, x) in nan_sum_inputs::<T>() {
        assert!(
            reduce_oracle::sum(&x).is_nan(),
            "{name}: the input sums to NaN"
        );
        let check = |got: T, what: &str| {
            assert_eq!(
                got.to_bits_u64(),
                want,
                "{} {name}: {what} gave {got:?} ({:#x})",
                T::NAME,
                got.to_bits_u64()
            );
        };
        check(reduce_oracle::sum(&x), "scalar oracle");
        for isa in available_isas() {
            let what = format!("{isa}");
            check(run_on(isa, || simdpar::sum(&x)), &format!("sum {what}"));
            for t in 1..=4 {
                let got = run_on(isa, || par::sum(&x, Threads::AtMost(t)));
                check(got, &format!("par::sum {what} threads={t}"));
            }
            let mut one = [T::ZERO];
            run_on(isa, || simdpar::row_sums(&x, x.len(), &mut one)).unwrap();
            check(one[0], &format!("row_sums one row {what}"));
            // Three rows: the input, a row of ones, the input reversed.
            let cols = x.len();
            let mut m = x.clone();
            m.extend(std::iter::repeat_n(T::from_f64(1.0), cols));
            m.extend(x.iter().rev());
            for t in 1..=4 {
                let mut out = [T::ZERO; 3];
                run_on(isa, || {
                    par::row_sums(&m, cols, &mut out, Threads::AtMost(t))
                })
                .unwrap();
                check(out[0], &format!("row_sums row 0 {what} threads={t}"));
                check(out[2], &format!("row_sums row 2 {what} threads={t}"));
                assert_eq!(out[1], T::from_f64(cols as f64), "{name}: the row of ones");
            }
        }
        // Accumulator cuts. Pieces of `step` elements each, merged in order.
        let n = x.len();
        let mut steps = vec![1, 2, 3, 7, 64, 1000, n.max(1)];
        steps.retain(|&s| n / s <= 5000);
        for step in steps {
            for encode in [false, true] {
                let mut acc = SumAccumulator::<T>::new();
                let mut start = 0;
                while start < n {
                    let end = (start + step).min(n);
                    let mut piece = SumAccumulator::starting_at(start as u64);
                    piece.add(&x[start..end]).unwrap();
                    if encode {
                        piece = SumAccumulator::from_bytes(&piece.to_bytes()).unwrap();
                    }
                    acc.merge(&piece).unwrap();
                    start = end;
                }
                check(
                    acc.result().unwrap(),
                    &format!("accumulator pieces of {step} encode={encode}"),
                );
            }
        }
        // One cut anywhere (after element 0 is the case).
        let cuts: Vec<usize> = if n <= 70 {
            (0..=n).collect()
        } else {
            vec![0, 1, 2, 1000, 2047, 2048, 2049, 3000, n - 1, n]
        };
        for cut in cuts.into_iter().filter(|&c| c <= n) {
            let mut left = SumAccumulator::<T>::new();
            left.add(&x[..cut]).unwrap();
            let mut right = SumAccumulator::starting_at(cut as u64);
            right.add(&x[cut..]).unwrap();
            left.merge(&right).unwrap();
            check(left.result().unwrap(), &format!("accumulator cut at {cut}"));
        }
    }
}

#[test]
fn nan_sums_are_the_canonical_nan_on_every_path() {
    check_nan_sums::<f32>();
    check_nan_sums::<f64>();
}

/// `par::sum` with `+Inf` and `-Inf` in leaves that different threads sum:
/// the leaves are `+Inf` and `-Inf`, and the addition that joins them makes
/// the NaN (negative on x86 before canonicalisation); the parallel driver's
/// combine must canonicalise it as every other sum does.
#[test]
fn nan_made_between_threads_is_canonical() {
    fn check<T: Element>() {
        let n = 4 * (par::PAR_MIN_ELEMS_REDUCE + par::PAR_MIN_ELEMS);
        let mut x = vec![T::from_f64(0.25); n];
        x[10] = T::from_f64(f64::INFINITY);
        x[n - 10] = T::from_f64(f64::NEG_INFINITY);
        for isa in available_isas() {
            for t in 1..=4 {
                let got = run_on(isa, || par::sum(&x, Threads::AtMost(t)));
                assert_eq!(
                    got.to_bits_u64(),
                    canonical_bits::<T>(),
                    "{} {isa} threads={t}: {got:?}",
                    T::NAME
                );
            }
        }
    }
    check::<f32>();
    check::<f64>();
}

/// `leaky_relu` is the standard leaky ReLU, `x > 0 ? x : alpha * x`
/// (NumPy's `np.where(x > 0, x, alpha * x)`), on every ISA, thread count,
/// lane position and tail, out of place and in place: `2.0` stays `2.0`
/// (the old `max(x, 0) + alpha * x` gave 2.2), `-0.0` gives `alpha * -0.0`,
/// infinities and NaN take the `alpha * x` side, and a NaN `alpha` leaves
/// positive elements alone.
fn check_leaky_standard<T: Element + Plain>() {
    let f = T::from_f64;
    let (inf, ninf, nan) = (f(f64::INFINITY), f(f64::NEG_INFINITY), f(f64::NAN));
    let tiny = T::from_bits_u64(1); // the smallest positive subnormal
    // (alpha, [(x, expected)]); the expected values are worked out by hand
    // from the definition, except alpha * x for inexact products, which
    // the definition states as that product.
    let a = f(0.1);
    let cases: Vec<(T, Vec<(T, T)>)> = vec![
        (
            a,
            vec![
                (f(2.0), f(2.0)),
                (f(-3.0), a * f(-3.0)),
                (f(-0.0), f(-0.0)),
                (f(0.0), f(0.0)),
                (nan, nan),
                (inf, inf),
                (ninf, ninf),
                (tiny, tiny),
                (f(1e30), f(1e30)),
            ],
        ),
        (
            f(-0.5),
            vec![
                (f(2.0), f(2.0)),
                (f(-3.0), f(1.5)),
                (f(-0.0), f(0.0)),
                (ninf, inf),
                (inf, inf),
                (nan, nan),
            ],
        ),
        (
            f(0.0),
            vec![
                (f(-2.0), f(-0.0)),
                (f(3.0), f(3.0)),
                (ninf, nan),
                (f(0.0), f(0.0)),
            ],
        ),
        (
            nan,
            vec![(f(5.0), f(5.0)), (f(-5.0), nan), (f(0.0), nan), (inf, inf)],
        ),
    ];
    let check = |got: &[T], pattern: &[(T, T)], what: &str| {
        for (i, &g) in got.iter().enumerate() {
            let (x, want) = pattern[i % pattern.len()];
            let ok = if want.is_nan() {
                g.is_nan()
            } else {
                g.to_bits_u64() == want.to_bits_u64()
            };
            assert!(
                ok,
                "{what}: index {i}: leaky_relu({x:?}) = {g:?}, want {want:?}"
            );
        }
    };
    // Tails and lane positions on one thread, and lengths the parallel
    // driver splits on several.
    let big = 2 * simdpar::par::PAR_MIN_ELEMS + 37;
    for isa in available_isas() {
        for (alpha, pattern) in &cases {
            for n in (0..=4 * W + 3).chain([1000, big]) {
                let x: Vec<T> = (0..n).map(|i| pattern[i % pattern.len()].0).collect();
                let what = format!("{} {isa} alpha={alpha:?} n={n}", T::NAME);
                let mut out = vec![T::ZERO; n];
                run_on(isa, || simdpar::leaky_relu(&x, *alpha, &mut out)).unwrap();
                check(&out, pattern, &what);
                let threads = if n == big { 1..=4 } else { 1..=1 };
                for t in threads {
                    let th = Threads::AtMost(t);
                    let mut out = vec![T::ZERO; n];
                    run_on(isa, || par::leaky_relu(&x, *alpha, &mut out, th)).unwrap();
                    check(&out, pattern, &format!("par {what} threads={t}"));
                    let mut y = x.clone();
                    run_on(isa, || par::leaky_relu_inplace(&mut y, *alpha, th));
                    check(&y, pattern, &format!("par inplace {what} threads={t}"));
                }
            }
        }
    }
    // The scalar oracle states the same definition.
    for (alpha, pattern) in &cases {
        let x: Vec<T> = pattern.iter().map(|p| p.0).collect();
        let mut out = vec![T::ZERO; x.len()];
        map_oracle::leaky_relu(&x, *alpha, &mut out, Store::Cached);
        check(
            &out,
            pattern,
            &format!("oracle {} alpha={alpha:?}", T::NAME),
        );
    }
}

#[test]
fn leaky_relu_is_the_standard_leaky_relu() {
    check_leaky_standard::<f32>();
    check_leaky_standard::<f64>();
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
