//! Runs `benches/python/np_bench.py` (NumPy baselines and simdpar through
//! the Python package) in the same report run, and reads its JSON.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One Python-side median.
#[derive(Clone, Debug)]
pub struct PyRow {
    /// Kernel name.
    pub kernel: String,
    /// `f32` / `f64`.
    pub dtype: String,
    /// Shape label (`64M`, `1Mx128`, ...).
    pub shape: String,
    /// `numpy`, `numkong` or `simdpar-py`.
    pub method: String,
    /// Threads passed to simdpar (0: its automatic default; 1 for NumPy
    /// and NumKong).
    pub threads: usize,
    /// Median seconds per call.
    pub median: f64,
    /// Seconds per call of every round, in order.
    pub rounds: Vec<f64>,
}

/// What the Python side produced.
#[derive(Clone, Debug, Default)]
pub struct PyResults {
    /// Interpreter used.
    pub python: Option<String>,
    /// NumPy version (None: missing).
    pub numpy: Option<String>,
    /// NumKong version (None: missing).
    pub numkong: Option<String>,
    /// simdpar package version (None: not importable).
    pub simdpar: Option<String>,
    /// Notes (missing pieces, failures).
    pub notes: Vec<String>,
    /// Medians.
    pub rows: Vec<PyRow>,
    /// The raw JSON, kept for report.json.
    pub raw: Option<Value>,
    /// The command that ran.
    pub command: String,
}

impl PyResults {
    /// The row of `method` for a workload: with exactly `threads`, except
    /// that a `numpy` row matches any thread count when `numpy_any` is set
    /// (NumPy has no thread setting).
    fn find(
        &self,
        (kernel, dtype, shape): (&str, &str, &str),
        method: &str,
        threads: usize,
        numpy_any: bool,
    ) -> Option<&PyRow> {
        self.rows.iter().find(|r| {
            r.kernel == kernel
                && r.dtype == dtype
                && r.shape == shape
                && r.method == method
                && ((numpy_any && method == "numpy") || r.threads == threads)
        })
    }

    /// The median over rounds of `num`'s time / `den`'s time (both ran
    /// round-robin in one process, so their rounds pair up).
    fn paired_rows(num: &PyRow, den: &PyRow) -> Option<f64> {
        if num.rounds.len() != den.rounds.len() || num.rounds.is_empty() {
            return None;
        }
        let mut v: Vec<f64> = num
            .rounds
            .iter()
            .zip(&den.rounds)
            .map(|(a, b)| a / b)
            .collect();
        Some(simdpar_bench::timing::median(&mut v))
    }

    /// The median over rounds of numpy time / simdpar-py time with
    /// `threads` (the two ran round-robin in one process).
    pub fn paired(&self, kernel: &str, dtype: &str, shape: &str, threads: usize) -> Option<f64> {
        let w = (kernel, dtype, shape);
        let n = self.find(w, "numpy", threads, true)?;
        let s = self.find(w, "simdpar-py", threads, true)?;
        Self::paired_rows(n, s)
    }

    /// The row of `method` with exactly `threads` for a workload.
    pub fn row(
        &self,
        kernel: &str,
        dtype: &str,
        shape: &str,
        method: &str,
        threads: usize,
    ) -> Option<&PyRow> {
        self.find((kernel, dtype, shape), method, threads, false)
    }

    /// The median over rounds of `num`'s time / `den`'s time, each a
    /// `(method, threads)` of one workload (both ran round-robin in one
    /// process); `> 1` means `den` is faster.
    pub fn paired_methods(
        &self,
        kernel: &str,
        dtype: &str,
        shape: &str,
        num: (&str, usize),
        den: (&str, usize),
    ) -> Option<f64> {
        let n = self.row(kernel, dtype, shape, num.0, num.1)?;
        let d = self.row(kernel, dtype, shape, den.0, den.1)?;
        Self::paired_rows(n, d)
    }

    /// The median of `method` for a workload (any thread count for NumPy).
    pub fn median(
        &self,
        kernel: &str,
        dtype: &str,
        shape: &str,
        method: &str,
        threads: usize,
    ) -> Option<f64> {
        self.find((kernel, dtype, shape), method, threads, true)
            .map(|r| r.median)
    }
}

/// The repository root: the workspace this binary was built from (two
/// levels above `harness/cli`) if it still holds the helper, else the
/// current directory.
pub fn repo_root() -> PathBuf {
    let built = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let built = built.canonicalize().unwrap_or(built);
    if built.join("benches/python/np_bench.py").is_file() {
        return built;
    }
    std::env::current_dir().unwrap_or(built)
}

