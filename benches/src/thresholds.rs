//! Measures the two tuning constants of the kernels on this machine:
//! the non-temporal store threshold ([`simdpar::map::nt_threshold_bytes`])
//! and the parallel threshold ([`simdpar::par::PAR_MIN_ELEMS`]).

use crate::data::{Align, Buf};
use crate::timing::{Candidate, Stats, TimingConfig, interleaved};
use rayon::prelude::*;
use simdpar::map::Store;
use simdpar::{Isa, best_isa};
use std::cell::RefCell;

/// An elementwise f32 kernel on a chosen ISA with an explicit store policy.
pub type MapFn = fn(&[f32], &[f32], &mut [f32], Store);

/// `(isa, multiply, square-as-binary)` for the best ISA with token entry
/// points, if any.
pub fn kernels() -> Option<(Isa, MapFn, MapFn)> {
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if simdpar::Avx512::new().is_some() {
            return Some((
                Isa::Avx512,
                |a, b, o, s| {
                    let t = simdpar::Avx512::new().expect("checked");
                    simdpar::map::avx512::multiply_f32(t, a, b, o, s)
                },
                |a, _b, o, s| {
                    let t = simdpar::Avx512::new().expect("checked");
                    simdpar::map::avx512::square_f32(t, a, o, s)
                },
            ));
        }
        if simdpar::Avx2::new().is_some() {
            return Some((
                Isa::Avx2,
                |a, b, o, s| {
                    let t = simdpar::Avx2::new().expect("checked");
                    simdpar::map::avx2::multiply_f32(t, a, b, o, s)
                },
                |a, _b, o, s| {
                    let t = simdpar::Avx2::new().expect("checked");
                    simdpar::map::avx2::square_f32(t, a, o, s)
                },
            ));
        }
    }
    #[cfg(target_arch = "aarch64")]
    {
        if simdpar::Neon::new().is_some() {
            return Some((
                Isa::Neon,
                |a, b, o, s| {
                    let t = simdpar::Neon::new().expect("checked");
                    simdpar::map::neon::multiply_f32(t, a, b, o, s)
                },
                |a, _b, o, s| {
                    let t = simdpar::Neon::new().expect("checked");
                    simdpar::map::neon::square_f32(t, a, o, s)
                },
            ));
        }
    }
    Some((
        Isa::Portable,
        simdpar::map::portable::multiply_f32,
        |a, _b, o, s| simdpar::map::portable::square_f32(a, o, s),
    ))
}

/// One NT-vs-cached measurement.
#[derive(Clone, Debug)]
pub struct NtRow {
    /// `multiply` or `square`.
    pub kernel: &'static str,
    /// Elements.
    pub n: usize,
    /// Threads.
    pub threads: usize,
    /// Regular stores.
    pub cached: Stats,
    /// Non-temporal stores.
    pub streaming: Stats,
}

impl NtRow {
    /// cached time / streaming time (> 1: NT stores are faster).
    pub fn nt_speedup(&self) -> f64 {
        self.cached.median / self.streaming.median
    }
}

/// One serial-vs-parallel measurement.
#[derive(Clone, Debug)]
pub struct ParRow {
    /// `multiply` or `sum`.
    pub kernel: &'static str,
    /// Elements.
    pub n: usize,
    /// Serial.
    pub serial: Stats,
    /// Equal pieces, one per thread, on rayon's global pool, called from
    /// outside the pool: a plain fork-join reference (simdpar's own pool
    /// claims pieces; `simdpar tune` measures where it pays).
    pub parallel: Stats,
    /// Threads of the parallel run.
    pub threads: usize,
}

impl ParRow {
    /// serial time / parallel time.
    pub fn speedup(&self) -> f64 {
        self.serial.median / self.parallel.median
    }
}

/// The ISA the threshold runs use.
pub fn isa() -> Isa {
    kernels().map(|k| k.0).unwrap_or_else(best_isa)
}

