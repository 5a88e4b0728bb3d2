#!/usr/bin/env bash
# Wheels a user installs without Rust:
#
#  1. ./tools/wheel.sh builds the abi3 manylinux2014 wheels (x86_64 and
#     aarch64; auditwheel confirms manylinux_2_17 for each).
#  2. The x86_64 wheel is installed with pip into a fresh venv and the
#     Python suite (python/tests, copied out of the source tree) runs
#     against it with no cargo or rustc on PATH. The Mojo and notebook
#     tests are left to tools/test-python.sh (they need the Mojo toolchain
#     and a browser, not the wheel), as is the test of the source tree's
#     bench timing loader (the copied tests have no source tree beside them).
#  3. The aarch64 wheel runs under QEMU (cortex-a72: NEON, no SVE) on
#     Debian 12's aarch64 CPython 3.11 (apt-get download ...:arm64, unpacked
#     with dpkg -x) and PyPI's aarch64 NumPy wheel: `import simdpar`, NEON
#     is active, and every kernel on NEON equals scalar bit for bit.
#
# Extra arguments go to pytest (e.g. `-k threads`).
#
# Exit 77 (skipped, loudly) when a tool is missing: QEMU, the arm64 apt
# lists (`dpkg --add-architecture arm64 && apt-get update`, done by .ci/run),
# rustup. Under SIMDPAR_CI=1 tools/test.sh counts that as a failure.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
skip() { echo "!! SKIPPED: test-wheels: $*" >&2; exit 77; }
[ "$(uname -m)" = x86_64 ] || skip "the wheel tests run on an x86_64 host (this is $(uname -m))"
command -v rustup >/dev/null || skip "rustup is not on PATH (the wheels are cross-built with its targets)"
command -v qemu-aarch64-static >/dev/null || skip "qemu-aarch64-static missing (apt-get install qemu-user-static; .ci/run does)"
venv="$("$root/tools/venv.sh")"
req="$root/tools/requirements.txt"
pin() { grep -E "^$1([=<>\[]|$)" "$req" || skip "$1 is not pinned in tools/requirements.txt"; }

work="$root/target/test-wheels"
rm -rf "$work"
mkdir -p "$work"
WHEEL_OUT="$work/wheels" "$root/tools/wheel.sh" x86_64
x86="$(ls "$work"/wheels/simdpar-*-manylinux*_x86_64.whl)"
# The aarch64 wheel builds while the x86_64 one is tested (pytest needs no
# cargo), which keeps the added CI time down.
WHEEL_OUT="$work/wheels" "$root/tools/wheel.sh" aarch64 > "$work/wheel-aarch64.log" 2>&1 &
arm_build=$!
trap 'kill "$arm_build" 2>/dev/null || true' EXIT

echo "[test-wheels] 1/2: pip install $(basename "$x86") into a fresh venv, no Rust on PATH" >&2
start=$(date +%s)
python3 -m venv "$work/venv"
clean="$work/venv/bin:/usr/local/bin:/usr/bin:/bin"
for tool in cargo rustc rustup; do
  if PATH="$clean" command -v "$tool" >/dev/null; then
    echo "[test-wheels] FAILED: $tool is on the clean PATH ($clean)" >&2
    exit 1
  fi
done
pin numpy > "$work/constraints.txt"
"$work/venv/bin/python" -m pip install -q --disable-pip-version-check -c "$work/constraints.txt" \
  "$x86" "$(pin pytest)" "$(pin threadpoolctl)" "$(pin 'dask\[array\]')" "$(pin distributed)" >&2
cp -r python/tests "$work/tests"
# Outside the source tree, with Rust unreachable: `import simdpar` can only
# be the installed wheel.
(cd "$work" && env -u CARGO_TARGET_DIR PATH="$clean" CARGO_HOME=/nonexistent RUSTUP_HOME=/nonexistent \
   "$work/venv/bin/python" -m pytest -q -p no:cacheprovider tests \
   --ignore=tests/test_mojo.py --ignore=tests/test_mojo_extension.py \
   --ignore=tests/test_notebooks.py --ignore=tests/test_notebooks_browser.py \
   --ignore=tests/test_bench_timing_shim.py \
   --junitxml="$work/pytest.xml" "$@")
"$work/venv/bin/python" - "$work/pytest.xml" "$work/venv" <<'PY'
import os, sys, xml.etree.ElementTree as ET
s = ET.parse(sys.argv[1]).getroot()
s = s if s.tag == "testsuite" else s.find("testsuite")
tests, skipped = int(s.get("tests", 0)), int(s.get("skipped", 0))
import simdpar
where = os.path.dirname(simdpar.__file__)
assert where.startswith(sys.argv[2]), f"simdpar imported from {where}, not the venv"
print(f"[test-wheels] x86_64 wheel: {tests - skipped}/{tests} tests passed, {skipped} skipped "
      f"(simdpar from {where})", file=sys.stderr)
if skipped and os.environ.get("SIMDPAR_CI") == "1":
    sys.exit("[test-wheels] SIMDPAR_CI=1: skipped tests are failures")
