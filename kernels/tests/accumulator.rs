//! `SumAccumulator` against `sum` of the concatenation: any split, any
//! merge order, through the byte encoding, and bad bytes refused.

use simdpar_kernels::reduce::accumulator::{ACCUMULATOR_VERSION, encoded_dtype};
use simdpar_kernels::{AccumulatorError, Element, SumAccumulator, Threads, par, reduce, sum};

/// A small deterministic generator (xorshift64*), so failures replay.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Values of both signs spread over 16 decades: the order of additions
/// shows in the low bits of the sum.
fn mixed<T: Element>(rng: &mut Rng, n: usize) -> Vec<T> {
    (0..n)
        .map(|_| {
            let decade = rng.below(17) as i32 - 8;
            T::from_f64((rng.unit() - 0.5) * 10f64.powi(decade))
        })
        .collect()
}

/// Cuts `0..n` at `pieces - 1` random points (repeats allowed: empty pieces).
fn random_cuts(rng: &mut Rng, n: usize, pieces: usize) -> Vec<usize> {
    let mut cuts: Vec<usize> = (1..pieces).map(|_| rng.below(n + 1)).collect();
    cuts.push(0);
    cuts.push(n);
    cuts.sort_unstable();
    cuts
}

/// One accumulator per piece (each told where it starts), optionally sent
/// through the byte encoding, then merged neighbour into neighbour in a
/// random association order.
fn merged<T: Element>(rng: &mut Rng, x: &[T], cuts: &[usize], encode: bool) -> T {
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
    while accs.len() > 1 {
        let i = rng.below(accs.len() - 1);
        let right = accs.remove(i + 1);
        accs[i].merge(&right).unwrap();
    }
    accs[0].result().unwrap()
}

/// The sizes the issue names, plus random ones.
fn sizes(rng: &mut Rng) -> Vec<usize> {
    let mut s = vec![
        0, 1, 7, 511, 512, 513, 1023, 1024, 1025, 2047, 2048, 2049, 4096, 65536,
    ];
    s.extend((0..6).map(|_| rng.below(200_000)));
    s
}

fn check_splits<T: Element>(seed: u64) {
    let mut rng = Rng(seed);
    for n in sizes(&mut rng) {
        let x = mixed::<T>(&mut rng, n);
        let want = sum(&x).to_bits_u64();
        assert_eq!(reduce::scalar::sum(&x).to_bits_u64(), want, "n={n}");
        assert_eq!(
            par::sum(&x, Threads::AtMost(2)).to_bits_u64(),
            want,
            "n={n}"
        );
        for round in 0..12 {
            let pieces = 1 + rng.below(if round < 6 { 4 } else { 40 });
            let cuts = random_cuts(&mut rng, n, pieces);
            let encode = round % 2 == 1;
            let got = merged(&mut rng, &x, &cuts, encode).to_bits_u64();
            assert_eq!(got, want, "{} n={n} cuts={cuts:?} encode={encode}", T::NAME);

            // The same pieces streamed into one accumulator.
            let mut one = SumAccumulator::new();
            for w in cuts.windows(2) {
                one.add(&x[w[0]..w[1]]).unwrap();
            }
            assert_eq!(one.len(), n as u64);
            assert_eq!(
                one.result().unwrap().to_bits_u64(),
                want,
                "streamed n={n} cuts={cuts:?}"
            );
        }
    }
}

#[test]
fn any_split_and_merge_order_gives_the_bits_of_sum_f32() {
    check_splits::<f32>(0x5eed_0001);
}

#[test]
fn any_split_and_merge_order_gives_the_bits_of_sum_f64() {
    check_splits::<f64>(0x5eed_0002);
}

#[test]
fn pieces_of_one_element_each() {
    let mut rng = Rng(7);
    let x = mixed::<f32>(&mut rng, 3000);
    let cuts: Vec<usize> = (0..=x.len()).collect();
    assert_eq!(
        merged(&mut rng, &x, &cuts, true).to_bits(),
        sum(&x).to_bits()
    );
}

#[test]
fn large_input_is_exact_too() {
    // Past the parallel threshold, so par::sum really splits.
    let mut rng = Rng(11);
    let x = mixed::<f32>(&mut rng, (1 << 21) + 777);
    let want = par::sum(&x, Threads::AtMost(2)).to_bits();
    assert_eq!(sum(&x).to_bits(), want);
    let cuts = random_cuts(&mut rng, x.len(), 9);
    assert_eq!(merged(&mut rng, &x, &cuts, true).to_bits(), want);
}

#[test]
fn special_values_match_sum() {
    let cases: Vec<Vec<f64>> = vec![
        vec![],
        vec![-0.0],
        vec![-0.0; 1500],
        vec![0.0, -0.0],
        vec![f64::NAN],
        vec![1.0, f64::INFINITY, 2.0],
        vec![f64::INFINITY, f64::NEG_INFINITY],
        vec![f64::MAX, f64::MAX],
        vec![5e-324, -5e-324, 5e-324],
    ];
    for x in cases {
        let want = sum(&x);
        for cut in 0..=x.len().min(600) {
            let mut a = SumAccumulator::new();
            a.add(&x[..cut]).unwrap();
            let mut b = SumAccumulator::starting_at(cut as u64);
            b.add(&x[cut..]).unwrap();
            a.merge(&b).unwrap();
            let got = a.result().unwrap();
            assert!(
                got.to_bits() == want.to_bits() || (got.is_nan() && want.is_nan()),
                "{x:?} cut {cut}: {got:?} vs {want:?}"
            );
        }
    }
    // The empty sum is +0.0, as for `sum`.
    assert_eq!(SumAccumulator::<f32>::new().result().unwrap().to_bits(), 0);
}

