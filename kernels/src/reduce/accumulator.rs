//! [`SumAccumulator`]: the fixed-order sum, fed piece by piece.
//!
//! The fixed order (see [`crate::reduce`]) is a tree over blocks of
//! `B` = [`Element::SUM_BLOCK`] elements, so a sum can be assembled from
//! pieces without changing a single bit, provided each piece knows *where*
//! in the whole stream it lies. An accumulator therefore covers one
//! contiguous range of element positions `[start, start + len)` and keeps:
//!
//! * **head**: when `start` is not a multiple of `B`, the raw elements from
//!   `start` up to the next block boundary (fewer than `B`): their block
//!   cannot be summed until the elements before `start` arrive;
//! * **nodes**: the sums of complete *aligned* subtrees of the block tree,
//!   blocks `[j * 2^k, (j + 1) * 2^k)`, in order, merged as soon as a node's
//!   sibling is present (at most about two per bit of the block count);
//! * **tail**: the `L` = [`Element::SUM_LANES`] lane accumulators of the
//!   last, unfinished block (which later elements continue).
//!
//! So the state is small (at most `B - 1` raw values, `L` lanes and
//! `2 * 64` node sums) whatever the number of elements it stands for.
//! Every addition the accumulator performs is one of the additions of the
//! fixed order, on the same operands, so [`SumAccumulator::result`] is
//! **bitwise identical** to [`crate::sum`] of the concatenation, for any
//! way of cutting the stream into pieces and any order of merging
//! neighbouring pieces.
//!
//! # Contract
//!
//! The result is identical, bit for bit (a NaN result is always
//! [`Element::CANONICAL_NAN`]), across ISAs, thread counts, the
//! ways a stream is cut into pieces, the order in which neighbouring pieces
//! are merged, and the processes or machines the pieces were summed on (a
//! state travels as bytes). It is the fixed-order sum, so its error bound is
//! that of [`crate::reduce`], unchanged.
//!
//! # Byte encoding (version 1)
//!
//! [`SumAccumulator::to_bytes`] writes, all integers little-endian:
//!
//! | bytes | content |
//! |---|---|
//! | 0..4 | magic `b"SPSA"` |
//! | 4..6 | version, `u16` = 1 |
//! | 6 | dtype: 32 for `f32`, 64 for `f64` |
//! | 7 | reserved, 0 |
//! | 8..16 | `start`, `u64` |
//! | 16..24 | `len`, `u64` |
//! | then | the head's raw values, then one sum per node, then (only if the tail block holds elements) the `L` lanes; each value as the IEEE-754 bits of the dtype (`u32` / `u64`) |
//!
//! The numbers of head values and nodes, and the presence of the lanes,
//! follow from `start`, `len` and the dtype (nodes are the canonical split
//! of the complete blocks into maximal aligned power-of-two runs), so the
//! encoding has exactly one valid length. [`SumAccumulator::from_bytes`]
//! refuses anything else with an [`AccumulatorError`]: another magic,
//! version or dtype, a wrong length, or lanes past the tail that are not
//! `-0.0`.

use std::fmt;

use crate::Element;

/// The magic bytes that open an encoded accumulator.
pub const ACCUMULATOR_MAGIC: [u8; 4] = *b"SPSA";
/// The encoding version [`SumAccumulator::to_bytes`] writes and
/// [`SumAccumulator::from_bytes`] reads.
pub const ACCUMULATOR_VERSION: u16 = 1;
/// Size of the fixed part of the encoding (magic .. len).
const HEADER_LEN: usize = 24;

