"""The man page doc/ebpfctl.1 and the bash completion completion/ebpfctl.bash, checked
against what build/ebpfctl says about itself, so neither drifts from the binary:

- every command of `ebpfctl --help` has a section in the man page and every option
  of `ebpfctl CMD --help` an entry in it, and the man page names no option the
  command does not have; every EBPFCTL_* variable is documented, and every
  variable ebpfctl reads is; the page renders without a warning;
- the completion offers the commands, each command's options, the values of the
  enumerated options (checked against --help), files by kind, interfaces, and the
  `--set` names of the objects on the line (checked against the objects' BTF).
"""
import glob
import importlib.util
import json
import os
import pty
import re
import select
import shutil
import subprocess
import tempfile
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
MANPAGE = os.path.join(ROOT, "doc", "ebpfctl.1")
COMPLETION = os.path.join(ROOT, "completion", "ebpfctl.bash")

_spec = importlib.util.spec_from_file_location("e2e_conftest_helpers",
                                               os.path.join(ROOT, "tests", "e2e", "conftest.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)
EBPFCTL, deadline = e2e.EBPFCTL, e2e.deadline
EXAMPLES = os.path.join(e2e.BUILD, "examples")

LONG = re.compile(r"(?<![\w-])--[a-z][a-z0-9-]*")
# an option line of --help: "  -o, --output OBJECT  ...", "      --force  ...";
# continuation lines are indented further; check's prose list ("  --iface, --xdp-mode,")
# is not an option line
OPTLINE = re.compile(r"^ {1,8}(?:(-[a-zA-Z]), +)?(--[a-z][a-z0-9-]*)(?=[ =]|$)")


def need(path):
    assert os.path.exists(path), f"{path} not built (run make)"
    return path


def helptext(*cmd):
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBPFCTL_")}
    p = subprocess.run([need(EBPFCTL)] + list(cmd) + ["--help"], capture_output=True, text=True, env=env,
                       timeout=deadline(30))
    assert p.returncode == 0, p.stderr
    return p.stdout


def commands():
    text = helptext()
    block = text.split("Commands:\n", 1)[1].split("\n\n", 1)[0]
    return [l.split()[0] for l in block.splitlines() if l.strip()]


def help_options(cmd):
    """Options defined on the option lines of `ebpfctl CMD --help`."""
    opts = set()
    for line in helptext(cmd).splitlines():
        m = OPTLINE.match(line)
        if m:
            opts.update(o for o in m.groups() if o)
    return opts


def help_option_text(cmd, opt):
    """The description of one option in --help: its line and the continuation lines."""
    lines, out, on = helptext(cmd).splitlines(), [], False
    for line in lines:
        m = OPTLINE.match(line)
        if m:
            on = opt in m.groups()
        elif not line.startswith("      "):
            on = False
        if on:
            out.append(line)
    assert out, f"{cmd} --help has no option {opt}"
    return "\n".join(out)


# ---------------------------------------------------------------- the man page

def man_source():
    return open(MANPAGE).read()


def unroff(text):
    """Roff source -> plain text, enough to find option names in it."""
    text = re.sub(r"\\f[BIRP]|\\f\(..|\\&|\\\(dq", "", text)
    return text.replace("\\-", "-").replace("\\ ", " ")


def man_sections():
    """{command: (text of its .SS section, options of its .TP entries)}."""
    out, cur, tp_next = {}, None, False
    for line in man_source().splitlines():
        if line.startswith(".SH"):
            cur = None
        m = re.match(r'\.SS "ebpfctl (\S+)"', line)
        if m:
            cur = m.group(1)
            out[cur] = ["", set()]
            continue
        if cur is None:
            continue
        out[cur][0] += line + "\n"
        if line.startswith(".TP"):
            tp_next = True
            continue
        if tp_next:
            plain = unroff(line)
            out[cur][1].update(LONG.findall(plain))
            out[cur][1].update(re.findall(r"(?<![\w-])-[a-zA-Z](?![\w-])", plain))
            tp_next = False
    return {k: (unroff(v[0]), v[1]) for k, v in out.items()}


def man_section(name):
    """Plain text of a .SH section."""
    m = re.search(r'^\.SH "?' + re.escape(name) + r'"?\n(.*?)(?=^\.SH |\Z)', man_source(), re.S | re.M)
    assert m, f"no .SH {name}"
    return unroff(m.group(1))


def test_man_has_a_section_per_command():
    assert set(man_sections()) == set(commands())


@pytest.mark.parametrize("cmd", ["run", "check", "init", "build", "doctor", "version"])
def test_man_options_match_help(cmd):
    assert cmd in commands()
    text, entries = man_sections()[cmd]
    in_help = help_options(cmd)
    # the options --help defines are the .TP entries of the command's section
    assert entries == in_help, f"man only: {sorted(entries - in_help)}; --help only: {sorted(in_help - entries)}"
    # every option --help mentions (check lists run's in prose) is in the section, and the
    # section mentions no option the command does not take
    takes = in_help | (help_options("run") if cmd == "check" else set())
    mentioned_help = set(LONG.findall(helptext(cmd))) & (takes | help_options("run"))
    mentioned_man = set(LONG.findall(text))
    assert mentioned_help <= mentioned_man, sorted(mentioned_help - mentioned_man)
    assert mentioned_man <= takes, sorted(mentioned_man - takes)


def test_man_synopsis_options_exist():
    syn = man_source().split(".SH SYNOPSIS\n", 1)[1].split("\n.SH ", 1)[0]
    for chunk in syn.split(".br\n"):
        m = re.match(r"\.B ebpfctl(?: (\w+))?", chunk)
        assert m, chunk
        opts = set(LONG.findall(unroff(chunk)))
        if m.group(1) is None:
            assert opts <= {"--help", "--version"}
            continue
        takes = help_options(m.group(1)) | (help_options("run") if m.group(1) == "check" else set())
        assert opts <= takes, (m.group(1), sorted(opts - takes))


def env_name(opt):
    return "EBPFCTL_" + opt[2:].upper().replace("-", "_")


def test_man_environment():
    env = man_section("ENVIRONMENT")
    documented = set(re.findall(r"\bEBPFCTL_[A-Z][A-Z_]*[A-Z]\b", env))
    # every option of run and check, as EBPFCTL_FOO_BAR
    from_opts = {env_name(o) for c in ("run", "check") for o in help_options(c)
                 if o.startswith("--") and o != "--help"}
    assert from_opts <= documented, sorted(from_opts - documented)
    # every variable the sources read (getenv) is documented
    read = set()
    for src in glob.glob(os.path.join(ROOT, "ebpfctl", "*.c")) + glob.glob(os.path.join(ROOT, "runner", "*.c")):
        read.update(re.findall(r'getenv\("([A-Z_][A-Z0-9_]*)"\)', open(src).read()))
    assert read, "no getenv() found in ebpfctl/ and runner/"
    assert read <= set(re.findall(r"\b[A-Z][A-Z0-9_]*[A-Z0-9]\b", env)), sorted(read - set(env.split()))
    # and the man page documents no EBPFCTL_ variable that is neither
    everywhere = set(re.findall(r"\bEBPFCTL_[A-Z][A-Z_]*[A-Z]\b", unroff(man_source())))
    assert everywhere <= from_opts | read, sorted(everywhere - from_opts - read)
    for var in ("NOTIFY_SOCKET", "LISTEN_FDS", "LISTEN_PID"):
        assert var in env


def test_man_exit_status():
    text = man_section("EXIT STATUS")
    for code in ("0", "1", "64"):
        assert re.search(rf"^\.TP\n\.B {code}$", text, re.M), code


@pytest.fixture(scope="module")
def rendered():
    env = dict(os.environ, MANWIDTH="80", LC_ALL="C.UTF-8", MAN_KEEP_FORMATTING="0")
    p = subprocess.run(["man", "--warnings", "-l", MANPAGE], capture_output=True, text=True, env=env,
                       timeout=deadline(60))
    return p


def test_man_renders_without_warnings(rendered):
    assert rendered.returncode == 0 and rendered.stderr == "", rendered.stderr
    p = subprocess.run(["groff", "-man", "-Tutf8", "-ww", "-z", MANPAGE], capture_output=True, text=True,
                       timeout=deadline(60))
    assert p.returncode == 0 and p.stderr == "", p.stderr


def test_man_rendering_keeps_options_whole(rendered):
    """Every option appears as typed (no hyphenation inside a name, escapes right)."""
    text = re.sub(r".\x08", "", rendered.stdout)
    for cmd in commands():
        for opt in help_options(cmd):
            assert re.search(rf"(?<![\w-]){re.escape(opt)}(?![\w-])", text), opt
    assert "\u2010" not in text, "hyphenated words in the rendered page"


def test_make_install_installs_man_page_and_completion(tmp_path):
    p = subprocess.run(["make", "-n", "-C", ROOT, "install", f"DESTDIR={tmp_path}", "PREFIX=/usr/local"],
                       capture_output=True, text=True, timeout=deadline(60))
    assert p.returncode == 0, p.stderr
    lines = p.stdout.splitlines()
    assert any(re.search(rf"install -m 644 doc/ebpfctl.1 {tmp_path}/usr/local/share/man/man1/ebpfctl.1$", l)
               for l in lines), p.stdout
    assert any(re.search(rf"install -m 644 completion/ebpfctl.bash "
                         rf"{tmp_path}/usr/local/share/bash-completion/completions/ebpfctl$", l)
               for l in lines), p.stdout


# ---------------------------------------------------------------- the completion

def bash_words(line):
    """COMP_WORDS as bash builds them: blanks separate words, and each run of
    COMP_WORDBREAKS characters (here only = and :) is a word of its own."""
    words = []
    for tok in line.split():
        words.extend(w for w in re.split(r"([=:]+)", tok) if w)
    if not words or line[-1:].isspace():
        words.append("")
    return words


def complete(line, cwd=None, env_extra=None):
    """COMPREPLY of _ebpfctl for `line` with the cursor at its end."""
    words = bash_words(line)
    script = ('source "$COMPLETION"\n'
              'COMP_LINE=$LINE; COMP_POINT=${#LINE}\n'
              'eval "COMP_WORDS=($WORDS)"; COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n'
              '_ebpfctl ebpfctl "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]}"\n'
              'printf "%s\\n" "${COMPREPLY[@]}"\n')
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBPFCTL_")}
    env.update(COMPLETION=COMPLETION, LINE=line, WORDS=" ".join(shlex_quote(w) for w in words))
    env.update(env_extra or {})
    p = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], capture_output=True, text=True,
                       cwd=cwd, env=env, timeout=deadline(60))
    assert p.returncode == 0 and p.stderr == "", p.stderr
    return [l for l in p.stdout.split("\n") if l]


