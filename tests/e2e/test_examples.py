"""Every example under examples/: built by make (through ebpfctl build), run
against the real kernel, triggered, and its documented output checked."""
import json
import os
import re
import pty
import signal
import socket
import subprocess
import time

import pytest

from authoring_util import LeftBehind, reap, samples, tcp_roundtrip, wait_sample
from conftest import BUILD, ROOT, deadline, free_port

EXAMPLES = sorted(d for d in os.listdir(os.path.join(ROOT, "examples"))
                  if os.path.isfile(os.path.join(ROOT, "examples", d, d + ".bpf.c")))
NS = "ebpf_solo_io_"


def obj(name):
    path = os.path.join(BUILD, "examples", name + ".bpf.o")
    assert os.path.exists(path), f"{path} not built (run make)"
    return path


@pytest.fixture
def example(run_ebpfctl):
    """Start `ebpfctl run` on an example with metrics on a free port; at the
    end, stop it (exit 0 required) and prove its programs are gone."""
    started = []

    def start(name, *extra):
        port = free_port()
        left = LeftBehind(obj(name))
        run = run_ebpfctl("--metrics-addr", f"127.0.0.1:{port}", "--interval", "200ms", *extra,
                          obj(name), metrics=True)
        started.append((run, left))
        return run, port, left

    yield start
    for run, left in started:
        if run.proc.poll() is None:
            rc, err = run.stop()
            assert rc == 0, err
            assert [l for l in err.splitlines() if not l.startswith("warning:")] == [], err
        left.assert_gone()


def every(seconds, fn):
    """A trigger running fn at most every `seconds`."""
    last = [0.0]

    def trigger():
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            fn()
    return trigger


def test_at_least_eight_examples_each_with_readme():
    assert len(EXAMPLES) >= 8, EXAMPLES
    for name in EXAMPLES:
        d = os.path.join(ROOT, "examples", name)
        src = open(os.path.join(d, name + ".bpf.c")).read()
        assert '#include "vmlinux.h"' in src, f"{name}: not CO-RE (no vmlinux.h)"
        assert "#include <linux/" not in src, f"{name}: uses uapi headers"
        readme = open(os.path.join(d, "README.md")).read()
        assert readme.startswith(f"# {name}: "), name
        for part in ("ebpfctl build", "ebpfctl run", "## Metrics", "## How it works"):
            assert part in readme or (part == "## How it works" and "## Notes" in readme), (name, part)
        assert os.path.exists(obj(name))


def test_execsnoop(example):
    run, port, left = example("execsnoop")
    tag = f"ebpfctl-exec-{os.getpid()}"
    e = run.wait_line(lambda o: o["event"]["args"] == f"/bin/echo {tag} two words",
                      trigger=every(0.3, lambda: subprocess.run(["/bin/echo", tag, "two", "words"],
                                                                stdout=subprocess.DEVNULL)))
    assert e["map"] == "events"
    assert e["event"]["comm"] == "echo" and e["event"]["error"] == 0 and e["event"]["argc"] == 4
    assert e["event"]["ppid"] == os.getpid()
    e = run.wait_line(lambda o: o["event"]["args"] == f"/nonexistent/{tag} x",
                      trigger=every(0.3, lambda: subprocess.run(["sh", "-c", f"/nonexistent/{tag} x"],
                                                                stderr=subprocess.DEVNULL)))
    assert e["event"]["error"] == "ENOENT"
    left.snapshot()


def test_execsnoop_failed_only(example):
    run, port, left = example("execsnoop", "--set", "failed_only=true")
    tag = f"ebpfctl-fail-{os.getpid()}"
    run.wait_line(lambda o: o["event"]["args"] == f"/nonexistent/{tag}",
                  trigger=every(0.3, lambda: (subprocess.run(["/bin/true"]),
                                              subprocess.run(["sh", "-c", f"/nonexistent/{tag}"],
                                                             stderr=subprocess.DEVNULL))))
    assert all(l and '"error":0' not in l for l in run.lines), "a successful exec was printed"
    left.snapshot()


