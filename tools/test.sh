#!/usr/bin/env bash
# The test command: sets up what it needs (project venv with pinned tools,
# the aarch64 target for NEON under QEMU) and runs every suite.
#
#   ./tools/test.sh            # everything this machine can run; skips are loud
#   SIMDPAR_CI=1 ./tools/test.sh   # CI: a missing tool (Mojo, QEMU, Bochs) is a failure
#
# At the end it merges the suites' coverage fragments into
# target/simdpar-coverage.json and prints a one-line summary.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
export CARGO_TERM_COLOR=${CARGO_TERM_COLOR:-never}
failures=()
skips=()
step() { echo; echo "==> $*"; }
fail() { failures+=("$1"); echo "!! FAILED: $1"; }
skip() {
  skips+=("$1")
  echo "!! SKIPPED: $1"
  if [ "${SIMDPAR_CI:-}" = 1 ]; then failures+=("skipped in CI: $1"); fi
}

rm -rf target/coverage-parts
mkdir -p target/coverage-parts

step "project venv (pinned Python tools)"
if venv=$(./tools/venv.sh); then
  export PATH="$venv/bin:$PATH"
  export SIMDPAR_MOJO="${SIMDPAR_MOJO:-$venv/bin/mojo}"
else
  skip "project venv could not be created (Mojo parity, Python and Bochs suites need it)"
fi
if [ "${SIMDPAR_CI:-}" = 1 ]; then export SIMDPAR_REQUIRE_MOJO=1; fi

step "formatting"
cargo fmt --all -- --check || fail "cargo fmt --check"

step "Rust tests (host ISAs, Mojo cache + parity, compile-fail, docs)"
cargo test --release --workspace --exclude simdpar-python --all-targets 2>&1 | tee target/cargo-test.log
[ "${PIPESTATUS[0]}" = 0 ] || fail "cargo test"
cargo test --release --workspace --exclude simdpar-python --doc || fail "doctests"

step "Rust tests on the rayon runtime (feature rayon, SIMDPAR_RUNTIME=rayon: the same bits)"
# Every parallel call of these suites runs on rayon's pool instead of
# simdpar's own; kernels' rayon_* tests also check calls made on rayon
# workers start no simdpar thread.
SIMDPAR_RUNTIME=rayon cargo test --release -p simdpar --features rayon \
  --test properties --test concurrency || fail "cargo test --features rayon (properties, concurrency)"
SIMDPAR_RUNTIME=rayon cargo test --release -p simdpar-kernels --features rayon --lib --tests \
  || fail "cargo test -p simdpar-kernels --features rayon"

step "NEON under QEMU (aarch64, cortex-a72: NEON without SVE)"
if command -v qemu-aarch64-static >/dev/null && command -v aarch64-linux-gnu-gcc >/dev/null \
   && rustup target list --installed 2>/dev/null | grep -q aarch64-unknown-linux-gnu; then
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
  export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64-static -L /usr/aarch64-linux-gnu"
  SIMDPAR_UNDER_QEMU=1 QEMU_CPU=cortex-a72 cargo test --release --target aarch64-unknown-linux-gnu \
    -p simdpar-dispatch -p simdpar-kernels -p simdpar --lib --test contract \
    || fail "NEON tests under QEMU"
else
  skip "NEON: needs qemu-aarch64-static, aarch64-linux-gnu-gcc and the rustup target aarch64-unknown-linux-gnu (.ci/run installs them)"
fi

# Per-area suites. Exit status 77 means "skipped: a tool is missing" (the
# script prints why); it is a failure under SIMDPAR_CI=1.
for script in tools/test-*.sh; do
  [ -e "$script" ] || continue
  step "$script"
  bash "$script"
  rc=$?
  if [ "$rc" = 77 ]; then skip "$script (see its output above)"
  elif [ "$rc" != 0 ]; then fail "$script"
  fi
done

step "coverage"
python3 - <<'PY' || fail "coverage merge"
import json, glob, os, sys
def merge(a, b):
    for k, v in b.items():
        if k in a and isinstance(a[k], dict) and isinstance(v, dict):
            merge(a[k], v)
        elif k in a and isinstance(a[k], (int, float)) and isinstance(v, (int, float)) \
                and not isinstance(v, bool):
            a[k] += v
        else:
            a[k] = v
    return a
def merge_isa(a, b):
    # One ISA verified several ways (e.g. AVX-512 natively and under Bochs):
    # keep every method and its case count; "verified_by" lists them all.
    by = a.setdefault("cases_by", {})
    for part in (b,):
        m = part.get("verified_by", "unknown")
        by[m] = by.get(m, 0) + part.get("cases", 0)
    a["cases"] = sum(by.values())
    a["verified_by"] = "+".join(sorted(by))
out = {}
for f in sorted(glob.glob("target/coverage-parts/*.json")):
    with open(f) as fh:
        part = json.load(fh)
    isas = part.pop("isas", {})
    merge(out, part)
    for isa, entry in isas.items():
        merge_isa(out.setdefault("isas", {}).setdefault(isa, {}), entry)
# Every host verifies scalar and portable natively (the contract suite's
# fragments); their absence means a suite wrote its fragment elsewhere.
missing = [i for i in ("scalar", "portable") if i not in out.get("isas", {})]
if missing:
    sys.exit(f"coverage: no fragment verified {missing} (target/coverage-parts/*.json)")
with open("target/simdpar-coverage.json", "w") as fh:
    json.dump(out, fh, indent=2, sort_keys=True)
isas = out.get("isas", {})
parts = [f"{k}={v.get('verified_by')}:{v.get('cases')}" for k, v in sorted(isas.items())]
par = out.get("parity")
if par:
    parts.append(f"parity={par.get('ok')}/{par.get('cells')} cells ok")
print("coverage: " + (", ".join(parts) if parts else "nothing recorded") + "  (target/simdpar-coverage.json)")
PY

echo
if [ ${#skips[@]} -gt 0 ]; then printf 'skipped: %s\n' "${skips[@]}"; fi
if [ ${#failures[@]} -gt 0 ]; then
  printf 'FAILED: %s\n' "${failures[@]}"
  exit 1
fi
echo "all suites passed"
