"""The container images: `make image` / `make builder-image` (deploy/image/build.sh).

Builds build/ebpfctl-image.tar and build/ebpfctl-builder-image.tar (a no-op when
they are up to date), checks they are well-formed OCI archives, loads them with
`podman load` and runs them as a user would: examples run privileged, or with a
capability list, in the host's PID namespace, see the host's events on stdout and
serve /metrics; `podman stop` ends them with status 0 and nothing stays loaded;
the builder image compiles every example.

Runs as root (rootful podman, BPF). Podman runs on runc: crun refuses this
machine's hybrid cgroups; ulimits are passed because podman's defaults exceed
the hard limits here. Everything the tests create (images' names, containers,
temporary directories) is removed by them; containers by their own name only.
Deadlines scale with EBPFCTL_TEST_SLOWDOWN; waits are on conditions.
"""
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import threading
import time
import urllib.request

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.path.join(ROOT, "build")
EBPFCTL = os.path.join(BUILD, "ebpfctl")
RUNTIME_TAR = os.path.join(BUILD, "ebpfctl-image.tar")
BUILDER_TAR = os.path.join(BUILD, "ebpfctl-builder-image.tar")
SLOWDOWN = float(os.environ.get("EBPFCTL_TEST_SLOWDOWN", "1"))
EXAMPLES = "/usr/share/ebpfctl/examples"
TAG = f"ebpfctl-test-{os.getpid()}"

sys.path.insert(0, os.path.dirname(__file__))
from podman_util import PODMAN, ULIMITS  # noqa: E402

LABELS = ("org.opencontainers.image.title", "org.opencontainers.image.version",
          "org.opencontainers.image.source", "org.opencontainers.image.description")
# nothing that compiles belongs in the runtime image
COMPILERS = {"gcc", "gcc-12", "cpp", "cpp-12", "clang", "clang-14", "llvm", "llvm-14",
             "binutils", "make", "libc6-dev", "libbpf-dev"}

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="needs root (rootful podman, BPF)")


def deadline(seconds):
    return seconds * SLOWDOWN


def podman(*args, check=True, timeout=120, **kw):
    p = subprocess.run(PODMAN + list(args), capture_output=True, text=True,
                       timeout=deadline(timeout), **kw)
    if check and p.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)}: exit {p.returncode}\n{p.stdout}{p.stderr}")
    return p


def wait_until(cond, timeout=10, interval=0.05, what="condition"):
    end = time.monotonic() + deadline(timeout)
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(interval)


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def make(target):
    """`make TARGET` in the tree: builds the archive, or finds it up to date."""
    p = subprocess.run(["make", "-C", ROOT, "--no-print-directory", target],
                       capture_output=True, text=True, timeout=deadline(1800))
    assert p.returncode == 0, f"make {target} failed:\n{p.stdout[-3000:]}{p.stderr[-3000:]}"


def image_id(ref):
    p = podman("image", "inspect", "--format", "{{.Id}}", ref, check=False)
    return p.stdout.strip() if p.returncode == 0 else None


def built_examples():
    """Names of the examples `make` built whose source is in the tree."""
    names = []
    for f in sorted(os.listdir(os.path.join(BUILD, "examples"))):
        n = f[:-len(".bpf.o")] if f.endswith(".bpf.o") else None
        if n and os.path.exists(os.path.join(ROOT, "examples", n, n + ".bpf.c")):
            names.append(n)
    return names


# --- fixtures ----------------------------------------------------------------

@pytest.fixture(scope="session")
def podman_present():
    missing = [t for t in ("podman", "runc", "mmdebstrap", "umoci") if not shutil.which(t)]
    assert not missing, f"{', '.join(missing)} not installed: bash ci/install-deps.sh"


