"""The special types named from the running system (DESIGN.md section 15, include/solo_types.h):
ksym, syscall_nr, ifindex, cgroup_id, user_id and net_port, in JSON lines and in labels, each
next to a value that has no name; and under --host-root, names come from the host's files.
Fixture tests/bpf/ev_names.bpf.o records this process's getppid(2)/getpid(2) calls."""
import json
import os
import re
import socket
import urllib.request

import pytest

from conftest import bpf_prog_ids, fixture, free_port, wait_until

ME = os.getpid()
pytestmark = pytest.mark.skipif(os.uname().machine != "x86_64", reason="the fixture filters on x86_64 numbers")


def kallsyms_text(name):
    with open("/proc/kallsyms") as f:
        for line in f:
            a, t, n = line.split()[:3]
            if n == name and t in "tT":
                return int(a, 16)
    pytest.skip(f"{name} not in /proc/kallsyms")


def my_cgroup():
    """This process's cgroup v2 path (the 0:: line)."""
    for line in open(f"/proc/{ME}/cgroup"):
        if line.startswith("0::"):
            return line.strip()[3:]
    pytest.skip("no cgroup v2 membership")


def scrape(port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()


def start(run_ebpfctl, *extra, port=None):
    addr = kallsyms_text("vfs_read") + 0x10
    args = [fixture("ev_names"), "--set", f"target_tgid={ME}", "--set", f"addr={addr}",
            "--set", f"ifidx={socket.if_nametoindex('lo')}", "--set", f"port_be={socket.htons(8443)}", *extra]
    if port:
        args += ["--metrics-addr", f"127.0.0.1:{port}"]
    return run_ebpfctl(*args, metrics=bool(port))


def test_names_in_json_and_labels(run_ebpfctl):
    port = free_port()
    before = bpf_prog_ids()
    r = start(run_ebpfctl, port=port)
    ev = r.wait_line(lambda o: o["map"] == "name_events" and o["event"]["nr"] == "getppid",
                     trigger=os.getppid)["event"]
    cg = my_cgroup()
    assert ev == {"sym": "vfs_read+0x10", "nr": "getppid", "ifx": "lo", "cg": cg, "uid": "root", "port": 8443,
                  "nosym": ev["nosym"], "noif": 32767, "nouser": 4000000, "nocg": 0xffffffffff, "nonr": 100000}, ev
    # below every symbol: the address, still a string
    assert re.fullmatch(r"0x0*1", ev["nosym"]), ev
    ev = r.wait_line(lambda o: o["map"] == "name_events" and o["event"]["nr"] == "getpid", trigger=os.getpid)["event"]
    assert ev["cg"] == cg and ev["uid"] == "root"

    def sample():
        for line in scrape(port).splitlines():
            if line.startswith("ebpf_solo_io_name_calls_total{") and 'nr="getppid"' in line:
                return line
    line = wait_until(sample, what="a name_calls sample")
    labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line))
    assert labels == {"nr": "getppid", "cg": cg, "uid": "root", "ifx": "lo", "port": "8443", "sym": "vfs_read+0x10",
                      "nouser": "4000000"}, line
    r.stop()
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")


def test_a_new_cgroup_is_named(run_ebpfctl, tmp_path):
    """A cgroup created after the run named its first cgroup is found at its first event (the tree
    is walked again for an unknown id)."""
    import subprocess
    root = next((ln.split()[1] for ln in open("/proc/mounts") if ln.split()[2] == "cgroup2"), None)
    if not root:
        pytest.skip("no cgroup v2 hierarchy")
    path = os.path.join(root, f"ebpfctl-test-names-{ME}")
    go = tmp_path / "go"
    # the child calls getppid every 20 ms for up to 60 s; once `go` exists it moves itself into path
    code = ("import os, sys, time\n"
            "moved = False\n"
            "for _ in range(3000):\n"
            "    if not moved and os.path.exists(sys.argv[1]):\n"
            "        open(sys.argv[2] + '/cgroup.procs', 'w').write(str(os.getpid())); moved = True\n"
            "    os.getppid(); time.sleep(0.02)\n")
    child = subprocess.Popen(["python3", "-c", code, str(go), path])
    try:
        r = run_ebpfctl(fixture("ev_names"), "--set", f"target_tgid={child.pid}")
        first = r.wait_line(lambda o: o["map"] == "name_events" and o["event"]["nr"] == "getppid", timeout=20)
        assert isinstance(first["event"]["cg"], str), first
        os.mkdir(path)
        try:
            go.write_text("")
            ev = r.wait_line(lambda o: o["map"] == "name_events" and o["event"]["cg"] != first["event"]["cg"],
                             timeout=20)["event"]
            assert ev["cg"] == "/" + os.path.basename(path), ev
        finally:
            child.kill()
            child.wait()
            wait_until(lambda: not open(os.path.join(path, "cgroup.procs")).read().strip(), what="cgroup empty")
            os.rmdir(path)
        r.stop()
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()


