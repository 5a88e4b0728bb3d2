//! Finding the `mojo` executable and asking it about targets.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Mutex;

use crate::error::MojoError;

/// Environment variable naming the `mojo` executable to use (highest priority).
pub const ENV_MOJO: &str = "SIMDPAR_MOJO";

/// Memo of resolved targets, keyed by (`--target-cpu`, `--target-features`).
type TargetMemo = HashMap<(Option<String>, Option<String>), EffectiveTarget>;

/// A working Mojo toolchain: the executable and its `mojo --version` line.
#[derive(Debug)]
pub struct Toolchain {
    path: PathBuf,
    version: String,
    targets: Mutex<TargetMemo>,
}

/// What `mojo build --print-effective-target` resolves a target request to.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct EffectiveTarget {
    /// Target triple, e.g. `x86_64-unknown-linux-gnu`.
    pub triple: String,
    /// Target CPU, e.g. `znver3` or `x86-64-v3`.
    pub cpu: String,
    /// Feature list as LLVM spells it (`+avx2`, `-mwaitx`, ...), in compiler order.
    pub features: Vec<String>,
}

impl EffectiveTarget {
    /// The features the target requires (the `+` entries, without the sign).
    pub fn required_features(&self) -> impl Iterator<Item = &str> {
        self.features.iter().filter_map(|f| f.strip_prefix('+'))
    }
}

impl Toolchain {
    /// Finds `mojo`: `$SIMDPAR_MOJO`, then `PATH`, then a project venv
    /// (`.venv/bin/mojo`) found by walking up from the current directory and
    /// from the crate directories (`$CARGO_MANIFEST_DIR` at run time and this
    /// crate's own manifest directory). Runs `mojo --version` on the result.
    pub fn discover() -> Result<Toolchain, MojoError> {
        let mut searched = Vec::new();
        if let Some(p) = std::env::var_os(ENV_MOJO) {
            let p = PathBuf::from(p);
            if p.is_file() {
                return Toolchain::at(&p);
            }
            searched.push(format!("${ENV_MOJO}={} (not a file)", p.display()));
            return Err(MojoError::ToolchainMissing { searched });
        }
        searched.push(format!("${ENV_MOJO} (unset)"));
        if let Some(path) = std::env::var_os("PATH") {
            for dir in std::env::split_paths(&path) {
                let cand = dir.join(exe_name());
                if is_executable(&cand) {
                    return Toolchain::at(&cand);
                }
            }
        }
        searched.push("PATH".to_string());
        let mut starts: Vec<PathBuf> = Vec::new();
        if let Ok(cwd) = std::env::current_dir() {
            starts.push(cwd);
        }
        if let Some(m) = std::env::var_os("CARGO_MANIFEST_DIR") {
            starts.push(PathBuf::from(m));
        }
        starts.push(PathBuf::from(env!("CARGO_MANIFEST_DIR")));
        for start in &starts {
            for dir in start.ancestors() {
                let cand = dir.join(".venv").join("bin").join(exe_name());
                if is_executable(&cand) {
                    return Toolchain::at(&cand);
                }
            }
            searched.push(format!(
                "{}/**/.venv/bin/mojo (walking up)",
                start.display()
            ));
        }
        Err(MojoError::ToolchainMissing { searched })
    }

    /// Uses the `mojo` executable at `path` and records its `mojo --version`.
    pub fn at(path: &Path) -> Result<Toolchain, MojoError> {
        let out = mojo_command(path).arg("--version").output().map_err(|e| {
            MojoError::ToolchainBroken {
                path: path.to_path_buf(),
                message: format!("cannot run `mojo --version`: {e}"),
            }
        })?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let version = stdout
            .lines()
            .map(str::trim)
            .find(|l| l.starts_with("Mojo") || l.starts_with("mojo"))
            .map(str::to_string);
        match version {
            Some(version) if out.status.success() => Ok(Toolchain {
                path: path.to_path_buf(),
                version,
                targets: Mutex::new(HashMap::new()),
            }),
            _ => Err(MojoError::ToolchainBroken {
                path: path.to_path_buf(),
                message: format!(
                    "`mojo --version` exited with {} and printed {:?}",
                    out.status,
                    format!("{stdout}{}", String::from_utf8_lossy(&out.stderr)).trim()
                ),
            }),
        }
    }

