//! Property tests (proptest) of the numerical contract on random inputs: the
//! same properties the fuzz targets in `fuzz/` check, in a short run that
//! belongs to the normal suite.
//!
//! Every case draws a length, an element offset from a 64-byte boundary,
//! values (raw bit patterns: NaN, ±Inf, subnormals, huge and tiny magnitudes;
//! the contract's special values; ordinary numbers), an ISA from
//! `available_isas()` and a thread count, and checks the dispatched kernel
//! against the scalar oracle bit for bit, with guard zones around the
//! output. Errors must leave the output untouched.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use simdpar::map::{Store, scalar as map_oracle};
use simdpar::reduce::scalar as reduce_oracle;
use simdpar::{Element, Isa, KernelError, MandelbrotGrid, Plain, Threads, available_isas, par};
use simdpar_test_support::{Guarded, Placed, same, specials};

/// One drawn element: `(kind, bits)`; see [`elem`].
type Raw = (u8, u64);

/// Decodes a drawn element: raw bit patterns (every class of float), the
/// contract's special values, or ordinary numbers in [-4, 4).
fn elem<T: Element>((kind, bits): Raw) -> T {
    match kind % 4 {
        0 => {
            if T::NAME == "f32" {
                T::from_f64(f64::from(f32::from_bits(bits as u32)))
            } else {
                T::from_f64(f64::from_bits(bits))
            }
        }
        1 => {
            let sp = specials::<T>();
            sp[(bits % sp.len() as u64) as usize]
        }
        _ => T::from_f64(((bits >> 11) as f64 / (1u64 << 53) as f64) * 8.0 - 4.0),
    }
}

fn decode<T: Element>(raw: &[Raw]) -> Vec<T> {
    raw.iter().copied().map(elem).collect()
}

fn raw_values(max_len: usize) -> impl Strategy<Value = Vec<Raw>> {
    prop::collection::vec((any::<u8>(), any::<u64>()), 0..max_len)
}

fn pick_isa(i: usize) -> Isa {
    let isas = available_isas();
    isas[i % isas.len()]
}

fn threads(t: usize) -> Threads {
    if t == 0 {
        Threads::Auto
    } else {
        Threads::AtMost(t)
    }
}

fn check_same<T: Element>(got: &[T], want: &[T], what: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len(), "{}: length", what);
    if let Some(i) = (0..got.len()).find(|&i| !same(got[i], want[i])) {
        return Err(TestCaseError::fail(format!(
            "{what}: index {i}: got {:?}, want {:?}",
            got[i], want[i]
        )));
    }
    Ok(())
}

fn scoped<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    simdpar::with_isa(isa, f).expect("available ISAs can be scoped")
}

