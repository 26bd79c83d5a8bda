"""Zero-code tracepoints (DESIGN.md section 16): `ebpfctl init --tracepoint CAT:NAME [--fields]`
writes a probe from the tracepoint's tracefs format, `ebpfctl trace` builds and runs it at once.

Eleven tracepoints of different shapes, each triggered by the test and its event checked field
by field: user strings (syscall `const char *`), `__data_loc char[]` strings, `char[16]` arrays,
integer arrays (`unsigned long args[6]`, `__u8 daddr[4]`), pointers (addresses), signed syscall
arguments stored in 8 bytes (`int dfd` = -100), negative returns, `__syscall_nr` as a name.
Expectations come from what the test itself did (paths, comms, ports, signals), never from a
recorded run.  Runs on both kernels.
"""
import json
import os
import shutil
import signal
import socket
import subprocess
import time

import pytest

from conftest import EBPFCTL, SLOWDOWN, Run, bpf_prog_ids, deadline, run_cli, wait_until

TOKEN = os.urandom(4).hex()


def tracefs():
    for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
        if os.path.isdir(os.path.join(d, "events")):
            return d
    return None


def have(tp):
    cat, name = tp.split(":")
    d = tracefs()
    return d is None or os.path.exists(os.path.join(d, "events", cat, name, "format"))


# --- triggers: each makes the event the check then looks for --------------------------

def trig_open(ctx):
    path = ctx.setdefault("path", f"/tmp/ebpfctl-trace-{TOKEN}-open")
    try:
        os.close(os.open(path, os.O_RDONLY | os.O_CREAT, 0o600))
    finally:
        pass


def trig_open_missing(ctx):
    try:
        os.open(f"/nonexistent/ebpfctl-trace-{TOKEN}", os.O_RDONLY)
    except FileNotFoundError:
        pass


def trig_write(ctx):
    with open("/dev/null", "wb", buffering=0) as f:
        f.write(ctx.setdefault("data", f"ebpfctl-trace-{TOKEN}-write".encode()))


def exe_copy(ctx, tag):
    """/bin/true under a name of the test's (a unique exec path and comm)."""
    path = ctx.get("exe")
    if not path:
        path = f"/tmp/tp{TOKEN}{tag}"
        shutil.copy("/bin/true", path)
        os.chmod(path, 0o755)
        ctx["exe"] = path
        ctx.setdefault("cleanup", []).append(path)
    return path


def trig_exec(ctx):
    subprocess.run([exe_copy(ctx, "x")])


def trig_fork(ctx):
    """A shell named tpTOKENf forks a child (its comm is the parent's)."""
    path = ctx.get("sh")
    if not path:
        path = f"/tmp/tp{TOKEN}f"
        shutil.copy("/bin/sh", path)
        os.chmod(path, 0o755)
        ctx["sh"] = path
        ctx.setdefault("cleanup", []).append(path)
    subprocess.run([path, "-c", "/bin/true; /bin/true"])


def trig_rename(ctx):
    subprocess.run(["/bin/sh", "-c", f"printf rn{TOKEN} > /proc/self/comm"])


def trig_signal(ctx):
    p = subprocess.Popen(["sleep", "30"])
    time.sleep(0.01)
    p.send_signal(signal.SIGUSR1)
    p.wait()


def trig_getppid(ctx):
    for _ in range(5):
        os.getppid()


