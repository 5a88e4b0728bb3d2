//! Who measured a `report.json`: the machine block a report writes
//! (`machine`), or, in files written before it existed, what the `cpu`
//! block and the top-level fields say.

use serde::Serialize;
use serde_json::Value;

/// One machine's identity and setup, as the comparison shows it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Machine {
    /// Short name for column headers, e.g. `Zen 4 (AMD EPYC)`.
    pub label: String,
    /// CPU vendor string.
    pub vendor: String,
    /// Brand string.
    pub brand: String,
    /// Display family, if known.
    pub family: Option<u64>,
    /// Display model, if known.
    pub model: Option<u64>,
    /// `L1d 32 KiB, L2 1 MiB, L3 32 MiB`, or `unknown`.
    pub caches: String,
    /// The ISAs the run could use.
    pub isas: Vec<String>,
    /// The profile in force: `built-in defaults`, a tuned profile, or `not
    /// recorded` (files older than the field).
    pub profile: String,
    /// When the report ran.
    pub date: String,
    /// The source measured (`commit ...`).
    pub source: String,
    /// `passed/total` goals.
    pub goals: String,
}

/// The name of a microarchitecture simdpar has measured, from vendor,
/// family and AVX-512 support.
pub fn microarch(vendor: &str, family: u64, avx512: bool) -> Option<&'static str> {
    match (vendor, family, avx512) {
        ("AuthenticAMD", 0x19, true) => Some("Zen 4"),
        ("AuthenticAMD", 0x19, false) => Some("Zen 3"),
        ("AuthenticAMD", 0x1A, _) => Some("Zen 5"),
        _ => None,
    }
}

/// `32 KiB`, `1 MiB`.
pub fn bytes_label(b: u64) -> String {
    if b >= 1 << 20 && b.is_multiple_of(1 << 20) {
        format!("{} MiB", b >> 20)
    } else {
        format!("{} KiB", b >> 10)
    }
}

fn str_of<'a>(v: &'a Value, key: &str) -> Option<&'a str> {
    v.get(key).and_then(Value::as_str)
}

impl Machine {
    /// The machine of a parsed `report.json`; every field is optional.
    pub fn from_json(r: &Value) -> Machine {
        let m = r.get("machine");
        let cpu = r.get("cpu").unwrap_or(&Value::Null);
        let pick = |key: &str| {
            m.and_then(|m| str_of(m, key))
                .or_else(|| str_of(cpu, key))
                .unwrap_or("unknown")
                .to_string()
        };
        let vendor = pick("vendor");
        let brand = pick("brand");
        let num = |key: &str| {
            m.and_then(|m| m.get(key))
                .and_then(Value::as_u64)
                .or_else(|| cpu.get(key).and_then(Value::as_u64))
        };
        let (family, model) = (num("family"), num("model"));
        let features: Vec<&str> = cpu
            .get("features")
            .and_then(Value::as_array)
            .map(|a| a.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        let isas: Vec<String> = r
            .get("available_isas")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(Value::as_str)
                    .map(str::to_string)
                    .collect()
            })
            .unwrap_or_default();
        let avx512 = features.contains(&"avx512f") || isas.iter().any(|i| i == "avx512");
        let mut caches = Vec::new();
        for c in cpu
            .get("caches")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(level), Some(size)) = (
                c.get("level").and_then(Value::as_u64),
                c.get("size_bytes").and_then(Value::as_u64),
            ) else {
                continue;
            };
            if str_of(c, "type") == Some("instruction") {
                continue;
            }
            let name = if level == 1 {
                "L1d".to_string()
            } else {
                format!("L{level}")
            };
            caches.push(format!("{name} {}", bytes_label(size)));
        }
        let label = m
            .and_then(|m| str_of(m, "name"))
            .map(str::to_string)
            .unwrap_or_else(|| {
                let arch = family
                    .and_then(|f| microarch(&vendor, f, avx512))
                    .map(str::to_string)
                    .unwrap_or_else(|| match (family, model) {
                        (Some(f), Some(mo)) => format!("family {f:#x} model {mo:#x}"),
                        _ => "unknown CPU".to_string(),
                    });
                format!("{arch} ({brand})")
            });
        let profile = m
            .and_then(|m| str_of(m, "profile"))
            .unwrap_or("not recorded")
            .to_string();
        let goals = r
            .get("goals_summary")
            .map(|g| {
                let n = |k: &str| g.get(k).and_then(Value::as_u64).unwrap_or(0);
                format!(
                    "{}/{}",
                    n("passed"),
                    n("passed") + n("missed") + n("not_measured")
                )
            })
            .unwrap_or_else(|| "-".to_string());
        Machine {
            label,
            vendor,
            brand,
            family,
            model,
            caches: if caches.is_empty() {
                "unknown".into()
            } else {
                caches.join(", ")
            },
            isas,
            profile,
            date: str_of(r, "date").unwrap_or("unknown").to_string(),
            source: str_of(r, "source").unwrap_or("unknown").to_string(),
            goals,
        }
    }
}
