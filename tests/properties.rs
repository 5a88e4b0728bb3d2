//! Property tests (proptest) of the numerical contract on random inputs: the
//! same properties the fuzz targets in `fuzz/` check, in a short run that
//! belongs to the normal suite.
//!
//! Every case draws a length, an element offset from a 64-byte boundary,
//! values (raw bit patterns: NaN, ±Inf, subnormals, huge and tiny magnitudes;
//! the contract's special values; ordinary numbers), an ISA from
//! `available_isas()` and a thread count, and checks the dispatched kernel
//! against the scalar oracle, with guard zones around the output: sums and
//! row sums bit for bit, NaN included; elementwise outputs bit for bit
//! except that a NaN must be NaN exactly where the oracle's is (its sign
//! and payload are unspecified). Errors must leave the output untouched.
//!
//! The NaN properties (`nan_*`) draw NaNs of both signs with random
//! payloads (quiet and signalling, built from their bits), infinities of
//! both signs and signed zeros among ordinary values, and run every case on
//! every available ISA and thread count: a NaN sum, row sum or
//! `SumAccumulator` result (any cut, any merge order, through the byte
//! encoding or not) is exactly the canonical NaN; an elementwise output is
//! NaN exactly where the oracle's is.

use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use simdpar::map::{Store, scalar as map_oracle};
use simdpar::reduce::scalar as reduce_oracle;
use simdpar::{
    Element, Isa, KernelError, MandelbrotGrid, Plain, SumAccumulator, Threads, available_isas, par,
};
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

/// Equal bits, NaN sign and payload included (reduction results).
fn bits<T: Element>(a: T, b: T) -> bool {
    a.to_bits_u64() == b.to_bits_u64()
}

