"""OCI artifacts (DESIGN.md section 9, spec/oci.md): build/package into the local store, push,
pull and run by reference against Debian's docker-registry started here in three configurations
(open; htpasswd over TLS with a test CA; bearer tokens from a token server in the test), interop
both ways with skopeo (ebpfctl's artifacts and bumblebee's exact format), and every bad input
ending in one error line with nothing stored and nothing run.

Not about the kernel beyond `run` itself: host only (tests/deploy is not run in the guest).
"""
import hashlib
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import threading

import pytest

sys.path.insert(0, os.path.dirname(__file__))
from registry_util import (PASSWORD, USER, BlobRedirectProxy, Registry, TokenServer, desc,  # noqa: E402
                           make_pki, sha256_file, skopeo, write_layout)

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from conftest import (BUILD, EBPFCTL, ROOT, Run, bpf_prog_ids, deadline, free_port, run_cli,  # noqa: E402
                      wait_until)

EXAMPLE = os.path.join(BUILD, "examples", "opensnoop.bpf.o")
EXEC_EXAMPLE = os.path.join(BUILD, "examples", "execsnoop.bpf.o")
CONFIG_MT = "application/ebpf.oci.image.config.v1+json"
PROGRAM_MT = "application/ebpf.oci.image.program.v1+binary"
MANIFEST_MT = "application/vnd.oci.image.manifest.v1+json"

pytestmark = pytest.mark.skipif(not shutil.which("docker-registry") or not shutil.which("skopeo"),
                                reason="docker-registry and skopeo (ci/packages.txt) are not installed")


@pytest.fixture
def env(tmp_path):
    """A private store and docker config for each test."""
    e = dict(os.environ)
    e["EBPFCTL_STORE"] = str(tmp_path / "store")
    e["DOCKER_CONFIG"] = str(tmp_path / "docker")
    e["HOME"] = str(tmp_path / "home")
    for k in ("REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME"):
        e.pop(k, None)
    return e


def cli(env, *args, input=None, ok=True):
    r = run_cli(*[str(a) for a in args], env=env, input=input, timeout=120)
    if ok:
        assert r.returncode == 0, f"ebpfctl {' '.join(map(str, args))}: {r.returncode}\n{r.stdout}\n{r.stderr}"
    return r


def one_error(r, *needles, status=1):
    assert r.returncode == status, (r.returncode, r.stdout, r.stderr)
    lines = r.stderr.strip().splitlines()
    err = [ln for ln in lines if ln.startswith("error: ")]
    assert len(err) == 1 and lines[0] == err[0], r.stderr
    for n in needles:
        assert n in r.stderr, (n, r.stderr)
    return lines


def store_state(env):
    """(names, blob files) of the store: 'nothing stored' compares these."""
    st = env["EBPFCTL_STORE"]
    try:
        idx = json.load(open(os.path.join(st, "index.json")))
        names = sorted(m["annotations"]["org.opencontainers.image.ref.name"] for m in idx["manifests"])
    except FileNotFoundError:
        names = []
    blobs = os.path.join(st, "blobs", "sha256")
    files = sorted(f for f in os.listdir(blobs) if not f.startswith(".")) if os.path.isdir(blobs) else []
    return names, files


def run_and_see_open(env, ref, *extra):
    """`ebpfctl run REF` prints the open() of a file this test makes, as object <name>."""
    before = bpf_prog_ids()
    marker = os.path.join("/tmp", "ebpfctl-oci-" + os.urandom(6).hex())
    r = Run([ref, "--duration", str(int(deadline(20))), *extra], env=env)
    try:
        line = r.wait_line(lambda o: o.get("event", {}).get("filename") == marker, timeout=20,
                           trigger=lambda: open(marker, "w").close())
    finally:
        r.kill()
        if os.path.exists(marker):
            os.unlink(marker)
    wait_until(lambda: bpf_prog_ids() <= before, what="programs unloaded")
    return line


@pytest.fixture
def registry(tmp_path):
    regs = []

    def start(mode="open", **kw):
        d = tmp_path / f"reg{len(regs)}"
        d.mkdir()
        reg = Registry(d, mode, **kw)
        regs.append(reg)
        return reg

    yield start
    for r in regs:
        r.stop()


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return make_pki(tmp_path_factory.mktemp("pki"))


# ---- the local store ----

