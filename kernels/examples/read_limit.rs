//! How close one thread of `sum` / `row_sums` reads to the machine's read
//! limit, and which loop gets there: every candidate below computes the
//! fixed summation order of `simdpar_kernels::reduce` (checked bit for bit
//! against the library before timing) and is timed by the one engine
//! (`simdpar_kernels::timing`: interleaved shuffled rounds, medians, paired
//! ratios) next to a plain read of the same bytes in the same rounds.
//!
//! ```text
//! cargo run --release -p simdpar-kernels --example read_limit -- [dram|cache] [rounds] [filter]
//! ```
//!
//! Candidates (per kernel x dtype x ISA):
//! * `read`: the yardstick, 8 independent 256-bit accumulators over the
//!   same bytes, one stream, no prefetch; `read x2` / `read x4` the same
//!   loop over 2 / 4 equal parts side by side (streams); `read512` one
//!   stream of 512-bit loads;
//! * `lib`, `lib+pf`: the library's ISA entry point with `Fetch::OnDemand` /
//!   `Fetch::Ahead` (whatever the library's loop is in this build, with
//!   the ISA's built-in stream count); `lib sN` (sum only): the library's
//!   loop reading its subtrees of at least 8 MiB as `N` streams
//!   (`sum_*_streams`, `ReadStreams`), the counts `simdpar tune` races;
//! * `sN pfD`: this example's loop summing `N` blocks (sum: the `N` equal
//!   power-of-two subtrees of the block tree; row_sums: rows `i`, `i + h`,
//!   ... with `h = rows / N`) interleaved in one loop, prefetching `D` bytes
//!   ahead of every stream (`pf0`: none). `s1 pf0` is the library's loop
//!   before the read-limit work (`docs/measurements.md`, one thread at the
//!   read limit) and `s1 pf2048` its `Fetch::Ahead`; `old` (sum only) is
//!   that loop exactly as the library had it (one stream, one stack), to
//!   time the library's current `sum` against it.
//!
//! `dram` runs `sum` 64 Mi f32 / 32 Mi f64 and `row_sums` 100K x 1000 /
//! 1M x 128 f32 (f64: 50K x 1000 / 500K x 128, the same bytes); `cache`
//! runs in-cache sizes (`sum` 4 Ki, 1 Mi, 4 Mi (LLC) elements; `row_sums`
//! 64 x 64, 4096 x 128, 2048 x 1000 (L2-sized) and 16K x 1000 (LLC-sized)).
//! `filter` keeps the groups whose title contains it. Every group prints
//! the load average (`/proc/loadavg`) it ran under; quote it with the
//! figures.

// Indexing `acc[r][k]` by block and lane group reads closest to the
// documented order, as in `reduce/generic.rs`.
#![allow(clippy::needless_range_loop)]

#[cfg(target_arch = "x86_64")]
mod x86 {
    use simdpar_kernels::dispatch::{Avx2, Avx512};
    use simdpar_kernels::reduce::{Fetch, ReadStreams, avx2 as lib2, avx512 as lib512};
    use simdpar_kernels::timing::{self, Candidate, Stats, TimingConfig};
    use simdpar_kernels::{AlignedVec, Element};
    use std::arch::x86_64::*;
    use std::hint::black_box;
    use std::time::Duration;

    /// One register of lanes, as much of `SimdVec` as the loops need.
    trait Vx: Copy {
        type E: Element + std::ops::Add<Output = Self::E>;
        const LANES: usize;
        unsafe fn splat(x: Self::E) -> Self;
        unsafe fn load(p: *const Self::E) -> Self;
        unsafe fn load_partial(p: *const Self::E, count: usize, fill: Self::E) -> Self;
        unsafe fn add(self, o: Self) -> Self;
        /// The documented lane halving tree of one register.
        unsafe fn reduce_halving(self) -> Self::E;
    }

    #[derive(Clone, Copy)]
    struct F32x8(__m256);
    #[derive(Clone, Copy)]
    struct F64x4(__m256d);
    #[derive(Clone, Copy)]
    struct F32x16(__m512);
    #[derive(Clone, Copy)]
    struct F64x8(__m512d);