/// Why an accumulator operation or a decoding was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AccumulatorError {
    /// [`SumAccumulator::merge`]: `other` does not start where this one ends.
    NotAdjacent {
        /// Position after the last element of this accumulator.
        end: u64,
        /// Position of the first element of the other one.
        other_start: u64,
    },
    /// [`SumAccumulator::result`]: the accumulator does not start at
    /// position 0, so it does not hold a whole stream.
    NotFromStart {
        /// Where it starts.
        start: u64,
    },
    /// Adding would move the end position past `u64::MAX`.
    PositionOverflow,
    /// The bytes do not start with [`ACCUMULATOR_MAGIC`].
    BadMagic,
    /// The bytes use an encoding version this build does not read.
    UnsupportedVersion {
        /// The version in the bytes.
        found: u16,
        /// The version this build reads.
        supported: u16,
    },
    /// The bytes hold another dtype than the one asked for.
    WrongDtype {
        /// The dtype asked for (`"f32"` / `"f64"`).
        expected: &'static str,
        /// The dtype in the bytes (`"f32"`, `"f64"` or `"code N"`).
        found: String,
    },
    /// The bytes are truncated or have trailing bytes.
    BadLength {
        /// The length the header implies.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The bytes are well-formed but describe an impossible state.
    Corrupt(&'static str),
}

impl fmt::Display for AccumulatorError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAdjacent { end, other_start } => write!(
                f,
                "cannot merge: this accumulator ends at element {end} but the other starts at {other_start} (merge only the piece that comes right after)"
            ),
            Self::NotFromStart { start } => write!(
                f,
                "no result: this accumulator starts at element {start}, not 0 (merge the pieces before it first)"
            ),
            Self::PositionOverflow => write!(f, "element position overflows u64"),
            Self::BadMagic => write!(f, "not an encoded SumAccumulator (bad magic bytes)"),
            Self::UnsupportedVersion { found, supported } => write!(
                f,
                "SumAccumulator encoding version {found} is not supported (this build reads version {supported})"
            ),
            Self::WrongDtype { expected, found } => {
                write!(
                    f,
                    "encoded SumAccumulator holds {found}, expected {expected}"
                )
            }
            Self::BadLength { expected, found } => write!(
                f,
                "encoded SumAccumulator has {found} bytes, its header implies {expected} (truncated or trailing data)"
            ),
            Self::Corrupt(what) => write!(f, "corrupt SumAccumulator encoding: {what}"),
        }
    }
}

impl std::error::Error for AccumulatorError {}

/// The dtype name stored in an encoded accumulator (`"f32"` or `"f64"`),
/// after checking its magic and version; lets a reader pick the type to
/// decode with.
pub fn encoded_dtype(bytes: &[u8]) -> Result<&'static str, AccumulatorError> {
    if bytes.len() < 8 {
        return Err(AccumulatorError::BadLength {
            expected: HEADER_LEN,
            found: bytes.len(),
        });
    }
    if bytes[..4] != ACCUMULATOR_MAGIC {
        return Err(AccumulatorError::BadMagic);
    }
    let version = u16::from_le_bytes([bytes[4], bytes[5]]);
    if version != ACCUMULATOR_VERSION {
        return Err(AccumulatorError::UnsupportedVersion {
            found: version,
            supported: ACCUMULATOR_VERSION,
        });
    }
    match bytes[6] {
        32 => Ok("f32"),
        64 => Ok("f64"),
        _ => Err(AccumulatorError::WrongDtype {
            expected: "f32 or f64",
            found: format!("code {}", bytes[6]),
        }),
    }
}

/// The sum of a complete aligned subtree: blocks
/// `[index << level, (index + 1) << level)`.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Node<T> {
    level: u32,
    index: u64,
    sum: T,
}

/// A running sum in simdpar's fixed order over one contiguous range of
/// element positions; see the [module docs](self).
///
/// ```
/// use simdpar_kernels::SumAccumulator;
///
/// let x: Vec<f32> = (0..5000).map(|i| (i as f32).sin() * 1e6).collect();
/// let mut left = SumAccumulator::new();
/// left.add(&x[..1234]);
/// let mut right = SumAccumulator::starting_at(1234);
/// right.add(&x[1234..]);
/// left.merge(&right)?;
/// assert_eq!(left.result()?.to_bits(), simdpar_kernels::sum(&x).to_bits());
/// # Ok::<(), simdpar_kernels::AccumulatorError>(())
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct SumAccumulator<T: Element> {
    start: u64,
    len: u64,
    head: Vec<T>,
    nodes: Vec<Node<T>>,
    lanes: Vec<T>,
    tail_len: usize,
}

impl<T: Element> Default for SumAccumulator<T> {
    fn default() -> Self {
        Self::new()
    }
}

/// `T::SUM_BLOCK` as a position.
fn block<T: Element>() -> u64 {
    T::SUM_BLOCK as u64
}

/// The canonical split of blocks `[a, b)` into maximal aligned runs of
/// power-of-two length, as `(level, index)` pairs in order.
fn canonical_runs(mut a: u64, b: u64) -> Vec<(u32, u64)> {
    let mut runs = Vec::new();
    while a < b {
        let level = a.trailing_zeros().min(63 - (b - a).leading_zeros());
        runs.push((level, a >> level));
        a += 1 << level;
    }
    runs
}

