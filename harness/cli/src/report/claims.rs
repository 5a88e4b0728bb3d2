//! Popular Mojo speed claims, measured in the same run: runs
//! `benches/python/claims.py` with the report's Python interpreter and
//! reads its JSON into [`Claim`]s.

use super::python::{interpreter, repo_root};
use serde::{Deserialize, Serialize};
use std::path::Path;
use std::process::Command;

/// The verdicts a claim may get.
pub const VERDICTS: [&str; 3] = ["holds", "partly", "does not hold"];

/// One claim and what this machine measured.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Claim {
    /// Its number in `claims.py`'s list of claims (the table's order).
    pub id: u32,
    /// The claim, as articles state it.
    pub claim: String,
    /// The kind of article it comes from.
    pub source: String,
    /// What was measured here.
    pub measured: String,
    /// What the measurement is compared with.
    pub baseline: String,
    /// One of [`VERDICTS`].
    pub verdict: String,
    /// One sentence of why.
    pub why: String,
}

/// What claims.py produced, or why it is missing.
#[derive(Clone, Debug, Default)]
pub struct Claims {
    /// The claims, in id order.
    pub claims: Vec<Claim>,
    /// Load average before and after the script (its own reading).
    pub load: Option<(String, String)>,
    /// Problems (script missing, failed, JSON unreadable).
    pub notes: Vec<String>,
}

/// The part of claims.py's JSON the report reads.
#[derive(Deserialize)]
struct ScriptJson {
    load_average_before: String,
    load_average_after: String,
    claims: Vec<Claim>,
}

/// Parses claims.py's JSON; a verdict outside [`VERDICTS`] is an error.
pub fn parse(text: &str) -> Result<Claims, String> {
    let j: ScriptJson =
        serde_json::from_str(text).map_err(|e| format!("claims JSON unreadable: {e}"))?;
    if let Some(c) = j
        .claims
        .iter()
        .find(|c| !VERDICTS.contains(&c.verdict.as_str()))
    {
        return Err(format!(
            "claim {} has verdict {:?}, not one of {VERDICTS:?}",
            c.id, c.verdict
        ));
    }
    let mut claims = j.claims;
    claims.sort_by_key(|c| c.id);
    Ok(Claims {
        claims,
        load: Some((j.load_average_before, j.load_average_after)),
        notes: Vec::new(),
    })
}

/// Runs claims.py (its progress on our stderr); never fails: problems
/// become notes.
pub fn run(out_dir: &Path) -> Claims {
    let root = repo_root();
    let script = root.join("benches/python/claims.py");
    if !script.is_file() {
        return Claims::skipped(&format!("{} is missing", script.display()));
    }
    let json = out_dir.join("claims.json");
    let _ = std::fs::remove_file(&json);
    let py = interpreter(&root);
    let status = Command::new(&py)
        .arg(&script)
        .arg("--out")
        .arg(&json)
        .stdout(std::process::Stdio::null())
        .status();
    let mut notes = Vec::new();
    match status {
        Err(e) => return Claims::skipped(&format!("{} could not start: {e}", py.display())),
        Ok(s) if !s.success() => notes.push(format!("claims.py exited with {s}")),
        Ok(_) => {}
    }
    let parsed = std::fs::read_to_string(&json)
        .map_err(|e| format!("claims.py wrote no results ({e})"))
        .and_then(|t| parse(&t));
    match parsed {
        Ok(mut c) => {
            c.notes = notes;
            c
        }
        Err(e) => {
            notes.push(e);
            Claims {
                notes,
                ..Claims::default()
            }
        }
    }
}

impl Claims {
    /// No claims, for the reason `why`.
    pub fn skipped(why: &str) -> Self {
        Claims {
            notes: vec![why.to_string()],
            ..Claims::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(verdict: &str) -> String {
        format!(
            r#"{{"load_average_before": "1.00 0.50 0.20", "load_average_after": "1.10 0.60 0.30",
               "cpu_count": 2, "claims": [
                {{"id": 2, "claim": "b", "source": "s", "measured": "m2", "baseline": "x",
                  "verdict": "partly", "why": "w", "figures": {{"ratio": 3.0}}}},
                {{"id": 1, "claim": "a", "source": "s", "measured": "m1", "baseline": "x",
                  "verdict": "{verdict}", "why": "w", "figures": {{}}}}]}}"#
        )
    }

    #[test]
    fn parses_and_orders_claims() {
        let c = parse(&sample("holds")).unwrap();
        assert_eq!(c.claims.iter().map(|c| c.id).collect::<Vec<_>>(), [1, 2]);
        assert_eq!(c.claims[0].measured, "m1");
        assert_eq!(c.claims[1].verdict, "partly");
        assert_eq!(c.load.as_ref().unwrap().0, "1.00 0.50 0.20");
        let j = serde_json::to_value(&c.claims[0]).unwrap();
        assert_eq!(j["verdict"], "holds");
        assert!(j.get("figures").is_none());
    }

    #[test]
    fn rejects_unknown_verdict_and_bad_json() {
        let e = parse(&sample("maybe")).unwrap_err();
        assert!(e.contains("claim 1") && e.contains("maybe"), "{e}");
        assert!(parse("{").is_err());
    }
}
