"""Static checks of the release cdylib's machine code (objdump + pyelftools).

For every `simdpar_*_avx512` export, walks its call graph (direct calls and
jumps, and calls through GOT slots resolved with the dynamic relocations)
and checks that:

* the code really is 512-bit: the kernel's reachable code contains zmm
  arithmetic (`vaddp*`/`vsubp*`/`vmulp*` on `%zmm`), so a build that LLVM
  tuned for `prefer-256-bit` (or any other silent fallback to ymm/xmm code)
  fails here instead of passing the emulator suite with AVX2-width code;
* it is a leaf: no imported function (libc, libgcc) and no thread-local
  (`%fs:`) access is reachable, except behind a panic entry point of core
  or std (bounds checks the kernel's own logic never fails; the emulator
  suite would report any that were taken).

Run: python codecheck.py LIB.so   (exit status 1 on any failure)
"""

from __future__ import annotations

import re
import subprocess
import sys

from elftools.elf.elffile import ELFFile
from elftools.elf.relocation import RelocationSection

FUNC_RE = re.compile(r"^([0-9a-f]+) <(.+)>:$")
INSN_RE = re.compile(r"^\s+([0-9a-f]+):\s+(\S+)\s*(.*)$")
DIRECT_RE = re.compile(r"^([0-9a-f]+) <")
GOT_RE = re.compile(r"\*0x[0-9a-f]+\(%rip\)\s+#\s+([0-9a-f]+)")
ZMM_ARITH_RE = re.compile(r"^v(add|sub|mul)p[sd]$")

# Entry points of the panic machinery: reaching them means a failed check
# (bounds, overflow, unwrap) that aborts; the walk stops there.
PANIC_PREFIXES = (
    "core::panicking::",
    "core::slice::index::",
    "core::option::unwrap_failed",
    "core::option::expect_failed",
    "core::result::unwrap_failed",
    "core::cell::panic_",
    "core::ptr::const_ptr::",      # precondition checks (debug builds only)
    "core::ub_checks::",
    "std::panicking::",
    "std::process::abort",
    "core::hint::unreachable_unchecked::precondition_check",
    "core::slice::raw::from_raw_parts::precondition_check",
    "core::slice::raw::from_raw_parts_mut::precondition_check",
)


def _got_targets(path):
    """GOT slot address -> ('func', address) or ('import', name)."""
    out = {}
    with open(path, "rb") as f:
        elf = ELFFile(f)
        dynsym = elf.get_section_by_name(".dynsym")
        for sec in elf.iter_sections():
            if not isinstance(sec, RelocationSection):
                continue
            for r in sec.iter_relocations():
                t = r["r_info_type"]
                if t == 8:
                    out[r["r_offset"]] = ("func", r["r_addend"])
                elif t in (1, 6, 7):
                    sym = dynsym.get_symbol(r["r_info_sym"])
                    if sym["st_shndx"] == "SHN_UNDEF":
                        out[r["r_offset"]] = ("import", sym.name)
                    else:
                        out[r["r_offset"]] = ("func", sym["st_value"])
    return out


def disassemble(path):
    """{function start: (name, [(addr, mnemonic, operands)])}."""
    text = subprocess.run(
        ["objdump", "-d", "-C", "--no-show-raw-insn", "-j", ".text", path],
        check=True, capture_output=True, text=True).stdout
    funcs = {}
    cur = None
    for line in text.splitlines():
        m = FUNC_RE.match(line)
        if m:
            cur = (m.group(2), [])
            funcs[int(m.group(1), 16)] = cur
            continue
        m = INSN_RE.match(line)
        if m and cur is not None:
            cur[1].append((int(m.group(1), 16), m.group(2), m.group(3)))
    return funcs