def test_package_list_inspect_tag_rm(env):
    ref = "localhost:5000/probes/opensnoop:v1"
    r = cli(env, "package", EXAMPLE, ref, "--annotation", "org.opencontainers.image.description=open calls")
    verb, name, digest = r.stdout.split()
    assert (verb, name) == ("stored", ref)
    st = env["EBPFCTL_STORE"]
    # an OCI image layout: the manifest blob is the digest's content; the program is the object
    assert json.load(open(os.path.join(st, "oci-layout"))) == {"imageLayoutVersion": "1.0.0"}
    man_path = os.path.join(st, "blobs", "sha256", digest.split(":")[1])
    assert sha256_file(man_path) == digest
    man = json.load(open(man_path))
    assert man["mediaType"] == MANIFEST_MT and man["artifactType"] == "application/vnd.ebpfctl.probe.v1"
    assert man["config"]["mediaType"] == CONFIG_MT
    assert man["config"]["annotations"] == {"org.opencontainers.image.title": "config.json"}
    [layer] = man["layers"]
    assert layer["mediaType"] == PROGRAM_MT and layer["annotations"]["org.opencontainers.image.title"] == "program.o"
    assert layer["digest"] == sha256_file(EXAMPLE) and layer["size"] == os.path.getsize(EXAMPLE)
    assert man["annotations"]["org.opencontainers.image.description"] == "open calls"
    assert man["annotations"]["org.opencontainers.image.title"] == "opensnoop"

    # inspect: the config describes the object (compared with bpftool's view of the same file)
    ins = json.loads(cli(env, "inspect", ref).stdout)
    assert ins["digest"] == digest and ins["manifest"] == man
    cfg = ins["config"]
    assert cfg["formatVersion"] == 1 and cfg["os"] == "linux" and cfg["architecture"] == "amd64"
    progs = {(p["name"], p["section"], p["type"]) for p in cfg["bpf"]["programs"]}
    assert progs == {("enter_openat", "tp/syscalls/sys_enter_openat", "tracepoint"),
                     ("exit_openat", "tp/syscalls/sys_exit_openat", "tracepoint")}
    maps = {m["name"]: m for m in cfg["bpf"]["maps"]}
    assert maps["events"]["type"] == "ringbuf" and maps["events"]["output"] == "print"
    assert maps["opens"]["output"] == "counter" and "output" not in maps["inflight"]
    assert {p["name"] for p in cfg["bpf"]["params"]} == {"target_comm", "failed_only"}
    assert cfg["bpf"]["license"] == "GPL" and cfg["bpf"]["btf"] is True
    req = cfg["requires"]
    assert req["kernelBTF"] is True and req["minKernel"] == "5.8"   # ringbuf
    assert req["progTypes"] == ["tracepoint"] and sorted(req["mapTypes"]) == ["hash", "ringbuf"]

    # the same object packaged again: the same digest (no wall-clock time in it)
    again = cli(env, "package", EXAMPLE, "other.host:5000/x/opensnoop:v2", "--annotation",
                "org.opencontainers.image.description=open calls")
    assert again.stdout.split()[2] == digest
    cli(env, "rm", "other.host:5000/x/opensnoop:v2")
    assert cli(env, "package", EXAMPLE, "again:v1").stdout.split()[2] != digest   # its title differs
    cli(env, "rm", "again:v1")
    assert len(store_state(env)[1]) == 3     # its manifest and config went, the shared program stayed
    cli(env, "tag", ref, "again:v1")

    cli(env, "tag", ref, "probes/copy")
    listing = json.loads(cli(env, "list", "--json").stdout)
    assert {e["reference"]: e["digest"] for e in listing} == {ref: digest, "again:v1": digest,
                                                             "probes/copy:latest": digest}
    assert all(e["size"] == os.path.getsize(EXAMPLE) and e["architecture"] == "amd64" for e in listing)
    text = cli(env, "list").stdout.splitlines()
    assert text[0].split() == ["REFERENCE", "DIGEST", "ARCH", "SIZE"]
    assert any(ln.startswith("probes/copy:latest ") and digest[:19] in ln for ln in text[1:])

    # rm: names go; blobs stay while a name uses them, go with the last
    assert cli(env, "rm", ref, "again:v1").stdout.split("\n")[:2] == [f"removed {ref}", "removed again:v1"]
    names, blobs = store_state(env)
    assert names == ["probes/copy:latest"] and len(blobs) == 3
    one_error(cli(env, "rm", ref, ok=False), f"{ref}: no such reference in the store")
    cli(env, "rm", "probes/copy")
    assert store_state(env) == ([], [])


