//! Differential checks of the simdpar kernels, driven by fuzzer bytes.
//!
//! Each entry point ([`reduce`], [`map`], [`mandelbrot`]) decodes an input,
//! runs the dispatched kernel (and its parallel driver, and the ISA's own
//! token-taking entry points) under a scoped ISA from `available_isas()`,
//! and panics when a result differs from the scalar oracle bit for bit
//! (reductions: NaN included, every NaN sum the canonical NaN; elementwise
//! kernels: NaN where the oracle is NaN, its sign and payload aside), when
//! anything outside an output slice changes,
//! or when an error case writes anything. The fuzz targets in
//! `fuzz_targets/` call them; `tests/regressions.rs` replays every input
//! kept in `regressions/`.
//!
//! # Input layout
//!
//! Header bytes (missing bytes read as zero): ISA index, thread count
//! (`0` = `Threads::Auto`, else `AtMost(n % 5)`), element offset from a
//! 64-byte boundary (`% 16`), dtype and flags, then family-specific fields,
//! then elements. An element is a tag byte: `0..64` picks a special value
//! (NaN with payloads, ±Inf, ±0, subnormals, `MIN_POSITIVE`, `MAX`, huge and
//! tiny magnitudes), `64..128` a small integer multiple of 1/4, `128..`
//! raw bits read from the next 4 (f32) or 8 (f64) bytes.

use simdpar_dispatch::{Isa, available_isas, with_isa};
use simdpar_kernels::map::{Store, scalar as map_oracle};
use simdpar_kernels::reduce::Fetch;
use simdpar_kernels::reduce::scalar as reduce_oracle;
use simdpar_kernels::{AlignedVec, Element, KernelError, MandelbrotGrid, Plain, Threads, par};

/// Elements past which an input is cut (keeps one execution fast).
pub const MAX_ELEMS: usize = 1 << 14;

/// A cursor over fuzzer bytes; reads past the end give zeros.
pub struct Input<'a> {
    data: &'a [u8],
    pos: usize,
}

impl<'a> Input<'a> {
    /// A cursor at the start of `data`.
    pub fn new(data: &'a [u8]) -> Self {
        Input { data, pos: 0 }
    }
    /// Whether every byte has been read.
    pub fn is_empty(&self) -> bool {
        self.pos >= self.data.len()
    }
    /// The next byte (0 past the end).
    pub fn u8(&mut self) -> u8 {
        let b = self.data.get(self.pos).copied().unwrap_or(0);
        self.pos += 1;
        b
    }
    /// The next `N` bytes, little-endian (zeros past the end).
    pub fn bytes<const N: usize>(&mut self) -> [u8; N] {
        let mut b = [0; N];
        for x in &mut b {
            *x = self.u8();
        }
        b
    }
    /// The next 16-bit value.
    pub fn u16(&mut self) -> u16 {
        u16::from_le_bytes(self.bytes())
    }
}

/// Element types with raw-bit constructors (f32, f64).
pub trait Fuzzable: Element + Plain + PartialEq + IsaKernels {
    /// A value from the next raw bytes of `inp`.
    fn raw(inp: &mut Input) -> Self;
    /// The special values elements are drawn from.
    fn specials() -> Vec<Self>;
}

impl Fuzzable for f32 {
    fn raw(inp: &mut Input) -> Self {
        f32::from_bits(u32::from_le_bytes(inp.bytes()))
    }
    fn specials() -> Vec<Self> {
        vec![
            f32::NAN,
            -f32::NAN,
            f32::from_bits(0x7fc0_1234),
            f32::from_bits(0x7f80_0001), // signalling NaN
            f32::INFINITY,
            f32::NEG_INFINITY,
            0.0,
            -0.0,
            f32::from_bits(1),
            -f32::from_bits(1),
            f32::from_bits(0x007f_ffff), // largest subnormal
            f32::MIN_POSITIVE,
            f32::MAX,
            f32::MIN,
            f32::EPSILON,
            1.0,
            -1.0,
            2.0,
            4.0,
            1e-30,
            1e30,
            1.844_674_4e19,
            -3.0e38,
            1e-40,
        ]
    }
}