def shlex_quote(w):
    return "'" + w.replace("'", "'\\''") + "'"


def test_bash_words_like_bash():
    assert bash_words("ebpfctl run a.o --set=x") == ["ebpfctl", "run", "a.o", "--set", "=", "x"]
    assert bash_words("ebpfctl run a.o --set o:x ") == ["ebpfctl", "run", "a.o", "--set", "o", ":", "x", ""]


def test_commands():
    assert set(complete(f"{EBPFCTL} ")) == set(commands()) | {"help"}
    assert complete(f"{EBPFCTL} bu") == ["build"]
    assert set(complete(f"{EBPFCTL} --")) == {"--help", "--version"}


def test_command_found_on_path(tmp_path):
    """Completing `ebpfctl` (no slash) asks the ebpfctl on PATH."""
    os.symlink(need(EBPFCTL), tmp_path / "ebpfctl")
    got = complete("ebpfctl ", env_extra={"PATH": f"{tmp_path}:{os.environ['PATH']}"})
    assert set(got) == set(commands()) | {"help"}
    # and nothing (no error) when there is none
    assert complete("ebpfctl ", env_extra={"PATH": "/nonexistent:/usr/bin:/bin"}) == []


@pytest.mark.parametrize("cmd", ["run", "check", "init", "build", "doctor", "version"])
def test_options_per_command(cmd):
    """The long options offered are the man page's for that command (check: and run's)."""
    sections = man_sections()
    want = {o for o in sections[cmd][1] if o.startswith("--")}
    if cmd == "check":
        want |= {o for o in sections["run"][1] if o.startswith("--")}
    assert set(complete(f"{EBPFCTL} {cmd} --")) == want
    shorts = {o for o in help_options(cmd) if not o.startswith("--")}
    assert shorts <= set(complete(f"{EBPFCTL} {cmd} -"))


