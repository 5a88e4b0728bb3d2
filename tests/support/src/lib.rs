//! Shared helpers for the cross-crate suites: deterministic inputs with the
//! special values of the numerical contract, guarded output buffers, bitwise
//! comparison, and the coverage-file fragments. A crate of its own (not a
//! `mod common` compiled into every suite) so each suite uses what it needs.

use simdpar_dispatch::Isa;
use simdpar_kernels::{AlignedVec, Element, Plain};
use std::collections::BTreeMap;
use std::sync::Mutex;

/// A small deterministic generator (xorshift64*), so failures reproduce.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in [-1, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 52) as f64 - 1.0
    }
}

/// The special values of the contract in `T`.
pub fn specials<T: Element>() -> Vec<T> {
    let tiny = if T::NAME == "f32" {
        f32::from_bits(1) as f64 // smallest f32 subnormal
    } else {
        f64::from_bits(1)
    };
    [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        -0.0,
        0.0,
        tiny,
        -tiny,
        tiny * 3.0,
        1e-40,
        -1e-310,
        f64::MAX,
        -f64::MAX,
        1.0,
        -1.0,
    ]
    .into_iter()
    .map(T::from_f64)
    .collect()
}

/// `n` values: mostly random in [-4, 4), with a special value every
/// `every` elements when `every > 0`.
pub fn values<T: Element>(n: usize, seed: u64, every: usize) -> Vec<T> {
    let mut rng = Rng::new(seed);
    let sp = specials::<T>();
    (0..n)
        .map(|i| {
            if every > 0 && i % every == every - 1 {
                sp[(rng.next_u64() as usize) % sp.len()]
            } else {
                T::from_f64(rng.unit() * 4.0)
            }
        })
        .collect()
}

/// Equal bits, or both NaN (NaN payloads may differ between ISAs).
pub fn same<T: Element>(a: T, b: T) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits_u64() == b.to_bits_u64()
}

/// Panics with the first differing index.
pub fn assert_same<T: Element>(got: &[T], want: &[T], what: &str) {
    assert_eq!(got.len(), want.len(), "{what}: length");
    if let Some(i) = (0..got.len()).find(|&i| !same(got[i], want[i])) {
        panic!("{what}: index {i}: got {:?}, want {:?}", got[i], want[i]);
    }
}

/// A copy of `src` placed `offset` elements after a 64-byte boundary.
pub struct Placed<T: Plain> {
    buf: AlignedVec<T>,
    offset: usize,
    len: usize,
}

impl<T: Plain> Placed<T> {
    pub fn new(src: &[T], offset: usize) -> Self {
        let mut buf = AlignedVec::try_zeroed_aligned(src.len() + offset, 64).unwrap();
        buf[offset..].copy_from_slice(src);
        Placed {
            buf,
            offset,
            len: src.len(),
        }
    }
    pub fn get(&self) -> &[T] {
        &self.buf[self.offset..self.offset + self.len]
    }
    pub fn get_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.offset..self.offset + self.len]
    }
}

/// An output slice at `offset` elements after a 64-byte boundary, with
/// sentinel-filled guard zones on both sides to catch stray writes.
pub struct Guarded<T: Plain> {
    buf: AlignedVec<T>,
    offset: usize,
    len: usize,
    sentinel: T,
}

pub const GUARD: usize = 32;

impl<T: Plain + PartialEq + std::fmt::Debug> Guarded<T> {
    pub fn new(len: usize, offset: usize, sentinel: T) -> Self {
        let mut buf = AlignedVec::try_zeroed_aligned(offset + len + GUARD, 64).unwrap();
        buf.fill(sentinel);
        Guarded {
            buf,
            offset,
            len,
            sentinel,
        }
    }
    pub fn out(&mut self) -> &mut [T] {
        &mut self.buf[self.offset..self.offset + self.len]
    }
    pub fn result(&self) -> &[T] {
        &self.buf[self.offset..self.offset + self.len]
    }
    /// Panics if anything outside the slice changed.
    pub fn check_guards(&self, what: &str) {
        let before = &self.buf[..self.offset];
        let after = &self.buf[self.offset + self.len..];
        assert!(
            before.iter().chain(after).all(|v| *v == self.sentinel),
            "{what}: wrote outside the output slice"
        );
    }
}

/// Counts verified cases per ISA and writes a coverage fragment.
pub struct Coverage {
    counts: Mutex<BTreeMap<&'static str, usize>>,
}

impl Default for Coverage {
    fn default() -> Self {
        Coverage::new()
    }
}

impl Coverage {
    pub const fn new() -> Self {
        Coverage {
            counts: Mutex::new(BTreeMap::new()),
        }
    }
    pub fn add(&self, isa: Isa, cases: usize) {
        *self.counts.lock().unwrap().entry(isa.name()).or_default() += cases;
    }
    /// Writes `target/coverage-parts/<name>.json` for the ISAs counted.
    /// Native runs record every ISA; an aarch64 run under QEMU records only
    /// `neon` (scalar and portable are verified natively on the host).
    pub fn write(&self, name: &str) {
        let under_qemu = std::env::var_os("SIMDPAR_UNDER_QEMU").is_some();
        let counts = self.counts.lock().unwrap();
        let entries: Vec<String> = counts
            .iter()
            .filter(|(isa, _)| !under_qemu || **isa == "neon")
            .map(|(isa, n)| {
                let by = if under_qemu { "qemu" } else { "native" };
                format!("\"{isa}\": {{\"verified_by\": \"{by}\", \"cases\": {n}}}")
            })
            .collect();
        // This crate lives in `tests/support`; the fragments belong in the
        // workspace's `target/`, where `tools/test.sh` merges them.
        let dir =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/coverage-parts");
        std::fs::create_dir_all(&dir).unwrap();
        let arch = std::env::consts::ARCH;
        let file = dir.join(format!("{name}-{arch}.json"));
        std::fs::write(file, format!("{{\"isas\": {{{}}}}}\n", entries.join(", "))).unwrap();
    }
}

/// Reports a test that cannot run here: a loud `SKIPPED:` line, or, under
/// `SIMDPAR_CI=1` (CI installs and configures everything), a failure, so a
/// skip is never counted as a pass there.
pub fn skip(what: &str) {
    if std::env::var("SIMDPAR_CI").as_deref() == Ok("1") {
        panic!("SKIPPED in CI (SIMDPAR_CI=1 makes a skip a failure): {what}");
    }
    println!("SKIPPED: {what}");
}
