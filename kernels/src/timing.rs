//! The timing engine: every timing in simdpar (the tuner, the benchmark
//! report, `examples/tune_check.rs`) runs its contenders through
//! [`run_rounds`].
//!
//! Contenders are interleaved: every contender of a group runs one sample
//! per round, so a burst of load from other processes hits all of them
//! alike and their ratios stay meaningful on a shared machine. A
//! [`Schedule`] says in which order a round runs them ([`Order`]), how many
//! calls a sample makes ([`Calibration`]), how many rounds to run and
//! whether a sample follows an untimed call. [`paired_ratio`],
//! [`paired_speedup_ratio`] and [`held_out_best`] turn the per-round
//! samples into ratios that a load burst during one round cannot skew.

use std::time::{Duration, Instant};

/// How long to measure.
#[derive(Clone, Copy, Debug)]
pub struct TimingConfig {
    /// Rounds (samples per candidate).
    pub reps: usize,
    /// Minimum duration of one sample: short calls are repeated `inner`
    /// times back to back until a sample lasts at least this long.
    pub min_sample: Duration,
}

/// One contender of a group: `run(inner)` performs `inner` calls.
pub struct Candidate<'a> {
    /// Label used in tables.
    pub name: String,
    /// Runs the measured call `inner` times.
    pub run: Box<dyn FnMut(usize) + 'a>,
}

impl<'a> Candidate<'a> {
    /// A candidate named `name`.
    pub fn new(name: impl Into<String>, run: impl FnMut(usize) + 'a) -> Self {
        Candidate {
            name: name.into(),
            run: Box::new(run),
        }
    }
}

/// Seconds per call over the samples of one candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Stats {
    /// The candidate's label.
    pub name: String,
    /// Median seconds per call.
    pub median: f64,
    /// Fastest sample.
    pub min: f64,
    /// Slowest sample.
    pub max: f64,
    /// Number of samples.
    pub samples: usize,
    /// Calls per sample.
    pub inner: usize,
    /// Seconds per call of every sample, in round order (sample `i` of two
    /// candidates of one group ran in the same round).
    pub rounds: Vec<f64>,
}

/// The median over rounds of `num[i] / den[i]`: a ratio of two candidates
/// of one group that a load burst during one round cannot skew (both sides
/// of a round see the same burst). Falls back to the ratio of medians when
/// the round counts differ.
pub fn paired_ratio(num: &Stats, den: &Stats) -> f64 {
    if num.rounds.len() != den.rounds.len() || num.rounds.is_empty() {
        return num.median / den.median;
    }
    let mut r: Vec<f64> = num
        .rounds
        .iter()
        .zip(&den.rounds)
        .map(|(a, b)| a / b)
        .collect();
    median(&mut r)
}

/// How much more `k_one / k_all` is than `s_one / s_all` (one speedup
/// against another), as the median over rounds of
/// `(k_one / k_all) / (s_one / s_all)`: a round in which the machine was
/// busier or calmer for all four cancels out, which a ratio of two separate
/// medians does not. Falls back to the ratio of the two [`paired_ratio`]s
/// when the four were not timed in the same rounds.
pub fn paired_speedup_ratio(k_one: &Stats, k_all: &Stats, s_one: &Stats, s_all: &Stats) -> f64 {
    let n = k_one.rounds.len();
    let same = n > 0 && [k_all, s_one, s_all].iter().all(|x| x.rounds.len() == n);
    if !same {
        return paired_ratio(k_one, k_all) / paired_ratio(s_one, s_all);
    }
    let mut r: Vec<f64> = (0..n)
        .map(|i| (k_one.rounds[i] / k_all.rounds[i]) / (s_one.rounds[i] / s_all.rounds[i]))
        .collect();
    median(&mut r)
}

