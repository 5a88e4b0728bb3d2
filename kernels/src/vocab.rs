//! The one kernel vocabulary: which kernels exist ([`Kernel`]), which element
//! types they run on ([`Dtype`]), which family implements each one
//! ([`Family`]), and the policies a kernel call takes besides its data: how
//! a reduction reads its input ([`Fetch`], [`Streams`]) and how a map
//! writes its output ([`Store`]). The plan picks the policies; the kernels
//! only obey them.
//!
//! Every front end derives its names from here: the CLI, the report, the
//! parity matrix, the Python package (`simdpar.KERNEL_NAMES`). The names are
//! NumPy's where NumPy has the operation (`add`, `multiply`, `square`,
//! `sum`) and simdpar's own otherwise (`row_sums`, `scale`, `leaky_relu`,
//! `mandelbrot`).

use std::fmt;
use std::str::FromStr;

/// A kernel of simdpar, in a stable order ([`Kernel::ALL`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kernel {
    /// Sum of a slice in the fixed order of [`crate::reduce`].
    Sum,
    /// Sum of every row of a row-major matrix.
    RowSums,
    /// `out[i] = a[i] + b[i]`.
    Add,
    /// `out[i] = a[i] * b[i]`.
    Multiply,
    /// `out[i] = x[i] * x[i]`.
    Square,
    /// `out[i] = x[i] * factor`.
    Scale,
    /// `out[i] = x[i] > 0 ? x[i] : alpha * x[i]` (the standard leaky ReLU).
    LeakyRelu,
    /// Iteration counts of a Mandelbrot grid.
    Mandelbrot,
}

/// The implementation family of a kernel: one folder of `simdpar-kernels`
/// (`reduce/`, `map/`, `mandelbrot/`) with one file per ISA. Every kernel of
/// a family runs on the same ISA for a given dtype.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Family {
    /// `sum`, `row_sums` ([`crate::reduce`]).
    Reduce,
    /// The elementwise kernels ([`crate::map`]).
    Map,
    /// `mandelbrot` ([`mod@crate::mandelbrot`]).
    Mandelbrot,
}

/// An element type simdpar computes on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dtype {
    /// IEEE-754 binary32 (`f32`, NumPy's `float32`).
    F32,
    /// IEEE-754 binary64 (`f64`, NumPy's `float64`).
    F64,
}

/// A name that is not a [`Kernel`], [`Dtype`] or [`Family`]; its message
/// lists the names that are.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownName {
    /// What was being parsed: `"kernel"`, `"dtype"` or `"family"`.
    pub what: &'static str,
    /// The name given.
    pub name: String,
    /// Every valid name, in order.
    pub known: &'static [&'static str],
}

impl fmt::Display for UnknownName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "unknown {} {:?} (known: {})",
            self.what,
            self.name,
            self.known.join(", ")
        )
    }
}

impl std::error::Error for UnknownName {}

/// Implements `name`, `ALL`, `NAMES`, `from_name`, `Display` and `FromStr`
/// for a fieldless enum from one `(variant, "name")` list, so a name is
/// written exactly once.
macro_rules! named_enum {
    ($ty:ident, $what:literal, [$(($variant:ident, $name:literal)),+ $(,)?]) => {
        impl $ty {
            /// Every value, in the stable order used by reports and tables.
            pub const ALL: [$ty; [$($name),+].len()] = [$($ty::$variant),+];
            /// Every name, in the order of `ALL`.
            pub const NAMES: [&'static str; [$($name),+].len()] = [$($name),+];

            /// The lower-case name used in JSON, Python, the CLI and reports.
            pub const fn name(self) -> &'static str {
                match self {
                    $($ty::$variant => $name),+
                }
            }

            /// The value with this name, if any (exact, lower-case match).
            pub fn from_name(name: &str) -> Option<$ty> {
                match name {
                    $($name => Some($ty::$variant),)+
                    _ => None,
                }
            }
        }

        impl fmt::Display for $ty {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.name())
            }
        }

        impl FromStr for $ty {
            type Err = UnknownName;
            fn from_str(s: &str) -> Result<Self, UnknownName> {
                $ty::from_name(s).ok_or_else(|| UnknownName {
                    what: $what,
                    name: s.to_string(),
                    known: &$ty::NAMES,
                })
            }
        }
    };
}

