//! How close one thread of `sum` / `row_sums` reads to the machine's read
//! limit: the library's per-ISA reductions under each read policy, timed by
//! the one engine (`simdpar_kernels::timing`: interleaved shuffled rounds,
//! medians, paired ratios) next to the kernels' read probes
//! (`simdpar_kernels::bandwidth::read`) over the same bytes in the same
//! rounds.
//!
//! ```text
//! cargo run --release -p simdpar-kernels --example read_limit -- [dram|cache] [rounds] [filter]
//! ```
//!
//! Candidates per kernel x dtype x ISA (AVX2, AVX-512):
//! * `read xN`, `read xN pf`: the read probe with `N` = 1, 2, 4 streams,
//!   without / with software prefetch (its order is free: a yardstick);
//! * `lib`, `lib+pf`: the library's ISA entry point with `Fetch::OnDemand`
//!   / `Fetch::Ahead` and the ISA's built-in stream count;
//! * `lib sN`: the library reading `sum`'s subtrees, or `row_sums`'s rows,
//!   from 8 MiB as `N` streams side by side (`Streams`); `simdpar tune`
//!   races the count on `sum`.
//!
//! Every library candidate is checked bit for bit against `lib` first.
//! The loops this example held when the stream rule was chosen (prefetch
//! distances, rows of `row_sums` read interleaved) are in its history at
//! commit 1244763; their figures are in `docs/measurements.md` (one thread
//! at the read limit).
//!
//! `dram` runs `sum` 64 Mi f32 / 32 Mi f64 and `row_sums` 100K x 1000 /
//! 1M x 128 f32 (f64: half the rows, the same bytes); `cache` runs in-cache
//! sizes (`sum` 4 Ki, 1 Mi, 4 Mi elements; `row_sums` 64 x 64, 4096 x 128,
//! 2048 x 1000, 16K x 1000). `filter` keeps the groups whose title contains
//! it. Every group prints the load average it ran under; quote it with the
//! figures.

#[cfg(target_arch = "x86_64")]
mod x86 {
    use simdpar_kernels::bandwidth::{self, Streams};
    use simdpar_kernels::dispatch::{Avx2, Avx512, Isa};
    use simdpar_kernels::reduce::{Fetch, avx2, avx512};
    use simdpar_kernels::timing::{self, Candidate, Stats, TimingConfig};
    use simdpar_kernels::{AlignedVec, Element};
    use std::cell::RefCell;
    use std::hint::black_box;
    use std::time::Duration;

    /// The library's per-ISA reductions of one element type.
    trait Lib: Element {
        fn sum(isa: Isa, x: &[Self], f: Fetch) -> Self;
        fn sum_streams(isa: Isa, x: &[Self], f: Fetch, s: Streams) -> Self;
        fn rows(isa: Isa, m: &[Self], cols: usize, out: &mut [Self], f: Fetch);
        fn rows_streams(isa: Isa, m: &[Self], cols: usize, out: &mut [Self], f: Fetch, s: Streams);
    }

    macro_rules! lib_impl {
        ($t:ty, $sum:ident, $streams:ident, $rows:ident, $rows_streams:ident) => {
            impl Lib for $t {
                fn sum(isa: Isa, x: &[$t], f: Fetch) -> $t {
                    match isa {
                        Isa::Avx512 => avx512::$sum(Avx512::new().expect("checked"), x, f),
                        _ => avx2::$sum(Avx2::new().expect("checked"), x, f),
                    }
                }
                fn sum_streams(isa: Isa, x: &[$t], f: Fetch, s: Streams) -> $t {
                    match isa {
                        Isa::Avx512 => avx512::$streams(Avx512::new().expect("checked"), x, f, s),
                        _ => avx2::$streams(Avx2::new().expect("checked"), x, f, s),
                    }
                }
                fn rows(isa: Isa, m: &[$t], cols: usize, out: &mut [$t], f: Fetch) {
                    match isa {
                        Isa::Avx512 => {
                            avx512::$rows(Avx512::new().expect("checked"), m, cols, out, f)
                        }
                        _ => avx2::$rows(Avx2::new().expect("checked"), m, cols, out, f),
                    }
                }
                fn rows_streams(
                    isa: Isa,
                    m: &[$t],
                    cols: usize,
                    out: &mut [$t],
                    f: Fetch,
                    s: Streams,
                ) {
                    match isa {
                        Isa::Avx512 => avx512::$rows_streams(
                            Avx512::new().expect("checked"),
                            m,
                            cols,
                            out,
                            f,
                            s,
                        ),
                        _ => avx2::$rows_streams(Avx2::new().expect("checked"), m, cols, out, f, s),
                    }
                }
            }
        };
    }
    lib_impl!(
        f32,
        sum_f32,
        sum_f32_streams,
        row_sums_f32,
        row_sums_f32_streams
    );
    lib_impl!(
        f64,
        sum_f64,
        sum_f64_streams,
        row_sums_f64,
        row_sums_f64_streams
    );