def trig_ping(ctx):
    subprocess.run(["ping", "-c", "1", "-W", "1", "127.0.0.1"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def trig_connect(ctx):
    srv = ctx.get("srv")
    if not srv:
        srv = socket.socket()
        srv.bind(("127.0.0.1", 0))
        srv.listen(8)
        ctx["srv"] = srv
        ctx["port"] = srv.getsockname()[1]
    c = socket.create_connection(("127.0.0.1", ctx["port"]))
    a, _ = srv.accept()
    a.close()
    c.close()


# (tracepoint, fields, trigger, predicate(event, ctx), shape)
CASES = [
    ("syscalls:sys_enter_openat", "filename,dfd,flags", trig_open,
     lambda e, c: e["filename"] == c["path"] and e["dfd"] == -100 and e["flags"] & os.O_CREAT, "user string, int in 8"),
    ("syscalls:sys_exit_openat", "ret,syscall_nr", trig_open_missing,
     lambda e, c: e["ret"] == -2 and e["syscall_nr"] == "openat", "negative return, __syscall_nr"),
    ("syscalls:sys_enter_write", "buf,count,fd", trig_write,
     lambda e, c: e["buf"].startswith(c["data"].decode()) and e["count"] == len(c["data"]), "user buffer as string"),
    ("syscalls:sys_enter_execve", None, trig_exec,
     lambda e, c: e["filename"] == c["exe"] and e["argv"] > 0 and e["envp"] > 0, "pointer to pointers: address"),
    ("sched:sched_process_exec", "filename,pid", trig_exec,
     lambda e, c: e["filename"] == c["exe"] and e["pid"] > 0, "__data_loc char[]"),
    ("sched:sched_process_fork", None, trig_fork,
     lambda e, c: e["parent_comm"] == os.path.basename(c["sh"])[:15] and e["child_pid"] > e["parent_pid"] - 10**7,
     "char[16] or __data_loc comms"),
    ("task:task_rename", "newcomm,oldcomm,pid", trig_rename,
     lambda e, c: e["newcomm"] == f"rn{TOKEN}" and e["oldcomm"] == "sh", "char[16] arrays"),
    ("signal:signal_generate", "sig,comm,pid,result", trig_signal,
     lambda e, c: e["sig"] == signal.SIGUSR1 and e["comm"] == "sleep", "ints and char[16]"),
    ("raw_syscalls:sys_enter", "id,args", trig_getppid,
     lambda e, c: e["id"] == 110 and isinstance(e["args"], list) and len(e["args"]) == 6, "unsigned long args[6]"),
    ("net:netif_receive_skb", "name,len,skbaddr", trig_ping,
     lambda e, c: e["name"] == "lo" and e["len"] > 0 and e["skbaddr"] > 0, "__data_loc name, void * address"),
    ("sock:inet_sock_set_state", "dport,daddr,family,newstate,skaddr", trig_connect,
     lambda e, c: e["dport"] == c.get("port") and e["daddr"] == [127, 0, 0, 1] and e["family"] == socket.AF_INET,
     "__u8[4] array, __u16"),
]


@pytest.mark.parametrize("tp,fields,trigger,pred,shape", CASES, ids=[c[0] for c in CASES])
def test_trace(tp, fields, trigger, pred, shape):
    if not have(tp):
        pytest.skip(f"this kernel has no tracepoint {tp}")
    before = bpf_prog_ids()
    args = [tp] + (["--fields", fields] if fields else []) + ["--duration", str(int(deadline(30)))]
    ctx = {}
    # `trace` takes run's options and writes run's JSON lines
    t = Run(args, sub="trace")
    try:
        line = t.wait_line(lambda o: o.get("map") == "events" and pred(o["event"], ctx), timeout=60,
                           trigger=lambda: trigger(ctx))
        ev = line["event"]
        if fields:
            want = [f for f in fields.split(",")]
            assert list(ev) == want, (list(ev), want)
    finally:
        t.kill()
        for f in ctx.get("cleanup", []):
            os.unlink(f)
        if "srv" in ctx:
            ctx["srv"].close()
        if "path" in ctx and os.path.exists(ctx["path"]):
            os.unlink(ctx["path"])
    wait_until(lambda: bpf_prog_ids() <= before, what="programs unloaded")
    assert not [d for d in os.listdir("/tmp") if d.startswith("ebpfctl-trace-") and os.path.isdir("/tmp/" + d)]


# --- init --tracepoint, and the errors ---------------------------------------------------

def test_init_tracepoint_writes_a_probe_that_builds_and_loads(tmp_path):
    src = tmp_path / "opens.bpf.c"
    p = run_cli("init", "--tracepoint", "syscalls:sys_enter_openat", "--fields", "filename,flags", "--file", str(src))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"wrote {src} (tracepoint syscalls:sys_enter_openat)")
    text = src.read_text()
    assert 'SEC("tracepoint/syscalls/sys_enter_openat")' in text
    assert '} events SEC(".maps.print");' in text and "BPF_MAP_TYPE_RINGBUF" in text
    assert "bpf_probe_read_user_str(e->filename" in text        # a syscall's pointer is the caller's
    members = [ln.split("/*")[0].split()[-1].rstrip(";") for ln in
               text.split("struct event {\n", 1)[1].split("};", 1)[0].splitlines()]
    assert members == ["filename[256]", "flags"], members
    # an existing file is kept, --force overwrites, - writes to stdout
    p = run_cli("init", "--tracepoint", "syscalls:sys_enter_openat", "--file", str(src))
    assert p.returncode == 1 and p.stderr.startswith(f"error: {src}: file exists"), p.stderr
    p = run_cli("init", "--tracepoint", "sched:sched_process_exec", "--file", str(src), "--force")
    assert p.returncode == 0 and 'SEC("tracepoint/sched/sched_process_exec")' in src.read_text()
    p = run_cli("init", "--tracepoint", "sched:sched_process_exec", "--file", "-")
    assert p.returncode == 0 and p.stdout == src.read_text(), p.stderr
    # a kernel-side string, read with the kernel helper
    assert "bpf_probe_read_kernel_str(e->filename" in src.read_text()
    p = run_cli("build", str(src))
    assert p.returncode == 0, p.stderr
    p = run_cli("check", str(tmp_path / "opens.bpf.o"))
    assert p.returncode == 0 and "1 maps exported (events print)" in p.stdout, p.stdout + p.stderr


USAGE = [
    (["trace"], "error: trace: missing CATEGORY:NAME (a tracepoint, e.g. syscalls:sys_enter_openat)", None),
    (["trace", "syscalls:sys_enter_openat", "sched:sched_switch"],
     "error: trace: one tracepoint at a time (got 'sched:sched_switch' too)", None),
    (["trace", "openat"], "error: tracepoint 'openat': expected CATEGORY:NAME, e.g. syscalls:sys_enter_openat", None),
    (["trace", "syscals:sys_enter_openat"], "error: tracepoint 'syscals:sys_enter_openat': no category 'syscals'",
     "hint: categories: syscalls"),
    (["trace", "syscalls:sys_enter_opnat"],
     "error: tracepoint 'syscalls:sys_enter_opnat': no tracepoint 'sys_enter_opnat' in syscalls",
     "hint: in syscalls: "),
    (["trace", "syscalls:sys_enter_openat", "--fields", "filename,flgs"],
     "error: tracepoint 'syscalls:sys_enter_openat': no field 'flgs'",
     "hint: its fields: syscall_nr, dfd, filename, flags, mode"),
    (["trace", "syscalls:sys_enter_openat", "--fields"], "error: trace: option '--fields' needs a value", None),
    (["trace", "syscalls:sys_enter_openat", "--duration", "0"],
     "error: trace: --duration '0': expected a positive duration like 500ms, 2s or 1m30s", None),
    (["init", "--fields", "a"], "error: init: --fields needs --tracepoint", None),
    (["init", "--tracepoint", "sched:sched_switch", "-p", "file"],
     "error: init: --tracepoint writes its own probe: no --program-type, --map-type or --output-type with it", None),
    (["init", "--tracepoint", "sched:sched_switch", "--fields", "prev_comm,nope", "--file", "-"],
     "error: tracepoint 'sched:sched_switch': no field 'nope'", "hint: its fields: prev_comm, prev_pid, "),
]


@pytest.mark.parametrize("args,first,hint", USAGE, ids=[" ".join(a) for a, _, _ in USAGE])
def test_usage_errors(args, first, hint):
    # EBPFCTL_OBJECT names run's objects, never trace's tracepoint
    p = run_cli(*args, env=dict(os.environ, EBPFCTL_OBJECT="/nonexistent.bpf.o"))
    assert p.returncode == 64, (p.returncode, p.stderr)
    lines = p.stderr.splitlines()
    assert lines[0] == first, p.stderr
    if hint:
        assert len(lines) == 2 and lines[1].startswith(hint), p.stderr
        if "sys_enter_opnat" in first:
            assert "sys_enter_openat" in lines[1].split(": ", 1)[1].split(", ")
    else:
        assert len(lines) == 1, p.stderr


def test_every_tracepoint_of_a_category_builds_and_loads(tmp_path):
    """The generated probe for all fields of each tracepoint in a few categories compiles and
    passes the verifier (check --load-only): every shape the formats declare, not just the
    eleven above.  Fewer in the slow second-kernel guest."""
    d = tracefs()
    if d is None:
        pytest.skip("tracefs not mounted (the trace tests above mount it through ebpfctl)")
    names = []
    for cat in ("sched", "signal", "task", "net", "sock", "skb", "timer", "irq", "raw_syscalls", "syscalls"):
        if os.path.isdir(os.path.join(d, "events", cat)):
            tps = sorted(n for n in os.listdir(os.path.join(d, "events", cat))
                         if os.path.exists(os.path.join(d, "events", cat, n, "format")))
            names += [f"{cat}:{n}" for n in tps[:(2 if SLOWDOWN > 1 else 8)]]
    assert len(names) >= 10
    before = bpf_prog_ids()
    for i, tp in enumerate(names):
        src = tmp_path / f"tp{i}.bpf.c"
        p = run_cli("init", "--tracepoint", tp, "--file", str(src))
        assert p.returncode == 0, (tp, p.stderr)
        p = run_cli("build", str(src), timeout=120)
        assert p.returncode == 0, (tp, p.stderr)
        p = run_cli("check", "--load-only", str(tmp_path / f"tp{i}.bpf.o"))
        assert p.returncode == 0, (tp, p.stderr)
    assert bpf_prog_ids() <= before


def test_trace_leaves_no_files_even_when_killed():
    """The temporary probe is removed as soon as it is loaded: a SIGKILLed trace (which cleans
    up nothing itself) leaves no directory behind."""
    before = {d for d in os.listdir("/tmp") if d.startswith("ebpfctl-trace-")}
    ctx = {}
    t = Run(["syscalls:sys_enter_openat", "--fields", "filename"], sub="trace")
    try:
        t.wait_line(lambda o: o["event"]["filename"] == ctx.get("path"), timeout=60, trigger=lambda: trig_open(ctx))
        t.proc.kill()
        t.proc.wait()
    finally:
        t.kill()
        if os.path.exists(ctx.get("path", "")):
            os.unlink(ctx["path"])
    assert {d for d in os.listdir("/tmp") if d.startswith("ebpfctl-trace-")} <= before
