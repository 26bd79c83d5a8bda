"""Bad-input corpus: malformed objects, command lines and EBPFCTL_ variables.

Every case gives the exact first stderr line (or, where the tail is libbpf's
own text, a precise prefix and the words libbpf says), the hint line if any,
the exit status (DESIGN.md section 6: 64 for a command-line problem, 1 for
everything else), nothing on stdout, and that none of our programs is loaded
afterwards (bpftool).  test_errors.py has the first, hand-made cases; these
are table-driven.

Malformed objects are made at test time by tests/e2e/badelf.py from a good
fixture (tests/bpf/bi_base.bpf.c; bi_relo.bpf.c for relocations inside map
data), which finds what it patches by parsing the ELF and BTF, so the cases do
not depend on clang's layout.  What the runner checks itself is in
runner/elf_rewrite.c; the rest is libbpf 1.1's, which several of these
crashed or hung before ebpfctl checked them first (see each case).
"""
import os
import re
import subprocess

import pytest

from badelf import KIND, SHT_NOBITS, BadElf
from conftest import EBPFCTL, bpf_progs, fixture, run_cli, wait_until

ME = os.getpid()


class Libbpf:
    """An error line whose tail is libbpf's text: a prefix of ours, then words of libbpf's."""

    def __init__(self, prefix, words):
        self.prefix, self.words = prefix, words

    def matches(self, line):
        return line.startswith(self.prefix) and self.words in line[len(self.prefix):]

    def __repr__(self):
        return f"{self.prefix}...{self.words}..."


