//! The STREAM loops at every vector width this CPU has: AVX-512 and AVX2
//! (detected at run time, never assumed), else plain Rust. Each loop keeps
//! several independent accumulators or vectors in flight, so it is bound
//! by memory and not by one dependent chain; the read loop walks the two
//! halves of its input at once (two hardware-prefetch streams), with and
//! without software prefetch 2 KiB ahead (the reductions prefetch that way
//! beyond the last-level cache). Each store loop comes with a cached and a
//! non-temporal (streaming) form. Which
//! width and which store form move the bytes fastest depends on the machine
//! (on Zen 4, 512-bit loads are split in two and 256-bit reads measured
//! faster), so the bench measures every [`Form`] and keeps the fastest
//! ([`super::measure`]).

#[cfg(target_arch = "x86_64")]
use std::arch::x86_64::*;

/// How a store loop writes its output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Store {
    /// Ordinary stores (the line is read into the cache first).
    Cached,
    /// Non-temporal stores that bypass the cache (no read for ownership).
    NonTemporal,
}

impl Store {
    /// Both forms, cached first.
    pub const ALL: [Store; 2] = [Store::Cached, Store::NonTemporal];

    /// `cached` / `nt`, for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Store::Cached => "cached",
            Store::NonTemporal => "nt",
        }
    }
}

/// The vector width the loops run at on this CPU.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Level {
    /// 512-bit loads and stores.
    Avx512,
    /// 256-bit loads and stores.
    Avx2,
    /// Plain Rust loops (whatever the compiler makes of them).
    Portable,
}

impl Level {
    /// `avx512`, `avx2` or `portable`.
    pub fn name(self) -> &'static str {
        match self {
            Level::Avx512 => "avx512",
            Level::Avx2 => "avx2",
            Level::Portable => "portable",
        }
    }
}

/// How far ahead the read loop prefetches, in bytes (the distance the
/// reductions use beyond the last-level cache).
const PREFETCH_AHEAD: usize = 2048;

/// One way to run a pattern: a vector width, a store form and, for the
/// read pattern, whether it prefetches ahead.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Form {
    /// The vector width.
    pub width: Level,
    /// The store form (always `Cached` for read and for `Portable`).
    pub store: Store,
    /// The read loop also prefetches [`PREFETCH_AHEAD`] bytes ahead of its
    /// loads (read at a vector width only).
    pub prefetch: bool,
}

impl Form {
    /// `avx2 nt`, `avx512 cached`, `avx2 cached prefetch`, ...
    pub fn name(self) -> String {
        let ahead = if self.prefetch { " prefetch" } else { "" };
        format!("{} {}{ahead}", self.width.name(), self.store.name())
    }

    /// Every form of a pattern this CPU runs: each available width, with
    /// both store forms when the pattern stores and the width is a vector
    /// one, and with and without prefetch when it only reads.
    pub fn all(stores: bool) -> Vec<Form> {
        let mut v = Vec::new();
        for width in levels() {
            for store in Store::ALL {
                let real = store == Store::Cached || (stores && width != Level::Portable);
                if real {
                    v.push(Form {
                        width,
                        store,
                        prefetch: false,
                    });
                }
            }
            if !stores && width != Level::Portable {
                v.push(Form {
                    width,
                    store: Store::Cached,
                    prefetch: true,
                });
            }
        }
        v
    }
}

/// Every width this CPU runs, widest first (`Portable` only when neither
/// vector width is there).
pub fn levels() -> Vec<Level> {
    let mut v = Vec::new();
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            v.push(Level::Avx512);
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            v.push(Level::Avx2);
        }
    }
    if v.is_empty() {
        v.push(Level::Portable);
    }
    v
}

/// The widest level this CPU runs (runtime detection).
pub fn level() -> Level {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            return Level::Avx512;
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma")
        {
            return Level::Avx2;
        }
    }
    Level::Portable
}

/// Whether `width` runs here (a width this CPU lacks falls back to the
/// portable loops, never to an illegal instruction).
fn usable(width: Level) -> Level {
    if levels().contains(&width) {
        width
    } else {
        Level::Portable
    }
}