def test_reference_grammar(env):
    for bad in ("Upper/case", "probes//x", "x:tag with space", "x@sha256:abc", "_x", "x:-tag", "host:99999x/p"):
        one_error(cli(env, "package", EXAMPLE, bad, ok=False), "invalid reference", status=64)
    one_error(cli(env, "inspect", "nowhere/probe:v1", ok=False), "nowhere/probe:v1: not in the store")
    one_error(cli(env, "package", "/nonexistent.bpf.o", "x:v1", ok=False), "/nonexistent.bpf.o: No such file")
    one_error(cli(env, "package", "/etc/hostname", "x:v1", ok=False), "not an ELF file")
    assert store_state(env)[0] == []


def test_build_with_ref_then_run_by_ref(env, tmp_path):
    src = tmp_path / "opensnoop.bpf.c"
    shutil.copy(os.path.join(ROOT, "examples", "opensnoop", "opensnoop.bpf.c"), src)
    r = cli(env, "build", src, "probes/opensnoop:dev")
    assert r.stdout.split()[:2] == ["stored", "probes/opensnoop:dev"]
    assert (tmp_path / "opensnoop.bpf.o").exists()
    # with a second object, JSON lines name each: a REF by its last path component
    line = run_and_see_open(env, "probes/opensnoop:dev", EXEC_EXAMPLE)
    assert line["object"] == "opensnoop"
    # check by reference; a reference without a registry is never pulled
    assert cli(env, "check", "probes/opensnoop:dev").stdout.startswith("ok: ")
    one_error(cli(env, "run", "probes/absent:v1", "--no-metrics", ok=False),
              "probes/absent:v1: not a file, and not in the store", "hint: ")
    # a name that looks like a file keeps the file's error
    one_error(cli(env, "run", "missing.bpf.o", "--no-metrics", ok=False), "missing.bpf.o: No such file or directory")


# ---- registries ----

def test_push_pull_run_open_registry(env, registry, tmp_path):
    reg = registry()
    ref = f"{reg.host}/probes/opensnoop:v1"
    cli(env, "package", EXAMPLE, ref)
    # a loopback registry without TLS gets plain HTTP, as docker does
    r = cli(env, "push", ref, "-v")
    _, _, digest = r.stdout.split()
    assert "does not speak TLS" in r.stderr
    # the registry has exactly our bytes
    raw = skopeo("inspect", "--raw", "--tls-verify=false", f"docker://{ref}")
    assert raw.returncode == 0 and "sha256:" + hashlib.sha256(raw.stdout.encode()).hexdigest() == digest
    # a second push skips the blobs the registry has (HEAD)
    r = cli(env, "push", ref, "-v", "--plain-http")
    assert r.stderr.count("exists") == 2
    puts = [q for q in reg.requests() if q.startswith("PUT ") and "/blobs/uploads/" in q]
    assert len(puts) == 2
    # another repository of the same registry: the blobs are mounted from the first, not uploaded
    cli(env, "tag", ref, f"{reg.host}/other/opensnoop:v1")
    r = cli(env, "push", f"{reg.host}/other/opensnoop:v1", "-v")
    assert r.stderr.count("mounted from probes/opensnoop") == 2, r.stderr
    assert len([q for q in reg.requests() if q.startswith("PUT ") and "/blobs/uploads/" in q]) == 2
    assert len([q for q in reg.requests() if q.startswith("POST /v2/other/opensnoop/blobs/uploads/?mount=")]) == 2

    # another node: an empty store pulls and runs it
    other = dict(env, EBPFCTL_STORE=str(tmp_path / "node2"))
    line = run_and_see_open(other, ref)
    assert line.get("object", "opensnoop") == "opensnoop"
    names, blobs = store_state(other)
    assert names == [ref] and len(blobs) == 3
    # --pull never with the store holding it, and pull by digest
    run_and_see_open(other, ref, "--pull", "never")
    r = cli(other, "pull", f"{reg.host}/probes/opensnoop@{digest}")
    assert r.stdout.split() == ["pulled", f"{reg.host}/probes/opensnoop@{digest}", digest]
    # --pull always fetches the tag again: a new build under the same tag is what runs
    cli(env, "package", EXEC_EXAMPLE, ref)
    cli(env, "push", ref)
    r = cli(other, "check", ref, "--pull", "always")
    assert r.stdout.startswith(f"ok: {ref}: 2 programs (tracepoint), 1 maps exported (events print)"), r.stdout
    assert json.loads(cli(other, "inspect", ref).stdout)["digest"] != digest


