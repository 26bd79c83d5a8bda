"""--enrich (DESIGN.md section 14): which container and pod an event or a label set comes from,
from the cgroup path and the runtime's files, with no API server.

- a real podman container (a busybox image imported by the test, run on runc) whose execs come
  out with its container id and name, as JSON fields and as labels of the example pod_syscalls;
- a kubelet-style hierarchy built by the test in the cgroup v2 tree (systemd and cgroupfs
  drivers; containerd and CRI-O), with the runtime's bundle files under a --host-root the
  test makes, a process moved into it: its events carry the pod, namespace and container;
- a process outside any container gains nothing, and maps without a cgroup_id gain no label.

Host only (tests/deploy): containers do not run in the second-kernel guest.  Runs as root.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
import uuid

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from conftest import BUILD, EBPFCTL, bpf_prog_ids, deadline, free_port, wait_until  # noqa: E402

EXAMPLE = os.path.join(BUILD, "examples", "pod_syscalls.bpf.o")
sys.path.insert(0, os.path.dirname(__file__))
from podman_util import PODMAN, ULIMITS  # noqa: E402

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (cgroups, podman, BPF)")


def cgroup2_root():
    for line in open("/proc/mounts"):
        dev, mnt, typ = line.split()[:3]
        if typ == "cgroup2":
            return mnt
    pytest.skip("no cgroup v2 hierarchy")


class Run:
    """ebpfctl run --enrich pod_syscalls, JSON lines collected by a reader thread."""

    def __init__(self, *extra, port=None):
        import threading
        self.port = port or free_port()
        self.proc = subprocess.Popen([EBPFCTL, "run", "--enrich", EXAMPLE, "--metrics-addr",
                                      f"127.0.0.1:{self.port}", *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines = []
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()
        wait_until(self.ready, timeout=30, what="ebpfctl ready")

    def _read(self):
        for line in self.proc.stdout:
            try:
                self.lines.append(json.loads(line))
            except ValueError:
                self.lines.append({"bad": line})

    def ready(self):
        if self.proc.poll() is not None:
            raise AssertionError(f"ebpfctl exited {self.proc.returncode}: {self.proc.stderr.read()}")
        try:
            return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/-/ready", timeout=2).status == 200
        except OSError:
            return False

    def events(self, comm):
        return [o["event"] for o in list(self.lines) if o.get("map") == "execs" and o["event"]["comm"] == comm]

    def scrape(self):
        return urllib.request.urlopen(f"http://127.0.0.1:{self.port}/metrics", timeout=5).read().decode()

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(2)
        try:
            self.proc.wait(timeout=deadline(20))
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.t.join(timeout=5)
        return self.proc.returncode, self.proc.stderr.read()


def labels_of(body, family, **want):
    for line in body.splitlines():
        if line.startswith(family + "{"):
            labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', line))
            if all(labels.get(k) == v for k, v in want.items()):
                return labels
    return None


@pytest.fixture
def busybox_image(tmp_path):
    for t in ("podman", "runc", "busybox"):
        if not shutil.which(t):
            pytest.skip(f"{t} not installed (ci/ installs it)")
    root = tmp_path / "rootfs"
    (root / "bin").mkdir(parents=True)
    shutil.copy(shutil.which("busybox"), root / "bin" / "busybox")
    for a in ("sh", "sleep", "true"):
        os.symlink("busybox", root / "bin" / a)
    tag = f"localhost/ebpfctl-test-enrich:{os.getpid()}"
    tar = subprocess.Popen(["tar", "-C", str(root), "-c", "."], stdout=subprocess.PIPE)
    subprocess.run(["podman", "import", "-", tag], stdin=tar.stdout, check=True, capture_output=True)
    tar.wait()
    yield tag
    subprocess.run(["podman", "rmi", "-f", tag], capture_output=True)


def test_podman_container(busybox_image, tmp_path):
    name = f"ebpfctl-enrich-{os.getpid()}"
    before = bpf_prog_ids()
    # the container execs `true` every 100 ms (busybox: comm "true")
    p = subprocess.run(PODMAN + ["run", "-d", "--name", name, *ULIMITS, busybox_image, "/bin/sh", "-c",
                                 "while :; do /bin/true; /bin/sleep 0.1; done"],
                       capture_output=True, text=True, timeout=deadline(120))
    assert p.returncode == 0, p.stderr
    cid = p.stdout.strip().splitlines()[-1]
    r = None
    try:
        r = Run()
        evs = wait_until(lambda: [e for e in r.events("true") if e.get("container_id") == cid], timeout=30,
                         what="an exec in the container")
        ev = evs[0]
        assert ev["container_name"] == name, ev
        assert ev["pod"] == "" and ev["namespace"] == "", ev
        assert cid in ev["cgroup"], ev
        # the fields come after the record's own members, in this order
        assert list(ev)[-4:] == ["container_id", "container_name", "pod", "namespace"], ev
        # labels: the syscalls counter keyed by cgroup gains the four labels
        lab = wait_until(lambda: labels_of(r.scrape(), "ebpf_solo_io_cgroup_syscalls_total", container_id=cid),
                         what="a syscalls sample of the container")
        assert lab["container_name"] == name and lab["pod"] == "" and lab["namespace"] == "", lab
        assert list(lab) == ["cgroup", "syscall", "container_id", "container_name", "pod", "namespace"], lab
        # this test's own execs are no container's: no such fields, and empty labels
        subprocess.run(["true"])
        mine = wait_until(lambda: [e for e in r.events("true") if "container_id" not in e], timeout=10,
                          what="an exec outside the container")
        assert "container_name" not in mine[0], mine[0]
        rc, err = r.stop()
        assert rc == 0, err
    finally:
        if r:
            r.stop()
        subprocess.run(["podman", "rm", "-f", "-t", "0", name], capture_output=True, timeout=deadline(60))
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")


# (layout, runtime): the cgroup path under the v2 root and the bundle file under the host root
POD_UID = str(uuid.uuid4())
LAYOUTS = {
    "systemd-containerd": (
        "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{uid_}.slice/cri-containerd-{id}.scope",
        "run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}/config.json",
        {"io.kubernetes.cri.container-type": "container", "io.kubernetes.cri.container-name": "web",
         "io.kubernetes.cri.sandbox-name": "web-5d8f", "io.kubernetes.cri.sandbox-namespace": "shop"}),
    "systemd-crio": (
        "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{uid_}.slice/crio-{id}.scope",
        "run/containers/storage/overlay-containers/{id}/userdata/config.json",
        {"io.kubernetes.container.name": "web", "io.kubernetes.pod.name": "web-5d8f",
         "io.kubernetes.pod.namespace": "shop"}),
    # deeper than a name is cut (1023 bytes): the container id at its end is still found
    "long-path-crio": (
        "/".join(["d" * 200] * 5) + "/crio-{id}.scope",
        "run/containers/storage/overlay-containers/{id}/userdata/config.json",
        {"io.kubernetes.container.name": "web", "io.kubernetes.pod.name": "web-5d8f",
         "io.kubernetes.pod.namespace": "shop"}),
    "cgroupfs-containerd": (
        "kubepods/besteffort/pod{uid}/{id}",
        "run/containerd/io.containerd.runtime.v2.task/k8s.io/{id}/config.json",
        {"io.kubernetes.cri.container-name": "web", "io.kubernetes.cri.sandbox-name": "web-5d8f",
         "io.kubernetes.cri.sandbox-namespace": "shop"}),
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_kubelet_hierarchy(layout, tmp_path):
    croot = cgroup2_root()
    cid = uuid.uuid4().hex + uuid.uuid4().hex
    rel_t, bundle_t, annotations = LAYOUTS[layout]
    rel = rel_t.format(uid=POD_UID, uid_=POD_UID.replace("-", "_"), id=cid)
    # the node's root as a DaemonSet mounts it: /proc and /sys, the runtime's files
    host = tmp_path / "host"
    host.mkdir()
    for d in ("proc", "sys"):
        os.symlink(f"/{d}", host / d)
    bundle = host / bundle_t.format(id=cid)
    bundle.parent.mkdir(parents=True)
    bundle.write_text(json.dumps({"ociVersion": "1.0.2", "annotations": annotations}))
    # a program with its own comm, exec'd every 50 ms by a child that moves into the pod's cgroup
    prog = tmp_path / f"enr{os.getpid() % 100000}"
    shutil.copy(shutil.which("true"), prog)
    made = []
    path = croot
    for part in rel.split("/"):
        path = os.path.join(path, part)
        if not os.path.isdir(path):
            os.mkdir(path)
            made.append(path)
    go = tmp_path / "go"
    code = ("import os, subprocess, sys, time\n"
            "moved = False\n"
            "for _ in range(1200):\n"
            "    if not moved and os.path.exists(sys.argv[1]):\n"
            "        open(sys.argv[2] + '/cgroup.procs', 'w').write(str(os.getpid())); moved = True\n"
            "    subprocess.run([sys.argv[3]]); time.sleep(0.05)\n")
    child = subprocess.Popen([sys.executable, "-c", code, str(go), path, str(prog)])
    r = None
    try:
        r = Run("--host-root", str(host))
        # before the move: the test's own cgroup, no container
        outside = wait_until(lambda: r.events(prog.name), timeout=30, what="an exec before the move")
        assert "container_id" not in outside[0], outside[0]
        go.write_text("")
        ev = wait_until(lambda: [e for e in r.events(prog.name) if "container_id" in e], timeout=30,
                        what="an exec in the pod's cgroup")[0]
        assert ev["cgroup"] == ("/" + rel)[:1023], ev
        assert (ev["container_id"], ev["container_name"], ev["pod"], ev["namespace"]) == \
            (cid, "web", "web-5d8f", "shop"), ev
        lab = wait_until(lambda: labels_of(r.scrape(), "ebpf_solo_io_cgroup_syscalls_total", container_id=cid),
                         what="a syscalls sample of the pod")
        assert (lab["container_name"], lab["pod"], lab["namespace"], lab["cgroup"]) == \
            ("web", "web-5d8f", "shop", ("/" + rel)[:1023]), lab
        rc, err = r.stop()
        assert rc == 0, err
    finally:
        if r:
            r.stop()
        child.kill()
        child.wait()
        wait_until(lambda: not open(os.path.join(path, "cgroup.procs")).read().strip(), what="cgroup empty")
        for d in reversed(made):
            os.rmdir(d)


def test_no_cgroup_member_no_labels(tmp_path):
    """A map without a cgroup_id member is left as it is: execsnoop under --enrich prints the same
    fields and no container label appears anywhere."""
    port = free_port()
    p = subprocess.Popen([EBPFCTL, "run", "--enrich", os.path.join(BUILD, "examples", "execsnoop.bpf.o"),
                          "--metrics-addr", f"127.0.0.1:{port}", "--duration", "3s"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(deadline(1.5))
    subprocess.run(["true"])
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()
    out, err = p.communicate(timeout=deadline(30))
    assert p.returncode == 0, err
    assert "container_id" not in body
    evs = [json.loads(ln)["event"] for ln in out.splitlines()]
    assert evs and all("container_id" not in e for e in evs), evs[:3]
