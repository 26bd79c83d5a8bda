#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerate the binary seed corpora of fuzz/corpus/ from the built objects.

    make all unit && python3 fuzz/gen_seeds.py      # from the top directory

  elf/        every fixture (build/tests/bpf) and example (build/examples)
              object, debug sections stripped (llvm-strip --strip-debug:
              .BTF, .BTF.ext, symbols and relocations stay)
  decl_order/ the DWARF sections alone (llvm-objcopy --only-section) of
              every fixture, m_order and ev_shapes again as DWARF 4 and as
              64-bit DWARF, and the DECL_ORDER_SEC note alone of every example
  btf_fmt/    raw mode: the .BTF of every fixture and of the small examples;
              builder mode: btf__add_* programs for the shapes DESIGN.md
              section 5 renders (see fuzz_btf_fmt.c for the encoding)
  regress-*   inputs that crashed a target once (the fixes and their unit
              tests: tests/unit/test_fuzz_regressions.c): some made again
              here, the others kept as libFuzzer wrote them (never deleted)
The text seeds (duration, prom, set, env, webconfig) are written by hand."""
import os
import struct
import subprocess
import sys
import tempfile

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.environ.get("B", os.path.join(TOP, "build"))
CORPUS = os.path.join(TOP, "fuzz", "corpus")
ARCH = {"x86_64": "x86", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
DEBUG = [".debug_info", ".debug_abbrev", ".debug_str", ".debug_str_offsets", ".debug_line_str"]


def run(*cmd):
    subprocess.run(cmd, check=True)


def objects():
    fix = sorted(os.path.join(B, "tests", "bpf", f) for f in os.listdir(os.path.join(B, "tests", "bpf"))
                 if f.endswith(".bpf.o"))
    ex = sorted(os.path.join(B, "examples", f) for f in os.listdir(os.path.join(B, "examples"))
                if f.endswith(".bpf.o"))
    return fix, ex


def fresh(name):
    """Empty corpus directory NAME, but for the regress-* inputs kept by hand
    (crash inputs exactly as libFuzzer wrote them)."""
    d = os.path.join(CORPUS, name)
    os.makedirs(d, exist_ok=True)
    for f in os.listdir(d):
        if not f.startswith("regress-"):
            os.remove(os.path.join(d, f))
    return d


def base(path):
    return os.path.basename(path)[:-len(".bpf.o")]


def elf_seeds(fix, ex):
    d = fresh("elf")
    for o in fix + ex:
        run("llvm-strip", "--strip-debug", "-o", os.path.join(d, base(o) + ".o"), o)
    # regression: a .BTF section of type SHT_NULL with its offset past the
    # end (elf_parse checks the bounds of sections with data only)
    with open(os.path.join(d, "rw_plain.o"), "rb") as f:
        img = bytearray(f.read())
    shoff, = struct.unpack_from("<Q", img, 0x28)
    shnum, shstrndx = struct.unpack_from("<HH", img, 0x3c)
    stroff, = struct.unpack_from("<Q", img, shoff + shstrndx * 64 + 24)
    for i in range(shnum):
        at = shoff + i * 64
        name_off, = struct.unpack_from("<I", img, at)
        if img[stroff + name_off:stroff + name_off + 5] == b".BTF\0":
            struct.pack_into("<I", img, at + 4, 0)            # sh_type = SHT_NULL
            struct.pack_into("<Q", img, at + 24, 1 << 32)     # sh_offset
    with open(os.path.join(d, "regress-btf-sht-null.o"), "wb") as f:
        f.write(img)


def mini_elf(sections):
    """A relocatable ELF64 (EM_BPF) holding SECTIONS [(name, bytes)] and .shstrtab."""
    names = b"\0" + b"".join(n.encode() + b"\0" for n, _ in sections) + b".shstrtab\0"
    body, offs = b"", []
    for _, data in sections + [(None, names)]:
        offs.append(64 + len(body))
        body += data + bytes(-len(data) % 8)
    shoff = 64 + len(body)
    eh = b"\x7fELF" + bytes([2, 1, 1]) + bytes(9) + struct.pack(
        "<HHIQQQIHHHHHH", 1, 247, 1, 0, 0, shoff, 0, 64, 0, 0, 64, len(sections) + 2, len(sections) + 1)
    sh, pos = bytes(64), 1
    for i, (n, data) in enumerate(sections + [(".shstrtab", names)]):
        typ = 3 if n == ".shstrtab" else 1
        sh += struct.pack("<IIQQQQIIQQ", pos, typ, 0, 0, offs[i], len(data), 0, 0, 1, 0)
        pos += len(n) + 1
    return eh + body + sh


def dwarf_unit(addr_size):
    """.debug_info/.debug_abbrev: a DWARF 4 unit with one variable "x" at line 7
    whose DW_AT_location is a DW_FORM_addr of ADDR_SIZE bytes."""
    abbrev = bytes([1, 0x11, 1, 0, 0,                         # compile_unit, children
                    2, 0x34, 0, 0x03, 0x08, 0x3b, 0x0b, 0x02, 0x01, 0, 0,  # variable: name, line, addr
                    0])
    die = bytes([1, 2]) + b"x\0" + bytes([7]) + bytes(range(1, addr_size + 1)) + bytes([0])
    hdr = struct.pack("<HIB", 4, 0, addr_size)
    info = struct.pack("<I", len(hdr) + len(die)) + hdr + die
    return [(".debug_info", info), (".debug_abbrev", abbrev)]


def decl_seeds(fix, ex, tmp):
    d = fresh("decl_order")
    only = [a for s in DEBUG for a in ("--only-section", s)]
    for o in fix:
        run("llvm-objcopy", *only, o, os.path.join(d, base(o) + ".dwarf5.o"))
    for src in ("m_order", "ev_shapes"):
        for tag, flag in (("dwarf4", "-gdwarf-4"), ("dwarf64", "-gdwarf64")):
            obj = os.path.join(tmp, f"{src}.{tag}.o")
            run("clang", "-g", flag, "-O2", "-target", "bpf", f"-D__TARGET_ARCH_{ARCH}",
                "-I" + os.path.join(TOP, "include"), "-I" + os.path.join(TOP, "tests", "bpf"),
                f"-I/usr/include/{os.uname().machine}-linux-gnu", "-c",
                os.path.join(TOP, "tests", "bpf", src + ".bpf.c"), "-o", obj)
            run("llvm-objcopy", *only, obj, os.path.join(d, f"{src}.{tag}.o"))
    for o in ex:
        run("llvm-objcopy", "--only-section", ".ebpfctl.decl_order", o, os.path.join(d, base(o) + ".note.o"))
    # regressions: an address size of 16 (rd_n shifted by 64 and more); no
    # DWARF and no note at all (qsort of NULL)
    with open(os.path.join(d, "regress-addr-size-16.o"), "wb") as f:
        f.write(mini_elf(dwarf_unit(16)))
    with open(os.path.join(d, "regress-nothing.o"), "wb") as f:
        f.write(mini_elf([(".text", bytes(8))]))


# ---- btf_fmt builder programs (the encoding of fuzz_btf_fmt.c's build()) ----
NAMES = ["", "x", "a", "b", "pid", "tgid", "__pad", "__x", "char", "signed char", "unsigned char", "_Bool",
         "int", "ipv4_addr", "ipv6_addr", "duration", "ktime", "errno_code", "signal_num", "stack_id", "comm",
         "le", "a\"b\\c\nd", "\u00e9t\u00e9", None, "key", "value", "cpu", "u64", "__u32"]
INT_SIZES = {1: 0, 2: 1, 4: 2, 8: 3, 16: 4}
SIGNED, CHAR, BOOL = 1, 2, 4
FLOAT_SIZES = {2: 0, 4: 1, 8: 2, 12: 3, 16: 4}


class Prog:
    def __init__(self):
        self.ops = []
        self.n = 0      # types made so far (ids 1..n)

    def name(self, s):
        if s in NAMES:
            return bytes([NAMES.index(s)])
        b = s.encode() if isinstance(s, str) else s
        return bytes([len(NAMES), len(b)]) + b

    def add(self, code, ntypes=1):
        self.ops.append(code)
        self.n += ntypes
        return self.n

    def int(self, name, size, enc=0, bits=None, off=0):
        if bits is None:
            return self.add(bytes([0, INT_SIZES[size] | enc << 3, 0]) + self.name(name))
        return self.add(bytes([1, INT_SIZES[size] | enc << 3, (off & 15) << 4 | bits]) + self.name(name))

    def float(self, name, size):
        return self.add(bytes([2, FLOAT_SIZES[size]]) + self.name(name))

    def ptr(self, ref):
        return self.add(bytes([3, ref]))

    def array(self, elem, index, n):
        nel = bytes([n]) if n < 0x80 else bytes([0x80]) + struct.pack("<I", n)
        return self.add(bytes([4, elem, index]) + nel)

    def composite(self, union, name, size, members):
        b = bytes([6 if union else 5]) + self.name(name) + struct.pack("<H", size) + bytes([len(members)])
        for mname, ref, bit_off, bits in members:
            b += self.name(mname) + bytes([ref]) + struct.pack("<H", bit_off) + bytes([0x80 | bits if bits else 0])
        return self.add(b)

    def enum(self, name, size, values):
        b = bytes([7, INT_SIZES[size] | len(values) << 3]) + self.name(name)
        for vname, v in values:
            b += self.name(vname) + struct.pack("<i", v)
        return self.add(b)

    def enum64(self, name, size, signed, values):
        b = bytes([8, INT_SIZES[size] | len(values) << 3 | (0x80 if signed else 0)]) + self.name(name)
        for vname, v in values:
            b += self.name(vname) + struct.pack("<Q", v & (2**64 - 1))
        return self.add(b)

    def typedef(self, name, ref):
        return self.add(bytes([9]) + self.name(name) + bytes([ref]))

    def mod(self, kind, ref):
        return self.add(bytes([{"const": 11, "volatile": 12, "restrict": 13}[kind], ref]))

    def fwd(self, name, kind):
        return self.add(bytes([15]) + self.name(name) + bytes([kind]))

    def func(self, ret, param):
        return self.add(bytes([16, ret, param]), 2)

    def blob(self, first, span, ncpu, data):
        body = bytes([len(self.ops)]) + b"".join(self.ops)
        return bytes([0]) + body + struct.pack("<IBB", first, span, ncpu) + data


DATA = bytes((i * 37 + 11) & 0xff for i in range(256))


def builder_seeds():
    seeds = {}

    p = Prog()
    u32 = p.int("unsigned int", 4)
    u64 = p.int("unsigned long long", 8)
    s32 = p.int("int", 4, SIGNED)
    ch = p.int("char", 1, SIGNED)
    u8 = p.int("unsigned char", 1)
    bl = p.int("_Bool", 1, BOOL)
    comm = p.array(ch, u32, 16)
    ip4 = p.typedef("ipv4_addr", u32)
    in6 = p.composite(True, "", 16, [("a", p.array(u8, u32, 16) , 0, 0)])
    ip6 = p.typedef("ipv6_addr", in6)
    dur = p.typedef("duration", u64)
    kt = p.typedef("ktime", u64)
    en = p.typedef("errno_code", s32)
    sg = p.typedef("signal_num", s32)
    sid = p.typedef("stack_id", p.int("long long", 8, SIGNED))
    f64 = p.float("double", 8)
    mode = p.enum("value", 4, [("x", 0), ("a", 3), ("b", -9)])
    ev = p.composite(False, "key", 96, [
        ("pid", u32, 0, 0), ("tgid", u32, 32, 0), ("x", dur, 64, 0), ("comm", comm, 128, 0),
        ("a", ip4, 256, 0), ("b", ip6, 288, 0), ("le", en, 416, 0), ("cpu", sg, 448, 0),
        ("value", sid, 512, 0), ("u64", kt, 576, 0), ("__pad", bl, 640, 0), ("key", mode, 672, 0),
        ("__u32", f64, 704, 0)])
    seeds["b_event"] = p.blob(ev, 0, 9, DATA)
    seeds["b_event_all"] = p.blob(1, 15, 0x11, DATA)

    p = Prog()
    u16 = p.int("unsigned short", 2)
    s8 = p.int("signed char", 1, SIGNED)
    bf = p.composite(False, "", 8, [("a", u16, 0, 3), ("b", s8, 3, 5), ("x", u16, 8, 12), ("pid", u16, 20, 1),
                                    ("__x", u16, 32, 16)])
    seeds["b_bitfields"] = p.blob(bf, 0, 1, DATA)

    p = Prog()
    s128 = p.int("__int128", 16, SIGNED)
    u128 = p.int("unsigned __int128", 16)
    f16 = p.float("_Float16", 2)
    f32 = p.float("float", 4)
    pt = p.ptr(f32)
    arr = p.array(s128, u128, 3)
    st = p.composite(False, "value", 96, [("a", arr, 0, 0), ("b", u128, 384, 0), ("x", f16, 512, 0),
                                          ("le", f32, 544, 0), ("key", pt, 576, 0)])
    per = p.composite(False, "cpu", 24, [("a", u128, 0, 0), ("b", f32, 128, 0)])
    seeds["b_wide"] = p.blob(st, 0, 3, DATA)
    seeds["b_percpu"] = p.blob(per, 0, 0x1c, DATA)

    p = Prog()
    u32 = p.int("unsigned int", 4)
    e64 = p.enum64("key", 8, True, [("a", -1), ("b", 2**40)])
    e8 = p.enum("value", 1, [("x", 1), ("a", 200)])
    td = p.typedef("duration", e64)
    tc = p.mod("const", td)
    tv = p.mod("volatile", tc)
    un = p.composite(True, "x", 8, [("a", e64, 0, 0), ("b", e8, 0, 0), ("x", tv, 0, 0)])
    anon = p.composite(False, "", 8, [("key", u32, 0, 0), ("value", u32, 32, 0)])
    outer = p.composite(False, "value", 24, [("", anon, 0, 0), ("a", un, 64, 0), ("b", p.fwd("x", 0), 128, 0)])
    seeds["b_enums_unions"] = p.blob(outer, 0, 2, DATA)
    seeds["b_enum64"] = p.blob(e64, 0, 1, DATA)

    p = Prog()
    a = p.typedef("x", 3)           # typedef loop: 1 -> 3 -> 2 -> 1
    b = p.typedef("a", 1)
    c = p.typedef("b", 2)
    bad = p.composite(False, "x", 4, [("a", 99, 64, 0)])   # member outside its parent, dangling type
    big = p.array(p.int("int", 4, SIGNED), 0, 0x40000000)
    f = p.func(big, bad)
    seeds["b_malformed"] = p.blob(1, 15, 1, DATA)

    p = Prog()
    ch = p.int("char", 1, SIGNED | CHAR)
    s = p.array(ch, 0, 12)
    a2 = p.array(s, 0, 2)
    st = p.composite(False, "comm", 24, [("comm", a2, 0, 0)])
    txt = "h\u00e9\n\"\\\x7f\x01".encode() + b"\xff\xc3"
    seeds["b_strings"] = p.blob(st, 0, 1, txt + bytes(24 - len(txt)))
    return seeds


# fixtures with distinct value shapes, and examples without vmlinux.h types
RAW = {"ev_shapes", "ev_stack", "ev_globals", "ev_perf", "m_hash", "m_print", "m_array", "m_big", "m_events",
       "m_lint", "m_order", "rw_multi", "rw_linked", "at_usdt", "bashreadline", "capable_kprobe", "cgroup_sock",
       "opensnoop", "profile", "sigsnoop", "syscount", "tc_egress_bytes", "tcpconns", "tcpstates",
       "xdp_protocols"}


def btf_types(btf):
    """How many types a .BTF section holds (walks the records)."""
    magic, ver, flags, hdr_len, type_off, type_len = struct.unpack_from("<HBBIII", btf)
    p, end, n = hdr_len + type_off, hdr_len + type_off + type_len, 0
    extra = {1: 4, 2: 0, 3: 12, 4: 12, 5: 12, 6: 8, 7: 0, 8: 0, 9: 0, 10: 0, 11: 0, 12: 0, 13: 8, 14: 4,
             15: 12, 16: 0, 17: 4, 18: 0, 19: 12}
    while p < end:
        info, = struct.unpack_from("<I", btf, p + 4)
        kind, vlen = info >> 24 & 0x1f, info & 0xffff
        e = extra[kind]
        p += 12 + (e * vlen if kind in (4, 5, 6, 13, 15, 19) else e)
        n += 1
    return n


def btf_seeds(fix, ex, tmp):
    d = fresh("btf_fmt")
    for o in fix + ex:
        if base(o) not in RAW:
            continue
        raw = os.path.join(tmp, base(o) + ".btf")
        run("llvm-objcopy", "--dump-section", ".BTF=" + raw, o, os.path.join(tmp, "x.o"))
        with open(raw, "rb") as f:
            btf = f.read()
        ntypes = btf_types(btf)
        # every type, 16 at a time (one run renders 16 types at most)
        for first in range(1, ntypes + 1, 16):
            with open(os.path.join(d, f"raw_{base(o)}_{first}"), "wb") as f:
                f.write(bytes([1]) + struct.pack("<H", len(btf)) + btf + struct.pack("<IBB", first, 15, 9) +
                        DATA[:128])
    for name, blob in builder_seeds().items():
        with open(os.path.join(d, name), "wb") as f:
            f.write(blob)


def main():
    fix, ex = objects()
    if not fix or not ex:
        sys.exit("build the fixtures and examples first: make all unit")
    with tempfile.TemporaryDirectory() as tmp:
        elf_seeds(fix, ex)
        decl_seeds(fix, ex, tmp)
        btf_seeds(fix, ex, tmp)


if __name__ == "__main__":
    main()
