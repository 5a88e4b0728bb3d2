//! The profile type, keyed by the kernel vocabulary, and its text format
//! (version 1; see [`crate::plan::profile`]): parsing never panics, and
//! printing gives text that parses back to the same profile.

use crate::plan::size_class::SizeClass;
use crate::vocab::{Dtype, Family, Kernel, Streams};
use simdpar_dispatch::Isa;
use std::collections::BTreeMap;
use std::fmt;

/// The first line of every profile of this format version.
pub const PROFILE_HEADER: &str = "simdpar-tune 1";

/// What an `entry` line applies to: every kernel of a family, or the group
/// of kernels that one measured kernel stands for. A group's entry wins
/// over its family's for the kernels of the group.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum AppliesTo {
    /// Every kernel of the family, measured on its representative
    /// ([`Family::representative`]).
    Family(Family),
    /// The kernels [`AppliesTo::group_of`] maps to this one: `sum`,
    /// `row_sums`, `add` (the two-input maps) or `scale` (the one-input
    /// maps).
    Group(Kernel),
}

impl AppliesTo {
    /// The entry measured for the kernels that behave like `kernel`:
    /// `sum` and `row_sums` each for itself, `add` for the two-input maps
    /// (`add`, `multiply`), `scale` for the one-input maps (`square`,
    /// `scale`, `leaky_relu`); `mandelbrot` is a family of one kernel, so
    /// its group is its family.
    pub const fn group_of(kernel: Kernel) -> AppliesTo {
        match kernel {
            Kernel::Sum => AppliesTo::Group(Kernel::Sum),
            Kernel::RowSums => AppliesTo::Group(Kernel::RowSums),
            Kernel::Add | Kernel::Multiply => AppliesTo::Group(Kernel::Add),
            Kernel::Square | Kernel::Scale | Kernel::LeakyRelu => AppliesTo::Group(Kernel::Scale),
            Kernel::Mandelbrot => AppliesTo::Family(Family::Mandelbrot),
        }
    }

    /// The kernel an entry for this was measured on, whose elements its
    /// `threads_from` counts: the group's kernel, or the family's
    /// representative.
    pub const fn measured_on(self) -> Kernel {
        match self {
            AppliesTo::Family(f) => f.representative(),
            AppliesTo::Group(k) => k,
        }
    }

    /// The name in an `entry` line: the family's or the group kernel's.
    pub const fn name(self) -> &'static str {
        match self {
            AppliesTo::Family(f) => f.name(),
            AppliesTo::Group(k) => k.name(),
        }
    }

    /// Parses [`AppliesTo::name`]: a family name first (`mandelbrot` is
    /// the family), else the name of a kernel that stands for a group.
    pub fn from_name(name: &str) -> Option<AppliesTo> {
        if let Some(f) = Family::from_name(name) {
            return Some(AppliesTo::Family(f));
        }
        let group = AppliesTo::group_of(Kernel::from_name(name)?);
        (group.name() == name).then_some(group)
    }
}

impl fmt::Display for AppliesTo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a profile says for one family or group x dtype x size class.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tuned {
    /// The fastest ISA measured on one thread: calls that do not split.
    pub isa: Isa,
    /// The fastest ISA measured on all threads: calls that split (the same
    /// as `isa` where splitting never paid).
    pub split_isa: Isa,
    /// Size (elements of [`AppliesTo::measured_on`]; pixels x iterations
    /// for Mandelbrot) from which splitting between threads paid; `None`:
    /// it never did.
    pub threads_from: Option<u64>,
}

/// A tuned profile (see [`crate::plan::profile`] for the file format).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Profile {
    /// The [`simdpar_dispatch::cpu_identity`] of the CPU it was measured on.
    pub cpu: String,
    /// Per (family or group, dtype, class).
    pub entries: BTreeMap<(AppliesTo, Dtype, SizeClass), Tuned>,
    /// Per dtype: output bytes from which out-of-place maps stream.
    pub nt_bytes: BTreeMap<Dtype, u64>,
    /// Per (group kernel, dtype): the same for the maps of one group
    /// (`add`: two inputs, `scale`: one), where measured apart; wins over
    /// `nt_bytes`.
    pub nt_kernel: BTreeMap<(Kernel, Dtype), u64>,
    /// Per dtype: whether reductions beyond the last-level cache prefetch
    /// ahead of their loads ([`crate::vocab::Fetch::Ahead`]).
    pub prefetch: BTreeMap<Dtype, bool>,
    /// Per dtype: how many interleaved streams `sum` reads its large
    /// subtrees as ([`Streams`]; on every ISA, measured on the one the
    /// plan picks); without a line, the ISA's built-in count.
    pub streams: BTreeMap<Dtype, Streams>,
}

