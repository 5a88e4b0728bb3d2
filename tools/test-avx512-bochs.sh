#!/usr/bin/env bash
# AVX-512 under the Bochs CPU emulator: every AVX-512 kernel (f32 and f64),
# run inside bochscpu-python 0.3.1 and compared bit for bit with its scalar
# twin run natively. Works on hosts without AVX-512 (the point of it).
#
#   ./tools/test-avx512-bochs.sh            # run by ./tools/test.sh
#   SIMDPAR_CI=1 ./tools/test-avx512-bochs.sh   # a missing tool fails instead of skipping
#
# Steps: build the test-only cdylib tests/bochs/abi in release; static check
# of its machine code (zmm arithmetic, no libc / TLS reachable); the emulated
# suite (tests/bochs/harness/suite.py), whose coverage fragment goes to
# target/coverage-parts/avx512-bochs.json; then the same static check on a
# build tuned for x86-64-v4 (LLVM's prefer-256-bit), which must stay 512-bit.
# Needs: the project venv (.venv: bochscpu-python, pyelftools, numpy; made by
# tools/venv.sh) and objdump (binutils).
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

skip() {
  echo "!! SKIPPED: avx512 NOT VERIFIED under the Bochs emulator ($1)"
  if [ "${SIMDPAR_CI:-}" = 1 ]; then
    echo "SIMDPAR_CI=1: a skipped AVX-512 suite is a failure"
    exit 1
  fi
  exit 77 # "skipped": tools/test.sh lists it in its summary
}

[ "$(uname -m)" = x86_64 ] || skip "needs an x86-64 host, this is $(uname -m)"
command -v objdump >/dev/null || skip "objdump not found (apt-get install binutils)"

py="${SIMDPAR_BOCHS_PYTHON:-$root/.venv/bin/python}"
have_emulator() { "$py" -c "import bochscpu, elftools, numpy" >/dev/null 2>&1; }
if ! have_emulator && [ -z "${SIMDPAR_BOCHS_PYTHON:-}" ]; then
  echo "[avx512-bochs] setting up the project venv (tools/venv.sh)"
  ./tools/venv.sh >/dev/null || true
fi
have_emulator || skip "no Python with bochscpu-python==0.3.1, pyelftools and numpy at $py (run tools/venv.sh)"

set -e
echo "[avx512-bochs] building the test-only C ABI (tests/bochs/abi), release"
cargo build --release -p simdpar-avx512-abi
target="${CARGO_TARGET_DIR:-$root/target}"
so="$target/release/libsimdpar_avx512_abi.so"
mkdir -p "$root/target/coverage-parts"
"$py" tests/bochs/harness/suite.py "$so" --coverage-part "$root/target/coverage-parts/avx512-bochs.json"

echo "[avx512-bochs] static check of a build tuned for x86-64-v4 (prefer-256-bit must not reach the kernels)"
RUSTFLAGS="${RUSTFLAGS:-} -C target-cpu=x86-64-v4" \
  cargo build --release -p simdpar-avx512-abi --target-dir "$target/avx512-bochs-v4"
"$py" tests/bochs/harness/codecheck.py "$target/avx512-bochs-v4/release/libsimdpar_avx512_abi.so"