#[test]
fn merging_must_be_adjacent_and_result_needs_position_zero() {
    let mut a = SumAccumulator::<f32>::new();
    a.add(&[1.0; 10]).unwrap();
    let mut gap = SumAccumulator::starting_at(11);
    gap.add(&[1.0]).unwrap();
    let before = a.clone();
    assert_eq!(
        a.merge(&gap),
        Err(AccumulatorError::NotAdjacent {
            end: 10,
            other_start: 11
        })
    );
    assert_eq!(a, before, "a refused merge changes nothing");
    assert_eq!(
        gap.result(),
        Err(AccumulatorError::NotFromStart { start: 11 })
    );
    let mut far = SumAccumulator::<f64>::starting_at(u64::MAX - 1);
    assert_eq!(
        far.add(&[1.0, 2.0]),
        Err(AccumulatorError::PositionOverflow)
    );
    assert!(far.is_empty());
}

#[test]
fn encoding_round_trips_and_is_stable() {
    let mut rng = Rng(3);
    let x = mixed::<f64>(&mut rng, 5000);
    for (start, end) in [
        (0, 0),
        (0, 3),
        (3, 300),
        (100, 5000),
        (512, 4096),
        (0, 5000),
    ] {
        let mut a = SumAccumulator::starting_at(start as u64);
        a.add(&x[start..end]).unwrap();
        let bytes = a.to_bytes();
        assert_eq!(&bytes[..4], b"SPSA");
        assert_eq!(
            u16::from_le_bytes([bytes[4], bytes[5]]),
            ACCUMULATOR_VERSION
        );
        assert_eq!(encoded_dtype(&bytes), Ok("f64"));
        let back = SumAccumulator::<f64>::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(
            (back.start(), back.len()),
            (start as u64, (end - start) as u64)
        );
    }
    // A fixed, hand-computed encoding: 3 f32 elements from position 0 are
    // an open tail block: header, then 64 lanes (1, 2, 3, then -0.0).
    let mut a = SumAccumulator::<f32>::new();
    a.add(&[1.0, 2.0, 3.0]).unwrap();
    let bytes = a.to_bytes();
    let mut want = b"SPSA\x01\x00\x20\x00".to_vec();
    want.extend_from_slice(&0u64.to_le_bytes());
    want.extend_from_slice(&3u64.to_le_bytes());
    for i in 0..64 {
        let v: f32 = if i < 3 { (i + 1) as f32 } else { -0.0 };
        want.extend_from_slice(&v.to_bits().to_le_bytes());
    }
    assert_eq!(bytes, want);
}

#[test]
fn bad_bytes_are_refused() {
    let mut a = SumAccumulator::<f32>::starting_at(100);
    a.add(&vec![0.5f32; 3000]).unwrap();
    let good = a.to_bytes();
    for cut in 0..good.len() {
        assert!(
            SumAccumulator::<f32>::from_bytes(&good[..cut]).is_err(),
            "a {cut}-byte prefix was accepted"
        );
    }
    let mut longer = good.clone();
    longer.push(0);
    assert!(matches!(
        SumAccumulator::<f32>::from_bytes(&longer),
        Err(AccumulatorError::BadLength { .. })
    ));
    let mut magic = good.clone();
    magic[0] = b'X';
    assert_eq!(
        SumAccumulator::<f32>::from_bytes(&magic),
        Err(AccumulatorError::BadMagic)
    );
    let mut version = good.clone();
    version[4] = 2;
    assert_eq!(
        SumAccumulator::<f32>::from_bytes(&version),
        Err(AccumulatorError::UnsupportedVersion {
            found: 2,
            supported: 1
        })
    );
    assert_eq!(
        SumAccumulator::<f64>::from_bytes(&good),
        Err(AccumulatorError::WrongDtype {
            expected: "f64",
            found: "f32".into()
        })
    );
    let mut dtype = good.clone();
    dtype[6] = 16;
    assert!(matches!(
        SumAccumulator::<f32>::from_bytes(&dtype),
        Err(AccumulatorError::WrongDtype { .. })
    ));
    let mut lane = good.clone();
    let last = lane.len() - 1;
    lane[last] ^= 0x40; // the last lane is past the 3100 % 1024 = 28 used ones
    assert!(matches!(
        SumAccumulator::<f32>::from_bytes(&lane),
        Err(AccumulatorError::Corrupt(_))
    ));
    let mut len = good.clone();
    len[16..24].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(SumAccumulator::<f32>::from_bytes(&len).is_err());
    // Every error explains itself.
    let e = SumAccumulator::<f32>::from_bytes(&version).unwrap_err();
    assert!(e.to_string().contains("version 2"), "{e}");
}
