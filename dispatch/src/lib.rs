//! Which SIMD instruction set may run on this CPU, and which one does.
//!
//! simdpar names five kernel paths ([`Isa`]): `scalar`, `portable`, `avx2`,
//! `avx512` and `neon`. This crate answers three questions:
//!
//! * **What may run?** [`available_isas`] uses the standard library's feature
//!   detection, which also checks that the operating system saves the vector
//!   registers (XCR0 on x86), so an ISA listed there never raises SIGILL.
//! * **What does run?** [`active_isa`]: a thread-local scope ([`with_isa`],
//!   [`IsaScope`]) wins over the process default ([`set_isa`]), which wins over
//!   the environment (`SIMDPAR_ISA` forces, `SIMDPAR_MAX_ISA` caps), which wins
//!   over the best available path. `SIMDPAR_DISABLE_ISA` removes ISAs from
//!   the available set, as if the CPU lacked them.
//! * **What is this CPU?** [`cpu_info`] describes vendor, brand, caches and SIMD
//!   widths (raw-cpuid on x86), for reports; [`cache_limits`] and
//!   [`l1_data_bytes`] give the cache sizes the kernels' size rules use, and
//!   [`cpu_identity`] the identity a tuned profile is keyed by.
//!
//! Forcing an ISA the machine lacks is always an [`IsaError`], never a crash.
//! Kernels that need an instruction set take a token ([`Avx2`], [`Avx512`],
//! [`Neon`]) which can only be constructed when the CPU supports it.

mod caches;
mod cpu;
mod isa;
mod select;
mod token;

pub use caches::{cache_limits, cache_limits_of, l1_data_bytes, l1_data_bytes_of};
pub use cpu::{CacheInfo, CpuInfo, cpu_identity, cpu_identity_hash, cpu_info};
pub use isa::{Isa, IsaError};
pub use select::{
    ENV_DISABLE, ENV_FORCE, ENV_MAX, ForcedBy, IsaScope, Selection, active_isa, available_isas,
    best_isa, check_env, clear_isa, env_selection, is_supported, selection, set_isa, with_isa,
};
pub use token::{Avx2, Avx512, Neon};
