//! The twins against plain Rust reference loops written from the numerical
//! contract (no simdpar dependency): bitwise for elementwise kernels and
//! mandelbrot (contract=off twins), a documented bound for the sums.

use std::sync::OnceLock;

use simdpar_mojo::{MandelbrotGrid, MojoError, TwinElement, TwinVariant, Twins};

fn twins(v: TwinVariant) -> Option<&'static Twins> {
    static CELLS: [OnceLock<Option<Twins>>; 4] = [
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
        OnceLock::new(),
    ];
    let i = TwinVariant::ALL.iter().position(|x| *x == v).unwrap();
    CELLS[i]
        .get_or_init(|| {
            let cache = simdpar_mojo_test_support::shared_cache("twins tests")?;
            Some(Twins::load(&cache, v).unwrap_or_else(|e| panic!("loading {}: {e}", v.name())))
        })
        .as_ref()
}

trait Real: TwinElement + PartialEq + std::fmt::Debug + std::ops::Mul<Output = Self> {
    const EPS: f64;
    fn from_f64(v: f64) -> Self;
    fn to_f64(self) -> f64;
    fn bits(self) -> u64;
    fn add(self, o: Self) -> Self;
    fn sub(self, o: Self) -> Self;
    fn div(self, o: Self) -> Self;
    fn gt(self, o: Self) -> bool;
}

