#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Event reading under an HTTP flood: does a scrape storm cost the event path anything?

ebpfctl on bench/ev.bpf.c at RATE events/s (bench/loadgen, paced), stdout to /dev/null, in
interleaved rounds of two variants: "quiet" (one scrape at the end) and "wrk" (wrk -t1 -c64
hammering /metrics for the whole run, as tests/deploy/test_http_limits.py does). Per run:
events produced / read / lost (ebpfctl_events_lost_total and the probe's own rb_drops), the
CPU of ebpfctl's main thread (the event loop: ring buffer, formatting, stdout) per event read,
the CPU of its other threads (libmicrohttpd's), and wrk's request count and latency. The
ratios wrk/quiet of the main thread's CPU per event and of the loss are the issue's
"unchanged" targets (bench/RESULTS.md, section "Events under an HTTP flood").

    /usr/bin/python3 bench/wrk_load.py [--rate 100000] [--seconds 20] [--rounds 3] [--results F]

Needs root, wrk, clang, cc and build/ebpfctl; runs in a private mount namespace with its own
tracefs (bench/soak.py's private_tracefs).
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import soak  # noqa: E402

BEGIN, END = "<!-- wrk-load:begin -->", "<!-- wrk-load:end -->"


def thread_cpu(pid):
    """(main thread ns, other threads ns) from schedstat."""
    main = other = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                ns = int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(t) == pid:
            main += ns
        else:
            other += ns
    return main, other


def one(variant, rate, seconds, tag):
    r = soak.Run(rate, rate * seconds, parse=False, pin_consumer=False, tag=tag)
    try:
        c0 = r.counters()
        m0, o0 = thread_cpu(r.ev.pid)
        r.go()
        wrk = None
        if variant == "wrk":
            wrk = subprocess.Popen(["wrk", "-t", "1", "-c", "64", "-d", f"{seconds}s", "--latency", "--timeout", "5s",
                                    f"http://127.0.0.1:{r.port}/metrics"], stdout=subprocess.PIPE, text=True)
        produced, _ = r.produced(timeout=seconds * 4 + 60)
        out = wrk.communicate(timeout=seconds + 60)[0] if wrk else ""
        # wrk's 64 connections may still count against the per-IP limit for a moment
        for attempt in range(50):
            try:
                c = r.drain(produced)
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("no scrape after wrk")
        m1, o1 = thread_cpu(r.ev.pid)
        rc, _ = r.finish()
        gone = soak.prog_gone(r.prog_id)
    except BaseException:
        r.kill()
        raise
    res = dict(variant=variant, produced=produced, read=c["read"] - c0["read"], lost=c["lost"], drops=c["drops"],
               main_ns=m1 - m0, other_ns=o1 - o0, rc=rc, gone=gone)
    res["main_ns_per_event"] = res["main_ns"] / max(res["read"], 1)
    if wrk:
        m = re.search(r"(\d+) requests in", out)
        res["requests"] = int(m.group(1)) if m else 0
        res["non2xx"] = bool(re.search(r"Non-2xx|Socket errors", out))
        lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
        res["p50"], res["p99"] = lat.get("50", "?"), lat.get("99", "?")
    return res


def markdown(R):
    out = [BEGIN, "", "## Events under an HTTP flood (bench/wrk_load.py)", ""]
    w = out.append
    w(f"Measured {R['when']}, commit {R['commit']}, {os.cpu_count()} vCPUs shared with other jobs (load average "
      f"{R['load']} at start). bench/ev.bpf.c at {R['rate'] // 1000}k events/s paced for {R['seconds']} s per run, "
      f"stdout to /dev/null, {R['rounds']} interleaved rounds; \"wrk\" adds `wrk -t1 -c64 --latency` on /metrics "
      "for the whole run. Main thread: ebpfctl's event loop (ring buffer, formatting, output); other threads: "
      "libmicrohttpd's (the scrapes).")
    w("")
    w("| round | variant | read/produced | lost + ring drops | main thread ns/event | other threads CPU | "
      "scrapes (p50 / p99) |")
    w("|---|---|---|---|---|---|---|")
    for i, x in enumerate(R["runs"]):
        scr = f"{x['requests']:,} ({x['p50']} / {x['p99']})" + (" **errors**" if x.get("non2xx") else "") \
            if x["variant"] == "wrk" else "-"
        w(f"| {x['round']} | {x['variant']} | {x['read']:,}/{x['produced']:,} | {x['lost'] + x['drops']:,} | "
          f"{x['main_ns_per_event']:.0f} | {x['other_ns'] / 1e9:.2f} s | {scr} |")
    w("")
    q = [x for x in R["runs"] if x["variant"] == "quiet"]
    f = [x for x in R["runs"] if x["variant"] == "wrk"]
    ratio = statistics.median(x["main_ns_per_event"] for x in f) / statistics.median(x["main_ns_per_event"] for x in q)
    lq, lf = sum(x["lost"] + x["drops"] for x in q), sum(x["lost"] + x["drops"] for x in f)
    w(f"Main-thread CPU per event, wrk / quiet (medians): **{ratio:.2f}x**. Events lost: {lq:,} quiet, {lf:,} under "
      f"wrk (of {sum(x['produced'] for x in q):,} and {sum(x['produced'] for x in f):,}). Target: both unchanged "
      "(ratio ~1.0x, no loss). The scrapes' own CPU is on the other threads, bounded by libmicrohttpd's "
      "connection limits (spec/security.md).")
    w("")
    w(END)
    return "\n".join(out), ratio, lq, lf


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--rate", type=int, default=100000)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--results", help="splice the section into this file (bench/RESULTS.md)")
    a = ap.parse_args()
    for t in ("wrk", "clang", "cc", "bpftool"):
        if not shutil.which(t):
            sys.exit(f"error: wrk_load: {t} not found\nhint: bash ci/install-deps.sh")
    if not os.access(soak.EBPFCTL, os.X_OK):
        sys.exit("error: wrk_load: build/ebpfctl missing\nhint: make")
    soak.B = os.path.join(soak.ROOT, "build", "wrkload")
    os.makedirs(soak.B, exist_ok=True)
    arch = {"x86_64": "x86", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
    subprocess.run(["clang", "-g", "-O2", "-target", "bpf", f"-D__TARGET_ARCH_{arch}", f"-I{HERE}",
                    f"-I/usr/include/{os.uname().machine}-linux-gnu", "-c", f"{HERE}/ev.bpf.c", "-o",
                    f"{soak.B}/ev.bpf.o"], check=True)
    subprocess.run(["cc", "-O2", "-g", "-Wall", "-o", f"{soak.B}/loadgen", f"{HERE}/loadgen.c", "-lpthread"],
                   check=True)
    soak.private_tracefs()
    R = dict(when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit=soak.commit_desc(), rate=a.rate,
             seconds=a.seconds, rounds=a.rounds, load=" ".join(open("/proc/loadavg").read().split()[:3]), runs=[])
    try:
        for rnd in range(1, a.rounds + 1):
            for v in (("quiet", "wrk") if rnd % 2 else ("wrk", "quiet")):
                x = one(v, a.rate, a.seconds, f"{v}{rnd}")
                x["round"] = rnd
                print(f"round {rnd} {v}: read {x['read']}/{x['produced']} lost {x['lost']} drops {x['drops']} "
                      f"main {x['main_ns_per_event']:.0f} ns/event other {x['other_ns'] / 1e9:.2f} s "
                      f"{x.get('requests', '')} rc {x['rc']} gone {x['gone']}", flush=True)
                R["runs"].append(x)
    finally:
        soak.stop_all()
    sec, ratio, lq, lf = markdown(R)
    print(f"main-thread CPU per event wrk/quiet {ratio:.2f}x; lost quiet {lq} wrk {lf}")
    if a.results:
        soak.splice(a.results, sec, BEGIN, END)


if __name__ == "__main__":
    main()
