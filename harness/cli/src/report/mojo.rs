//! The Mojo side of a report run: the toolchain's cache and the twins.

use super::Options;
use super::progress::Progress;
use simdpar_bench::workloads::TwinSet;
use simdpar_mojo::{Cache, TwinVariant, Twins};

/// What the Mojo side could offer.
pub struct MojoState {
    /// Loaded twins.
    pub twins: TwinSet,
    /// `mojo --version`, if found.
    pub version: Option<String>,
    /// Why twins are missing, if they are.
    pub notes: Vec<String>,
    /// The compile cache (None without a usable toolchain), for parity.
    pub cache: Option<Cache>,
}

/// Opens the Mojo cache and loads every twin variant (compiled once, then
/// cached); what is missing becomes a note.
pub fn load(opts: &Options, progress: &mut Progress) -> MojoState {
    let mut st = MojoState {
        twins: TwinSet::default(),
        version: None,
        notes: Vec::new(),
        cache: None,
    };
    if opts.no_mojo {
        st.notes.push("Mojo twins skipped (--no-mojo)".into());
        return st;
    }
    let cache = match Cache::open() {
        Ok(c) => c,
        Err(e) => {
            st.notes.push(format!(
                "Mojo twins unavailable: {e} (tools/report.sh installs mojo into the project venv)"
            ));
            return st;
        }
    };
    st.version = Some(cache.toolchain().version().to_string());
    for v in TwinVariant::ALL {
        progress.step(&format!(
            "Mojo twin {} (compiled once, then cached)",
            v.name()
        ));
        match Twins::load(&cache, v) {
            Ok(t) => st.twins.loaded.push(t),
            Err(e) => st
                .notes
                .push(format!("Mojo twin {} unavailable: {e}", v.name())),
        }
    }
    st.cache = Some(cache);
    st
}