macro_rules! real {
    ($t:ty) => {
        impl Real for $t {
            const EPS: f64 = <$t>::EPSILON as f64;
            fn from_f64(v: f64) -> Self {
                v as $t
            }
            fn to_f64(self) -> f64 {
                self as f64
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
            fn add(self, o: Self) -> Self {
                self + o
            }
            fn sub(self, o: Self) -> Self {
                self - o
            }
            fn div(self, o: Self) -> Self {
                self / o
            }
            fn gt(self, o: Self) -> bool {
                self > o
            }
        }
    };
}
real!(f32);
real!(f64);

/// Deterministic values in [-2, 2), with exact zeros and negative zeros mixed in.
fn data<T: Real>(n: usize, seed: u64) -> Vec<T> {
    let mut s = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..n)
        .map(|i| {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            match i % 29 {
                5 => T::from_f64(0.0),
                11 => T::from_f64(-0.0),
                _ => T::from_f64((s >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0),
            }
        })
        .collect()
}

/// The standard leaky ReLU: `x > 0 ? x : alpha * x`.
fn leaky<T: Real>(x: T, alpha: T) -> T {
    if x.gt(T::from_f64(0.0)) { x } else { alpha * x }
}

fn mandel_ref<T: Real>(p: &MandelbrotGrid<T>) -> Vec<u32> {
    let dx = p.xlim.1.sub(p.xlim.0).div(T::from_f64(p.width as f64));
    let dy = p.ylim.1.sub(p.ylim.0).div(T::from_f64(p.height as f64));
    let mut out = Vec::with_capacity(p.width * p.height);
    for y in 0..p.height {
        let ci = p.ylim.0.add(T::from_f64(y as f64) * dy);
        for x in 0..p.width {
            let cr = p.xlim.0.add(T::from_f64(x as f64) * dx);
            let (mut zr, mut zi) = (T::from_f64(0.0), T::from_f64(0.0));
            let mut n = 0;
            while n < p.max_iter {
                if (zr * zr).add(zi * zi).gt(T::from_f64(4.0)) {
                    break;
                }
                n += 1;
                let nzi = (T::from_f64(2.0) * zr * zi).add(ci);
                zr = (zr * zr).sub(zi * zi).add(cr);
                zi = nzi;
            }
            out.push(n);
        }
    }
    out
}

const SENTINEL: f64 = 12345.0;

/// Sizes 0..=70 (every tail), a few large ones, 4 start offsets.
fn cases() -> impl Iterator<Item = (usize, usize)> {
    (0..=70usize)
        .chain([255, 1000, 4097, 40_000])
        .flat_map(|n| (0..4).map(move |off| (n, off)))
}

fn elementwise_bitwise<T: Real>(v: TwinVariant) {
    let Some(t) = twins(v) else { return };
    let alpha = T::from_f64(0.01);
    let factor = T::from_f64(-1.7);
    for (n, off) in cases() {
        let a = data::<T>(n + off, n as u64 + 1);
        let b = data::<T>(n + off, n as u64 + 1000);
        let (a, b) = (&a[off..], &b[off..]);
        let mut buf = vec![T::from_f64(SENTINEL); n + off + 8];
        #[allow(clippy::type_complexity)]
        let ops: Vec<(&str, Box<dyn Fn(usize) -> T + '_>)> = vec![
            ("add", Box::new(move |i| a[i].add(b[i]))),
            ("multiply", Box::new(move |i| a[i] * b[i])),
            ("square", Box::new(move |i| a[i] * a[i])),
            ("scale", Box::new(move |i| a[i] * factor)),
            ("leaky_relu", Box::new(move |i| leaky(a[i], alpha))),
        ];
        for (name, reference) in &ops {
            buf.fill(T::from_f64(SENTINEL));
            let out = &mut buf[off..off + n];
            match *name {
                "add" => t.add(a, b, out),
                "multiply" => t.multiply(a, b, out),
                "square" => t.square(a, out),
                "scale" => t.scale(a, factor, out),
                _ => t.leaky_relu(a, alpha, out),
            }
            .unwrap();
            for (i, got) in out.iter().enumerate() {
                let want = reference(i);
                assert_eq!(
                    got.bits(),
                    want.bits(),
                    "{} {name} {} n={n} off={off} i={i}: {got:?} vs {want:?}",
                    v.name(),
                    T::NAME
                );
            }
            assert!(
                buf[..off]
                    .iter()
                    .chain(&buf[off + n..])
                    .all(|x| x.to_f64() == SENTINEL),
                "{name} n={n} off={off} wrote outside its output"
            );
        }
    }
}

#[test]
fn exact_elementwise_twins_are_bitwise_f32() {
    elementwise_bitwise::<f32>(TwinVariant::Exact);
}

#[test]
fn exact_elementwise_twins_are_bitwise_f64() {
    elementwise_bitwise::<f64>(TwinVariant::Exact);
}

#[test]
fn portable_and_forced16_twins_are_bitwise_too() {
    elementwise_bitwise::<f32>(TwinVariant::Portable);
    elementwise_bitwise::<f32>(TwinVariant::Forced16);
    elementwise_bitwise::<f64>(TwinVariant::Forced16);
}

/// |twin - exact| <= n * eps * sum|x|: the classic bound for any summation
/// order (gamma_{n-1} plus the final rounding, rounded up).
fn sum_bound<T: Real>(x: &[T]) -> f64 {
    x.len() as f64 * T::EPS * x.iter().map(|v| v.to_f64().abs()).sum::<f64>()
}

fn exact_sum<T: Real>(x: &[T]) -> f64 {
    // Neumaier-compensated f64 sum: exact enough as a reference for both types.
    let (mut s, mut c) = (0.0f64, 0.0f64);
    for v in x {
        let v = v.to_f64();
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

fn sums_within_bound<T: Real>() {
    let Some(t) = twins(TwinVariant::Exact) else {
        return;
    };
    for (n, off) in cases().chain([(1 << 20, 1)]) {
        let x = data::<T>(n + off, 7 * n as u64 + 3);
        let x = &x[off..];
        let got = t.sum(x).to_f64();
        let err = (got - exact_sum(x)).abs();
        assert!(
            err <= sum_bound(x),
            "sum {} n={n} off={off}: error {err} > bound {}",
            T::NAME,
            sum_bound(x)
        );
        if n == 0 {
            assert_eq!(got, 0.0);
        }
    }
}

#[test]
fn sums_stay_within_the_documented_bound() {
    sums_within_bound::<f32>();
    sums_within_bound::<f64>();
}

fn row_sums_check<T: Real>() {
    let Some(t) = twins(TwinVariant::Exact) else {
        return;
    };
    for rows in [0usize, 1, 2, 3, 5, 17] {
        for cols in (0..=40).chain([127, 1000]) {
            let m = data::<T>(rows * cols + 1, (rows * 1000 + cols) as u64);
            let m = &m[1..];
            let mut out = vec![T::from_f64(SENTINEL); rows];
            t.row_sums(m, cols, &mut out).unwrap();
            for r in 0..rows {
                let row = &m[r * cols..(r + 1) * cols];
                let err = (out[r].to_f64() - exact_sum(row)).abs();
                assert!(err <= sum_bound(row), "row {r} of {rows}x{cols}: {err}");
            }
            for threads in [1usize, 2, 4] {
                let mut mt = vec![T::from_f64(SENTINEL); rows];
                let used = t.row_sums_mt(m, cols, &mut mt, threads).unwrap();
                assert_eq!(
                    used,
                    threads.min(rows).max(1),
                    "{rows} rows, {threads} threads"
                );
                let same = mt.iter().zip(&out).all(|(a, b)| a.bits() == b.bits());
                assert!(same, "threaded row sums differ ({rows}x{cols}, {threads})");
            }
        }
    }
}

#[test]
fn row_sums_match_and_threads_split_rows() {
    row_sums_check::<f32>();
    row_sums_check::<f64>();
}

fn mandelbrot_bitwise<T: Real>(v: TwinVariant) {
    let Some(t) = twins(v) else { return };
    for (w, h) in [(0, 0), (1, 1), (7, 3), (17, 5), (33, 20), (64, 48), (3, 70)] {
        let p = MandelbrotGrid {
            width: w,
            height: h,
            max_iter: 200,
            xlim: (T::from_f64(-2.2), T::from_f64(0.8)),
            ylim: (T::from_f64(-1.2), T::from_f64(1.2)),
        };
        let want = mandel_ref(&p);
        let mut got = vec![u32::MAX; w * h];
        t.mandelbrot(&p, &mut got).unwrap();
        let bad = got.iter().zip(&want).filter(|(a, b)| a != b).count();
        assert_eq!(bad, 0, "{} mandelbrot {} {w}x{h}", v.name(), T::NAME);
        for threads in [1, 2, 4] {
            let mut mt = vec![u32::MAX; w * h];
            let used = t.mandelbrot_mt(&p, &mut mt, threads).unwrap();
            assert_eq!(mt, want, "threaded mandelbrot {w}x{h} x{threads}");
            assert!(used >= 1 && used <= threads.min(h.max(1)));
        }
    }
}

#[test]
fn exact_mandelbrot_is_bitwise_f32() {
    mandelbrot_bitwise::<f32>(TwinVariant::Exact);
}

#[test]
fn exact_mandelbrot_is_bitwise_f64() {
    mandelbrot_bitwise::<f64>(TwinVariant::Exact);
}

#[test]
fn forced16_mandelbrot_is_bitwise() {
    mandelbrot_bitwise::<f32>(TwinVariant::Forced16);
}

#[test]
fn threaded_multiply_is_bitwise_and_uses_the_threads() {
    let Some(t) = twins(TwinVariant::Exact) else {
        return;
    };
    for n in [0usize, 5, 16_384, 16_385, 100_003] {
        let a = data::<f32>(n, 1);
        let b = data::<f32>(n, 2);
        let mut one = vec![0.0f32; n];
        t.multiply(&a, &b, &mut one).unwrap();
        for threads in [1usize, 2, 4] {
            let mut mt = vec![f32::NAN; n];
            let used = t.multiply_mt(&a, &b, &mut mt, threads).unwrap();
            let blocks = n.div_ceil(16_384);
            assert_eq!(used, threads.min(blocks).max(1), "n={n} threads={threads}");
            assert!(mt.iter().zip(&one).all(|(x, y)| x.to_bits() == y.to_bits()));
        }
    }
}

#[test]
fn variants_have_the_widths_they_promise() {
    let (Some(exact), Some(portable), Some(forced)) = (
        twins(TwinVariant::Exact),
        twins(TwinVariant::Portable),
        twins(TwinVariant::Forced16),
    ) else {
        return;
    };
    assert_eq!(forced.simd_width::<f32>(), 16);
    assert_eq!(forced.simd_width::<f64>(), portable.simd_width::<f64>());
    assert!(exact.simd_width::<f32>() >= 4);
    assert_eq!(exact.simd_width::<f32>(), 2 * exact.simd_width::<f64>());
    if cfg!(target_arch = "x86_64") {
        assert_eq!(
            portable.simd_width::<f32>(),
            8,
            "x86-64-v3 = 256-bit vectors"
        );
        assert_eq!(
            portable.artifact().manifest().inputs.target.cpu,
            "x86-64-v3"
        );
    }
    assert_eq!(
        forced.artifact().manifest().inputs.defines["SIMDPAR_F32_WIDTH"],
        "16"
    );
}

/// The twin's leaky_relu is the standard one on the values where the old
/// `max(x, 0) + alpha * x` differed or where the definition has a corner:
/// 2.0 stays 2.0, -0.0 and -inf take alpha * x, NaN stays NaN. Every
/// variant, f32 and f64, at every lane position.
#[test]
fn twin_leaky_relu_is_the_standard_leaky_relu() {
    fn check<T: Real>(t: &Twins, v: TwinVariant) {
        let f = T::from_f64;
        let alpha = f(0.1);
        let xs = [
            f(2.0),
            f(-3.0),
            f(-0.0),
            f(0.0),
            f(f64::NAN),
            f(f64::INFINITY),
            f(f64::NEG_INFINITY),
        ];
        // Worked out from the definition (alpha * x where x <= 0).
        let want = [
            f(2.0),
            alpha * f(-3.0),
            f(-0.0),
            f(0.0),
            f(f64::NAN),
            f(f64::INFINITY),
            f(f64::NEG_INFINITY),
        ];
        let n = 7 * 9;
        let x: Vec<T> = (0..n).map(|i| xs[i % 7]).collect();
        let mut out = vec![f(SENTINEL); n];
        t.leaky_relu(&x, alpha, &mut out).unwrap();
        for (i, got) in out.iter().enumerate() {
            let w = want[i % 7];
            let ok = if w.to_f64().is_nan() {
                got.to_f64().is_nan()
            } else {
                got.bits() == w.bits()
            };
            assert!(
                ok,
                "{} {} i={i}: leaky_relu({:?}) = {got:?}, want {w:?}",
                v.name(),
                T::NAME,
                x[i]
            );
        }
    }
    for v in TwinVariant::ALL {
        let Some(t) = twins(v) else { return };
        check::<f32>(t, v);
        check::<f64>(t, v);
    }
}

#[test]
fn fast_twin_fuses_only_multiply_add_pairs() {
    let Some(fast) = twins(TwinVariant::Fast) else {
        return;
    };
    // Single-operation kernels cannot be contracted: still bitwise.
    let a = data::<f64>(1003, 5);
    let b = data::<f64>(1003, 6);
    let mut out = vec![0.0; 1003];
    fast.multiply(&a, &b, &mut out).unwrap();
    assert!(
        out.iter()
            .zip(a.iter().zip(&b))
            .all(|(o, (x, y))| *o == x * y)
    );
    // leaky_relu is a select between x and one product: nothing to fuse,
    // so it stays bitwise too (2.0 stays 2.0, -0.0 gives alpha * -0.0).
    let alpha = 0.01f64;
    fast.leaky_relu(&a, alpha, &mut out).unwrap();
    for (o, x) in out.iter().zip(&a) {
        let want = if *x > 0.0 { *x } else { alpha * x };
        assert_eq!(o.to_bits(), want.to_bits(), "fast leaky_relu({x:?})");
    }
}

#[test]
fn mismatched_lengths_are_typed_errors() {
    let Some(t) = twins(TwinVariant::Exact) else {
        return;
    };
    let a = [1.0f32; 4];
    let mut out = [0.0f32; 3];
    assert!(matches!(
        t.add(&a, &a, &mut out),
        Err(MojoError::InvalidArgument(_))
    ));
    assert!(matches!(
        t.row_sums(&a, 3, &mut out),
        Err(MojoError::InvalidArgument(_))
    ));
    let p = MandelbrotGrid {
        width: 2,
        height: 2,
        max_iter: 1,
        xlim: (0.0f32, 1.0),
        ylim: (0.0, 1.0),
    };
    let mut small = [0u32; 3];
    assert!(matches!(
        t.mandelbrot(&p, &mut small),
        Err(MojoError::InvalidArgument(_))
    ));
}
