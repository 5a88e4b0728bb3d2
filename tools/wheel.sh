#!/usr/bin/env bash
# Build the Python package's wheels that install without Rust: abi3
# (CPython >= 3.10), x86_64 and aarch64, tagged manylinux2014
# (glibc 2.17), stripped. maturin links with zig (pip package `ziglang`),
# whose glibc stubs let one Debian 12 machine build for old glibc and for
# aarch64. Prints each wheel's size and `auditwheel show`'s verdict, and
# fails when a wheel's tag is not manylinux_2_17.
#
#   ./tools/wheel.sh                 # both wheels into target/wheels
#   ./tools/wheel.sh x86_64          # one arch (x86_64 or aarch64)
#   WHEEL_OUT=/tmp/w ./tools/wheel.sh
#
# Needs rustup (the targets are added here) and the project venv's pinned
# maturin, ziglang and auditwheel (tools/requirements.txt).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
venv="$("$root/tools/venv.sh")"
export PATH="$venv/bin:$PATH"
out="${WHEEL_OUT:-$root/target/wheels}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/wheel}"
# Smaller compile on small CI machines (the wheels are still release).
export CARGO_PROFILE_RELEASE_CODEGEN_UNITS="${CARGO_PROFILE_RELEASE_CODEGEN_UNITS:-16}"
export CARGO_PROFILE_RELEASE_DEBUG="${CARGO_PROFILE_RELEASE_DEBUG:-0}"
arches=("$@")
[ ${#arches[@]} -gt 0 ] || arches=(x86_64 aarch64)
mkdir -p "$out"
for arch in "${arches[@]}"; do
  case "$arch" in
    x86_64|aarch64) ;;
    *) echo "[wheel] unknown arch $arch (x86_64 or aarch64)" >&2; exit 2 ;;
  esac
  target="$arch-unknown-linux-gnu"
  if ! rustup target list --installed | grep -qx "$target"; then
    rustup target add "$target" >&2
  fi
  rm -f "$out"/simdpar-*-"$arch".whl "$out"/simdpar-*_"$arch".whl
  echo "[wheel] building $arch (maturin --zig, manylinux2014)" >&2
  start=$(date +%s)
  # zig must link: a linker or runner set for this target elsewhere (the
  # NEON test step sets aarch64-linux-gnu-gcc, whose glibc is the host's)
  # would give symbols newer than glibc 2.17.
  tvar="CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')"
  unset "${tvar}_LINKER" "${tvar}_RUNNER"
  (cd python && maturin build --release --strip --zig --compatibility manylinux2014 \
     --target "$target" --quiet -o "$out" >&2)
  wheel="$(ls "$out"/simdpar-*abi3-*"$arch".whl)"
  bytes=$(stat -c %s "$wheel")
  echo "[wheel] $(basename "$wheel"): $((bytes / 1024)) KiB ($bytes bytes), built in $(( $(date +%s) - start )) s"
  show="$(auditwheel show "$wheel")"
  echo "$show" | sed 's/^/[auditwheel] /'
  if ! echo "$show" | tr -d '\n' | grep -q "consistent with the following platform tag:.*\"manylinux_2_17_$arch\""; then
    echo "[wheel] FAILED: auditwheel does not confirm manylinux_2_17_$arch for $wheel" >&2
    exit 1
  fi
done
