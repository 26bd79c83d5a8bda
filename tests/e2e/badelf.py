"""Malformed BPF objects, made at test time by patching a good fixture's bytes.

No binary is committed: each case of test_bad_inputs.py starts from a compiled
fixture (tests/bpf/bi_base.bpf.c, bi_relo.bpf.c), finds what it patches by
parsing the ELF and BTF here (never by fixed offsets, so a different clang
still gives the same case), and writes the result to the test's tmp_path.

    obj = BadElf.load(fixture("bi_base"))
    obj.set_ehdr("e_shoff", len(obj.data) + 8)
    obj.write(path)

Only what the cases need: ELF64 little-endian headers, section headers,
symbols, REL entries, and BTF (header, type records, strings).
"""
import struct

# Elf64_Ehdr fields: (offset, struct format)
EHDR = {
    "e_type": (16, "<H"), "e_machine": (18, "<H"), "e_version": (20, "<I"),
    "e_shoff": (40, "<Q"), "e_flags": (48, "<I"), "e_ehsize": (52, "<H"),
    "e_shentsize": (58, "<H"), "e_shnum": (60, "<H"), "e_shstrndx": (62, "<H"),
}
# Elf64_Shdr fields
SHDR = {
    "sh_name": (0, "<I"), "sh_type": (4, "<I"), "sh_flags": (8, "<Q"), "sh_addr": (16, "<Q"),
    "sh_offset": (24, "<Q"), "sh_size": (32, "<Q"), "sh_link": (40, "<I"), "sh_info": (44, "<I"),
    "sh_addralign": (48, "<Q"), "sh_entsize": (56, "<Q"),
}
SHDR_SIZE = 64
SYM_SIZE = 24
REL_SIZE = 16
SHT_NOBITS = 8
SHT_STRTAB = 3

# BTF
BTF_HDR = struct.Struct("<HBBIIIII")    # magic version flags hdr_len type_off type_len str_off str_len
KIND = {"int": 1, "ptr": 2, "array": 3, "struct": 4, "union": 5, "enum": 6, "fwd": 7, "typedef": 8,
        "volatile": 9, "const": 10, "restrict": 11, "func": 12, "func_proto": 13, "var": 14,
        "datasec": 15, "float": 16, "decl_tag": 17, "type_tag": 18, "enum64": 19}


def _extra(kind, vlen):
    """Bytes after the 12-byte struct btf_type for a kind."""
    return {1: 4, 3: 12, 4: 12 * vlen, 5: 12 * vlen, 6: 8 * vlen, 13: 8 * vlen, 14: 4,
            15: 12 * vlen, 17: 4, 19: 12 * vlen}.get(kind, 0)


class BtfType:
    def __init__(self, tid, off, name_off, info, size_type):
        self.id, self.off = tid, off            # off: from the start of the .BTF section
        self.name_off, self.info, self.size_type = name_off, info, size_type
        self.name = ""

    @property
    def kind(self):
        return (self.info >> 24) & 0x1f

    @property
    def vlen(self):
        return self.info & 0xffff

    def __repr__(self):
        return f"[{self.id}] kind {self.kind} '{self.name}' vlen {self.vlen} type/size {self.size_type}"


class Section:
    def __init__(self, idx, hdr_off, fields):
        self.idx, self.hdr_off = idx, hdr_off
        self.__dict__.update(fields)
        self.name = ""


