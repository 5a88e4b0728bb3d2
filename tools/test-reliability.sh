#!/usr/bin/env bash
# Reliability checks that `cargo test` does not already run (see RELIABILITY.md):
#
#   1. the fuzz regression replay: every input under fuzz/regressions/ through
#      the fuzz targets' differential checks, plus the buffer tests
#      (stable toolchain, no libFuzzer);
#   2. the same replay and buffer tests under AddressSanitizer (nightly
#      `-Zsanitizer=address`; kernels, dispatch and the checks instrumented),
#      and on aarch64 under QEMU (the NEON kernels) when QEMU is installed;
#   3. optionally (SIMDPAR_FUZZ_SECS=N) each fuzz target for N seconds
#      (needs cargo-fuzz), and (SIMDPAR_ASAN_FULL=1) the Rust suite under
#      ASan with an instrumented std (-Zbuild-std; ~15+ min on 2 cores).
#
# The property and concurrency tests (tests/properties.rs, tests/concurrency.rs),
# the Mojo cache faults (mojo_kernels/tests/faults.rs) and the Python matrix
# (python/tests/test_bad_input_matrix.py, test_concurrency.py) run in
# `cargo test` and tools/test-python.sh.
#
# A missing tool is a loud SKIPPED; with SIMDPAR_CI=1 it is a failure.
# Exits non-zero on any failure.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
target="${CARGO_TARGET_DIR:-$root/target}/reliability"
failures=()
ran=()
step() { echo; echo "==> [reliability] $*"; }
fail() { failures+=("$1"); echo "!! FAILED: $1"; }
skip() {
  echo "!! SKIPPED: $1"
  if [ "${SIMDPAR_CI:-}" = 1 ]; then failures+=("skipped in CI: $1"); fi
}
host="$(rustc -vV | sed -n 's/^host: //p')"
have_nightly() { cargo +nightly --version >/dev/null 2>&1; }

step "fuzz regression replay + buffer tests (fuzz/regressions, fuzz/tests)"
n_inputs=$(find fuzz/regressions -type f ! -name README.md | wc -l)
echo "cargo test --manifest-path fuzz/Cargo.toml --no-default-features --release   # $n_inputs inputs"
if CARGO_TARGET_DIR="$target/fuzz-replay" cargo test --manifest-path fuzz/Cargo.toml \
    --no-default-features --release; then
  ran+=("fuzz regression replay ($n_inputs inputs)")
else
  fail "fuzz regression replay"
fi

step "AddressSanitizer: regression replay + buffer tests ($host)"
if have_nightly; then
  echo "RUSTFLAGS=-Zsanitizer=address cargo +nightly test --manifest-path fuzz/Cargo.toml --no-default-features --release --target $host"
  if RUSTFLAGS="-Zsanitizer=address" ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
      CARGO_TARGET_DIR="$target/fuzz-asan" cargo +nightly test --manifest-path fuzz/Cargo.toml \
      --no-default-features --release --target "$host"; then
    ran+=("ASan replay + buffer tests")
  else
    fail "ASan replay + buffer tests"
  fi
else
  skip "ASan: needs the nightly toolchain (rustup toolchain install nightly)"
fi

step "NEON: regression replay under QEMU (aarch64, cortex-a72)"
if command -v qemu-aarch64-static >/dev/null && command -v aarch64-linux-gnu-gcc >/dev/null \
   && rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu; then
  echo "cargo test --manifest-path fuzz/Cargo.toml --no-default-features --release --target aarch64-unknown-linux-gnu   # runner: qemu-aarch64-static"
  if CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
      CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L /usr/aarch64-linux-gnu" \
      QEMU_CPU=cortex-a72 CARGO_TARGET_DIR="$target/fuzz-neon" cargo test \
      --manifest-path fuzz/Cargo.toml --no-default-features --release \
      --target aarch64-unknown-linux-gnu -- --nocapture; then
    ran+=("NEON replay under QEMU")
  else
    fail "NEON replay under QEMU"
  fi
else
  skip "NEON replay: needs qemu-aarch64-static, aarch64-linux-gnu-gcc and the rustup target aarch64-unknown-linux-gnu (.ci/run installs them)"
fi

if [ -n "${SIMDPAR_FUZZ_SECS:-}" ] && [ "${SIMDPAR_FUZZ_SECS}" -gt 0 ] 2>/dev/null; then
  step "fuzzing each target for $SIMDPAR_FUZZ_SECS s"
  if have_nightly && cargo +nightly fuzz --version >/dev/null 2>&1; then
    for t in reduce map mandelbrot; do
      mkdir -p "fuzz/corpus/$t"
      echo "cargo +nightly fuzz run --fuzz-dir fuzz -O $t fuzz/corpus/$t fuzz/regressions/$t -- -max_total_time=$SIMDPAR_FUZZ_SECS"
      if CARGO_TARGET_DIR="$target/fuzz" cargo +nightly fuzz run --fuzz-dir fuzz -O "$t" \
          "fuzz/corpus/$t" "fuzz/regressions/$t" -- -max_total_time="$SIMDPAR_FUZZ_SECS" \
          -rss_limit_mb=4096 -print_final_stats=1 2>&1 | tee "$target/fuzz-$t.log" \
          | grep -E "stat::number_of_executed_units|SUMMARY|panicked"; [ "${PIPESTATUS[0]}" = 0 ]; then
        ran+=("fuzz $t ${SIMDPAR_FUZZ_SECS}s")
      else
        fail "fuzz $t (crash input in fuzz/artifacts/$t/)"
      fi
    done
  else
    skip "fuzzing: needs nightly and cargo-fuzz (cargo install cargo-fuzz)"
  fi
fi

if [ "${SIMDPAR_ASAN_FULL:-}" = 1 ]; then
  step "AddressSanitizer over the Rust suite (instrumented std)"
  if have_nightly && rustup component list --toolchain nightly --installed 2>/dev/null | grep -q rust-src; then
    echo "RUSTFLAGS=-Zsanitizer=address cargo +nightly test -Zbuild-std --target $host -p simdpar-dispatch -p simdpar-kernels -p simdpar --lib --test contract --test properties --test concurrency --test dispatch"
    if RUSTFLAGS="-Zsanitizer=address" ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
        CARGO_TARGET_DIR="$target/asan" cargo +nightly test -Zbuild-std --target "$host" \
        -p simdpar-dispatch -p simdpar-kernels -p simdpar --lib --test contract --test properties \
        --test concurrency --test dispatch; then
      ran+=("ASan full Rust suite")
    else
      fail "ASan full Rust suite"
    fi
  else
    skip "full ASan: needs nightly with rust-src (rustup component add rust-src --toolchain nightly)"
  fi
fi

# Coverage fragment (merged by tools/test.sh into target/simdpar-coverage.json).
mkdir -p target/coverage-parts
printf '{"reliability": {"fuzz_regression_inputs": %s, "checks_run": %s, "checks_failed": %s}}\n' \
  "$n_inputs" "${#ran[@]}" "${#failures[@]}" > target/coverage-parts/reliability.json

echo
printf 'ran: %s\n' "${ran[@]:-nothing}"
if [ ${#failures[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "reliability checks passed"
