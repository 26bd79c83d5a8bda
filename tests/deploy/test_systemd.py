"""deploy/systemd: the units pass `systemd-analyze verify`, and build/ebpfctl does what
they rely on: READY=1 on NOTIFY_SOCKET only once every program is attached, STOPPING=1
at SIGTERM, and socket activation (LISTEN_FDS/LISTEN_PID, fd 3) for the metrics port.

Runs as root (the readiness and socket tests load the opensnoop example); no systemd
needs to be running: systemd-socket-activate and a unix datagram socket stand in for it.
"""
import importlib.util
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))
UNITS = os.path.join(ROOT, "deploy", "systemd")
MANPAGE = os.path.join(ROOT, "doc", "ebpfctl.1")

# helpers of the e2e suite, loaded under their own name (tests/deploy may get a
# conftest.py of its own: `import conftest` could be either)
_spec = importlib.util.spec_from_file_location("e2e_conftest_helpers",
                                               os.path.join(ROOT, "tests", "e2e", "conftest.py"))
e2e = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(e2e)
EBPFCTL, deadline, free_port, wait_until = e2e.EBPFCTL, e2e.deadline, e2e.free_port, e2e.wait_until

OPENSNOOP = os.path.join(e2e.BUILD, "examples", "opensnoop.bpf.o")
BAD_TRACEPOINT = os.path.join(e2e.FIXTURES, "bad_tracepoint.bpf.o")


def need(path):
    assert os.path.exists(path), f"{path} not built (run make)"
    return path


# ---------------------------------------------------------------- unit files

def unit_lines(name):
    """(key, value) of every setting of a unit file, in order (keys repeat)."""
    out = []
    with open(os.path.join(UNITS, name)) as f:
        for line in f:
            line = line.strip()
            if line and not line.startswith(("#", ";", "[")) and "=" in line:
                k, v = line.split("=", 1)
                out.append((k.strip(), v.strip()))
    return out


def unit_get(name, key):
    return [v for k, v in unit_lines(name) if k == key]


@pytest.fixture
def unit_dir(tmp_path):
    """The units in a temporary directory, ExecStart pointing at build/ebpfctl (verify
    wants the binary to exist), and a man tree holding ebpfctl.1 for Documentation=."""
    d = tmp_path / "units"
    d.mkdir()
    for f in ("ebpfctl@.service", "ebpfctl@.socket"):
        text = open(os.path.join(UNITS, f)).read()
        if f.endswith(".service"):
            assert "ExecStart=/usr/local/bin/ebpfctl run " in text
            text = text.replace("/usr/local/bin/ebpfctl", need(EBPFCTL))
        (d / f).write_text(text)
    man1 = tmp_path / "man" / "man1"
    man1.mkdir(parents=True)
    shutil.copy(MANPAGE, man1 / "ebpfctl.1")
    return d


def verify(path, env_extra=None):
    """systemd-analyze verify UNIT: (exit status, output lines)."""
    env = dict(os.environ, **(env_extra or {}))
    p = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True,
                       env=env, timeout=deadline(60))
    return p.returncode, [l for l in (p.stdout + p.stderr).splitlines() if l.strip()]


def ours(lines):
    """Output lines about our units (other lines are about the host's own units)."""
    return [l for l in lines if "ebpfctl" in l]


@pytest.mark.parametrize("unit", ["ebpfctl@opensnoop.service", "ebpfctl@opensnoop.socket"])
def test_systemd_analyze_verify_clean(unit_dir, unit):
    rc, lines = verify(unit_dir / unit, {"MANPATH": str(unit_dir.parent / "man")})
    assert rc == 0 and not ours(lines), "\n".join(lines)


def test_verify_catches_a_bad_key(unit_dir):
    """The check above can fail: an unknown key only warns (exit 0), and the warning
    names our file."""
    svc = unit_dir / "ebpfctl@.service"
    svc.write_text(svc.read_text().replace("[Service]\n", "[Service]\nNoSuchSetting=1\n"))
    rc, lines = verify(unit_dir / "ebpfctl@opensnoop.service", {"MANPATH": str(unit_dir.parent / "man")})
    assert any("NoSuchSetting" in l and "ebpfctl@.service" in l for l in ours(lines)), lines


