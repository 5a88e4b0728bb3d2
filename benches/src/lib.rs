//! simdpar's benchmark library, shared by the criterion benches
//! (`benches/benches/*.rs`), `simdpar report` and the parity timings:
//!
//! * [`workloads`]: the standard matrix (kernel x dtype x size) and the
//!   runner that times simdpar, the Mojo twins and STREAM in one group;
//! * [`timing`]: the one timing engine (interleaved rounds, medians,
//!   paired ratios, load measurement);
//! * [`stream`]: the STREAM-like bandwidth patterns;
//! * [`thresholds`]: the non-temporal-store and parallel-split sweeps;
//! * [`data`]: aligned, deterministic input buffers.

pub mod data;
pub mod stream;
pub mod thresholds;
pub mod timing;
pub mod workloads;