/// NT vs cached stores for multiply and square f32 at `sizes`, 1 and
/// `threads` threads. `progress` is called before each size.
pub fn nt(
    sizes: &[usize],
    threads: usize,
    cfg: &TimingConfig,
    mut progress: impl FnMut(&str),
) -> Vec<NtRow> {
    let Some((_, mul, sq)) = kernels() else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for &n in sizes {
        progress(&format!("NT threshold {n}"));
        let a = Buf::<f32>::new(n, Align::Aligned, 1, -1.0, 1.0);
        let b = Buf::<f32>::new(n, Align::Aligned, 2, -1.0, 1.0);
        // One output per store policy: an NT pass leaves its output out of
        // the cache, which would charge the next cached pass on a shared
        // buffer with read-for-ownership misses from DRAM (and vice versa).
        let o_cached = RefCell::new(Buf::<f32>::new(n, Align::Aligned, 3, 0.0, 1.0));
        let o_nt = RefCell::new(Buf::<f32>::new(n, Align::Aligned, 4, 0.0, 1.0));
        let mut tcounts = vec![1];
        if threads > 1 {
            tcounts.push(threads);
        }
        let mut keys = Vec::new();
        let mut cands = Vec::new();
        for (kname, f) in [("multiply", mul), ("square", sq)] {
            for &t in &tcounts {
                for store in [Store::Cached, Store::Streaming] {
                    keys.push((kname, t, store));
                    let o = if store == Store::Cached {
                        &o_cached
                    } else {
                        &o_nt
                    };
                    let (a, b) = (&a, &b);
                    cands.push(Candidate::new(
                        format!("{kname}-{t}-{store:?}"),
                        move |inner| {
                            for _ in 0..inner {
                                let mut o = o.borrow_mut();
                                if t == 1 {
                                    f(a.get(), b.get(), o.get_mut(), store);
                                } else {
                                    let c = n.div_ceil(t).next_multiple_of(64);
                                    o.get_mut()
                                        .par_chunks_mut(c)
                                        .zip(a.get().par_chunks(c).zip(b.get().par_chunks(c)))
                                        .for_each(|(o, (a, b))| f(a, b, o, store));
                                }
                            }
                        },
                    ));
                }
            }
        }
        let stats = interleaved(&mut cands, cfg);
        drop(cands);
        for (i, (kname, t, store)) in keys.iter().enumerate() {
            if *store == Store::Cached {
                out.push(NtRow {
                    kernel: kname,
                    n,
                    threads: *t,
                    cached: stats[i].clone(),
                    streaming: stats[i + 1].clone(),
                });
            }
        }
    }
    out
}

fn sum_f32(x: &[f32]) -> f32 {
    simdpar::with_isa(isa(), || simdpar::sum(x)).unwrap_or(0.0)
}

/// Serial vs split-in-`threads` for multiply (cached stores) and sum f32.
pub fn par_threshold(
    sizes: &[usize],
    threads: usize,
    cfg: &TimingConfig,
    mut progress: impl FnMut(&str),
) -> Vec<ParRow> {
    let Some((_, mul, _)) = kernels() else {
        return Vec::new();
    };
    let t = threads.max(2);
    let mut out = Vec::new();
    for &n in sizes {
        progress(&format!("parallel threshold {n}"));
        let a = Buf::<f32>::new(n, Align::Aligned, 1, -1.0, 1.0);
        let b = Buf::<f32>::new(n, Align::Aligned, 2, -1.0, 1.0);
        let o = RefCell::new(Buf::<f32>::new(n, Align::Aligned, 3, 0.0, 1.0));
        let c = n.div_ceil(t).next_multiple_of(64).max(64);
        let (ar, br, or) = (&a, &b, &o);
        let mut cands = vec![
            Candidate::new("multiply serial", move |inner| {
                for _ in 0..inner {
                    mul(ar.get(), br.get(), or.borrow_mut().get_mut(), Store::Cached);
                }
            }),
            Candidate::new("multiply parallel", move |inner| {
                for _ in 0..inner {
                    or.borrow_mut()
                        .get_mut()
                        .par_chunks_mut(c)
                        .zip(ar.get().par_chunks(c).zip(br.get().par_chunks(c)))
                        .for_each(|(o, (a, b))| mul(a, b, o, Store::Cached));
                }
            }),
            Candidate::new("sum serial", move |inner| {
                for _ in 0..inner {
                    std::hint::black_box(sum_f32(ar.get()));
                }
            }),
            Candidate::new("sum parallel", move |inner| {
                for _ in 0..inner {
                    let s: f32 = ar.get().par_chunks(c).map(sum_f32).sum();
                    std::hint::black_box(s);
                }
            }),
        ];
        let s = interleaved(&mut cands, cfg);
        drop(cands);
        out.push(ParRow {
            kernel: "multiply",
            n,
            serial: s[0].clone(),
            parallel: s[1].clone(),
            threads: t,
        });
        out.push(ParRow {
            kernel: "sum",
            n,
            serial: s[2].clone(),
            parallel: s[3].clone(),
            threads: t,
        });
    }
    out
}

/// The smallest size from which NT stores win by at least 5% for every
/// kernel and thread count measured at that size and every larger one.
pub fn nt_crossover(rows: &[NtRow]) -> Option<usize> {
    let mut sizes: Vec<usize> = rows.iter().map(|r| r.n).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let wins = |n: usize| {
        rows.iter()
            .filter(|r| r.n == n)
            .all(|r| r.nt_speedup() >= 1.05)
    };
    let mut best = None;
    for &n in sizes.iter().rev() {
        if wins(n) {
            best = Some(n);
        } else {
            break;
        }
    }
    best
}

/// The smallest size from which splitting wins by at least 10% for every
/// kernel at that size and every larger one.
pub fn par_crossover(rows: &[ParRow]) -> Option<usize> {
    let mut sizes: Vec<usize> = rows.iter().map(|r| r.n).collect();
    sizes.sort_unstable();
    sizes.dedup();
    let mut best = None;
    for &n in sizes.iter().rev() {
        if rows
            .iter()
            .filter(|r| r.n == n)
            .all(|r| r.speedup() >= 1.10)
        {
            best = Some(n);
        } else {
            break;
        }
    }
    best
}
