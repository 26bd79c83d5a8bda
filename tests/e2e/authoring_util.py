"""Helpers for the authoring tests (init, examples, tutorial): scrape and
parse /metrics, trigger TCP connections, build a probe with ebpfctl."""
import os
import re
import socket
import subprocess
import urllib.error
import urllib.request

from conftest import EBPFCTL, deadline, wait_until

_SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})?\s+(\S+)(\s+\S+)?$')
_LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*')


def _unescape(v):
    return v.replace('\\"', '"').replace("\\n", "\n").replace("\\\\", "\\")


def parse_metrics(text):
    """Prometheus text format -> list of (name, {label: value}, float)."""
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        assert m, f"unparsable metrics line: {line!r}"
        labels = {}
        if m.group(3):
            pos = 0
            body = m.group(3)
            while pos < len(body):
                lm = _LABEL.match(body, pos)
                assert lm, f"unparsable labels in {line!r}"
                labels[lm.group(1)] = _unescape(lm.group(2))
                pos = lm.end()
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def scrape(port, host="127.0.0.1"):
    """Body of /metrics, or None while the endpoint is not up yet."""
    try:
        with urllib.request.urlopen(f"http://{host}:{port}/metrics", timeout=deadline(5)) as r:
            return r.read().decode("utf-8")
    except (urllib.error.URLError, ConnectionError, socket.timeout):
        return None


def samples(port, name):
    body = scrape(port)
    if body is None:
        return []
    return [(labels, value) for n, labels, value in parse_metrics(body) if n == name]


def wait_sample(port, name, pred=lambda labels, value: True, timeout=20, trigger=None, run=None):
    """Wait until /metrics has a sample of `name` for which pred holds."""
    def check():
        if run is not None and run.proc.poll() is not None:
            rc, err = run.finish()
            raise AssertionError(f"ebpfctl exited {rc} while waiting for {name}: {err}")
        if trigger:
            trigger()
        for labels, value in samples(port, name):
            if pred(labels, value):
                return labels, value
        return None

    try:
        return wait_until(check, timeout=timeout, interval=0.1, what=f"metric {name}")
    except AssertionError:
        body = scrape(port)
        raise AssertionError(f"no matching {name} sample; /metrics was:\n{body}")


def tcp_roundtrip(family=socket.AF_INET, hold=False):
    """Connect to a fresh local listener, accept, and (unless hold) close both
    ends.  Returns (port, [sockets still open])."""
    host = "127.0.0.1" if family == socket.AF_INET else "::1"
    srv = socket.socket(family, socket.SOCK_STREAM)
    srv.bind((host, 0))
    srv.listen(4)
    port = srv.getsockname()[1]
    cli = socket.create_connection((host, port), timeout=deadline(5))
    acc, _ = srv.accept()
    socks = [srv, cli, acc]
    if hold:
        return port, socks
    for s in (cli, acc, srv):
        s.close()
    return port, []


def ebpfctl_build(src, out=None, cwd=None):
    args = [EBPFCTL, "build", str(src)]
    if out:
        args += ["-o", str(out)]
    r = subprocess.run(args, capture_output=True, text=True, cwd=cwd, timeout=deadline(120))
    assert r.returncode == 0, f"ebpfctl build {src} failed:\n{r.stderr}"
    return r


def bpf_obj_of(src):
    s = str(src)
    return s[:-2] + ".o" if s.endswith(".c") else s + ".o"


def reap(procs):
    """Kill and wait for the processes a test started (by their PID only)."""
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.wait()


def path_env():
    """PATH with build/ first, so `ebpfctl` resolves to the tree's binary."""
    return os.path.dirname(EBPFCTL) + os.pathsep + os.environ.get("PATH", "/usr/bin:/bin")


def bpf_progs():
    """{id: name} of every loaded BPF program."""
    import json
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    if out.returncode != 0:
        return {}
    return {p["id"]: p.get("name", "") for p in json.loads(out.stdout or "[]")}


def prog_names(obj):
    """Names of the programs in a BPF object (as the kernel shows them: 15 chars)."""
    out = subprocess.run(["bpftool", "-j", "btf", "dump", "file", str(obj)], capture_output=True, text=True)
    import json
    names = set()
    for t in json.loads(out.stdout).get("types", []):
        if t.get("kind") == "FUNC":
            names.add(t["name"][:15])
    return names


class LeftBehind:
    """Records the programs a run of `obj` loads, so the test can prove they
    are gone afterwards even while other tests load programs concurrently."""

    def __init__(self, obj):
        self.names = prog_names(obj)
        self.before = set(bpf_progs())
        self.ours = set()

    def snapshot(self):
        self.ours |= {i for i, n in bpf_progs().items() if i not in self.before and n[:15] in self.names}
        return self.ours

    def assert_gone(self, timeout=5):
        """The kernel frees a program shortly after its last fd closes."""
        try:
            wait_until(lambda: not (self.ours & set(bpf_progs())), timeout=timeout, interval=0.05)
        except AssertionError:
            raise AssertionError(f"programs still loaded after the run: {self.ours & set(bpf_progs())}")