impl Fuzzable for f64 {
    fn raw(inp: &mut Input) -> Self {
        f64::from_bits(u64::from_le_bytes(inp.bytes()))
    }
    fn specials() -> Vec<Self> {
        vec![
            f64::NAN,
            -f64::NAN,
            f64::from_bits(0x7ff8_0000_0000_1234),
            f64::from_bits(0x7ff0_0000_0000_0001), // signalling NaN
            f64::INFINITY,
            f64::NEG_INFINITY,
            0.0,
            -0.0,
            f64::from_bits(1),
            -f64::from_bits(1),
            f64::from_bits(0x000f_ffff_ffff_ffff), // largest subnormal
            f64::MIN_POSITIVE,
            f64::MAX,
            f64::MIN,
            f64::EPSILON,
            1.0,
            -1.0,
            2.0,
            4.0,
            1e-300,
            1e300,
            1.3407807929942596e154, // sqrt(MAX): squares overflow
            -1e-310,
            1e-40,
        ]
    }
}

/// One element (see the module docs).
pub fn elem<T: Fuzzable>(inp: &mut Input) -> T {
    let tag = inp.u8();
    match tag {
        0..64 => {
            let sp = T::specials();
            sp[usize::from(tag) % sp.len()]
        }
        64..128 => T::from_f64((f64::from(tag) - 96.0) / 4.0),
        _ => T::raw(inp),
    }
}

/// Elements until the input runs out (at most [`MAX_ELEMS`]).
pub fn elems<T: Fuzzable>(inp: &mut Input) -> Vec<T> {
    let mut v = Vec::new();
    while !inp.is_empty() && v.len() < MAX_ELEMS {
        v.push(elem(inp));
    }
    v
}

/// The common header.
#[derive(Clone, Copy, Debug)]
pub struct Header {
    /// The ISA to scope (one of `available_isas()`).
    pub isa: Isa,
    /// The thread setting of the parallel drivers.
    pub threads: Threads,
    /// Element offset from a 64-byte boundary.
    pub offset: usize,
    /// f64 when set, else f32.
    pub f64: bool,
    /// Free flag bits for the family.
    pub flags: u8,
}

impl Header {
    /// Reads the header.
    pub fn read(inp: &mut Input) -> Header {
        let isas = available_isas();
        let isa = isas[usize::from(inp.u8()) % isas.len()];
        let t = usize::from(inp.u8() % 5);
        let offset = usize::from(inp.u8() % 16);
        let flags = inp.u8();
        Header {
            isa,
            threads: if t == 0 {
                Threads::Auto
            } else {
                Threads::AtMost(t)
            },
            offset,
            f64: flags & 1 == 1,
            flags: flags >> 1,
        }
    }
}

/// Equal bits, or both NaN (elementwise results: NaN sign and payload are
/// unspecified).
pub fn same<T: Element>(a: T, b: T) -> bool {
    (a.is_nan() && b.is_nan()) || a.to_bits_u64() == b.to_bits_u64()
}

/// The canonical NaN's bits as the contract states them: positive, quiet,
/// payload zero.
fn canonical_nan_bits<T: Element>() -> u64 {
    if T::NAME == "f32" {
        0x7fc0_0000
    } else {
        0x7ff8_0000_0000_0000
    }
}

/// Equal bits, NaN included, and a NaN only as the canonical NaN
/// (reduction results).
pub fn exact<T: Element>(got: T, want: T) -> bool {
    got.to_bits_u64() == want.to_bits_u64()
        && (!got.is_nan() || got.to_bits_u64() == canonical_nan_bits::<T>())
}

/// Panics at the first element that is not [`exact`].
pub fn assert_exact<T: Element>(got: &[T], want: &[T], what: &dyn Fn() -> String) {
    assert_each(got, want, exact, what)
}

/// Panics at the first element that is not [`same`].
pub fn assert_same<T: Element>(got: &[T], want: &[T], what: &dyn Fn() -> String) {
    assert_each(got, want, same, what)
}

/// Panics at the first index where `ok(got[i], want[i])` fails, with both
/// values and their bits.
fn assert_each<T: Element>(
    got: &[T],
    want: &[T],
    ok: fn(T, T) -> bool,
    what: &dyn Fn() -> String,
) {
    assert_eq!(got.len(), want.len(), "{}: length", what());
    if let Some(i) = (0..got.len()).find(|&i| !ok(got[i], want[i])) {
        panic!(
            "{}: index {i}: got {:?} ({:#x}), want {:?} ({:#x})",
            what(),
            got[i],
            got[i].to_bits_u64(),
            want[i],
            want[i].to_bits_u64()
        );
    }
}