PY
echo "[test-wheels] x86_64 done in $(( $(date +%s) - start )) s" >&2

if ! wait "$arm_build"; then
  cat "$work/wheel-aarch64.log" >&2
  echo "[test-wheels] FAILED: the aarch64 wheel did not build" >&2
  exit 1
fi
trap - EXIT
cat "$work/wheel-aarch64.log"
arm="$(ls "$work"/wheels/simdpar-*-manylinux*_aarch64.whl)"
echo "[test-wheels] 2/2: $(basename "$arm") under QEMU (Debian aarch64 CPython, PyPI aarch64 NumPy)" >&2
start=$(date +%s)
mkdir -p "$work/arm/debs" "$work/arm/sysroot" "$work/arm/site" "$work/arm/np"
debs=(libc6 libgcc-s1 libstdc++6 python3.11-minimal libpython3.11-minimal libpython3.11-stdlib
      libexpat1 zlib1g libffi8 libbz2-1.0 liblzma5)
(cd "$work/arm/debs" && apt-get download -q "${debs[@]/%/:arm64}" >/dev/null 2>"$work/arm/apt.log") \
  || { cat "$work/arm/apt.log" >&2; skip "apt-get download of the arm64 CPython failed (needs 'dpkg --add-architecture arm64 && apt-get update'; .ci/run does it)"; }
for d in "$work"/arm/debs/*.deb; do dpkg -x "$d" "$work/arm/sysroot"; done
"$venv/bin/python" -m pip download -q --disable-pip-version-check --only-binary=:all: \
  --platform manylinux_2_28_aarch64 --platform manylinux_2_17_aarch64 --platform manylinux2014_aarch64 \
  --python-version 3.11 --implementation cp --abi cp311 "$(pin numpy)" -d "$work/arm/np" >&2
for w in "$work"/arm/np/numpy-*.whl "$arm"; do (cd "$work/arm/site" && python3 -m zipfile -e "$w" .); done
cat > "$work/arm/neon_check.py" <<'PY'
"""Under QEMU: the aarch64 wheel imports, runs NEON by default, and every
kernel on NEON equals scalar bit for bit (NaN payloads aside)."""
import platform
import numpy as np
import simdpar

assert platform.machine() == "aarch64", platform.machine()
isas = simdpar.available_isas()
assert "neon" in isas and simdpar.active_isa() == "neon", (isas, simdpar.active_isa())

def same(a, b):
    a, b = np.asarray(a), np.asarray(b)
    if a.dtype.kind == "f":
        both_nan = np.isnan(a) & np.isnan(b)
        a, b = np.where(both_nan, 0, a), np.where(both_nan, 0, b)
    return a.shape == b.shape and a.tobytes() == b.tobytes()

rng = np.random.default_rng(23)
checked = 0
for dt in (np.float32, np.float64):
    tiny = np.finfo(dt).tiny
    special = np.array([np.nan, np.inf, -np.inf, -0.0, 0.0, tiny / 4, -tiny / 3, np.finfo(dt).max], dt)
    for n in (1, 3, 8, 17, 64, 1000, 4099, 70001):
        x = (rng.standard_normal(n) * 100).astype(dt)
        y = (rng.standard_normal(n) * 3).astype(dt)
        if n >= 64:
            x[rng.integers(0, n, 8)] = special
        calls = {
            "sum": lambda: simdpar.sum(x),
            "add": lambda: simdpar.add(x, y),
            "multiply": lambda: simdpar.multiply(x, y),
            "square": lambda: simdpar.square(x),
            "scale": lambda: simdpar.scale(x, 1.7),
            "leaky_relu": lambda: simdpar.leaky_relu(x, 0.1),
        }
        if n % 8 == 0 or n == 1000:
            calls["row_sums"] = lambda: simdpar.row_sums(x.reshape(-1, 8 if n % 8 == 0 else 10))
        for name, f in calls.items():
            with simdpar.use_isa("neon"):
                a = f()
            with simdpar.use_isa("scalar"):
                b = f()
            assert same(a, b), (name, dt.__name__, n)
            checked += 1
    for w, h in ((61, 37), (128, 96)):
        with simdpar.use_isa("neon"):
            a = simdpar.mandelbrot(w, h, max_iter=200, dtype=dt)
        with simdpar.use_isa("scalar"):
            b = simdpar.mandelbrot(w, h, max_iter=200, dtype=dt)
        assert same(a, b), ("mandelbrot", dt.__name__, w, h)
        checked += 1
print(f"aarch64 wheel under QEMU: simdpar {simdpar.__version__}, ISAs {isas}, "
      f"{checked} NEON calls bitwise equal to scalar")
PY
sysroot="$work/arm/sysroot"
QEMU_CPU=cortex-a72 PYTHONHOME="$sysroot/usr" PYTHONPATH="$work/arm/site" PYTHONNOUSERSITE=1 \
  qemu-aarch64-static -L "$sysroot" "$sysroot/usr/bin/python3.11" "$work/arm/neon_check.py"
echo "[test-wheels] aarch64 done in $(( $(date +%s) - start )) s" >&2
echo "[test-wheels] OK" >&2
