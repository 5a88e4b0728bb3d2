//! Measures what the parallel runtime and the defaults are worth on this
//! machine: for `add`, `sum` (f32) and `mandelbrot` at three sizes, every
//! contender (defaults; every available ISA x 1 and 2 threads) runs once per
//! round, interleaved; the table gives medians of per-round ratios.
//!
//! ```text
//! cargo run --release --example tune_check [rounds]
//! cargo run --release --example tune_check measure [seconds]   # the tuner, nothing written
//! cargo run --release --example tune_check cells KERNELS SIZES_KI [rounds] [f32|f64]
//! ```
//!
//! `cells` times any kernels (`sum,row_sums,row_sums1000,add,multiply,square,
//! scale,scale_inplace,leaky_relu`) at sizes in Ki elements on 64-byte-aligned
//! buffers: the defaults against avx2 / avx512 forced on 1 and 2 threads,
//! each column the median of per-round ratios forced / defaults (below 1.00
//! the forced choice was faster). `row_sums` has 128 columns,
//! `row_sums1000` 1000.
//!
//! Speed figures depend on the machine's load: quote `uptime` with them.

use simdpar::simdpar_kernels::timing::{self, Calibration, Candidate, Order, Schedule};
use simdpar::{Isa, MandelbrotGrid, Threads, available_isas, par, with_isa};
use std::hint::black_box;
use std::time::{Duration, Instant};

/// One way to run a case.
#[derive(Clone, Copy)]
struct Contender {
    label: &'static str,
    isa: Option<Isa>,
    threads: Threads,
}

fn contenders() -> Vec<Contender> {
    let mut v = vec![
        Contender {
            label: "default",
            isa: None,
            threads: Threads::Auto,
        },
        Contender {
            label: "default 1T",
            isa: None,
            threads: Threads::AtMost(1),
        },
        Contender {
            label: "default 2T",
            isa: None,
            threads: Threads::AtMost(2),
        },
    ];
    for isa in available_isas() {
        if matches!(isa, Isa::Avx2 | Isa::Avx512 | Isa::Neon) {
            for (t, label) in [(1, "1T"), (2, "2T")] {
                v.push(Contender {
                    label: Box::leak(format!("{isa} {label}").into_boxed_str()),
                    isa: Some(isa),
                    threads: Threads::AtMost(t),
                });
            }
        }
    }
    v
}

/// A kernel call at one size.
struct Case {
    name: String,
    run: Box<dyn FnMut(Threads)>,
}

fn cases(sizes: &[usize]) -> Vec<Case> {
    let mut out = Vec::new();
    for &n in sizes {
        let a: Vec<f32> = (0..n).map(|i| (i % 1000) as f32 * 0.5).collect();
        let b = a.clone();
        let mut o = vec![0.0f32; n];
        out.push(Case {
            name: format!("add f32 {}", human(n)),
            run: Box::new(move |t| par::add(&a, &b, &mut o, t).unwrap()),
        });
        let x: Vec<f32> = (0..n).map(|i| (i % 977) as f32).collect();
        out.push(Case {
            name: format!("sum f32 {}", human(n)),
            run: Box::new(move |t| {
                black_box(par::sum(&x, t));
            }),
        });
    }
    for (w, h, it) in [(64, 64, 64), (256, 256, 256), (1024, 1024, 256)] {
        let g = MandelbrotGrid::<f32> {
            max_iter: it,
            ..MandelbrotGrid::new(w, h)
        };
        let mut o = vec![0u32; w * h];
        out.push(Case {
            name: format!("mandelbrot f32 {w}x{h} it{it}"),
            run: Box::new(move |t| par::mandelbrot(&g, &mut o, t).unwrap()),
        });
    }
    out
}

fn human(n: usize) -> String {
    if n >= 1 << 20 {
        format!("{}M", n >> 20)
    } else {
        format!("{}K", n >> 10)
    }
}

fn time(c: Contender, case: &mut Case, reps: usize) -> f64 {
    let t0 = Instant::now();
    for _ in 0..reps {
        match c.isa {
            Some(isa) => with_isa(isa, || (case.run)(c.threads)).unwrap(),
            None => (case.run)(c.threads),
        }
    }
    t0.elapsed().as_secs_f64() / reps as f64
}

