//! The subcommands of the `simdpar` binary, one file each.

pub mod info;
pub mod json;
pub mod parity;
pub mod report;
