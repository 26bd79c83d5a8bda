"""Bad input: one exact error line (+ hint), the right exit status, nothing left loaded."""
import os
import shutil
import socket
import subprocess

import pytest

from conftest import bpf_prog_ids, fixture, run_cli


@pytest.fixture
def tmp_obj(tmp_path):
    return tmp_path


def run_expect(args, status, first, hint=None):
    before = bpf_prog_ids()
    p = run_cli("run", *args)
    lines = p.stderr.splitlines()
    assert p.returncode == status, p.stderr
    assert lines and lines[0] == first if not first.endswith("*") else lines[0].startswith(first[:-1]), p.stderr
    if hint is None:
        assert len(lines) == 1, p.stderr
    else:
        assert lines[1:] == [hint], p.stderr
    assert p.stdout == ""
    assert not (bpf_prog_ids() - before), "a failed run left programs loaded"
    return p


def test_missing_file():
    run_expect(["/nonexistent/probe.o", "--no-metrics"], 1,
               "error: /nonexistent/probe.o: No such file or directory")


def test_not_elf(tmp_obj):
    p = tmp_obj / "probe.o"
    p.write_text("this is not an object file\n")
    run_expect([str(p), "--no-metrics"], 1, f"error: {p}: not an ELF file")


@pytest.mark.parametrize("keep", [0, 10, 64, 200, 1000])
def test_truncated_elf(tmp_obj, keep):
    data = open(fixture("ev_shapes"), "rb").read()
    p = tmp_obj / "probe.o"
    p.write_bytes(data[:keep])
    first = f"error: {p}: not an ELF file" if keep < 4 else f"error: {p}: truncated ELF*"
    run_expect([str(p), "--no-metrics"], 1, first)


def test_no_btf(tmp_obj):
    p = tmp_obj / "probe.o"
    subprocess.run(["llvm-objcopy", "--remove-section=.BTF", "--remove-section=.BTF.ext",
                    "--remove-section=.rel.BTF", "--remove-section=.rel.BTF.ext",
                    fixture("ev_shapes"), str(p)], check=True)
    run_expect([str(p), "--no-metrics"], 1, f"error: {p}: no BTF (.BTF section missing)",
               "hint: compile with clang -g")


def test_unknown_suffix():
    run_expect([fixture("bad_suffix"), "--no-metrics"], 1,
               "error: map 'hits': unknown output kind '.maps.countr': valid kinds are print, counter, gauge, hist")


def test_empty_kind_suffix():
    run_expect([fixture("bad_empty_kind"), "--no-metrics"], 1,
               "error: map 'blank': unknown output kind '.maps.': valid kinds are print, counter, gauge, hist")


def test_section_typos_name_the_section():
    run_expect([fixture("bad_sec"), "--no-metrics"], 1,
               "error: map 'typo': unknown output kind '.maps..print': valid kinds are print, counter, gauge, hist")
    path = fixture("bad_sec_nodot")
    run_expect([path, "--no-metrics"], 1,
               f"error: {path}: section '.mapsprint' is not a map section: maps go in SEC(\".maps\") or "
               "SEC(\".maps.<kind>\") with kind print, counter, gauge or hist")


def test_ringbuf_without_value_type():
    run_expect([fixture("bad_ringbuf_novalue"), "--no-metrics"], 1,
               "error: map 'untyped': ring buffer has no value type to decode events with",
               "hint: declare the event type in the map: __type(value, struct event)")


def test_unsupported_map_type():
    run_expect([fixture("bad_maptype"), "--no-metrics"], 1,
               "error: map 'q': map type queue cannot be exported as print: supported types are "
               "ringbuf, perf_event_array, hash, lru_hash, percpu_hash, lru_percpu_hash, array, percpu_array")


def test_verifier_rejection_reason_after_a_long_log():
    """The reason is the log's last line even when the log before it is longer than 4 KiB."""
    p = run_cli("run", fixture("bad_verifier_long"), "--no-metrics")
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert sum(len(l) + 1 for l in lines[:-1]) > 4096, len(p.stderr)
    assert lines[-1].startswith("error: program 'unchecked_late': rejected by the verifier: "), p.stderr
    assert "invalid mem access" in lines[-1], lines[-1]


def test_verifier_rejection_shows_log():
    before = bpf_prog_ids()
    p = run_cli("run", fixture("bad_verifier"), "--no-metrics")
    assert p.returncode == 1
    lines = p.stderr.splitlines()
    assert lines[-1].startswith("error: program 'unchecked': rejected by the verifier: "), p.stderr
    assert "invalid mem access" in lines[-1]
    # the verifier log comes first, verbatim
    assert any(l.startswith("processed ") for l in lines[:-1]), p.stderr
    assert not (bpf_prog_ids() - before)


def test_missing_tracepoint():
    run_expect([fixture("bad_tracepoint"), "--no-metrics"], 1,
               "error: program 'nowhere': cannot attach tracepoint syscalls/sys_enter_no_such_call: "
               "No such file or directory")