/// Why a profile text was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProfileError {
    /// 1-based line number (0: the text as a whole).
    pub line: usize,
    /// What is wrong there.
    pub message: String,
}

impl fmt::Display for ProfileError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ProfileError {}

/// The group kernel an `nt` line may name: `add` (two-input maps) or
/// `scale` (one-input maps).
fn nt_group(name: &str) -> Option<Kernel> {
    match AppliesTo::from_name(name)? {
        AppliesTo::Group(k) if k.family() == Family::Map => Some(k),
        _ => None,
    }
}

impl Profile {
    /// An empty profile for this CPU.
    pub fn for_this_cpu() -> Profile {
        Profile {
            cpu: simdpar_dispatch::cpu_identity(),
            ..Profile::default()
        }
    }

    /// The entry for `applies` x `dtype` x `class`, if measured.
    pub fn get(&self, applies: AppliesTo, dtype: Dtype, class: SizeClass) -> Option<Tuned> {
        self.entries.get(&(applies, dtype, class)).copied()
    }

    /// The entry in force for `kernel` x `dtype` x `class` and what it
    /// applies to: its group's ([`AppliesTo::group_of`]) if measured, else
    /// its family's.
    pub fn entry_for(
        &self,
        kernel: Kernel,
        dtype: Dtype,
        class: SizeClass,
    ) -> Option<(AppliesTo, Tuned)> {
        [
            AppliesTo::group_of(kernel),
            AppliesTo::Family(kernel.family()),
        ]
        .into_iter()
        .find_map(|a| self.get(a, dtype, class).map(|t| (a, t)))
    }

    /// The non-temporal store threshold (output bytes) for `dtype`, if measured.
    pub fn nt(&self, dtype: Dtype) -> Option<u64> {
        self.nt_bytes.get(&dtype).copied()
    }

    /// The non-temporal store threshold (output bytes) for the map
    /// `kernel`: its group's (`add` or `scale`) if measured apart, else the
    /// dtype's.
    pub fn nt_for(&self, kernel: Kernel, dtype: Dtype) -> Option<u64> {
        let own = match AppliesTo::group_of(kernel) {
            AppliesTo::Group(g) => self.nt_kernel.get(&(g, dtype)).copied(),
            AppliesTo::Family(_) => None,
        };
        own.or_else(|| self.nt(dtype))
    }

    /// Whether DRAM-sized reductions of `dtype` prefetch ahead, if measured.
    pub fn prefetch(&self, dtype: Dtype) -> Option<bool> {
        self.prefetch.get(&dtype).copied()
    }

    /// How many streams `sum` of `dtype` reads its large subtrees as, if
    /// measured.
    pub fn streams(&self, dtype: Dtype) -> Option<Streams> {
        self.streams.get(&dtype).copied()
    }