    fn loadavg() -> String {
        std::fs::read_to_string("/proc/loadavg")
            .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "?".into())
    }

    /// One library call: `sum` of `x` (`cols == 0`) or its `row_sums`.
    fn call<E: Lib>(isa: Isa, x: &[E], cols: usize, out: &mut [E], f: Fetch) -> Vec<E> {
        if cols == 0 {
            vec![E::sum(isa, x, f)]
        } else {
            E::rows(isa, x, cols, out, f);
            out.to_vec()
        }
    }

    /// Times every candidate on `x` (row-major with `cols` columns, or a
    /// flat `sum` when `cols == 0`) and prints a table.
    fn group<E: Lib>(title: &str, x: &[E], cols: usize, isa: Isa, rounds: usize) {
        let bytes = std::mem::size_of_val(x);
        let rows = x.len().checked_div(cols).unwrap_or(0);
        let out = RefCell::new(vec![E::ZERO; rows]);
        let want = call(isa, x, cols, &mut out.borrow_mut(), Fetch::OnDemand);
        let got = call(isa, x, cols, &mut out.borrow_mut(), Fetch::Ahead);
        assert!(got == want, "{title} lib+pf: not the library's bits");
        for s in Streams::ALL {
            let got = if cols == 0 {
                vec![E::sum_streams(isa, x, Fetch::OnDemand, s)]
            } else {
                let mut o = vec![E::ZERO; rows];
                E::rows_streams(isa, x, cols, &mut o, Fetch::OnDemand, s);
                o
            };
            assert!(got == want, "{title} lib s{s}: not the library's bits");
        }
        let load_before = loadavg();
        let mut cands: Vec<Candidate<'_>> = Vec::new();
        for streams in Streams::ALL {
            for fetch in [Fetch::OnDemand, Fetch::Ahead] {
                if fetch == Fetch::Ahead && !bandwidth::has_prefetch(isa) {
                    continue;
                }
                let pf = if fetch == Fetch::Ahead { " pf" } else { "" };
                let name = format!("read x{}{pf}", streams.count());
                cands.push(Candidate::new(name, move |n| {
                    for _ in 0..n {
                        black_box(bandwidth::read(black_box(x), isa, streams, fetch).ok());
                    }
                }));
            }
        }
        let lib_at = cands.len();
        for (name, fetch) in [("lib", Fetch::OnDemand), ("lib+pf", Fetch::Ahead)] {
            let out = &out;
            cands.push(Candidate::new(name, move |n| {
                for _ in 0..n {
                    black_box(call(isa, black_box(x), cols, &mut out.borrow_mut(), fetch));
                }
            }));
        }
        for s in Streams::ALL {
            let out = &out;
            cands.push(Candidate::new(format!("lib s{s}"), move |n| {
                for _ in 0..n {
                    if cols == 0 {
                        black_box(E::sum_streams(isa, black_box(x), Fetch::OnDemand, s));
                    } else {
                        let mut o = out.borrow_mut();
                        E::rows_streams(isa, black_box(x), cols, &mut o, Fetch::OnDemand, s);
                        black_box(&o);
                    }
                }
            }));
        }
        let cfg = TimingConfig {
            reps: rounds,
            min_sample: Duration::from_millis(20),
        };
        let stats: Vec<Stats> = timing::interleaved(&mut cands, &cfg);
        let read = &stats[0];
        let lib = &stats[lib_at];
        println!(
            "\n## {title} ({:.1} MiB, {rounds} rounds, load {load_before} -> {})",
            bytes as f64 / (1u64 << 20) as f64,
            loadavg()
        );
        println!("| candidate | median | GB/s | x read x1 (paired) | x lib (paired) |");
        println!("|---|---|---|---|---|");
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

    /// Finite, varied values (no NaN: the bit checks compare with `==`).
    fn fill<E: Element>(v: &mut [E], from: impl Fn(f64) -> E) {
        for (i, v) in v.iter_mut().enumerate() {
            *v = from(((i * 7919) % 1021) as f64 * 0.03125 - 16.0);
        }
    }

    /// Runs the groups of `mode` whose title contains `filter`.
    pub fn main(mode: &str, rounds: usize, filter: &str) {
        if Avx2::new().is_none() {
            println!("SKIPPED: read_limit (needs AVX2)");
            return;
        }
        println!("# read_limit {mode}, load {}", loadavg());
        let (sums, mats): (Vec<usize>, Vec<(usize, usize)>) = if mode == "dram" {
            (vec![64 << 20], vec![(100_000, 1000), (1 << 20, 128)])
        } else {
            (
                vec![4 << 10, 1 << 20, 4 << 20],
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
        let isas = if Avx512::new().is_some() {
            vec![Isa::Avx2, Isa::Avx512]
        } else {
            vec![Isa::Avx2]
        };
        for isa in isas {
            let run = |title: String, f: &dyn Fn(&str, usize)| {
                if title.contains(filter) {
                    f(&title, rounds);
                }
            };
            for &n in &sums {
                run(format!("sum f32 {n} {isa}"), &|t, r| {
                    group(t, &a32[..n], 0, isa, r)
                });
                let h = (n / 2).max(1);
                run(format!("sum f64 {h} {isa}"), &|t, r| {
                    group(t, &a64[..h], 0, isa, r)
                });
            }
            for &(rows, cols) in &mats {
                let n = rows * cols;
                run(format!("row_sums f32 {rows}x{cols} {isa}"), &|t, r| {
                    group(t, &a32[..n], cols, isa, r)
                });
                // f64: the same bytes (half the rows) where that leaves rows.
                let r64 = if rows >= 1000 { rows / 2 } else { rows };
                run(format!("row_sums f64 {r64}x{cols} {isa}"), &|t, r| {
                    group(t, &a64[..r64 * cols], cols, isa, r)
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