/// Sum of `a` (the read pattern) in `form` (its width and prefetch).
pub fn read(a: &[f64], form: Form) -> f64 {
    match (usable(form.width), form.prefetch) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: usable() saw avx512f on this CPU.
        (Level::Avx512, false) => unsafe { read_avx512::<false>(a) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        (Level::Avx512, true) => unsafe { read_avx512::<true>(a) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: usable() saw avx2 and fma on this CPU.
        (Level::Avx2, false) => unsafe { read_avx2::<false>(a) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: as above.
        (Level::Avx2, true) => unsafe { read_avx2::<true>(a) },
        _ => read_portable(a),
    }
}

/// `c[i] = a[i]` (the copy pattern) in `form`; `c` no shorter than `a`.
pub fn copy(a: &[f64], c: &mut [f64], form: Form) {
    let c = &mut c[..a.len()];
    let store = form.store;
    match usable(form.width) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: usable() saw avx512f on this CPU.
        Level::Avx512 => unsafe { copy_avx512(a, c, store) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: usable() saw avx2 and fma on this CPU.
        Level::Avx2 => unsafe { copy_avx2(a, c, store) },
        _ => copy_portable(a, c),
    }
}

/// `o[i] = b[i] + q * c[i]` (the triad pattern) in `form` over `o.len()`
/// elements; `b` and `c` no shorter than `o`.
pub fn triad(o: &mut [f64], b: &[f64], c: &[f64], q: f64, form: Form) {
    let (b, c) = (&b[..o.len()], &c[..o.len()]);
    let store = form.store;
    match usable(form.width) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: usable() saw avx512f on this CPU.
        Level::Avx512 => unsafe { triad_avx512(o, b, c, q, store) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: usable() saw avx2 and fma on this CPU.
        Level::Avx2 => unsafe { triad_avx2(o, b, c, q, store) },
        _ => triad_portable(o, b, c, q),
    }
}

/// `a[i] *= q` (the in-place scale pattern) in `form`.
pub fn scale_inplace(a: &mut [f64], q: f64, form: Form) {
    let store = form.store;
    match usable(form.width) {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: usable() saw avx512f on this CPU.
        Level::Avx512 => unsafe { scale_avx512(a, q, store) },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: usable() saw avx2 and fma on this CPU.
        Level::Avx2 => unsafe { scale_avx2(a, q, store) },
        _ => scale_portable(a, q),
    }
}

fn read_portable(a: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let chunks = a.chunks_exact(8);
    let rest = chunks.remainder();
    for c in chunks {
        for k in 0..8 {
            acc[k] += c[k];
        }
    }
    acc.iter().sum::<f64>() + rest.iter().sum::<f64>()
}

fn copy_portable(a: &[f64], c: &mut [f64]) {
    // `+ 0.0` keeps the compiler from turning the loop into `memcpy` (it is
    // not an identity for -0.0).
    for (c, a) in c.iter_mut().zip(a) {
        *c = *a + 0.0;
    }
}

fn triad_portable(o: &mut [f64], b: &[f64], c: &[f64], q: f64) {
    for ((o, b), c) in o.iter_mut().zip(b).zip(c) {
        *o = *b + q * *c;
    }
}

fn scale_portable(a: &mut [f64], q: f64) {
    for a in a.iter_mut() {
        *a *= q;
    }
}

/// Elements before `p` reaches a multiple of `bytes` (at most `n`).
fn head(p: *const f64, bytes: usize, n: usize) -> usize {
    let mis = (p as usize) % bytes;
    if mis == 0 {
        0
    } else {
        ((bytes - mis) / 8).min(n)
    }
}

/// The vector part of a store pattern: from element `$h` while four
/// vectors fit below `$n`, `$v` (an expression of the element index `$j`)
/// is written to `$out + $j`, with streaming stores when `$nt`. Evaluates
/// to where it stopped. The caller guarantees that every slice of the pass
/// holds `$n` elements and, with `$nt`, that `$out + $h` is vector-aligned.
macro_rules! store_pass {
    ($lanes:literal, $store:ident, $stream:ident, $out:expr, $h:expr, $n:expr, $nt:expr, |$j:ident| $v:expr) => {{
        let mut i = $h;
        while i + 4 * $lanes <= $n {
            for k in 0..4 {
                let $j = i + $lanes * k;
                // SAFETY: j + lanes <= n for every slice of the pass (all
                // hold n elements); with streaming stores, out + j is
                // vector-aligned (h aligned it, steps are whole vectors).
                unsafe {
                    let v = $v;
                    if $nt {
                        $stream($out.add($j), v)
                    } else {
                        $store($out.add($j), v)
                    }
                }
            }
            i += 4 * $lanes;
        }
        i
    }};
}

/// Writes the four vector loops of one width once: `$lanes` doubles per
/// vector, 4 vectors per step (2 per half in `read`), through the given
/// intrinsics. Instantiated below for AVX-512 and AVX2.
macro_rules! stream_loops {
    (
        $features:literal, $lanes:literal, $bytes:literal,
        read = $read:ident, copy = $copy:ident, triad = $triad:ident, scale = $scale:ident,
        zero = $zero:ident, splat = $splat:ident, load = $load:ident, store = $store:ident,
        stream = $stream:ident, add = $add:ident, mul = $mul:ident, fma = $fma:ident
    ) => {
        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $read<const AHEAD: bool>(a: &[f64]) -> f64 {
            // The two halves at once, four accumulators each. (One stream
            // with eight accumulators and the same prefetch measured slower:
            // 34 against 41 GB/s on one thread, 44 against 48 on two.)
            let (lo, hi) = a.split_at(a.len() / 2);
            let (p, q, h) = (lo.as_ptr(), hi.as_ptr(), lo.len());
            let mut acc = [$zero(); 8];
            let mut i = 0;
            while i + 4 * $lanes <= h {
                if AHEAD {
                    // One prefetch per line of this step, PREFETCH_AHEAD
                    // bytes on, in each half (a hint: it never faults, and
                    // wrapping_add keeps the address arithmetic defined).
                    for line in (0..4 * $bytes).step_by(64) {
                        let ahead = 8 * i + PREFETCH_AHEAD + line;
                        _mm_prefetch::<_MM_HINT_T0>(p.cast::<i8>().wrapping_add(ahead));
                        _mm_prefetch::<_MM_HINT_T0>(q.cast::<i8>().wrapping_add(ahead));
                    }
                }
                for k in 0..4 {
                    // SAFETY: i + (k + 1) * lanes <= i + 4 * lanes <= h, the
                    // length of both halves.
                    let (x, y) =
                        unsafe { ($load(p.add(i + $lanes * k)), $load(q.add(i + $lanes * k))) };
                    acc[k] = $add(acc[k], x);
                    acc[4 + k] = $add(acc[4 + k], y);
                }
                i += 4 * $lanes;
            }
            let mut s = acc[0];
            for v in &acc[1..] {
                s = $add(s, *v);
            }
            let mut lanes = [0.0f64; $lanes];
            // SAFETY: `lanes` holds one vector of doubles.
            unsafe { $store(lanes.as_mut_ptr(), s) };
            lanes.iter().sum::<f64>() + lo[i..].iter().sum::<f64>() + hi[i..].iter().sum::<f64>()
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $copy(a: &[f64], c: &mut [f64], store: Store) {
            let n = a.len();
            let (pa, pc) = (a.as_ptr(), c.as_mut_ptr());
            let nt = store == Store::NonTemporal;
            let h = if nt { head(pc, $bytes, n) } else { 0 };
            c[..h].copy_from_slice(&a[..h]);
            let zero = $zero();
            // `+ 0.0` keeps this a vector loop, not a memcpy.
            let i = store_pass!($lanes, $store, $stream, pc, h, n, nt, |j| $add(
                $load(pa.add(j)),
                zero
            ));
            c[i..].copy_from_slice(&a[i..]);
            if nt {
                _mm_sfence();
            }
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $triad(o: &mut [f64], b: &[f64], c: &[f64], q: f64, store: Store) {
            let n = o.len();
            let (po, pb, pc) = (o.as_mut_ptr(), b.as_ptr(), c.as_ptr());
            let nt = store == Store::NonTemporal;
            let h = if nt { head(po, $bytes, n) } else { 0 };
            triad_portable(&mut o[..h], &b[..h], &c[..h], q);
            let qv = $splat(q);
            let i = store_pass!($lanes, $store, $stream, po, h, n, nt, |j| $fma(
                qv,
                $load(pc.add(j)),
                $load(pb.add(j))
            ));
            triad_portable(&mut o[i..], &b[i..], &c[i..], q);
            if nt {
                _mm_sfence();
            }
        }

        #[cfg(target_arch = "x86_64")]
        #[target_feature(enable = $features)]
        fn $scale(a: &mut [f64], q: f64, store: Store) {
            let n = a.len();
            let p = a.as_mut_ptr();
            let nt = store == Store::NonTemporal;
            let h = if nt { head(p, $bytes, n) } else { 0 };
            scale_portable(&mut a[..h], q);
            let qv = $splat(q);
            let i = store_pass!($lanes, $store, $stream, p, h, n, nt, |j| $mul(
                $load(p.add(j)),
                qv
            ));
            scale_portable(&mut a[i..], q);
            if nt {
                _mm_sfence();
            }
        }
    };
}

// AVX-512: 8 x 8 doubles (8 cache lines) per read step, 4 vectors per store step.
stream_loops!(
    "avx512f",
    8,
    64,
    read = read_avx512,
    copy = copy_avx512,
    triad = triad_avx512,
    scale = scale_avx512,
    zero = _mm512_setzero_pd,
    splat = _mm512_set1_pd,
    load = _mm512_loadu_pd,
    store = _mm512_storeu_pd,
    stream = _mm512_stream_pd,
    add = _mm512_add_pd,
    mul = _mm512_mul_pd,
    fma = _mm512_fmadd_pd
);

// AVX2: 8 x 4 doubles (4 cache lines) per read step, 4 vectors per store step.
stream_loops!(
    "avx2,fma",
    4,
    32,
    read = read_avx2,
    copy = copy_avx2,
    triad = triad_avx2,
    scale = scale_avx2,
    zero = _mm256_setzero_pd,
    splat = _mm256_set1_pd,
    load = _mm256_loadu_pd,
    store = _mm256_storeu_pd,
    stream = _mm256_stream_pd,
    add = _mm256_add_pd,
    mul = _mm256_mul_pd,
    fma = _mm256_fmadd_pd
);

#[cfg(test)]
mod tests {
    use super::*;

    /// Every length around the vector and unroll steps, at every start
    /// offset within a line, every form this CPU runs (and a width it may
    /// lack, which must fall back), against plain loops.
    #[test]
    fn loops_match_plain_arithmetic() {
        let src: Vec<f64> = (0..300).map(|i| (i as f64) * 0.5 - 7.0).collect();
        let mut forms = Form::all(true);
        forms.push(Form {
            width: Level::Avx512,
            store: Store::NonTemporal,
            prefetch: false,
        });
        assert!(Form::all(false).iter().all(|f| f.store == Store::Cached));
        assert!(Form::all(true).iter().all(|f| !f.prefetch));
        assert_eq!(
            Form::all(false).iter().filter(|f| f.prefetch).count(),
            levels().iter().filter(|w| **w != Level::Portable).count(),
            "read runs every vector width with and without prefetch"
        );
        for off in 0..8 {
            for n in [0, 1, 3, 7, 8, 15, 16, 31, 33, 63, 64, 65, 127, 129, 200] {
                let a = &src[off..off + n];
                let want: f64 = a.iter().sum();
                for width in [Level::Avx512, Level::Avx2, Level::Portable] {
                    for prefetch in [false, true] {
                        let form = Form {
                            width,
                            store: Store::Cached,
                            prefetch,
                        };
                        assert_eq!(read(a, form), want, "read {form:?} n={n} off={off}");
                    }
                }
                for store in forms.iter().copied() {
                    let mut buf = vec![9.0; 300];
                    copy(a, &mut buf[off..off + n], store);
                    assert_eq!(&buf[off..off + n], a, "copy {store:?} n={n} off={off}");
                    let mut o = vec![0.0; 300];
                    triad(&mut o[off..off + n], a, &src[..n], 0.5, store);
                    for i in 0..n {
                        assert_eq!(o[off + i], a[i] + 0.5 * src[i], "triad {store:?} n={n}");
                    }
                    let mut s = src.clone();
                    scale_inplace(&mut s[off..off + n], -2.0, store);
                    for i in 0..n {
                        assert_eq!(s[off + i], -2.0 * src[off + i], "scale {store:?} n={n}");
                    }
                    assert_eq!(s[..off], src[..off], "scale wrote before its slice");
                    assert_eq!(s[off + n..], src[off + n..], "scale wrote past its slice");
                }
            }
        }
    }
}