/// The interpreter: `$SIMDPAR_PYTHON`, the project venv, then `python3`.
pub fn interpreter(root: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("SIMDPAR_PYTHON").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    let venv = root.join(".venv/bin/python");
    if venv.is_file() {
        return venv;
    }
    PathBuf::from("python3")
}

/// Runs the helper with its progress on our stderr; never fails: problems
/// become notes.
pub fn run(out_dir: &Path, full: bool, threads: usize, only: &[&str]) -> PyResults {
    let root = repo_root();
    let script = root.join("benches/python/np_bench.py");
    let py = interpreter(&root);
    let json = out_dir.join("python-results.json");
    let mut cmd = Command::new(&py);
    cmd.arg(&script)
        .arg("--out")
        .arg(&json)
        .arg("--threads")
        .arg(threads.to_string());
    if full {
        cmd.arg("--full");
    }
    if !only.is_empty() {
        cmd.arg("--only").arg(only.join(","));
    }
    let command = format!("{cmd:?}").replace('"', "");
    let mut res = PyResults {
        command,
        ..Default::default()
    };
    if !script.is_file() {
        res.notes.push(format!(
            "the Python helper {} is missing: no NumPy baselines",
            script.display()
        ));
        return res;
    }
    let _ = std::fs::remove_file(&json);
    match cmd.status() {
        Err(e) => {
            res.notes.push(format!(
                "Python ({}) could not be started ({e}): no NumPy baselines; run tools/report.sh to set up the venv",
                py.display()
            ));
            return res;
        }
        Ok(s) if !s.success() => res.notes.push(format!(
            "the Python helper exited with {s}; partial results kept"
        )),
        Ok(_) => {}
    }
    let text = match std::fs::read_to_string(&json) {
        Ok(t) => t,
        Err(e) => {
            res.notes
                .push(format!("the Python helper wrote no results ({e})"));
            return res;
        }
    };
    let v: Value = match serde_json::from_str(&text) {
        Ok(v) => v,
        Err(e) => {
            res.notes
                .push(format!("the Python helper's JSON is unreadable ({e})"));
            return res;
        }
    };
    let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
    res.python = s("python");
    res.numpy = s("numpy");
    res.numkong = s("numkong");
    res.simdpar = s("simdpar");
    if let Some(n) = v.get("notes").and_then(Value::as_array) {
        res.notes
            .extend(n.iter().filter_map(|x| x.as_str().map(str::to_string)));
    }
    if let Some(rows) = v.get("results").and_then(Value::as_array) {
        for r in rows {
            let g = |k: &str| r.get(k).and_then(Value::as_str).unwrap_or("").to_string();
            let Some(median) = r.get("median_s").and_then(Value::as_f64) else {
                continue;
            };
            res.rows.push(PyRow {
                kernel: g("kernel"),
                dtype: g("dtype"),
                shape: g("shape"),
                method: g("method"),
                threads: r.get("threads").and_then(Value::as_u64).unwrap_or(1) as usize,
                median,
                rounds: r
                    .get("rounds_s")
                    .and_then(Value::as_array)
                    .map(|a| a.iter().filter_map(Value::as_f64).collect())
                    .unwrap_or_default(),
            });
        }
    }
    res.raw = Some(v);
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(method: &str, threads: usize, rounds: &[f64]) -> PyRow {
        PyRow {
            kernel: "add".into(),
            dtype: "f32".into(),
            shape: "1M".into(),
            method: method.into(),
            threads,
            median: rounds[rounds.len() / 2],
            rounds: rounds.to_vec(),
        }
    }

    #[test]
    fn paired_methods_pairs_rounds_and_matches_threads_exactly() {
        let res = PyResults {
            rows: vec![
                row("numkong", 1, &[2.0, 9.0, 4.0]),
                row("simdpar-py", 0, &[1.0, 3.0, 4.0]),
                row("simdpar-py", 1, &[4.0, 4.0, 4.0]),
            ],
            ..Default::default()
        };
        // Per-round ratios 2, 3, 1: median 2 (a ratio of medians would
        // give 4 / 3).
        let r = res.paired_methods("add", "f32", "1M", ("numkong", 1), ("simdpar-py", 0));
        assert_eq!(r, Some(2.0));
        assert_eq!(
            res.row("add", "f32", "1M", "simdpar-py", 1).unwrap().median,
            4.0
        );
        assert!(res.row("add", "f32", "1M", "simdpar-py", 2).is_none());
        assert!(
            res.paired_methods("add", "f32", "1M", ("numpy", 1), ("simdpar-py", 0))
                .is_none()
        );
    }
}