def _load(archive, tag):
    """`podman load -i ARCHIVE`, then name the image TAG only.

    The archive's own name (localhost/ebpfctl:latest) is given back to whatever
    image held it before, or removed if none did: the test leaves no names.
    """
    with tarfile.open(archive) as t:
        index = json.load(t.extractfile("index.json"))
    loaded = index["manifests"][0]["annotations"]["org.opencontainers.image.ref.name"]
    loaded = loaded if "/" in loaded else "localhost/" + loaded
    before = image_id(loaded)
    out = podman("load", "-i", archive, timeout=600)
    m = re.search(r"Loaded image(?:\(s\))?: (\S+)", out.stdout + out.stderr)
    assert m and m.group(1) == loaded, f"podman load said: {out.stdout}{out.stderr}"
    iid = image_id(loaded)
    assert iid, f"{loaded} not in podman's images after load"
    podman("tag", iid, tag)
    if before is None:
        podman("untag", iid, loaded)
    elif before != iid:
        podman("tag", before, loaded)
    return iid


def _unload(tag):
    # removes the name; the image with it when no other name holds it
    podman("rmi", tag, check=False)


@pytest.fixture(scope="session")
def runtime_archive():
    make("image")
    assert os.path.exists(RUNTIME_TAR)
    return RUNTIME_TAR


@pytest.fixture(scope="session")
def runtime_image(podman_present, runtime_archive):
    tag = f"localhost/{TAG}:runtime"
    _load(runtime_archive, tag)
    # Can this machine run a container at all? Exit 125 is podman's or the
    # runtime's own failure (no cgroups, no namespaces): skip with its words.
    p = podman("run", "--rm", *ULIMITS, "--entrypoint", "/bin/true", tag, check=False)
    if p.returncode == 125:
        _unload(tag)
        pytest.skip(f"podman cannot start containers here: {p.stderr.strip()}")
    assert p.returncode == 0, f"/bin/true in the image: exit {p.returncode}: {p.stderr}"
    yield tag
    _unload(tag)


@pytest.fixture(scope="session")
def builder_image(podman_present, runtime_image):
    make("builder-image")
    tag = f"localhost/{TAG}:builder"
    _load(BUILDER_TAR, tag)
    yield tag
    _unload(tag)


