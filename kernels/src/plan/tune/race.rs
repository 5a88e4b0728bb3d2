//! How the tuner times contenders: on the one timing engine
//! ([`crate::timing`]), interleaved in rotated rounds within an
//! allowance, and compared by paired per-round ratios against
//! [`MARGIN`].

use crate::timing::{self, Stats};
use std::time::Duration;

/// A variant must beat the simpler one by this factor to be chosen; the
/// check drops a choice that runs slower than the defaults by more.
pub const MARGIN: f64 = 1.03;
/// Fewest rounds per cell, whatever the budget.
const MIN_ROUNDS: usize = 3;
/// Most rounds per cell.
const MAX_ROUNDS: usize = 201;
/// Target duration of one sample (the call repeated).
const SAMPLE: Duration = Duration::from_millis(2);

/// The samples of every contender of one race, in contender order.
pub(super) type Samples = Vec<Stats>;

/// Median over rounds of `s[base] / s[other]` per round: above 1 when
/// `other` is faster.
pub(super) fn paired_speedup(s: &Samples, base: usize, other: usize) -> f64 {
    timing::paired_ratio(&s[base], &s[other])
}

/// Times contenders interleaved until `allowance` is spent (within
/// [`MIN_ROUNDS`, `MAX_ROUNDS`]); returns every contender's samples
/// (seconds per call).
pub(super) fn race(contenders: &mut [&mut dyn FnMut()], allowance: Duration) -> Samples {
    let mut batched: Vec<Box<dyn FnMut(usize) + '_>> = contenders
        .iter_mut()
        .map(|c| {
            Box::new(move |n: usize| {
                for _ in 0..n {
                    c();
                }
            }) as Box<dyn FnMut(usize)>
        })
        .collect();
    let mut refs: Vec<&mut dyn FnMut(usize)> = batched.iter_mut().map(|b| &mut **b as _).collect();
    race_batched(&mut refs, allowance)
}

/// [`race`] for contenders that make `n` calls when asked for `n` (so one
/// that sets something up per sample does it outside the repeated call):
/// rounds in a rotated order, each contender's warm-up call sizing its
/// samples to about [`SAMPLE`].
pub(super) fn race_batched(
    contenders: &mut [&mut dyn FnMut(usize)],
    allowance: Duration,
) -> Samples {
    let mut cands: Vec<timing::Candidate<'_>> = contenders
        .iter_mut()
        .map(|c| timing::Candidate::new("", c))
        .collect();
    let schedule = timing::Schedule {
        order: timing::Order::Rotated,
        calibration: timing::Calibration::FirstCall {
            sample: SAMPLE,
            max_calls: 100_000,
        },
        min_rounds: MIN_ROUNDS,
        max_rounds: MAX_ROUNDS,
        budget: allowance,
        prime: false,
    };
    timing::run_rounds(&mut cands, &schedule)
}
