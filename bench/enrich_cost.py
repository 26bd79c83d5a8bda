#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""What --enrich costs per event: ebpfctl's main-thread CPU per event at RATE events/s.

bench/ev.bpf.c built with -DCGROUP (its event gains a `cgroup_id cgroup` member) is fed by
bench/loadgen, which the script moves into a kubelet-style container cgroup it makes
(kubepods.slice/.../cri-containerd-ID.scope under the cgroup v2 root, the containerd bundle
with CRI annotations under a --host-root it makes), so every event renders a cgroup path and,
with --enrich, the container's id, name, pod and namespace. Variants, interleaved per round:

- plain: bench/ev.bpf.c as it is (no cgroup member)
- cgroup: the -DCGROUP build, without --enrich (the path only)
- enrich: the -DCGROUP build with --enrich

CPU is the main thread's (the event loop) from schedstat, per event read; stdout to /dev/null.
The issue's target is enrich/cgroup <= 1.3x (bench/RESULTS.md, "The cost of --enrich").

    /usr/bin/python3 bench/enrich_cost.py [--rate 100000] [--seconds 10] [--rounds 3] [--results F]

Needs root, clang, cc, build/ebpfctl; cleans up its cgroups and files.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import soak  # noqa: E402
from wrk_load import thread_cpu  # noqa: E402

BEGIN, END = "<!-- enrich-cost:begin -->", "<!-- enrich-cost:end -->"


def counters(port):
    _, _, _, body = soak.get(port)
    s, _ = soak.parse_exposition(body)
    return dict(read=int(soak.series(s, "ebpfctl_events_read_total", map="events") or 0),
                lost=int(soak.series(s, "ebpfctl_events_lost_total", map="events") or 0),
                drops=int(soak.series(s, "ebpf_solo_io_rb_drops_total", key="0") or 0))


