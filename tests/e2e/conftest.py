"""Shared helpers for the end-to-end suite: run build/ebpfctl against the real kernel.

Deadlines scale with EBPFCTL_TEST_SLOWDOWN (the second-kernel guest sets ~20),
and every wait is on a condition (line seen, port open, process gone), never a
fixed sleep.  Processes are killed only by the PID the test started.
"""
import json
import os
import select
import signal
import socket
import subprocess
import time

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
EBPFCTL = os.path.join(BUILD, "ebpfctl")
FIXTURES = os.path.join(BUILD, "tests", "bpf")
SLOWDOWN = float(os.environ.get("EBPFCTL_TEST_SLOWDOWN", "1"))


def deadline(seconds):
    """Seconds scaled by the environment's slowdown factor."""
    return seconds * SLOWDOWN


def fixture(name):
    path = os.path.join(FIXTURES, name + ".bpf.o")
    assert os.path.exists(path), f"fixture {path} not built (run make)"
    return path


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bpf_progs():
    """{id: name} of every loaded BPF program."""
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    if out.returncode != 0:
        return {}
    return {p["id"]: p.get("name", "") for p in json.loads(out.stdout or "[]")}


def bpf_prog_ids():
    """IDs of loaded BPF programs that ebpfctl could have loaded.

    Programs of other processes on the machine (another test run, a system
    service) must not make a test fail, so only programs whose name is a
    program of one of our fixture or example objects count.
    """
    names = our_prog_names()
    return {i for i, n in bpf_progs().items() if n in names}


_names = None


def our_prog_names():
    """Kernel names (15 chars) of every program in the built fixtures and examples."""
    global _names
    if _names is None:
        _names = set()
        for d in (FIXTURES, os.path.join(BUILD, "examples")):
            if not os.path.isdir(d):
                continue
            for f in os.listdir(d):
                if not f.endswith(".o"):
                    continue
                out = subprocess.run(["llvm-objdump", "-t", os.path.join(d, f)],
                                     capture_output=True, text=True).stdout
                for line in out.splitlines():
                    parts = line.split()
                    # "<addr> g  F <section> <size> <name>": programs live outside .text
                    if len(parts) >= 6 and "F" in parts[1:3] and parts[-3] != ".text":
                        _names.add(parts[-1][:15])
    return _names


class Run:
    """A running `ebpfctl run`, with line-by-line access to stdout."""

    def __init__(self, args, env=None, metrics=False, sub="run"):
        cmd = [EBPFCTL, sub] + list(args)
        if not metrics and "--no-metrics" not in args and "--metrics-addr" not in " ".join(args):
            cmd.append("--no-metrics")
        self.cmd = cmd
        self.proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     env=env, start_new_session=True)
        self._buf = b""
        self.lines = []
        self.stderr = ""

    def _fill(self, timeout):
        r, _, _ = select.select([self.proc.stdout], [], [], max(0.0, timeout))
        if not r:
            return False
        chunk = os.read(self.proc.stdout.fileno(), 65536)
        if not chunk:
            return None
        self._buf += chunk
        while b"\n" in self._buf:
            line, self._buf = self._buf.split(b"\n", 1)
            self.lines.append(line.decode("utf-8"))
        return True

    def wait_line(self, pred, timeout=10, trigger=None):
        """Return the first stdout JSON line (parsed) for which pred(obj) holds.

        trigger() is called repeatedly while waiting (e.g. to cause the event).
        """
        end = time.monotonic() + deadline(timeout)
        seen = 0
        while True:
            while seen < len(self.lines):
                obj = json.loads(self.lines[seen])
                seen += 1
                if pred(obj):
                    return obj
            if time.monotonic() > end:
                raise AssertionError(f"no matching line within {timeout}s; got {self.lines[-5:]}; "
                                     f"stderr={self.read_stderr_now()}")
            if self.proc.poll() is not None and self._fill(0) is None:
                raise AssertionError(f"ebpfctl exited {self.proc.returncode}: {self.finish()[1]}")
            if trigger:
                trigger()
            self._fill(0.05)

    def read_stderr_now(self):
        return "(running)" if self.proc.poll() is None else self.proc.stderr.read().decode()

    def stop(self, sig=signal.SIGINT, timeout=10):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        return self.finish(timeout)

    def finish(self, timeout=10):
        try:
            out, err = self.proc.communicate(timeout=deadline(timeout))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            out, err = self.proc.communicate()
            raise AssertionError("ebpfctl did not exit in time")
        self._buf += out
        for line in self._buf.split(b"\n"):
            if line:
                self.lines.append(line.decode("utf-8"))
        self._buf = b""
        self.stderr += err.decode("utf-8", "replace")
        return self.proc.returncode, self.stderr

    def kill(self):
        """SIGTERM first, so even a failed test's run detaches and unmounts what it
        mounted; SIGKILL if it does not end in time."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.communicate(timeout=deadline(5))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.communicate()


@pytest.fixture
def run_ebpfctl():
    """Start ebpfctl runs; every one still running at teardown is killed by PID."""
    runs = []

    def start(*args, **kw):
        r = Run(args, **kw)
        runs.append(r)
        return r

    yield start
    for r in runs:
        r.kill()


def wait_until(cond, timeout=10, interval=0.02, what="condition"):
    end = time.monotonic() + deadline(timeout)
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(interval)
    raise AssertionError(f"timed out waiting for {what}")


def run_cli(*args, timeout=60, **kw):
    """Run ebpfctl to completion and return CompletedProcess (text)."""
    return subprocess.run([EBPFCTL] + list(args), capture_output=True, text=True,
                          timeout=deadline(timeout), **kw)


def _tracefs_mounted():
    with open("/proc/self/mounts") as f:
        return any(line.split()[1] in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing") and
                   line.split()[2] == "tracefs" for line in f)


@pytest.fixture(scope="session", autouse=True)
def leave_tracefs_as_found():
    """ebpfctl mounts tracefs when none is mounted and unmounts it at exit; a run the suite
    SIGKILLs on purpose (test_lifecycle.py) leaves its mount, as documented.  The suite puts
    the machine back as it found it."""
    before = _tracefs_mounted()
    yield
    if not before and _tracefs_mounted():
        for where in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing"):
            subprocess.run(["umount", where], capture_output=True)