def test_names_under_host_root(run_ebpfctl, tmp_path):
    """--host-root: users come from <host_root>/etc/passwd (the node's, not the container's)."""
    host = tmp_path / "host"
    (host / "etc").mkdir(parents=True)
    (host / "etc" / "passwd").write_text("# a comment line\nbroken line\nnoderoot:x:0:0:root:/root:/bin/sh\n"
                                         "second:x:0:0::/:/bin/sh\n")
    for d in ("proc", "sys"):
        os.symlink(f"/{d}", host / d)
    r = start(run_ebpfctl, "--host-root", str(host))
    ev = r.wait_line(lambda o: o["map"] == "name_events" and o["event"]["nr"] == "getppid",
                     trigger=os.getppid)["event"]
    assert ev["uid"] == "noderoot", ev            # the first entry of a uid wins
    assert ev["sym"] == "vfs_read+0x10" and ev["cg"] == my_cgroup(), ev
    r.stop()


def test_a_flood_of_unnamed_ids_does_not_stall(tmp_path):
    """Random cgroup ids, user ids and interface indexes on every syscall of a busy child, with
    --enrich, for 6 s: the run still ends at --duration with status 0, and a scrape of the
    (up to 100k-series) counter answers while it streams.  Liveness, not speed: before the fix
    the scrape took minutes and the run ignored --duration and SIGTERM."""
    import subprocess
    from conftest import EBPFCTL, deadline
    # the run lasts longer on a slower machine (the second kernel's guest): the scrape must come
    # while it is still going, not as --duration ends it.  The flood stays 8 s: its output is a
    # file, in RAM in the guest
    busy = subprocess.Popen(["python3", "-c", "import os, time\nt = time.time() + 8\nwhile time.time() < t: os.getpid()"])
    port = free_port()
    out = open(tmp_path / "out.json", "w")
    try:
        p = subprocess.Popen([EBPFCTL, "run", fixture("ev_random_names"), "--enrich", "--set", f"target_tgid={busy.pid}",
                              "--metrics-addr", f"127.0.0.1:{port}", "--duration", f"{int(deadline(5))}s"], stdout=out,
                             stderr=subprocess.PIPE, text=True)

        def listening():
            assert p.poll() is None, p.stderr.read()
            with socket.socket() as s:
                return s.connect_ex(("127.0.0.1", port)) == 0
        wait_until(listening, timeout=30, what="the metrics port")
        # the flood under way (its events reach stdout) before the scrape: that is the point
        wait_until(lambda: os.path.getsize(tmp_path / "out.json") > 256 * 1024, timeout=30, what="the flood")
        body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=deadline(30)).read().decode()
        assert "ebpf_solo_io_rnd_keys_total{" in body
        _, err = p.communicate(timeout=deadline(40))
        assert p.returncode == 0, err
    finally:
        busy.kill()
        busy.wait()
        if p.poll() is None:
            p.kill()
            p.wait()
        out.close()
    # count and look at the last line without holding the whole (large) file in memory
    n, last = 0, ""
    with open(tmp_path / "out.json") as f:
        for line in f:
            n, last = n + 1, line
    assert n > 1000
    ev = json.loads(last)["event"]
    assert set(ev) == {"cg", "uid", "ifi"}, ev
