#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What OCI distribution costs (issue: OCI artifacts, "Performance"):

1. start: `ebpfctl check REF` of an already-stored reference (lookup, every blob verified, the
   platform/BTF/feature checks, then the same load + attach + detach) against `ebpfctl check
   FILE` of the same object. Target: within 1.1x.
2. push and pull against a local docker-registry: `ebpfctl push` / `ebpfctl pull` against
   `skopeo copy` of the same artifact (oci: layout <-> docker://), each to a fresh repository
   or a fresh store so nothing is skipped. Target: no slower than skopeo.

Two artifacts: opensnoop.bpf.o as built (~12 KB), and the same object with a 24 MiB
non-loaded section (llvm-objcopy --add-section), which also takes ebpfctl's chunked upload
path. Wall time per command, RUNS interleaved runs per variant, medians.

    /usr/bin/python3 bench/oci_cost.py [--runs 7] [--results bench/RESULTS.md]

Needs root, docker-registry, skopeo, llvm-objcopy, build/ebpfctl; cleans up what it starts.
"""
import argparse
import os
import pathlib
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "deploy"))
import soak  # noqa: E402
from registry_util import Registry  # noqa: E402

EBPFCTL = os.path.join(ROOT, "build", "ebpfctl")
BEGIN, END = "<!-- oci-cost:begin -->", "<!-- oci-cost:end -->"


def timed(cmd, env):
    t0 = time.monotonic()
    p = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    dt = time.monotonic() - t0
    if p.returncode:
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
    return dt


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--results")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="ebpfctl-oci-bench-")
    os.makedirs(os.path.join(tmp, "reg"))
    reg = Registry(pathlib.Path(tmp) / "reg")
    R = {"when": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "commit": soak.commit_desc(),
         "load": " ".join(open("/proc/loadavg").read().split()[:3])}
    rows = []
    try:
        small = os.path.join(ROOT, "build", "examples", "opensnoop.bpf.o")
        big = os.path.join(tmp, "big.bpf.o")
        with open(os.path.join(tmp, "pad"), "wb") as f:
            f.write(os.urandom(24 << 20))
        subprocess.run(["llvm-objcopy", "--add-section", f".note.pad={tmp}/pad", small, big], check=True)
        env = dict(os.environ, EBPFCTL_STORE=os.path.join(tmp, "store"))
        env.pop("EBPFCTL_TEST_CHUNK_SIZE", None)
        n = 0
        for label, obj in (("12 KB", small), (f"{os.path.getsize(big) >> 20} MiB", big)):
            ref = f"{reg.host}/bench/{'small' if obj == small else 'big'}:v1"
            subprocess.run([EBPFCTL, "package", obj, ref], env=env, check=True, stdout=subprocess.DEVNULL)
            subprocess.run([EBPFCTL, "push", ref], env=env, check=True, stdout=subprocess.DEVNULL)
            t = {k: [] for k in ("check file", "check ref", "ebpfctl push", "skopeo push", "ebpfctl pull",
                                 "skopeo pull")}
            for rnd in range(a.runs):
                n += 1
                pairs = [("check file", [EBPFCTL, "check", obj]), ("check ref", [EBPFCTL, "check", ref])]
                dst = f"{reg.host}/bench/p{n}"
                pairs += [("ebpfctl push", None), ("skopeo push", None)]
                if rnd % 2:
                    pairs.reverse()
                for k, cmd in pairs:
                    if k == "ebpfctl push":
                        subprocess.run([EBPFCTL, "tag", ref, f"{dst}e:v1"], env=env, check=True)
                        cmd = [EBPFCTL, "push", f"{dst}e:v1"]
                    elif k == "skopeo push":
                        cmd = ["skopeo", "copy", "-q", "--dest-tls-verify=false",
                               f"oci:{env['EBPFCTL_STORE']}:{ref}", f"docker://{dst}s:v1"]
                    t[k].append(timed(cmd, env))
                # pulls into fresh stores / layouts
                pe = dict(env, EBPFCTL_STORE=os.path.join(tmp, f"pull{n}"))
                lay = os.path.join(tmp, f"lay{n}")
                os.makedirs(lay)
                pulls = [("ebpfctl pull", [EBPFCTL, "pull", ref], pe),
                         ("skopeo pull", ["skopeo", "copy", "-q", "--src-tls-verify=false", f"docker://{ref}",
                                          f"oci:{lay}/o:v1"], env)]
                if rnd % 2:
                    pulls.reverse()
                for k, cmd, e in pulls:
                    t[k].append(timed(cmd, e))
                shutil.rmtree(pe["EBPFCTL_STORE"])
                shutil.rmtree(lay)
            med = {k: statistics.median(v) * 1000 for k, v in t.items()}
            print(label, {k: round(v, 1) for k, v in med.items()}, flush=True)
            rows.append((label, med))
    finally:
        reg.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    out = [BEGIN, "", "## OCI: start from the store, push and pull (bench/oci_cost.py)", "",
           f"Measured {R['when']}, commit {R['commit']}, load average {R['load']} at start. docker-registry "
           f"2.8 on 127.0.0.1 (filesystem storage), skopeo 1.9; wall time per command, median of {a.runs} "
           "interleaved runs. `check` = rewrite, open, load, attach, detach of opensnoop's two tracepoints; "
           "`check REF` adds the store lookup, reading and verifying every blob, and the platform, BTF and "
           "kernel feature checks. Pushes go to a fresh repository each run (nothing skipped), pulls into a "
           "fresh store or layout.", "",
           "| artifact | check FILE ms | check REF ms | REF/FILE | ebpfctl push ms | skopeo copy ms | ebpfctl/skopeo "
           "| ebpfctl pull ms | skopeo copy ms | ebpfctl/skopeo |",
           "|---|---|---|---|---|---|---|---|---|---|"]
    for label, m in rows:
        out.append(f"| {label} | {m['check file']:.1f} | {m['check ref']:.1f} | "
                   f"**{m['check ref'] / m['check file']:.2f}x** | {m['ebpfctl push']:.1f} | {m['skopeo push']:.1f} | "
                   f"**{m['ebpfctl push'] / m['skopeo push']:.2f}x** | {m['ebpfctl pull']:.1f} | "
                   f"{m['skopeo pull']:.1f} | **{m['ebpfctl pull'] / m['skopeo pull']:.2f}x** |")
    out += ["", "Targets: REF/FILE <= 1.1x; ebpfctl/skopeo <= 1x. Pushes to a new repository of the same "
            "registry mount the blobs from the first (both tools do: ebpfctl finds the source repository among "
            "the store's names, skopeo in its blob-info cache), so the push columns measure the round trips, "
            "not the upload. `check REF` of the 24 MiB object pays one sha256 of the program (verify on read) on "
            "top of the same load; real probes are well under 1 MiB.", "", END]
    sec = "\n".join(out)
    print(sec)
    if a.results:
        soak.splice(a.results, sec, BEGIN, END)


if __name__ == "__main__":
    main()