/// The fastest of `cands` and its paired ratio to `den` (median over rounds
/// of `cand / den`), without the winner's curse: picking the lowest of
/// several noisy medians and reporting that same median biases the
/// "best" low (with 8 equally fast candidates the minimum sits well below
/// their common speed). So no round measures a candidate that was picked
/// with that round's own timings: two-fold cross-fitting picks one
/// candidate on the even rounds and one on the odd rounds, and the ratio is
/// the median over all rounds of `cand / den` where an odd round uses the
/// even rounds' pick and an even round the odd rounds' pick. Every round
/// counts once (holding out one half and measuring on the other alone
/// would throw half the rounds away and double the noise variance of the
/// median). The index returned is the candidate with the lowest median
/// over all rounds (the one a table shows as best). With fewer than 4
/// rounds (or unequal round counts) it falls back to the lowest median and
/// [`paired_ratio`].
pub fn held_out_best(cands: &[&Stats], den: &Stats) -> Option<(usize, f64)> {
    if cands.is_empty() {
        return None;
    }
    let lowest = (0..cands.len())
        .min_by(|&a, &b| cands[a].median.total_cmp(&cands[b].median))
        .expect("not empty");
    let n = den.rounds.len();
    if n < 4 || cands.iter().any(|c| c.rounds.len() != n) {
        return Some((lowest, paired_ratio(cands[lowest], den)));
    }
    let half = |c: &Stats, parity: usize| {
        let mut r: Vec<f64> = (parity..n)
            .step_by(2)
            .map(|k| c.rounds[k] / den.rounds[k])
            .collect();
        median(&mut r)
    };
    let pick = |parity: usize| {
        (0..cands.len())
            .min_by(|&a, &b| half(cands[a], parity).total_cmp(&half(cands[b], parity)))
            .expect("not empty")
    };
    // picks[p]: the candidate chosen on the rounds of parity p, used on
    // the rounds of the other parity.
    let picks = [pick(0), pick(1)];
    let mut r: Vec<f64> = (0..n)
        .map(|k| cands[picks[1 - k % 2]].rounds[k] / den.rounds[k])
        .collect();
    Some((lowest, median(&mut r)))
}

/// The median of `v` (sorted in place); NaN for an empty slice.
pub fn median(v: &mut [f64]) -> f64 {
    if v.is_empty() {
        return f64::NAN;
    }
    v.sort_by(|a, b| a.total_cmp(b));
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        0.5 * (v[m - 1] + v[m])
    }
}

fn time(run: &mut dyn FnMut(usize), inner: usize) -> f64 {
    let t = Instant::now();
    run(inner);
    t.elapsed().as_secs_f64()
}

/// The order in which one round runs the contenders.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// A fresh order every round (a fixed-seed shuffle), so that no
    /// contender always runs right after the same neighbour: one that
    /// leaves the helper threads asleep, the caches full of its own data or
    /// a wide vector unit idle.
    Shuffled,
    /// The same order rotated by one each round (round `r` starts with
    /// contender `r`), which keeps every contender's neighbour.
    Rotated,
    /// The contenders' own order every round (a short calibration that
    /// keeps the fastest sample of each).
    Listed,
}

/// How many calls one sample of a contender makes.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Calibration {
    /// One warm-up call for every contender before any calibrates, then
    /// each contender's own count from its fastest warm call, so that a
    /// sample lasts at least `min_sample` (see [`interleaved`]).
    Settled {
        /// Shortest duration of one sample.
        min_sample: Duration,
    },
    /// Each contender's first call (its warm-up) sizes its own count with
    /// [`calls_per_sample`].
    FirstCall {
        /// Target duration of one sample.
        sample: Duration,
        /// Most calls per sample.
        max_calls: usize,
    },
    /// Every sample makes this many calls; no warm-up.
    Fixed(usize),
}

/// How [`run_rounds`] measures a group of contenders.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Schedule {
    /// The order within a round.
    pub order: Order,
    /// Calls per sample.
    pub calibration: Calibration,
    /// Rounds always run.
    pub min_rounds: usize,
    /// Most rounds: beyond `min_rounds`, rounds go on while `budget` (timed
    /// from the first round) lasts.
    pub max_rounds: usize,
    /// Time the rounds beyond `min_rounds` may take.
    pub budget: Duration,
    /// Whether a sample of several calls follows one untimed call of the
    /// same contender.
    pub prime: bool,
}

impl Schedule {
    /// The report's schedule for `cfg`: shuffled rounds, settled
    /// calibration, `cfg.reps` rounds (at least one), primed samples.
    pub fn report(cfg: &TimingConfig) -> Self {
        let rounds = cfg.reps.max(1);
        Schedule {
            order: Order::Shuffled,
            calibration: Calibration::Settled {
                min_sample: cfg.min_sample,
            },
            min_rounds: rounds,
            max_rounds: rounds,
            budget: Duration::ZERO,
            prime: true,
        }
    }
}