class Container:
    """`podman run` in the foreground; stdout lines collected by a thread."""

    def __init__(self, name, args):
        self.name = name
        self.cmd = PODMAN + ["run", "--rm", "--name", name] + args
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.lines = []
        self.stderr = b""
        self._t = [threading.Thread(target=self._out, daemon=True),
                   threading.Thread(target=self._err, daemon=True)]
        for t in self._t:
            t.start()

    def _out(self):
        for line in self.proc.stdout:
            self.lines.append(line.decode("utf-8", "replace").rstrip("\n"))

    def _err(self):
        self.stderr = self.proc.stderr.read()

    def events(self):
        out = []
        for line in list(self.lines):
            try:
                out.append(json.loads(line))
            except ValueError:
                raise AssertionError(f"not a JSON line on stdout: {line!r}")
        return out

    def alive(self):
        if self.proc.poll() is not None:
            for t in self._t:
                t.join(5)
            raise AssertionError(f"container exited {self.proc.returncode}: "
                                 f"{self.stderr.decode(errors='replace')}")
        return True

    def host_pid(self):
        """The container's ebpfctl as the host sees it (--pid host)."""
        def pid():
            p = podman("inspect", "--format", "{{.State.Pid}}", self.name, check=False)
            return p.returncode == 0 and p.stdout.strip() not in ("", "0") and int(p.stdout)
        return wait_until(lambda: self.alive() and pid(), 30, what="the container's pid")

    def stop(self, timeout=20):
        """`podman stop` (SIGTERM, the image's StopSignal): returns the exit status."""
        podman("stop", "--time", str(int(deadline(timeout))), self.name, timeout=timeout + 30)
        rc = self.proc.wait(timeout=deadline(timeout))
        for t in self._t:
            t.join(deadline(5))
        return rc

    def remove(self):
        """Teardown: by this container's name only, then the podman process we started."""
        if self.proc.poll() is None:
            podman("rm", "--force", "--time", "5", self.name, check=False, timeout=60)
            try:
                self.proc.wait(timeout=deadline(30))
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def tmp_path():
    """A temporary directory removed at teardown (pytest's own tmp_path keeps the last runs)."""
    d = tempfile.mkdtemp(prefix=f"ebpfctl-image-test-{os.getpid()}-")
    try:
        import pathlib
        yield pathlib.Path(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def container():
    made = []

    def start(name, args):
        c = Container(name, args)
        made.append(c)
        return c

    yield start
    for c in made:
        c.remove()


def bpf_ids_of(pid):
    """IDs of the BPF programs the process holds (fds of programs and links)."""
    ids = set()
    fddir = f"/proc/{pid}/fd"
    for fd in os.listdir(fddir):
        try:
            target = os.readlink(os.path.join(fddir, fd))
            if target not in ("anon_inode:bpf-prog", "anon_inode:bpf_link"):
                continue
            with open(f"/proc/{pid}/fdinfo/{fd}") as f:
                for line in f:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            continue
    return ids


def loaded_prog_ids():
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    return {p["id"] for p in json.loads(out.stdout or "[]")}


def scrape(port):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as r:
            return r.read().decode()
    except OSError:
        return None


def counter(text, family, comm):
    """The value of FAMILY{...comm="COMM"...}, 0 when absent."""
    if text is None:
        return None
    total = 0
    for line in text.splitlines():
        m = re.match(rf'{family}\{{([^}}]*)\}} (\S+)$', line)
        if m and f'comm="{comm}"' in m.group(1):
            total += float(m.group(2))
    return total


# --- the archive itself --------------------------------------------------------

def _read_archive(path):
    blobs = {}
    with tarfile.open(path) as t:
        names = t.getnames()
        layout = json.load(t.extractfile("oci-layout"))
        index = json.load(t.extractfile("index.json"))
        for m in t.getmembers():
            if m.isfile() and m.name.startswith("blobs/sha256/"):
                blobs[m.name.rsplit("/", 1)[1]] = t.extractfile(m).read()
    return names, layout, index, blobs


def test_archive_is_an_oci_image(runtime_archive):
    ref = "ebpfctl:latest"
    names, layout, index, blobs = _read_archive(runtime_archive)
    assert layout == {"imageLayoutVersion": "1.0.0"}
    assert set(n.split("/")[0] for n in names) == {"oci-layout", "index.json", "blobs"}
    for digest, data in blobs.items():
        assert hashlib.sha256(data).hexdigest() == digest, f"blob {digest} does not match its digest"
    assert len(index["manifests"]) == 1, "podman load takes one image per oci-archive"
    desc = index["manifests"][0]
    assert desc["mediaType"] == "application/vnd.oci.image.manifest.v1+json"
    assert desc["annotations"]["org.opencontainers.image.ref.name"] == ref
    manifest = json.loads(blobs[desc["digest"].split(":")[1]])
    assert manifest["schemaVersion"] == 2
    assert manifest["config"]["mediaType"] == "application/vnd.oci.image.config.v1+json"
    config = json.loads(blobs[manifest["config"]["digest"].split(":")[1]])
    assert config["os"] == "linux" and config["architecture"] in ("amd64", "arm64")
    layers = manifest["layers"]
    assert len(layers) == 2, "a Debian base layer and ebpfctl's own"
    for layer, diff_id in zip(layers, config["rootfs"]["diff_ids"]):
        assert layer["mediaType"] == "application/vnd.oci.image.layer.v1.tar+gzip"
        data = blobs[layer["digest"].split(":")[1]]
        assert len(data) == layer["size"]
        assert "sha256:" + hashlib.sha256(gzip.decompress(data)).hexdigest() == diff_id
    # ebpfctl's layer holds exactly what the image promises
    import io
    with tarfile.open(fileobj=io.BytesIO(gzip.decompress(blobs[layers[1]["digest"][7:]]))) as t:
        files = {m.name: m for m in t.getmembers()}
    assert files["usr/bin/ebpfctl"].mode & 0o111 and files["usr/bin/ebpfctl"].uid == 0
    for n in built_examples():
        assert f"usr/share/ebpfctl/examples/{n}.bpf.o" in files
        assert f"usr/share/ebpfctl/examples/{n}/README.md" in files
    for h in os.listdir(os.path.join(ROOT, "include")):
        if h.endswith(".h"):
            assert f"usr/include/ebpfctl/{h}" in files
    c = config["config"]
    assert c["Entrypoint"] == ["/usr/bin/ebpfctl"] and c["Cmd"] == ["--help"]
    assert "9091/tcp" in c["ExposedPorts"] and c["WorkingDir"] == "/work"
    assert all(c["Labels"].get(k) for k in LABELS)
    # reasonably small: a Debian base with a handful of libraries
    assert os.path.getsize(runtime_archive) < 64 << 20


def test_archive_runs_without_podman(podman_present, runtime_archive, tmp_path):
    """Other OCI tools: umoci unpacks the archive's layout into a runtime bundle
    (config.json from the image config) and runc runs it."""
    layout, bundle = tmp_path / "oci", tmp_path / "bundle"
    layout.mkdir()
    with tarfile.open(runtime_archive) as t:
        t.extractall(layout)
    p = subprocess.run(["umoci", "unpack", "--image", f"{layout}:ebpfctl:latest", str(bundle)],
                       capture_output=True, text=True, timeout=deadline(300))
    assert p.returncode == 0, p.stderr
    spec = json.loads((bundle / "config.json").read_text())
    assert spec["process"]["args"] == ["/usr/bin/ebpfctl", "--help"]
    assert spec["process"]["cwd"] == "/work"
    assert (bundle / "rootfs" / "usr" / "bin" / "ebpfctl").exists()
    spec["process"]["args"] = ["/usr/bin/ebpfctl", "version"]
    spec["process"]["terminal"] = False
    (bundle / "config.json").write_text(json.dumps(spec))
    cid = f"{TAG}-runc"
    try:
        p = subprocess.run(["runc", "run", "--bundle", str(bundle), cid],
                           capture_output=True, text=True, timeout=deadline(60))
    finally:
        subprocess.run(["runc", "delete", "--force", cid], capture_output=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("ebpfctl ") and "\nlibbpf 1." in p.stdout, p.stdout


# --- the runtime image under podman --------------------------------------------

def test_image_config(runtime_image):
    info = json.loads(podman("image", "inspect", runtime_image).stdout)[0]
    c = info["Config"]
    assert c["Entrypoint"] == ["/usr/bin/ebpfctl"]
    assert c["Cmd"] == ["--help"]
    assert c["WorkingDir"] == "/work"
    assert "9091/tcp" in c["ExposedPorts"]
    assert c["StopSignal"] == "SIGTERM"
    assert any(e.startswith("PATH=") for e in c["Env"])
    for k in LABELS:
        assert c["Labels"].get(k), f"label {k} missing"
    assert c["Labels"]["org.opencontainers.image.title"] == "ebpfctl"


def test_version_and_default_help(runtime_image):
    """`podman run IMAGE version`: the version the label gives, the image's libbpf,
    the host's kernel and BTF; with no arguments, the usage."""
    labels = json.loads(podman("image", "inspect", runtime_image).stdout)[0]["Config"]["Labels"]
    p = podman("run", "--rm", *ULIMITS, runtime_image, "version")
    assert p.stdout.split("\n")[0] == "ebpfctl " + labels["org.opencontainers.image.version"]
    assert re.search(r"^libbpf 1\.", p.stdout, re.M), p.stdout
    assert re.search(rf"^kernel {re.escape(os.uname().release)} ", p.stdout, re.M), p.stdout
    p = podman("run", "--rm", *ULIMITS, runtime_image)
    assert "Usage: ebpfctl COMMAND" in p.stdout + p.stderr


def test_contents(runtime_image):
    script = r"""
set -e
ldd /usr/bin/ebpfctl
echo EXAMPLES; ls /usr/share/ebpfctl/examples
echo READMES; ls /usr/share/ebpfctl/examples/*/README.md
echo INCLUDE; ls /usr/include/ebpfctl
echo PACKAGES; dpkg-query -W -f '${Package}\n'
"""
    p = podman("run", "--rm", *ULIMITS, "--entrypoint", "/bin/sh", runtime_image, "-c", script)
    out = p.stdout
    assert "not found" not in out.split("EXAMPLES")[0], out
    examples = out.split("EXAMPLES\n")[1].split("READMES\n")[0].split()
    for n in built_examples():
        assert n + ".bpf.o" in examples
        assert f"{EXAMPLES}/{n}/README.md" in out
    for h in os.listdir(os.path.join(ROOT, "include")):
        if h.endswith(".h"):
            assert h in out.split("INCLUDE\n")[1]
    packages = set(out.split("PACKAGES\n")[1].split())
    assert "ca-certificates" in packages and "libbpf1" in packages
    assert not packages & COMPILERS, f"compilers in the runtime image: {packages & COMPILERS}"


PRIVILEGES = {
    # what the README recommends first
    "privileged": ["--privileged"],
    # the least that tracepoint probes need here: BPF and PERFMON for bpf() and
    # perf_event_open, SYS_ADMIN to mount tracefs (and because podman's default
    # seccomp profile only allows bpf() with it); a read-only root works
    "capabilities": ["--cap-drop", "all", "--cap-add", "BPF,PERFMON,SYS_ADMIN", "--read-only"],
}


@pytest.mark.parametrize("mode", sorted(PRIVILEGES))
def test_run_examples_in_host_pid_namespace(runtime_image, container, tmp_path, mode):
    """execsnoop and opensnoop in one container: the host's execs on stdout, the
    opens counter on /metrics; podman stop ends it with 0 and unloads everything."""
    port = free_port()
    tag = f"{os.getpid()}-{mode}"
    comm = f"eit{os.getpid() % 1000000}{mode[0]}"[:15]           # our opener's name
    opener = tmp_path / comm
    shutil.copy("/bin/cat", opener)
    target = tmp_path / f"opened-{tag}"
    target.write_text("x\n")
    marker = f"ebpfctl-image-test-{tag}"
    c = container(f"ebpfctl-test-{tag}", [
        *ULIMITS, "--pid", "host", "--network", "host", *PRIVILEGES[mode], runtime_image,
        "run", f"{EXAMPLES}/execsnoop.bpf.o", f"{EXAMPLES}/opensnoop.bpf.o",
        "--set", f"opensnoop:target_comm={comm}", "--metrics-addr", f"127.0.0.1:{port}"])

    def opens_seen():
        return [e for e in c.events() if e.get("object") == "opensnoop"
                and e["event"]["comm"] == comm]

    def attached():
        c.alive()
        subprocess.run(["/bin/true", marker])
        subprocess.run([str(opener), str(target)], stdout=subprocess.DEVNULL)
        execs = [e for e in c.events() if marker in e.get("event", {}).get("args", "")]
        return execs and any(e["event"]["filename"] == str(target) for e in opens_seen()) and execs
    execs = wait_until(attached, 60, interval=0.2, what="the host's exec and open events")

    e = execs[0]
    assert e["object"] == "execsnoop" and e["map"] == "events"
    assert e["event"]["args"] == f"/bin/true {marker}"
    assert e["event"]["error"] == 0 and e["event"]["comm"] == "true"
    pid = c.host_pid()
    ours = bpf_ids_of(pid)
    assert len(ours) >= 4, f"execsnoop and opensnoop have 2 programs each; ebpfctl holds {ours}"

    # The counter counts every open of our command, each also printed: after a
    # quiet moment, opens since then on /metrics == opens since then on stdout.
    family = "ebpf_solo_io_opens_total"
    wait_until(lambda: counter(scrape(port), family, comm), 30, what="the opens counter")

    def settled():
        v, n = counter(scrape(port), family, comm), len(opens_seen())
        time.sleep(0.3)
        return (v, n) if (counter(scrape(port), family, comm), len(opens_seen())) == (v, n) else None
    v0, n0 = wait_until(settled, 30, what="a quiet counter")
    runs = 5
    for _ in range(runs):
        subprocess.run([str(opener), str(target)], stdout=subprocess.DEVNULL, check=True)

    def caught_up():
        file_opens = [x for x in opens_seen()[n0:] if x["event"]["filename"] == str(target)]
        v = counter(scrape(port), family, comm)
        return len(file_opens) >= runs and v - v0 == len(opens_seen()) - n0 and v
    v1 = wait_until(caught_up, 30, what=f"{runs} more opens on stdout and /metrics, equal")
    assert v1 - v0 >= runs

    rc = c.stop()
    err = c.stderr.decode(errors="replace")
    assert rc == 0, f"podman stop: the container exited {rc}: {err}"
    assert "error:" not in err, err
    wait_until(lambda: not (ours & loaded_prog_ids()), 30,
               what=f"the container's programs {sorted(ours)} unloaded")
    assert podman("container", "exists", c.name, check=False).returncode == 1, "--rm left it"


# --- the builder image ---------------------------------------------------------

def test_builder_image_config(builder_image):
    c = json.loads(podman("image", "inspect", builder_image).stdout)[0]["Config"]
    assert c["Entrypoint"] == ["/usr/bin/ebpfctl"]
    assert c["WorkingDir"] == "/src"
    assert "XDG_CACHE_HOME=/cache" in c["Env"]
    for k in LABELS:
        assert c["Labels"].get(k), f"label {k} missing"
    p = podman("run", "--rm", *ULIMITS, "--entrypoint", "/bin/sh", builder_image, "-c",
               "clang --version && llvm-strip --version && bpftool version && "
               "test -f /usr/include/bpf/bpf_helpers.h && test -f /usr/include/ebpfctl/solo_types.h")
    assert "clang version" in p.stdout and "bpftool" in p.stdout


def test_builder_compiles_a_probe(builder_image, tmp_path):
    """The documented command: podman run -v $PWD:/src IMAGE build /src/x.bpf.c"""
    src = tmp_path / "src"
    src.mkdir()
    shutil.copy(os.path.join(ROOT, "examples", "execsnoop", "execsnoop.bpf.c"), src)
    podman("run", "--rm", *ULIMITS, "-v", f"{src}:/src", builder_image,
           "build", "/src/execsnoop.bpf.c", timeout=300)
    obj = src / "execsnoop.bpf.o"
    assert obj.exists()
    mine = subprocess.run([EBPFCTL, "check", "--load-only", str(obj)], capture_output=True, text=True)
    theirs = subprocess.run([EBPFCTL, "check", "--load-only",
                             os.path.join(BUILD, "examples", "execsnoop.bpf.o")],
                            capture_output=True, text=True)
    assert mine.returncode == 0, mine.stderr
    assert mine.stdout.replace(str(obj), "X") == theirs.stdout.replace(
        os.path.join(BUILD, "examples", "execsnoop.bpf.o"), "X")


def test_builder_compiles_every_example_as_a_user(builder_image, tmp_path):
    """As the README shows it (--user, the cache on a volume): every example
    compiles, the objects belong to the user, and load like the tree's own."""
    src = tmp_path / "src"
    src.mkdir()
    names = built_examples()
    for n in names:
        shutil.copy(os.path.join(ROOT, "examples", n, n + ".bpf.c"), src)
    os.chmod(src, 0o777)
    p = podman("run", "--rm", *ULIMITS, "--user", "65534:65534", "-v", f"{src}:/src",
               "--entrypoint", "/bin/sh", builder_image, "-c",
               'for f in *.bpf.c; do ebpfctl build "$f" || exit 1; done', timeout=900)
    for n in names:
        obj = src / f"{n}.bpf.o"
        assert obj.exists(), f"{n}: {p.stderr}"
        assert obj.stat().st_uid == 65534
        ref = os.path.join(BUILD, "examples", f"{n}.bpf.o")
        mine = subprocess.run([EBPFCTL, "check", "--load-only", str(obj)],
                              capture_output=True, text=True)
        theirs = subprocess.run([EBPFCTL, "check", "--load-only", ref], capture_output=True, text=True)
        assert (mine.returncode, (mine.stdout + mine.stderr).replace(str(obj), "X")) == \
            (theirs.returncode, (theirs.stdout + theirs.stderr).replace(ref, "X")), n
