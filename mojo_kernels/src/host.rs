//! What this CPU can execute, in LLVM feature names, for refusing artifacts
//! compiled for a CPU with more features ("compiled on the CI machine").

use std::collections::BTreeSet;

/// The CPU features a process may rely on, keyed by LLVM feature name.
///
/// Built from the CPU's own report (`is_x86_feature_detected!`) for every
/// feature the Rust standard library can detect; features it cannot detect
/// (e.g. `prfchw`, `clwb`) fall back to the list the Mojo compiler reports
/// for the host (`--print-effective-target` without flags), when given.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostCpu {
    known_present: BTreeSet<String>,
    known_absent: BTreeSet<String>,
    compiler_host: Option<BTreeSet<String>>,
}

impl HostCpu {
    /// Detects the running CPU. `compiler_host_features` is the Mojo
    /// compiler's host feature list (with `+`/`-` signs), used only for
    /// features the standard library cannot detect.
    pub fn detect(compiler_host_features: Option<&[String]>) -> HostCpu {
        let mut known_present = BTreeSet::new();
        let mut known_absent = BTreeSet::new();
        for (name, present) in detected_features() {
            if present {
                known_present.insert(name.to_string());
            } else {
                known_absent.insert(name.to_string());
            }
        }
        HostCpu {
            known_present,
            known_absent,
            compiler_host: compiler_host_features.map(plus_set),
        }
    }

    /// A simulated CPU that has exactly `features` (LLVM names, `+` optional):
    /// used to check artifacts against another machine, e.g. an AVX2-only
    /// CI runner.
    pub fn with_features<S: AsRef<str>>(features: &[S]) -> HostCpu {
        let set: BTreeSet<String> = features
            .iter()
            .map(|f| f.as_ref().trim_start_matches('+').to_string())
            .collect();
        HostCpu {
            known_present: set,
            known_absent: BTreeSet::new(),
            compiler_host: Some(BTreeSet::new()),
        }
    }

    /// Whether this CPU has the LLVM feature `name`.
    pub fn has(&self, name: &str) -> bool {
        let name = canonical(name);
        if self.known_present.contains(name) || BASELINE.contains(&name) {
            return true;
        }
        if self.known_absent.contains(name) {
            return false;
        }
        self.compiler_host
            .as_ref()
            .is_some_and(|c| c.contains(name))
    }

    /// The entries of `required` (LLVM names, optionally `+`-prefixed; `-`
    /// entries are ignored) that this CPU lacks.
    pub fn missing<'a, I: IntoIterator<Item = &'a str>>(&self, required: I) -> Vec<String> {
        required
            .into_iter()
            .filter(|f| !f.starts_with('-'))
            .map(|f| f.trim_start_matches('+'))
            .filter(|f| !self.has(f))
            .map(str::to_string)
            .collect()
    }
}

fn plus_set(features: &[String]) -> BTreeSet<String> {
    features
        .iter()
        .filter_map(|f| f.strip_prefix('+'))
        .map(|f| canonical(f).to_string())
        .collect()
}

/// LLVM spells a few features differently from the Rust detector.
fn canonical(name: &str) -> &str {
    match name {
        "bmi1" => "bmi",
        "cmpxchg16b" => "cx16",
        "pclmulqdq" => "pclmul",
        other => other,
    }
}

/// Features every x86-64 CPU has (and that the Rust detector does not list).
const BASELINE: &[&str] = &["x87", "cx8", "cmov", "mmx", "fxsr", "sse", "sse2", "64bit"];

#[cfg(target_arch = "x86_64")]
fn detected_features() -> Vec<(&'static str, bool)> {
    macro_rules! table {
        ($($llvm:literal => $rust:tt),* $(,)?) => {
            vec![$(($llvm, std::arch::is_x86_feature_detected!($rust))),*]
        };
    }
    table! {
        "sse3" => "sse3", "ssse3" => "ssse3", "sse4.1" => "sse4.1", "sse4.2" => "sse4.2",
        "crc32" => "sse4.2", "sse4a" => "sse4a", "popcnt" => "popcnt", "lzcnt" => "lzcnt",
        "avx" => "avx", "avx2" => "avx2", "fma" => "fma", "f16c" => "f16c",
        "bmi" => "bmi1", "bmi2" => "bmi2", "movbe" => "movbe", "adx" => "adx",
        "aes" => "aes", "pclmul" => "pclmulqdq", "sha" => "sha", "rdrnd" => "rdrand",
        "rdseed" => "rdseed", "xsave" => "xsave", "xsaveopt" => "xsaveopt",
        "xsavec" => "xsavec", "xsaves" => "xsaves", "cx16" => "cmpxchg16b",
        "avx512f" => "avx512f", "avx512cd" => "avx512cd", "avx512bw" => "avx512bw",
        "avx512dq" => "avx512dq", "avx512vl" => "avx512vl", "avx512ifma" => "avx512ifma",
        "avx512vbmi" => "avx512vbmi", "avx512vbmi2" => "avx512vbmi2",
        "avx512vnni" => "avx512vnni", "avx512bitalg" => "avx512bitalg",
        "avx512vpopcntdq" => "avx512vpopcntdq", "avx512bf16" => "avx512bf16",
        "avx512fp16" => "avx512fp16", "avx512vp2intersect" => "avx512vp2intersect",
        "gfni" => "gfni", "vaes" => "vaes", "vpclmulqdq" => "vpclmulqdq",
    }
}

#[cfg(not(target_arch = "x86_64"))]
fn detected_features() -> Vec<(&'static str, bool)> {
    Vec::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn simulated_avx2_host_lacks_avx512() {
        let host = HostCpu::with_features(&["+avx", "+avx2", "+fma"]);
        assert!(host.has("avx2"));
        assert!(host.has("sse2"), "baseline features are always present");
        assert_eq!(
            host.missing(["+avx2", "+avx512f", "-mwaitx", "+avx512bw"]),
            ["avx512f", "avx512bw"]
        );
    }

    #[test]
    fn unknown_feature_uses_compiler_list_only() {
        let with = HostCpu::detect(Some(&["+prfchw".to_string()]));
        let without = HostCpu::detect(Some(&[]));
        assert!(with.has("prfchw"));
        assert!(!without.has("prfchw"));
    }

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn detected_sse2_and_cpuid_win_over_compiler_list() {
        let host = HostCpu::detect(Some(&["+avx512vp2intersect".to_string()]));
        assert!(host.has("sse2"));
        assert_eq!(
            host.has("avx512vp2intersect"),
            std::arch::is_x86_feature_detected!("avx512vp2intersect")
        );
    }
}