/// A slice at `offset` elements past a 64-byte boundary, with guard zones
/// of `GUARD` sentinel elements on both sides.
pub struct Guarded<T: Plain> {
    buf: AlignedVec<T>,
    offset: usize,
    len: usize,
    sentinel: T,
}

/// Sentinel elements on each side of a [`Guarded`] slice (at least).
pub const GUARD: usize = 64;

impl<T: Plain + PartialEq + std::fmt::Debug> Guarded<T> {
    /// `len` elements of `fill` after `GUARD + offset` sentinels.
    pub fn new(len: usize, offset: usize, fill: T, sentinel: T) -> Self {
        let start = GUARD + offset;
        let mut buf = AlignedVec::try_zeroed_aligned(start + len + GUARD, 64).expect("alloc");
        buf.fill(sentinel);
        buf[start..start + len].fill(fill);
        Guarded {
            buf,
            offset: start,
            len,
            sentinel,
        }
    }
    /// A copy of `src` placed like [`Guarded::new`].
    pub fn from_slice(src: &[T], offset: usize, sentinel: T) -> Self {
        let mut g = Guarded::new(src.len(), offset, sentinel, sentinel);
        g.get_mut().copy_from_slice(src);
        g
    }
    /// The slice.
    pub fn get(&self) -> &[T] {
        &self.buf[self.offset..self.offset + self.len]
    }
    /// The slice, mutably.
    pub fn get_mut(&mut self) -> &mut [T] {
        &mut self.buf[self.offset..self.offset + self.len]
    }
    /// Panics when anything outside the slice changed.
    pub fn check(&self, what: &dyn Fn() -> String) {
        let before = &self.buf[..self.offset];
        let after = &self.buf[self.offset + self.len..];
        if let Some(i) = before.iter().chain(after).position(|v| *v != self.sentinel) {
            panic!(
                "{}: wrote outside the output slice (guard element {i})",
                what()
            );
        }
    }
}

fn scoped<R>(isa: Isa, f: impl FnOnce() -> R) -> R {
    with_isa(isa, f).expect("available ISAs can be scoped")
}

/// Tiles `v` to a length past the parallel threshold (when asked), so the
/// parallel drivers really split.
fn maybe_tile<T: Copy>(v: Vec<T>, big: bool) -> Vec<T> {
    if !big || v.is_empty() {
        return v;
    }
    let n = par::PAR_MIN_ELEMS_REDUCE.max(par::PAR_MIN_ELEMS) + 4096 + v.len() % 4096;
    v.iter().copied().cycle().take(n).collect()
}

// ---------------------------------------------------------------------------
// reduce

/// `sum` / `row_sums` (dispatched, parallel, and the ISA's own entry points)
/// against the oracle. Family fields: `cols` (u8), a big-input flag.
pub fn reduce(data: &[u8]) {
    let mut inp = Input::new(data);
    let h = Header::read(&mut inp);
    let cols = usize::from(inp.u8());
    if h.f64 {
        reduce_t::<f64>(h, cols, &mut inp);
    } else {
        reduce_t::<f32>(h, cols, &mut inp);
    }
}