    /// The executable.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The `mojo --version` line, e.g. `Mojo 1.2.0 (2016d0cd)`.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Resolves `--target-cpu` / `--target-features` (None = host default)
    /// with `mojo build --print-effective-target`; memoized per toolchain.
    pub fn effective_target(
        &self,
        cpu: Option<&str>,
        features: Option<&str>,
    ) -> Result<EffectiveTarget, MojoError> {
        let k = (cpu.map(str::to_string), features.map(str::to_string));
        if let Some(t) = self.lock_targets().get(&k) {
            return Ok(t.clone());
        }
        let mut cmd = mojo_command(&self.path);
        cmd.args(["build", "--print-effective-target"]);
        if let Some(c) = cpu {
            cmd.args(["--target-cpu", c]);
        }
        if let Some(f) = features {
            cmd.args(["--target-features", f]);
        }
        let out = cmd.output().map_err(|e| MojoError::ToolchainBroken {
            path: self.path.clone(),
            message: format!("cannot run `mojo build --print-effective-target`: {e}"),
        })?;
        let text = String::from_utf8_lossy(&out.stdout);
        let parsed = parse_effective_target(&text);
        match parsed {
            Some(t) if out.status.success() => {
                self.lock_targets().insert(k, t.clone());
                Ok(t)
            }
            _ => Err(MojoError::Compile {
                location: None,
                message: format!(
                    "cannot resolve target (cpu {:?}, features {:?})",
                    cpu.unwrap_or("host"),
                    features.unwrap_or("default")
                ),
                stderr: format!("{text}{}", String::from_utf8_lossy(&out.stderr)),
            }),
        }
    }

    fn lock_targets(&self) -> std::sync::MutexGuard<'_, TargetMemo> {
        self.targets.lock().unwrap_or_else(|p| p.into_inner())
    }
}

fn exe_name() -> &'static str {
    if cfg!(windows) { "mojo.exe" } else { "mojo" }
}

fn is_executable(p: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        p.metadata()
            .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
            .unwrap_or(false)
    }
    #[cfg(not(unix))]
    {
        p.is_file()
    }
}

/// Parses the output of `mojo build --print-effective-target`.
pub(crate) fn parse_effective_target(text: &str) -> Option<EffectiveTarget> {
    let mut triple = None;
    let mut cpu = None;
    let mut features = Vec::new();
    for line in text.lines() {
        let line = line.trim();
        if let Some(v) = line.strip_prefix("--target-triple ") {
            triple = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("--target-cpu ") {
            cpu = Some(v.trim().to_string());
        } else if let Some(v) = line.strip_prefix("--target-features ") {
            features = v
                .split(',')
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect();
        }
    }
    Some(EffectiveTarget {
        triple: triple?,
        cpu: cpu?,
        features,
    })
}

/// Variables the Mojo runtime of a Mojo-built Python extension writes into
/// the environment of the process that loads it (`PYTHONEXECUTABLE` names
/// the system Python). Inherited by `mojo`, itself a Python script in a
/// venv, it starts the wrong interpreter, which cannot import the `mojo`
/// package: every compile after loading an extension would fail.
const LEAKED_BY_MOJO_RUNTIME: [&str; 1] = ["PYTHONEXECUTABLE"];

/// A command running the `mojo` executable at `path`, without the
/// variables of [`LEAKED_BY_MOJO_RUNTIME`].
pub(crate) fn mojo_command(path: &Path) -> Command {
    let mut cmd = Command::new(path);
    for var in LEAKED_BY_MOJO_RUNTIME {
        cmd.env_remove(var);
    }
    cmd
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_effective_target() {
        let t = parse_effective_target(
            "Effective target configuration:\n  --target-triple x86_64-unknown-linux-gnu\n  --target-cpu x86-64-v3\n  --target-features +avx,+avx2,-mwaitx\n",
        )
        .expect("parsed");
        assert_eq!(t.triple, "x86_64-unknown-linux-gnu");
        assert_eq!(t.cpu, "x86-64-v3");
        assert_eq!(t.required_features().collect::<Vec<_>>(), ["avx", "avx2"]);
    }

    #[test]
    fn incomplete_target_is_rejected() {
        assert!(parse_effective_target("--target-cpu x\n").is_none());
    }
}