ENUMS = [
    ("run", "--xdp-mode", {"auto", "native", "generic"}),
    ("run", "--log-format", {"text", "json"}),
    ("init", "--program-type", {"network", "file", "process", "syscall"}),
    ("init", "--map-type", {"ringbuf", "hash"}),
    ("init", "--output-type", {"print", "counter", "gauge", "hist"}),
]


@pytest.mark.parametrize("cmd,opt,values", ENUMS, ids=[f"{c}{o}" for c, o, _ in ENUMS])
def test_enumerated_values(cmd, opt, values):
    # what --help says the option takes
    text = help_option_text(cmd, opt)
    for v in values:
        assert re.search(rf"\b{v}\b", text), f"{cmd} {opt}: --help does not mention {v}: {text}"
    if cmd == "init":
        # init lists each value at the start of a line: exactly these
        listed = set(re.findall(r"^ {20,}([a-z]+)  ", text, re.M))
        assert listed == values, listed
    assert set(complete(f"{EBPFCTL} {cmd} {opt} ")) == values
    v = sorted(values)[0]
    assert complete(f"{EBPFCTL} {cmd} {opt} {v[:2]}") == [x for x in sorted(values) if x.startswith(v[:2])]
    # --opt=VALUE: bash replaces only what follows the '='
    assert set(complete(f"{EBPFCTL} {cmd} {opt}={v[:2]}")) == {x for x in values if x.startswith(v[:2])}


