"""Signals at every phase of `ebpfctl run`, and what a SIGKILL leaves.

What ebpfctl does (run --help, README "Signals"):

- SIGINT, SIGTERM and SIGHUP: flush, detach, exit 0.  SIGHUP is a stop like
  SIGTERM, not a reload: ebpfctl has no configuration file to re-read (unlike
  ebpf_exporter or Prometheus), and dying of it (the default action) would
  leave clsact tc filters and a tracefs mount behind.  A stop that arrives
  before or during loading or attaching lets that phase finish, then detaches
  everything; the status is still 0.
- A signal that lands before main() has installed the handlers (right after
  exec) kills the process by its default action: nothing is loaded yet then.
- SIGPIPE is ignored as a signal (a /metrics client that goes away raises it
  too); a reader that closes stdout ends the run quietly with status 0 at the
  next write (EPIPE).
- SIGKILL: the kernel closes every fd, which detaches every link and frees
  every program and unpinned map.  What it does not clean, and what the next
  run does about it: a clsact tc filter (replaced by the next run of the same
  probe, then removed with its qdisc at exit), a map the probe pins itself
  (kept by design, reused by the next run), a tracefs mount ebpfctl made
  (the next run uses it; nobody unmounts it), and the metrics port (free
  again at once).

Phases: right after exec; the moment ebpfctl has installed the handler (an
LD_PRELOAD shim raises the signal from inside sigaction()); handlers
installed but nothing loaded (/proc/PID/status SigCgt, no BPF program fd
yet); while the 64 programs of tests/bpf/lc_many.bpf.c are being attached
(some but not all bpf_link fds in /proc/PID/fd; polling bpftool is too slow
for that: on the host all 64 attach within a few milliseconds, so a run that
attached them all between two looks is stopped and started again); while
streaming, into a reader or into a full pipe nobody reads; while a 100k-entry
scrape (tests/bpf/m_big) is being rendered (its thread on CPU per
/proc/PID/task/TID/schedstat).  Every wait has a deadline scaled by
EBPFCTL_TEST_SLOWDOWN; processes are signalled by the PID the test started.
"""
import json
import os
import re
import select
import signal
import socket
import subprocess
import time

import pytest

from conftest import EBPFCTL, BUILD, bpf_progs, deadline, fixture, free_port, wait_until
from netns_util import netns  # noqa: F401  (a fixture)

ME = os.getpid()
STOPS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
N_MANY = 64


def sig_id(s):
    return signal.Signals(s).name


def getppid():
    os.getppid()


def prog_names(obj):
    """Kernel names (15 chars) of the programs of a BPF object."""
    out = subprocess.run(["llvm-objdump", "-t", obj], capture_output=True, text=True, check=True).stdout
    names = set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 6 and "F" in parts[1:3] and parts[-3] != ".text":
            names.add(parts[-1][:15])
    return names


class Nothing:
    """Programs of these objects loaded before the test; gone() waits until no
    other is (the kernel frees a program shortly after its last fd closes).
    Only these objects' names count: concurrent suites may load others."""

    def __init__(self, *objs):
        self.names = set().union(*(prog_names(o) for o in objs))
        self.before = self.ids()

    def ids(self):
        return {i for i, n in bpf_progs().items() if n in self.names}

    def loaded(self):
        return self.ids() - self.before

    def gone(self, what="programs left loaded"):
        wait_until(lambda: not self.loaded(), timeout=5, interval=0.05, what=what)


def fd_kinds(pid):
    """{'bpf-prog': n, 'bpf_link': n, ...} of a process's anonymous inodes."""
    kinds = {}
    try:
        names = os.listdir(f"/proc/{pid}/fd")
    except OSError:
        return kinds
    for f in names:
        try:
            t = os.readlink(f"/proc/{pid}/fd/{f}")
        except OSError:
            continue
        if t.startswith("anon_inode:"):
            kinds[t[11:]] = kinds.get(t[11:], 0) + 1
    return kinds


