//! Every form of every probe computes its pattern's values, on every ISA
//! this CPU runs, at every length around the vector and loop steps and at
//! every start offset within a line; an ISA the CPU lacks is an error.

use super::*;

/// Small integers and halves: every sum of them is exact in f32 and f64,
/// whatever the order.
fn values<T: Element>(n: usize, seed: usize) -> Vec<T> {
    let half = T::from_index(1) / T::from_index(2);
    (0..n)
        .map(|i| T::from_index((i * 7 + seed) % 23) * half - T::from_index(5))
        .collect()
}

const LENGTHS: [usize; 18] = [
    0, 1, 3, 7, 8, 15, 16, 17, 31, 33, 63, 64, 65, 127, 129, 200, 257, 611,
];

fn every_form_of_every_pattern<T: Element>() {
    let src = values::<T>(700, 3);
    let other = values::<T>(700, 11);
    let q = T::from_index(3);
    for isa in simdpar_dispatch::available_isas() {
        for streams in Streams::ALL {
            for off in 0..8 {
                for n in LENGTHS {
                    let a = &src[off..off + n];
                    let b = &other[..n];
                    let want = a.iter().fold(T::ZERO, |s, &v| s + v);
                    for fetch in [Fetch::OnDemand, Fetch::Ahead] {
                        let got = read(a, isa, streams, fetch).unwrap();
                        assert_eq!(
                            got, want,
                            "read {isa} {streams:?} {fetch:?} n={n} off={off}"
                        );
                    }
                    for store in [Store::Cached, Store::ByLine, Store::Streaming] {
                        let at = format!("{isa} {streams:?} {store:?} n={n} off={off}");
                        let fill = T::from_index(99);
                        let mut o = [fill; 700];
                        copy(a, &mut o[off..off + n], isa, streams, store).unwrap();
                        assert_eq!(&o[off..off + n], a, "copy {at}");
                        assert!(o[..off].iter().chain(&o[off + n..]).all(|&v| v == fill));
                        scale(a, q, &mut o[off..off + n], isa, streams, store).unwrap();
                        for i in 0..n {
                            assert_eq!(o[off + i], a[i] * q, "scale {at} i={i}");
                        }
                        add(a, b, &mut o[off..off + n], isa, streams, store).unwrap();
                        for i in 0..n {
                            assert_eq!(o[off + i], a[i] + b[i], "add {at} i={i}");
                        }
                        triad(a, b, q, &mut o[off..off + n], isa, streams, store).unwrap();
                        for i in 0..n {
                            assert_eq!(o[off + i], a[i] + q * b[i], "triad {at} i={i}");
                        }
                        assert!(o[..off].iter().chain(&o[off + n..]).all(|&v| v == fill));
                        let mut s = src.clone();
                        scale_inplace(&mut s[off..off + n], q, isa, streams, store).unwrap();
                        for i in 0..n {
                            assert_eq!(s[off + i], src[off + i] * q, "scale_inplace {at}");
                        }
                        assert_eq!(s[..off], src[..off], "scale_inplace before its slice");
                        assert_eq!(s[off + n..], src[off + n..], "scale_inplace past it");
                    }
                }
            }
        }
    }
}

#[test]
fn every_form_computes_its_pattern_f32() {
    every_form_of_every_pattern::<f32>();
}

#[test]
fn every_form_computes_its_pattern_f64() {
    every_form_of_every_pattern::<f64>();
}

#[test]
fn shortest_slice_sets_the_length() {
    let a = values::<f64>(100, 1);
    let mut out = vec![7.0; 120];
    copy(&a, &mut out, Isa::Portable, Streams::Two, Store::Cached).unwrap();
    assert_eq!(&out[..100], &a[..]);
    assert!(out[100..].iter().all(|&v| v == 7.0));
}

#[test]
fn an_isa_this_cpu_lacks_is_an_error() {
    let absent: Vec<Isa> = Isa::ALL
        .into_iter()
        .filter(|&i| !simdpar_dispatch::is_supported(i))
        .collect();
    assert!(!absent.is_empty(), "no CPU runs both NEON and AVX2");
    let x = vec![1.0f32; 64];
    let mut out = vec![0.0f32; 64];
    for isa in absent {
        let err = read(&x, isa, Streams::One, Fetch::Ahead).unwrap_err();
        assert!(matches!(err, IsaError::Unsupported { isa: i, .. } if i == isa));
        assert!(copy(&x, &mut out, isa, Streams::Four, Store::Streaming).is_err());
        assert!(scale_inplace(&mut out, 2.0, isa, Streams::One, Store::Cached).is_err());
        assert!(triad(&x, &x, 2.0, &mut out, isa, Streams::Two, Store::Cached).is_err());
        assert!(out.iter().all(|&v| v == 0.0), "{isa}: nothing written");
    }
}

/// Arrays longer than one run (`READ_STREAMS_UP_TO_BYTES`) are walked run
/// by run: every element is still read once and written once, with the
/// run boundaries inside the parts, at an offset within a line.
#[test]
fn arrays_beyond_one_run_are_covered_run_by_run() {
    // f64: every partial sum of these halves is exact, whatever the order.
    let n = crate::plan::READ_STREAMS_UP_TO_BYTES / 8 * 2 + 4099;
    let src = values::<f64>(n + 3, 5);
    let a = &src[3..];
    let want = a.iter().fold(0.0, |s, &v| s + v);
    let mut o = vec![0.0f64; n + 1];
    for isa in simdpar_dispatch::available_isas() {
        for streams in Streams::ALL {
            let got = read(a, isa, streams, Fetch::OnDemand).unwrap();
            assert_eq!(got, want, "read {isa} {streams:?}");
            for store in [Store::Cached, Store::Streaming] {
                o.fill(0.0);
                scale(a, 3.0, &mut o[1..], isa, streams, store).unwrap();
                assert_eq!(o[0], 0.0);
                let bad = (0..n).find(|&i| o[1 + i] != a[i] * 3.0);
                assert_eq!(bad, None, "scale {isa} {streams:?} {store:?}");
            }
        }
    }
}