def prog_names(*objs):
    names = set()
    for o in objs:
        out = subprocess.run(["llvm-objdump", "-t", o], capture_output=True, text=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 6 and "F" in parts[1:3] and parts[-3] != ".text":
                names.add(parts[-1][:15])
    return names


NAMES = None


def ours():
    """IDs of loaded programs named like one of the fixtures' these cases use."""
    global NAMES
    if NAMES is None:
        NAMES = prog_names(fixture("bi_base"), fixture("bi_relo"))
    return {i for i, n in bpf_progs().items() if n in NAMES}


def expect(args, status, first, hint=None, env=None, cmd="run"):
    """Run `ebpfctl CMD ARGS`; check status, first line (str, or Libbpf), hint, stdout, and that
    nothing is left loaded."""
    before = ours()
    full_env = None
    if env is not None:
        # only the case's variables (and the suite's own EBPFCTL_TEST_*)
        full_env = {k: v for k, v in os.environ.items()
                    if not k.startswith("EBPFCTL_") or k.startswith("EBPFCTL_TEST_")} | env
    p = run_cli(cmd, *args, timeout=30, env=full_env)
    lines = p.stderr.splitlines()
    assert p.returncode == status, f"exit {p.returncode}, expected {status}: {p.stderr}"
    assert lines, "no error line"
    if isinstance(first, Libbpf):
        assert first.matches(lines[0]), f"{lines[0]!r} does not match {first!r}"
    else:
        assert lines[0] == first, f"\n  got:  {lines[0]!r}\n  want: {first!r}"
    assert lines[1:] == ([hint] if hint else []), p.stderr
    assert p.stdout == "", p.stdout
    wait_until(lambda: not (ours() - before), timeout=5, what="a failed run's programs to go")
    return p


# --- malformed objects ---------------------------------------------------------------

# Each case: a function that patches a BadElf of its fixture and returns the
# expected first line ({p} is the object's path) or (line, hint), or a Libbpf.
ELF_CASES = {}


def case(base="bi_base", args=()):
    def reg(fn):
        ELF_CASES[fn.__name__] = (base, fn, tuple(args))
        return fn
    return reg


def btf_type(o, kind, name):
    return o.btf_named(kind, name)


def mapdef(o, var):
    """The anonymous struct a map VAR stands for."""
    _, types, _ = o.btf()
    return types[o.btf_named("var", var).size_type - 1]


# ELF header

@case()
def shoff_past_the_end(o):
    o.set_ehdr("e_shoff", len(o.data) + 64)
    return "{p}: truncated ELF (section header table)"


@case()
def shoff_wraps_around(o):
    o.set_ehdr("e_shoff", 2**64 - 64)
    return "{p}: truncated ELF (section header table)"


@case()
def shnum_huge(o):
    o.set_ehdr("e_shnum", 0xfeff)
    return "{p}: truncated ELF (section header table)"


@case()
def shnum_zero_with_a_table(o):
    o.set_ehdr("e_shnum", 0)
    return "{p}: not a BPF object (extended section numbering is not supported)"


@case()
def shstrndx_past_the_table(o):
    n = o.ehdr("e_shnum")
    o.set_ehdr("e_shstrndx", n + 3)
    return f"{{p}}: truncated ELF (section name table {n + 3} out of bounds)"


@case()
def shstrndx_not_a_string_table(o):
    i = o.sec(".text").idx
    o.set_ehdr("e_shstrndx", i)
    return f"{{p}}: truncated ELF (section name table {i} out of bounds)"


@case()
def shentsize_wrong(o):
    o.set_ehdr("e_shentsize", 40)
    return "{p}: not a BPF object (section header size 40)"


@case()
def not_relocatable(o):
    o.set_ehdr("e_type", 2)
    return "{p}: not a BPF object (not a relocatable object file, ELF type 2)"


@case()
def machine_not_bpf(o):
    o.set_ehdr("e_machine", 62)
    return "{p}: not a BPF object (machine 62 is not BPF)"


@case()
def elf32(o):
    o.data[4] = 1
    return "{p}: not a BPF object (not a 64-bit ELF file)"


@case()
def big_endian(o):
    o.data[5] = 2
    return "{p}: not a BPF object (not little-endian)"


# section table

@case()
def section_offset_past_the_end(o):
    o.set_sh(".maps.print", "sh_offset", len(o.data) + 100)
    return f"{{p}}: truncated ELF (section {o.sec('.maps.print').idx} out of bounds)"


@case()
def section_size_huge(o):
    o.set_sh(".maps.print", "sh_size", 2**40)
    return f"{{p}}: truncated ELF (section {o.sec('.maps.print').idx} out of bounds)"


@case()
def section_end_wraps_around(o):
    o.set_sh(".maps.print", "sh_offset", 2**64 - 8)
    o.set_sh(".maps.print", "sh_size", 16)
    return f"{{p}}: truncated ELF (section {o.sec('.maps.print').idx} out of bounds)"


@case()
def program_section_past_the_end(o):
    s = "tracepoint/syscalls/sys_enter_getppid"
    o.set_sh(s, "sh_size", 2**32)
    return f"{{p}}: truncated ELF (section {o.sec(s).idx} out of bounds)"


@case()
def section_name_past_the_string_table(o):
    o.set_sh(".maps.print", "sh_name", 0x7fffffff)
    return f"{{p}}: truncated ELF (name of section {o.sec('.maps.print').idx} out of bounds)"


@case()
def btf_section_without_data(o):
    o.set_sh(".BTF", "sh_type", SHT_NOBITS)
    return "{p}: bad BTF: section has no data"


@case()
def symtab_link_past_the_table(o):
    o.set_sh(".symtab", "sh_link", 999)
    return "{p}: truncated ELF (symbol string table 999 out of bounds)"


@case()
def symtab_entry_size(o):
    o.set_sh(".symtab", "sh_entsize", 16)
    return "{p}: not a BPF object (symbol size 16)"


@case()
def no_symbol_table(o):
    o.set_sh(".symtab", "sh_type", 0)
    return "{p}: not a BPF object (no symbol table; stripped?)"


@case()
def zero_length_maps_print(o):
    o.set_sh(".maps.print", "sh_size", 0)
    return "{p}: bad BTF: map 'bi_events' lies outside its section"


@case()
def short_maps_print(o):
    o.set_sh(".maps.print", "sh_size", 8)
    return "{p}: bad BTF: map 'bi_events' lies outside its section"


@case()
def zero_length_plain_maps(o):
    o.set_sh(".maps", "sh_size", 0)
    return "{p}: bad BTF: map 'bi_seq' lies outside its section"


# symbols

@case()
def symbol_name_past_the_string_table(o):
    i = o.sym_index("bi_events")
    o.put("<I", o.sym_field_at(i, "st_name"), 0x7ffffff0)
    return f"{{p}}: truncated ELF (name of symbol {i} out of bounds)"


@case()
def map_symbol_in_no_section(o):
    o.put("<H", o.sym_field_at(o.sym_index("bi_events"), "st_shndx"), 0xfe00)
    return "{p}: bad BTF: map 'bi_events' in DATASEC '.maps.print' has no ELF symbol"


@case()
def map_symbol_past_its_section(o):
    o.put("<Q", o.sym_field_at(o.sym_index("bi_events"), "st_value"), 0x100000)
    return "{p}: bad BTF: map 'bi_events' lies outside its section"


@case()
def program_symbol_past_its_section(o):
    o.put("<Q", o.sym_field_at(o.sym_index("bi_emit"), "st_value"), 0x100000)
    return Libbpf("error: {p}: cannot open BPF object: ",
                  "sec 'tracepoint/syscalls/sys_enter_getppid': program at offset 1048576 crosses section boundary")


@case()
def program_size_past_its_section(o):
    o.put("<Q", o.sym_field_at(o.sym_index("bi_emit"), "st_size"), 0x100000)
    return Libbpf("error: {p}: cannot open BPF object: ",
                  "sec 'tracepoint/syscalls/sys_enter_getppid': program at offset 0 crosses section boundary")


# BTF header

@case()
def btf_bad_magic(o):
    o.set_btf_hdr("magic", 0x1234)
    return "{p}: bad BTF: bad magic 0x1234"


@case()
def btf_big_endian_magic(o):
    o.set_btf_hdr("magic", 0x9feb)
    return "{p}: bad BTF: bad magic 0x9feb (big-endian BTF)"


@case()
def btf_version(o):
    o.set_btf_hdr("version", 2)
    return "{p}: bad BTF: unsupported version 2"


@case()
def btf_hdr_len_too_small(o):
    o.set_btf_hdr("hdr_len", 8)
    return "{p}: bad BTF: header length out of bounds"


@case()
def btf_hdr_len_past_the_section(o):
    o.set_btf_hdr("hdr_len", 0x100000)
    return "{p}: bad BTF: header length out of bounds"


@case()
def btf_type_len_past_the_section(o):
    o.set_btf_hdr("type_len", 0x100000)
    return "{p}: bad BTF: type section out of bounds"


@case()
def btf_str_off_past_the_section(o):
    o.set_btf_hdr("str_off", 0x100000)
    return "{p}: bad BTF: string section out of bounds"


@case()
def btf_str_len_past_the_section(o):
    o.set_btf_hdr("str_len", 0x100000)
    return "{p}: bad BTF: string section out of bounds"


@case()
def btf_type_len_unaligned(o):
    h, _, _ = o.btf()
    o.set_btf_hdr("type_len", h["type_len"] - 2)
    return "{p}: bad BTF: type section not 4-byte aligned"


@case()
def btf_strings_not_terminated(o):
    h, _, strs = o.btf()
    o.data[strs + h["str_len"] - 1] = ord("x")
    return "{p}: bad BTF: string section not NUL-terminated"


# BTF types: kinds, huge counts, cycles, ids past the end

@case()
def btf_unknown_kind(o):
    t = btf_type(o, "int", "int")
    o.set_btf_field(t, 4, 25 << 24)
    return f"{{p}}: bad BTF: type {t.id} has unknown kind 25"


@case()
def btf_struct_vlen_huge(o):
    t = btf_type(o, "struct", "bi_event")
    o.set_btf_field(t, 4, (KIND["struct"] << 24) | 0xffff)
    return f"{{p}}: bad BTF: type {t.id} truncated"


@case()
def btf_datasec_vlen_huge(o):
    t = btf_type(o, "datasec", ".maps.print")
    o.set_btf_field(t, 4, (KIND["datasec"] << 24) | 0xffff)
    return f"{{p}}: bad BTF: type {t.id} truncated"


@case()
def btf_typedef_cycle_of_one(o):
    # a map key's type: libbpf gave up on the key size ("Invalid argument")
    t = btf_type(o, "typedef", "u32")
    o.set_btf_field(t, 8, t.id)
    return f"{{p}}: bad BTF: type {t.id} (typedef 'u32') is part of a reference cycle"


@case()
def btf_typedef_cycle_of_two(o):
    a, b = btf_type(o, "typedef", "u32"), btf_type(o, "typedef", "__u32")
    o.set_btf_field(b, 8, a.id)
    return f"{{p}}: bad BTF: type {min(a.id, b.id)} (typedef 'u32') is part of a reference cycle"


@case(args=["--set", "target_tgid=1"])
def btf_const_volatile_cycle(o):
    # target_tgid's const volatile: --set followed it forever (a hang)
    c = o.btf_type(lambda t, _: t.kind == KIND["const"])
    v = o.btf_type(lambda t, _: t.kind == KIND["volatile"])
    o.set_btf_field(v, 8, c.id)
    return f"{{p}}: bad BTF: type {min(c.id, v.id)} (const) is part of a reference cycle"


@case()
def btf_map_var_on_a_modifier_cycle(o):
    # libbpf follows a map VAR's modifiers without a bound: a hang
    v = o.btf_type(lambda t, _: t.kind == KIND["volatile"])
    o.set_btf_field(v, 8, v.id)
    o.set_btf_field(btf_type(o, "var", "bi_events"), 8, v.id)
    return f"{{p}}: bad BTF: type {v.id} (volatile) is part of a reference cycle"


@case()
def btf_pointer_to_itself(o):
    # the ring buffer's value pointer: events were printed as pointers
    p = o.btf_type(lambda t, _: t.kind == KIND["ptr"] and t.size_type == btf_type(o, "struct", "bi_event").id)
    o.set_btf_field(p, 8, p.id)
    return f"{{p}}: bad BTF: type {p.id} (pointer) is part of a reference cycle"


@case()
def btf_array_of_itself(o):
    a = o.btf_type(lambda t, _: t.kind == KIND["array"] and o.u("<I", o.btf_at(t, 20)) == 16)   # comm[16]
    o.put("<I", o.btf_at(a, 12), a.id)
    return f"{{p}}: bad BTF: type {a.id} (array) is part of a reference cycle"


@case()
def btf_map_var_type_past_the_end(o):
    # libbpf dereferenced btf__type_by_id()'s NULL: SIGSEGV
    v = btf_type(o, "var", "bi_events")
    o.set_btf_field(v, 8, 0x7fffffff)
    n = len(o.btf()[1])
    return f"{{p}}: bad BTF: type {v.id} refers to type 2147483647, past the last type {n}"


@case()
def btf_map_definition_member_past_the_end(o):
    # libbpf read the map's __uint(type, ...) through a NULL type: SIGSEGV
    d = mapdef(o, "bi_events")
    o.put("<I", o.member_at(d, 0) + 4, 0x7fffffff)
    n = len(o.btf()[1])
    return f"{{p}}: bad BTF: type {d.id} refers to type 2147483647, past the last type {n}"


@case()
def btf_event_member_type_past_the_end(o):
    t = btf_type(o, "struct", "bi_event")
    o.put("<I", o.member_at(t, 1) + 4, 0x10000)
    n = len(o.btf()[1])
    return f"{{p}}: bad BTF: type {t.id} refers to type 65536, past the last type {n}"


@case()
def btf_func_proto_past_the_end(o):
    f = btf_type(o, "func", "bi_emit")
    o.set_btf_field(f, 8, 0x7fffffff)
    n = len(o.btf()[1])
    return f"{{p}}: bad BTF: type {f.id} refers to type 2147483647, past the last type {n}"


# string offsets

@case()
def btf_struct_name_past_the_strings(o):
    t = btf_type(o, "struct", "bi_event")
    o.set_btf_field(t, 0, 0x7fffffff)
    return f"{{p}}: bad BTF: type {t.id} name out of bounds"


@case()
def btf_member_name_past_the_strings(o):
    # the event's "pid" was silently missing from every JSON line
    t = btf_type(o, "struct", "bi_event")
    o.put("<I", o.member_at(t, 0), 0x7fffffff)
    return f"{{p}}: bad BTF: type {t.id} member 0 name out of bounds"


@case()
def btf_map_field_name_past_the_strings(o):
    d = mapdef(o, "bi_events")
    o.put("<I", o.member_at(d, 0), 0x7fffffff)
    return f"{{p}}: bad BTF: type {d.id} member 0 name out of bounds"


@case()
def btf_datasec_name_past_the_strings(o):
    t = btf_type(o, "datasec", ".maps.print")
    o.set_btf_field(t, 0, 0x7fffffff)
    return f"{{p}}: bad BTF: type {t.id} name out of bounds"


@case()
def btf_map_var_name_past_the_strings(o):
    t = btf_type(o, "var", "bi_events")
    o.set_btf_field(t, 0, 0x7fffffff)
    return f"{{p}}: bad BTF: type {t.id} name out of bounds"


# DATASEC entries

@case()
def datasec_var_size_beyond_the_section(o):
    o.put("<I", o.datasec_var_at(".maps.print") + 8, 0x1000)
    return "{p}: bad BTF: map 'bi_events' lies outside its section"


@case()
def datasec_entry_not_a_var(o):
    o.put("<I", o.datasec_var_at(".maps.print"), btf_type(o, "int", "int").id)
    return "{p}: bad BTF: DATASEC '.maps.print' member 0 is not a VAR"


@case()
def datasec_entry_type_past_the_end(o):
    o.put("<I", o.datasec_var_at(".maps.print"), 0x7fffffff)
    return "{p}: bad BTF: DATASEC '.maps.print' member 0 is not a VAR"


# relocations

@case()
def program_relocation_to_a_symbol_past_the_table(o):
    n = o.nsyms()
    o.put("<Q", o.rel_at(".reltracepoint/syscalls/sys_enter_getppid") + 8, (n + 5) << 32 | 1)
    return Libbpf("error: {p}: cannot open BPF object: ", f"symbol #{n + 5} not found for relo #0")


@case()
def program_relocation_past_the_code(o):
    o.put("<Q", o.rel_at(".reltracepoint/syscalls/sys_enter_getppid"), 0x100000)
    return Libbpf("error: {p}: cannot open BPF object: ", "invalid offset 0x100000 for relo #0")


@case("bi_relo")
def maps_relocation_to_a_symbol_past_the_table(o):
    n = o.nsyms()
    o.put("<Q", o.rel_at(".rel.maps.print") + 8, (n + 5) << 32 | 1)
    return Libbpf("error: {p}: cannot open BPF object: ", f".maps relo #0: symbol {n + 5:x} not found")


@case("bi_relo")
def maps_relocation_to_the_null_symbol(o):
    # libbpf's -ESRCH read "No such process"
    o.put("<Q", o.rel_at(".rel.maps.print") + 8, 0 << 32 | 1)
    return Libbpf("error: {p}: cannot open BPF object: ", ".maps relo #0: '' isn't a valid program reference")


@case("bi_relo")
def maps_relocation_past_the_section(o):
    o.put("<Q", o.rel_at(".rel.maps.print"), 0x100000)
    return f"{{p}}: truncated ELF (relocation 0 of section {o.sec('.rel.maps.print').idx} out of bounds)"


@case("bi_relo")
def maps_relocation_offset_near_2_64(o):
    # libbpf's bounds check wrapped: it grew and cleared gigabytes (a hang)
    o.put("<Q", o.rel_at(".rel.maps.print"), 2**64 - 8)
    return f"{{p}}: truncated ELF (relocation 0 of section {o.sec('.rel.maps.print').idx} out of bounds)"


@case("bi_relo")
def maps_relocation_entry_size(o):
    o.set_sh(".rel.maps.print", "sh_entsize", 24)
    return f"{{p}}: not a BPF object (relocation size 24 in section {o.sec('.rel.maps.print').idx})"


@case("bi_relo")
def maps_relocation_section_past_the_end(o):
    o.set_sh(".rel.maps.print", "sh_size", 2**30)
    return f"{{p}}: truncated ELF (section {o.sec('.rel.maps.print').idx} out of bounds)"


@case()
def btf_ext_bad_magic(o):
    o.put("<H", o.sec(".BTF.ext").sh_offset, 0x1234)
    return Libbpf("error: {p}: cannot open BPF object: ", "BTF is required, but is missing or corrupted")


# values the kernel or the formatter refuses

@case()
def ring_buffer_size_huge(o):
    # __uint(max_entries, N) is int (*max_entries)[N]: the array's count
    _, types, _ = o.btf()
    d = mapdef(o, "bi_events")
    arr = types[types[o.u("<I", o.member_at(d, 1) + 4) - 1].size_type - 1]
    o.put("<I", o.btf_at(arr, 20), 0xffffffff)
    return "map 'bi_events': cannot create ring buffer: Invalid argument"


@case()
def event_member_offset_past_the_struct(o):
    o.put("<I", o.member_at(btf_type(o, "struct", "bi_event"), 2) + 8, 0xfffffff0)
    return "map 'bi_events': cannot decode its value type: Invalid argument"


def test_bi_base_unpatched_runs():
    """The good object every case starts from runs, so each case's error is the patch's."""
    p = run_cli("run", fixture("bi_base"), "--no-metrics", "--duration", "200ms", timeout=30)
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_bi_relo_unpatched_fails_at_the_map_kind():
    """bi_relo's own error comes after libbpf read its relocations: the patched
    cases fail before."""
    expect([fixture("bi_relo"), "--no-metrics"], 1,
           "error: map 'bi_jumps': map type prog_array cannot be exported as print: supported types are "
           "ringbuf, perf_event_array, hash, lru_hash, percpu_hash, lru_percpu_hash, array, percpu_array")


@pytest.mark.parametrize("name", list(ELF_CASES))
def test_malformed_object(tmp_path, name):
    base, patch, args = ELF_CASES[name]
    o = BadElf.load(fixture(base))
    want = patch(o)
    path = o.write(tmp_path / "probe.o")
    hint = None
    if isinstance(want, tuple):
        want, hint = want
    if isinstance(want, Libbpf):
        want = Libbpf(want.prefix.format(p=path), want.words)
    else:
        want = "error: " + want.format(p=path)
    expect([path, "--no-metrics", "--duration", "2s", *args], 1, want, hint)


@pytest.mark.parametrize("name,patch", [
    # clang's DATASEC offsets are placeholders: libbpf takes every variable's
    # offset from its symbol, and so does the rewrite
    ("datasec_offset_ignored", lambda o: o.put("<I", o.datasec_var_at(".maps.print") + 4, 0x1000)),
    ("plain_maps_datasec_offset_ignored", lambda o: o.put("<I", o.datasec_var_at(".maps") + 4, 0x1000)),
    ("rodata_datasec_offset_ignored", lambda o: o.put("<I", o.datasec_var_at(".rodata") + 4, 0x1000)),
])
def test_tolerated_patch_still_runs(tmp_path, name, patch):
    o = BadElf.load(fixture("bi_base"))
    patch(o)
    path = o.write(tmp_path / "probe.o")
    p = subprocess.Popen([EBPFCTL, "run", path, "--no-metrics", "--duration", "1s", "--set", f"target_tgid={ME}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    while p.poll() is None:
        os.getppid()
    out, err = p.communicate()
    assert p.returncode == 0 and err == "", err
    assert '"map":"bi_events","event":{"pid":%d,' % ME in out, out[:300]


# --- command lines -----------------------------------------------------------------

def bi():
    return fixture("bi_base")


CLI_CASES = [
    # (args, status, first line, hint); "{o}" is bi_base's path
    (["X", "-x"], 64, "error: run: unknown option '-x'", "hint: run 'ebpfctl run --help' for the options"),
    (["X", "--no-metrics=1"], 64, "error: run: unknown option '--no-metrics=1'",
     "hint: run 'ebpfctl run --help' for the options"),
    (["X", "--load-only"], 64, "error: run: unknown option '--load-only'",
     "hint: --load-only is an option of 'ebpfctl check'"),
    (["X", "--log-format"], 64, "error: run: option '--log-format' needs a value", None),
    (["X", "--interval="], 64, "error: run: --interval '': expected a positive duration like 500ms, 2s or 1m30s", None),
    (["X", "--duration", "99999999999h"], 64,
     "error: run: --duration '99999999999h': expected a positive duration like 500ms, 2s or 1m30s", None),
    (["X", "--set", "a:=1"], 64, "error: run: --set 'a:=1': expected OBJECT:VAR=VALUE", None),
    (["X", "--attach", "p="], 64, "error: run: --attach 'p=': expected PROG=TARGET", None),
    (["X", "--hist-buckets", "m=nan"], 64,
     "error: run: --hist-buckets 'm=nan': expected MAP=B1,B2,... with increasing numbers", None),
    (["X", "--max-series", "1e3"], 64, "error: run: --max-series '1e3': expected a positive integer", None),
    (["X", "--metrics-addr", "h:70000"], 64,
     "error: run: --metrics-addr 'h:70000': expected HOST:PORT, e.g. 0.0.0.0:9091 or [::1]:9091", None),
    (["X", "--iface", "a/b"], 64, "error: run: --iface 'a/b': expected a network interface name", None),
    (["X", "--xdp-mode", "fast"], 64, "error: run: --xdp-mode 'fast': expected auto, native or generic", None),
    (["X", "--pid", "2147483648"], 64, "error: run: --pid '2147483648': expected a process id", None),
    (["X", "--sample-freq", "0x10"], 64,
     "error: run: --sample-freq '0x10': expected a positive integer up to 100000 (Hz)", None),
    (["X", "--cgroup", ""], 64, "error: run: --cgroup '': expected a cgroup v2 directory", None),
    (["X", "--log-format", "xml"], 64, "error: run: --log-format 'xml': expected text or json", None),
    (["X", "--pull", "sometimes"], 64, "error: run: --pull 'sometimes': expected missing, always or never", None),
    (["{o}", "--no-metrics", "--set", "target_tgid=99999999999"], 64,
     "error: --set target_tgid=99999999999: invalid value for 'target_tgid' (u32): expected an integer from 0 "
     "to 4294967295", None),
    # one object too: OBJ: must be its name (it was applied regardless, and the run went on)
    (["{o}", "--no-metrics", "--set", "nosuch:target_tgid=1"], 64,
     "error: --set nosuch:target_tgid=1: no object named 'nosuch'", None),
    (["{o}", "--no-metrics", "--attach", "bi_emit=nosuch"], 64,
     "error: --attach bi_emit=nosuch: a tracepoint program's target is CATEGORY/NAME", None),
    (["{o}", "--no-metrics", "--attach", "nosuch=a/b"], 64, "error: --attach nosuch=a/b: no program 'nosuch' in {o}",
     None),
    (["{o}", "--no-metrics", "--hist-buckets", "nosuch=1,2"], 64,
     "error: run: --hist-buckets nosuch: no ring buffer or perf event array hist map of that name",
     "hint: hash and array hist maps use their own log2 slots"),
    (["{o}", "--no-metrics", "--capabilities-keep", "cap_flying"], 64,
     "error: --capabilities-keep cap_flying: unknown capability 'cap_flying'",
     "hint: names as in capabilities(7): cap_bpf, cap_perfmon, cap_net_admin, ...; or none"),
    (["{o}", "{o}", "--no-metrics"], 64, "error: {o} and {o}: two objects named 'bi_base'",
     "hint: JSON lines and metrics tell objects apart by file name: rename one"),
    (["{o}", "--no-metrics", "--attach", "bi_emit=nosuch/none"], 1,
     "error: program 'bi_emit': cannot attach tracepoint nosuch/none: No such file or directory", None),
    (["{o}", "--no-metrics", "--web-config", "/nonexistent/web.yml"], 1,
     "error: --web-config /nonexistent/web.yml: No such file or directory", None),
]


@pytest.mark.parametrize("args,status,first,hint", CLI_CASES,
                         ids=[" ".join(c[0]).replace("{o}", "OBJ") for c in CLI_CASES])
def test_command_line(args, status, first, hint):
    o = bi()
    expect([a.format(o=o) for a in args], status, first.format(o=o), hint)


# --- the environment: every run flag as EBPFCTL_FOO_BAR ----------------------------

DUR = "expected a positive duration like 500ms, 2s or 1m30s"
ENV_CASES = [
    # (variable, value, the rest of the line after "error: run: VAR='VALUE': ")
    ("EBPFCTL_METRICS_ADDR", "nocolon", "expected HOST:PORT, e.g. 0.0.0.0:9091 or [::1]:9091"),
    ("EBPFCTL_NO_METRICS", "yes", "expected 1, true, 0 or false"),
    ("EBPFCTL_NO_METRICS", "", "expected 1, true, 0 or false"),
    ("EBPFCTL_WEB_CONFIG", "", "expected a file name"),
    ("EBPFCTL_SET", "target_tgid=1 novalue", None),      # the item, not the whole value
    ("EBPFCTL_INTERVAL", "5x", DUR),
    ("EBPFCTL_INTERVAL", "", DUR),
    ("EBPFCTL_DURATION", "0", DUR),
    ("EBPFCTL_DURATION", "-1s", DUR),
    ("EBPFCTL_METRICS_NAMESPACE", "9x", "must match [a-zA-Z_][a-zA-Z0-9_]*"),
    ("EBPFCTL_HIST_BUCKETS", "m=3,2", "expected MAP=B1,B2,... with increasing numbers"),
    ("EBPFCTL_MAX_SERIES", "-1", "expected a positive integer"),
    ("EBPFCTL_IFACE", "averyveryverylongname", "expected a network interface name"),
    ("EBPFCTL_XDP_MODE", "fast", "expected auto, native or generic"),
    ("EBPFCTL_CGROUP", "", "expected a cgroup v2 directory"),
    ("EBPFCTL_SAMPLE_FREQ", "1000000", "expected a positive integer up to 100000 (Hz)"),
    ("EBPFCTL_ATTACH", "noeq", "expected PROG=TARGET"),
    ("EBPFCTL_PID", "abc", "expected a process id"),
    ("EBPFCTL_BPF_STATS", "2", "expected 1, true, 0 or false"),
    ("EBPFCTL_FOLDED", "", "expected a file name"),
    ("EBPFCTL_CAPABILITIES_KEEP", "", "expected auto, none or a list like cap_bpf,cap_perfmon"),
    ("EBPFCTL_HOST_ROOT", "", "expected a directory"),
    ("EBPFCTL_BTF", "", "expected a file name"),
    ("EBPFCTL_ENRICH", "yes", "expected 1, true, 0 or false"),
    ("EBPFCTL_LOG_FORMAT", "xml", "expected text or json"),
    ("EBPFCTL_VERBOSE", "4", "expected 1, true, 0 or false"),
    ("EBPFCTL_PULL", "sometimes", "expected missing, always or never"),
    ("EBPFCTL_STORE", "", "expected a directory"),
    ("EBPFCTL_PLAIN_HTTP", "yes", "expected 1, true, 0 or false"),
    ("EBPFCTL_INSECURE", "2", "expected 1, true, 0 or false"),
    ("EBPFCTL_CA_FILE", "", "expected a file name"),
]


@pytest.mark.parametrize("var,value,why", ENV_CASES, ids=[f"{v}={x!r}" for v, x, _ in ENV_CASES])
def test_malformed_environment_variable(var, value, why):
    if var == "EBPFCTL_SET":
        first = "error: run: EBPFCTL_SET='novalue': expected VAR=VALUE"
    else:
        first = f"error: run: {var}='{value}': {why}"
    expect([bi()], 64, first, env={var: value})


def test_every_run_flag_has_an_environment_case():
    """Every option of `run --help` (but --help) is one of the cases above."""
    flags = set(re.findall(r"^\s+(?:-\w, )?--([a-z][a-z-]+)", run_cli("run", "--help").stdout, re.M)) - {"help"}
    covered = {v[len("EBPFCTL_"):].lower().replace("_", "-") for v, _, _ in ENV_CASES}
    assert flags == covered, f"no case: {sorted(flags - covered)}; not a flag: {sorted(covered - flags)}"


def test_load_only_from_the_environment_is_checks():
    expect([bi()], 64, "error: check: EBPFCTL_LOAD_ONLY='maybe': expected 1, true, 0 or false",
           env={"EBPFCTL_LOAD_ONLY": "maybe"}, cmd="check")


def test_metrics_addr_and_no_metrics_both_from_the_environment():
    """Both from variables: the error names the variables, not flags never typed."""
    expect([bi()], 64, "error: run: EBPFCTL_METRICS_ADDR and EBPFCTL_NO_METRICS cannot be used together",
           env={"EBPFCTL_METRICS_ADDR": "127.0.0.1:1", "EBPFCTL_NO_METRICS": "1"})


@pytest.mark.parametrize("value,status,first", [
    ("", 64, "error: run: missing OBJECT (a compiled probe, e.g. probe.bpf.o)"),
    ("  ", 64, "error: run: missing OBJECT (a compiled probe, e.g. probe.bpf.o)"),
    ("/nonexistent/probe.o", 1, "error: /nonexistent/probe.o: No such file or directory"),
])
def test_object_from_the_environment(value, status, first):
    expect(["--no-metrics"], status, first, env={"EBPFCTL_OBJECT": value})


def test_command_line_wins_over_a_malformed_variable():
    p = run_cli("run", bi(), "--no-metrics", "--interval", "1s", "--duration", "100ms", timeout=30,
                env=dict(os.environ, EBPFCTL_INTERVAL="5x"))
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_unknown_variable_is_a_warning_not_an_error():
    p = run_cli("run", bi(), "--no-metrics", "--duration", "100ms", timeout=30,
                env=dict(os.environ, EBPFCTL_INTERVALL="1s"))
    assert p.returncode == 0, p.stderr
    assert p.stderr.splitlines() == ["warning: EBPFCTL_INTERVALL is not an ebpfctl setting (ignored)"]