/// Folds `L` lanes by halving (the block's lane tree): lane 0 is the sum.
fn lane_tree<T: Element>(lanes: &[T]) -> T {
    let mut l = lanes.to_vec();
    let mut w = l.len();
    while w > 1 {
        w /= 2;
        for j in 0..w {
            l[j] = l[j] + l[j + w];
        }
    }
    l[0]
}

/// The dtype code of `T` in the encoding.
fn dtype_code<T: Element>() -> u8 {
    (std::mem::size_of::<T>() * 8) as u8
}

impl<T: Element> SumAccumulator<T> {
    /// An empty accumulator for a stream that starts here (position 0).
    pub fn new() -> Self {
        Self::starting_at(0)
    }

    /// An empty accumulator whose first element will be element number
    /// `start` of the whole stream (for pieces summed apart and merged
    /// later, such as the chunks of a distributed array).
    pub fn starting_at(start: u64) -> Self {
        Self {
            start,
            len: 0,
            head: Vec::new(),
            nodes: Vec::new(),
            lanes: vec![T::NEG_ZERO; T::SUM_LANES],
            tail_len: 0,
        }
    }

    /// Position of the first element this accumulator covers.
    pub fn start(&self) -> u64 {
        self.start
    }

    /// Number of elements added (directly or by merging).
    pub fn len(&self) -> u64 {
        self.len
    }

    /// `true` when no element has been added.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Position after the last element: where the next piece starts.
    pub fn end(&self) -> u64 {
        self.start + self.len
    }

    /// How many raw elements the head holds when full (0 if `start` is on a
    /// block boundary).
    fn head_cap(&self) -> u64 {
        match self.start % block::<T>() {
            0 => 0,
            r => block::<T>() - r,
        }
    }

    /// Appends a complete aligned subtree and merges it with its left
    /// sibling (repeatedly) when that is present. Every node sum kept is
    /// NaN-canonical, so two accumulators over the same elements hold the
    /// same node bits whichever way they were cut and merged.
    fn push(&mut self, mut node: Node<T>) {
        node.sum = node.sum.canonical_nan();
        self.nodes.push(node);
        while let [.., l, r] = self.nodes[..] {
            if l.level == r.level && l.index % 2 == 0 && l.index + 1 == r.index {
                self.nodes.truncate(self.nodes.len() - 2);
                self.nodes.push(Node {
                    level: l.level + 1,
                    index: l.index / 2,
                    sum: (l.sum + r.sum).canonical_nan(),
                });
            } else {
                break;
            }
        }
    }

    /// Adds `xs` (at most the rest of the tail block) to the tail lanes and
    /// closes the block when it is full.
    fn add_to_tail(&mut self, xs: &[T]) {
        let l = T::SUM_LANES;
        for (i, &v) in xs.iter().enumerate() {
            let lane = (self.tail_len + i) % l;
            self.lanes[lane] = self.lanes[lane] + v;
        }
        self.tail_len += xs.len();
        self.len += xs.len() as u64;
        if self.tail_len == T::SUM_BLOCK {
            let sum = lane_tree(&self.lanes);
            let index = self.end() / block::<T>() - 1;
            self.lanes.fill(T::NEG_ZERO);
            self.tail_len = 0;
            self.push(Node {
                level: 0,
                index,
                sum,
            });
        }
    }

    /// Appends the elements of `x`, in order, after those already held.
    ///
    /// Whole aligned runs of blocks are summed by the dispatched
    /// [`crate::sum`] kernel (one call per run), so adding a large slice
    /// runs at the speed of `sum`.
    ///
    /// Errors (nothing added) only if the end position would pass
    /// `u64::MAX`.
    pub fn add(&mut self, x: &[T]) -> Result<(), AccumulatorError> {
        self.end()
            .checked_add(x.len() as u64)
            .ok_or(AccumulatorError::PositionOverflow)?;
        let mut x = x;
        let b = T::SUM_BLOCK;
        // Head: elements before the first block boundary after `start`.
        let cap = self.head_cap();
        if self.len < cap {
            let take = x.len().min((cap - self.len) as usize);
            self.head.extend_from_slice(&x[..take]);
            self.len += take as u64;
            x = &x[take..];
        }
        if x.is_empty() {
            return Ok(());
        }
        // Finish the open tail block.
        if self.tail_len > 0 {
            let take = x.len().min(b - self.tail_len);
            self.add_to_tail(&x[..take]);
            x = &x[take..];
        }
        // Whole blocks, in maximal aligned runs.
        let full = x.len() / b;
        let first = self.end() / block::<T>();
        for (level, index) in canonical_runs(first, first + full as u64) {
            let lo = ((index << level) - first) as usize * b;
            let hi = lo + (b << level);
            let sum = crate::reduce::sum(&x[lo..hi]);
            self.push(Node { level, index, sum });
        }
        self.len += (full * b) as u64;
        self.add_to_tail(&x[full * b..]);
        Ok(())
    }