def test_chunked_upload_and_progress_bar(env, registry):
    reg = registry()
    ref = f"{reg.host}/probes/chunked:v1"
    cli(env, "package", EXAMPLE, ref)
    # PATCH chunks of 4000 bytes (a test hook: the default is 8 MiB chunks for larger blobs)
    pid, fd = pty.fork()
    if pid == 0:
        e = dict(env, EBPFCTL_TEST_CHUNK_SIZE="4000")
        os.execve(EBPFCTL, [EBPFCTL, "push", ref, "--plain-http"], e)
    out = b""
    while True:
        r, _, _ = select.select([fd], [], [], deadline(60))
        if not r:
            break
        try:
            chunk = os.read(fd, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0, out
    text = out.decode()
    size = os.path.getsize(EXAMPLE)
    # program.o's bar runs through its chunks to 100%, never backwards, done == total at the end
    import re
    bars = [m for m in re.finditer(r"program\.o \S+ +\[([# ]{30})\] +(\d+)% ([\d.]+)/([\d.]+) KiB", text)]
    pcts = [int(m.group(2)) for m in bars]
    assert pcts and pcts == sorted(pcts) and pcts[-1] == 100, pcts
    assert bars[-1].group(1) == "#" * 30 and bars[-1].group(3) == bars[-1].group(4)
    assert f"{size / 1024:.1f}" == bars[-1].group(4)
    size = os.path.getsize(EXAMPLE)
    patches = [q for q in reg.requests() if q.startswith("PATCH ")]
    assert len(patches) == -(-size // 4000), patches
    # no terminal: no progress bar
    r = cli(dict(env, EBPFCTL_TEST_CHUNK_SIZE="4000"), "push", ref, "--plain-http")
    assert r.stderr == ""
    # what the registry assembled is the object
    other = dict(env, EBPFCTL_STORE=env["EBPFCTL_STORE"] + "2")
    cli(other, "pull", ref)
    ins = json.loads(cli(other, "inspect", ref).stdout)
    assert ins["manifest"]["layers"][0]["digest"] == sha256_file(EXAMPLE)


def test_htpasswd_over_tls(env, registry, pki):
    reg = registry("htpasswd", pki=pki)
    ref = f"{reg.host}/probes/opensnoop:v1"
    ca = pki / "ca.crt"
    cli(env, "package", EXAMPLE, ref)
    # the test CA is not trusted by default
    one_error(cli(env, "push", ref, ok=False), "TLS certificate not trusted", "hint: pass --ca-file")
    # no credentials
    lines = one_error(cli(env, "push", ref, "--ca-file", ca, ok=False), f"registry {reg.host}",
                      "authentication required", "401")
    assert lines[1] == f"hint: ebpfctl login {reg.host}"
    # a bad password, then the right one
    one_error(cli(env, "login", reg.host, "-u", USER, "--password-stdin", "--ca-file", ca, input="wrong\n",
                  ok=False), "invalid username or password")
    assert not os.path.exists(os.path.join(env["DOCKER_CONFIG"], "config.json"))
    r = cli(env, "login", reg.host, "-u", USER, "--password-stdin", "--ca-file", ca, input=PASSWORD + "\n")
    assert "Login Succeeded" in r.stdout
    cfgp = os.path.join(env["DOCKER_CONFIG"], "config.json")
    assert os.stat(cfgp).st_mode & 0o777 == 0o600
    import base64
    saved = json.load(open(cfgp))["auths"][reg.host]["auth"]
    assert base64.b64decode(saved).decode() == f"{USER}:{PASSWORD}"
    cli(env, "push", ref, "--ca-file", ca)
    # --insecure skips verification; a second node pulls with the saved credentials
    other = dict(env, EBPFCTL_STORE=env["EBPFCTL_STORE"] + "2")
    cli(other, "pull", ref, "--insecure")
    run_and_see_open(other, ref, "--pull", "always", "--ca-file", str(ca))
    # podman's auth.json is read too
    cli(env, "logout", reg.host)
    assert reg.host not in json.load(open(cfgp))["auths"]
    one_error(cli(env, "logout", reg.host, ok=False), "not logged in")
    authf = os.path.join(env["HOME"], ".config", "containers", "auth.json")
    os.makedirs(os.path.dirname(authf))
    with open(authf, "w") as f:
        json.dump({"auths": {reg.host: {"auth": saved}}}, f)
    cli(other, "pull", ref, "--ca-file", ca)


def test_bearer_token_auth(env, registry, tmp_path):
    tok = TokenServer(tmp_path)
    try:
        reg = registry("token", token=tok)
        ref = f"{reg.host}/probes/opensnoop:v1"
        cli(env, "package", EXAMPLE, ref)
        # anonymous: the token server grants pull only, so the upload is refused
        one_error(cli(env, "push", ref, ok=False), "hint: ebpfctl login")
        cli(env, "login", reg.host, "-u", USER, "--password-stdin", input=PASSWORD + "\n")
        cli(env, "push", ref)
        asked = [s for s in tok.seen if s["user"] == USER]
        assert any("repository:probes/opensnoop:pull,push" in s["query"].get("scope", []) for s in asked)
        assert all(s["query"].get("account") == [USER] for s in asked)
        assert all(s["query"]["service"] == [tok.service] for s in tok.seen)
        # a mount from another repository needs pull on it too: the registry's insufficient_scope
        # challenge lists both scopes in one value, the token request has one scope= each
        cli(env, "tag", ref, f"{reg.host}/probes/copy:v1")
        n = len(tok.seen)
        r = cli(env, "push", f"{reg.host}/probes/copy:v1", "-v")
        assert r.stderr.count("mounted from probes/opensnoop") == 2, r.stderr
        assert any({"repository:probes/copy:pull,push", "repository:probes/opensnoop:pull"} <=
                   set(s["query"].get("scope", [])) for s in tok.seen[n:]), tok.seen[n:]
        # anonymous pull on another node: an anonymous pull token
        other = dict(env, EBPFCTL_STORE=str(tmp_path / "node2"), DOCKER_CONFIG=str(tmp_path / "none"))
        n = len(tok.seen)
        run_and_see_open(other, ref)
        assert any(s["user"] is None for s in tok.seen[n:])
        # a wrong saved password: the token server's refusal is the error
        bad = tmp_path / "bad"
        bad.mkdir()
        import base64
        (bad / "config.json").write_text(json.dumps(
            {"auths": {reg.host: {"auth": base64.b64encode(f"{USER}:nope".encode()).decode()}}}))
        one_error(cli(dict(other, DOCKER_CONFIG=str(bad)), "pull", ref, ok=False),
                  "token server refused the credentials", "hint: ebpfctl login")
    finally:
        tok.stop()


def test_blob_redirect_drops_authorization(env, registry, tmp_path):
    reg = registry()
    px = BlobRedirectProxy(reg)
    try:
        ref = f"{reg.host}/probes/opensnoop:v1"
        cli(env, "package", EXAMPLE, ref)
        cli(env, "push", ref)
        # credentials for the proxy: sent to it, never to the blob storage it redirects to
        import base64
        os.makedirs(env["DOCKER_CONFIG"], exist_ok=True)
        with open(os.path.join(env["DOCKER_CONFIG"], "config.json"), "w") as f:
            json.dump({"auths": {px.host: {"auth": base64.b64encode(b"u:p").decode()}}}, f)
        other = dict(env, EBPFCTL_STORE=str(tmp_path / "node2"))
        r = cli(other, "pull", f"{px.host}/probes/opensnoop:v1", "--plain-http")
        assert r.stdout.split()[0] == "pulled"
        assert len(px.storage_auth) == 2 and px.storage_auth == [None, None]
        # a registry answering 503: its status and its own words, nothing stored
        third = dict(env, EBPFCTL_STORE=str(tmp_path / "node3"))
        for status, path, needle in ((503, "/manifests/", "answered 503 Service Unavailable: UNAVAILABLE: try later "
                                      "while sending the manifest"),
                                     (500, "/blobs/", "answered 500 Internal Server Error"),
                                     (403, "/manifests/", "access denied with the saved credentials (403 Forbidden")):
            px.fault = (status, path)
            lines = one_error(cli(third, "pull", f"{px.host}/probes/opensnoop:v1", "--plain-http", ok=False),
                              f"registry {px.host} {needle}" if status >= 500 else needle)
            assert store_state(third) == ([], []), status
        assert lines[1] == f"hint: ebpfctl login {px.host}"
        px.fault = (503, "/blobs/uploads/")
        cli(env, "tag", ref, f"{px.host}/fresh/x:v1")
        one_error(cli(env, "push", f"{px.host}/fresh/x:v1", ok=False),
                  "answered 503 Service Unavailable: UNAVAILABLE: try later while starting an upload")
    finally:
        px.stop()


# ---- skopeo interop ----

def test_skopeo_round_trip(env, registry, tmp_path):
    reg = registry()
    ref = f"{reg.host}/probes/opensnoop:v1"
    cli(env, "package", EXAMPLE, ref)
    digest = cli(env, "push", ref).stdout.split()[2]
    out = tmp_path / "layouts"
    out.mkdir()
    r = skopeo("copy", "--src-tls-verify=false", f"docker://{ref}", f"oci:{out / 'copy'}:v1")
    assert r.returncode == 0, r.stderr
    back = f"{reg.host}/probes/viaskopeo:v2"
    r = skopeo("copy", "--dest-tls-verify=false", f"oci:{out / 'copy'}:v1", f"docker://{back}")
    assert r.returncode == 0, r.stderr
    # skopeo reads ebpfctl's store as an OCI layout, the full reference as the name
    r = skopeo("copy", "--dest-tls-verify=false", f"oci:{env['EBPFCTL_STORE']}:{ref}",
               f"docker://{reg.host}/probes/fromstore:v3")
    assert r.returncode == 0, r.stderr
    other = dict(env, EBPFCTL_STORE=str(tmp_path / "node2"))
    for r2 in (back, f"{reg.host}/probes/fromstore:v3"):
        assert cli(other, "pull", r2).stdout.split()[2] == digest
    run_and_see_open(other, back, "--pull", "never")


def bee_layout(d, program, config=b"{}"):
    """bumblebee's exact wire format (oras-go v1): no manifest mediaType or artifactType, config
    {} of bee's type titled config.json, one raw ELF layer titled program.o."""
    man = {"schemaVersion": 2, "config": desc(CONFIG_MT, config, "config.json"),
           "layers": [desc(PROGRAM_MT, program, "program.o")]}
    return write_layout(d, "v1", man, [config, program])


def test_bumblebee_image_from_skopeo(env, registry, tmp_path):
    reg = registry()
    prog = open(EXAMPLE, "rb").read()
    digest = bee_layout(tmp_path / "bee", prog)
    ref = f"{reg.host}/bee/opensnoop:v1"
    r = skopeo("copy", "--dest-tls-verify=false", f"oci:{tmp_path / 'bee'}:v1", f"docker://{ref}")
    assert r.returncode == 0, r.stderr
    assert cli(env, "pull", ref).stdout.split()[2] == digest
    ins = json.loads(cli(env, "inspect", ref).stdout)
    assert ins["config"] == {} and "mediaType" not in ins["manifest"]
    assert json.loads(cli(env, "list", "--json").stdout)[0]["formatVersion"] == 0
    run_and_see_open(env, ref)


# ---- bad inputs: one error line, nothing stored, nothing run ----

def push_layout(reg, d, name):
    ref = f"{reg.host}/{name}"
    r = skopeo("copy", "--dest-tls-verify=false", f"oci:{d}:v1", f"docker://{ref}")
    assert r.returncode == 0, r.stderr
    return ref


def test_bad_artifacts_are_refused(env, registry, tmp_path):
    reg = registry()
    prog = open(EXAMPLE, "rb").read()

    def cfg(**kw):
        c = {"formatVersion": 1, "architecture": "amd64", "os": "linux", "requires": {"kernelBTF": True}}
        c.update(kw)
        return json.dumps(c).encode()

    def layout(name, man_fn, blobs):
        d = tmp_path / name
        write_layout(d, "v1", man_fn, blobs)
        return push_layout(reg, d, f"bad/{name}:v1")

    c = cfg(formatVersion=99)
    newer = layout("newer", {"schemaVersion": 2, "mediaType": MANIFEST_MT, "config": desc(CONFIG_MT, c),
                             "layers": [desc(PROGRAM_MT, prog)]}, [c, prog])
    c = cfg(architecture="arm64")
    arm = layout("arm", {"schemaVersion": 2, "mediaType": MANIFEST_MT, "config": desc(CONFIG_MT, c),
                         "layers": [desc(PROGRAM_MT, prog)]}, [c, prog])
    img_cfg = b'{"architecture":"amd64","os":"linux","config":{"Labels":{"io.ebpf.programs":"{}"}}}'
    container = layout("container", {"schemaVersion": 2, "mediaType": MANIFEST_MT,
                                     "config": desc("application/vnd.oci.image.config.v1+json", img_cfg),
                                     "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", prog)]},
                       [img_cfg, prog])
    gadget = layout("gadget", {"schemaVersion": 2, "mediaType": MANIFEST_MT,
                               "artifactType": "application/vnd.gadget.v1+binary",
                               "config": desc("application/vnd.oci.empty.v1+json", b"{}"),
                               "layers": [desc("application/vnd.gadget.ebpf.program.v1+binary", prog)]},
                    [b"{}", prog])
    c = cfg()
    noprog = layout("noprog", {"schemaVersion": 2, "mediaType": MANIFEST_MT, "config": desc(CONFIG_MT, c),
                               "layers": [desc("application/octet-stream", prog)]}, [c, prog])
    # an index without this machine's platform
    c = cfg(architecture="arm64")
    d = tmp_path / "idx"
    child = json.dumps({"schemaVersion": 2, "mediaType": MANIFEST_MT, "config": desc(CONFIG_MT, c),
                        "layers": [desc(PROGRAM_MT, prog)]}).encode()
    idx = {"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
           "manifests": [dict(desc(MANIFEST_MT, child), platform={"os": "linux", "architecture": "arm64"})]}
    write_layout(d, "v1", idx, [c, prog, child], mt="application/vnd.oci.image.index.v1+json")
    r = skopeo("copy", "--all", "--preserve-digests", "--dest-tls-verify=false", f"oci:{d}:v1",
               f"docker://{reg.host}/bad/idx:v1")
    assert r.returncode == 0, r.stderr

    cases = [(newer, "config format version 99 is newer than this ebpfctl reads (1)"),
             (arm, None),
             (container, "a container image, not an ebpfctl or bumblebee probe"),
             (gadget, "an Inspektor Gadget image, not an ebpfctl or bumblebee probe"),
             (noprog, "no program layers"),
             (f"{reg.host}/bad/idx:v1", "no linux/amd64 manifest found in image index (it has linux/arm64)"),
             (f"{reg.host}/bad/missing:v1", "not found in registry"),
             (f"127.0.0.1:{free_port()}/bad/down:v1", "cannot reach registry")]
    for ref, needle in cases:
        if needle is None:
            continue
        one_error(cli(env, "pull", ref, ok=False), needle)
        assert store_state(env) == ([], []), ref
    before = bpf_prog_ids()
    for ref, needle in cases:
        one_error(cli(env, "run", ref, "--no-metrics", ok=False), needle or "built for arm64, this machine is amd64")
    assert bpf_prog_ids() <= before
    # the arm64 artifact is stored by pull (it is valid), refused by run and check before load
    cli(env, "pull", arm)
    one_error(cli(env, "check", arm, ok=False), "built for arm64, this machine is amd64")

    # a big-endian object
    be = tmp_path / "be.bpf.o"
    subprocess.run(["clang", "-target", "bpfeb", "-O2", "-c", "-x", "c", "-", "-o", str(be)], check=True,
                   input=b'__attribute__((section("tp/syscalls/sys_enter_openat"), used)) int f(void *c) '
                         b'{ return 0; }\nchar LICENSE[] __attribute__((section("license"), used)) = "GPL";\n')
    one_error(cli(env, "package", be, "bad/be:v1", ok=False), "big-endian object")


