#!/usr/bin/env bash
# The main job: benchmark every simdpar kernel on this machine and write the
# report. Sets up what it needs (project venv with NumPy and Mojo, the
# simdpar Python package, a release build), then runs `simdpar report`.
#
#   ./tools/report.sh            # quick mode (a few minutes on 2 cores)
#   ./tools/report.sh --full     # the whole matrix, more samples
#   ./tools/report.sh --help     # all options of `simdpar report`
#
# Output: target/simdpar-report/{report.md,report.json,*.png}.
# Set SIMDPAR_REPORT_NO_SETUP=1 to skip the venv / Python package steps.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
log_dir="$root/target/simdpar-report"
mkdir -p "$log_dir"

note() { printf '[report] %s\n' "$*" >&2; }

if [ "${SIMDPAR_REPORT_NO_SETUP:-0}" != "1" ]; then
  # 1. The project venv: NumPy (baselines), mojo (twins), maturin.
  if venv="$("$root/tools/venv.sh")"; then
    note "venv: $venv"
    # 2. The simdpar Python package, built into the venv with the python
    #    area's recipe (maturin, release build of python/).
    if [ -f "$root/python/pyproject.toml" ] && [ -x "$venv/bin/maturin" ]; then
      note "building the simdpar Python package (maturin develop --release; log: $log_dir/maturin.log)"
      if ! (cd "$root/python" && VIRTUAL_ENV="$venv" PATH="$venv/bin:$PATH" \
            "$venv/bin/maturin" develop --release >"$log_dir/maturin.log" 2>&1); then
        note "WARNING: the Python package did not build (see $log_dir/maturin.log);"
        note "         the report will time simdpar in-process and say so"
      fi
    else
      note "WARNING: no python/pyproject.toml or maturin: the report will note the missing package"
    fi
    export SIMDPAR_PYTHON="$venv/bin/python"
  else
    note "WARNING: tools/venv.sh failed: the report will note missing NumPy / Mojo"
  fi
fi

# 3. Release build of the `simdpar` binary (crate simdpar-cli, harness/cli)
#    and the report itself.
note "building simdpar (cargo build --release -p simdpar-cli --bin simdpar)"
cargo build --release -p simdpar-cli --bin simdpar
target_dir="${CARGO_TARGET_DIR:-$root/target}"
"$target_dir/release/simdpar" report "$@"
note "done (the report's paths are printed above)"