def one(obj, extra, rate, seconds, cgdir, B):
    gen = soak.spawn([os.path.join(B, "loadgen"), "-c", "-1", "-r", str(rate), "-n", str(rate * seconds), "-w"],
                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    port = soak.free_port()
    ev = soak.spawn([soak.EBPFCTL, "run", obj, "--set", f"target_tgid={gen.pid}", "--metrics-addr",
                     f"127.0.0.1:{port}", *extra], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        end = time.monotonic() + 60
        while True:
            if ev.poll() is not None:
                raise RuntimeError(f"ebpfctl exited {ev.returncode}: {ev.stderr.read()}")
            try:
                if soak.get(port, "/-/ready", timeout=2)[1] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > end:
                raise RuntimeError("ebpfctl not ready")
            time.sleep(0.05)
        with open(os.path.join(cgdir, "cgroup.procs"), "w") as f:
            f.write(str(gen.pid))
        m0, _ = thread_cpu(ev.pid)
        gen.stdin.write("go\n")
        gen.stdin.flush()
        produced = int(gen.communicate(timeout=seconds * 4 + 60)[0].split()[1])
        c = counters(port)
        for _ in range(100):
            if c["read"] + max(c["lost"], c["drops"]) >= produced:
                break
            time.sleep(0.1)
            c = counters(port)
        m1, _ = thread_cpu(ev.pid)
        rc = soak.stop(ev)
    finally:
        for p in (gen, ev):
            if p.poll() is None:
                p.kill()
                p.wait()
    return dict(produced=produced, read=c["read"], lost=c["lost"] + c["drops"], ns_per_event=(m1 - m0) / max(c["read"], 1),
                rc=rc)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=int, default=100000)
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--results")
    a = ap.parse_args()
    B = os.path.join(soak.ROOT, "build", "enrichcost")
    os.makedirs(B, exist_ok=True)
    arch = {"x86_64": "x86", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    inc = [f"-I{HERE}", f"-I{soak.ROOT}/include", f"-I/usr/include/{os.uname().machine}-linux-gnu"]
    for name, defs in (("ev", []), ("ev_cg", ["-DCGROUP"])):
        subprocess.run(["clang", "-g", "-O2", "-target", "bpf", f"-D__TARGET_ARCH_{arch}", *defs, *inc, "-c",
                        f"{HERE}/ev.bpf.c", "-o", f"{B}/{name}.bpf.o"], check=True)
    subprocess.run(["cc", "-O2", "-g", "-Wall", "-o", f"{B}/loadgen", f"{HERE}/loadgen.c", "-lpthread"], check=True)
    soak.private_tracefs()
    croot = next(ln.split()[1] for ln in open("/proc/mounts") if ln.split()[2] == "cgroup2")
    cid, pod = uuid.uuid4().hex + uuid.uuid4().hex, str(uuid.uuid4())
    rel = (f"kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod{pod.replace('-', '_')}.slice/"
           f"cri-containerd-{cid}.scope")
    made, path = [], croot
    for part in rel.split("/"):
        path = os.path.join(path, part)
        if not os.path.isdir(path):
            os.mkdir(path)
            made.append(path)
    R = dict(when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit=soak.commit_desc(), rate=a.rate,
             seconds=a.seconds, rounds=a.rounds, load=" ".join(open("/proc/loadavg").read().split()[:3]), runs=[])
    try:
        with tempfile.TemporaryDirectory(prefix="enrich-cost-") as host:
            for d in ("proc", "sys"):
                os.symlink(f"/{d}", os.path.join(host, d))
            bdir = os.path.join(host, "run/containerd/io.containerd.runtime.v2.task/k8s.io", cid)
            os.makedirs(bdir)
            with open(os.path.join(bdir, "config.json"), "w") as f:
                json.dump({"annotations": {"io.kubernetes.cri.container-name": "bench",
                                           "io.kubernetes.cri.sandbox-name": "bench-pod",
                                           "io.kubernetes.cri.sandbox-namespace": "default"}}, f)
            variants = {"plain": (f"{B}/ev.bpf.o", []), "cgroup": (f"{B}/ev_cg.bpf.o", []),
                        "enrich": (f"{B}/ev_cg.bpf.o", ["--enrich", "--host-root", host])}
            for rnd in range(1, a.rounds + 1):
                order = list(variants) if rnd % 2 else list(reversed(variants))
                for v in order:
                    x = one(*variants[v], a.rate, a.seconds, path, B)
                    x.update(variant=v, round=rnd)
                    print(f"round {rnd} {v}: {x['ns_per_event']:.0f} ns/event, read {x['read']}/{x['produced']}, "
                          f"lost {x['lost']}, rc {x['rc']}", flush=True)
                    R["runs"].append(x)
    finally:
        soak.stop_all()
        for d in reversed(made):
            for _ in range(50):
                try:
                    os.rmdir(d)
                    break
                except OSError:
                    time.sleep(0.1)
    med = {v: statistics.median(x["ns_per_event"] for x in R["runs"] if x["variant"] == v) for v in
           ("plain", "cgroup", "enrich")}
    out = [BEGIN, "", "## The cost of --enrich (bench/enrich_cost.py)", "",
           f"Measured {R['when']}, commit {R['commit']}, load average {R['load']} at start. bench/ev.bpf.c at "
           f"{a.rate // 1000}k events/s for {a.seconds} s per run, {a.rounds} interleaved rounds, the generator in a "
           "kubelet-style containerd cgroup the script makes (bundle with CRI annotations under a --host-root), "
           "stdout to /dev/null. Main-thread (event loop) CPU per event read, from schedstat.", "",
           "| round | variant | ns/event | read/produced | lost |", "|---|---|---|---|---|"]
    for x in R["runs"]:
        out.append(f"| {x['round']} | {x['variant']} | {x['ns_per_event']:.0f} | {x['read']:,}/{x['produced']:,} | "
                   f"{x['lost']:,} |")
    out += ["", f"Medians: plain {med['plain']:.0f}, cgroup (path rendered) {med['cgroup']:.0f}, enrich "
            f"{med['enrich']:.0f} ns/event. **--enrich / without it: {med['enrich'] / med['cgroup']:.2f}x** "
            f"(target <= 1.3x); against the event without a cgroup member: {med['enrich'] / med['plain']:.2f}x.",
            "", END]
    sec = "\n".join(out)
    print(sec)
    if a.results:
        soak.splice(a.results, sec, BEGIN, END)


if __name__ == "__main__":
    main()