/// Every elementwise kernel (out of place, in place, and the parallel
/// driver) against the oracle.
fn map_case<T: Element + Plain>(
    a: &[Raw],
    b: &[Raw],
    off: usize,
    isa: Isa,
    t: usize,
    p: Raw,
) -> Result<(), TestCaseError> {
    let n = a.len().min(b.len());
    let a: Vec<T> = decode(&a[..n]);
    let b: Vec<T> = decode(&b[..n]);
    let p: T = elem(p);
    let th = threads(t);
    let pa = Placed::new(&a, off);
    let pb = Placed::new(&b, (off + 5) % 16);
    let sentinel = T::from_f64(-7777.0);
    let what = |k: &str| format!("{k} {} {isa} n={n} off={off} threads={t} p={p:?}", T::NAME);

    type Bin<T> = fn(&[T], &[T], &mut [T]) -> Result<(), KernelError>;
    type ParBin<T> = fn(&[T], &[T], &mut [T], Threads) -> Result<(), KernelError>;
    type Oracle<T> = fn(&[T], &[T], &mut [T], Store);
    type Case<T> = (&'static str, Bin<T>, ParBin<T>, Oracle<T>);
    let bins: [Case<T>; 2] = [
        ("add", simdpar::add, par::add, map_oracle::add),
        (
            "multiply",
            simdpar::multiply,
            par::multiply,
            map_oracle::multiply,
        ),
    ];
    for (name, k, pk, oracle) in bins {
        let mut want = vec![T::ZERO; n];
        oracle(&a, &b, &mut want, Store::Cached);
        let mut out = Guarded::new(n, off, sentinel);
        scoped(isa, || k(pa.get(), pb.get(), out.out())).unwrap();
        out.check_guards(&what(name));
        check_same(out.result(), &want, &what(name))?;
        let mut out = Guarded::new(n, off, sentinel);
        scoped(isa, || pk(pa.get(), pb.get(), out.out(), th)).unwrap();
        out.check_guards(&what(name));
        check_same(out.result(), &want, &what(&format!("par {name}")))?;
        let mut x = Placed::new(&a, off);
        scoped(isa, || {
            if name == "add" {
                par::add_assign(x.get_mut(), pb.get(), th)
            } else {
                par::multiply_assign(x.get_mut(), pb.get(), th)
            }
        })
        .unwrap();
        check_same(x.get(), &want, &what(&format!("{name}_assign")))?;
    }

    let mut want = vec![T::ZERO; n];
    map_oracle::square(&a, &mut want, Store::Cached);
    let mut out = Guarded::new(n, off, sentinel);
    scoped(isa, || par::square(pa.get(), out.out(), th)).unwrap();
    out.check_guards(&what("square"));
    check_same(out.result(), &want, &what("square"))?;
    let mut x = Placed::new(&a, off);
    scoped(isa, || simdpar::square_inplace(x.get_mut()));
    check_same(x.get(), &want, &what("square_inplace"))?;

    map_oracle::scale(&a, p, &mut want, Store::Cached);
    let mut out = Guarded::new(n, off, sentinel);
    scoped(isa, || simdpar::scale(pa.get(), p, out.out())).unwrap();
    out.check_guards(&what("scale"));
    check_same(out.result(), &want, &what("scale"))?;
    let mut x = Placed::new(&a, off);
    scoped(isa, || par::scale_inplace(x.get_mut(), p, th));
    check_same(x.get(), &want, &what("scale_inplace"))?;

    map_oracle::leaky_relu(&a, p, &mut want, Store::Cached);
    let mut out = Guarded::new(n, off, sentinel);
    scoped(isa, || par::leaky_relu(pa.get(), p, out.out(), th)).unwrap();
    out.check_guards(&what("leaky_relu"));
    check_same(out.result(), &want, &what("leaky_relu"))?;
    let mut x = Placed::new(&a, off);
    scoped(isa, || simdpar::leaky_relu_inplace(x.get_mut(), p));
    check_same(x.get(), &want, &what("leaky_relu_inplace"))?;
    Ok(())
}

/// A length mismatch is a typed error and writes nothing.
fn mismatch_case<T: Element + Plain>(n: usize, m: usize, isa: Isa) -> Result<(), TestCaseError> {
    prop_assume!(n != m);
    let a = vec![T::from_f64(1.5); n];
    let b = vec![T::from_f64(2.5); m];
    let sentinel = T::from_f64(42.0);
    let mut out = vec![sentinel; n];
    let r = scoped(isa, || simdpar::add(&a, &b, &mut out));
    prop_assert!(
        matches!(r, Err(KernelError::LengthMismatch { .. })),
        "{:?}",
        r
    );
    let mut out2 = vec![sentinel; m];
    let r = scoped(isa, || par::multiply(&a, &a, &mut out2, Threads::AtMost(2)));
    prop_assert!(
        matches!(r, Err(KernelError::LengthMismatch { .. })),
        "{:?}",
        r
    );
    let r = scoped(isa, || simdpar::scale(&a, T::ZERO, &mut out2));
    prop_assert!(r.is_err());
    prop_assert!(out.iter().chain(&out2).all(|&v| same(v, sentinel)));
    let mut x = a.clone();
    prop_assert!(scoped(isa, || simdpar::add_assign(&mut x, &b)).is_err());
    prop_assert!(x.iter().all(|&v| same(v, T::from_f64(1.5))));
    Ok(())
}

/// `sum` and `row_sums` against the oracle, on any ISA and thread count.
fn reduce_case<T: Element + Plain>(
    raw: &[Raw],
    cols: usize,
    off: usize,
    isa: Isa,
    t: usize,
) -> Result<(), TestCaseError> {
    let x: Vec<T> = decode(raw);
    let px = Placed::new(&x, off);
    let th = threads(t);
    let what = format!("{} {isa} n={} off={off} threads={t}", T::NAME, x.len());
    let want = reduce_oracle::sum(&x);
    let got = scoped(isa, || simdpar::sum(px.get()));
    prop_assert!(same(got, want), "sum {}: {:?} vs {:?}", what, got, want);
    let got = scoped(isa, || par::sum(px.get(), th));
    prop_assert!(same(got, want), "par sum {}: {:?} vs {:?}", what, got, want);

    // Row sums over the largest whole number of rows (cols may be 0).
    let rows = x.len().checked_div(cols).unwrap_or(3);
    let m = &px.get()[..rows * cols];
    let mut want = vec![T::ZERO; rows];
    reduce_oracle::row_sums(m, cols, &mut want);
    let sentinel = T::from_f64(9999.0);
    let mut out = Guarded::new(rows, off, sentinel);
    scoped(isa, || simdpar::row_sums(m, cols, out.out())).unwrap();
    out.check_guards(&what);
    check_same(out.result(), &want, &format!("row_sums cols={cols} {what}"))?;
    let mut out = Guarded::new(rows, off, sentinel);
    scoped(isa, || par::row_sums(m, cols, out.out(), th)).unwrap();
    out.check_guards(&what);
    check_same(
        out.result(),
        &want,
        &format!("par row_sums cols={cols} {what}"),
    )?;
    // A shape that does not fit is an error and writes nothing.
    if cols > 0 {
        let mut bad = vec![sentinel; rows + 1];
        let r = scoped(isa, || simdpar::row_sums(m, cols, &mut bad));
        prop_assert!(matches!(r, Err(KernelError::BadShape { .. })), "{:?}", r);
        prop_assert!(bad.iter().all(|&v| same(v, sentinel)));
    }
    Ok(())
}

/// Mandelbrot on a random small grid (any limits, NaN and Inf included)
/// against the oracle, with guard zones.
#[allow(clippy::too_many_arguments)]
fn mandelbrot_case<T: Element + Plain>(
    width: usize,
    height: usize,
    max_iter: u32,
    lims: [Raw; 4],
    isa: Isa,
    t: usize,
) -> Result<(), TestCaseError> {
    let [x0, x1, y0, y1] = lims.map(elem::<T>);
    let g = MandelbrotGrid {
        width,
        height,
        max_iter,
        xlim: (x0, x1),
        ylim: (y0, y1),
    };
    let n = width * height;
    let mut out = Guarded::new(n, 3, u32::MAX - 1);
    let r = scoped(isa, || par::mandelbrot(&g, out.out(), threads(t)));
    out.check_guards("mandelbrot");
    if width == 0 || height == 0 {
        prop_assert!(matches!(r, Err(KernelError::InvalidArgument(_))), "{:?}", r);
        prop_assert!(out.result().iter().all(|&c| c == u32::MAX - 1));
        return Ok(());
    }
    r.unwrap();
    let mut want = vec![0u32; n];
    simdpar::mandelbrot::scalar::rows(&g, 0, &mut want);
    prop_assert_eq!(out.result(), &want[..], "{} {} {:?}", T::NAME, isa, g);
    prop_assert!(want.iter().all(|&c| c <= max_iter));
    Ok(())
}

/// 96 cases per property (a few seconds); `PROPTEST_CASES=N` for more.
fn config() -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(96);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn map_f32(a in raw_values(200), b in raw_values(200), off in 0usize..16,
               isa in any::<usize>(), t in 0usize..5, p in any::<Raw>()) {
        map_case::<f32>(&a, &b, off, pick_isa(isa), t, p)?;
    }

    #[test]
    fn map_f64(a in raw_values(120), b in raw_values(120), off in 0usize..8,
               isa in any::<usize>(), t in 0usize..5, p in any::<Raw>()) {
        map_case::<f64>(&a, &b, off, pick_isa(isa), t, p)?;
    }

    #[test]
    fn length_mismatch_writes_nothing(n in 0usize..70, m in 0usize..70, isa in any::<usize>()) {
        mismatch_case::<f32>(n, m, pick_isa(isa))?;
        mismatch_case::<f64>(n, m, pick_isa(isa))?;
    }

    #[test]
    fn reduce_f32(x in raw_values(1500), cols in 0usize..40, off in 0usize..16,
                  isa in any::<usize>(), t in 0usize..5) {
        reduce_case::<f32>(&x, cols, off, pick_isa(isa), t)?;
    }

    #[test]
    fn reduce_f64(x in raw_values(800), cols in 0usize..40, off in 0usize..8,
                  isa in any::<usize>(), t in 0usize..5) {
        reduce_case::<f64>(&x, cols, off, pick_isa(isa), t)?;
    }

    #[test]
    fn mandelbrot_any_grid(w in 0usize..40, h in 0usize..12, it in 0u32..80,
                           lims in any::<[Raw; 4]>(), isa in any::<usize>(), t in 0usize..5,
                           f64_grid in any::<bool>()) {
        if f64_grid {
            mandelbrot_case::<f64>(w, h, it, lims, pick_isa(isa), t)?;
        } else {
            mandelbrot_case::<f32>(w, h, it, lims, pick_isa(isa), t)?;
        }
    }
}

/// The sum of any slice is bitwise the same on every ISA and thread count,
/// including slices long enough for the parallel driver to split
/// (past `PAR_MIN_ELEMS_REDUCE`).
#[test]
fn large_sums_agree_across_isas_and_threads() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let n = par::PAR_MIN_ELEMS_REDUCE.max(par::PAR_MIN_ELEMS) + 999;
    runner
        .run(&(any::<u64>(), 0usize..4), |(seed, every)| {
            let x = simdpar_test_support::values::<f32>(n, seed, [0, 3, 97, 1001][every]);
            let want = reduce_oracle::sum(&x);
            for isa in available_isas() {
                for t in [1, 2, 3] {
                    let got = scoped(isa, || par::sum(&x, Threads::AtMost(t)));
                    prop_assert!(same(got, want), "{isa} t={t}: {got:?} vs {want:?}");
                }
            }
            Ok(())
        })
        .unwrap();
}