def test_init_short_options_take_values():
    assert set(complete(f"{EBPFCTL} init -p ")) == {"network", "file", "process", "syscall"}
    assert set(complete(f"{EBPFCTL} init -o ")) == {"print", "counter", "gauge", "hist"}


def test_iface_completes_interfaces():
    assert set(complete(f"{EBPFCTL} run x.bpf.o --iface ")) == set(os.listdir("/sys/class/net"))
    assert "lo" in complete(f"{EBPFCTL} check x.bpf.o --iface l")


def test_cgroup_completes_directories():
    got = complete(f"{EBPFCTL} run x.bpf.o --cgroup ")
    assert got and all(g.startswith("/sys/fs/cgroup/") and g.endswith("/") for g in got)


@pytest.fixture
def files(tmp_path):
    for f in ("a.bpf.o", "b.o", "c.bpf.c", "d.txt", "e.c"):
        (tmp_path / f).write_text("")
    (tmp_path / "sub").mkdir()
    return tmp_path


def test_file_kinds(files):
    assert set(complete(f"{EBPFCTL} run ", cwd=files)) == {"a.bpf.o", "b.o", "sub/"}
    assert set(complete(f"{EBPFCTL} check a.bpf.o ", cwd=files)) == {"a.bpf.o", "b.o", "sub/"}
    assert set(complete(f"{EBPFCTL} build ", cwd=files)) == {"c.bpf.c", "sub/"}
    assert set(complete(f"{EBPFCTL} build -o ", cwd=files)) == {"a.bpf.o", "b.o", "sub/"}
    assert set(complete(f"{EBPFCTL} build c.bpf.c --btf ", cwd=files)) == {"a.bpf.o", "b.o", "c.bpf.c", "d.txt",
                                                                            "e.c", "sub/"}
    assert set(complete(f"{EBPFCTL} init --file ", cwd=files)) >= {"c.bpf.c", "d.txt"}
    # a value that is not a file: nothing
    assert complete(f"{EBPFCTL} run a.bpf.o --interval ", cwd=files) == []


