"""`ebpfctl init`: flags, prompts through a pseudo-terminal, overwrite rules,
and every generatable combination built, loaded and producing output."""
import os
import pty
import select
import socket
import subprocess
import time

import pytest

from authoring_util import (LeftBehind, bpf_obj_of, ebpfctl_build, reap, samples,
                            tcp_roundtrip, wait_sample)
from conftest import EBPFCTL, deadline, free_port, run_cli

PROGS = ["network", "file", "process", "syscall"]
MAPS = ["ringbuf", "hash"]
OUTS = ["print", "counter", "gauge", "hist"]
UNSUPPORTED = {(p, "ringbuf", "gauge") for p in PROGS} | {("file", "hash", "gauge")} | \
    {("syscall", "ringbuf", o) for o in ("print", "counter", "hist")}
SUPPORTED = [(p, m, o) for p in PROGS for m in MAPS for o in OUTS if (p, m, o) not in UNSUPPORTED]
NS = "ebpf_solo_io_"


def init(*args, cwd=None, **kw):
    return run_cli("init", *args, cwd=cwd, **kw)


# ---- the combinations -------------------------------------------------------

def test_supported_set():
    assert len(SUPPORTED) == 24


@pytest.mark.parametrize("prog,mapt,out", sorted(UNSUPPORTED))
def test_unsupported_combination_is_a_usage_error(tmp_path, prog, mapt, out):
    r = init("--program-type", prog, "--map-type", mapt, "--output-type", out, cwd=tmp_path)
    assert r.returncode == 64
    assert r.stderr.startswith(f"error: init: cannot generate {prog} {mapt} with {out} output: ")
    assert len(r.stderr.splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def _spawn_every(mine, procs, argv, every=0.5):
    """A trigger that starts argv at most every `every` seconds; mine maps
    pid -> Popen for the predicate."""
    last = [0.0]

    def trigger():
        if time.monotonic() - last[0] >= every and len(mine) < 20:
            p = subprocess.Popen(argv)
            procs.append(p)
            mine[p.pid] = p
            last[0] = time.monotonic()
    return trigger


def _cat(path):
    def trigger():
        subprocess.run(["cat", str(path)], stdout=subprocess.DEVNULL)
    return trigger


def _tcp(held=None, every=0.3):
    """A trigger making a v4 and a v6 connection at most every `every` s;
    with held, the sockets stay open (collected in held)."""
    last = [0.0]

    def trigger():
        if time.monotonic() - last[0] < every:
            return
        last[0] = time.monotonic()
        for fam in (socket.AF_INET, socket.AF_INET6):
            port, socks = tcp_roundtrip(fam, hold=held is not None)
            if held is not None:
                held.extend(socks)
    return trigger


def check(prog, mapt, out, run, port, tmp):
    """Cause the probe's events and wait for its output."""
    procs, held = [], []
    target = tmp / "opened-by-the-test"
    target.write_text("x\n")
    try:
        if out == "print":
            _check_print(prog, mapt, run, procs, held, target)
        else:
            _check_metric(prog, mapt, out, run, port, procs, held, target)
    finally:
        reap(procs)
        for s in held:
            s.close()


def _check_print(prog, mapt, run, procs, held, target):
    if (prog, mapt) == ("process", "ringbuf"):
        run.wait_line(lambda o: o["map"] == "events" and o["event"]["kind"] == "EXEC"
                      and o["event"]["filename"] == "/usr/bin/true" and o["event"]["comm"] == "true",
                      trigger=lambda: subprocess.run(["/usr/bin/true"]))
        e = run.wait_line(lambda o: o["map"] == "events" and o["event"]["kind"] == "EXIT"
                          and o["event"]["comm"] == "sh" and o["event"]["exit_code"] == 7,
                          trigger=lambda: subprocess.run(["sh", "-c", "exit 7"]))
        assert e["event"]["signal"] == 0 and e["event"]["lifetime"].endswith("s")
    elif (prog, mapt) == ("process", "hash"):
        # per command name: even a process that lives a millisecond is seen
        line = run.wait_line(lambda o: o["map"] == "programs" and o["key"] == {"comm": "true"}
                             and o["value"]["exits"] >= 1,
                             trigger=lambda: subprocess.run(["/usr/bin/true"]))
        v = line["value"]
        assert v["execs"] >= 1 and v["filename"] == "/usr/bin/true" and v["last_started"].endswith("Z"), v
        run.wait_line(lambda o: o["map"] == "programs" and o["key"] == {"comm": "sh"}
                      and o["value"]["last_exit_code"] == 7,
                      trigger=lambda: subprocess.run(["sh", "-c", "exit 7"]))
    elif (prog, mapt) == ("file", "ringbuf"):
        run.wait_line(lambda o: o["map"] == "events" and o["event"]["filename"] == str(target)
                      and o["event"]["comm"] == "cat", trigger=_cat(target))
    elif (prog, mapt) == ("file", "hash"):
        run.wait_line(lambda o: o["map"] == "opens_by_comm" and o["key"] == {"comm": "cat"}
                      and o["value"]["opens"] >= 1 and o["value"]["last_file"], trigger=_cat(target))
    elif (prog, mapt) == ("syscall", "hash"):
        line = run.wait_line(lambda o: o["map"] == "syscalls" and "syscall_nr" in o["key"])
        assert isinstance(line["value"], int) and line["value"] >= 1
    elif (prog, mapt) == ("network", "ringbuf"):
        seen = {}

        def want(o):
            e = o["event"]
            if o["map"] == "events" and e["newstate"] == "ESTABLISHED" and e["oldstate"] == "SYN_SENT":
                if e["family"] == "AF_INET" and e["daddr_v4"] == "127.0.0.1":
                    seen["v4"] = e
                if e["family"] == "AF_INET6" and e["daddr_v6"] == "::1":
                    seen["v6"] = e
            return len(seen) == 2
        run.wait_line(want, trigger=_tcp())
        assert seen["v4"]["dport"] > 0 and seen["v6"]["saddr_v6"] == "::1"
    elif (prog, mapt) == ("network", "hash"):
        conns = {}

        def connect():
            if not conns or time.monotonic() - max(c[0] for c in conns.values()) > 0.5:
                port, socks = tcp_roundtrip(socket.AF_INET6, hold=True)
                held.extend(socks)
                conns[port] = (time.monotonic(), socks)
        line = run.wait_line(lambda o: o["map"] == "connections" and o["key"]["dport"] in conns
                             and o.get("value", {}).get("state") == "ESTABLISHED", trigger=connect)
        assert line["key"]["family"] == "AF_INET6" and line["key"]["daddr_v6"] == "::1"
        for s in conns[line["key"]["dport"]][1]:
            s.close()
        run.wait_line(lambda o: o["map"] == "connections" and o.get("removed") is True
                      and o["key"] == line["key"])
    else:
        raise AssertionError(f"no check for {prog} {mapt} print")


def _no_unbounded_labels(labels):
    bad = {"pid", "tid", "__pid", "sport", "dport", "time", "ts", "timestamp"} & set(labels)
    assert not bad, f"counter scaffold exports unbounded labels {bad}"


def _check_metric(prog, mapt, out, run, port, procs, held, target):
    w = lambda name, pred=lambda l, v: v >= 1, trigger=None: wait_sample(  # noqa: E731
        port, NS + name, pred, trigger=trigger, run=run)
    if prog == "process":
        if out == "counter":
            labels, _ = w("process_events_total", lambda l, v: l.get("comm") == "true"
                          and l.get("kind") == "EXEC" and v >= 1,
                          trigger=lambda: subprocess.run(["/usr/bin/true"]))
            assert set(labels) == {"kind", "comm"}
        elif out == "gauge":
            w("live_processes", lambda l, v: l == {"comm": "sleep"} and v >= 1, trigger=_spawn_every({}, procs, ["sleep", "60"]))
            reap(procs)
            w("live_processes", lambda l, v: l == {"comm": "sleep"} and v == 0)
        else:
            name = "process_lifetime_seconds_count"
            w(name, lambda l, v: l.get("comm") == "true" and v >= 1,
              trigger=lambda: subprocess.run(["/usr/bin/true"]))
    elif prog == "file":
        if out == "counter":
            labels, _ = w("file_opens_total", lambda l, v: l.get("comm") == "cat" and v >= 1,
                          trigger=_cat(target))
            assert set(labels) == {"comm"}
        else:
            name = "openat_latency_seconds_count"
            w(name, lambda l, v: l.get("comm") == "cat" and v >= 1, trigger=_cat(target))
    elif prog == "syscall":
        if out == "counter":
            labels, _ = w("syscalls_total")
            assert set(labels) == {"syscall_nr"}
        elif out == "gauge":
            w("syscalls_in_flight", lambda l, v: v >= 1, trigger=_spawn_every({}, procs, ["sleep", "60"]))
        else:
            w("syscall_latency_seconds_count")
            w("syscall_latency_seconds_bucket", lambda l, v: l.get("le") == "+Inf" and v >= 1)
    else:
        if out == "counter":
            for fam in ("AF_INET", "AF_INET6"):
                labels, _ = w("tcp_state_changes_total",
                              lambda l, v: l == {"family": fam, "oldstate": "SYN_SENT",
                                                 "newstate": "ESTABLISHED"} and v >= 1,
                              trigger=_tcp())
        elif out == "gauge":
            for fam in ("AF_INET", "AF_INET6"):
                w("tcp_sockets", lambda l, v: l == {"family": fam, "state": "ESTABLISHED"} and v >= 1,
                  trigger=_tcp(held))
        else:
            name = "tcp_lifetime_seconds_count"
            for fam in ("AF_INET", "AF_INET6"):
                w(name, lambda l, v: l == {"family": fam} and v >= 1, trigger=_tcp())
    if out == "counter":
        body_labels = [l for l, _ in samples(port, NS + {
            "process": "process_events_total", "file": "file_opens_total",
            "syscall": "syscalls_total", "network": "tcp_state_changes_total"}[prog])]
        for labels in body_labels:
            _no_unbounded_labels(labels)


@pytest.mark.parametrize("prog,mapt,out", SUPPORTED)
def test_combination_builds_loads_and_produces_output(tmp_path, run_ebpfctl, prog, mapt, out):
    src = tmp_path / f"{prog}_{mapt}_{out}.bpf.c"
    r = init("--program-type", prog, "--map-type", mapt, "--output-type", out, "--file", str(src))
    assert r.returncode == 0, r.stderr
    text = src.read_text()
    assert f"ebpfctl init --program-type {prog} --map-type {mapt} --output-type {out}" in text
    assert f'SEC(".maps.{out}")' in text
    ebpfctl_build(src)
    obj = bpf_obj_of(src)
    left = LeftBehind(obj)
    port = free_port()
    run = run_ebpfctl("--metrics-addr", f"127.0.0.1:{port}", "--interval", "200ms", obj, metrics=True)
    check(prog, mapt, out, run, port, tmp_path)
    assert left.snapshot(), "no program of the probe was seen loaded"
    rc, err = run.stop()
    assert rc == 0, err
    assert [l for l in err.splitlines() if not l.startswith("warning:")] == [], err
    assert "warning:" not in err, f"a scaffold should run without warnings: {err}"
    left.assert_gone()


def test_counter_scaffolds_hide_pid_like_fields():
    """Static check: every counter scaffold's pid/port fields start with __."""
    for prog, mapt, out in SUPPORTED:
        if out != "counter":
            continue
        text = subprocess.run([EBPFCTL, "init", "-p", prog, "-m", mapt, "-o", out, "--file", "-"],
                              capture_output=True, text=True).stdout
        for line in text.splitlines():
            s = line.strip()
            for field in ("pid;", "tid;", "sport;", "dport;", "ts;", "start_ns;"):
                if (s.endswith(" " + field) and "=" not in s and "(" not in s
                        and not s.split()[-1].startswith("__")):
                    raise AssertionError(f"{prog}/{mapt}/{out}: label field {s!r}")


# ---- flags, defaults, files --------------------------------------------------

def test_defaults_without_a_terminal(tmp_path):
    r = init(cwd=tmp_path, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert r.stdout.startswith("wrote probe.bpf.c (process, ringbuf, print)\n")
    assert "ebpfctl build probe.bpf.c" in r.stdout and "ebpfctl run probe.bpf.o" in r.stdout
    text = (tmp_path / "probe.bpf.c").read_text()
    assert "--program-type process --map-type ringbuf --output-type print" in text


def test_defaults_adapt_to_the_other_choices(tmp_path):
    r = init("--program-type", "syscall", "--file", str(tmp_path / "s.bpf.c"), stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "(syscall, hash, print)" in r.stdout
    r = init("--output-type", "gauge", "--file", str(tmp_path / "g.bpf.c"), stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "(process, hash, gauge)" in r.stdout


def test_refuses_to_overwrite_without_force(tmp_path):
    f = tmp_path / "probe.bpf.c"
    f.write_text("my own work\n")
    r = init("--file", str(f), stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert r.stderr.splitlines() == [
        f"error: {f}: file exists",
        "hint: pass --force to overwrite it, or --file to write another file"]
    assert f.read_text() == "my own work\n"
    r = init("--file", str(f), "--force", "-p", "file", stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stderr
    assert "sys_enter_openat" in f.read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["probe.bpf.c"]


def test_file_dash_writes_to_stdout(tmp_path):
    r = init("-p", "network", "-m", "hash", "-o", "gauge", "--file", "-", cwd=tmp_path)
    assert r.returncode == 0 and r.stderr == ""
    assert r.stdout.startswith("// SPDX-License-Identifier: GPL-2.0\n")
    assert 'SEC(".maps.gauge")' in r.stdout
    assert list(tmp_path.iterdir()) == []


def test_unwritable_destination(tmp_path):
    r = init("--file", str(tmp_path / "no" / "such" / "dir.bpf.c"), stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    assert r.stderr == f"error: {tmp_path}/no/such/dir.bpf.c: No such file or directory\n"


def test_usage_errors(tmp_path):
    cases = [
        (("--program-type", "disk"), "error: init: unknown program type 'disk': valid types are "
                                     "network, file, process, syscall"),
        (("--map-type", "array"), "error: init: unknown map type 'array': valid types are ringbuf, hash"),
        (("--output-type", "log"), "error: init: unknown output type 'log': valid types are "
                                   "print, counter, gauge, hist"),
        (("--bogus",), "error: init: unknown option '--bogus'"),
        (("--file",), "error: init: option '--file' needs a value"),
        (("extra",), "error: init: unexpected argument 'extra'"),
    ]
    for args, first in cases:
        r = init(*args, cwd=tmp_path, stdin=subprocess.DEVNULL)
        assert r.returncode == 64, (args, r.stderr)
        assert r.stderr.splitlines()[0] == first, (args, r.stderr)
    assert list(tmp_path.iterdir()) == []


def test_help_is_complete():
    r = run_cli("init", "--help")
    assert r.returncode == 0 and r.stderr == ""
    for word in ["--program-type", "--map-type", "--output-type", "--file", "--force"] + PROGS + MAPS + OUTS:
        assert word in r.stdout, word
    assert "ringbuf + gauge" in r.stdout and "Exit status" in r.stdout


# ---- prompts through a pseudo-terminal ---------------------------------------

class Pty:
    def __init__(self, args, cwd):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen([EBPFCTL, "init"] + list(args), stdin=slave, stdout=slave,
                                     stderr=slave, cwd=cwd, start_new_session=True)
        os.close(slave)
        self.buf = ""

    def expect(self, text, timeout=10):
        end = time.monotonic() + deadline(timeout)
        while text not in self.buf:
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"never saw {text!r}; screen so far:\n{self.buf}")
            r, _, _ = select.select([self.master], [], [], left)
            if r:
                try:
                    chunk = os.read(self.master, 4096)
                except OSError:
                    chunk = b""
                if not chunk:
                    raise AssertionError(f"init exited before {text!r}; screen:\n{self.buf}")
                self.buf += chunk.decode("utf-8", "replace")
        idx = self.buf.index(text) + len(text)
        seen, self.buf = self.buf[:idx], self.buf[idx:]
        return seen

    def send(self, line):
        os.write(self.master, line.encode() + b"\r")

    def eof(self):
        os.write(self.master, b"\x04")

    def finish(self, timeout=10):
        end = time.monotonic() + deadline(timeout)
        while self.proc.poll() is None and time.monotonic() < end:
            r, _, _ = select.select([self.master], [], [], 0.1)
            if r:
                try:
                    self.buf += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:
                    break
        rc = self.proc.wait(timeout=deadline(timeout))
        try:
            while select.select([self.master], [], [], 0)[0]:
                chunk = os.read(self.master, 4096)
                if not chunk:
                    break
                self.buf += chunk.decode("utf-8", "replace")
        except OSError:
            pass
        os.close(self.master)
        return rc


@pytest.fixture
def ptys():
    started = []

    def start(args, cwd):
        p = Pty(args, cwd)
        started.append(p)
        return p

    yield start
    for p in started:
        if p.proc.poll() is None:
            p.proc.kill()
            p.proc.wait()


def test_prompts_take_defaults_on_enter(tmp_path, ptys):
    t = ptys([], tmp_path)
    screen = t.expect("Program type [process]: ")
    for name in PROGS:
        assert name in screen
    t.send("")
    screen = t.expect("Map type [ringbuf]: ")
    assert "1) ringbuf" in screen and "2) hash" in screen
    t.send("")
    screen = t.expect("Output type [print]: ")
    # a ring buffer cannot be a gauge: the choice is not offered
    assert "gauge" not in screen and "hist" in screen
    t.send("")
    t.expect("File to write [probe.bpf.c]: ")
    t.send("")
    t.expect("wrote probe.bpf.c (process, ringbuf, print)")
    assert t.finish() == 0
    ebpfctl_build(tmp_path / "probe.bpf.c")


def test_prompts_accept_numbers_names_and_reprompt(tmp_path, ptys):
    t = ptys([], tmp_path)
    t.expect("Program type [process]: ")
    t.send("7")
    t.expect("is not one of the choices")
    t.expect("Program type [process]: ")
    t.send("Network")
    t.expect("Map type [ringbuf]: ")
    t.send("2")
    screen = t.expect("Output type [print]: ")
    assert "gauge" in screen
    t.send("gauge")
    t.expect("File to write [probe.bpf.c]: ")
    t.send("conns.bpf.c")
    t.expect("wrote conns.bpf.c (network, hash, gauge)")
    assert t.finish() == 0
    assert 'SEC(".maps.gauge")' in (tmp_path / "conns.bpf.c").read_text()


def test_prompts_only_for_missing_choices(tmp_path, ptys):
    t = ptys(["--program-type", "syscall", "--output-type", "hist"], tmp_path)
    screen = t.expect("Map type [hash]: ")
    assert "Program type" not in screen and "ringbuf" not in screen
    t.send("")
    t.expect("File to write [probe.bpf.c]: ")
    t.send("lat.bpf.c")
    t.expect("wrote lat.bpf.c (syscall, hash, hist)")
    assert t.finish() == 0


def test_no_prompts_when_everything_is_given(tmp_path, ptys):
    t = ptys(["-p", "file", "-m", "hash", "-o", "counter", "--file", "x.bpf.c"], tmp_path)
    screen = t.expect("wrote x.bpf.c (file, hash, counter)")
    assert "[" not in screen.split("wrote")[0]
    assert t.finish() == 0


def test_prompt_end_of_input_is_a_usage_error(tmp_path, ptys):
    t = ptys([], tmp_path)
    t.expect("Program type [process]: ")
    t.eof()
    rc = t.finish()
    assert rc == 64
    assert "error: init: no answer for 'Program type' (end of input)" in t.buf
    assert list(tmp_path.iterdir()) == []


def test_prompted_file_that_exists_is_kept(tmp_path, ptys):
    (tmp_path / "probe.bpf.c").write_text("mine\n")
    t = ptys(["-p", "process", "-m", "ringbuf", "-o", "print"], tmp_path)
    t.expect("File to write [probe.bpf.c]: ")
    t.send("")
    t.expect("error: probe.bpf.c: file exists")
    assert t.finish() == 1
    assert (tmp_path / "probe.bpf.c").read_text() == "mine\n"


def test_existing_file_given_is_refused_before_any_prompt(tmp_path, ptys):
    (tmp_path / "mine.bpf.c").write_text("mine\n")
    t = ptys(["--file", "mine.bpf.c"], tmp_path)
    screen = t.expect("error: mine.bpf.c: file exists")
    assert "Program type" not in screen
    assert t.finish() == 1
    assert (tmp_path / "mine.bpf.c").read_text() == "mine\n"
