//! The instruction-set names and the error returned when one cannot run.

use std::fmt;

/// A kernel path. Every kernel exists once per `Isa`; the names are the
/// lower-case strings used by the environment, the CLI, JSON, Python and the
/// report.
///
/// The order of the variants is the order of preference on a CPU that has
/// them all (later is better): `Scalar < Portable < Avx2 < Avx512`, and
/// `Neon` above `Portable` on aarch64.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// One element at a time, auto-vectorization blocked: the oracle.
    Scalar,
    /// `wide` vectors at the build's baseline (SSE2 on x86-64, NEON on aarch64).
    Portable,
    /// NEON (Advanced SIMD) on aarch64, 128-bit, through `core::arch`.
    Neon,
    /// AVX2 + FMA on x86-64, 256-bit, through `core::arch`.
    Avx2,
    /// AVX-512 F on x86-64, 512-bit, through `core::arch`. The kernels use
    /// only the foundation subset (`avx512f`), masked loads and stores included.
    Avx512,
}

impl Isa {
    /// Every ISA simdpar knows, in order of preference (worst first).
    pub const ALL: [Isa; 5] = [
        Isa::Scalar,
        Isa::Portable,
        Isa::Neon,
        Isa::Avx2,
        Isa::Avx512,
    ];

    /// The lower-case name: `scalar`, `portable`, `neon`, `avx2`, `avx512`.
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Portable => "portable",
            Isa::Neon => "neon",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Parses a name (case-insensitive, surrounding spaces ignored).
    /// An unknown name is [`IsaError::Unknown`], which lists the valid names.
    pub fn from_name(name: &str) -> Result<Isa, IsaError> {
        let wanted = name.trim().to_ascii_lowercase();
        Isa::ALL
            .into_iter()
            .find(|isa| isa.name() == wanted)
            .ok_or_else(|| IsaError::Unknown {
                name: name.to_string(),
                available: crate::available_isas(),
            })
    }

    /// The CPU features this path needs, as std's detection names them.
    pub const fn required_features(self) -> &'static [&'static str] {
        match self {
            Isa::Scalar | Isa::Portable => &[],
            Isa::Neon => &["neon"],
            Isa::Avx2 => &["avx2", "fma"],
            Isa::Avx512 => &["avx512f"],
        }
    }

    /// Register width in bytes (the scalar path counts one element).
    pub const fn vector_bytes(self) -> usize {
        match self {
            Isa::Scalar => 0,
            Isa::Portable | Isa::Neon => 16,
            Isa::Avx2 => 32,
            Isa::Avx512 => 64,
        }
    }

    /// Lanes per register for an element of `elem_bytes` bytes (1 for scalar).
    pub const fn lanes(self, elem_bytes: usize) -> usize {
        match self.vector_bytes() {
            0 => 1,
            v => v / elem_bytes,
        }
    }
}

impl fmt::Display for Isa {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Isa {
    type Err = IsaError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Isa::from_name(s)
    }
}

/// Why an ISA cannot be selected. Every variant names what is available.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum IsaError {
    /// The name is not one of simdpar's ISA names.
    Unknown {
        /// The name as given.
        name: String,
        /// What this machine can run.
        available: Vec<Isa>,
    },
    /// The ISA is known but this CPU (or its OS) cannot run it.
    Unsupported {
        /// The ISA asked for.
        isa: Isa,
        /// What this machine can run.
        available: Vec<Isa>,
    },
    /// An environment variable holds a bad value.
    Env {
        /// The variable (`SIMDPAR_ISA` or `SIMDPAR_MAX_ISA`).
        var: &'static str,
        /// What was wrong with its value.
        source: Box<IsaError>,
    },
}

fn names(isas: &[Isa]) -> String {
    isas.iter().map(|i| i.name()).collect::<Vec<_>>().join(", ")
}

impl fmt::Display for IsaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IsaError::Unknown { name, available } => write!(
                f,
                "unknown ISA {name:?}: simdpar knows {}; available on this machine: {}",
                names(&Isa::ALL),
                names(available)
            ),
            IsaError::Unsupported { isa, available } if crate::select::is_disabled(*isa) => write!(
                f,
                "ISA {isa} is disabled by {}; available on this machine: {}",
                crate::ENV_DISABLE,
                names(available)
            ),
            IsaError::Unsupported { isa, available } => write!(
                f,
                "ISA {isa} is not supported by this CPU (needs {}); available on this machine: {}",
                isa.required_features().join("+"),
                names(available)
            ),
            IsaError::Env { var, source } => write!(f, "{var}: {source}"),
        }
    }
}

impl std::error::Error for IsaError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            IsaError::Env { source, .. } => Some(source.as_ref()),
            _ => None,
        }
    }
}