def btf_globals(obj):
    """Names of the VARs in an object's .rodata/.data/.bss DATASECs (bpftool)."""
    out = subprocess.run(["bpftool", "-j", "btf", "dump", "file", obj], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    types = json.loads(out.stdout)["types"]
    by_id = {t["id"]: t for t in types}
    names = set()

    def settable(tid):
        """what runner/globals.c takes: ints, enums, 4/8-byte floats, char arrays"""
        t = by_id[tid]
        while t["kind"] in ("VAR", "CONST", "VOLATILE", "TYPEDEF", "TYPE_TAG", "RESTRICT"):
            t = by_id[t["type_id"]]
        if t["kind"] == "ARRAY":
            e = by_id[t["type_id"]]
            while e["kind"] in ("CONST", "VOLATILE", "TYPEDEF", "TYPE_TAG"):
                e = by_id[e["type_id"]]
            return e["kind"] == "INT" and e["size"] == 1
        return t["kind"] in ("INT", "ENUM", "ENUM64") or (t["kind"] == "FLOAT" and t["size"] in (4, 8))
    for t in types:
        if t["kind"] == "DATASEC" and re.match(r"^\.(rodata|data|bss)(\.|$)", t["name"]):
            names.update(by_id[v["type_id"]]["name"] for v in t["vars"] if settable(v["type_id"]))
    # ebpfctl's loss counters (include/ebpfctl_helpers.h) are not settable
    return {n for n in names if not n.startswith("__ebpfctl_lost_")}


@pytest.mark.parametrize("obj", ["examples/opensnoop", "examples/execsnoop", "tests/bpf/ev_globals"])
def test_set_names_from_the_object(obj):
    path = need(os.path.join(e2e.BUILD, obj + ".bpf.o"))
    want = btf_globals(path)
    assert want
    assert set(complete(f"{EBPFCTL} run {path} --set ")) == {g + "=" for g in want}
    assert set(complete(f"{EBPFCTL} check --load-only {path} --set ")) == {g + "=" for g in want}


def test_set_forms():
    o, x = need(os.path.join(EXAMPLES, "opensnoop.bpf.o")), need(os.path.join(EXAMPLES, "execsnoop.bpf.o"))
    assert complete(f"{EBPFCTL} run {o} --set target_c") == ["target_comm="]
    assert complete(f"{EBPFCTL} run {o} --set=target_c") == ["target_comm="]
    # the options may come before the objects
    assert complete(f"{EBPFCTL} run --no-metrics {o} --interval 2s --set f") == ["failed_only="]
    # several objects: VAR= for all, OBJ:VAR= for one
    both = set(complete(f"{EBPFCTL} run {o} {x} --set "))
    ow, xw = btf_globals(o), btf_globals(x)
    assert both == {g + "=" for g in ow | xw} | {f"opensnoop:{g}=" for g in ow} | {f"execsnoop:{g}=" for g in xw}
    # after OBJ: bash replaces only what follows the ':'
    assert complete(f"{EBPFCTL} run {o} {x} --set opensnoop:target") == ["target_comm="]
    # no object on the line, or one that does not exist: nothing, no error
    assert complete(f"{EBPFCTL} run --set ") == []
    assert complete(f"{EBPFCTL} run /nonexistent.bpf.o --set ") == []


def test_set_ignores_the_users_environment():
    """EBPFCTL_* settings in the shell do not change what completion asks ebpfctl."""
    o = need(os.path.join(EXAMPLES, "opensnoop.bpf.o"))
    got = complete(f"{EBPFCTL} run {o} --set ", env_extra={"EBPFCTL_SET": "nosuch=1",
                                                           "EBPFCTL_OBJECT": "/nonexistent.o",
                                                           "EBPFCTL_LOG_FORMAT": "json"})
    assert set(got) == {g + "=" for g in btf_globals(o)}


@pytest.fixture
def public_dir():
    """A directory other users can read (pytest's tmp_path is root's alone)."""
    d = tempfile.mkdtemp(prefix="ebpfctl-completion-")
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d)


def test_set_as_an_unprivileged_user(public_dir):
    """A user without BPF rights gets the names too (completing `sudo ebpfctl run ...`
    runs as the user): ebpfctl stops at its first bpf() call before it checks --set,
    and the completion reads the object's BTF instead."""
    o = os.path.join(public_dir, "opensnoop.bpf.o")
    shutil.copy(need(os.path.join(EXAMPLES, "opensnoop.bpf.o")), o)
    os.chmod(o, 0o644)
    line = f"{EBPFCTL} run {o} --set "
    script = (f'source {COMPLETION}; COMP_LINE="{line}"; COMP_POINT=${{#COMP_LINE}}; '
              '_ebpfctl; printf "%s\\n" "${COMPREPLY[@]}"')
    p = subprocess.run(["setpriv", "--reuid", "65534", "--regid", "65534", "--clear-groups",
                        "--inh-caps", "-all", "--bounding-set", "-all", "bash", "--norc", "-c", script],
                       capture_output=True, text=True, cwd="/", timeout=deadline(60))
    assert {l for l in p.stdout.splitlines() if l} == {g + "=" for g in btf_globals(o)}, p.stderr


def test_attach_offers_program_names():
    o = need(os.path.join(EXAMPLES, "opensnoop.bpf.o"))
    assert set(complete(f"{EBPFCTL} run {o} --attach ")) == {"enter_openat=", "exit_openat="}
    # then a path for a uprobe target (bash replaces what follows the '=')
    assert "/usr/bin/" in complete(f"{EBPFCTL} run {o} --attach enter_openat=/usr/bi")


def test_capabilities_keep_list():
    got = complete(f"{EBPFCTL} run x.bpf.o --capabilities-keep ")
    assert {"none", "auto", "cap_bpf", "cap_perfmon", "cap_net_admin"} <= set(got)
    assert complete(f"{EBPFCTL} run x.bpf.o --capabilities-keep cap_bpf,cap_perf") == ["cap_bpf,cap_perfmon"]