/// Calls per sample for a call of `seconds`, so that a sample lasts about
/// `sample`: at least 1, at most `max_calls` (also for a call too short to
/// time).
pub fn calls_per_sample(seconds: f64, sample: Duration, max_calls: usize) -> usize {
    if seconds <= 0.0 {
        return max_calls.max(1);
    }
    ((sample.as_secs_f64() / seconds) as usize).clamp(1, max_calls.max(1))
}

/// Calls per sample of every candidate, after the warm-up of
/// [`Calibration::Settled`].
fn settled(cands: &mut [Candidate<'_>], min_sample: Duration) -> Vec<usize> {
    let min = min_sample.as_secs_f64();
    let mut inner = Vec::with_capacity(cands.len());
    // Every candidate's warm-up call comes before any calibration, so the
    // first candidate of a group (simdpar's defaults) does not calibrate
    // while the group is still cold: sum f64 1M's defaults got 6 calls per
    // sample against 10-11 for the forced avx2 and avx512 paths on two
    // threads, one of them the same configuration, and measured 0.94x of
    // the best.
    let first: Vec<f64> = cands.iter_mut().map(|c| time(&mut c.run, 1)).collect();
    for (c, &t_first) in cands.iter_mut().zip(&first) {
        // The first call is the warm-up: it may fault the buffers in or
        // fill the caches, so it does not calibrate unless it is clearly
        // long. The fastest of three more, warm calls decides: a single
        // call could be slowed by waking the helper threads or by a burst
        // of load, and that candidate would then run fewer calls per sample
        // than its twin and pay such costs over fewer calls. (The first
        // candidate of a group, simdpar's defaults, calibrated on its cold
        // first call: add f64 1M ran 1 call per sample against 3 for the
        // identical forced avx2 2T, and measured 0.85-0.88x of it.) A first
        // call that is clearly long gets a second look before it counts:
        // one preempted call of a 70 us kernel once took that long, and
        // the defaults of multiply f32 1M ran 1 call per sample against 7
        // for the identical forced avx512 2T (0.94x of it).
        let mut t = t_first;
        if t >= 4.0 * min {
            t = time(&mut c.run, 1);
        }
        if t < 4.0 * min {
            t = (0..3).map(|_| time(&mut c.run, 1)).fold(t, f64::min);
        }
        let n = if t >= min || t <= 0.0 {
            1
        } else {
            ((min / t).ceil() as usize).clamp(1, 10_000_000)
        };
        inner.push(n);
    }
    inner
}

/// Measures every candidate as `schedule` says: calibration first, then
/// rounds in which each candidate takes one sample (seconds per call of
/// its calls per sample). Returns one [`Stats`] per candidate, in order.
pub fn run_rounds(cands: &mut [Candidate<'_>], schedule: &Schedule) -> Vec<Stats> {
    let n = cands.len();
    let inner: Vec<usize> = match schedule.calibration {
        Calibration::Settled { min_sample } => settled(cands, min_sample),
        Calibration::FirstCall { sample, max_calls } => cands
            .iter_mut()
            .map(|c| calls_per_sample(time(&mut c.run, 1), sample, max_calls))
            .collect(),
        Calibration::Fixed(calls) => vec![calls.max(1); n],
    };
    let mut samples = vec![Vec::with_capacity(schedule.min_rounds); n];
    let mut order: Vec<usize> = (0..n).collect();
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let start = Instant::now();
    let mut round = 0;
    while round < schedule.min_rounds
        || (round < schedule.max_rounds && start.elapsed() < schedule.budget)
    {
        match schedule.order {
            Order::Shuffled => shuffle(&mut order, &mut seed),
            Order::Rotated => {
                for (k, o) in order.iter_mut().enumerate() {
                    *o = (k + round) % n;
                }
            }
            Order::Listed => {}
        }
        for &i in &order {
            if schedule.prime && inner[i] > 1 {
                // One untimed call first, so that a sample starts the way
                // the calls inside it run (helper threads awake, inputs
                // where the previous call left them), whichever candidate
                // ran before it: the previous candidate may have left the
                // helpers asleep (1-thread rows), and the wake-up then
                // landed on 1 of only 4 calls of a 1M two-thread sample.
                // Calls of a sample that lasts by itself (inner = 1:
                // DRAM-sized) are timed cold, as they run.
                (cands[i].run)(1);
            }
            samples[i].push(time(&mut cands[i].run, inner[i]) / inner[i] as f64);
        }
        round += 1;
    }
    samples
        .into_iter()
        .zip(inner)
        .zip(cands.iter())
        .map(|((mut s, inner), c)| {
            let rounds = s.clone();
            let m = median(&mut s);
            Stats {
                name: c.name.clone(),
                median: m,
                min: s.first().copied().unwrap_or(f64::NAN),
                max: s.last().copied().unwrap_or(f64::NAN),
                samples: s.len(),
                inner,
                rounds,
            }
        })
        .collect()
}

/// Measures every candidate the report's way ([`Schedule::report`]): one
/// warm-up call each, all before any calibration (they also bring
/// cache-sized inputs into cache), a calibration of `inner` per candidate,
/// then `reps` rounds, each in a freshly shuffled order; a sample of
/// several calls follows one untimed call of the same candidate. Returns
/// one [`Stats`] per candidate, in order.
pub fn interleaved(cands: &mut [Candidate<'_>], cfg: &TimingConfig) -> Vec<Stats> {
    run_rounds(cands, &Schedule::report(cfg))
}

/// Fisher-Yates shuffle of `v` driven by an xorshift generator in `seed`.
fn shuffle(v: &mut [usize], seed: &mut u64) {
    for i in (1..v.len()).rev() {
        *seed ^= *seed << 13;
        *seed ^= *seed >> 7;
        *seed ^= *seed << 17;
        let j = (*seed % (i as u64 + 1)) as usize;
        v.swap(i, j);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_odd_even() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }

    fn stats(rounds: &[f64]) -> Stats {
        let mut s = rounds.to_vec();
        Stats {
            name: String::new(),
            median: median(&mut s),
            min: s[0],
            max: s[s.len() - 1],
            samples: s.len(),
            inner: 1,
            rounds: rounds.to_vec(),
        }
    }

    #[test]
    fn held_out_best_measures_each_half_with_the_other_halfs_pick() {
        let den = stats(&[1.0; 6]);
        // A looks fastest on the even rounds (0.9) but runs at 1.1 on the
        // odd ones; B is 1.0 on the even rounds and the fastest (0.95) on
        // the odd ones. The odd rounds measure A (the even rounds' pick):
        // 1.1; the even rounds measure B (the odd rounds' pick): 1.0. The
        // median of the six is 1.05, not the 0.9 or 0.95 that either
        // pick's own rounds would claim.
        let a = stats(&[0.9, 1.1, 0.9, 1.1, 0.9, 1.1]);
        let b = stats(&[1.0, 0.95, 1.0, 0.95, 1.0, 0.95]);
        let (best, ratio) = held_out_best(&[&b, &a], &den).unwrap();
        assert_eq!(best, 0, "B has the lower median over all rounds");
        assert!((ratio - 1.05).abs() < 1e-12, "{ratio}");
        assert_eq!(held_out_best(&[], &den), None);
    }

    #[test]
    fn held_out_best_of_equal_candidates_is_not_biased_low() {
        // Eight candidates of one speed with independent noise: the lowest
        // median lies below 1, the cross-fitted ratio does not (on average
        // over many groups).
        let mut seed = 0x1234_5678_9abc_def0u64;
        let mut noise = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            1.0 + ((seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5) * 0.2
        };
        let (mut fitted, mut naive) = (0.0, 0.0);
        let groups = 200;
        for _ in 0..groups {
            let den = stats(&[1.0; 21]);
            let cands: Vec<Stats> = (0..8)
                .map(|_| stats(&(0..21).map(|_| noise()).collect::<Vec<_>>()))
                .collect();
            let refs: Vec<&Stats> = cands.iter().collect();
            let (best, ratio) = held_out_best(&refs, &den).unwrap();
            fitted += ratio / groups as f64;
            naive += cands[best].median / groups as f64;
        }
        assert!(
            naive < 0.97,
            "the lowest of eight medians is biased low: {naive}"
        );
        assert!((fitted - 1.0).abs() < 0.01, "cross-fitted ratio {fitted}");
    }

    #[test]
    fn held_out_best_falls_back_to_the_lowest_median_with_few_rounds() {
        let den = stats(&[2.0, 2.0, 2.0]);
        let a = stats(&[1.0, 3.0, 1.0]);
        let b = stats(&[1.5, 1.5, 1.5]);
        assert_eq!(held_out_best(&[&b, &a], &den), Some((1, 0.5)));
    }

    #[test]
    fn shuffle_permutes_and_varies_between_rounds() {
        let mut seed = 1u64;
        let mut v: Vec<usize> = (0..9).collect();
        let mut orders = std::collections::HashSet::new();
        for _ in 0..20 {
            shuffle(&mut v, &mut seed);
            let mut sorted = v.clone();
            sorted.sort();
            assert_eq!(sorted, (0..9).collect::<Vec<_>>());
            orders.insert(v.clone());
        }
        assert!(orders.len() > 10, "only {} distinct orders", orders.len());
    }

    /// A candidate whose first call sleeps `first_ms` and whose later calls
    /// are fast runs several calls per 5 ms sample.
    fn several_calls_per_sample_despite_a_first_call_of(first_ms: u64) {
        let mut calls = 0usize;
        let mut cands = vec![Candidate::new("slow first call", |n| {
            if calls == 0 {
                std::thread::sleep(Duration::from_millis(first_ms));
            }
            calls += n;
        })];
        let cfg = TimingConfig {
            reps: 1,
            min_sample: Duration::from_millis(5),
        };
        let s = interleaved(&mut cands, &cfg);
        assert!(
            s[0].inner > 1,
            "first call {first_ms} ms: inner {}",
            s[0].inner
        );
    }

    #[test]
    fn a_slow_first_call_does_not_calibrate() {
        // The first call (the warm-up) is slow, as a cold first call of a
        // kernel is; the later ones are not.
        several_calls_per_sample_despite_a_first_call_of(6);
    }

    #[test]
    fn one_long_call_does_not_calibrate() {
        // A first call long enough to count by itself (4x the sample), but
        // a one-off (the process was preempted).
        several_calls_per_sample_despite_a_first_call_of(25);
    }

    #[test]
    fn every_candidate_warms_up_before_any_calibrates() {
        // The first candidate's calls are slow until the second has run
        // once (a group still cold); it must calibrate on fast calls.
        let warm = std::cell::Cell::new(false);
        let mut cands = vec![
            Candidate::new("first", |_| {
                if !warm.get() {
                    std::thread::sleep(Duration::from_millis(2));
                }
            }),
            Candidate::new("second", |_| warm.set(true)),
        ];
        let cfg = TimingConfig {
            reps: 1,
            min_sample: Duration::from_millis(5),
        };
        let s = interleaved(&mut cands, &cfg);
        assert!(s[0].inner > 10, "inner {}", s[0].inner);
    }

    #[test]
    fn calls_that_are_long_run_one_per_sample_after_two_looks() {
        // Every call lasts 4x the sample (a DRAM-sized kernel): one call per
        // sample, calibrated on two calls, not five.
        let mut calls = 0usize;
        let mut cands = vec![Candidate::new("long", |n| {
            std::thread::sleep(Duration::from_millis(4 * n as u64));
            calls += n;
        })];
        let cfg = TimingConfig {
            reps: 2,
            min_sample: Duration::from_millis(1),
        };
        let s = interleaved(&mut cands, &cfg);
        drop(cands);
        assert_eq!(s[0].inner, 1);
        assert_eq!(calls, 2 + 2, "two calibration calls, then one per round");
    }

    #[test]
    fn interleaved_runs_every_candidate() {
        let mut a = 0usize;
        let mut b = 0usize;
        let mut cands = vec![
            Candidate::new("a", |n| a += n),
            Candidate::new("b", |n| b += n),
        ];
        let cfg = TimingConfig {
            reps: 3,
            min_sample: Duration::from_millis(1),
        };
        let s = interleaved(&mut cands, &cfg);
        drop(cands);
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|s| s.samples == 3 && s.inner >= 1));
        assert!(a >= 3 && b >= 3);
        assert_eq!(s[0].rounds.len(), 3);
        // Calls: 4 to calibrate (these closures take far less than 1 ms),
        // then per round one untimed call and the `inner` timed ones.
        assert!(s[0].inner > 1);
        assert_eq!(a, 4 + 3 * (1 + s[0].inner));
        assert_eq!(b, 4 + 3 * (1 + s[1].inner));
    }

    #[test]
    fn paired_ratio_ignores_a_shared_burst() {
        // Round 2 is slowed 10x for both: the paired ratio stays 2.
        let a = stats(&[2.0, 20.0, 2.0]);
        let b = stats(&[1.0, 10.0, 1.0]);
        assert_eq!(paired_ratio(&a, &b), 2.0);
    }

    #[test]
    fn paired_speedup_ratio_is_a_median_over_rounds() {
        // Kernel speedups per round 2, 1.5, 2; STREAM's 2, 1.5, 1: the
        // round where both lost their second thread (round 2) cancels.
        let k1 = stats(&[4.0, 3.0, 4.0]);
        let kt = stats(&[2.0, 2.0, 2.0]);
        let s1 = stats(&[2.0, 3.0, 2.0]);
        let st2 = stats(&[1.0, 2.0, 2.0]);
        assert_eq!(paired_speedup_ratio(&k1, &kt, &s1, &st2), 1.0);
        // Not the same rounds: the ratio of the two paired ratios.
        let short = stats(&[1.0, 2.0]);
        // (kernel 2 over STREAM 2 / 1.5)
        assert_eq!(paired_speedup_ratio(&k1, &kt, &s1, &short), 1.5);
    }
    /// The order in which `order` runs three contenders over three rounds.
    fn order_of(order: Order) -> Vec<usize> {
        let seen = std::cell::RefCell::new(Vec::new());
        let mut cands: Vec<Candidate<'_>> = (0..3)
            .map(|i| {
                let seen = &seen;
                Candidate::new(format!("{i}"), move |_| seen.borrow_mut().push(i))
            })
            .collect();
        let schedule = Schedule {
            order,
            calibration: Calibration::Fixed(1),
            min_rounds: 3,
            max_rounds: 3,
            budget: Duration::ZERO,
            prime: false,
        };
        let s = run_rounds(&mut cands, &schedule);
        drop(cands);
        assert!(s.iter().all(|s| s.inner == 1 && s.rounds.len() == 3));
        seen.into_inner()
    }

    #[test]
    fn rotated_and_listed_orders() {
        assert_eq!(order_of(Order::Rotated), [0, 1, 2, 1, 2, 0, 2, 0, 1]);
        assert_eq!(order_of(Order::Listed), [0, 1, 2, 0, 1, 2, 0, 1, 2]);
    }

    #[test]
    fn first_call_calibration_sizes_each_contender_and_rounds_fill_the_budget() {
        let mut calls = [0usize; 2];
        let [a, b] = &mut calls;
        let mut cands = vec![
            Candidate::new("slow", |n| {
                std::thread::sleep(Duration::from_millis(2 * n as u64));
                *a += n;
            }),
            Candidate::new("fast", |n| *b += n),
        ];
        let schedule = Schedule {
            order: Order::Rotated,
            calibration: Calibration::FirstCall {
                sample: Duration::from_millis(1),
                max_calls: 50,
            },
            min_rounds: 2,
            max_rounds: 5,
            budget: Duration::from_secs(10),
            prime: false,
        };
        let s = run_rounds(&mut cands, &schedule);
        drop(cands);
        assert_eq!((s[0].inner, s[1].inner), (1, 50));
        assert_eq!(s[0].samples, 5, "the budget allows the most rounds");
        assert_eq!(calls, [1 + 5, 1 + 5 * 50]);
    }

    #[test]
    fn calls_per_sample_is_clamped() {
        let ms = Duration::from_millis(1);
        assert_eq!(calls_per_sample(0.0, ms, 7), 7);
        assert_eq!(calls_per_sample(1e-9, ms, 7), 7);
        assert_eq!(calls_per_sample(3e-4, ms, 7), 3);
        assert_eq!(calls_per_sample(1.0, ms, 7), 1);
    }
}