    /// Parses the text format (see [`crate::plan::profile`]). Never panics;
    /// an error names the first line that does not parse.
    pub fn from_text(text: &str) -> Result<Profile, ProfileError> {
        let err = |line: usize, message: String| ProfileError { line, message };
        let mut lines = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'));
        match lines.next() {
            Some((_, PROFILE_HEADER)) => {}
            Some((n, other)) => {
                return Err(err(
                    n,
                    format!("expected `{PROFILE_HEADER}`, found `{other}`"),
                ));
            }
            None => return Err(err(0, "empty profile".into())),
        }
        let mut p = Profile::default();
        for (n, line) in lines {
            let dtype = |name: &str| {
                Dtype::from_name(name).ok_or_else(|| err(n, format!("unknown dtype `{name}`")))
            };
            let bytes = |v: &str| {
                v.parse::<u64>()
                    .map_err(|_| err(n, format!("nt bytes `{v}` is not a number")))
            };
            let f: Vec<&str> = line.split_whitespace().collect();
            match f.as_slice() {
                ["cpu", id] => p.cpu = id.to_string(),
                ["entry", applies, dt, class, isa, from, split @ ..] if split.len() <= 1 => {
                    let applies = AppliesTo::from_name(applies)
                        .ok_or_else(|| err(n, format!("unknown family or kernel `{applies}`")))?;
                    let dt = dtype(dt)?;
                    let class = SizeClass::from_name(class)
                        .ok_or_else(|| err(n, format!("unknown size class `{class}`")))?;
                    let isa_named = |name: &str| {
                        Isa::ALL
                            .into_iter()
                            .find(|i| i.name() == name)
                            .ok_or_else(|| err(n, format!("unknown ISA `{name}`")))
                    };
                    let isa = isa_named(isa)?;
                    let split_isa = match split {
                        [name] => isa_named(name)?,
                        _ => isa,
                    };
                    let threads_from = match *from {
                        "never" => None,
                        v => Some(v.parse::<u64>().map_err(|_| {
                            err(n, format!("threads-from `{v}` is not a size or `never`"))
                        })?),
                    };
                    let tuned = Tuned {
                        isa,
                        split_isa,
                        threads_from,
                    };
                    if p.entries.insert((applies, dt, class), tuned).is_some() {
                        return Err(err(n, "duplicate entry".into()));
                    }
                }
                ["nt", dt, b] => {
                    p.nt_bytes.insert(dtype(dt)?, bytes(b)?);
                }
                ["nt", dt, b, kernel] => {
                    let dt = dtype(dt)?;
                    let b = bytes(b)?;
                    let group = nt_group(kernel)
                        .ok_or_else(|| err(n, format!("nt for unknown kernel `{kernel}`")))?;
                    p.nt_kernel.insert((group, dt), b);
                }
                ["prefetch", dt, on] => {
                    let dt = dtype(dt)?;
                    let on = match *on {
                        "on" => true,
                        "off" => false,
                        v => return Err(err(n, format!("prefetch `{v}` is not `on` or `off`"))),
                    };
                    p.prefetch.insert(dt, on);
                }
                ["streams", dt, count] => {
                    let dt = dtype(dt)?;
                    let streams = count
                        .parse::<usize>()
                        .ok()
                        .and_then(Streams::from_count)
                        .ok_or_else(|| err(n, format!("streams `{count}` is not 1, 2 or 4")))?;
                    p.streams.insert(dt, streams);
                }
                _ => return Err(err(n, format!("cannot read `{line}`"))),
            }
        }
        if p.cpu.is_empty() {
            return Err(err(0, "no `cpu` line".into()));
        }
        Ok(p)
    }