    /// Appends everything `other` holds after what this one holds.
    /// `other` must start where this one ends
    /// ([`AccumulatorError::NotAdjacent`] otherwise; nothing changes).
    pub fn merge(&mut self, other: &Self) -> Result<(), AccumulatorError> {
        if other.start != self.end() {
            return Err(AccumulatorError::NotAdjacent {
                end: self.end(),
                other_start: other.start,
            });
        }
        // Its head completes this one's open block (or head).
        self.add(&other.head)?;
        if other.len == other.head.len() as u64 {
            return Ok(());
        }
        debug_assert!(self.tail_len == 0 && self.end().is_multiple_of(block::<T>()));
        for &node in &other.nodes {
            self.push(node);
            self.len += block::<T>() << node.level;
        }
        self.lanes.copy_from_slice(&other.lanes);
        self.tail_len = other.tail_len;
        self.len += other.tail_len as u64;
        debug_assert_eq!(self.end(), other.end());
        Ok(())
    }

    /// The sum of all elements from position 0 to [`end`](Self::end), bitwise
    /// identical to [`crate::sum`] (and [`crate::par::sum`]) of their
    /// concatenation; `+0.0` when empty; [`Element::CANONICAL_NAN`] when
    /// NaN, whatever the cut. Errors with
    /// [`AccumulatorError::NotFromStart`] when this accumulator does not
    /// start at 0.
    pub fn result(&self) -> Result<T, AccumulatorError> {
        if self.start != 0 {
            return Err(AccumulatorError::NotFromStart { start: self.start });
        }
        if self.len == 0 {
            return Ok(T::ZERO);
        }
        // The block tree's remaining groups, folded right to left, with the
        // unfinished block as the last leaf.
        let mut sums = self.nodes.iter().map(|n| n.sum).rev();
        let mut total = if self.tail_len > 0 {
            lane_tree(&self.lanes)
        } else {
            sums.next()
                .expect("a non-empty accumulator has a node or a tail")
        };
        for s in sums {
            total = s + total;
        }
        // The result is NaN exactly when `crate::sum` is; make it the same
        // NaN (see `crate::reduce`, rule 6).
        Ok(total.canonical_nan())
    }

    /// The stable byte encoding (version [`ACCUMULATOR_VERSION`], see the
    /// [module docs](self)); [`from_bytes`](Self::from_bytes) restores an
    /// equal accumulator on any machine.
    pub fn to_bytes(&self) -> Vec<u8> {
        let size = std::mem::size_of::<T>();
        let values = self.head.len()
            + self.nodes.len()
            + if self.tail_len > 0 {
                self.lanes.len()
            } else {
                0
            };
        let mut out = Vec::with_capacity(HEADER_LEN + values * size);
        out.extend_from_slice(&ACCUMULATOR_MAGIC);
        out.extend_from_slice(&ACCUMULATOR_VERSION.to_le_bytes());
        out.push(dtype_code::<T>());
        out.push(0);
        out.extend_from_slice(&self.start.to_le_bytes());
        out.extend_from_slice(&self.len.to_le_bytes());
        let mut put = |v: T| out.extend_from_slice(&v.to_bits_u64().to_le_bytes()[..size]);
        self.head.iter().for_each(|&v| put(v));
        self.nodes.iter().for_each(|n| put(n.sum));
        if self.tail_len > 0 {
            self.lanes.iter().for_each(|&v| put(v));
        }
        out
    }