named_enum!(
    Kernel,
    "kernel",
    [
        (Sum, "sum"),
        (RowSums, "row_sums"),
        (Add, "add"),
        (Multiply, "multiply"),
        (Square, "square"),
        (Scale, "scale"),
        (LeakyRelu, "leaky_relu"),
        (Mandelbrot, "mandelbrot"),
    ]
);
named_enum!(Dtype, "dtype", [(F32, "f32"), (F64, "f64")]);
named_enum!(
    Family,
    "family",
    [(Reduce, "reduce"), (Map, "map"), (Mandelbrot, "mandelbrot")]
);

impl Kernel {
    /// The family that implements this kernel.
    pub const fn family(self) -> Family {
        match self {
            Kernel::Sum | Kernel::RowSums => Family::Reduce,
            Kernel::Mandelbrot => Family::Mandelbrot,
            Kernel::Add | Kernel::Multiply | Kernel::Square | Kernel::Scale | Kernel::LeakyRelu => {
                Family::Map
            }
        }
    }

    /// How many input arrays the kernel reads: 2 for `add` / `multiply`, 0
    /// for `mandelbrot` (it reads a grid description), 1 otherwise.
    pub const fn inputs(self) -> usize {
        match self {
            Kernel::Add | Kernel::Multiply => 2,
            Kernel::Mandelbrot => 0,
            _ => 1,
        }
    }

    /// Whether the kernel has an in-place form that overwrites its first
    /// input (`square_inplace`, `add_assign`, ...).
    pub const fn has_inplace(self) -> bool {
        matches!(self.family(), Family::Map)
    }

    /// Whether the kernel returns one value per row or for the whole input
    /// (a reduction) rather than one value per element.
    pub const fn is_reduction(self) -> bool {
        matches!(self.family(), Family::Reduce)
    }
}

impl Family {
    /// The kernel this family is measured on (the tuner's cells, the
    /// built-in thread thresholds): `sum`, `add`, `mandelbrot`.
    pub const fn representative(self) -> Kernel {
        match self {
            Family::Reduce => Kernel::Sum,
            Family::Map => Kernel::Add,
            Family::Mandelbrot => Kernel::Mandelbrot,
        }
    }

    /// The kernels of this family, in [`Kernel::ALL`] order.
    pub fn kernels(self) -> impl Iterator<Item = Kernel> {
        Kernel::ALL.into_iter().filter(move |k| k.family() == self)
    }
}

impl Dtype {
    /// Bytes per element.
    pub const fn size_bytes(self) -> usize {
        match self {
            Dtype::F32 => 4,
            Dtype::F64 => 8,
        }
    }
}

/// How an out-of-place kernel writes its output. Every policy gives the
/// same bits; they differ in speed only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Store {
    /// Ordinary stores (the output stays in cache), four vectors loaded
    /// ahead of their four stores per loop step: fastest while the arrays
    /// fit in the level-1 data cache.
    Cached,
    /// Ordinary stores, one cache line of output per loop step (each vector
    /// loaded, computed and stored before the next) where a vector is a
    /// whole line (AVX-512; other ISAs run [`Store::Cached`]'s loop): faster
    /// for one-input kernels once the arrays outgrow L1 while they fit in a
    /// quarter of L2 (evidence:
    /// `docs/measurements.md#a-cache-line-per-loop-step-storebyline`).
    ByLine,
    /// Non-temporal stores where the ISA has them (the output bypasses the
    /// cache; pays only when the output would not fit in it anyway).
    Streaming,
}

impl Store {
    /// `cached`, `by_line` or `nt` (non-temporal), for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Store::Cached => "cached",
            Store::ByLine => "by_line",
            Store::Streaming => "nt",
        }
    }
}