def test_verify_with_every_drop_in(unit_dir):
    dropins = sorted(os.listdir(os.path.join(UNITS, "drop-ins")))
    assert dropins, "deploy/systemd/drop-ins is empty"
    for conf in dropins:
        d = unit_dir / f"ebpfctl@{conf[:-5]}.service.d"
        d.mkdir()
        shutil.copy(os.path.join(UNITS, "drop-ins", conf), d / conf)
        # a bad key in a copy proves the drop-in is read at all
        (d / "zz-bad.conf").write_text("[Service]\nNoSuchSetting=1\n")
        rc, lines = verify(unit_dir / f"ebpfctl@{conf[:-5]}.service", {"MANPATH": str(unit_dir.parent / "man")})
        assert any("zz-bad.conf" in l for l in lines), f"{conf}: drop-in not read: {lines}"
        (d / "zz-bad.conf").unlink()
        rc, lines = verify(unit_dir / f"ebpfctl@{conf[:-5]}.service", {"MANPATH": str(unit_dir.parent / "man")})
        assert rc == 0 and not ours(lines), f"{conf}:\n" + "\n".join(lines)


def test_service_contract():
    s = "ebpfctl@.service"
    assert unit_get(s, "Type") == ["notify"]
    assert unit_get(s, "NotifyAccess") == ["main"]
    assert unit_get(s, "ExecStart") == ["/usr/local/bin/ebpfctl run /etc/ebpfctl/%i.bpf.o"]
    assert unit_get(s, "EnvironmentFile") == ["-/etc/ebpfctl/%i.env"]
    assert unit_get(s, "Restart") == ["on-failure"]
    # a command-line error (a bad EBPFCTL_* value) is not retried
    assert unit_get(s, "RestartPreventExitStatus") == ["64"]
    caps = set(" ".join(unit_get(s, "CapabilityBoundingSet")).split())
    assert caps == set(" ".join(unit_get(s, "AmbientCapabilities")).split())
    # what tracing probes need on Debian's kernels (README.md: measured per program type)
    assert caps == {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_ADMIN"}
    for key, value in [("ProtectSystem", "strict"), ("ProtectHome", "yes"), ("PrivateTmp", "yes"),
                       ("NoNewPrivileges", "yes"), ("MemoryDenyWriteExecute", "yes"),
                       ("LockPersonality", "yes"), ("ProtectKernelModules", "yes")]:
        assert unit_get(s, key) == [value], key
    # /sys read-only by path: ProtectKernelTunables= would make /sys/fs/bpf read-only
    # whatever ReadWritePaths= says (pins fail) and hide /proc/kallsyms
    assert not unit_get(s, "ProtectKernelTunables")
    assert {"/sys", "/proc/sys"} <= set(unit_get(s, "ReadOnlyPaths")[0].split())
    assert set(unit_get(s, "RestrictAddressFamilies")[0].split()) == {"AF_UNIX", "AF_INET", "AF_INET6",
                                                                      "AF_NETLINK"}
    assert "-/sys/fs/bpf" in unit_get(s, "ReadWritePaths")[0].split()
    sock = "ebpfctl@.socket"
    assert unit_get(sock, "ListenStream") == ["9091"]
    assert not unit_get(sock, "Accept") or unit_get(sock, "Accept") == ["no"]


def test_security_exposure(unit_dir):
    """systemd's own rating of the sandbox stays "OK" (exposure at most 3.0 of 10)."""
    p = subprocess.run(["systemd-analyze", "security", "--offline=yes", "--threshold=30",
                        str(unit_dir / "ebpfctl@opensnoop.service")],
                       capture_output=True, text=True, timeout=deadline(60))
    m = re.search(r"Overall exposure level for \S+: ([0-9.]+)", p.stdout)
    assert m, p.stdout + p.stderr
    assert p.returncode == 0 and float(m.group(1)) <= 3.0, p.stdout


def test_readme_env_example_is_accepted():
    """The /etc/ebpfctl/opensnoop.env of deploy/systemd/README.md is what ebpfctl takes."""
    readme = open(os.path.join(UNITS, "README.md")).read()
    m = re.search(r"```sh\n# /etc/ebpfctl/opensnoop.env\n(.*?)```", readme, re.S)
    assert m, "README.md has no opensnoop.env example"
    env = {k: v for k, v in os.environ.items() if not k.startswith("EBPFCTL_")}
    for line in m.group(1).splitlines():
        k, v = line.split("=", 1)
        env[k] = v.strip('"')           # as EnvironmentFile= unquotes
    p = subprocess.run([EBPFCTL, "check", "--load-only", need(OPENSNOOP), "-v"], env=env,
                       capture_output=True, text=True, timeout=deadline(60))
    assert p.returncode == 0, p.stderr


# ---------------------------------------------------------------- readiness

def linked_with_libsystemd():
    out = subprocess.run(["ldd", EBPFCTL], capture_output=True, text=True).stdout
    return "libsystemd" in out


@pytest.fixture
def notify_socket(tmp_path):
    """A unix datagram socket in place of systemd's: (path, recv(seconds) -> message).

    sd_notify is optional at build time: the tests skip for a build that could not
    have it (no libsystemd-dev, or HAVE_LIBSYSTEMD=0), and fail for one that should."""
    if not linked_with_libsystemd():
        have_dev = subprocess.run(["pkg-config", "--exists", "libsystemd"]).returncode == 0
        if have_dev and os.environ.get("HAVE_LIBSYSTEMD") != "0":
            pytest.fail("libsystemd-dev is installed but build/ebpfctl is not linked with libsystemd")
        pytest.skip("build/ebpfctl was built without libsystemd (no sd_notify)")
    path = str(tmp_path / "notify")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    s.bind(path)

    def recv(seconds):
        s.settimeout(max(0.01, seconds))
        try:
            return s.recv(4096).decode()
        except socket.timeout:
            return None

    yield path, recv
    s.close()


def start(args, env_extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EBPFCTL_", "LISTEN_", "NOTIFY_"))}
    env.update(env_extra)
    return subprocess.Popen([EBPFCTL] + args, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, start_new_session=True)


def stop(p):
    if p.poll() is None:
        p.terminate()
        try:
            p.wait(timeout=deadline(10))
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def attached_tracepoints(pid):
    """Tracepoints process pid has BPF programs attached to (bpftool perf show)."""
    out = subprocess.run(["bpftool", "-j", "perf", "show"], capture_output=True, text=True).stdout
    return {e.get("tracepoint") for e in json.loads(out or "[]") if e.get("pid") == pid}


def object_tracepoints(obj):
    """The tracepoint names of an object's programs (their sections, tp/CAT/NAME)."""
    out = subprocess.run(["llvm-objdump", "-t", obj], capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 6 and parts[1] == "g" and parts[2] == "F" and parts[3].startswith(("tp/", "tracepoint/")):
            names.add(parts[3].rsplit("/", 1)[1])
    return names


def http_get(port, path, timeout=2):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.status, r.read().decode()


def messages_until(recv, want, timeout):
    """Notifications received until one has the line `want` (or timeout): the list."""
    got, end = [], time.monotonic() + deadline(timeout)
    while time.monotonic() < end:
        m = recv(end - time.monotonic())
        if m is None:
            break
        got.append(m)
        if want in m.split("\n"):
            break
    return got


def test_ready_only_once_attached_and_stopping_at_sigterm(notify_socket):
    path, recv = notify_socket
    port = free_port()
    want = object_tracepoints(need(OPENSNOOP))
    assert want == {"sys_enter_openat", "sys_exit_openat"}
    p = start(["run", OPENSNOOP, "--metrics-addr", f"127.0.0.1:{port}"], {"NOTIFY_SOCKET": path})
    try:
        got = messages_until(recv, "READY=1", 30)
        assert got and "READY=1" in got[-1].split("\n"), f"no READY=1: {got}; stderr: " \
            f"{p.stderr.read().decode() if p.poll() is not None else '(running)'}"
        # at READY=1 every program is attached, and /-/ready agrees
        assert attached_tracepoints(p.pid) == want
        assert http_get(port, "/-/ready")[0] == 200
        p.send_signal(signal.SIGTERM)
        got = messages_until(recv, "STOPPING=1", 15)
        assert got and "STOPPING=1" in got[-1].split("\n"), f"no STOPPING=1 after SIGTERM: {got}"
        assert p.wait(timeout=deadline(15)) == 0, p.stderr.read().decode()
    finally:
        stop(p)


@pytest.mark.parametrize("objs", [["bad"], ["good", "bad"]], ids=["failing", "good+failing"])
def test_no_ready_when_attach_fails(notify_socket, objs):
    """A run that fails to attach (a tracepoint that does not exist) never says READY=1,
    even when another object attached fine."""
    path, recv = notify_socket
    files = [need(OPENSNOOP) if o == "good" else need(BAD_TRACEPOINT) for o in objs]
    p = start(["run"] + files + ["--no-metrics"], {"NOTIFY_SOCKET": path})
    try:
        rc = p.wait(timeout=deadline(30))
        err = p.stderr.read().decode()
        assert rc == 1 and "error: program 'nowhere': cannot attach" in err, err
        got = []
        while (m := recv(0.2)) is not None:
            got.append(m)
        assert not any("READY=1" in m.split("\n") for m in got), got
    finally:
        stop(p)


# ---------------------------------------------------------------- socket activation

def wait_http(port, path, timeout=20):
    def ok():
        try:
            return http_get(port, path)
        except (urllib.error.URLError, ConnectionError, socket.timeout):
            return None
    return wait_until(ok, timeout=timeout, interval=0.05, what=f"http://127.0.0.1:{port}{path}")


def refused(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
        return False
    except ConnectionRefusedError:
        return True


def test_socket_activation_serves_on_the_passed_socket():
    """systemd-socket-activate binds PORT and execs ebpfctl with it as fd 3 (LISTEN_FDS=1,
    LISTEN_PID=its pid) at the first connection: /metrics, /-/healthy, /-/ready answer
    there, and --metrics-addr is not bound."""
    port, other = free_port(), free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EBPFCTL_", "LISTEN_", "NOTIFY_"))}
    p = subprocess.Popen(["systemd-socket-activate", "-l", f"127.0.0.1:{port}", EBPFCTL, "run",
                          need(OPENSNOOP), "--metrics-addr", f"127.0.0.1:{other}"],
                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        wait_until(lambda: not refused(port), timeout=10, what="systemd-socket-activate listening")
        # the first scrape is queued on the socket until ebpfctl serves it
        status, body = http_get(port, "/metrics", timeout=deadline(30))
        assert status == 200 and "ebpfctl_program_info{" in body, body[:500]
        assert "# TYPE ebpf_solo_io_opens_total counter" in body
        assert http_get(port, "/-/healthy")[0] == 200
        assert wait_http(port, "/-/ready")[0] == 200
        assert refused(other), "--metrics-addr was bound although a socket was passed"
        assert p.poll() is None
    finally:
        stop(p)
    assert p.returncode == 0, p.stderr.read().decode()


@pytest.mark.parametrize("listen_pid", ["self", "other"])
def test_listen_pid_decides(listen_pid):
    """LISTEN_FDS=1 counts only when LISTEN_PID is ebpfctl's own pid (as sd_listen_fds):
    otherwise ebpfctl binds --metrics-addr and leaves fd 3 alone."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(16)
    port, other = held.getsockname()[1], free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EBPFCTL_", "LISTEN_", "NOTIFY_"))}
    # bash (dash takes one-digit fds only) puts the socket on fd 3 and execs ebpfctl,
    # which keeps the shell's pid
    pid = "$$" if listen_pid == "self" else "1"
    script = f'exec 3<&{held.fileno()} && LISTEN_FDS=1 LISTEN_PID={pid} exec "$@"'
    p = subprocess.Popen(["bash", "-c", script, "bash", EBPFCTL, "run", need(OPENSNOOP),
                          "--metrics-addr", f"127.0.0.1:{other}"], env=env, pass_fds=(held.fileno(),),
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    try:
        serving, idle = (port, other) if listen_pid == "self" else (other, port)
        status, body = wait_http(serving, "/metrics", timeout=30)
        assert status == 200 and "ebpfctl_program_info{" in body
        if listen_pid == "self":
            assert refused(idle)
        else:
            # fd 3 is still only our listening socket: nothing answers on it
            with pytest.raises((socket.timeout, urllib.error.URLError)):
                http_get(idle, "/metrics", timeout=1)
    finally:
        stop(p)
        held.close()
    assert p.returncode == 0, p.stderr.read().decode()


def test_passed_socket_survives_exit():
    """systemd keeps the socket of ebpfctl@NAME.socket across restarts: ebpfctl must close
    its fd 3 at exit, never shutdown() it (systemd then fails the socket unit: "Got
    POLLHUP on a listening socket"). A scrape arriving between two runs waits in the
    backlog and the next run answers it."""
    held = socket.socket()
    held.bind(("127.0.0.1", 0))
    held.listen(16)
    port = held.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("EBPFCTL_", "LISTEN_", "NOTIFY_"))}
    script = f'exec 3<&{held.fileno()} && LISTEN_FDS=1 LISTEN_PID=$$ exec "$@"'

    def start_run():
        return subprocess.Popen(["bash", "-c", script, "bash", EBPFCTL, "run", need(OPENSNOOP)], env=env,
                                pass_fds=(held.fileno(),), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                start_new_session=True)
    p = start_run()
    q = None
    try:
        assert wait_http(port, "/-/ready", timeout=30)[0] == 200
        p.send_signal(signal.SIGTERM)
        assert p.wait(timeout=deadline(15)) == 0, p.stderr.read().decode()
        # between runs: the connection is accepted into the backlog, not refused
        c = socket.create_connection(("127.0.0.1", port), timeout=deadline(5))
        c.sendall(b"GET /-/healthy HTTP/1.0\r\nHost: x\r\n\r\n")
        q = start_run()
        c.settimeout(deadline(30))
        reply = c.recv(4096).decode(errors="replace")
        c.close()
        assert reply.startswith("HTTP/1.") and " 200 " in reply.split("\r\n")[0], reply
    finally:
        stop(p)
        if q:
            stop(q)
        held.close()


# ---------------------------------------------------------------- under systemd

CAP = {"CAP_NET_ADMIN": 12, "CAP_SYS_PTRACE": 19, "CAP_SYS_ADMIN": 21, "CAP_SYSLOG": 34,
       "CAP_PERFMON": 38, "CAP_BPF": 39}


def capset(hexmask):
    bits = int(hexmask, 16)
    names = {n for n, b in CAP.items() if bits >> b & 1}
    assert bits == sum(1 << CAP[n] for n in names), f"unexpected capabilities in {hexmask}"
    return names


def test_units_under_systemd():
    """The units as systemd runs them, in the second-kernel guest (Debian's 6.1 kernel,
    kernel.perf_event_paranoid=3) where systemd can be PID 1 of a namespace of its own
    (tests/deploy/systemd_in_guest.sh): every drop-in's program types start (READY=1)
    under the sandbox, capabilities are bounded and dropped after attach, pins and
    stack symbols work, a bad setting is not restarted, socket activation keeps the port."""
    p = subprocess.run(["bash", os.path.join(ROOT, "ci", "vm-run.sh"), "-t", str(int(deadline(900))), "--",
                        "bash", os.path.join(HERE, "systemd_in_guest.sh")],
                       capture_output=True, text=True, cwd=ROOT, timeout=deadline(1200))
    out = p.stdout
    assert p.returncode == 0, out[-3000:] + p.stderr[-2000:]
    res = {}
    # "RESULT <name> [<stage>] key=value ...": a stage ("stopped") keeps its own keys
    for m in re.finditer(r"^RESULT (\S+)(?: ([a-z_]+)(?= |$))? ?(.*)$", out, re.M):
        key = m.group(1) + ("/" + m.group(2) if m.group(2) else "")
        for k, v in re.findall(r"(\w+)=(.*?)(?= \w+=|$)", m.group(3)):
            res[(key, k)] = v.strip()
    logs = out[out.find("\nLOGS"):][:6000]
    bad = []

    def want(what, ok):
        if not ok:
            bad.append(what)

    g = lambda name, key: res.get((name, key), "")
    want("systemd running", g("systemd", "state") in ("running", "degraded"))
    started = {"opensnoop": set(), "xdp": {"CAP_NET_ADMIN"}, "readline": {"CAP_SYS_PTRACE"},
               "profile": {"CAP_SYSLOG", "CAP_SYS_PTRACE"}, "runqlat": None, "pinned": set()}
    for name, extra in started.items():
        want(f"{name} started (READY=1)", g(name, "start") == "0" and g(name, "SubState") == "running"
             and g(name, "StatusText") == "probes attached, exporting")
        bnd = g(name, "CapBnd")
        if bnd:
            base = {"CAP_BPF", "CAP_PERFMON"} if extra is None else {"CAP_BPF", "CAP_PERFMON", "CAP_SYS_ADMIN"} | extra
            want(f"{name} bounding set {sorted(base)}: {bnd}", capset(bnd) == base)
        else:
            want(f"{name} capabilities read", False)
    # after attach ebpfctl keeps only what the rest of the run needs (none for these)
    want(f"opensnoop drops its capabilities after attach: {g('opensnoop', 'CapEff')}",
         g("opensnoop", "CapEff") and int(g("opensnoop", "CapEff"), 16) == 0)
    want("opensnoop /-/ready and metrics", g("opensnoop", "ready") == "200" and int(g("opensnoop", "opens_series") or 0) > 0)
    want("xdp counts packets on lo", int(g("xdp", "rx_series") or 0) > 0)
    want("pinned map in /sys/fs/bpf", "ebpfctl_test_pin" in g("pinned", "pins"))
    want("profile symbolizes kernel frames", int(g("profile", "kernel_symbols") or 0) > 0)
    want("bad setting: exit 64, not restarted", g("badenv", "start") != "0" and g("badenv", "ExecMainStatus") == "64"
         and g("badenv", "NRestarts") == "0" and g("badenv", "ActiveState") == "failed")
    want("failed attach: start fails", g("badattach", "start") != "0" and g("badattach", "ExecMainStatus") == "1")
    for name in started:
        want(f"{name} stops cleanly (SIGTERM: exit 0)", g(f"{name}/stopped", "Result") == "success"
             and g(f"{name}/stopped", "ExecMainStatus") == "0")
    want("nothing left loaded", g("left", "progs") == "0")
    want("socket listening", g("socket", "SubState") == "listening")
    want("socket activation: first scrape starts the service", int(g("execsnoop", "scrape_first") or 0) > 0)
    want("socket activation: a scrape during a restart is answered", int(g("execsnoop", "scrape_restart") or 0) > 0)
    want(f"socket activation: the socket outlives the service ({g('socket_after_stop', 'SubState')})",
         g("socket_after_stop", "SubState") == "listening")
    assert not bad, "\n".join(bad) + "\n" + "\n".join(l for l in out.splitlines() if l.startswith("RESULT")) + logs