def analyse(path):
    funcs = disassemble(path)
    got = _got_targets(path)
    starts = sorted(funcs)
    by_name = {name: addr for addr, (name, _) in funcs.items()}

    def owner(addr):
        import bisect
        i = bisect.bisect_right(starts, addr) - 1
        return starts[i] if i >= 0 else None

    def walk(root):
        seen, stack = set(), [root]
        zmm, zmm_arith, ymm_arith, imports, tls, panics = 0, set(), set(), set(), [], set()
        while stack:
            f = stack.pop()
            if f in seen or f not in funcs:
                continue
            seen.add(f)
            name, insns = funcs[f]
            if name.startswith(PANIC_PREFIXES):
                panics.add(name)
                continue
            for addr, mnem, ops in insns:
                if "%zmm" in ops:
                    zmm += 1
                    if ZMM_ARITH_RE.match(mnem):
                        zmm_arith.add(mnem)
                elif "%ymm" in ops and ZMM_ARITH_RE.match(mnem):
                    ymm_arith.add(mnem)
                if "%fs:" in ops:
                    tls.append((name, addr, mnem, ops))
                if mnem.startswith(("call", "jmp")) or mnem.startswith("j"):
                    m = GOT_RE.search(ops)
                    if m:
                        kind, val = got.get(int(m.group(1), 16), ("import", "?unknown GOT slot"))
                        if kind == "import":
                            imports.add((val, name))
                        else:
                            stack.append(owner(val))
                        continue
                    m = DIRECT_RE.match(ops)
                    if m:
                        tgt = owner(int(m.group(1), 16))
                        if tgt is not None and tgt != f:
                            stack.append(tgt)
        return {"functions": len(seen), "zmm": zmm, "zmm_arith": sorted(zmm_arith),
                "ymm_arith": sorted(ymm_arith),
                "imports": sorted(imports), "tls": tls, "panics": sorted(panics)}

    return {name: walk(addr) for name, addr in sorted(by_name.items())
            if name.startswith("simdpar_") and name.endswith(("_avx512", "_avx2_probe"))}


def check(path, verbose=True):
    """Returns (failures, report lines)."""
    results = analyse(path)
    failures, lines = [], []
    kernels = [k for k in results if k.endswith("_avx512") and not k.startswith("simdpar_broken_")]
    if not kernels:
        failures.append(f"no simdpar_*_avx512 exports found in {path}")
    # Self-test: the AVX2 probe must show 256-bit and no 512-bit arithmetic,
    # or the check could not tell an AVX2 fallback from AVX-512 code.
    probe = results.get("simdpar_sum_f32_avx2_probe")
    if probe is None:
        failures.append("self-test: simdpar_sum_f32_avx2_probe not found")
    else:
        good = probe["ymm_arith"] and not probe["zmm_arith"]
        lines.append(f"  {'ok' if good else 'FAIL':4} self-test on the AVX2 probe: 256-bit arithmetic "
                     f"{', '.join(probe['ymm_arith']) or 'none'}; 512-bit arithmetic "
                     f"{', '.join(probe['zmm_arith']) or 'none'} (must be none)")
        if not good:
            failures.append("self-test: the check does not tell ymm from zmm code on the AVX2 probe")
    for name in kernels:
        r = results[name]
        problems = []
        if not r["zmm_arith"]:
            problems.append(f"no 512-bit arithmetic (zmm instructions: {r['zmm']})")
        if r["imports"]:
            problems.append("calls imported " + ", ".join(f"`{i}` (from {c})" for i, c in r["imports"]))
        if r["tls"]:
            problems.append(f"thread-local access: {r['tls'][0]}")
        status = "FAIL" if problems else "ok"
        lines.append(f"  {status:4} {name}: {r['zmm']} zmm instructions ({', '.join(r['zmm_arith']) or 'none'}), "
                     f"{r['functions']} functions, panic exits: {len(r['panics'])}"
                     + ("; " + "; ".join(problems) if problems else ""))
        if problems:
            failures.append(f"{name}: " + "; ".join(problems))
    if verbose:
        print("\n".join(lines))
    return failures, lines, kernels


if __name__ == "__main__":
    fails, _, kernels = check(sys.argv[1])
    for f in fails:
        print("FAIL", f)
    checks = len(kernels) + 1
    print(f"codecheck: {len(kernels)} AVX-512 exports checked for 512-bit leaf code (+ self-test)")
    print(f"{checks - len(fails)} passed, {len(fails)} failed")
    sys.exit(1 if fails else 0)