fn reduce_t<T: Fuzzable>(h: Header, cols: usize, inp: &mut Input) {
    let x = maybe_tile(elems::<T>(inp), h.flags & 0x3f == 0x2a);
    let what = || format!("{} {:?} n={} cols={cols}", T::NAME, h, x.len());
    let px = Guarded::from_slice(&x, h.offset, T::from_f64(-5.0));
    let want = reduce_oracle::sum(&x);
    let got = scoped(h.isa, || simdpar_kernels::sum(px.get()));
    assert!(exact(got, want), "sum {}: {got:?} vs {want:?}", what());
    let got = scoped(h.isa, || par::sum(px.get(), h.threads));
    assert!(exact(got, want), "par sum {}: {got:?} vs {want:?}", what());
    for fetch in [Fetch::OnDemand, Fetch::Ahead] {
        let got = isa_sum(h.isa, px.get(), fetch);
        assert!(
            exact(got, want),
            "token sum {fetch:?} {}: {got:?} vs {want:?}",
            what()
        );
    }

    // Row sums of the whole rows that fit.
    let rows = x.len().checked_div(cols).unwrap_or(h.flags as usize % 7);
    let m = &px.get()[..rows * cols];
    let mut want = vec![T::ZERO; rows];
    reduce_oracle::row_sums(m, cols, &mut want);
    let sentinel = T::from_f64(-31337.0);
    let mut out = Guarded::new(rows, h.offset, sentinel, sentinel);
    scoped(h.isa, || simdpar_kernels::row_sums(m, cols, out.get_mut())).unwrap();
    out.check(&what);
    assert_exact(out.get(), &want, &|| format!("row_sums {}", what()));
    let mut out = Guarded::new(rows, h.offset, sentinel, sentinel);
    scoped(h.isa, || par::row_sums(m, cols, out.get_mut(), h.threads)).unwrap();
    out.check(&what);
    assert_exact(out.get(), &want, &|| format!("par row_sums {}", what()));

    // A shape that does not fit: typed error, nothing written.
    if cols > 0 {
        let mut out = Guarded::new(rows + 1, h.offset, sentinel, sentinel);
        let r = scoped(h.isa, || simdpar_kernels::row_sums(m, cols, out.get_mut()));
        assert!(
            matches!(r, Err(KernelError::BadShape { .. })),
            "{r:?} {}",
            what()
        );
        let r = scoped(h.isa, || par::row_sums(m, cols, out.get_mut(), h.threads));
        assert!(r.is_err(), "{}", what());
        out.check(&what);
        assert!(out.get().iter().all(|&v| v == sentinel), "{}", what());
    }

    // The ISA's own entry point, reading on demand and prefetching ahead,
    // with more output rows than the matrix holds: the missing rows are
    // left untouched.
    let extra = usize::from(h.flags >> 5 & 3);
    let fill = T::from_f64(123.0);
    for fetch in [Fetch::OnDemand, Fetch::Ahead] {
        let mut out = Guarded::new(rows + extra, h.offset, fill, sentinel);
        isa_row_sums(h.isa, m, cols, out.get_mut(), fetch);
        out.check(&what);
        assert_exact(&out.get()[..rows], &want, &|| {
            format!("token row_sums {fetch:?} {}", what())
        });
        if cols > 0 {
            assert!(
                out.get()[rows..].iter().all(|&v| v == fill),
                "token row_sums {fetch:?} wrote rows missing from the matrix {}",
                what()
            );
        }
    }
}

fn isa_sum<T: Fuzzable>(isa: Isa, x: &[T], fetch: Fetch) -> T {
    T::isa_sum(isa, x, fetch)
}

fn isa_row_sums<T: Fuzzable>(isa: Isa, m: &[T], cols: usize, out: &mut [T], fetch: Fetch) {
    T::isa_row_sums(isa, m, cols, out, fetch)
}

// ---------------------------------------------------------------------------
// map

const MAP_OPS: [&str; 10] = [
    "add",
    "multiply",
    "add_assign",
    "multiply_assign",
    "square",
    "square_inplace",
    "scale",
    "scale_inplace",
    "leaky_relu",
    "leaky_relu_inplace",
];

/// Every elementwise kernel (dispatched, parallel, and the ISA's own entry
/// points with both store kinds and unequal slice lengths) against the
/// oracle. Family fields: op (u8), parameter (one element), a mismatch
/// byte, a big-input flag; then the elements of `a` and `b` interleaved.
pub fn map(data: &[u8]) {
    let mut inp = Input::new(data);
    let h = Header::read(&mut inp);
    let op = usize::from(inp.u8()) % MAP_OPS.len();
    let mismatch = inp.u8();
    if h.f64 {
        map_t::<f64>(h, op, mismatch, &mut inp);
    } else {
        map_t::<f32>(h, op, mismatch, &mut inp);
    }
}