def test_exitsnoop(example):
    run, port, left = example("exitsnoop")
    procs = []
    e = run.wait_line(lambda o: o["event"]["comm"] == "sh" and o["event"]["exit_code"] == 42,
                      trigger=every(0.3, lambda: subprocess.run(["sh", "-c", "exit 42"])))
    assert e["event"]["signal"] == 0 and e["event"]["core_dumped"] is False
    assert e["event"]["lifetime"].endswith("s") and e["event"]["started"].endswith("Z")

    def kill_one():
        p = subprocess.Popen(["sleep", "60"])
        procs.append(p)
        p.send_signal(signal.SIGKILL)
        p.wait()
    try:
        e = run.wait_line(lambda o: o["event"]["comm"] == "sleep" and o["event"]["signal"] == "SIGKILL"
                          and o["event"]["pid"] in {p.pid for p in procs}, trigger=every(0.3, kill_one))
    finally:
        reap(procs)
    wait_sample(port, NS + "exits_total", lambda l, v: l == {"exit_code": "42", "signal": "0"} and v >= 1,
                run=run)
    wait_sample(port, NS + "exits_total", lambda l, v: l == {"exit_code": "0", "signal": "SIGKILL"} and v >= 1,
                run=run)
    left.snapshot()


def test_opensnoop(example, tmp_path):
    run, port, left = example("opensnoop", "--set", "target_comm=cat")
    f = tmp_path / "present"
    f.write_text("x")
    e = run.wait_line(lambda o: o["event"]["filename"] == str(f),
                      trigger=every(0.3, lambda: subprocess.run(["cat", str(f)], stdout=subprocess.DEVNULL)))
    assert e["event"]["comm"] == "cat" and e["event"]["fd"] >= 3 and e["event"]["error"] == 0
    missing = tmp_path / "missing"
    e = run.wait_line(lambda o: o["event"]["filename"] == str(missing),
                      trigger=every(0.3, lambda: subprocess.run(["cat", str(missing)],
                                                                stderr=subprocess.DEVNULL)))
    assert e["event"]["fd"] == -1 and e["event"]["error"] == "ENOENT"
    wait_sample(port, NS + "opens_total", lambda l, v: l == {"comm": "cat"} and v >= 2, run=run)
    # target_comm filters in the kernel: only cat shows up
    assert {json.loads(l)["event"]["comm"] for l in run.lines} == {"cat"}
    assert [l for l, _ in samples(port, NS + "opens_total")] == [{"comm": "cat"}]
    left.snapshot()


def test_tcpstates(example):
    run, port, left = example("tcpstates")
    seen = {}

    def want(o):
        e = o["event"]
        if e["oldstate"] == "SYN_SENT" and e["newstate"] == "ESTABLISHED":
            if e["family"] == "AF_INET" and e["daddr_v4"] == "127.0.0.1":
                seen["v4"] = e
            if e["family"] == "AF_INET6" and e["daddr_v6"] == "::1" and e["saddr_v6"] == "::1":
                seen["v6"] = e
        return len(seen) == 2

    run.wait_line(want, trigger=every(0.3, lambda: (tcp_roundtrip(socket.AF_INET),
                                                     tcp_roundtrip(socket.AF_INET6))))
    assert seen["v4"]["in_oldstate"] != "0s" and seen["v4"]["saddr_v6"] == "::"
    assert seen["v6"]["saddr_v4"] == "0.0.0.0" and seen["v6"]["dport"] > 0
    run.wait_line(lambda o: o["event"]["newstate"] == "CLOSE" and o["event"]["family"] == "AF_INET6")
    for fam in ("AF_INET", "AF_INET6"):
        for d in ("OUTBOUND", "INBOUND"):
            wait_sample(port, NS + "tcp_opens_total", lambda l, v: l == {"family": fam, "direction": d}
                        and v >= 1, run=run)
    left.snapshot()


def test_syscount(example):
    run, port, left = example("syscount", "--set", f"target_pid={os.getpid()}")
    # openat of a missing file fails with ENOENT in this very process
    wait_sample(port, NS + "syscall_errors_total", lambda l, v: l.get("error") == "ENOENT" and v >= 1,
                trigger=lambda: _try_open("/nonexistent/x"), run=run)
    labels, _ = wait_sample(port, NS + "syscalls_total", lambda l, v: v >= 10,
                            trigger=lambda: os.getppid(), run=run)
    assert set(labels) == {"syscall_nr"}
    left.snapshot()