    /// `count` elements through a buffer filled with `fill` (the library's
    /// default for AVX2).
    #[inline(always)]
    unsafe fn buffered<E: Element, V>(
        p: *const E,
        count: usize,
        fill: E,
        load: impl Fn(*const E) -> V,
    ) -> V {
        let mut buf = [fill; 16];
        // SAFETY: the caller guarantees `count < 16` readable elements.
        unsafe { std::ptr::copy_nonoverlapping(p, buf.as_mut_ptr(), count) };
        load(buf.as_ptr())
    }

    impl Vx for F32x8 {
        type E = f32;
        const LANES: usize = 8;
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn splat(x: f32) -> Self {
            F32x8(_mm256_set1_ps(x))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 8 readable f32.
            F32x8(unsafe { _mm256_loadu_ps(p) })
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn load_partial(p: *const f32, count: usize, fill: f32) -> Self {
            // SAFETY: the caller guarantees `count` readable f32.
            unsafe { buffered(p, count, fill, |q| F32x8(_mm256_loadu_ps(q))) }
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn add(self, o: Self) -> Self {
            F32x8(_mm256_add_ps(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn reduce_halving(self) -> f32 {
            let v = _mm_add_ps(
                _mm256_castps256_ps128(self.0),
                _mm256_extractf128_ps::<1>(self.0),
            );
            let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
            let v = _mm_add_ss(v, _mm_shuffle_ps::<0b01>(v, v));
            _mm_cvtss_f32(v)
        }
    }

    impl Vx for F64x4 {
        type E = f64;
        const LANES: usize = 4;
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn splat(x: f64) -> Self {
            F64x4(_mm256_set1_pd(x))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn load(p: *const f64) -> Self {
            // SAFETY: the caller guarantees 4 readable f64.
            F64x4(unsafe { _mm256_loadu_pd(p) })
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn load_partial(p: *const f64, count: usize, fill: f64) -> Self {
            // SAFETY: the caller guarantees `count` readable f64.
            unsafe { buffered(p, count, fill, |q| F64x4(_mm256_loadu_pd(q))) }
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn add(self, o: Self) -> Self {
            F64x4(_mm256_add_pd(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx2,fma")]
        unsafe fn reduce_halving(self) -> f64 {
            let v = _mm_add_pd(
                _mm256_castpd256_pd128(self.0),
                _mm256_extractf128_pd::<1>(self.0),
            );
            let v = _mm_add_sd(v, _mm_unpackhi_pd(v, v));
            _mm_cvtsd_f64(v)
        }
    }

    impl Vx for F32x16 {
        type E = f32;
        const LANES: usize = 16;
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn splat(x: f32) -> Self {
            F32x16(_mm512_set1_ps(x))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn load(p: *const f32) -> Self {
            // SAFETY: the caller guarantees 16 readable f32.
            F32x16(unsafe { _mm512_loadu_ps(p) })
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn load_partial(p: *const f32, count: usize, fill: f32) -> Self {
            // SAFETY: masked-off lanes are not read (fault suppression).
            F32x16(unsafe {
                _mm512_mask_loadu_ps(_mm512_set1_ps(fill), ((1u32 << count) - 1) as u16, p)
            })
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn add(self, o: Self) -> Self {
            F32x16(_mm512_add_ps(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn reduce_halving(self) -> f32 {
            let lo = _mm512_castps512_ps256(self.0);
            let hi = _mm256_castpd_ps(_mm512_extractf64x4_pd::<1>(_mm512_castps_pd(self.0)));
            let v = _mm256_add_ps(lo, hi);
            let v = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps::<1>(v));
            let v = _mm_add_ps(v, _mm_movehl_ps(v, v));
            let v = _mm_add_ss(v, _mm_shuffle_ps::<0b01>(v, v));
            _mm_cvtss_f32(v)
        }
    }

    impl Vx for F64x8 {
        type E = f64;
        const LANES: usize = 8;
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn splat(x: f64) -> Self {
            F64x8(_mm512_set1_pd(x))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn load(p: *const f64) -> Self {
            // SAFETY: the caller guarantees 8 readable f64.
            F64x8(unsafe { _mm512_loadu_pd(p) })
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn load_partial(p: *const f64, count: usize, fill: f64) -> Self {
            // SAFETY: masked-off lanes are not read (fault suppression).
            F64x8(unsafe {
                _mm512_mask_loadu_pd(_mm512_set1_pd(fill), ((1u32 << count) - 1) as u8, p)
            })
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn add(self, o: Self) -> Self {
            F64x8(_mm512_add_pd(self.0, o.0))
        }
        #[inline]
        #[target_feature(enable = "avx512f")]
        unsafe fn reduce_halving(self) -> f64 {
            let v = _mm256_add_pd(
                _mm512_castpd512_pd256(self.0),
                _mm512_extractf64x4_pd::<1>(self.0),
            );
            let v = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd::<1>(v));
            let v = _mm_add_sd(v, _mm_unpackhi_pd(v, v));
            _mm_cvtsd_f64(v)
        }
    }

    /// Block sums of `R` blocks of `len <= SUM_BLOCK` elements at `ps`,
    /// interleaved, prefetching `PF` bytes ahead of each (0: no prefetch).
    #[inline(always)]
    unsafe fn block_sums<V: Vx, const R: usize, const PF: usize>(
        ps: [*const V::E; R],
        len: usize,
    ) -> [V::E; R] {
        let lanes = V::E::SUM_LANES;
        let accs = lanes / V::LANES;
        // SAFETY (all blocks below): every load stays inside the `len`
        // elements at `ps[r]` that the caller guarantees; prefetches are hints.
        let mut acc = [[unsafe { V::splat(V::E::NEG_ZERO) }; 8]; R];
        let full = len / lanes;
        for c in 0..full {
            if PF > 0 {
                for p in ps {
                    let b = p.wrapping_add(c * lanes).cast::<i8>().wrapping_add(PF);
                    let mut off = 0;
                    while off < lanes * size_of::<V::E>() {
                        unsafe { _mm_prefetch::<_MM_HINT_T0>(b.wrapping_add(off)) };
                        off += 64;
                    }
                }
            }
            for k in 0..accs {
                for r in 0..R {
                    acc[r][k] =
                        unsafe { acc[r][k].add(V::load(ps[r].add(c * lanes + k * V::LANES))) };
                }
            }
        }
        let rest = len - full * lanes;
        if rest > 0 {
            for k in 0..accs {
                let lo = k * V::LANES;
                for r in 0..R {
                    let tail = unsafe { ps[r].add(full * lanes) };
                    if rest >= lo + V::LANES {
                        acc[r][k] = unsafe { acc[r][k].add(V::load(tail.add(lo))) };
                    } else if rest > lo {
                        let v = unsafe { V::load_partial(tail.add(lo), rest - lo, V::E::NEG_ZERO) };
                        acc[r][k] = unsafe { acc[r][k].add(v) };
                    }
                }
            }
        }
        let mut out = [V::E::ZERO; R];
        for r in 0..R {
            let mut w = accs;
            while w > 1 {
                w /= 2;
                for k in 0..w {
                    acc[r][k] = unsafe { acc[r][k].add(acc[r][k + w]) };
                }
            }
            out[r] = unsafe { acc[r][0].reduce_halving() };
        }
        out
    }

    /// The block tree as a binary counter (as `reduce/generic.rs`).
    #[derive(Clone, Copy)]
    struct Tree<E, const D: usize> {
        sums: [E; D],
        sizes: [usize; D],
        depth: usize,
    }

    impl<E: Element + std::ops::Add<Output = E>, const D: usize> Tree<E, D> {
        #[inline(always)]
        fn new() -> Self {
            Tree {
                sums: [E::ZERO; D],
                sizes: [0; D],
                depth: 0,
            }
        }
        #[inline(always)]
        fn push(&mut self, mut s: E) {
            let mut size = 1;
            while self.depth > 0 && self.sizes[self.depth - 1] == size {
                self.depth -= 1;
                s = self.sums[self.depth] + s;
                size *= 2;
            }
            self.sums[self.depth] = s;
            self.sizes[self.depth] = size;
            self.depth += 1;
        }
        #[inline(always)]
        fn finish(&self) -> E {
            let mut t = self.sums[self.depth - 1];
            for d in (0..self.depth - 1).rev() {
                t = self.sums[d] + t;
            }
            t
        }
    }

    /// The sum of blocks `first .. first + count` of `x` (`count` a power of
    /// two: one complete subtree), its `R` equal subtrees interleaved.
    #[inline(always)]
    unsafe fn subtree<V: Vx, const R: usize, const PF: usize>(
        x: &[V::E],
        first: usize,
        count: usize,
    ) -> V::E {
        let b = V::E::SUM_BLOCK;
        let streams = if count >= R { R } else { 1 };
        let q = count / streams;
        let mut trees = [Tree::<V::E, 64>::new(); R];
        for j in 0..q {
            let starts: [usize; R] =
                std::array::from_fn(|r| (first + r.min(streams - 1) * q + j) * b);
            let all_full = starts.iter().all(|&s| s + b <= x.len());
            if streams == R && all_full {
                // SAFETY: every block is whole inside x.
                let s = unsafe { block_sums::<V, R, PF>(starts.map(|s| x.as_ptr().add(s)), b) };
                for r in 0..R {
                    trees[r].push(s[r]);
                }
            } else {
                for r in 0..streams {
                    let s0 = (first + r * q + j) * b;
                    let len = (x.len() - s0).min(b);
                    // SAFETY: the block's `len` elements are inside x.
                    let [s] = unsafe { block_sums::<V, 1, PF>([x.as_ptr().add(s0)], len) };
                    trees[r].push(s);
                }
            }
        }
        let mut t: Vec<V::E> = (0..streams).map(|r| trees[r].finish()).collect();
        while t.len() > 1 {
            t = t.chunks(2).map(|p| p[0] + p[1]).collect();
        }
        t[0]
    }

    /// The fixed-order sum, the complete subtrees of the block tree each
    /// summed as `R` interleaved streams.
    #[inline(always)]
    unsafe fn sum_streams<V: Vx, const R: usize, const PF: usize>(x: &[V::E]) -> V::E {
        if x.is_empty() {
            return V::E::ZERO;
        }
        let mut rem = x.len().div_ceil(V::E::SUM_BLOCK);
        let mut first = 0;
        let mut spine = [V::E::ZERO; 64];
        let mut d = 0;
        while rem > 0 {
            let count = 1usize << (usize::BITS - 1 - rem.leading_zeros());
            // SAFETY: blocks first..first+count are inside x.
            spine[d] = unsafe { subtree::<V, R, PF>(x, first, count) };
            d += 1;
            first += count;
            rem -= count;
        }
        let mut t = spine[d - 1];
        for i in (0..d - 1).rev() {
            t = spine[i] + t;
        }
        t.canonical_nan()
    }

    /// Row sums, rows `i, i + h, ...` (`h = rows / R`) interleaved.
    #[inline(always)]
    unsafe fn row_sums_streams<V: Vx, const R: usize, const PF: usize>(
        m: &[V::E],
        cols: usize,
        out: &mut [V::E],
    ) {
        let b = V::E::SUM_BLOCK;
        let rows = out.len();
        let h = rows / R;
        let nb = cols.div_ceil(b);
        assert!(nb < 256, "rows of at most 255 blocks (an 8-deep tree)");
        for i in 0..h {
            if nb == 1 {
                // SAFETY: rows i + r*h < rows.
                let ps = std::array::from_fn(|r| unsafe { m.as_ptr().add((i + r * h) * cols) });
                let s = unsafe { block_sums::<V, R, PF>(ps, cols) };
                for r in 0..R {
                    out[i + r * h] = s[r].canonical_nan();
                }
                continue;
            }
            let mut trees = [Tree::<V::E, 8>::new(); R];
            for k in 0..nb {
                let len = (cols - k * b).min(b);
                // SAFETY: row i + r*h < rows, block k inside it.
                let ps =
                    std::array::from_fn(|r| unsafe { m.as_ptr().add((i + r * h) * cols + k * b) });
                let s = unsafe { block_sums::<V, R, PF>(ps, len) };
                for r in 0..R {
                    trees[r].push(s[r]);
                }
            }
            for r in 0..R {
                out[i + r * h] = trees[r].finish().canonical_nan();
            }
        }
        for i in R * h..rows {
            let mut t = Tree::<V::E, 8>::new();
            for k in 0..nb {
                let len = (cols - k * b).min(b);
                // SAFETY: row i < rows, block k inside it.
                let [s] =
                    unsafe { block_sums::<V, 1, PF>([m.as_ptr().add(i * cols + k * b)], len) };
                t.push(s);
            }
            out[i] = t.finish().canonical_nan();
        }
    }

    /// The library's `sum` loop before the read-limit work (one stream,
    /// block by block onto one stack), kept here to time new against old.
    #[inline(always)]
    unsafe fn sum_old<V: Vx>(x: &[V::E]) -> V::E {
        if x.is_empty() {
            return V::E::ZERO;
        }
        let mut t = Tree::<V::E, 64>::new();
        for block in x.chunks(V::E::SUM_BLOCK) {
            // SAFETY: the block's elements are inside x.
            let [s] = unsafe { block_sums::<V, 1, 0>([block.as_ptr()], block.len()) };
            t.push(s);
        }
        t.finish().canonical_nan()
    }

    macro_rules! entries {
        ($feat:literal, $sum:ident, $rows:ident, $old:ident) => {
            #[target_feature(enable = $feat)]
            unsafe fn $old<V: Vx>(x: &[V::E]) -> V::E {
                // SAFETY: the caller checked the ISA.
                unsafe { sum_old::<V>(x) }
            }
            #[target_feature(enable = $feat)]
            unsafe fn $sum<V: Vx, const R: usize, const PF: usize>(x: &[V::E]) -> V::E {
                // SAFETY: the caller checked the ISA.
                unsafe { sum_streams::<V, R, PF>(x) }
            }
            #[target_feature(enable = $feat)]
            unsafe fn $rows<V: Vx, const R: usize, const PF: usize>(
                m: &[V::E],
                cols: usize,
                out: &mut [V::E],
            ) {
                // SAFETY: the caller checked the ISA.
                unsafe { row_sums_streams::<V, R, PF>(m, cols, out) }
            }
        };
    }
    entries!("avx2,fma", sum_avx2, rows_avx2, old_avx2);
    entries!("avx512f", sum_avx512, rows_avx512, old_avx512);

    /// The yardstick: 8 independent 256-bit accumulators over `x`, read as
    /// `R` equal streams (its `R` parts side by side), no prefetch.
    #[target_feature(enable = "avx2,fma")]
    unsafe fn read256<const R: usize>(x: &[f32]) -> f32 {
        let mut a = [_mm256_setzero_ps(); 8];
        let per = 64 / R;
        let part = x.len() / R / per * per;
        for c in 0..part / per {
            for r in 0..R {
                for k in 0..8 / R {
                    // SAFETY: r*part + c*per + k*8 + 8 <= R*part <= x.len().
                    let v = unsafe { _mm256_loadu_ps(x.as_ptr().add(r * part + c * per + k * 8)) };
                    a[r * (8 / R) + k] = _mm256_add_ps(a[r * (8 / R) + k], v);
                }
            }
        }
        let mut s = _mm256_setzero_ps();
        for acc in a {
            s = _mm256_add_ps(s, acc);
        }
        let mut o = [0f32; 8];
        // SAFETY: o holds 8 f32.
        unsafe { _mm256_storeu_ps(o.as_mut_ptr(), s) };
        o.iter().sum()
    }

    /// The yardstick with 512-bit loads.
    #[target_feature(enable = "avx512f")]
    unsafe fn read512(x: &[f32]) -> f32 {
        let mut a = [_mm512_setzero_ps(); 8];
        let n = x.len() / 128;
        for c in 0..n {
            for (k, acc) in a.iter_mut().enumerate() {
                // SAFETY: c*128 + k*16 + 16 <= x.len().
                *acc = _mm512_add_ps(*acc, unsafe {
                    _mm512_loadu_ps(x.as_ptr().add(c * 128 + k * 16))
                });
            }
        }
        let mut s = _mm512_setzero_ps();
        for acc in a {
            s = _mm512_add_ps(s, acc);
        }
        _mm512_reduce_add_ps(s)
    }

    fn loadavg() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    }

    /// One kernel call of a group.
    enum Call<E> {
        Sum(unsafe fn(&[E]) -> E),
        Rows(unsafe fn(&[E], usize, &mut [E])),
    }

    /// A dtype's candidates for one ISA: (label, call).
    type Cands<E> = Vec<(String, Call<E>)>;

    macro_rules! grid {
        ($v:ty, $sum:ident, $rows:ident, $old:ident, $kind:expr) => {{
            let mut c: Cands<<$v as Vx>::E> = Vec::new();
            if $kind {
                c.push(("old".to_string(), Call::Sum($old::<$v>)));
            }
            macro_rules! one {
                ($r:literal, $pf:literal) => {
                    c.push((
                        format!("s{} pf{}", $r, $pf),
                        if $kind {
                            Call::Sum($sum::<$v, $r, $pf>)
                        } else {
                            Call::Rows($rows::<$v, $r, $pf>)
                        },
                    ));
                };
            }
            one!(1, 0);
            one!(1, 1024);
            one!(1, 2048);
            one!(1, 4096);
            one!(2, 0);
            one!(2, 1024);
            one!(2, 2048);
            one!(4, 0);
            one!(4, 1024);
            one!(4, 2048);
            c
        }};
    }

    /// The library's entry points of one ISA for `E`.
    trait Lib: Element + std::ops::Add<Output = Self> {
        fn lib_sum(isa512: bool, x: &[Self], f: Fetch) -> Self;
        fn lib_sum_streams(isa512: bool, x: &[Self], f: Fetch, s: ReadStreams) -> Self;
        fn lib_rows(isa512: bool, m: &[Self], cols: usize, out: &mut [Self], f: Fetch);
        fn grid(isa512: bool, sum: bool) -> Cands<Self>;
    }

    macro_rules! lib_impl {
        ($t:ty, $s:ident, $ss:ident, $r:ident, $v2:ty, $v5:ty) => {
            impl Lib for $t {
                fn lib_sum(isa512: bool, x: &[$t], f: Fetch) -> $t {
                    if isa512 {
                        lib512::$s(Avx512::new().expect("avx512"), x, f)
                    } else {
                        lib2::$s(Avx2::new().expect("avx2"), x, f)
                    }
                }
                fn lib_sum_streams(isa512: bool, x: &[$t], f: Fetch, s: ReadStreams) -> $t {
                    if isa512 {
                        lib512::$ss(Avx512::new().expect("avx512"), x, f, s)
                    } else {
                        lib2::$ss(Avx2::new().expect("avx2"), x, f, s)
                    }
                }
                fn lib_rows(isa512: bool, m: &[$t], cols: usize, out: &mut [$t], f: Fetch) {
                    if isa512 {
                        lib512::$r(Avx512::new().expect("avx512"), m, cols, out, f)
                    } else {
                        lib2::$r(Avx2::new().expect("avx2"), m, cols, out, f)
                    }
                }
                fn grid(isa512: bool, sum: bool) -> Cands<$t> {
                    if isa512 {
                        grid!($v5, sum_avx512, rows_avx512, old_avx512, sum)
                    } else {
                        grid!($v2, sum_avx2, rows_avx2, old_avx2, sum)
                    }
                }
            }
        };
    }
    lib_impl!(f32, sum_f32, sum_f32_streams, row_sums_f32, F32x8, F32x16);
    lib_impl!(f64, sum_f64, sum_f64_streams, row_sums_f64, F64x4, F64x8);

    /// Times one group: `x` summed whole (`cols == 0`) or as rows of `cols`.
    fn group<E: Lib>(title: &str, x: &[E], cols: usize, isa512: bool, rounds: usize) {
        let bytes = std::mem::size_of_val(x);
        // SAFETY: E is f32 or f64; any bit pattern is an f32.
        let as_f32 = unsafe { std::slice::from_raw_parts(x.as_ptr().cast::<f32>(), bytes / 4) };
        let rows = x.len().checked_div(cols).unwrap_or(0);
        let mut lib_out = vec![E::ZERO; rows];
        let mut out = vec![E::ZERO; rows];
        let grid = E::grid(isa512, cols == 0);
        // Bits first: every candidate against the library.
        let want = if cols == 0 {
            vec![E::lib_sum(isa512, x, Fetch::OnDemand)]
        } else {
            E::lib_rows(isa512, x, cols, &mut lib_out, Fetch::OnDemand);
            lib_out.clone()
        };
        for (name, call) in &grid {
            let got = match call {
                // SAFETY: the ISA was detected by the caller.
                Call::Sum(f) => vec![unsafe { f(x) }],
                Call::Rows(f) => {
                    // SAFETY: as above; the shape is rows x cols.
                    unsafe { f(x, cols, &mut out) };
                    out.clone()
                }
            };
            assert!(got == want, "{title} {name}: not the library's bits");
        }
        if cols == 0 {
            for s in ReadStreams::ALL {
                let got = E::lib_sum_streams(isa512, x, Fetch::OnDemand, s);
                assert!(got == want[0], "{title} lib s{s}: not the library's bits");
            }
        }
        let load_before = loadavg();
        let sink = std::cell::Cell::new(0f64);
        let lib_rows_cell = std::cell::RefCell::new(vec![E::ZERO; rows]);
        let outs: Vec<std::cell::RefCell<Vec<E>>> = grid
            .iter()
            .map(|_| std::cell::RefCell::new(vec![E::ZERO; rows]))
            .collect();
        let mut cands: Vec<Candidate<'_>> = Vec::new();
        cands.push(Candidate::new("read", |n| {
            for _ in 0..n {
                // SAFETY: avx2 detected by the caller.
                sink.set(sink.get() + f64::from(unsafe { read256::<1>(black_box(as_f32)) }));
            }
        }));
        cands.push(Candidate::new("read x2", |n| {
            for _ in 0..n {
                // SAFETY: avx2 detected by the caller.
                sink.set(sink.get() + f64::from(unsafe { read256::<2>(black_box(as_f32)) }));
            }
        }));
        cands.push(Candidate::new("read x4", |n| {
            for _ in 0..n {
                // SAFETY: avx2 detected by the caller.
                sink.set(sink.get() + f64::from(unsafe { read256::<4>(black_box(as_f32)) }));
            }
        }));
        cands.push(Candidate::new("read512", |n| {
            for _ in 0..n {
                // SAFETY: avx512 detected by the caller.
                sink.set(sink.get() + f64::from(unsafe { read512(black_box(as_f32)) }));
            }
        }));
        for (name, f) in [("lib", Fetch::OnDemand), ("lib+pf", Fetch::Ahead)] {
            let lr = &lib_rows_cell;
            let s = &sink;
            cands.push(Candidate::new(name, move |n| {
                for _ in 0..n {
                    if cols == 0 {
                        black_box(E::lib_sum(isa512, black_box(x), f));
                    } else {
                        E::lib_rows(isa512, black_box(x), cols, &mut lr.borrow_mut(), f);
                    }
                }
                s.set(s.get() + 1.0);
            }));
        }
        if cols == 0 {
            for s in ReadStreams::ALL {
                cands.push(Candidate::new(format!("lib s{s}"), move |n| {
                    for _ in 0..n {
                        black_box(E::lib_sum_streams(isa512, black_box(x), Fetch::OnDemand, s));
                    }
                }));
            }
        }
        for ((name, call), o) in grid.iter().zip(&outs) {
            cands.push(Candidate::new(name.clone(), move |n| {
                for _ in 0..n {
                    match call {
                        // SAFETY: the ISA was detected by the caller.
                        Call::Sum(f) => {
                            black_box(unsafe { f(black_box(x)) });
                        }
                        // SAFETY: as above; the shape is rows x cols.
                        Call::Rows(f) => unsafe { f(black_box(x), cols, &mut o.borrow_mut()) },
                    }
                }
            }));
        }
        let cfg = TimingConfig {
            reps: rounds,
            min_sample: Duration::from_millis(20),
        };
        let stats: Vec<Stats> = timing::interleaved(&mut cands, &cfg);
        black_box(sink.get());
        let read = &stats[0];
        println!(
            "\n## {title} ({:.1} MiB, {rounds} rounds, load {load_before} -> {})",
            bytes as f64 / (1u64 << 20) as f64,
            loadavg()
        );
        println!("| candidate | median | GB/s | x read (paired) | x lib (paired) |");
        println!("|---|---|---|---|---|");
        let lib = &stats[4];
        for s in &stats {
            println!(
                "| {} | {:.3} ms | {:.1} | {:.3} | {:.3} |",
                s.name,
                s.median * 1e3,
                bytes as f64 / s.median / 1e9,
                timing::paired_ratio(read, s),
                timing::paired_ratio(lib, s),
            );
        }
    }

    fn fill<E: Element>(x: &mut [E], from: impl Fn(f64) -> E) {
        for (i, v) in x.iter_mut().enumerate() {
            *v = from(((i * 7919) % 1021) as f64 * 0.03125 - 16.0);
        }
    }

    /// Runs the groups of `mode` whose title contains `filter`.
    pub fn main(mode: &str, rounds: usize, filter: &str) {
        if Avx2::new().is_none() || Avx512::new().is_none() {
            println!("SKIPPED: read_limit (needs AVX2 and AVX-512)");
            return;
        }
        println!("# read_limit {mode}, {}", loadavg());
        let (sums, mats): (Vec<usize>, Vec<(usize, usize)>) = if mode == "dram" {
            (vec![64 << 20], vec![(100_000, 1000), (1 << 20, 128)])
        } else {
            (
                vec![4 << 10, 1 << 20, (2 << 20) - 3, 3_000_017, 4 << 20],
                vec![(64, 64), (4096, 128), (2048, 1000), (16_384, 1000)],
            )
        };
        let most = sums
            .iter()
            .copied()
            .chain(mats.iter().map(|&(r, c)| r * c))
            .max()
            .unwrap_or(0);
        let mut a32 = AlignedVec::<f32>::zeroed(most);
        fill(&mut a32, |v| v as f32);
        let mut a64 = AlignedVec::<f64>::zeroed(most / 2);
        fill(&mut a64, |v| v);
        for isa512 in [false, true] {
            let isa = if isa512 { "avx512" } else { "avx2" };
            let run = |title: String, f: &dyn Fn(&str, usize)| {
                if title.contains(filter) {
                    f(&title, rounds);
                }
            };
            for &n in &sums {
                run(format!("sum f32 {n} {isa}"), &|t, r| {
                    group(t, &a32[..n], 0, isa512, r)
                });
                let h = (n / 2).max(1);
                run(format!("sum f64 {h} {isa}"), &|t, r| {
                    group(t, &a64[..h], 0, isa512, r)
                });
            }
            for &(rows, cols) in &mats {
                let n = rows * cols;
                run(format!("row_sums f32 {rows}x{cols} {isa}"), &|t, r| {
                    group(t, &a32[..n], cols, isa512, r)
                });
                // f64: the same bytes (half the rows) where that leaves rows.
                let r64 = if rows >= 1000 { rows / 2 } else { rows };
                run(format!("row_sums f64 {r64}x{cols} {isa}"), &|t, r| {
                    group(t, &a64[..r64 * cols], cols, isa512, r)
                });
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let mode = args.get(1).map_or("dram", String::as_str);
    let rounds = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(11);
    let filter = args.get(3).map_or("", String::as_str);
    #[cfg(target_arch = "x86_64")]
    x86::main(mode, rounds, filter);
    #[cfg(not(target_arch = "x86_64"))]
    println!("SKIPPED: read_limit {mode} {rounds} {filter} (x86-64 only)");
}
