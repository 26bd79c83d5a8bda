"""OCI artifacts against the running kernel (spec/oci.md "Reading", step 10): the program and
map types an artifact's config requires are probed with libbpf before anything is loaded.  On
the second kernel (Debian's 6.1) a cgroup storage map (6.2) is refused with the kernel's
release and the artifact's floor; on a newer kernel the same artifact checks fine.  A type this
libbpf does not know is left to the loader.  The registry side is tests/deploy/test_oci.py.
"""
import hashlib
import json
import os

from conftest import bpf_prog_ids, fixture, run_cli

CONFIG_MT = "application/ebpf.oci.image.config.v1+json"
PROGRAM_MT = "application/ebpf.oci.image.program.v1+binary"


def desc(mt, b):
    return {"mediaType": mt, "digest": "sha256:" + hashlib.sha256(b).hexdigest(), "size": len(b)}


def store_with(d, ref, prog, cfg):
    """An ebpfctl store (OCI image layout) holding one artifact, written by hand."""
    blobs = d / "blobs" / "sha256"
    blobs.mkdir(parents=True)
    (d / "oci-layout").write_text('{"imageLayoutVersion":"1.0.0"}')
    man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                      "config": desc(CONFIG_MT, cfg), "layers": [desc(PROGRAM_MT, prog)]}).encode()
    for b in (prog, cfg, man):
        (blobs / hashlib.sha256(b).hexdigest()).write_bytes(b)
    (d / "index.json").write_text(json.dumps({"schemaVersion": 2, "manifests": [dict(
        desc("application/vnd.oci.image.manifest.v1+json", man),
        annotations={"org.opencontainers.image.ref.name": ref})]}))


def kernel():
    return tuple(int(x) for x in os.uname().release.split("-")[0].split(".")[:2])


def test_required_map_type_is_probed(tmp_path):
    prog = open(fixture("bi_base"), "rb").read()
    cfg = json.dumps({"formatVersion": 1, "architecture": "amd64", "os": "linux",
                      "requires": {"kernelBTF": True, "minKernel": "6.2", "progTypes": ["tracepoint"],
                                   "mapTypes": ["ringbuf", "cgrp_storage", "quantum_map"]}}).encode()
    store_with(tmp_path / "store", "probes/cg:v1", prog, cfg)
    before = bpf_prog_ids()
    p = run_cli("check", "probes/cg:v1", "--store", str(tmp_path / "store"), "--load-only")
    if kernel() >= (6, 2):
        assert p.returncode == 0 and p.stdout.startswith("ok: probes/cg:v1: "), p.stderr
    else:
        assert p.returncode == 1, p.stdout
        assert p.stderr.splitlines() == [
            f"error: probes/cg:v1: map type cgrp_storage not supported by this kernel ({os.uname().release}; "
            "the probe expects >= 6.2)"], p.stderr
    assert bpf_prog_ids() <= before


def test_packaged_config_describes_what_loads(tmp_path):
    """The config package derives is what check then probes: packaging and checking a fixture
    agree on this kernel, whichever it is."""
    store = str(tmp_path / "store")
    p = run_cli("package", fixture("bi_base"), "probes/bi:v1", "--store", store)
    assert p.returncode == 0, p.stderr
    cfg = json.loads(run_cli("inspect", "probes/bi:v1", "--store", store).stdout)["config"]
    assert cfg["requires"]["progTypes"] and cfg["requires"]["mapTypes"]
    p = run_cli("check", "probes/bi:v1", "--store", store)
    assert p.returncode == 0 and p.stdout.startswith("ok: probes/bi:v1: "), p.stderr