def test_corrupted_and_truncated_blobs(env, registry, tmp_path):
    reg = registry()
    ref = f"{reg.host}/probes/opensnoop:v1"
    cli(env, "package", EXAMPLE, ref)
    digest = cli(env, "push", ref).stdout.split()[2]
    man = json.loads(cli(env, "inspect", ref).stdout)["manifest"]
    layer = man["layers"][0]["digest"]
    other = dict(env, EBPFCTL_STORE=str(tmp_path / "node2"))

    # a flipped byte in the registry's copy of the program
    f = reg.blob_file(layer)
    data = bytearray(f.read_bytes())
    data[100] ^= 0xFF
    f.write_bytes(bytes(data))
    one_error(cli(other, "pull", ref, ok=False), f"sent blob {layer} with the wrong content")
    assert store_state(other) == ([], [])
    one_error(cli(other, "run", ref, "--no-metrics", ok=False), "wrong content")
    data[100] ^= 0xFF
    f.write_bytes(bytes(data))

    # a truncated manifest in the registry
    mf = reg.blob_file(digest)
    body = mf.read_bytes()
    mf.write_bytes(body[:len(body) // 2])
    r = cli(other, "pull", ref, ok=False)
    one_error(r, f"registry {reg.host}")
    assert store_state(other) == ([], [])
    mf.write_bytes(body)

    # the wrong manifest for a digest: asked for one digest, a tag's manifest answers
    wrong = "sha256:" + "0" * 64
    one_error(cli(other, "pull", f"{reg.host}/probes/opensnoop@{wrong}", ok=False), "not found in registry")

    # the local store: a corrupted program blob is refused before load; rm + pull mends it
    cli(other, "pull", ref)
    blob = os.path.join(other["EBPFCTL_STORE"], "blobs", "sha256", layer.split(":")[1])
    good = open(blob, "rb").read()
    with open(blob, "r+b") as fh:
        fh.seek(200)
        fh.write(b"\0\0\0\0")
    before = bpf_prog_ids()
    one_error(cli(other, "run", ref, "--no-metrics", "--pull", "never", ok=False), "is corrupted",
              f"hint: remove the reference with 'ebpfctl rm' and pull it again")
    assert bpf_prog_ids() <= before
    with open(blob, "wb") as fh:
        fh.write(good[:1000])     # truncated
    one_error(cli(other, "run", ref, "--no-metrics", "--pull", "never", ok=False), "size 1000")
    cli(other, "rm", ref)
    cli(other, "pull", ref)
    assert open(blob, "rb").read() == good


def test_needs_kernel_btf(env, tmp_path):
    cli(env, "package", EXAMPLE, "probes/opensnoop:v1")
    root = tmp_path / "hostroot"
    root.mkdir()
    one_error(cli(env, "run", "probes/opensnoop:v1", "--host-root", root, "--no-metrics", ok=False),
              f"needs the kernel's BTF: {root}/sys/kernel/btf/vmlinux", "hint: pass --btf FILE")


def test_two_pulls_at_once(env, registry, tmp_path):
    reg = registry()
    refs = [f"{reg.host}/probes/opensnoop:v1", f"{reg.host}/probes/execsnoop:v1"]
    cli(env, "package", EXAMPLE, refs[0])
    cli(env, "package", EXEC_EXAMPLE, refs[1])
    for r in refs:
        cli(env, "push", r)
    shared = dict(env, EBPFCTL_STORE=str(tmp_path / "shared"))
    for round_ in range(3):
        # the same REF twice at once, and another REF beside them: one store, three writers
        procs = [subprocess.Popen([EBPFCTL, "pull", r], env=shared, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True) for r in (refs[0], refs[0], refs[1])]
        for p in procs:
            out, err = p.communicate(timeout=deadline(60))
            assert p.returncode == 0, err
        names, blobs = store_state(shared)
        assert names == sorted(refs), names
        assert len(blobs) == 6
        for b in blobs:
            assert sha256_file(os.path.join(shared["EBPFCTL_STORE"], "blobs", "sha256", b)) == "sha256:" + b
        assert not [f for f in os.listdir(os.path.join(shared["EBPFCTL_STORE"], "blobs", "sha256"))
                    if f.startswith(".tmp")]
        cli(shared, "rm", *refs)
    assert store_state(shared) == ([], [])


def test_help_of_every_oci_command(env):
    for c in ("package", "push", "pull", "list", "inspect", "tag", "rm", "login", "logout"):
        r = cli(env, c, "--help")
        assert r.stdout.startswith(f"Usage: ebpfctl {c}"), c
        one_error(cli(env, c, "--bogus", ok=False), f"{c}: unknown option '--bogus'", status=64)
    one_error(cli(env, "push", ok=False), "push: missing REF", status=64)
    one_error(cli(env, "run", "x/y:v1", "--pull", "sometimes", ok=False), "expected missing, always or never",
              status=64)
