"""Run x86-64 leaf functions of a shared library inside the Bochs CPU emulator.

`bochscpu-python==0.3.1` (its default CPU model has AVX-512 F/CD/BW/DQ/VL/
IFMA/VBMI/VBMI2/VNNI/BITALG/VPOPCNTDQ) executes the machine code; this module
gives it a flat 64-bit user-mode address space:

* the whole `.so` is mapped at `SO_BASE` (every PT_LOAD segment) with its
  dynamic relocations applied, so RIP-relative constants and calls through
  the GOT work. Symbols the `.so` imports (libc, libgcc) are pointed at
  distinct addresses in an unmapped "trap" range: calling one faults, and the
  fault names the function (a leaf kernel must never get there);
* data lives in *slots*: contiguous regions, each followed by an unmapped
  guard page, backed by one numpy buffer on the host, so any access past the
  end of a slot faults with #PF and the host reads and writes slots fast;
* a stack, and a return address pointing at a `HLT`: a normal return executes
  `HLT` at CPL 3, which raises #GP at that address. Any other exception (#PF
  for a stray access, #UD for an instruction the model lacks, ...) is a
  failure, reported as `EmulatorFault`.

Calls follow the System V AMD64 convention: integer and pointer arguments
in rdi, rsi, rdx, rcx, r8, r9; f32/f64 arguments in xmm0..7; f32/f64 results
in xmm0, integer results in rax.
"""

from __future__ import annotations

import struct
import time

import numpy as np

import bochscpu
import bochscpu.cpu as bcpu
import bochscpu.memory as bmem

PAGE = 0x1000
PML4_GPA = 0x0010_0000
SO_BASE = 0x0000_5555_0000_0000
TRAP_BASE = 0x0000_0BAD_0000_0000    # imported symbols point here, unmapped
TRAP_STRIDE = 0x10
STOP_GVA = 0x0000_7000_0000_0000     # one HLT: the return address
STACK_TOP = 0x0000_7FFF_0000_0000
STACK_PAGES = 16
SLOT_BASE = 0x0000_6000_0000_0000

EXC_NAMES = {0: "#DE", 6: "#UD", 7: "#NM", 13: "#GP", 14: "#PF", 17: "#AC", 19: "#XM"}
INT_REGS = ("rdi", "rsi", "rdx", "rcx", "r8", "r9")


class EmulatorFault(RuntimeError):
    """The emulated function did not return normally."""

    def __init__(self, msg, vector=None, rip=None, addr=None, symbol=None):
        super().__init__(msg)
        self.vector = vector
        self.rip = rip
        self.addr = addr
        self.symbol = symbol


class Slot:
    """A guest region of `pages` pages followed by an unmapped guard page,
    backed by a contiguous host buffer (`self.mem`, a numpy uint8 array)."""

    def __init__(self, gva, pages, mem):
        self.gva = gva
        self.size = pages * PAGE
        self.end = gva + self.size
        self.mem = mem

    def view(self, gva, dtype, count):
        off = gva - self.gva
        nbytes = np.dtype(dtype).itemsize * count
        assert 0 <= off and off + nbytes <= self.size, "outside the slot"
        return self.mem[off:off + nbytes].view(dtype)