fn check_bits<T: Element>(got: &[T], want: &[T], what: &str) -> Result<(), TestCaseError> {
    prop_assert_eq!(got.len(), want.len(), "{}: length", what);
    if let Some(i) = (0..got.len()).find(|&i| !bits(got[i], want[i])) {
        return Err(TestCaseError::fail(format!(
            "{what}: index {i}: got {:?} ({:#x}), want {:?} ({:#x})",
            got[i],
            got[i].to_bits_u64(),
            want[i],
            want[i].to_bits_u64()
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
    map_values::<T>(&decode(&a[..n]), &decode(&b[..n]), off, isa, t, elem(p))
}

/// [`map_case`] on decoded values of equal length: outputs bit for bit,
/// except that a NaN must be NaN exactly where the oracle's is.
fn map_values<T: Element + Plain>(
    a: &[T],
    b: &[T],
    off: usize,
    isa: Isa,
    t: usize,
    p: T,
) -> Result<(), TestCaseError> {
    let n = a.len();
    let th = threads(t);
    let pa = Placed::new(a, off);
    let pb = Placed::new(b, (off + 5) % 16);
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
        oracle(a, b, &mut want, Store::Cached);
        let mut out = Guarded::new(n, off, sentinel);
        scoped(isa, || k(pa.get(), pb.get(), out.out())).unwrap();
        out.check_guards(&what(name));
        check_same(out.result(), &want, &what(name))?;
        let mut out = Guarded::new(n, off, sentinel);
        scoped(isa, || pk(pa.get(), pb.get(), out.out(), th)).unwrap();
        out.check_guards(&what(name));
        check_same(out.result(), &want, &what(&format!("par {name}")))?;
        let mut x = Placed::new(a, off);
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
    map_oracle::square(a, &mut want, Store::Cached);
    let mut out = Guarded::new(n, off, sentinel);
    scoped(isa, || par::square(pa.get(), out.out(), th)).unwrap();
    out.check_guards(&what("square"));
    check_same(out.result(), &want, &what("square"))?;
    let mut x = Placed::new(a, off);
    scoped(isa, || simdpar::square_inplace(x.get_mut()));
    check_same(x.get(), &want, &what("square_inplace"))?;

    map_oracle::scale(a, p, &mut want, Store::Cached);
    let mut out = Guarded::new(n, off, sentinel);
    scoped(isa, || simdpar::scale(pa.get(), p, out.out())).unwrap();
    out.check_guards(&what("scale"));
    check_same(out.result(), &want, &what("scale"))?;
    let mut x = Placed::new(a, off);
    scoped(isa, || par::scale_inplace(x.get_mut(), p, th));
    check_same(x.get(), &want, &what("scale_inplace"))?;

    map_oracle::leaky_relu(a, p, &mut want, Store::Cached);
    let mut out = Guarded::new(n, off, sentinel);
    scoped(isa, || par::leaky_relu(pa.get(), p, out.out(), th)).unwrap();
    out.check_guards(&what("leaky_relu"));
    check_same(out.result(), &want, &what("leaky_relu"))?;
    let mut x = Placed::new(a, off);
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
    prop_assert!(bits(got, want), "sum {}: {:?} vs {:?}", what, got, want);
    let got = scoped(isa, || par::sum(px.get(), th));
    prop_assert!(bits(got, want), "par sum {}: {:?} vs {:?}", what, got, want);

    // Row sums over the largest whole number of rows (cols may be 0).
    let rows = x.len().checked_div(cols).unwrap_or(3);
    let m = &px.get()[..rows * cols];
    let mut want = vec![T::ZERO; rows];
    reduce_oracle::row_sums(m, cols, &mut want);
    let sentinel = T::from_f64(9999.0);
    let mut out = Guarded::new(rows, off, sentinel);
    scoped(isa, || simdpar::row_sums(m, cols, out.out())).unwrap();
    out.check_guards(&what);
    check_bits(out.result(), &want, &format!("row_sums cols={cols} {what}"))?;
    let mut out = Guarded::new(rows, off, sentinel);
    scoped(isa, || par::row_sums(m, cols, out.out(), th)).unwrap();
    out.check_guards(&what);
    check_bits(
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
                    prop_assert!(bits(got, want), "{isa} t={t}: {got:?} vs {want:?}");
                }
            }
            Ok(())
        })
        .unwrap();
}

/// `sum` and `row_sums` give the oracle's bits whatever stream count the
/// tuned profile says: profiles saying 1, 2 and 4 for both dtypes are installed in turn
/// ([`simdpar::profile::set_profile`]) and every ISA and thread count sums
/// inputs large enough for their subtrees to stream (one, one and a half
/// and two and a bit [`READ_STREAMS_FROM_BYTES`](simdpar::plan::READ_STREAMS_FROM_BYTES),
/// plus an odd number of elements: a partial last block inside or after a
/// streamed subtree; once, a subtree beyond
/// [`READ_STREAMS_UP_TO_BYTES`](simdpar::plan::READ_STREAMS_UP_TO_BYTES),
/// read as its parts in turn); each ISA's token entry point takes every
/// count too.
#[test]
fn sums_do_not_depend_on_the_stream_count() {
    use simdpar::profile::{Profile, set_profile};
    use simdpar::reduce::Streams;
    use simdpar::{Dtype, plan};

    /// Puts the file's profile back when dropped (also on a failure).
    struct Restore;
    impl Drop for Restore {
        fn drop(&mut self) {
            set_profile(None);
        }
    }
    let _restore = Restore;

    fn case<T: TokenSum>(n: usize, seed: u64, every: usize) -> Result<(), TestCaseError> {
        let x = simdpar_test_support::values::<T>(n, seed, every);
        let want = reduce_oracle::sum(&x);
        // `row_sums` reads rows side by side from the same size, as many
        // as the count says: rows of one block (f32) or two (f64).
        let cols = 1000 + (n % 3);
        let rows = n / cols;
        let m = &x[..rows * cols];
        let mut want_rows = vec![T::ZERO; rows];
        reduce_oracle::row_sums(m, cols, &mut want_rows);
        let same_rows = |got: &[T]| got.iter().zip(&want_rows).all(|(&a, &b)| bits(a, b));
        for s in Streams::ALL {
            let mut p = Profile::for_this_cpu();
            for d in Dtype::ALL {
                p.streams.insert(d, s);
            }
            set_profile(Some(p));
            for isa in available_isas() {
                if isa != Isa::Scalar {
                    prop_assert_eq!(plan::read_streams(T::DTYPE, isa), s);
                }
                let got = scoped(isa, || simdpar::sum(&x));
                prop_assert!(
                    bits(got, want),
                    "{isa} {s} serial n={n}: {got:?} vs {want:?}"
                );
                for t in [1, 2] {
                    let got = scoped(isa, || par::sum(&x, Threads::AtMost(t)));
                    prop_assert!(
                        bits(got, want),
                        "{isa} {s} t={t} n={n}: {got:?} vs {want:?}"
                    );
                    let mut out = vec![T::ZERO; rows];
                    scoped(isa, || par::row_sums(m, cols, &mut out, Threads::AtMost(t)))
                        .expect("a valid shape");
                    prop_assert!(same_rows(&out), "{isa} {s} t={t} row_sums {rows}x{cols}");
                }
                let got = T::token_sum(isa, &x, s);
                prop_assert!(
                    bits(got, want),
                    "{isa} {s} token n={n}: {got:?} vs {want:?}"
                );
            }
        }
        set_profile(None);
        Ok(())
    }

    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 3,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    let bytes = simdpar::plan::READ_STREAMS_FROM_BYTES;
    runner
        .run(
            &(any::<u64>(), 0usize..3, 0usize..3, 0usize..4096),
            |(seed, every, size, odd)| {
                let (a, b) = [(2, 2), (3, 2), (4, 2)][size];
                let extra = 2 * odd + 1;
                // Ordinary values (a finite sum, where a wrong addition
                // shows) and values with specials every few elements.
                for every in [0, [3, 97, 1001][every]] {
                    case::<f32>(bytes * a / b / 4 + extra, seed, every)?;
                    case::<f64>(bytes * a / b / 8 + extra, seed ^ 1, every)?;
                }
                Ok(())
            },
        )
        .unwrap();
    // Two and a half of the largest streamed subtree: a complete subtree of
    // twice that size, read as its two halves in turn, then the rest.
    let big = simdpar::plan::READ_STREAMS_UP_TO_BYTES * 5 / 2;
    case::<f32>(big / 4 + 4097, 7, 0).unwrap();
    case::<f64>(big / 8 + 511, 8, 97).unwrap();
}

/// `reduce::<isa>::sum_T_streams` (the oracle on `scalar`): each ISA's
/// token entry point with the stream count given, prefetching on every
/// other call to cover both read policies.
trait TokenSum: Element {
    fn token_sum(isa: Isa, x: &[Self], streams: simdpar::reduce::Streams) -> Self;
}

macro_rules! token_sum {
    ($t:ty, $f:ident) => {
        impl TokenSum for $t {
            fn token_sum(isa: Isa, x: &[$t], streams: simdpar::reduce::Streams) -> $t {
                use simdpar::reduce::{self, Fetch};
                let fetch = if x.len() % 2 == 0 {
                    Fetch::Ahead
                } else {
                    Fetch::OnDemand
                };
                match isa {
                    Isa::Portable => reduce::portable::$f(x, fetch, streams),
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx2 => {
                        let t = simdpar::Avx2::new().expect("an available ISA");
                        reduce::avx2::$f(t, x, fetch, streams)
                    }
                    #[cfg(target_arch = "x86_64")]
                    Isa::Avx512 => {
                        let t = simdpar::Avx512::new().expect("an available ISA");
                        reduce::avx512::$f(t, x, fetch, streams)
                    }
                    #[cfg(target_arch = "aarch64")]
                    Isa::Neon => {
                        let t = simdpar::Neon::new().expect("an available ISA");
                        reduce::neon::$f(t, x, fetch, streams)
                    }
                    _ => reduce_oracle::sum(x),
                }
            }
        }
    };
}
token_sum!(f32, sum_f32_streams);
token_sum!(f64, sum_f64_streams);

// ---------------------------------------------------------------------------
// NaN payloads and signs

/// One drawn element for the NaN properties: `(kind, bits)`; see [`nan_elem`].
type NanRaw = (u8, u64);

/// The canonical NaN's bits as the contract states them (positive, quiet,
/// payload zero), written here rather than read from the library.
fn canonical_bits<T: Element>() -> u64 {
    if T::NAME == "f32" {
        0x7fc0_0000
    } else {
        0x7ff8_0000_0000_0000
    }
}

/// Decodes a drawn element, built from its bits (no conversion, so
/// signalling NaNs and payloads arrive as drawn): kinds 0-2 a NaN with the
/// sign, quiet bit and payload taken from `bits`; 3 `+Inf`; 4 `-Inf`;
/// 5 a zero of either sign; 6-7 an ordinary number in [-4, 4).
fn nan_elem<T: Element>((kind, bits): NanRaw) -> T {
    let (width, frac) = if T::NAME == "f32" { (32, 23) } else { (64, 52) };
    let sign = (bits & 1) << (width - 1);
    let exp_all = ((1u64 << (width - 1 - frac)) - 1) << frac;
    match kind % 8 {
        0..=2 => {
            let quiet = 1u64 << (frac - 1);
            let payload = (bits >> 2) & (quiet - 1);
            let q = if bits & 2 == 0 { quiet } else { 0 };
            // A signalling NaN needs a payload (all zeros would be Inf).
            let payload = if q == 0 { payload.max(1) } else { payload };
            T::from_bits_u64(sign | exp_all | q | payload)
        }
        3 => T::from_f64(f64::INFINITY),
        4 => T::from_f64(f64::NEG_INFINITY),
        5 => T::from_bits_u64(sign),
        _ => T::from_f64(((bits >> 11) as f64 / (1u64 << 53) as f64) * 8.0 - 4.0),
    }
}

fn nan_values(max_len: usize) -> impl Strategy<Value = Vec<NanRaw>> {
    prop::collection::vec((any::<u8>(), any::<u64>()), 0..max_len)
}

/// The thread settings every NaN case runs: `Auto` and 1..=4.
const THREADS: [usize; 5] = [0, 1, 2, 3, 4];

/// A reduction result against the oracle: the same bits, and a NaN only as
/// the canonical NaN.
fn check_sum<T: Element>(got: T, want: T, what: &str) -> Result<(), TestCaseError> {
    prop_assert!(
        !want.is_nan() || want.to_bits_u64() == canonical_bits::<T>(),
        "oracle {}: {:?} ({:#x}) is not the canonical NaN",
        what,
        want,
        want.to_bits_u64()
    );
    prop_assert!(
        bits(got, want),
        "{}: got {:?} ({:#x}), want {:?} ({:#x})",
        what,
        got,
        got.to_bits_u64(),
        want,
        want.to_bits_u64()
    );
    Ok(())
}

/// `sum`, `par::sum`, `row_sums`, `par::row_sums` and `SumAccumulator`
/// (the input cut at `cuts`, each piece an accumulator that knows where it
/// starts, sent through the byte encoding when `encode`, then merged in the
/// order `order` draws) on every ISA and thread count.
fn nan_reduce_case<T: Element + Plain>(
    raw: &[NanRaw],
    cols: usize,
    cuts: &[usize],
    order: &[usize],
    encode: bool,
) -> Result<(), TestCaseError> {
    let x: Vec<T> = raw.iter().copied().map(nan_elem).collect();
    let n = x.len();
    let want = reduce_oracle::sum(&x);
    let rows = n.checked_div(cols).unwrap_or(2);
    let m = &x[..rows * cols];
    let mut want_rows = vec![T::ZERO; rows];
    reduce_oracle::row_sums(m, cols, &mut want_rows);
    let mut cuts: Vec<usize> = cuts.iter().map(|&c| c % (n + 1)).collect();
    cuts.extend([0, n]);
    cuts.sort_unstable();
    for isa in available_isas() {
        let what = format!("{} {isa} n={n}", T::NAME);
        check_sum(
            scoped(isa, || simdpar::sum(&x)),
            want,
            &format!("sum {what}"),
        )?;
        for t in THREADS {
            let got = scoped(isa, || par::sum(&x, threads(t)));
            check_sum(got, want, &format!("par sum {what} threads={t}"))?;
            let mut out = vec![T::ZERO; rows];
            scoped(isa, || par::row_sums(m, cols, &mut out, threads(t))).unwrap();
            for (r, (&g, &w)) in out.iter().zip(&want_rows).enumerate() {
                check_sum(
                    g,
                    w,
                    &format!("row {r} of {rows}x{cols} {what} threads={t}"),
                )?;
            }
        }
        let mut out = vec![T::ZERO; rows];
        scoped(isa, || simdpar::row_sums(m, cols, &mut out)).unwrap();
        for (r, (&g, &w)) in out.iter().zip(&want_rows).enumerate() {
            check_sum(g, w, &format!("row_sums row {r} {what}"))?;
        }
        // The accumulator adds whole runs of blocks with the dispatched
        // `sum`, so it runs under the ISA too.
        let got = scoped(isa, || {
            let mut accs: Vec<SumAccumulator<T>> = cuts
                .windows(2)
                .map(|w| {
                    let mut a = SumAccumulator::starting_at(w[0] as u64);
                    a.add(&x[w[0]..w[1]]).unwrap();
                    if encode {
                        a = SumAccumulator::from_bytes(&a.to_bytes()).unwrap();
                    }
                    a
                })
                .collect();
            let mut k = 0;
            while accs.len() > 1 {
                let i = order.get(k).copied().unwrap_or(0) % (accs.len() - 1);
                k += 1;
                let right = accs.remove(i + 1);
                accs[i].merge(&right).unwrap();
            }
            accs[0].result().unwrap()
        });
        check_sum(
            got,
            want,
            &format!("accumulator cuts={cuts:?} encode={encode} {what}"),
        )?;
    }
    Ok(())
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn nan_reduce_f32(x in nan_values(3000), cols in 0usize..40,
                      cuts in prop::collection::vec(any::<usize>(), 0..6),
                      order in prop::collection::vec(any::<usize>(), 0..6),
                      encode in any::<bool>()) {
        nan_reduce_case::<f32>(&x, cols, &cuts, &order, encode)?;
    }

    #[test]
    fn nan_reduce_f64(x in nan_values(1600), cols in 0usize..40,
                      cuts in prop::collection::vec(any::<usize>(), 0..6),
                      order in prop::collection::vec(any::<usize>(), 0..6),
                      encode in any::<bool>()) {
        nan_reduce_case::<f64>(&x, cols, &cuts, &order, encode)?;
    }

    #[test]
    fn nan_map_f32(a in nan_values(150), b in nan_values(150), off in 0usize..16,
                   p in any::<NanRaw>()) {
        let n = a.len().min(b.len());
        let a: Vec<f32> = a[..n].iter().copied().map(nan_elem).collect();
        let b: Vec<f32> = b[..n].iter().copied().map(nan_elem).collect();
        for isa in available_isas() {
            for t in THREADS {
                map_values::<f32>(&a, &b, off, isa, t, nan_elem(p))?;
            }
        }
    }

    #[test]
    fn nan_map_f64(a in nan_values(100), b in nan_values(100), off in 0usize..8,
                   p in any::<NanRaw>()) {
        let n = a.len().min(b.len());
        let a: Vec<f64> = a[..n].iter().copied().map(nan_elem).collect();
        let b: Vec<f64> = b[..n].iter().copied().map(nan_elem).collect();
        for isa in available_isas() {
            for t in THREADS {
                map_values::<f64>(&a, &b, off, isa, t, nan_elem(p))?;
            }
        }
    }
}

/// Inputs long enough for the parallel drivers to split (and for Dask-like
/// accumulator chunks), holding NaNs of random sign and payload at random
/// places among ordinary values: the sum, each row sum and the accumulator
/// result are the oracle's bits on every ISA and thread count, and every
/// NaN among them is the canonical NaN. (Infinities of both signs in
/// different threads' leaves are `nan_made_between_threads_is_canonical`
/// in tests/contract.rs.)
fn nan_parallel_case<T: Element + Plain>(seed: u64, nans: usize) -> Result<(), TestCaseError> {
    let n = par::PAR_MIN_ELEMS_REDUCE.max(par::PAR_MIN_ELEMS) + 999;
    let mut s = seed | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let mut x: Vec<T> = (0..n).map(|_| nan_elem((6, next()))).collect();
    for _ in 0..nans {
        let at = (next() % n as u64) as usize;
        x[at] = nan_elem((0, next()));
    }
    let want = reduce_oracle::sum(&x);
    let cols = 1000;
    let rows = n / cols;
    let m = &x[..rows * cols];
    let mut want_rows = vec![T::ZERO; rows];
    reduce_oracle::row_sums(m, cols, &mut want_rows);
    for isa in available_isas() {
        for t in THREADS {
            let what = format!("{} {isa} threads={t} nans={nans}", T::NAME);
            let got = scoped(isa, || par::sum(&x, threads(t)));
            check_sum(got, want, &format!("par sum {what}"))?;
            let mut out = vec![T::ZERO; rows];
            scoped(isa, || par::row_sums(m, cols, &mut out, threads(t))).unwrap();
            for (r, (&g, &w)) in out.iter().zip(&want_rows).enumerate() {
                check_sum(g, w, &format!("row {r} {what}"))?;
            }
        }
        // Dask-like: chunks of 1000 and of 100_003 elements, each its own
        // accumulator, merged in order.
        for chunk in [1000, 100_003] {
            let got = scoped(isa, || {
                let mut acc = SumAccumulator::<T>::new();
                for (k, piece) in x.chunks(chunk).enumerate() {
                    let mut a = SumAccumulator::starting_at((k * chunk) as u64);
                    a.add(piece).unwrap();
                    acc.merge(&a).unwrap();
                }
                acc.result().unwrap()
            });
            check_sum(got, want, &format!("accumulator chunks of {chunk} {isa}"))?;
        }
    }
    Ok(())
}

#[test]
fn nan_sums_of_parallel_sizes_are_canonical() {
    let mut runner = proptest::test_runner::TestRunner::new(ProptestConfig {
        cases: 4,
        failure_persistence: None,
        ..ProptestConfig::default()
    });
    runner
        .run(&(any::<u64>(), 0usize..4), |(seed, k)| {
            let nans = [0, 1, 3, 40][k];
            nan_parallel_case::<f32>(seed, nans)?;
            nan_parallel_case::<f64>(seed, nans)
        })
        .unwrap();
}
