//! The errors a kernel call can return.

use std::fmt;

/// Why a kernel refused its arguments. Nothing was written when a kernel
/// returns an error.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum KernelError {
    /// Two slices that must have the same length do not.
    LengthMismatch {
        /// What the slice is (`"b"`, `"out"`...).
        what: &'static str,
        /// The length required.
        expected: usize,
        /// The length given.
        actual: usize,
    },
    /// A matrix length is not `rows * cols`, or `rows * cols` overflows.
    BadShape {
        /// The matrix length.
        len: usize,
        /// Rows asked for.
        rows: usize,
        /// Columns asked for.
        cols: usize,
    },
    /// A parameter is out of its domain (zero threads, a zero-sized image...).
    InvalidArgument(String),
}

impl fmt::Display for KernelError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KernelError::LengthMismatch {
                what,
                expected,
                actual,
            } => write!(f, "{what} has length {actual}, expected {expected}"),
            KernelError::BadShape { len, rows, cols } => write!(
                f,
                "matrix of {len} elements cannot be {rows} rows x {cols} columns"
            ),
            KernelError::InvalidArgument(msg) => f.write_str(msg),
        }
    }
}

impl std::error::Error for KernelError {}

pub(crate) fn check_len(
    what: &'static str,
    expected: usize,
    actual: usize,
) -> Result<(), KernelError> {
    if expected == actual {
        Ok(())
    } else {
        Err(KernelError::LengthMismatch {
            what,
            expected,
            actual,
        })
    }
}