/// How a reduction reads its input. Either way the additions, and so the
/// bits, are the same. [`crate::plan::fetch_for`] picks it per call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fetch {
    /// Plain loads: the hardware prefetchers alone bring the lines in
    /// (best while the input is in cache, where a prefetch instruction only
    /// costs issue slots).
    OnDemand,
    /// Each loop step also prefetches the lines it will read 2 KiB later
    /// (on AVX2 and AVX-512; other ISAs read on demand). Pays once the input
    /// comes from DRAM: it keeps more line fills in flight than the
    /// hardware prefetchers start on their own.
    Ahead,
}

impl Fetch {
    /// `on_demand` or `ahead`, for tables and JSON.
    pub fn name(self) -> &'static str {
        match self {
            Fetch::OnDemand => "on_demand",
            Fetch::Ahead => "ahead",
        }
    }
}

/// How many parts of its input a loop walks side by side (1, 2 or 4
/// sequential streams: more line fills in flight on one thread).
///
/// `sum` reads each large complete subtree of its block tree this way (its
/// equal, power-of-two sub-subtrees, block `j` of each in one loop step,
/// each with its own block-tree stack): every count gives the same
/// additions, and so the same bits; [`crate::plan::read_streams`] picks it
/// per dtype and ISA, and `row_sums` always reads one stream. The
/// bandwidth probes ([`crate::bandwidth`]) walk their arrays this way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Streams {
    /// One stream, front to back.
    One,
    /// The two halves side by side.
    Two,
    /// The four quarters side by side.
    Four,
}

impl Streams {
    /// Every count, fewest first.
    pub const ALL: [Streams; 3] = [Streams::One, Streams::Two, Streams::Four];

    /// The number of streams: 1, 2 or 4.
    pub const fn count(self) -> usize {
        match self {
            Streams::One => 1,
            Streams::Two => 2,
            Streams::Four => 4,
        }
    }

    /// The count `n` (1, 2 or 4), if it is one.
    pub const fn from_count(n: usize) -> Option<Streams> {
        match n {
            1 => Some(Streams::One),
            2 => Some(Streams::Two),
            4 => Some(Streams::Four),
            _ => None,
        }
    }

    /// `1`, `2` or `4`, for tables, JSON and the profile's `streams` line.
    pub const fn name(self) -> &'static str {
        match self {
            Streams::One => "1",
            Streams::Two => "2",
            Streams::Four => "4",
        }
    }
}

impl fmt::Display for Streams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for k in Kernel::ALL {
            assert_eq!(Kernel::from_name(k.name()), Some(k));
            assert_eq!(k.to_string().parse::<Kernel>(), Ok(k));
        }
        let mut names = Kernel::NAMES.to_vec();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), Kernel::ALL.len());
        for d in Dtype::ALL {
            assert_eq!(d.name().parse::<Dtype>(), Ok(d));
        }
    }

    #[test]
    fn unknown_names_list_the_known_ones() {
        let e = "relu".parse::<Kernel>().unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("unknown kernel \"relu\""), "{msg}");
        assert!(
            msg.contains("leaky_relu") && msg.contains("mandelbrot"),
            "{msg}"
        );
        assert!("f16".parse::<Dtype>().is_err());
        assert!("Sum".parse::<Kernel>().is_err(), "names are lower-case");
    }

    #[test]
    fn arity_and_families() {
        assert_eq!(Kernel::Add.inputs(), 2);
        assert_eq!(Kernel::Multiply.inputs(), 2);
        assert_eq!(Kernel::Mandelbrot.inputs(), 0);
        assert_eq!(Kernel::Sum.inputs(), 1);
        assert_eq!(
            Family::Reduce.kernels().collect::<Vec<_>>(),
            [Kernel::Sum, Kernel::RowSums]
        );
        assert_eq!(Family::Map.kernels().count(), 5);
        assert!(Kernel::Square.has_inplace() && !Kernel::Sum.has_inplace());
        assert_eq!(Dtype::F64.size_bytes(), 8);
    }

    #[test]
    fn read_streams_name_their_counts() {
        for s in Streams::ALL {
            assert_eq!(Streams::from_count(s.count()), Some(s));
            assert_eq!(s.name(), s.count().to_string());
        }
        assert_eq!(Streams::from_count(3), None);
        assert_eq!(Streams::from_count(0), None);
    }
}