/// The oracle of `op` over the first `n` elements, out of place.
fn map_want<T: Fuzzable>(op: &str, a: &[T], b: &[T], p: T) -> Vec<T> {
    let mut want = vec![T::ZERO; a.len()];
    match op {
        "add" | "add_assign" => map_oracle::add(a, b, &mut want, Store::Cached),
        "multiply" | "multiply_assign" => map_oracle::multiply(a, b, &mut want, Store::Cached),
        "square" | "square_inplace" => map_oracle::square(a, &mut want, Store::Cached),
        "scale" | "scale_inplace" => map_oracle::scale(a, p, &mut want, Store::Cached),
        _ => {
            map_oracle::leaky_relu(a, p, &mut want, Store::Cached);
            // The oracle itself against the definition, restated here: the
            // standard leaky ReLU `x > 0 ? x : p * x`.
            for (i, (&x, &w)) in a.iter().zip(&want).enumerate() {
                let def = if x > T::ZERO { x } else { p * x };
                assert!(
                    same(w, def),
                    "leaky_relu oracle at {i}: f({x:?}, {p:?}) = {w:?}, the definition gives {def:?}"
                );
            }
        }
    }
    want
}

/// The dispatched (`threads == None`) or parallel call of `op`.
fn map_call<T: Fuzzable>(
    op: &str,
    a: &mut [T],
    b: &[T],
    p: T,
    out: &mut [T],
    threads: Option<Threads>,
) -> Result<(), KernelError> {
    use simdpar_kernels as k;
    match (op, threads) {
        ("add", None) => k::add(a, b, out),
        ("add", Some(t)) => par::add(a, b, out, t),
        ("multiply", None) => k::multiply(a, b, out),
        ("multiply", Some(t)) => par::multiply(a, b, out, t),
        ("add_assign", None) => k::add_assign(a, b),
        ("add_assign", Some(t)) => par::add_assign(a, b, t),
        ("multiply_assign", None) => k::multiply_assign(a, b),
        ("multiply_assign", Some(t)) => par::multiply_assign(a, b, t),
        ("square", None) => k::square(a, out),
        ("square", Some(t)) => par::square(a, out, t),
        ("square_inplace", None) => {
            k::square_inplace(a);
            Ok(())
        }
        ("square_inplace", Some(t)) => {
            par::square_inplace(a, t);
            Ok(())
        }
        ("scale", None) => k::scale(a, p, out),
        ("scale", Some(t)) => par::scale(a, p, out, t),
        ("scale_inplace", None) => {
            k::scale_inplace(a, p);
            Ok(())
        }
        ("scale_inplace", Some(t)) => {
            par::scale_inplace(a, p, t);
            Ok(())
        }
        ("leaky_relu", None) => k::leaky_relu(a, p, out),
        ("leaky_relu", Some(t)) => par::leaky_relu(a, p, out, t),
        ("leaky_relu_inplace", None) => {
            k::leaky_relu_inplace(a, p);
            Ok(())
        }
        (_, Some(t)) => {
            par::leaky_relu_inplace(a, p, t);
            Ok(())
        }
        (_, None) => {
            k::leaky_relu_inplace(a, p);
            Ok(())
        }
    }
}

