//! The cells of a `report.json`, keyed by kernel x dtype x shape: what the
//! defaults reached against the best manual choice, each peer and the
//! machine's limit, and the choices behind those numbers.

use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeMap;

/// A report cell: kernel, dtype, shape (`sum`, `f32`, `16K`).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CellKey {
    /// Kernel name.
    pub kernel: String,
    /// Dtype name.
    pub dtype: String,
    /// Shape label.
    pub shape: String,
}

impl std::fmt::Display for CellKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {} {}", self.kernel, self.dtype, self.shape)
    }
}

/// One measured ratio and whether its goal passed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Ratio {
    /// The goal's measured value.
    pub value: f64,
    /// Its target.
    pub target: f64,
    /// Passed (`None`: not measured).
    pub pass: Option<bool>,
}

/// What one machine measured in one cell.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Cell {
    /// Defaults / best manual choice (above 1: the defaults are faster).
    pub vs_manual: Option<Ratio>,
    /// What the defaults ran, e.g. `avx2 1T, built-in default`.
    pub plan: Option<String>,
    /// The best manual choice, e.g. `avx512 2T`.
    pub best: Option<String>,
    /// Defaults against NumPy.
    pub vs_numpy: Option<Ratio>,
    /// Defaults against NumKong.
    pub vs_numkong: Option<Ratio>,
    /// Defaults against the faster Mojo twin.
    pub vs_mojo: Option<Ratio>,
    /// The twin that was faster, e.g. `mojo:exact 1T`.
    pub twin: Option<String>,
    /// Fraction of the STREAM limit, per thread count; key 0: the
    /// defaults against the in-cache pattern of the cell's cache level.
    pub limit: BTreeMap<u64, Ratio>,
}

/// The key of [`Cell::limit`] for the in-cache goal (the defaults, whose
/// threads are automatic).
pub const IN_CACHE_KEY: u64 = 0;

/// How a key of [`Cell::limit`] reads: `1T`, `2T`, or `in cache`.
pub fn limit_label(key: u64) -> String {
    if key == IN_CACHE_KEY {
        "in cache".to_string()
    } else {
        format!("{key}T")
    }
}

/// The text after `marker` in `detail` up to the first of `ends`.
fn between<'a>(detail: &'a str, marker: &str, ends: &[char]) -> Option<&'a str> {
    let start = detail.find(marker)? + marker.len();
    let rest = &detail[start..];
    let end = rest.find(ends).unwrap_or(rest.len());
    Some(rest[..end].trim())
}

/// The first `n` space-separated words of `s`.
fn words(s: &str, n: usize) -> String {
    s.split_whitespace().take(n).collect::<Vec<_>>().join(" ")
}

/// Every cell of a parsed `report.json` (none when it has no goals), in
/// the order the report lists them.
pub fn cells_of(r: &Value) -> Vec<(CellKey, Cell)> {
    let mut order: Vec<CellKey> = Vec::new();
    let mut out: BTreeMap<CellKey, Cell> = BTreeMap::new();
    let goals = r.get("goals").and_then(Value::as_array);
    for g in goals.into_iter().flatten() {
        let s = |k: &str| g.get(k).and_then(Value::as_str);
        let (Some(group), Some(kernel), Some(dtype), Some(shape)) =
            (s("group"), s("kernel"), s("dtype"), s("shape"))
        else {
            continue;
        };
        let Some(value) = g.get("measured").and_then(Value::as_f64) else {
            continue;
        };
        let ratio = Ratio {
            value,
            target: g.get("target").and_then(Value::as_f64).unwrap_or(f64::NAN),
            pass: g.get("pass").and_then(Value::as_bool),
        };
        let detail = s("detail").unwrap_or("");
        let key = CellKey {
            kernel: kernel.into(),
            dtype: dtype.into(),
            shape: shape.into(),
        };
        if !out.contains_key(&key) {
            order.push(key.clone());
        }
        let cell = out.entry(key).or_default();
        match group {
            "defaults_vs_manual" => {
                cell.vs_manual = Some(ratio);
                cell.best = between(detail, "best manual ", &[',']).map(|b| words(b, 2));
                cell.plan = between(detail, "(plan: ", &[')']).map(str::to_string);
            }
            "defaults_vs_numpy" => cell.vs_numpy = Some(ratio),
            "defaults_vs_numkong" => cell.vs_numkong = Some(ratio),
            "defaults_vs_mojo" => {
                cell.vs_mojo = Some(ratio);
                cell.twin = detail.split(',').next().map(|t| words(t, 2));
            }
            "bandwidth" => {
                let t = g.get("threads").and_then(Value::as_u64).unwrap_or(0);
                cell.limit.insert(t, ratio);
            }
            "in_cache" => {
                cell.limit.insert(IN_CACHE_KEY, ratio);
            }
            _ => {}
        }
    }
    order
        .into_iter()
        .filter_map(|k| out.remove(&k).map(|c| (k, c)))
        .filter(|(_, c)| {
            c.vs_manual.is_some()
                || c.vs_numpy.is_some()
                || c.vs_numkong.is_some()
                || c.vs_mojo.is_some()
                || !c.limit.is_empty()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_in_cache_goal_is_the_cell_s_in_cache_limit() {
        let v: Value = serde_json::from_str(
            r#"{"goals": [
                {"group": "in_cache", "kernel": "sum", "dtype": "f32", "shape": "16K",
                 "threads": 0, "measured": 0.8, "target": 0.85, "pass": false},
                {"group": "bandwidth", "kernel": "sum", "dtype": "f32", "shape": "64M",
                 "threads": 1, "measured": 0.93, "target": 0.9, "pass": true}
            ]}"#,
        )
        .unwrap();
        let cells = cells_of(&v);
        assert_eq!(cells.len(), 2);
        let small = &cells[0].1.limit;
        assert_eq!(small.keys().copied().collect::<Vec<_>>(), [IN_CACHE_KEY]);
        assert_eq!(small[&IN_CACHE_KEY].pass, Some(false));
        assert_eq!(cells[1].1.limit.keys().copied().collect::<Vec<_>>(), [1]);
        assert_eq!(limit_label(IN_CACHE_KEY), "in cache");
        assert_eq!(limit_label(2), "2T");
    }
}