def _my_cgroup():
    """This process's cgroup v2 path and its id (the directory's inode)."""
    rel = next(l.strip()[3:] for l in open("/proc/self/cgroup") if l.startswith("0::"))
    root = next(l.split()[1] for l in open("/proc/mounts") if l.split()[2] == "cgroup2")
    return rel, os.stat(os.path.join(root, rel.lstrip("/"))).st_ino


@pytest.mark.parametrize("enrich", [False, True])
def test_pod_syscalls(example, enrich):
    if os.uname().machine != "x86_64":
        pytest.skip("syscall names are x86_64's")
    rel, cgid = _my_cgroup()
    run, port, left = example("pod_syscalls", "--set", f"only_cgroup={cgid}", *(["--enrich"] if enrich else []))
    labels, _ = wait_sample(port, NS + "cgroup_syscalls_total", lambda l, v: l.get("syscall") == "getppid" and v >= 5,
                            trigger=lambda: os.getppid(), run=run)
    assert labels["cgroup"] == rel, labels
    # this process is in no container: with --enrich the four labels are there, empty
    want = {"cgroup", "syscall"} | ({"container_id", "container_name", "pod", "namespace"} if enrich else set())
    assert set(labels) == want, labels
    assert all(labels[k] == "" for k in want - {"cgroup", "syscall"}), labels
    e = run.wait_line(lambda o: o["map"] == "execs" and o["event"]["comm"] == "true",
                      trigger=every(0.3, lambda: subprocess.run(["/bin/true"])))["event"]
    assert e["cgroup"] == rel and e["uid"] == "root" and "container_id" not in e, e
    left.snapshot()


def _try_open(path):
    try:
        open(path).close()
    except OSError:
        pass
    return False


def test_runqlat(example):
    run, port, left = example("runqlat")
    labels, _ = wait_sample(port, NS + "runq_latency_count", lambda l, v: v >= 1,
                            trigger=lambda: subprocess.run(["/bin/true"]), run=run)
    assert set(labels) == {"cpu"}
    buckets = [(l, v) for l, v in samples(port, NS + "runq_latency_bucket") if l["cpu"] == labels["cpu"]]
    assert buckets[-1][0]["le"] == "+Inf"
    assert [v for _, v in buckets] == sorted(v for _, v in buckets), "buckets are not cumulative"
    assert samples(port, NS + "runq_latency_sum")
    left.snapshot()


def test_tcpconns(example):
    run, port, left = example("tcpconns")
    held = []
    try:
        def connect():
            for fam in (socket.AF_INET, socket.AF_INET6):
                held.extend(tcp_roundtrip(fam, hold=True)[1])

        wait_sample(port, NS + "tcp_active_connections",
                    lambda l, v: l == {"family": "AF_INET6", "direction": "OUTBOUND"} and v >= 1,
                    trigger=every(0.5, connect), run=run)
        for d in ("OUTBOUND", "INBOUND"):
            wait_sample(port, NS + "tcp_active_connections",
                        lambda l, v: l == {"family": "AF_INET6", "direction": d} and v >= 1, run=run)
    finally:
        for s in held:
            s.close()
    # every IPv6 connection of this test is closed: the gauge drops to 0
    # (nothing else on the machine talks over ::1)
    wait_sample(port, NS + "tcp_active_connections",
                lambda l, v: l == {"family": "AF_INET6", "direction": "OUTBOUND"} and v == 0, run=run)
    left.snapshot()


def test_bashreadline(example, tmp_path):
    run, port, left = example("bashreadline")
    master, slave = pty.openpty()
    env = {"PATH": "/usr/bin:/bin", "TERM": "dumb", "PS1": "$ ", "HOME": str(tmp_path)}
    bash = subprocess.Popen(["/bin/bash", "--norc", "--noprofile", "-i"], stdin=slave, stdout=slave,
                            stderr=slave, env=env, start_new_session=True)
    os.close(slave)
    tag = f"echo readline-{os.getpid()}"
    try:
        e = run.wait_line(lambda o: o["map"] == "commands" and o["event"]["line"] == tag,
                          trigger=every(0.5, lambda: os.write(master, tag.encode() + b"\n")))
        assert e["event"]["pid"] == bash.pid and e["event"]["uid"] == os.getuid()
    finally:
        reap([bash])
        os.close(master)
    left.snapshot()


