//! The tuner: measures, on the machine that runs it, which ISA is fastest
//! and whether threads pay for each kernel group x dtype x size class,
//! from which output size non-temporal stores pay, whether reductions
//! beyond the last-level cache should prefetch ahead, and how many
//! interleaved streams `sum` reads its large subtrees as (1, 2 or 4, on
//! one thread, beyond and inside the last-level cache); the result is a
//! [`Profile`](super::profile::Profile) that [`crate::plan()`] then follows.
//!
//! Method: for each cell, one kernel per group that behaves alike (`sum`,
//! `row_sums`, `add` for two-input maps, `scale` for one-input maps,
//! `mandelbrot`; see [`AppliesTo::group_of`](super::profile::AppliesTo::group_of))
//! at a size inside the class; every contender (each available ISA but
//! scalar, on 1 and on all threads) runs once per round on the timing
//! engine ([`crate::timing`]), in a rotated order, for several rounds;
//! each sample repeats the call for about 2 ms. Decisions use medians of
//! per-round ratios (contender vs the built-in default's ISA; all threads
//! vs one; streaming vs cached stores), which survive a machine whose load
//! changes between rounds. A variant must win by more than [`MARGIN`] to
//! be chosen (so noise keeps the default). The whole run takes at most
//! about the budget. Tune on a quiet machine: a profile measured under
//! load records that threads did not pay then.
//!
//! Then the tuner checks its own profile ([`check()`]): on a held-out grid
//! (sibling kernels, in-place calls and other sizes than it chose on) it
//! times every call whose plan the profile changes against the built-in
//! defaults, interleaved, and drops each choice that loses anywhere by more
//! than [`MARGIN`].
//!
//! The pieces: the calls timed (`bench.rs`), timing and comparing them
//! (`race.rs`), measuring a machine (`measure.rs`), the check (`check.rs`).

mod bench;
mod check;
mod measure;
mod race;

pub use check::{
    CheckReport, ChoiceKey, PairSamples, Point, PointResult, Verdict, check, check_with,
    held_out_grid,
};
pub use measure::{CellResult, MEASURED, StreamsResult, StreamsSize, TuneReport, measure, tune};
pub use race::MARGIN;
