//! Measures what the parallel runtime and the defaults are worth on this
//! machine: for `add`, `sum` (f32) and `mandelbrot` at three sizes, every
//! contender (defaults; every available ISA x 1 and 2 threads) runs once per
//! round, interleaved; the table gives medians of per-round ratios.
//!
//! ```text
//! cargo run --release --example tune_check [rounds]
//! cargo run --release --example tune_check measure [seconds]   # the tuner, nothing written
//! ```
//!
//! Speed figures depend on the machine's load: quote `uptime` with them.

use simdpar::{Isa, MandelbrotGrid, Threads, available_isas, par, with_isa};
use std::hint::black_box;
use std::time::Instant;

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

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
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
            c.family.name(),
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
    println!("nt bytes: {:?}", r.profile.nt_bytes);
}

fn main() {
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
        let reps = ((0.02 / once) as usize).clamp(1, 20_000);
        let mut samples: Vec<Vec<f64>> = vec![Vec::new(); cs.len()];
        for r in 0..rounds {
            // Rotate the starting contender each round.
            for k in 0..cs.len() {
                let i = (k + r) % cs.len();
                samples[i].push(time(cs[i], &mut case, reps));
            }
        }
        let med: Vec<f64> = samples.iter().map(|s| median(s.clone())).collect();
        // Per-round ratios: default vs the best manual choice of that round,
        // and default 2T vs default 1T.
        let manual: Vec<usize> = (3..cs.len()).collect();
        let vs_best = median(
            (0..rounds)
                .map(|r| {
                    let best = manual
                        .iter()
                        .map(|&i| samples[i][r])
                        .fold(f64::INFINITY, f64::min);
                    best / samples[0][r]
                })
                .collect(),
        );
        let two_vs_one = median((0..rounds).map(|r| samples[1][r] / samples[2][r]).collect());
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