class Machine:
    def __init__(self):
        self.sess = bochscpu.Session()
        self.sess.missing_page_handler = self._missing_page
        self.gva_to_gpa = {}
        self._keep = []                  # host buffers backing guest pages
        self.next_gpa = 0x1_0000_0000
        self.dirty = True
        self.pt = None
        self.traps = {}                  # trap address -> imported symbol name
        self.exc = None
        self.elapsed = 0.0
        self.calls = 0
        stop = self._map(STOP_GVA, 1)
        stop[0] = 0xF4                   # hlt
        self._stack = self._map(STACK_TOP - STACK_PAGES * PAGE, STACK_PAGES)
        self._slot_cursor = SLOT_BASE
        self._hook = bochscpu.Hook()
        self._hook.exception = self._on_exception
        self._state = self._base_state()

    # ------------------------------------------------------------ memory
    def _missing_page(self, gpa):
        raise EmulatorFault(f"access to unbacked guest-physical page {gpa:#x}")

    def _map(self, gva, pages):
        """Maps `pages` pages at `gva` onto one new zeroed host buffer."""
        assert gva % PAGE == 0
        raw = np.zeros((pages + 1) * PAGE, dtype=np.uint8)
        start = (-raw.ctypes.data) % PAGE
        mem = raw[start:start + pages * PAGE]
        self._keep.append(raw)
        hva = mem.ctypes.data
        for i in range(pages):
            page = gva + i * PAGE
            assert page not in self.gva_to_gpa, f"page {page:#x} mapped twice"
            gpa = self.next_gpa
            self.next_gpa += PAGE
            bmem.page_insert(gpa, hva + i * PAGE)
            self.gva_to_gpa[page] = gpa
        self.dirty = True
        return mem

    def slot(self, pages):
        """A new data slot of `pages` pages, followed by an unmapped guard
        page (and preceded by one: slots are two pages apart)."""
        gva = self._slot_cursor + PAGE
        self._slot_cursor = gva + (pages + 1) * PAGE
        return Slot(gva, pages, self._map(gva, pages))

    def _commit(self):
        if not self.dirty:
            return
        pt = bmem.PageMapLevel4Table()
        for page, gpa in self.gva_to_gpa.items():
            pt.insert(page, gpa, 1)      # present, writable, user, executable
        for hva, gpa in pt.commit(PML4_GPA):
            bmem.page_insert(gpa, hva)
        self.pt = pt                     # owns the table pages
        self.dirty = False

    # ------------------------------------------------------------ ELF
    def load_elf(self, path, base=SO_BASE):
        """Maps every PT_LOAD segment of the shared library at `base`, applies
        its dynamic relocations, and returns {function name: guest address}."""
        from elftools.elf.elffile import ELFFile
        from elftools.elf.relocation import RelocationSection

        with open(path, "rb") as f:
            elf = ELFFile(f)
            loads = [s for s in elf.iter_segments() if s["p_type"] == "PT_LOAD"]
            lo = min(s["p_vaddr"] for s in loads) & ~(PAGE - 1)
            hi = max(s["p_vaddr"] + s["p_memsz"] for s in loads)
            pages = (hi - lo + PAGE - 1) // PAGE
            image = self._map(base + lo, pages)
            for s in loads:
                data = s.data()
                off = s["p_vaddr"] - lo
                image[off:off + len(data)] = np.frombuffer(data, dtype=np.uint8)
            dynsym = elf.get_section_by_name(".dynsym")
            trap_of = {}

            def write_u64(vaddr, value):
                off = vaddr - lo
                image[off:off + 8] = np.frombuffer(
                    struct.pack("<Q", value & 0xFFFF_FFFF_FFFF_FFFF), dtype=np.uint8)

            for sec in elf.iter_sections():
                if not isinstance(sec, RelocationSection):
                    continue
                for r in sec.iter_relocations():
                    t = r["r_info_type"]
                    if t == 8:                               # R_X86_64_RELATIVE: B + A
                        write_u64(r["r_offset"], base + r["r_addend"])
                    elif t in (1, 6, 7):                     # 64, GLOB_DAT, JUMP_SLOT
                        sym = dynsym.get_symbol(r["r_info_sym"])
                        if sym["st_shndx"] != "SHN_UNDEF":
                            s_val = base + sym["st_value"]
                        else:
                            if sym.name not in trap_of:
                                addr = TRAP_BASE + TRAP_STRIDE * (len(trap_of) + 1)
                                trap_of[sym.name] = addr
                                self.traps[addr] = sym.name
                            s_val = trap_of[sym.name]
                        write_u64(r["r_offset"], s_val + (r["r_addend"] if t == 1 else 0))
                    # TLS relocations (DTPMOD64, ...) are left alone: a leaf
                    # kernel touches no thread-local, and FS base is 0
                    # (unmapped), so any TLS access faults.
            syms = {}
            for name in (".dynsym", ".symtab"):
                sec = elf.get_section_by_name(name)
                if sec is None:
                    continue
                for s in sec.iter_symbols():
                    if s["st_info"]["type"] == "STT_FUNC" and s["st_value"]:
                        syms[s.name] = base + s["st_value"]
        return syms

    # ------------------------------------------------------------ execution
    def _base_state(self):
        st = bochscpu.State()
        bcpu.set_long_mode(st)
        cr4 = bcpu.ControlRegister(st.cr4)
        cr4.PAE = True
        cr4.OSFXSR = True
        cr4.OSXMMEXCPT = True
        cr4.OSXSAVE = True
        st.cr4 = int(cr4)
        st.cr3 = PML4_GPA
        st.xcr0 = 0xE7            # x87 | SSE | AVX | opmask | ZMM_Hi256 | Hi16_ZMM
        st.mxcsr = 0x1F80         # exceptions masked, round to nearest, no FTZ/DAZ
        st.mxcsr_mask = 0xFFFF
        st.fpcw = 0x037F
        st.rflags = 0x202
        cs = bochscpu.Segment()
        cs.present, cs.selector, cs.base, cs.limit, cs.attr = True, 0x33, 0, 0xFFFF_FFFF, 0x22FB
        ds = bochscpu.Segment()
        ds.present, ds.selector, ds.base, ds.limit, ds.attr = True, 0x2B, 0, 0xFFFF_FFFF, 0xCF3
        st.cs, st.ds, st.ss, st.es, st.fs, st.gs = cs, ds, ds, ds, ds, ds
        return st

    def _on_exception(self, sess, cpu_id, vector, error_code):
        self.exc = (vector, error_code, sess.cpu.rip, sess.cpu.cr2)
        sess.stop()

    def call(self, rip, int_args=(), float_args=()):
        """Calls the function at `rip`. `float_args` are raw bit patterns
        (u32 for f32, u64 for f64) for xmm0, xmm1, ... Returns the CPU state
        after the return. Raises `EmulatorFault` on any abnormal stop."""
        self._commit()
        st = self._state
        rsp = STACK_TOP - 0x100 - 8      # as after CALL: rsp % 16 == 8
        stack = STACK_TOP - STACK_PAGES * PAGE
        self._stack[rsp - stack:rsp - stack + 8] = np.frombuffer(
            struct.pack("<Q", STOP_GVA), dtype=np.uint8)
        st.rsp = rsp
        st.rip = rip
        for name, v in zip(INT_REGS, int_args):
            setattr(st, name, v & 0xFFFF_FFFF_FFFF_FFFF)
        if float_args:
            zmms = st.zmm
            for i, v in enumerate(float_args):
                z = zmms[i]
                q = [0] * 8
                q[0] = v
                z.q = q
                zmms[i] = z
            st.zmm = zmms
        self.sess.cpu.state = st
        self.exc = None
        t0 = time.perf_counter()
        self.sess.run([self._hook])
        self.elapsed += time.perf_counter() - t0
        self.calls += 1
        vec, err, rip_at, cr2 = self.exc if self.exc else (None, None, self.sess.cpu.rip, 0)
        if vec == 13 and STOP_GVA <= rip_at <= STOP_GVA + 1:
            return self.sess.cpu
        raise self._fault(vec, err, rip_at, cr2)

    def _fault(self, vec, err, rip, cr2):
        name = EXC_NAMES.get(vec, f"exception {vec}")
        if vec is None:
            return EmulatorFault(f"emulation stopped without an exception at rip={rip:#x}", rip=rip)
        trap = self.traps.get(rip) if TRAP_BASE <= rip < TRAP_BASE + 0x1000_0000 else None
        if trap is None and vec == 14 and TRAP_BASE <= cr2 < TRAP_BASE + 0x1000_0000:
            trap = self.traps.get(cr2)
        if trap is not None:
            return EmulatorFault(
                f"called imported function `{trap}` (not a leaf: no libc inside the emulator)",
                vector=vec, rip=rip, addr=cr2, symbol=trap)
        if vec == 14:
            kind = "write" if err & 2 else ("instruction fetch" if err & 16 else "read")
            return EmulatorFault(
                f"{name} page fault: {kind} at {cr2:#x} (unmapped; a guard page if just past a buffer) "
                f"from rip={rip:#x}", vector=vec, rip=rip, addr=cr2)
        return EmulatorFault(f"{name} (vector {vec}, error code {err}) at rip={rip:#x}",
                             vector=vec, rip=rip, addr=cr2)


def f32_bits(x: float) -> int:
    return struct.unpack("<I", struct.pack("<f", x))[0]


def f64_bits(x: float) -> int:
    return struct.unpack("<Q", struct.pack("<d", x))[0]


def ret_bits(cpu, dtype) -> int:
    """The raw bits of an f32/f64 result in xmm0."""
    q0 = cpu.state.zmm[0].q[0]
    return q0 & 0xFFFF_FFFF if np.dtype(dtype) == np.float32 else q0