/// `rounds` rounds in a rotated order, `reps` calls per sample.
fn rotated(reps: usize, rounds: usize) -> Schedule {
    Schedule {
        order: Order::Rotated,
        calibration: Calibration::Fixed(reps),
        min_rounds: rounds,
        max_rounds: rounds,
        budget: Duration::ZERO,
        prime: false,
    }
}

/// Runs the tuner's measurement and prints every cell (writes nothing).
fn measure(seconds: f64) {
    let r = simdpar::tune::measure(std::time::Duration::from_secs_f64(seconds));
    println!(
        "measured in {:.1} s, all threads = {}",
        r.seconds, r.threads
    );
    for c in &r.cells {
        let one: Vec<String> = c
            .one_thread
            .iter()
            .map(|(i, t)| format!("{i} {t:.3e}"))
            .collect();
        let all: Vec<String> = c
            .all_threads
            .iter()
            .map(|(i, t)| format!("{i} {t:.3e}"))
            .collect();
        println!(
            "{:<10} {} {:<5} {:>9} -> {:<8} threads from {:>8}  1T [{}]  allT [{}]",
            c.kernel.name(),
            c.dtype.name(),
            c.class.name(),
            c.len,
            c.tuned.isa.name(),
            c.tuned
                .threads_from
                .map_or("never".to_string(), |v| v.to_string()),
            one.join(", "),
            all.join(", ")
        );
    }
    for (dtype, bytes) in &r.profile.nt_bytes {
        println!("nt {} {bytes}", dtype.name());
    }
    for v in &r.check.verdicts {
        let what = if v.kept { "kept" } else { "dropped" };
        println!(
            "check: {what} {} (worst {:.3}x over {} held-out calls)",
            v.choice, v.worst, v.points
        );
    }
}

/// Times one kernel at `n` elements of `T`: the defaults and every listed
/// manual choice, interleaved with the order rotated per round.
fn cell<T: simdpar::Element + simdpar::Plain>(kernel: &str, n: usize, rounds: usize) {
    let src: Vec<T> = (0..n)
        .map(|i| T::from_f64((i * 7919 % 1000) as f64 * 0.5 - 250.0))
        .collect();
    let a = simdpar::AlignedVec::from_slice(&src);
    let b = simdpar::AlignedVec::from_slice(&src);
    let mut o = simdpar::AlignedVec::<T>::zeroed(n);
    let mut x = simdpar::AlignedVec::from_slice(&src);
    let (q, alpha) = (T::from_f64(1.0001), T::from_f64(0.01));
    let mut run = |t: Threads| -> bool {
        let r = match kernel {
            "sum" => {
                black_box(par::sum(&a, t));
                Ok(())
            }
            "row_sums" => par::row_sums(&a, 128, &mut o[..n / 128], t),
            "row_sums1000" => par::row_sums(&a[..n / 1000 * 1000], 1000, &mut o[..n / 1000], t),
            "add" => par::add(&a, &b, &mut o, t),
            "multiply" => par::multiply(&a, &b, &mut o, t),
            "square" => par::square(&a, &mut o, t),
            "scale" => par::scale(&a, q, &mut o, t),
            "scale_inplace" => {
                par::scale_inplace(&mut x, T::from_f64(1.0), t);
                Ok(())
            }
            "leaky_relu" => par::leaky_relu(&a, alpha, &mut o, t),
            _ => return false,
        };
        r.is_ok()
    };
    if !run(Threads::AtMost(1)) {
        eprintln!("unknown kernel {kernel:?}");
        std::process::exit(2);
    }
    let mut cons: Vec<(String, Option<Isa>, Threads)> =
        vec![("defaults".into(), None, Threads::Auto)];
    for isa in available_isas() {
        if matches!(isa, Isa::Avx2 | Isa::Avx512 | Isa::Neon) {
            for t in [1, 2] {
                cons.push((format!("{isa} {t}T"), Some(isa), Threads::AtMost(t)));
            }
        }
    }
    // One call on one thread sizes every contender's samples (about 4 ms).
    let t0 = Instant::now();
    run(Threads::AtMost(1));
    let reps =
        timing::calls_per_sample(t0.elapsed().as_secs_f64(), Duration::from_millis(4), 40_000);
    let run = std::cell::RefCell::new(run);
    let mut cands: Vec<Candidate<'_>> = cons
        .iter()
        .map(|(name, isa, th)| {
            let (run, isa, th) = (&run, *isa, *th);
            Candidate::new(name.clone(), move |n| {
                let mut run = run.borrow_mut();
                for _ in 0..n {
                    match isa {
                        Some(isa) => with_isa(isa, || (*run)(th)).map(|_| ()).unwrap(),
                        None => {
                            (*run)(th);
                        }
                    }
                }
            })
        })
        .collect();
    let s: Vec<Vec<f64>> = timing::run_rounds(&mut cands, &rotated(reps, rounds))
        .into_iter()
        .map(|s| s.rounds)
        .collect();
    let cols: Vec<String> = (1..cons.len())
        .map(|i| {
            let r = timing::median(
                &mut s[i]
                    .iter()
                    .zip(&s[0])
                    .map(|(m, d)| m / d)
                    .collect::<Vec<_>>(),
            );
            format!("{} {r:.3}", cons[i].0)
        })
        .collect();
    println!(
        "{kernel:<13} {} {:>7}K  defaults {:>10.2} us | {}",
        T::DTYPE.name(),
        n >> 10,
        timing::median(&mut s[0].clone()) * 1e6,
        cols.join("  ")
    );
}

