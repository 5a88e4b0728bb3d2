//! A description of the CPU for reports: vendor, model, caches, features and
//! the SIMD width of every ISA. Nothing here decides what may run; that is
//! [`crate::available_isas`], which uses std's OS-aware detection.

use crate::Isa;

/// One cache level, as the CPU's deterministic cache-parameters leaf reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CacheInfo {
    /// 1, 2, 3...
    pub level: u8,
    /// `data`, `instruction` or `unified`.
    pub kind: &'static str,
    /// Size of one instance in bytes.
    pub size_bytes: u64,
    /// Line size in bytes.
    pub line_bytes: u32,
    /// Associativity (ways).
    pub ways: u32,
    /// How many logical processors share one instance (at most).
    pub shared_by: u32,
}

/// What this CPU is and what it can do.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CpuInfo {
    /// `x86_64`, `aarch64`, ...
    pub arch: &'static str,
    /// e.g. `AuthenticAMD`, `GenuineIntel`; `unknown` where not reported.
    pub vendor: String,
    /// The brand string, e.g. `AMD EPYC 7B13`; `unknown` where not reported.
    pub brand: String,
    /// Display family, model and stepping (x86), else 0.
    pub family: u32,
    /// Display model.
    pub model: u32,
    /// Stepping.
    pub stepping: u32,
    /// Logical CPUs this process may use.
    pub logical_cpus: usize,
    /// SIMD-related features that std's detection reports as usable here.
    pub features: Vec<&'static str>,
    /// Data and unified caches, from the deterministic cache-parameters leaf
    /// (not AMD's legacy leaf, which reports the whole socket's L3 in a VM).
    pub caches: Vec<CacheInfo>,
}

impl CpuInfo {
    /// Size in bytes of the data or unified cache at `level`, if known.
    pub fn cache_bytes(&self, level: u8) -> Option<u64> {
        self.caches
            .iter()
            .find(|c| c.level == level && c.kind != "instruction")
            .map(|c| c.size_bytes)
    }

    /// Lanes per vector of each available ISA for `f32` and `f64`:
    /// `(isa, f32 lanes, f64 lanes)`.
    pub fn simd_widths(&self) -> Vec<(Isa, usize, usize)> {
        crate::available_isas()
            .into_iter()
            .map(|i| (i, i.lanes(4), i.lanes(8)))
            .collect()
    }
}

/// Describes this CPU (computed once, then cloned).
pub fn cpu_info() -> CpuInfo {
    static INFO: std::sync::OnceLock<CpuInfo> = std::sync::OnceLock::new();
    INFO.get_or_init(detect).clone()
}

/// This CPU's identity, as a tuned profile's `cpu` line holds it:
/// `arch:vendor:family.model.stepping:logical-cpus:features` (no spaces).
/// Two machines with one identity run the same kernels at the same
/// relative speeds, so a profile measured on one applies to the other.
pub fn cpu_identity() -> String {
    let i = cpu_info();
    let id = format!(
        "{}:{}:{}.{}.{}:{}:{}",
        i.arch,
        i.vendor,
        i.family,
        i.model,
        i.stepping,
        i.logical_cpus,
        i.features.join(",")
    );
    id.split_whitespace().collect::<Vec<_>>().join("_")
}

/// A short, stable hash of [`cpu_identity`] (FNV-1a, 64 bits, 16 hex
/// digits), for file names such as the tuned profile's.
pub fn cpu_identity_hash() -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in cpu_identity().bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{h:016x}")
}

fn logical_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
fn detect() -> CpuInfo {
    use raw_cpuid::{CacheType, CpuId};
    let cpuid = CpuId::new();
    let vendor = cpuid
        .get_vendor_info()
        .map_or_else(|| "unknown".to_string(), |v| v.as_str().to_string());
    let brand = cpuid
        .get_processor_brand_string()
        .map_or_else(|| "unknown".to_string(), |b| b.as_str().trim().to_string());
    let (family, model, stepping) = cpuid.get_feature_info().map_or((0, 0, 0), |f| {
        (
            u32::from(f.family_id()),
            u32::from(f.model_id()),
            u32::from(f.stepping_id()),
        )
    });
    let mut caches = Vec::new();
    if let Some(params) = cpuid.get_cache_parameters() {
        for c in params {
            let kind = match c.cache_type() {
                CacheType::Data => "data",
                CacheType::Instruction => "instruction",
                CacheType::Unified => "unified",
                _ => continue,
            };
            let line = c.coherency_line_size() as u64;
            let size = c.associativity() as u64
                * c.physical_line_partitions() as u64
                * line
                * c.sets() as u64;
            caches.push(CacheInfo {
                level: c.level(),
                kind,
                size_bytes: size,
                line_bytes: line as u32,
                ways: c.associativity() as u32,
                shared_by: c.max_cores_for_cache() as u32,
            });
        }
    }
    macro_rules! features {
        ($($name:tt),*) => {{
            let mut v = Vec::new();
            $( if std::arch::is_x86_feature_detected!($name) { v.push($name); } )*
            v
        }};
    }
    let features = features!(
        "sse2", "sse4.1", "sse4.2", "avx", "avx2", "fma", "f16c", "bmi2", "avx512f", "avx512cd",
        "avx512bw", "avx512dq", "avx512vl"
    );
    CpuInfo {
        arch: std::env::consts::ARCH,
        vendor,
        brand,
        family,
        model,
        stepping,
        logical_cpus: logical_cpus(),
        features,
        caches,
    }
}

#[cfg(target_arch = "aarch64")]
fn detect() -> CpuInfo {
    let mut features = Vec::new();
    if std::arch::is_aarch64_feature_detected!("neon") {
        features.push("neon");
    }
    if std::arch::is_aarch64_feature_detected!("fp16") {
        features.push("fp16");
    }
    if std::arch::is_aarch64_feature_detected!("sve") {
        features.push("sve");
    }
    described_by_features_only(features)
}

#[cfg(not(any(target_arch = "x86", target_arch = "x86_64", target_arch = "aarch64")))]
fn detect() -> CpuInfo {
    described_by_features_only(Vec::new())
}

/// A CPU without an identification interface simdpar reads: only its
/// features are known.
#[cfg(not(any(target_arch = "x86", target_arch = "x86_64")))]
fn described_by_features_only(features: Vec<&'static str>) -> CpuInfo {
    CpuInfo {
        arch: std::env::consts::ARCH,
        vendor: "unknown".into(),
        brand: "unknown".into(),
        family: 0,
        model: 0,
        stepping: 0,
        logical_cpus: logical_cpus(),
        features,
        caches: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describes_this_cpu() {
        let info = cpu_info();
        assert_eq!(info.arch, std::env::consts::ARCH);
        assert!(info.logical_cpus >= 1);
        #[cfg(target_arch = "x86_64")]
        {
            assert!(info.features.contains(&"sse2"));
            assert_eq!(
                info.features.contains(&"avx2"),
                std::arch::is_x86_feature_detected!("avx2")
            );
            // Every x86-64 CPU simdpar runs on reports an L1 data cache.
            let l1 = info.cache_bytes(1).expect("L1d");
            assert!((4 * 1024..=4 * 1024 * 1024).contains(&l1), "{l1}");
        }
        let widths = info.simd_widths();
        assert_eq!(widths[0], (Isa::Scalar, 1, 1));
    }

    #[test]
    fn identity_has_no_spaces_and_a_stable_hash() {
        assert!(!cpu_identity().contains(' '));
        assert_eq!(cpu_identity_hash(), cpu_identity_hash());
        assert_eq!(cpu_identity_hash().len(), 16);
    }
}
