//! Typed errors of the Mojo toolchain, the compile cache and the loader.

use std::fmt;
use std::path::PathBuf;

/// The command that installs the pinned Mojo toolchain into the project venv.
pub const INSTALL_HINT: &str =
    "pip install mojo==1.2.0 (or run ./tools/venv.sh, which creates .venv with it)";

/// A `file:line:col` position reported by the Mojo compiler.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file as the compiler named it (for inline sources: the source name).
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// 1-based column.
    pub col: u32,
}

impl fmt::Display for SourceLocation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.col)
    }
}

/// Everything that can go wrong between "find mojo" and "call a twin".
///
/// No operation of this crate reports failure through a sentinel value: every
/// failure is one of these variants.
#[derive(Debug)]
pub enum MojoError {
    /// No usable `mojo` executable was found.
    ToolchainMissing {
        /// The places that were searched, in order.
        searched: Vec<String>,
    },
    /// A `mojo` executable was found but does not work (`mojo --version` failed).
    ToolchainBroken {
        /// The executable that was tried.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// `mojo build` rejected the source.
    Compile {
        /// The first `file:line:col: error:` position, when the compiler printed one.
        location: Option<SourceLocation>,
        /// The first error message (without the location prefix).
        message: String,
        /// The compiler's complete diagnostic output.
        stderr: String,
    },
    /// `mojo build` ran longer than the configured timeout and was killed.
    CompileTimeout {
        /// The source that was being compiled.
        source_name: String,
        /// The timeout that expired, in seconds.
        seconds: f64,
    },
    /// The artifact was compiled for CPU features this machine lacks; it was not loaded.
    UnsupportedTarget {
        /// The artifact's path.
        artifact: PathBuf,
        /// The `--target-cpu` the artifact was compiled for.
        target_cpu: String,
        /// The required features this CPU does not have (LLVM names, e.g. `avx512f`).
        missing: Vec<String>,
    },
    /// `dlopen` (or the platform equivalent) failed.
    Load {
        /// The library that could not be loaded.
        path: PathBuf,
        /// The loader's message.
        message: String,
    },
    /// A required symbol is not exported by the library.
    MissingSymbol {
        /// The library that was searched.
        path: PathBuf,
        /// The symbol that is missing.
        symbol: String,
    },
    /// The twins library reports an ABI version this crate does not speak.
    AbiMismatch {
        /// The library.
        path: PathBuf,
        /// Version this crate expects.
        expected: i64,
        /// Version the library reports.
        found: i64,
    },
    /// The cache directory or one of its files could not be read or written.
    Io {
        /// What was being done.
        context: String,
        /// The underlying error.
        source: std::io::Error,
    },
    /// A request was malformed (e.g. a define with an `=` in its name, or
    /// buffers whose lengths do not match).
    InvalidArgument(String),
}

impl MojoError {
    pub(crate) fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        MojoError::Io {
            context: context.into(),
            source,
        }
    }
}

impl fmt::Display for MojoError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MojoError::ToolchainMissing { searched } => write!(
                f,
                "mojo toolchain not found (searched: {}); install it with: {INSTALL_HINT}",
                searched.join(", ")
            ),
            MojoError::ToolchainBroken { path, message } => write!(
                f,
                "mojo toolchain at {} does not work: {message}; reinstall with: {INSTALL_HINT}",
                path.display()
            ),
            MojoError::Compile {
                location: Some(loc),
                message,
                ..
            } => write!(f, "mojo build failed: {loc}: error: {message}"),
            MojoError::Compile {
                location: None,
                message,
                ..
            } => write!(f, "mojo build failed: {message}"),
            MojoError::CompileTimeout {
                source_name,
                seconds,
            } => write!(
                f,
                "mojo build of {source_name} timed out after {seconds:.0} s and was killed"
            ),
            MojoError::UnsupportedTarget {
                artifact,
                target_cpu,
                missing,
            } => write!(
                f,
                "refusing to load {}: it was compiled for --target-cpu {target_cpu} and needs CPU features this machine lacks: {} (loading it could die with SIGILL; rebuild it for this host or for a portable CPU such as x86-64-v3)",
                artifact.display(),
                missing.join(", ")
            ),
            MojoError::Load { path, message } => {
                write!(f, "cannot load {}: {message}", path.display())
            }
            MojoError::MissingSymbol { path, symbol } => {
                write!(f, "{} does not export symbol `{symbol}`", path.display())
            }
            MojoError::AbiMismatch {
                path,
                expected,
                found,
            } => write!(
                f,
                "{} has twins ABI version {found}, this crate expects {expected}",
                path.display()
            ),
            MojoError::Io { context, source } => write!(f, "{context}: {source}"),
            MojoError::InvalidArgument(msg) => write!(f, "invalid argument: {msg}"),
        }
    }
}

impl std::error::Error for MojoError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            MojoError::Io { source, .. } => Some(source),
            _ => None,
        }
    }
}

/// Parses the first `file:line:col: error: message` line of compiler output.
pub(crate) fn parse_compile_error(stderr: &str) -> (Option<SourceLocation>, String) {
    for line in stderr.lines() {
        if let Some(idx) = line.find(": error: ") {
            let (head, msg) = (&line[..idx], &line[idx + ": error: ".len()..]);
            let mut parts = head.rsplitn(3, ':');
            let col = parts.next().and_then(|s| s.trim().parse::<u32>().ok());
            let ln = parts.next().and_then(|s| s.trim().parse::<u32>().ok());
            let file = parts.next();
            if let (Some(col), Some(ln), Some(file)) = (col, ln, file) {
                return (
                    Some(SourceLocation {
                        file: file.to_string(),
                        line: ln,
                        col,
                    }),
                    msg.trim().to_string(),
                );
            }
            return (None, line.trim().to_string());
        }
    }
    let first = stderr
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("mojo build failed without diagnostics");
    (None, first.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_located_error() {
        let err = "/tmp/x/k.mojo:3:5: error: use of unknown declaration 'foo'\n    foo()\n    ^\n";
        let (loc, msg) = parse_compile_error(err);
        let loc = loc.expect("location");
        assert_eq!(loc.file, "/tmp/x/k.mojo");
        assert_eq!((loc.line, loc.col), (3, 5));
        assert_eq!(msg, "use of unknown declaration 'foo'");
    }

    #[test]
    fn unlocated_error_keeps_first_line() {
        let (loc, msg) = parse_compile_error("\nmojo: error: no such file\n");
        assert!(loc.is_none());
        assert_eq!(msg, "mojo: error: no such file");
    }

    #[test]
    fn missing_toolchain_names_install_command() {
        let e = MojoError::ToolchainMissing {
            searched: vec!["PATH".into()],
        };
        assert!(e.to_string().contains("pip install mojo==1.2.0"));
    }
}
