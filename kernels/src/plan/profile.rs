//! Tuned profiles: what `simdpar tune` measured on this CPU, read once per
//! process; the plan follows it where no override says otherwise.
//!
//! # Where
//!
//! `$SIMDPAR_TUNE_FILE` if set, else `$XDG_CACHE_HOME/simdpar/tune-<id>.txt`
//! (`~/.cache/...` without `XDG_CACHE_HOME`), where `<id>` is
//! [`simdpar_dispatch::cpu_identity_hash`]. `SIMDPAR_NO_TUNE=1` ignores any
//! profile.
//!
//! # Format (version 1)
//!
//! Plain text, one record per line, fields separated by spaces, `#` starts a
//! comment line, blank lines are ignored:
//!
//! ```text
//! simdpar-tune 1
//! cpu x86_64:AuthenticAMD:25.17.1:2:avx2,avx512f,...
//! # entry <family> <dtype> <class> <isa> <threads-from> [<split-isa>]
//! entry map f32 cache avx2 65536 avx2
//! entry reduce f64 llc avx512 0 avx2
//! entry mandelbrot f32 llc avx512 never
//! # nt <dtype> <bytes> [<kernel>]: out-of-place maps use non-temporal
//! # stores from this much output, where their touched bytes also outgrow
//! # the LLC; with `add` or `scale`, only for two- or one-input maps
//! nt f32 16777216
//! nt f32 33554432 scale
//! # prefetch <dtype> on|off: reductions beyond the LLC prefetch ahead
//! prefetch f32 on
//! # streams <dtype> 1|2|4: `sum` reads its complete subtrees of at least
//! # 8 MiB as this many interleaved streams (optional; without it, the
//! # ISA's built-in count)
//! streams f32 2
//! ```
//!
//! `family` names what the entry applies to ([`AppliesTo`]): a family
//! (`reduce`, `map`, `mandelbrot`) or the group of kernels one kernel
//! stands for (`sum`, `row_sums`, `add`, `scale`), whose entry wins over
//! its family's; `mandelbrot` is the family. `dtype` is `f32` or `f64`;
//! `class` is a [`SizeClass`](crate::plan::SizeClass) name; `isa` runs
//! calls on one thread; `threads-from` is the size (elements of the named
//! kernel, or of the family's representative `sum` / `add`; pixels x
//! iterations for Mandelbrot) from which the kernel splits between
//! threads, or `never`; `split-isa` runs calls split between threads (an
//! ISA can win on one thread and lose on two). Without `split-isa` split
//! calls run `isa`. The first line must be `simdpar-tune 1`; any line that
//! does not parse makes the whole profile corrupt (it is then ignored with
//! a warning). A profile whose `cpu` line is not
//! [`simdpar_dispatch::cpu_identity`] is ignored with a note: its
//! measurements say nothing about this machine.
//!
//! # Messages
//!
//! Loading never fails a kernel call. What happened is [`profile_status`]
//! (for `simdpar info`, `cpu_info()` in Python and tests); a corrupt profile
//! also prints one warning line on stderr, once per process.
//!
//! Only a regular file of at most [`MAX_PROFILE_BYTES`] is read: a FIFO, a
//! device (`/dev/zero`), a directory or a huge file is ignored with one
//! warning line, so that a bad `SIMDPAR_TUNE_FILE` can neither block the
//! first kernel call nor read until memory runs out.
//!
//! The pieces: the type and its text ([`Profile`], `text.rs`), where the
//! file lives and how it is read and written (`file.rs`), and which
//! profile is in force ([`active_profile`], `active.rs`).

mod active;
mod file;
mod text;

pub use active::{ProfileStatus, active_profile, profile_generation, profile_status, set_profile};
pub use file::{ENV_NO_TUNE, ENV_TUNE_FILE, MAX_PROFILE_BYTES, profile_path, write_profile};
pub use text::{AppliesTo, PROFILE_HEADER, Profile, ProfileError, Tuned};