/// `cells KERNELS SIZES_KI [rounds] [f32|f64]`.
fn cells(args: &[String]) {
    let (Some(kernels), Some(sizes)) = (args.first(), args.get(1)) else {
        eprintln!("usage: tune_check cells KERNELS SIZES_KI [rounds] [f32|f64]");
        std::process::exit(2);
    };
    let rounds = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(21);
    let f64s = args.get(3).map(String::as_str) == Some("f64");
    for k in kernels.split(',') {
        for n in sizes.split(',') {
            let Ok(ki) = n.parse::<usize>() else {
                eprintln!("size {n:?} is not a number of Ki elements");
                std::process::exit(2);
            };
            if f64s {
                cell::<f64>(k, ki << 10, rounds);
            } else {
                cell::<f32>(k, ki << 10, rounds);
            }
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("cells") {
        return cells(&args[1..]);
    }
    if std::env::args().nth(1).as_deref() == Some("measure") {
        let secs = std::env::args()
            .nth(2)
            .and_then(|a| a.parse().ok())
            .unwrap_or(60.0);
        return measure(secs);
    }
    let rounds: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(11);
    let cs = contenders();
    println!(
        "{:<28} {}",
        "case (median s/call; ratios: default / best manual, 2T / 1T)",
        cs.iter()
            .map(|c| format!("{:>12}", c.label))
            .collect::<String>()
    );
    for mut case in cases(&[16 << 10, 1 << 20, 64 << 20]) {
        // Warm up and size the repetitions to about 20 ms per sample.
        let once = time(cs[1], &mut case, 1).max(1e-7);
        let reps = timing::calls_per_sample(once, Duration::from_millis(20), 20_000);
        let case = std::cell::RefCell::new(case);
        let mut cands: Vec<Candidate<'_>> = cs
            .iter()
            .map(|&c| {
                let case = &case;
                Candidate::new(c.label, move |n| {
                    time(c, &mut case.borrow_mut(), n);
                })
            })
            .collect();
        let samples: Vec<Vec<f64>> = timing::run_rounds(&mut cands, &rotated(reps, rounds))
            .into_iter()
            .map(|s| s.rounds)
            .collect();
        drop(cands);
        let case = case.into_inner();
        let med: Vec<f64> = samples
            .iter()
            .map(|s| timing::median(&mut s.clone()))
            .collect();
        // Per-round ratios: default vs the best manual choice of that round,
        // and default 2T vs default 1T.
        let manual: Vec<usize> = (3..cs.len()).collect();
        let vs_best = timing::median(
            &mut (0..rounds)
                .map(|r| {
                    let best = manual
                        .iter()
                        .map(|&i| samples[i][r])
                        .fold(f64::INFINITY, f64::min);
                    best / samples[0][r]
                })
                .collect::<Vec<_>>(),
        );
        let two_vs_one = timing::median(
            &mut (0..rounds)
                .map(|r| samples[1][r] / samples[2][r])
                .collect::<Vec<_>>(),
        );
        println!(
            "{:<28} {}  default/best {:.2}x  2T/1T {:.2}x",
            case.name,
            med.iter()
                .map(|m| format!("{m:>12.3e}"))
                .collect::<String>(),
            vs_best,
            two_vs_one
        );
    }
}