def test_program_needing_a_target():
    run_expect([fixture("bad_xdp"), "--no-metrics"], 1,
               "error: program 'xdp_pass': cannot attach xdp: needs a network interface",
               "hint: give one with --iface NAME (repeatable), or --attach xdp_pass=IFACE")


def test_program_type_without_a_target_flag():
    run_expect([fixture("bad_socket"), "--no-metrics"], 1,
               "error: program 'sock_filter': cannot attach socket filter: ebpfctl has no target flag for "
               "socket filter programs (needs a socket)",
               "hint: mark the program SEC(\"?socket\") to load it without attaching")


def test_port_in_use():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(1)
    port = s.getsockname()[1]
    try:
        before = bpf_prog_ids()
        p = run_cli("run", fixture("ev_shapes"), "--metrics-addr", f"127.0.0.1:{port}")
        assert p.returncode == 1, p.stderr
        first = p.stderr.splitlines()[0]
        assert first.startswith(f"error: metrics address 127.0.0.1:{port}: Address already in use"), p.stderr
        assert not (bpf_prog_ids() - before)
    finally:
        s.close()


@pytest.mark.parametrize("args,msg", [
    ([], "error: run: missing OBJECT (a compiled probe, e.g. probe.bpf.o)"),
    (["X", "--bogus"], "error: run: unknown option '--bogus'"),
    (["X", "--interval"], "error: run: option '--interval' needs a value"),
    (["X", "--interval", "0"], "error: run: --interval '0': expected a positive duration like 500ms, 2s or 1m30s"),
    (["X", "--duration", "-1s"], "error: run: --duration '-1s': expected a positive duration like 500ms, 2s or 1m30s"),
    (["X", "--duration", "abc"], "error: run: --duration 'abc': expected a positive duration like 500ms, 2s or 1m30s"),
    (["X", "--duration", "1e3"], "error: run: --duration '1e3': expected a positive duration like 500ms, 2s or 1m30s"),
    (["X", "--no-metrics", "--metrics-addr", "127.0.0.1:1"], "error: run: --metrics-addr and --no-metrics cannot be used together"),
    (["X", "--metrics-addr", "nocolon"], "error: run: --metrics-addr 'nocolon': expected HOST:PORT, e.g. 0.0.0.0:9091 or [::1]:9091"),
    (["X", "--metrics-namespace", "9bad"], "error: run: --metrics-namespace '9bad': must match [a-zA-Z_][a-zA-Z0-9_]*"),
    (["X", "--set", "novalue"], "error: run: --set 'novalue': expected VAR=VALUE"),
    (["X", "--max-series", "0"], "error: run: --max-series '0': expected a positive integer"),
    (["X", "--hist-buckets", "m=3,2"], "error: run: --hist-buckets 'm=3,2': expected MAP=B1,B2,... with increasing numbers"),
])
def test_usage_errors(args, msg):
    p = run_cli("run", *args)
    assert p.returncode == 64, p.stderr
    assert p.stderr.splitlines()[0] == msg


def test_help_documents_every_flag():
    p = run_cli("run", "--help")
    assert p.returncode == 0
    for flag in ["--metrics-addr", "--no-metrics", "--set", "--interval", "--duration",
                 "--metrics-namespace", "--hist-buckets", "--max-series", "-v"]:
        assert flag in p.stdout


@pytest.mark.parametrize("d", ["500ms", "2s", "1m30s", "1.5", "1h", "250us"])
def test_durations_accepted(d):
    p = run_cli("run", "/nonexistent.o", "--no-metrics", "--duration", d)
    # got past option parsing to the missing file: that is the only complaint
    assert p.returncode == 1, p.stderr
    assert p.stderr.splitlines()[0] == "error: /nonexistent.o: No such file or directory", p.stderr
    assert "duration" not in p.stderr, p.stderr


@pytest.mark.parametrize("fx", ["ev_shapes", "rw_plain"])
def test_permission_denied_decided_by_the_error(fx):
    """Unprivileged: the kernel refuses (ring buffer creation or object load)."""
    import pathlib
    import tempfile
    tmp_path = pathlib.Path(tempfile.mkdtemp(dir="/tmp"))  # pytest's tmp is root-only
    os.chmod(tmp_path, 0o755)
    obj = tmp_path / "probe.o"
    shutil.copy(fixture(fx), obj)
    os.chmod(obj, 0o644)
    exe = tmp_path / "ebpfctl"
    shutil.copy(os.path.join(os.path.dirname(fixture(fx)), "..", "..", "ebpfctl"), exe)
    os.chmod(exe, 0o755)
    p = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all",
                        str(exe), "run", str(obj), "--no-metrics"], capture_output=True, text=True)
    assert p.returncode == 1
    shutil.rmtree(tmp_path)
    assert p.stderr.splitlines() == [f"error: {obj}: Operation not permitted",
                                     "hint: run as root or grant CAP_BPF and CAP_PERFMON"]