fn map_t<T: Fuzzable>(h: Header, op_i: usize, mismatch: u8, inp: &mut Input) {
    let op = MAP_OPS[op_i];
    let p: T = elem(inp);
    let mut xs = elems::<T>(inp);
    let big = h.flags & 0x3f == 0x2a;
    let n = xs.len() / 2;
    let b_raw: Vec<T> = xs.split_off(n);
    let a = maybe_tile(xs, big);
    let b = maybe_tile(b_raw[..n].to_vec(), big);
    let n = a.len();
    let what = || format!("{op} {} {:?} n={n} p={p:?}", T::NAME, h);
    let want = map_want(op, &a, &b, p);
    let sentinel = T::from_f64(-31337.0);
    let inplace = op.ends_with("_assign") || op.ends_with("_inplace");
    let pb = Guarded::from_slice(&b, (h.offset + 7) % 16, sentinel);

    for threads in [None, Some(h.threads)] {
        let mut pa = Guarded::from_slice(&a, h.offset, sentinel);
        let mut out = Guarded::new(n, (h.offset + 3) % 16, sentinel, sentinel);
        scoped(h.isa, || {
            map_call(op, pa.get_mut(), pb.get(), p, out.get_mut(), threads)
        })
        .unwrap();
        pa.check(&what);
        out.check(&what);
        let got = if inplace { pa.get() } else { out.get() };
        assert_same(got, &want, &|| format!("{} threads={threads:?}", what()));
        if !inplace {
            assert_same(pa.get(), &a, &|| format!("input changed: {}", what()));
        }
    }

    // Unequal lengths through the checked API: a typed error, nothing written.
    if mismatch % 4 == 3 && (n > 0 || mismatch & 4 == 0) {
        let short = n.saturating_sub(1 + usize::from(mismatch >> 3) % 3);
        let long = n + 1 + usize::from(mismatch >> 5);
        let other = if mismatch & 4 == 0 { long } else { short };
        let fill = T::from_f64(77.0);
        for threads in [None, Some(h.threads)] {
            let mut pa = Guarded::from_slice(&a, h.offset, sentinel);
            let unary = matches!(op, "square" | "scale" | "leaky_relu");
            let needs_b = matches!(op, "add" | "multiply" | "add_assign" | "multiply_assign");
            if !(needs_b || unary) {
                break; // in-place unary kernels have a single slice
            }
            let bb = Guarded::new(if needs_b { other } else { n }, 1, fill, sentinel);
            let mut out = Guarded::new(if needs_b { n } else { other }, 2, fill, sentinel);
            let r = scoped(h.isa, || {
                map_call(op, pa.get_mut(), bb.get(), p, out.get_mut(), threads)
            });
            assert!(
                matches!(r, Err(KernelError::LengthMismatch { .. })),
                "mismatch other={other} {}: {r:?}",
                what()
            );
            assert_same(pa.get(), &a, &|| format!("mismatch wrote a: {}", what()));
            assert!(out.get().iter().all(|&v| v == fill), "mismatch wrote out");
            out.check(&what);
            pa.check(&what);
        }
    }

    // The ISA's own entry points: every store policy, and slices of unequal
    // length (they work over the shortest; the rest is left untouched).
    if !inplace || op.ends_with("_assign") {
        let store = if h.flags & 0x40 != 0 {
            Store::Streaming
        } else if h.flags & 0x03 == 0x03 {
            Store::ByLine
        } else {
            Store::Cached
        };
        let cut = usize::from(mismatch >> 2) % 5;
        let (na, nb, no) = match mismatch % 3 {
            0 => (n, n, n),
            1 => (n, n.saturating_sub(cut), n),
            _ => (n, n, n.saturating_sub(cut)),
        };
        let unary = matches!(op, "square" | "scale" | "leaky_relu");
        let m = match (inplace, unary) {
            (true, _) => na.min(nb),
            (false, true) => na.min(no),
            (false, false) => na.min(nb).min(no),
        };
        let want = map_want(op, &a[..m], &b[..m], p);
        let fill = T::from_f64(55.0);
        let mut pa = Guarded::from_slice(&a[..na], h.offset, sentinel);
        let pb = Guarded::from_slice(&b[..nb], (h.offset + 9) % 16, sentinel);
        let mut out = Guarded::new(no, (h.offset + 1) % 16, fill, sentinel);
        isa_map(h.isa, op, pa.get_mut(), pb.get(), p, out.get_mut(), store);
        let what2 = || format!("token {} store={store:?} na={na} nb={nb} no={no}", what());
        pa.check(&what2);
        out.check(&what2);
        if inplace {
            assert_same(&pa.get()[..m], &want, &what2);
            assert_same(&pa.get()[m..], &a[m..na], &what2);
        } else {
            assert_same(&out.get()[..m], &want, &what2);
            assert!(out.get()[m..].iter().all(|&v| v == fill), "{}", what2());
            assert_same(pa.get(), &a[..na], &what2);
        }
    }
}

fn isa_map<T: Fuzzable>(isa: Isa, op: &str, a: &mut [T], b: &[T], p: T, out: &mut [T], s: Store) {
    T::isa_map(isa, op, a, b, p, out, s)
}

// ---------------------------------------------------------------------------
// mandelbrot

/// Mandelbrot on a random grid (any limits, NaN/Inf/huge included, any
/// iteration cap) against the oracle; empty and overflowing grids must be
/// typed errors that write nothing; the ISA's row entry point with a start
/// row and a partial last row. Fields: width (u8 % 70), height (u8 % 20),
/// max_iter (u16 % 600), four limit elements, a y0 byte.
pub fn mandelbrot(data: &[u8]) {
    let mut inp = Input::new(data);
    let h = Header::read(&mut inp);
    if h.f64 {
        mandelbrot_t::<f64>(h, &mut inp);
    } else {
        mandelbrot_t::<f32>(h, &mut inp);
    }
}