    /// The text format, readable by [`Profile::from_text`].
    pub fn to_text(&self) -> String {
        let mut s = format!(
            "{PROFILE_HEADER}\n# written by simdpar's tuner; see simdpar_kernels::plan::profile\ncpu {}\n\
             # entry <family> <dtype> <class> <isa (one thread)> <threads-from (elements; mandelbrot: pixels x iterations) | never> <split-isa (calls split between threads)>\n",
            self.cpu
        );
        for ((applies, dt, class), t) in &self.entries {
            let from = t
                .threads_from
                .map_or("never".to_string(), |v| v.to_string());
            s += &format!(
                "entry {applies} {dt} {class} {} {from} {}\n",
                t.isa.name(),
                t.split_isa.name()
            );
        }
        s += "# nt <dtype> <output bytes from which out-of-place maps use non-temporal stores>\n";
        for (dt, b) in &self.nt_bytes {
            s += &format!("nt {dt} {b}\n");
        }
        if !self.nt_kernel.is_empty() {
            s += "# nt <dtype> <output bytes> <kernel: add (two-input maps) | scale (one-input maps)>\n";
        }
        for ((k, dt), b) in &self.nt_kernel {
            s += &format!("nt {dt} {b} {k}\n");
        }
        if !self.prefetch.is_empty() {
            s += "# prefetch <dtype> <on | off: reductions beyond the last-level cache prefetch ahead>\n";
        }
        for (dt, on) in &self.prefetch {
            s += &format!("prefetch {dt} {}\n", if *on { "on" } else { "off" });
        }
        if !self.streams.is_empty() {
            s += "# streams <dtype> <1 | 2 | 4: interleaved streams `sum` reads its large subtrees as>\n";
        }
        for (dt, n) in &self.streams {
            s += &format!("streams {dt} {n}\n");
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Profile {
        let mut p = Profile::for_this_cpu();
        p.entries.insert(
            (AppliesTo::Family(Family::Map), Dtype::F32, SizeClass::Dram),
            Tuned {
                isa: Isa::Scalar,
                split_isa: Isa::Portable,
                threads_from: Some(1000),
            },
        );
        p.entries.insert(
            (
                AppliesTo::Family(Family::Mandelbrot),
                Dtype::F64,
                SizeClass::Cache,
            ),
            Tuned {
                isa: Isa::Portable,
                split_isa: Isa::Portable,
                threads_from: None,
            },
        );
        p.entries.insert(
            (
                AppliesTo::Group(Kernel::RowSums),
                Dtype::F32,
                SizeClass::Llc,
            ),
            Tuned {
                isa: Isa::Avx512,
                split_isa: Isa::Avx2,
                threads_from: Some(0),
            },
        );
        p.nt_bytes.insert(Dtype::F64, 1 << 24);
        p.nt_kernel.insert((Kernel::Scale, Dtype::F32), 1 << 25);
        p.prefetch.insert(Dtype::F32, false);
        p.prefetch.insert(Dtype::F64, true);
        p.streams.insert(Dtype::F32, Streams::Four);
        p.streams.insert(Dtype::F64, Streams::One);
        p
    }

    #[test]
    fn text_round_trips() {
        let p = sample();
        assert_eq!(Profile::from_text(&p.to_text()), Ok(p));
    }

    #[test]
    fn a_kernel_nt_line_wins_over_its_dtype_line() {
        let p = sample();
        assert_eq!(p.nt_for(Kernel::Scale, Dtype::F32), Some(1 << 25));
        assert_eq!(p.nt_for(Kernel::Square, Dtype::F32), Some(1 << 25));
        assert_eq!(p.nt_for(Kernel::Add, Dtype::F32), None);
        assert_eq!(p.nt_for(Kernel::Scale, Dtype::F64), Some(1 << 24));
        assert_eq!(p.nt_for(Kernel::Add, Dtype::F64), Some(1 << 24));
    }

    #[test]
    fn corrupt_texts_are_errors_with_a_line() {
        let good = sample().to_text();
        assert!(Profile::from_text("").is_err());
        assert!(Profile::from_text("simdpar-tune 2\ncpu x\n").is_err());
        for bad in [
            "entry map f32 cache avx9 10",
            "entry map f16 cache avx2 10",
            "entry map f32 l4 avx2 10",
            "entry blur f32 cache avx2 10",
            "entry multiply f32 cache avx2 10",
            "entry map f32 cache avx2 ten",
            "entry map f32 dram scalar 5",
            "entry map f64 dram scalar 5 avx9",
            "entry map f64 dram scalar 5 avx2 avx2",
            "nt f32 lots",
            "nt f32 10 square",
            "nt f32 10 sum",
            "nt f32 ten scale",
            "nt f16 10",
            "prefetch f32 maybe",
            "prefetch f16 on",
            "streams f32 3",
            "streams f32 0",
            "streams f32 8",
            "streams f32 two",
            "streams f32 -1",
            "streams f16 2",
            "streams f32",
            "streams f32 2 4",
            "garbage",
        ] {
            let text = format!("{good}{bad}\n");
            let e = Profile::from_text(&text).unwrap_err();
            assert!(e.line > 0, "{bad}: {e}");
            assert_eq!(e.line, text.lines().count(), "{bad}: {e}");
        }
        let no_cpu = format!("{PROFILE_HEADER}\nentry map f32 cache avx2 10\n");
        assert!(Profile::from_text(&no_cpu).is_err());
    }

    #[test]
    fn an_entry_without_a_split_isa_splits_on_its_isa() {
        let text = format!(
            "{PROFILE_HEADER}\ncpu x\nentry reduce f64 llc avx512 0\nentry map f32 llc avx512 0 avx2\n"
        );
        let p = Profile::from_text(&text).unwrap();
        let reduce = AppliesTo::Family(Family::Reduce);
        let old = p.get(reduce, Dtype::F64, SizeClass::Llc).unwrap();
        assert_eq!((old.isa, old.split_isa), (Isa::Avx512, Isa::Avx512));
        let map = AppliesTo::Family(Family::Map);
        let new = p.get(map, Dtype::F32, SizeClass::Llc).unwrap();
        assert_eq!((new.isa, new.split_isa), (Isa::Avx512, Isa::Avx2));
        assert!(
            p.to_text()
                .contains("entry reduce f64 llc avx512 0 avx512\n")
        );
    }

    /// Every name the plan may look up for a kernel (its group's, its
    /// family's) parses back to itself, `mandelbrot` as the family, and a
    /// kernel that stands for no group is refused.
    #[test]
    fn every_kernel_has_an_entry_name_that_parses() {
        for k in Kernel::ALL {
            for a in [AppliesTo::group_of(k), AppliesTo::Family(k.family())] {
                assert_eq!(AppliesTo::from_name(a.name()), Some(a), "{k}");
            }
            assert_eq!(AppliesTo::group_of(k).measured_on().family(), k.family());
        }
        assert_eq!(
            AppliesTo::from_name("mandelbrot"),
            Some(AppliesTo::Family(Family::Mandelbrot))
        );
        for name in ["multiply", "square", "leaky_relu", "blur"] {
            assert_eq!(AppliesTo::from_name(name), None, "{name}");
        }
        let groups: Vec<_> = Kernel::ALL
            .into_iter()
            .filter_map(|k| match AppliesTo::group_of(k) {
                AppliesTo::Group(g) => Some(g.name()),
                AppliesTo::Family(_) => None,
            })
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        assert_eq!(groups, ["add", "row_sums", "scale", "sum"]);
    }

    #[test]
    fn a_group_entry_wins_over_its_family_entry() {
        let mut p = sample();
        let tuned = |isa| Tuned {
            isa,
            split_isa: isa,
            threads_from: None,
        };
        let key = |a, c| (a, Dtype::F32, c);
        p.entries.insert(
            key(AppliesTo::Family(Family::Map), SizeClass::Cache),
            tuned(Isa::Scalar),
        );
        p.entries.insert(
            key(AppliesTo::Group(Kernel::Scale), SizeClass::Cache),
            tuned(Isa::Portable),
        );
        let at = |k| p.entry_for(k, Dtype::F32, SizeClass::Cache);
        assert_eq!(
            at(Kernel::LeakyRelu),
            Some((AppliesTo::Group(Kernel::Scale), tuned(Isa::Portable)))
        );
        assert_eq!(
            at(Kernel::Multiply),
            Some((AppliesTo::Family(Family::Map), tuned(Isa::Scalar)))
        );
        assert_eq!(at(Kernel::Sum), None);
    }

    /// Profiles written before the move of the format still parse: the
    /// text is the same version 1.
    #[test]
    fn a_profile_written_by_an_earlier_tuner_parses() {
        let text = "simdpar-tune 1\n\
            # written by an earlier tuner\n\
            cpu x86_64:AuthenticAMD:25.17.1:2:avx2,avx512f\n\
            entry add f32 cache avx512 never avx512\n\
            entry mandelbrot f64 dram avx512 0 avx512\n\
            entry row_sums f64 llc avx2 131072 avx2\n\
            entry scale f32 dram avx2 0 avx512\n\
            entry sum f64 llc avx512 0 avx2\n\
            nt f32 18446744073709551615\n\
            nt f64 33554432\n\
            nt f32 67108864 scale\n\
            prefetch f32 off\n";
        let p = Profile::from_text(text).unwrap();
        assert_eq!(p.entries.len(), 5);
        let mandel = AppliesTo::Family(Family::Mandelbrot);
        assert_eq!(
            p.get(mandel, Dtype::F64, SizeClass::Dram)
                .map(|t| t.threads_from),
            Some(Some(0))
        );
        assert_eq!(p.nt_for(Kernel::LeakyRelu, Dtype::F32), Some(1 << 26));
        assert_eq!(p.nt_for(Kernel::Multiply, Dtype::F32), Some(u64::MAX));
        assert_eq!(p.prefetch(Dtype::F32), Some(false));
        // No `streams` line: every dtype keeps the ISA's built-in count.
        assert!(p.streams.is_empty());
        assert_eq!(p.streams(Dtype::F32), None);
        assert!(!p.to_text().contains("streams"));
        assert_eq!(Profile::from_text(&p.to_text()), Ok(p));
    }

    #[test]
    fn streams_lines_parse_and_round_trip() {
        let text =
            format!("{PROFILE_HEADER}\ncpu x\nprefetch f32 off\nstreams f32 2\nstreams f64 4\n");
        let p = Profile::from_text(&text).unwrap();
        assert_eq!(p.streams(Dtype::F32), Some(Streams::Two));
        assert_eq!(p.streams(Dtype::F64), Some(Streams::Four));
        let out = p.to_text();
        assert!(out.contains("\nstreams f32 2\nstreams f64 4\n"), "{out}");
        assert_eq!(Profile::from_text(&out), Ok(p));
        for s in Streams::ALL {
            let text = format!("{PROFILE_HEADER}\ncpu x\nstreams f64 {}\n", s.count());
            assert_eq!(
                Profile::from_text(&text).unwrap().streams(Dtype::F64),
                Some(s)
            );
        }
        let e =
            Profile::from_text(&format!("{PROFILE_HEADER}\ncpu x\n\nstreams f32 3\n")).unwrap_err();
        assert_eq!(e.line, 4, "{e}");
        assert!(e.message.contains("not 1, 2 or 4"), "{e}");
    }
}