def test_leading_words_like_sudo_rewrite():
    """bash-completion's `sudo ebpfctl ...` hands over a COMP_LINE starting at
    ebpfctl, possibly after blanks."""
    assert complete(f"  {EBPFCTL} ru") == ["run"]


# ---------------------------------------------------------------- a real bash

def interactive(typed, tmp_path):
    """Type into an interactive bash that sourced the completion; return the command
    line bash ends up with (printed by `echo` put in front of it)."""
    bindir = tmp_path / "bin"
    bindir.mkdir(exist_ok=True)
    if not (bindir / "ebpfctl").exists():
        os.symlink(need(EBPFCTL), bindir / "ebpfctl")
    pid, fd = pty.fork()
    if pid == 0:
        env = {"PATH": f"{bindir}:/usr/sbin:/usr/bin:/sbin:/bin", "TERM": "dumb", "HOME": str(tmp_path),
               "PS1": "READY> ", "INPUTRC": "/dev/null"}
        os.chdir(ROOT)
        os.execve("/bin/bash", ["bash", "--norc", "--noprofile", "-i"], env)
    buf = b""

    def read_until(pattern, timeout):
        nonlocal buf
        end = time.monotonic() + deadline(timeout)
        while time.monotonic() < end:
            m = re.search(pattern, buf)
            if m:
                return m
            r, _, _ = select.select([fd], [], [], 0.05)
            if r:
                try:
                    buf += os.read(fd, 65536)
                except OSError:
                    break
        return None

    try:
        os.write(fd, f"source {COMPLETION}; bind 'set bell-style none'; echo SOURCED\r".encode())
        assert read_until(rb"\nSOURCED\r?\n", 20), buf
        buf = b""
        os.write(fd, typed.encode())
        # readline runs the completion for the TAB before it reads what follows: put
        # `echo RESULT:` in front of the completed line and run that
        os.write(fd, b"\x01echo RESULT:\r")
        m = read_until(rb"\nRESULT:([^\r\n]*)\r?\n", 30)
        assert m, buf
        return m.group(1).decode()
    finally:
        os.kill(pid, 9)
        os.waitpid(pid, 0)
        os.close(fd)


@pytest.mark.parametrize("typed,want", [
    ("ebpfctl ru\t", "ebpfctl run"),
    ("ebpfctl run build/examples/opensnoop.bpf.o --set=target_c\t",
     "ebpfctl run build/examples/opensnoop.bpf.o --set=target_comm="),
    ("ebpfctl run build/examples/opensnoop.bpf.o build/examples/execsnoop.bpf.o --set opensnoop:target_c\t",
     "ebpfctl run build/examples/opensnoop.bpf.o build/examples/execsnoop.bpf.o --set opensnoop:target_comm="),
    ("ebpfctl run --xdp-mode gen\t", "ebpfctl run --xdp-mode generic"),
    # a directory: one slash, no space after it
    ("ebpfctl build examples/opens\t", "ebpfctl build examples/opensnoop/"),
])
def test_in_an_interactive_bash(tmp_path, typed, want):
    need(os.path.join(EXAMPLES, "opensnoop.bpf.o"))
    got = interactive(typed, tmp_path)
    assert got.rstrip() == want and (got.endswith(" ") or want.endswith(("/", "=")) or not got.endswith(" ")), got


def test_set_fallback_matches_ebpfctl():
    """Where the completion reads the BTF itself (no BPF rights), it finds the names
    ebpfctl lists, for every built example and fixture that ebpfctl opens (the bad_*
    fixtures fail before --set is looked at)."""
    def names(bin_, obj):
        script = f'source {COMPLETION}; __ebpfctl_globals {bin_} {obj}'
        p = subprocess.run(["bash", "--norc", "-c", script], capture_output=True, text=True,
                           timeout=deadline(60))
        return set(p.stdout.split())
    objs = sorted(glob.glob(os.path.join(EXAMPLES, "*.bpf.o")) + glob.glob(os.path.join(e2e.FIXTURES, "*.bpf.o")))
    compared, with_globals = [], 0
    for obj in objs:
        listed = subprocess.run([need(EBPFCTL), "check", "--load-only", obj, "--set", "__nosuch__=0"],
                                capture_output=True, text=True, timeout=deadline(60)).stderr
        if "settable globals are" not in listed:
            continue
        fallback = names("/bin/false", obj)
        assert fallback == names(EBPFCTL, obj), obj
        compared.append(obj)
        with_globals += bool(fallback)
    assert len(compared) >= 20 and with_globals >= 5, (len(compared), with_globals)