fn mandelbrot_t<T: Fuzzable>(h: Header, inp: &mut Input) {
    let mut width = usize::from(inp.u8()) % 70;
    let mut height = usize::from(inp.u8()) % 20;
    let max_iter = u32::from(inp.u16()) % 600;
    let lims: [T; 4] = [elem(inp), elem(inp), elem(inp), elem(inp)];
    let y0 = usize::from(inp.u8());
    if h.flags & 0x3f == 0x15 {
        // Sizes whose pixel count overflows: a typed error, nothing written.
        width += usize::MAX / 3;
        height += 5;
    }
    let g = MandelbrotGrid {
        width,
        height,
        max_iter,
        xlim: (lims[0], lims[1]),
        ylim: (lims[2], lims[3]),
    };
    let what = || format!("{} {:?} {g:?}", T::NAME, h);
    let n = width.saturating_mul(height);
    if width == 0 || height == 0 || n > 1 << 20 {
        let mut out = Guarded::new(16, h.offset, 9u32, 7u32);
        let r = scoped(h.isa, || simdpar_kernels::mandelbrot(&g, out.get_mut()));
        assert!(
            matches!(r, Err(KernelError::InvalidArgument(_))),
            "{}: {r:?}",
            what()
        );
        let r = scoped(h.isa, || par::mandelbrot(&g, out.get_mut(), h.threads));
        assert!(r.is_err(), "{}", what());
        out.check(&what);
        assert!(out.get().iter().all(|&c| c == 9), "{}", what());
        return;
    }
    let mut want = vec![0u32; n];
    simdpar_kernels::mandelbrot::scalar::rows(&g, 0, &mut want);
    assert!(want.iter().all(|&c| c <= max_iter), "oracle {}", what());
    let mut out = Guarded::new(n, h.offset, 0u32, u32::MAX);
    scoped(h.isa, || simdpar_kernels::mandelbrot(&g, out.get_mut())).unwrap();
    out.check(&what);
    assert_eq!(out.get(), &want[..], "mandelbrot {}", what());
    let mut out = Guarded::new(n, h.offset, 0u32, u32::MAX);
    scoped(h.isa, || par::mandelbrot(&g, out.get_mut(), h.threads)).unwrap();
    out.check(&what);
    assert_eq!(out.get(), &want[..], "par mandelbrot {}", what());
    // Wrong output length: error, nothing written.
    let mut out = Guarded::new(n + 1, h.offset, 3u32, u32::MAX);
    assert!(scoped(h.isa, || simdpar_kernels::mandelbrot(&g, out.get_mut())).is_err());
    assert!(out.get().iter().all(|&c| c == 3), "{}", what());

    // Row entry point: rows y0.. into an output with a partial last row.
    let y0 = y0 % (height + 3);
    let len = (n + width / 2).min(n + width - 1);
    let rows = len / width;
    let mut want = vec![0u32; rows * width];
    simdpar_kernels::mandelbrot::scalar::rows(&g, y0, &mut want);
    let mut out = Guarded::new(len, h.offset, 5u32, u32::MAX);
    isa_rows(h.isa, &g, y0, out.get_mut());
    out.check(&what);
    assert_eq!(
        &out.get()[..rows * width],
        &want[..],
        "token rows y0={y0} {}",
        what()
    );
    assert!(
        out.get()[rows * width..].iter().all(|&c| c == 5),
        "token rows wrote a partial row {}",
        what()
    );
}

fn isa_rows<T: Fuzzable>(isa: Isa, g: &MandelbrotGrid<T>, y0: usize, out: &mut [u32]) {
    T::isa_rows(isa, g, y0, out)
}

// ---------------------------------------------------------------------------
// the ISAs' own (token-taking) entry points

/// The ISAs' own entry points for one dtype (token-taking on x86/ARM,
/// token-free for `portable`, the scalar oracle for `scalar`).
pub trait IsaKernels: Sized {
    /// `reduce::<isa>::sum_T`.
    fn isa_sum(isa: Isa, x: &[Self], fetch: Fetch) -> Self;
    /// `reduce::<isa>::row_sums_T`.
    fn isa_row_sums(isa: Isa, m: &[Self], cols: usize, out: &mut [Self], fetch: Fetch);
    /// `map::<isa>::<op>_T`.
    fn isa_map(isa: Isa, op: &str, a: &mut [Self], b: &[Self], p: Self, out: &mut [Self], s: Store);
    /// `mandelbrot::<isa>::rows_T`.
    fn isa_rows(isa: Isa, g: &MandelbrotGrid<Self>, y0: usize, out: &mut [u32]);
}