def test_sigsnoop(example):
    run, port, left = example("sigsnoop")
    procs = []

    def signal_one():
        p = subprocess.Popen(["sleep", "60"])
        procs.append(p)
        p.send_signal(signal.SIGUSR2)
        p.wait()
    try:
        e = run.wait_line(lambda o: o["event"]["signal"] == "SIGUSR2"
                          and o["event"]["target_pid"] in {p.pid for p in procs},
                          trigger=every(0.3, signal_one))
    finally:
        reap(procs)
    assert e["event"]["sender_pid"] == os.getpid() and e["event"]["result"] == "DELIVERED"
    wait_sample(port, NS + "signals_total", lambda l, v: l == {"signal": "SIGUSR2"} and v >= 1, run=run)
    left.snapshot()


def test_https_capture(example, tmp_path):
    """curl against a local `openssl s_server` on 127.0.0.1: curl's request line goes out
    through SSL_write, the response with the body the test wrote comes back through SSL_read,
    both as plaintext; the byte counters per command and direction match the events."""
    if not os.path.exists("/usr/lib/x86_64-linux-gnu/libssl.so.3") and not os.path.exists("/usr/lib64/libssl.so.3"):
        pytest.skip("no OpenSSL 3 libssl.so.3 on this machine")
    token = os.urandom(6).hex()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", str(tmp_path / "k.pem"),
                    "-out", str(tmp_path / "c.pem"), "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    (tmp_path / f"page-{token}.txt").write_text(f"body-{token}\n")
    port = free_port()
    srv = subprocess.Popen(["openssl", "s_server", "-accept", f"127.0.0.1:{port}", "-cert", str(tmp_path / "c.pem"),
                            "-key", str(tmp_path / "k.pem"), "-WWW", "-quiet"], cwd=tmp_path,
                           stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           start_new_session=True)
    run, mport, left = example("https_capture")
    url = f"https://127.0.0.1:{port}/page-{token}.txt"
    curls = []

    def fetch():
        p = subprocess.run(["curl", "-s", "--cacert", str(tmp_path / "c.pem"), url], capture_output=True, text=True,
                           timeout=deadline(20))
        if p.returncode == 0:
            curls.append(p.stdout)
    try:
        out = run.wait_line(lambda o: o["map"] == "tls" and o["event"]["direction"] == "WRITE"
                            and o["event"]["data"].startswith(f"GET /page-{token}.txt HTTP/1.1\r\n"),
                            trigger=every(0.5, fetch))["event"]
        assert out["comm"] == "curl" and out["len"] == len(out["data"]) and out["cut"] == 0, out
        back = run.wait_line(lambda o: o["map"] == "tls" and o["event"]["direction"] == "READ"
                             and f"body-{token}" in o["event"]["data"], trigger=every(0.5, fetch))["event"]
        assert back["data"].startswith("HTTP/1.0 200 ok\r\n") and back["data"].endswith(f"\r\n\r\nbody-{token}\n")
        assert back["comm"] == "curl" and back["len"] == len(back["data"].encode())
        assert curls and curls[0] == f"body-{token}\n"
        # the counters add what the events moved (every curl here is ours, one request each)
        wait_sample(mport, NS + "tls_bytes_total",
                    lambda l, v: l == {"comm": "curl", "direction": "WRITE"} and v >= out["len"], run=run)
    finally:
        reap([srv])
    left.snapshot()


def test_readme_catalog_lists_every_example():
    readme = open(os.path.join(ROOT, "README.md")).read()
    cat = readme[readme.index("## Examples"):]
    cat = cat[:cat.index("\n## ")]
    listed = re.findall(r"^\| \[(\w+)\]\(examples/\1/\)", cat, re.M)
    assert sorted(listed) == EXAMPLES, (listed, EXAMPLES)


def test_every_example_has_a_test():
    """Each example is exercised by some e2e test: here, or (for probes that
    need kprobes or fentry, which only the second kernel has) another file."""
    here = os.path.dirname(os.path.abspath(__file__))
    sources = "".join(open(os.path.join(here, f)).read() for f in os.listdir(here)
                      if f.startswith("test_") and f.endswith(".py"))
    tested = {n[len("test_"):] for n in globals() if n.startswith("test_")}
    missing = [e for e in EXAMPLES if e not in tested and f'"{e}"' not in sources]
    assert not missing, f"examples without an e2e test: {missing}"