    /// Restores an accumulator from [`to_bytes`](Self::to_bytes) output.
    /// Refuses (never panics on) bytes with another magic, version or
    /// dtype, a wrong length, or an impossible state.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, AccumulatorError> {
        let dtype = encoded_dtype(bytes)?;
        if dtype != T::NAME {
            return Err(AccumulatorError::WrongDtype {
                expected: T::NAME,
                found: dtype.to_string(),
            });
        }
        if bytes.len() < HEADER_LEN {
            return Err(AccumulatorError::BadLength {
                expected: HEADER_LEN,
                found: bytes.len(),
            });
        }
        if bytes[7] != 0 {
            return Err(AccumulatorError::Corrupt("reserved byte is not 0"));
        }
        let word = |at: usize| {
            let mut w = [0u8; 8];
            w.copy_from_slice(&bytes[at..at + 8]);
            u64::from_le_bytes(w)
        };
        let (start, len) = (word(8), word(16));
        let end = start
            .checked_add(len)
            .ok_or(AccumulatorError::Corrupt("start + len overflows"))?;
        let mut acc = Self::starting_at(start);
        let b = block::<T>();
        let head_len = len.min(acc.head_cap());
        let (runs, tail_len) = if len >= acc.head_cap() {
            let first = (start + head_len) / b;
            (canonical_runs(first, end / b), (end % b) as usize)
        } else {
            (Vec::new(), 0)
        };
        let lanes = if tail_len > 0 { T::SUM_LANES } else { 0 };
        let size = std::mem::size_of::<T>();
        let expected = (head_len as usize)
            .checked_add(runs.len() + lanes)
            .and_then(|n| n.checked_mul(size))
            .and_then(|n| n.checked_add(HEADER_LEN))
            .ok_or(AccumulatorError::Corrupt("length overflows"))?;
        if bytes.len() != expected {
            return Err(AccumulatorError::BadLength {
                expected,
                found: bytes.len(),
            });
        }
        let mut values = bytes[HEADER_LEN..].chunks_exact(size).map(|c| {
            let mut w = [0u8; 8];
            w[..size].copy_from_slice(c);
            T::from_bits_u64(u64::from_le_bytes(w))
        });
        acc.len = len;
        acc.head = values.by_ref().take(head_len as usize).collect();
        acc.nodes = runs
            .into_iter()
            .zip(values.by_ref())
            .map(|((level, index), sum)| Node { level, index, sum })
            .collect();
        if tail_len > 0 {
            acc.lanes = values.collect();
            let unused = tail_len.min(T::SUM_LANES);
            if acc.lanes[unused..]
                .iter()
                .any(|v| v.to_bits_u64() != T::NEG_ZERO.to_bits_u64())
            {
                return Err(AccumulatorError::Corrupt(
                    "a lane past the tail block's elements is not -0.0",
                ));
            }
        }
        acc.tail_len = tail_len;
        Ok(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The nodes of an accumulator built by any route are the canonical
    /// runs of its complete blocks (what the encoding relies on).
    #[test]
    fn nodes_are_canonical_after_adds_and_merges() {
        let b = 1024u64;
        let x: Vec<f32> = (0..20_000).map(|i| i as f32).collect();
        for &(cut1, cut2) in &[(0, 0), (5, 3000), (1024, 4096), (1500, 9000), (7, 19_999)] {
            let mut a = SumAccumulator::<f32>::new();
            a.add(&x[..cut1]).unwrap();
            let mut m = SumAccumulator::starting_at(cut1 as u64);
            m.add(&x[cut1..cut2.max(cut1)]).unwrap();
            let mut r = SumAccumulator::starting_at(cut2.max(cut1) as u64);
            r.add(&x[cut2.max(cut1)..]).unwrap();
            m.merge(&r).unwrap();
            for acc in [&m, &r] {
                let first = (acc.start + acc.head.len() as u64).div_ceil(b);
                let runs: Vec<_> = acc.nodes.iter().map(|n| (n.level, n.index)).collect();
                assert_eq!(runs, canonical_runs(first, acc.end() / b));
            }
            a.merge(&m).unwrap();
            let runs: Vec<_> = a.nodes.iter().map(|n| (n.level, n.index)).collect();
            assert_eq!(runs, canonical_runs(0, a.end() / b));
        }
    }

    #[test]
    fn canonical_runs_are_maximal_aligned() {
        assert_eq!(canonical_runs(0, 6), vec![(2, 0), (1, 2)]);
        assert_eq!(canonical_runs(1, 4), vec![(0, 1), (1, 1)]);
        assert_eq!(canonical_runs(3, 3), vec![]);
        assert_eq!(canonical_runs(3, 13), vec![(0, 3), (2, 1), (2, 2), (0, 12)]);
    }
}