/// `simdpar_kernels::$fam::<isa>::$f([token,] args..)` for the ISA, or
/// `$scalar` for `scalar`.
macro_rules! isa_match {
    ($isa:expr, $fam:ident :: $f:ident ($($arg:expr),*), scalar => $scalar:expr) => {
        match $isa {
            Isa::Portable => simdpar_kernels::$fam::portable::$f($($arg),*),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Isa::Avx2 => simdpar_kernels::$fam::avx2::$f(
                simdpar_dispatch::Avx2::new().expect("available"), $($arg),*),
            #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
            Isa::Avx512 => simdpar_kernels::$fam::avx512::$f(
                simdpar_dispatch::Avx512::new().expect("available"), $($arg),*),
            #[cfg(target_arch = "aarch64")]
            Isa::Neon => simdpar_kernels::$fam::neon::$f(
                simdpar_dispatch::Neon::new().expect("available"), $($arg),*),
            _ => $scalar,
        }
    };
}

macro_rules! impl_isa_kernels {
    ($t:ty, $sum:ident, $row_sums:ident, $add:ident, $mul:ident, $sq:ident, $scale:ident,
     $lrelu:ident, $add_assign:ident, $mul_assign:ident, $rows:ident) => {
        impl IsaKernels for $t {
            fn isa_sum(isa: Isa, x: &[$t], fetch: Fetch) -> $t {
                isa_match!(isa, reduce::$sum(x, fetch), scalar => reduce_oracle::sum(x))
            }
            fn isa_row_sums(isa: Isa, x: &[$t], cols: usize, out: &mut [$t], fetch: Fetch) {
                isa_match!(isa, reduce::$row_sums(x, cols, out, fetch),
                    scalar => reduce_oracle::row_sums(x, cols, out))
            }
            fn isa_map(isa: Isa, op: &str, a: &mut [$t], b: &[$t], p: $t, out: &mut [$t], s: Store) {
                match op {
                    "add" => isa_match!(isa, map::$add(a, b, out, s),
                        scalar => map_oracle::add(a, b, out, s)),
                    "multiply" => isa_match!(isa, map::$mul(a, b, out, s),
                        scalar => map_oracle::multiply(a, b, out, s)),
                    "square" => isa_match!(isa, map::$sq(a, out, s),
                        scalar => map_oracle::square(a, out, s)),
                    "scale" => isa_match!(isa, map::$scale(a, p, out, s),
                        scalar => map_oracle::scale(a, p, out, s)),
                    "leaky_relu" => isa_match!(isa, map::$lrelu(a, p, out, s),
                        scalar => map_oracle::leaky_relu(a, p, out, s)),
                    "add_assign" => isa_match!(isa, map::$add_assign(a, b),
                        scalar => map_oracle::add_assign(a, b)),
                    "multiply_assign" => isa_match!(isa, map::$mul_assign(a, b),
                        scalar => map_oracle::multiply_assign(a, b)),
                    _ => unreachable!("{op}"),
                }
            }
            fn isa_rows(isa: Isa, g: &MandelbrotGrid<$t>, y0: usize, out: &mut [u32]) {
                isa_match!(isa, mandelbrot::$rows(g, y0, out),
                    scalar => simdpar_kernels::mandelbrot::scalar::rows(g, y0, out))
            }
        }
    };
}

impl_isa_kernels!(
    f32,
    sum_f32,
    row_sums_f32,
    add_f32,
    multiply_f32,
    square_f32,
    scale_f32,
    leaky_relu_f32,
    add_assign_f32,
    multiply_assign_f32,
    rows_f32
);
impl_isa_kernels!(
    f64,
    sum_f64,
    row_sums_f64,
    add_f64,
    multiply_f64,
    square_f64,
    scale_f64,
    leaky_relu_f64,
    add_assign_f64,
    multiply_assign_f64,
    rows_f64
);