class BadElf:
    def __init__(self, data):
        self.data = bytearray(data)
        assert self.data[:4] == b"\x7fELF" and self.data[4] == 2 and self.data[5] == 1
        self.sections = []
        shoff, shnum = self.ehdr("e_shoff"), self.ehdr("e_shnum")
        for i in range(shnum):
            at = shoff + i * SHDR_SIZE
            self.sections.append(Section(i, at, {k: struct.unpack_from(f, self.data, at + o)[0]
                                                 for k, (o, f) in SHDR.items()}))
        names = self.sections[self.ehdr("e_shstrndx")]
        for s in self.sections:
            s.name = self.cstr(names.sh_offset + s.sh_name)

    @classmethod
    def load(cls, path):
        with open(path, "rb") as f:
            return cls(f.read())

    def write(self, path):
        with open(path, "wb") as f:
            f.write(bytes(self.data))
        return str(path)

    # --- raw access ---

    def cstr(self, at):
        end = self.data.index(b"\0", at)
        return self.data[at:end].decode("latin-1")

    def u(self, fmt, at):
        return struct.unpack_from(fmt, self.data, at)[0]

    def put(self, fmt, at, value):
        struct.pack_into(fmt, self.data, at, value)

    def append(self, blob, align=8):
        """Append blob (aligned); return its file offset."""
        self.data += b"\0" * (-len(self.data) % align)
        at = len(self.data)
        self.data += blob
        return at

    # --- headers ---

    def ehdr(self, field):
        o, f = EHDR[field]
        return self.u(f, o)

    def set_ehdr(self, field, value):
        o, f = EHDR[field]
        self.put(f, o, value)

    def sec(self, name):
        for s in self.sections:
            if s.name == name:
                return s
        raise KeyError(f"no section {name!r}: {[s.name for s in self.sections]}")

    def set_sh(self, name, field, value):
        s = self.sec(name) if isinstance(name, str) else self.sections[name]
        o, f = SHDR[field]
        self.put(f, s.hdr_off + o, value)
        setattr(s, field, value)

    def sec_bytes(self, name):
        s = self.sec(name)
        return self.data[s.sh_offset:s.sh_offset + s.sh_size]

    # --- symbols and relocations ---

    def nsyms(self):
        return self.sec(".symtab").sh_size // SYM_SIZE

    def sym_index(self, name):
        st, strtab = self.sec(".symtab"), self.sections[self.sec(".symtab").sh_link]
        for i in range(self.nsyms()):
            at = st.sh_offset + i * SYM_SIZE
            if self.cstr(strtab.sh_offset + self.u("<I", at)) == name:
                return i
        raise KeyError(f"no symbol {name!r}")

    def sym_field_at(self, idx, field):
        """File offset of a symbol's field (st_name, st_shndx, st_value, st_size)."""
        o = {"st_name": 0, "st_info": 4, "st_shndx": 6, "st_value": 8, "st_size": 16}[field]
        return self.sec(".symtab").sh_offset + idx * SYM_SIZE + o

    def rel_at(self, sec_name, i=0):
        """File offset of REL entry i (r_offset at +0, r_info at +8)."""
        return self.sec(sec_name).sh_offset + i * REL_SIZE

    # --- BTF ---

    def btf(self):
        """(header dict, [BtfType], strings offset in file)."""
        s = self.sec(".BTF")
        base = s.sh_offset
        magic, ver, flags, hdr_len, type_off, type_len, str_off, str_len = BTF_HDR.unpack_from(self.data, base)
        hdr = dict(magic=magic, version=ver, flags=flags, hdr_len=hdr_len, type_off=type_off,
                   type_len=type_len, str_off=str_off, str_len=str_len)
        types, p, tid = [], hdr_len + type_off, 1
        strs = base + hdr_len + str_off
        while p < hdr_len + type_off + type_len:
            name_off, info, st = struct.unpack_from("<III", self.data, base + p)
            t = BtfType(tid, p, name_off, info, st)
            t.name = self.cstr(strs + name_off)
            types.append(t)
            p += 12 + _extra(t.kind, t.vlen)
            tid += 1
        return hdr, types, strs

    def set_btf_hdr(self, field, value):
        names = ["magic", "version", "flags", "hdr_len", "type_off", "type_len", "str_off", "str_len"]
        offs = [0, 2, 3, 4, 8, 12, 16, 20]
        fmts = ["<H", "<B", "<B", "<I", "<I", "<I", "<I", "<I"]
        i = names.index(field)
        self.put(fmts[i], self.sec(".BTF").sh_offset + offs[i], value)

    def btf_type(self, pred):
        """The first BTF type for which pred(t, types) holds."""
        _, types, _ = self.btf()
        for t in types:
            if pred(t, types):
                return t
        raise KeyError("no such BTF type")

    def btf_named(self, kind, name):
        return self.btf_type(lambda t, _: t.kind == KIND[kind] and t.name == name)

    def btf_at(self, t, rel):
        """File offset of byte `rel` of type t's record (0 name_off, 4 info, 8 size/type, 12.. extra)."""
        return self.sec(".BTF").sh_offset + t.off + rel

    def set_btf_field(self, t, rel, value):
        self.put("<I", self.btf_at(t, rel), value)

    def datasec_var_at(self, ds_name, i=0):
        """File offset of var secinfo i (type, offset, size) of DATASEC ds_name."""
        t = self.btf_named("datasec", ds_name)
        return self.btf_at(t, 12 + 12 * i)

    def member_at(self, t, i):
        """File offset of member i (name_off, type, offset) of struct/union t."""
        return self.btf_at(t, 12 + 12 * i)