def catches(pid, sig):
    """The process has a handler for sig (SigCgt in /proc/PID/status)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("SigCgt:"):
                    return bool(int(line.split()[1], 16) >> (sig - 1) & 1)
    except OSError:
        pass
    return False


class Calls:
    """getppid() calls made by this process: lc_many prints one line for each."""

    def __init__(self):
        self.n = 0

    def __call__(self):
        os.getppid()
        self.n += 1


class Proc:
    """`ebpfctl run ARGS` with stdout and stderr on pipes; stdout lines are
    collected in .lines as they are read."""

    def __init__(self, *args, cmd=None, env=None):
        self.p = subprocess.Popen((cmd or []) + [EBPFCTL, "run"] + list(args), stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, env=env, start_new_session=True)
        self.pid = self.p.pid
        self.buf = b""
        self.lines = []

    def _read(self, timeout):
        if select.select([self.p.stdout], [], [], timeout)[0]:
            chunk = os.read(self.p.stdout.fileno(), 65536)
            self.buf += chunk
            *done, self.buf = self.buf.split(b"\n")
            self.lines += [l.decode() for l in done]
            return bool(chunk)
        return True

    def line(self, pred=lambda o: True, timeout=10, trigger=getppid):
        """The first stdout JSON line (from the first one read) that pred
        accepts, calling trigger() while waiting."""
        end, seen = time.monotonic() + deadline(timeout), 0
        while time.monotonic() < end:
            for l in self.lines[seen:]:
                if pred(json.loads(l)):
                    return json.loads(l)
            seen = len(self.lines)
            assert self.p.poll() is None, f"ebpfctl exited {self.p.returncode}: {self.p.stderr.read()!r}"
            trigger()
            self._read(0.02)
        raise AssertionError(f"no matching line within {timeout}s (x{deadline(1):g}): {self.lines[-3:]}")

    def until_lines(self, n, timeout=10):
        """Read stdout until it has given n lines."""
        end = time.monotonic() + deadline(timeout)
        while len(self.lines) < n and time.monotonic() < end:
            assert self.p.poll() is None, f"ebpfctl exited {self.p.returncode}: {self.p.stderr.read()!r}"
            self._read(0.05)
        assert len(self.lines) == n, (n, self.lines[-3:])

    def close_stdout(self):
        """The reader goes away."""
        self.p.stdout.close()
        self.p.stdout = None

    def finish(self, timeout=10, trigger=None):
        """(status, stdout lines, stderr) once it exits; trigger() is called while waiting."""
        end = time.monotonic() + deadline(timeout)
        while self.p.poll() is None and time.monotonic() < end:
            if trigger:
                trigger()
            time.sleep(0.005)
        if self.p.poll() is None:
            self.p.kill()
            self.p.communicate()
            raise AssertionError(f"ebpfctl did not exit within {timeout}s (x{deadline(1):g})")
        out, err = self.p.communicate()
        self.lines += [l.decode() for l in (self.buf + (out or b"")).split(b"\n") if l]
        self.buf = b""
        return self.p.returncode, self.lines, err.decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM, **kw):
        if self.p.poll() is None:
            self.p.send_signal(sig)
        return self.finish(**kw)


@pytest.fixture
def procs():
    """Start ebpfctl runs; any still running at teardown is killed by PID."""
    started = []

    def start(*args, **kw):
        p = Proc(*args, **kw)
        started.append(p)
        return p

    yield start
    for p in started:
        if p.p.poll() is None:
            p.p.terminate()
            try:
                p.p.communicate(timeout=deadline(5))
            except subprocess.TimeoutExpired:
                p.kill()


def many():
    return fixture("lc_many")


def start_many(procs, *extra):
    # 2 ms after each of the 64 attaches (a test hook): the part-attached window is ~130 ms,
    # not the few ms a fast host takes, so the tests catch it on every machine
    env = dict(os.environ, EBPFCTL_TEST_ATTACH_PAUSE_US="2000")
    return procs(many(), "--no-metrics", "--set", f"target_tgid={ME}", *extra, env=env)


def wait_attaching(proc):
    """Wait until some but not all of lc_many's programs are attached: True,
    or False if attach went from none to all between two looks (on the host
    all 64 take a few milliseconds)."""
    end = time.monotonic() + deadline(20)
    while time.monotonic() < end:
        links = fd_kinds(proc.pid).get("bpf_link", 0)
        if 0 < links < N_MANY:
            return True
        if links >= N_MANY:
            return False
        assert proc.p.poll() is None, proc.finish()
    raise AssertionError("lc_many never started attaching")


def mid_attach(procs, act):
    """Start lc_many until a run is seen with some but not all of its
    programs attached, and act(run) right then; return that run."""
    for _ in range(10):
        p = start_many(procs)
        if wait_attaching(p):
            act(p)
            return p
        rc, _, err = p.stop(signal.SIGTERM)     # attached in between two looks: again
        assert rc == 0 and err == "", (rc, err)
    pytest.fail("never saw lc_many partly attached in 10 runs")


def wait_all_attached(proc):
    wait_until(lambda: fd_kinds(proc.pid).get("bpf_link", 0) == N_MANY or proc.p.poll() is not None,
               timeout=20, what="all 64 programs attached")
    assert proc.p.poll() is None, proc.finish()


def assert_clean_stop(proc, nothing, sig=None, **kw):
    rc, lines, err = proc.stop(sig, **kw) if sig else proc.finish(**kw)
    assert rc == 0, f"exit {rc}: {err}"
    assert err == "", err
    nothing.gone()
    return lines


# --- SIGINT, SIGTERM, SIGHUP at each phase ------------------------------------------


@pytest.mark.parametrize("sig", STOPS, ids=sig_id)
def test_signal_right_after_exec(procs, sig):
    """Before main() installs the handlers the default action kills ebpfctl
    (status -sig), after it the run stops cleanly (0): either way nothing is
    loaded and nothing is printed."""
    nothing = Nothing(many())
    p = start_many(procs)
    p.p.send_signal(sig)
    rc, lines, err = p.finish()
    assert rc in (0, -sig), (rc, err)
    assert lines == [] and err == "", (lines, err)
    nothing.gone()


@pytest.mark.parametrize("sig", STOPS, ids=sig_id)
def test_signal_before_load(procs, sig):
    """Handlers installed, no program loaded yet: loading and attaching go on,
    then everything is detached; status 0."""
    nothing = Nothing(many())
    for _ in range(5):
        p = start_many(procs)
        wait_until(lambda: catches(p.pid, signal.SIGTERM) or p.p.poll() is not None, timeout=10,
                   interval=0.0002, what="the signal handlers")
        if fd_kinds(p.pid).get("bpf-prog", 0) == 0:
            break
        p.stop(signal.SIGTERM)     # too late to be "before load": again
    else:
        pytest.fail("programs were always loaded by the time the handlers were seen")
    assert catches(p.pid, sig), f"{sig_id(sig)} is not handled: its default action kills ebpfctl"
    p.p.send_signal(sig)
    assert_clean_stop(p, nothing)


RAISE_ON_INSTALL = r"""
/* LD_PRELOAD shim: raise signal N (EBPFCTL_TEST_RAISE) the moment ebpfctl has
 * installed its handler for it, before anything else runs. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdlib.h>

int sigaction(int sig, const struct sigaction *sa, struct sigaction *old)
{
	static int (*real)(int, const struct sigaction *, struct sigaction *);
	const char *want = getenv("EBPFCTL_TEST_RAISE");
	int r;

	if (!real)
		real = (int (*)(int, const struct sigaction *, struct sigaction *))dlsym(RTLD_NEXT, "sigaction");
	r = real(sig, sa, old);
	if (!r && want && atoi(want) == sig && sa && sa->sa_handler != SIG_DFL && sa->sa_handler != SIG_IGN)
		raise(sig);
	return r;
}
"""


@pytest.mark.parametrize("sig", STOPS, ids=sig_id)
def test_signal_the_moment_its_handler_is_installed(procs, tmp_path, sig):
    """The earliest a stop can be caught: it must not be forgotten (the
    runner used to clear the stop flag when it started, and such a run went
    on forever)."""
    src, shim = tmp_path / "raise.c", tmp_path / "raise.so"
    src.write_text(RAISE_ON_INSTALL)
    subprocess.run(["cc", "-shared", "-fPIC", "-O1", "-o", str(shim), str(src), "-ldl"], check=True)
    nothing = Nothing(many())
    p = procs(many(), "--no-metrics", env=dict(os.environ, LD_PRELOAD=str(shim), EBPFCTL_TEST_RAISE=str(int(sig))))
    rc, lines, err = p.finish(timeout=20)
    assert rc == 0 and lines == [] and err == "", (rc, err)
    nothing.gone()


@pytest.mark.parametrize("sig", STOPS, ids=sig_id)
def test_signal_while_attaching_many_programs(procs, sig):
    """Attaching goes on to the end, then everything is detached; status 0."""
    nothing = Nothing(many())
    p = mid_attach(procs, lambda p: p.p.send_signal(sig))
    assert_clean_stop(p, nothing)


@pytest.mark.parametrize("sig", STOPS, ids=sig_id)
def test_signal_while_streaming_flushes_every_line(procs, sig):
    nothing = Nothing(many())
    calls = Calls()
    p = start_many(procs)
    wait_all_attached(p)    # from now on every call prints a line
    p.line(lambda o: o["map"] == "lc_events", trigger=calls)
    for _ in range(5):      # just before the signal: still in the ring buffer
        calls()
    lines = assert_clean_stop(p, nothing, sig)
    # one line per call, the last five included: detach, then drain
    assert len(lines) == calls.n, (calls.n, lines[-3:])
    assert all(json.loads(l)["event"] == {"pid": ME, "prog": 0} for l in lines), lines[:3]


@pytest.mark.parametrize("sig", STOPS, ids=sig_id)
def test_signal_while_a_write_is_blocked_on_a_reader_that_stopped_reading(procs, sig):
    """stdout is a full pipe nobody reads: the signal still ends the run
    (the blocked write is abandoned), status 0, everything detached."""
    nothing = Nothing(many())
    p = start_many(procs)
    wait_all_attached(p)

    def blocked():
        for _ in range(200):    # ~90-byte lines: a few thousand fill the 64 KiB pipe
            os.getppid()
        with open(f"/proc/{p.pid}/wchan") as f:
            return f.read().endswith("pipe_write")     # anon_pipe_write on 6.18
    wait_until(blocked, timeout=20, what="ebpfctl blocked writing stdout")
    p.p.send_signal(sig)
    rc, _, err = p.finish(timeout=20)
    assert rc == 0 and err == "", (rc, err)
    nothing.gone()


def big_run(procs, port, *objs):
    p = procs(*objs, "--metrics-addr", f"127.0.0.1:{port}", "--set", f"target_tgid={ME}")

    def filled():
        assert p.p.poll() is None, p.finish()
        os.getppid()        # m_big fills its 100k entries on the first one
        try:
            body = http_body(port, "/metrics")
        except OSError:
            return False
        m = re.search(r'^ebpfctl_map_entries\{[^}]*map="big"[^}]*\} (\d+)$', body, re.M)
        return m and int(m.group(1)) == 100000
    wait_until(filled, timeout=30, interval=0.1, what="m_big's 100000 entries")
    return p


def http_body(port, path):
    with socket.create_connection(("127.0.0.1", port), timeout=deadline(10)) as s:
        s.sendall(f"GET {path} HTTP/1.0\r\n\r\n".encode())
        data = b""
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            data += d
    return data.decode("utf-8", "replace")


def scrape_in_flight(proc, port):
    """Send GET /metrics on a new connection and return it once the server
    thread is rendering it (on CPU for a while: a 100k-entry scrape takes
    tens of milliseconds at least)."""
    tid = next(t for t in os.listdir(f"/proc/{proc.pid}/task")
               if open(f"/proc/{proc.pid}/task/{t}/comm").read().strip().startswith("MHD"))

    def cpu_ns():
        with open(f"/proc/{proc.pid}/task/{tid}/schedstat") as f:
            return int(f.read().split()[0])
    before = cpu_ns()
    s = socket.create_connection(("127.0.0.1", port), timeout=deadline(10))
    s.sendall(b"GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    wait_until(lambda: cpu_ns() - before > 2_000_000, timeout=10, interval=0.0002,
               what="the scrape to be rendered")
    return s


def read_all(s):
    data = b""
    try:
        while True:
            d = s.recv(1 << 20)
            if not d:
                break
            data += d
    except ConnectionResetError:
        pass
    finally:
        s.close()
    return data


@pytest.mark.parametrize("sig", STOPS, ids=sig_id)
def test_signal_during_a_big_scrape(procs, sig):
    """The scrape being rendered finishes or is cut; the run exits 0 either way."""
    nothing = Nothing(fixture("m_big"))
    port = free_port()
    p = big_run(procs, port, fixture("m_big"))
    s = scrape_in_flight(p, port)
    p.p.send_signal(sig)
    assert_clean_stop(p, nothing)
    got = read_all(s)
    assert got == b"" or got.startswith(b"HTTP/1.1 200"), got[:200]


# --- SIGPIPE ----------------------------------------------------------------------


@pytest.mark.parametrize("phase", ["exec", "before_load", "attach", "streaming", "scrape"])
def test_reader_closes_stdout(procs, phase):
    """The reader of stdout goes away: the next line written ends the run, quietly, status 0."""
    objs = [many()] + ([fixture("m_big")] if phase == "scrape" else [])
    nothing = Nothing(*objs)
    if phase == "scrape":
        port = free_port()
        p = big_run(procs, port, *objs)
        s = scrape_in_flight(p, port)
    elif phase == "attach":
        p = mid_attach(procs, Proc.close_stdout)
    else:
        p = start_many(procs)
        if phase == "before_load":
            wait_until(lambda: catches(p.pid, signal.SIGTERM), timeout=10, interval=0.0002,
                       what="the signal handlers")
        elif phase == "streaming":
            p.line(lambda o: o["map"] == "lc_events")
    if p.p.stdout:
        p.close_stdout()
    assert_clean_stop(p, nothing, trigger=getppid)
    if phase == "scrape":
        got = read_all(s)
        assert got == b"" or got.startswith(b"HTTP/1.1 200"), got[:200]


def test_sigpipe_signal_is_ignored(procs):
    """kill -PIPE is not a stop: the run stays attached and keeps streaming
    (calls made after the signal still print), then SIGTERM ends it."""
    nothing = Nothing(many())
    calls = Calls()
    p = start_many(procs)
    wait_all_attached(p)
    p.line(lambda o: o["map"] == "lc_events", trigger=calls)
    p.p.send_signal(signal.SIGPIPE)
    for _ in range(3):
        calls()
    p.until_lines(calls.n)
    # a stopped run would have detached: these could not print
    for _ in range(3):
        calls()
    p.until_lines(calls.n)
    lines = assert_clean_stop(p, nothing, signal.SIGTERM)
    assert len(lines) == calls.n


def test_scrape_client_gone_mid_response(procs):
    """A /metrics client that resets its connection mid-scrape (EPIPE/SIGPIPE
    in the server thread) does not end the run."""
    nothing = Nothing(fixture("m_big"))
    port = free_port()
    p = big_run(procs, port, fixture("m_big"))
    s = scrape_in_flight(p, port)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\0\0\0\0\0\0\0")   # close = RST
    s.close()
    body = http_body(port, "/metrics")
    assert body.startswith("HTTP/1.1 200 OK\r\n") and "\nebpf_solo_io_big_total{" in body, body[:200]
    assert p.p.poll() is None
    assert_clean_stop(p, nothing, signal.SIGTERM)


# --- tc filters (clsact, forced on tcx kernels) -------------------------------------


def tc_egress_bytes():
    path = os.path.join(BUILD, "examples", "tc_egress_bytes.bpf.o")
    assert os.path.exists(path), f"{path} not built (run make)"
    return path


def our_filters(ns_pair, prog_ids):
    """clsact egress filters on veth-a whose program is one of prog_ids."""
    found = []
    for line in ns_pair.tc_filters(ns_pair.a, ns_pair.ifa, "egress"):
        m = re.search(r"\bid (\d+)\b", line)
        if m and int(m.group(1)) in prog_ids:
            found.append(int(m.group(1)))
    return found


def start_tc(ns_pair, monkeypatch, names):
    """tc_egress_bytes on veth-a as a clsact filter; returns (run, its prog id)."""
    monkeypatch.setenv("EBPFCTL_TC_ATTACH", "clsact")
    before = {i for i, n in bpf_progs().items() if n in names}
    run = ns_pair.run(ns_pair.a, "--iface", ns_pair.ifa, tc_egress_bytes())

    def attached():
        assert run.proc.poll() is None, run.finish()
        ids = {i for i, n in bpf_progs().items() if n in names} - before
        return ids and our_filters(ns_pair, ids) and ids
    ids = wait_until(attached, timeout=20, interval=0.05, what="the clsact filter")
    return run, ids


@pytest.mark.parametrize("sig", STOPS, ids=sig_id)
def test_signal_removes_the_clsact_filter(netns, monkeypatch, sig):
    """A clsact filter is not tied to the process: only ebpfctl's own cleanup
    removes it, so every stop signal must run it (SIGHUP included)."""
    nothing = Nothing(tc_egress_bytes())
    qdisc_before = netns.qdiscs(netns.a, netns.ifa)
    run, _ = start_tc(netns, monkeypatch, nothing.names)
    rc, err = run.stop(sig)
    assert rc == 0 and err == "", (rc, err)
    assert netns.tc_filters(netns.a, netns.ifa, "egress") == []
    assert netns.qdiscs(netns.a, netns.ifa) == qdisc_before
    nothing.gone()


def test_sigkill_leaves_the_clsact_filter_and_the_next_run_replaces_it(netns, monkeypatch):
    nothing = Nothing(tc_egress_bytes())
    qdisc_before = netns.qdiscs(netns.a, netns.ifa)
    run1, ids1 = start_tc(netns, monkeypatch, nothing.names)
    run1.proc.send_signal(signal.SIGKILL)
    run1.finish()
    # the kernel keeps the filter, and the program with it
    assert our_filters(netns, ids1) == list(ids1)
    assert ids1 <= nothing.loaded()
    run2, ids2 = start_tc(netns, monkeypatch, nothing.names)
    assert ids2.isdisjoint(ids1)
    # replaced, not stacked: one filter of ours, run2's
    ours = our_filters(netns, ids1 | ids2)
    assert ours == list(ids2), ours
    rc, err = run2.stop(signal.SIGTERM)
    assert rc == 0 and err == "", err
    assert netns.tc_filters(netns.a, netns.ifa, "egress") == []
    # the clsact qdisc the killed run made goes too
    assert netns.qdiscs(netns.a, netns.ifa) == qdisc_before
    nothing.gone()


# --- SIGKILL: what the kernel cleans, and what the next run finds --------------------


def test_sigkill_while_attaching_then_a_new_run(procs):
    """Links, programs and maps go with the killed process; the next run
    attaches all 64 again."""
    nothing = Nothing(many())
    p = mid_attach(procs, lambda p: p.p.send_signal(signal.SIGKILL))
    rc, _, _ = p.finish()
    assert rc == -signal.SIGKILL
    nothing.gone("the killed run's programs are still loaded")
    p2 = start_many(procs)
    wait_all_attached(p2)
    p2.line(lambda o: o["map"] == "lc_events")
    assert_clean_stop(p2, nothing, signal.SIGTERM)


def test_sigkill_during_a_scrape_frees_the_port(procs):
    nothing = Nothing(fixture("m_big"))
    port = free_port()
    p = big_run(procs, port, fixture("m_big"))
    s = scrape_in_flight(p, port)
    p.p.send_signal(signal.SIGKILL)
    assert p.finish()[0] == -signal.SIGKILL
    read_all(s)
    nothing.gone()
    p2 = big_run(procs, port, fixture("m_big"))      # binds the same port at once
    assert_clean_stop(p2, nothing, signal.SIGTERM)


class MountNs:
    """A private mount namespace, held by a sleeping process; commands run in
    it through nsenter (which execs them: a command's PID is its own)."""

    def __init__(self):
        if subprocess.run(["unshare", "-m", "true"]).returncode != 0:
            pytest.skip("cannot create a mount namespace here")
        self.holder = subprocess.Popen(["unshare", "-m", "--propagation", "private", "sleep", "600"])
        # exec'd sleep: the namespace exists and / is private in it
        wait_until(lambda: open(f"/proc/{self.holder.pid}/comm").read().strip() == "sleep",
                   what="the mount namespace")

    def cmd(self):
        return ["nsenter", "-t", str(self.holder.pid), "-m", "--"]

    def sh(self, script, check=True):
        p = subprocess.run(self.cmd() + ["bash", "-c", script], capture_output=True, text=True,
                           timeout=deadline(30))
        if check and p.returncode != 0:
            raise AssertionError(f"{script!r} failed ({p.returncode}): {p.stdout}{p.stderr}")
        return p

    def close(self):
        self.holder.kill()
        self.holder.wait()


@pytest.fixture
def mountns():
    ns = MountNs()
    yield ns
    ns.close()


PIN = "/sys/fs/bpf/ebpfctl_test_pin"


def test_sigkill_keeps_a_pinned_map_and_the_next_run_reuses_it(procs, mountns):
    """tests/bpf/ev_pinned pins its map (LIBBPF_PIN_BY_NAME): the pin survives
    a SIGKILL (documented: ebpfctl never removes the probe's own pins) and the
    next run reuses that very map, counting on; the test removes the pin.  In
    a private mount namespace with its own bpffs: the host's is not touched."""
    obj = fixture("ev_pinned")
    nothing = Nothing(obj)
    mountns.sh("mount -t bpf bpf /sys/fs/bpf")
    assert mountns.sh(f"test -e {PIN}", check=False).returncode != 0

    def pinned():
        p = mountns.sh(f"bpftool -j map show pinned {PIN} && bpftool -j map lookup pinned {PIN} key 0 0 0 0",
                       check=False)
        if p.returncode != 0:
            return None
        dec = json.JSONDecoder()
        info, end = dec.raw_decode(p.stdout)
        value = dec.raw_decode(p.stdout[end:].lstrip())[0]
        return info["id"], int(value["formatted"]["value"])

    run1 = procs(obj, "--no-metrics", "--set", f"target_tgid={ME}", cmd=mountns.cmd())
    # the probe counts this process's syscalls
    id1, _ = wait_until(lambda: (lambda v: v if v and v[1] > 0 else None)(pinned()), timeout=20,
                        what="the pinned map counting")
    run1.p.send_signal(signal.SIGKILL)
    assert run1.finish()[0] == -signal.SIGKILL
    nothing.gone("the killed run's program is still loaded")
    # the pin keeps the map, and its count, alive
    id_kept, count = pinned()
    assert id_kept == id1

    run2 = procs(obj, "--no-metrics", "--set", f"target_tgid={ME}", cmd=mountns.cmd())
    wait_until(lambda: pinned()[1] > count, timeout=20, what="the second run counting on")
    assert pinned()[0] == id1, "the second run made a new map instead of reusing the pin"
    assert_clean_stop(run2, nothing, signal.SIGTERM)
    assert pinned()[0] == id1       # still pinned after a clean exit too
    mountns.sh(f"rm {PIN}")
    assert pinned() is None


def tracefs_mounts(ns):
    out = ns.sh("cat /proc/self/mountinfo").stdout
    return [l for l in out.splitlines() if " - tracefs " in l]


def test_sigkill_leaves_the_tracefs_mount_and_the_next_run_uses_it(procs, mountns):
    """In a namespace without tracefs ebpfctl mounts it for a tracepoint probe
    and unmounts it at exit; a SIGKILL leaves the mount (the kernel undoes no
    mount), and the next run uses it without mounting a second one."""
    p = mountns.sh("for d in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do "
                   "while grep -q \" $d \" /proc/self/mountinfo; do umount \"$d\" || exit 3; done; done",
                   check=False)
    if p.returncode == 3:
        pytest.skip("tracefs cannot be unmounted in a private namespace here")
    assert tracefs_mounts(mountns) == []
    nothing = Nothing(many())
    run1 = procs(many(), "--no-metrics", "--set", f"target_tgid={ME}", cmd=mountns.cmd())
    run1.line(lambda o: o["map"] == "lc_events")
    assert len(tracefs_mounts(mountns)) == 1
    run1.p.send_signal(signal.SIGKILL)
    assert run1.finish()[0] == -signal.SIGKILL
    nothing.gone()
    assert len(tracefs_mounts(mountns)) == 1, "the kernel does not undo the mount"

    run2 = procs(many(), "--no-metrics", "--set", f"target_tgid={ME}", "-v", cmd=mountns.cmd())
    run2.line(lambda o: o["map"] == "lc_events")
    rc, _, err = run2.stop(signal.SIGTERM)
    assert rc == 0, err
    assert "mounted tracefs" not in err, err
    assert len(tracefs_mounts(mountns)) == 1, "not stacked, and not removed by a run that did not make it"
    nothing.gone()
