#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Sections 5-7 of bench/RESULTS.md (run by bench/run.py, or alone with
`bash bench/run.sh new`, or one of them: `bash bench/run.sh kcost|multi|profile`).

5. kcost: kernel-side cost per event of build/examples/{opensnoop,execsnoop}.bpf.o
   under ebpfctl against Debian's libbpf-tools builds of the same tools, on the
   same workload: bench/loadgen -m open (openat+close of /etc/hostname) at 50k/s
   and at 400/s (this one filtered in the kernel to the generator: ebpfctl
   --set target_comm=loadgen, libbpf-tools -p PID), or -m exec (fork + exec
   /bin/true) at 400/s, pinned to CPU 1; the tool pinned to CPU 0, stdout to
   /dev/null.  BPF run-time stats are on for the whole section (a
   BPF_ENABLE_STATS fd held by this script: the kernel refcounts it, so nobody
   else's sysctl write turns it off mid-run).  A tool's programs are the prog
   ids in its own /proc/PID/fdinfo (not a before/after diff of `bpftool prog
   show`, which other people's concurrent tests would pollute); their
   run_time_ns and run_cnt come from `bpftool prog show -j` just before the
   generator starts and after the consumer has drained.  Events = the increase
   of the tool's exit program's run_cnt (every openat/execve on the machine,
   the generator's and anybody else's: both tools trace system-wide, their
   default), or the generator's count for the filtered run; kernel ns/event =
   the increase of run_time_ns summed over all the tool's programs (entry +
   exit) / events.  Consumer CPU per event = utime+stime (/proc/PID/stat, 10 ms
   ticks) / events, and the same from schedstat (ns, all threads) since ticks
   are coarse for the execs; context switches from /proc/PID/task/*/status.
6. multi: 10 objects in one `ebpfctl run` vs 10 `ebpfctl run`s of one object
   each, all started at the same moment: time until every process's /metrics
   has ebpfctl_programs_attached equal to its objects' program count (from
   `ebpfctl check`), CPU time spent by then, and 1 s later, after one more
   scrape of each, the sum of VmRSS, of Pss (/proc/PID/smaps_rollup) and of the
   BPF map mappings' Rss and Pss.  Then the same with profile replaced by a
   copy of bashreadline (profile's symbolizer is a cost both layouts pay once).
7. profile: build/examples/profile.bpf.o --sample-freq 99 on both CPUs while
   `nice -n 19 loadgen -m spin -j 2` keeps both CPUs busy; ebpfctl's CPU
   (schedstat, all threads) over a PROFILE_SECONDS window after a warm-up, as
   % of one core: metrics only, --folded FILE --interval 1s, the same with
   --set target_pid=<the spinner>, and (reference) /metrics scraped every 5 s.

Every process started here is tracked and killed at the end (SIGINT first,
so ebpfctl detaches cleanly); every prog id seen is checked gone afterwards.
The section texts are spliced into bench/RESULTS.md (replacing the same
section if it is there), so a partial run keeps the other sections' tables.
"""
import ctypes
import glob
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build", "bench")
EX = os.path.join(ROOT, "build", "examples")
EBPFCTL = os.environ.get("BENCH_EBPFCTL", os.path.join(ROOT, "build", "ebpfctl"))
LOADGEN = os.path.join(B, "loadgen")
RESULTS = os.environ.get("BENCH_RESULTS", os.path.join(ROOT, "bench", "RESULTS.md"))
CONSUMER_CPU, GEN_CPU = "0", "1"
PORT = 19420

KC_ROUNDS = int(os.environ.get("BENCH_KC_ROUNDS", "3"))
OPEN_RATE, OPEN_N = 50000, int(os.environ.get("BENCH_OPEN_N", "100000"))
SLOW_RATE, SLOW_N = 400, int(os.environ.get("BENCH_SLOW_N", "2000"))   # opens one at a time
EXEC_RATE, EXEC_N = 400, int(os.environ.get("BENCH_EXEC_N", "2000"))
MULTI_ROUNDS = int(os.environ.get("BENCH_MULTI_ROUNDS", "3"))
MULTI_N = 10
# preferred objects for section 6: attach on 6.18 without kprobes/fentry and
# without an interface or cgroup target
MULTI_PREF = ["execsnoop", "opensnoop", "exitsnoop", "sigsnoop", "syscount", "tcpstates", "tcpconns",
              "runqlat", "profile", "bashreadline"]
PROFILE_SECONDS = float(os.environ.get("BENCH_PROFILE_SECONDS", "20"))
PROFILE_HZ = 99
PROFILE_WARMUP = 3.0             # s after attach before the window starts
PROFILE_SCRAPE_EVERY = 5.0       # the "scraped" variant: GET /metrics this often

SECTIONS = ("kcost", "multi", "profile")

# ---------------------------------------------------------------- helpers

PROCS = []          # every Popen started here
SEEN_IDS = set()    # every prog id of a tool measured here


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def spawn(cmd, **kw):
    p = subprocess.Popen(cmd, **kw)
    PROCS.append(p)
    return p


def stop(p, sig=signal.SIGINT, timeout=15):
    if p.poll() is None:
        try:
            p.send_signal(sig)
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def reap_all():
    for p in PROCS:
        if p.poll() is None:
            stop(p, timeout=5)
    PROCS.clear()


def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return "?"


def http_get(port, path="/metrics", timeout=5):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read().decode()


def metric(body, name, labels=None):
    pat = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else r"(\{[^}]*\})?") + r" (\S+)"
    m = re.search(r"^" + pat + r"$", body, re.M)
    return float(m.group(m.lastindex)) if m else None


def sched_ns(pid):
    """ns on CPU, summed over the process's threads (schedstat field 1)."""
    total = 0
    for f in glob.glob(f"/proc/{pid}/task/*/schedstat"):
        try:
            with open(f) as fh:
                total += int(fh.read().split()[0])
        except (OSError, ValueError):
            pass
    return total


TCK = os.sysconf("SC_CLK_TCK")


def ticks_s(pid):
    """utime + stime of the process (all threads), seconds."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            rest = f.read().rsplit(")", 1)[1].split()
        return (int(rest[11]) + int(rest[12])) / TCK
    except (OSError, IndexError, ValueError):
        return 0.0


def ctxsw(pid):
    """voluntary + involuntary context switches, summed over threads."""
    total = 0
    for f in glob.glob(f"/proc/{pid}/task/*/status"):
        try:
            with open(f) as fh:
                for line in fh:
                    if line.startswith(("voluntary_ctxt_switches:", "nonvoluntary_ctxt_switches:")):
                        total += int(line.split()[1])
        except (OSError, ValueError):
            pass
    return total


def status_kb(pid, field):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def bpf_map_kb(pid):
    """(Rss, Pss) kB of the process's BPF map mappings.  A ring buffer's data
    pages are mapped twice back to back, so its Rss counts them twice and its
    Pss once."""
    rss, pss, name = 0, 0, ""
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    parts = line.split()
                    name = parts[5] if len(parts) > 5 else ""
                elif "bpf-map" in name and line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif "bpf-map" in name and line.startswith("Pss:"):
                    pss += int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def prog_ids(pid):
    """Prog ids the process holds (prog fds and link fds, from fdinfo)."""
    ids = set()
    for f in glob.glob(f"/proc/{pid}/fdinfo/*"):
        try:
            with open(f) as fh:
                for line in fh:
                    if line.startswith("prog_id:"):
                        ids.add(int(line.split()[1]))
        except OSError:
            pass
    return ids


def bpftool_progs():
    out = subprocess.run(["bpftool", "prog", "show", "-j"], capture_output=True, text=True).stdout
    try:
        return {p["id"]: p for p in json.loads(out or "[]")}
    except ValueError:
        return {}


def perf_attached(pid):
    """Tracepoint/perf attachments the process holds (bpftool perf show)."""
    out = subprocess.run(["bpftool", "perf", "show", "-j"], capture_output=True, text=True).stdout
    try:
        return sum(1 for e in json.loads(out or "[]") if e.get("pid") == pid)
    except ValueError:
        return 0


def wait_for(pred, timeout, what, every=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(every)
    raise RuntimeError(f"timed out waiting for {what}")


class BpfStats:
    """BPF_ENABLE_STATS(BPF_STATS_RUN_TIME): on while the fd is open."""

    def __enter__(self):
        libc = ctypes.CDLL(None, use_errno=True)
        attr = (ctypes.c_uint8 * 16)()          # enable_stats.type = BPF_STATS_RUN_TIME (0)
        nr = {"x86_64": 321, "aarch64": 280}.get(os.uname().machine, 321)
        self.fd = libc.syscall(nr, 32, attr, 16)  # BPF_ENABLE_STATS = 32
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "bpf(BPF_ENABLE_STATS)")
        return self

    def __exit__(self, *a):
        os.close(self.fd)


_PRIVATE = False


def private_tracefs():
    """Run the rest of this script (and its children) in a private mount
    namespace with tracefs mounted: ebpfctl mounts tracefs itself when it is
    missing (and unmounts it at exit) but libbpf-tools do not, and a global
    mount would race with other people's tests, whose ebpfctl runs mount and
    unmount it too.  The namespace goes away with the processes.  Once per
    process; True if tracefs was mounted."""
    global _PRIVATE
    if _PRIVATE:
        return False
    _PRIVATE = True
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000):                                    # CLONE_NEWNS
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if libc.mount(b"none", b"/", None, 16384 | (1 << 18), None):    # MS_REC | MS_PRIVATE
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    if not any(os.path.isdir(d + "/events") for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")):
        if libc.mount(b"tracefs", b"/sys/kernel/tracing", b"tracefs", 0, None):
            raise OSError(ctypes.get_errno(), "mount tracefs")
        return True
    return False


def med(xs):
    return statistics.median(xs) if xs else float("nan")


# ---------------------------------------------------------------- 5. kernel cost

def peer_path(name):
    for line in sh("dpkg -L libbpf-tools 2>/dev/null").splitlines():
        if line.endswith("/" + name) and os.access(line, os.X_OK):
            return line
    return shutil.which(name) or f"/usr/sbin/{name}"


def peer_version():
    return sh("dpkg-query -W -f='${Version}' libbpf-tools 2>/dev/null") or "?"


def kc_tools():
    """workload label -> generator arguments and the two tools"""
    op = dict(ours=[os.path.join(EX, "opensnoop.bpf.o")], theirs=[peer_path("opensnoop")])
    return {
        f"opensnoop, {OPEN_RATE // 1000}k opens/s": dict(
            gen=["-m", "open", "-r", str(OPEN_RATE), "-n", str(OPEN_N)], **op),
        f"opensnoop, {SLOW_RATE} opens/s, only the generator's": dict(
            gen=["-m", "open", "-r", str(SLOW_RATE), "-n", str(SLOW_N)], filtered=True, **op),
        f"execsnoop, {EXEC_RATE} execs/s": dict(
            gen=["-m", "exec", "-r", str(EXEC_RATE), "-n", str(EXEC_N)],
            ours=[os.path.join(EX, "execsnoop.bpf.o")], theirs=[peer_path("execsnoop")]),
    }


def snap(pid, ids):
    progs = bpftool_progs()
    return dict(t=time.monotonic(), ticks=ticks_s(pid), sched=sched_ns(pid), cs=ctxsw(pid),
                progs={i: (progs[i]["name"], progs[i].get("run_time_ns", 0), progs[i].get("run_cnt", 0))
                       for i in ids if i in progs})


def kc_run(tool, side, port):
    t = kc_tools()[tool]
    gen = spawn([LOADGEN, "-c", GEN_CPU, "-w"] + t["gen"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    err = tempfile.TemporaryFile(mode="w+")
    if side == "ebpfctl":
        cmd = [EBPFCTL, "run"] + t["ours"] + ["--metrics-addr", f"127.0.0.1:{port}"]
        if t.get("filtered"):           # in the kernel, at entry: the comm
            cmd += ["--set", "target_comm=loadgen"]
    else:
        cmd = t["theirs"]
        if t.get("filtered"):           # in the kernel, at entry: the tgid
            cmd += ["-p", str(gen.pid)]
    c = spawn(["taskset", "-c", CONSUMER_CPU] + cmd, stdout=subprocess.DEVNULL, stderr=err)
    try:
        def ready():
            if c.poll() is not None:
                err.seek(0)
                raise RuntimeError(f"{side} {tool} exited: {err.read()[-2000:]}")
            ids = prog_ids(c.pid)
            return ids and perf_attached(c.pid) >= len(ids)
        wait_for(ready, 60, f"{side} {tool} to attach", every=0.05)
        ids = prog_ids(c.pid)
        SEEN_IDS.update(ids)
        time.sleep(0.5)
        s0 = snap(c.pid, ids)
        gen.stdin.write("go\n")
        gen.stdin.flush()
        out, _ = gen.communicate(timeout=300)
        produced, gen_ns = int(out.split()[1]), int(out.split()[3])
        last, still = sched_ns(c.pid), 0
        deadline = time.monotonic() + 10     # the neighbours' events may keep it busy for good
        while still < 3 and time.monotonic() < deadline:       # drained: CPU stops growing
            time.sleep(0.1)
            now = sched_ns(c.pid)
            still = still + 1 if now - last < 2_000_000 else 0
            last = now
        s1 = snap(c.pid, ids)
        read = None
        if side == "ebpfctl":
            read = metric(http_get(port), "ebpfctl_events_read_total", 'map="events"')
        stop(c)
    finally:
        for p in (gen, c):
            if p.poll() is None:
                p.kill()
                p.wait()
        err.close()
    progs = {}
    for i, (name, rt1, rc1) in s1["progs"].items():
        _, rt0, rc0 = s0["progs"].get(i, (name, 0, 0))
        progs[name] = (rt1 - rt0, rc1 - rc0)
    exits = [v[1] for k, v in progs.items() if "exit" in k]
    events = exits[0] if exits else max((v[1] for v in progs.values()), default=0)
    if t.get("filtered"):
        events = produced               # the programs still run for every other open: their cost counts
    run_ns = sum(v[0] for v in progs.values())
    return dict(tool=tool, side=side, produced=produced, offered=produced / (gen_ns / 1e9), events=events,
                read=read, kernel_ns=run_ns / max(events, 1), progs=progs,
                ticks=s1["ticks"] - s0["ticks"], sched=s1["sched"] - s0["sched"],
                cs_per_event=(s1["cs"] - s0["cs"]) / max(events, 1),
                user_ns_ticks=(s1["ticks"] - s0["ticks"]) * 1e9 / max(events, 1),
                user_ns_sched=(s1["sched"] - s0["sched"]) / max(events, 1))


def bench_kcost():
    res = {}
    with BpfStats():
        for tool in kc_tools():
            res[tool] = {"ebpfctl": [], "libbpf-tools": []}
            for r in range(KC_ROUNDS):
                order = ("ebpfctl", "libbpf-tools") if r % 2 == 0 else ("libbpf-tools", "ebpfctl")
                for side in order:
                    x = kc_run(tool, side, PORT)
                    res[tool][side].append(x)
                    log(f"   {tool} round {r + 1} {side:12s} kernel {x['kernel_ns']:7.0f} ns/event, consumer "
                        f"{x['user_ns_sched']:7.0f} ns/event (ticks {x['user_ns_ticks']:.0f}), "
                        f"{x['events']} events ({x['produced']} generated at {x['offered']:.0f}/s)")
    return res


# ---------------------------------------------------------------- 6. several objects

def multi_objects():
    """MULTI_N objects that `ebpfctl check` passes here, with their program
    counts; copies under distinct names if fewer distinct ones attach.  Only
    objects that export no metrics can be copied: two objects in one run
    exporting the same metric name are refused."""
    ok = []
    for name in MULTI_PREF:
        path = os.path.join(EX, name + ".bpf.o")
        if not os.path.exists(path):
            continue
        r = subprocess.run([EBPFCTL, "check", path], capture_output=True, text=True, timeout=60)
        m = re.search(r"^ok: .*?: (\d+) programs", r.stdout + r.stderr, re.M)
        if r.returncode == 0 and m:
            metrics = re.search(r"^  \S+ (counter|gauge|histogram)$", r.stdout, re.M) is not None
            ok.append((path, int(m.group(1)), metrics))
    copyable = [o for o in ok if not o[2]]
    if not ok or (len(ok) < MULTI_N and not copyable):
        raise RuntimeError("not enough example objects attach here")
    objs, copies = [o[:2] for o in ok[:MULTI_N]], 0
    i = 0
    while len(objs) < MULTI_N:
        src, n, _ = copyable[i % len(copyable)]
        objs.append((copy_as(src, i // len(copyable) + 2), n))
        copies += 1
        i += 1
    return objs, copies


def copy_as(src, k):
    d = os.path.join(B, "multi")
    os.makedirs(d, exist_ok=True)
    dst = os.path.join(d, os.path.basename(src).replace(".bpf.o", f"_{k}.bpf.o"))
    shutil.copyfile(src, dst)
    return dst


def multi_run(objs, single):
    """single: one process with every object; else one process per object."""
    groups = [objs] if single else [[o] for o in objs]
    errs = [tempfile.TemporaryFile(mode="w+") for _ in groups]
    t0 = time.perf_counter()
    ps = [spawn([EBPFCTL, "run"] + [o[0] for o in g] + ["--metrics-addr", f"127.0.0.1:{PORT + 1 + k}"],
                stdout=subprocess.DEVNULL, stderr=errs[k]) for k, g in enumerate(groups)]
    want = [sum(o[1] for o in g) for g in groups]
    ready_at, cpu_at = [None] * len(ps), [None] * len(ps)
    try:
        deadline = time.monotonic() + 60
        while None in ready_at:
            if time.monotonic() > deadline:
                raise RuntimeError("timed out waiting for programs_attached")
            for k, p in enumerate(ps):
                if ready_at[k] is not None:
                    continue
                if p.poll() is not None:
                    errs[k].seek(0)
                    raise RuntimeError(f"ebpfctl exited: {errs[k].read()[-2000:]}")
                try:
                    n = metric(http_get(PORT + 1 + k, timeout=1), "ebpfctl_programs_attached")
                except OSError:
                    continue
                if n is not None and int(n) == want[k]:
                    ready_at[k] = time.perf_counter() - t0
                    cpu_at[k] = (ticks_s(p.pid), sched_ns(p.pid))
            time.sleep(0.01)
        for p in ps:
            SEEN_IDS.update(prog_ids(p.pid))
        time.sleep(1.0)
        for k in range(len(ps)):        # one scrape each, as Prometheus would: same state in both layouts
            http_get(PORT + 1 + k, timeout=30)
        time.sleep(0.2)
        mem = [(status_kb(p.pid, "VmRSS"), pss_kb(p.pid)) + bpf_map_kb(p.pid) for p in ps]
        for p in ps:
            stop(p)
    finally:
        for p in ps:
            if p.poll() is None:
                p.kill()
                p.wait()
        for e in errs:
            e.close()
    return dict(procs=len(ps), ready=max(ready_at), ready_each=ready_at,
                cpu_ticks=sum(c[0] for c in cpu_at), cpu_sched=sum(c[1] for c in cpu_at) / 1e9,
                rss=sum(m[0] for m in mem), pss=sum(m[1] for m in mem), maps_rss=sum(m[2] for m in mem),
                maps=sum(m[3] for m in mem),
                programs=sum(want))


def no_profile_set(objs):
    """The same objects with profile (whose stack symbolizer loads kallsyms
    and libdw at the first scrape) replaced by a copy of bashreadline (one
    uprobe, a 256 KiB ring, no metrics, so a copy can share the run)."""
    names = [os.path.basename(o[0]) for o in objs]
    if "profile.bpf.o" not in names or "bashreadline.bpf.o" not in names:
        return None
    src = objs[names.index("bashreadline.bpf.o")]
    return [o for o in objs if os.path.basename(o[0]) != "profile.bpf.o"] + [(copy_as(src[0], 2), src[1])]


def bench_multi():
    objs, copies = multi_objects()
    sets = [("examples", objs)]
    alt = no_profile_set(objs)
    if alt:
        sets.append(("no-profile", alt))
    out = {}
    for key, ob in sets:
        log(f"   {key}: {', '.join(os.path.basename(o[0]) for o in ob)} ({sum(o[1] for o in ob)} programs)")
        res = {"one": [], "ten": []}
        for r in range(MULTI_ROUNDS):
            order = (True, False) if r % 2 == 0 else (False, True)
            for single in order:
                x = multi_run(ob, single)
                res["one" if single else "ten"].append(x)
                log(f"   round {r + 1} {'1 process ' if single else '10 processes'}: attached in "
                    f"{x['ready'] * 1e3:.0f} ms, RSS {x['rss'] / 1024:.1f} MiB, Pss {x['pss'] / 1024:.1f} MiB, "
                    f"BPF maps Pss {x['maps'] / 1024:.1f} MiB")
        out[key] = dict(objs=[(os.path.relpath(o[0], ROOT), o[1]) for o in ob], runs=res)
    out["copies"] = copies
    return out


# ---------------------------------------------------------------- 7. sampling profiler

def profile_run(variant, port):
    folded = os.path.join(B, "profile.folded")
    if os.path.exists(folded):
        os.unlink(folded)
    extra = ["--folded", folded, "--interval", "1s"] if variant.startswith("folded") else []
    err = tempfile.TemporaryFile(mode="w+")
    spin = spawn(["nice", "-n", "19", LOADGEN, "-m", "spin", "-j", str(os.cpu_count() or 2)],
                 stdout=subprocess.DEVNULL)
    if variant == "folded-pid":
        extra += ["--set", f"target_pid={spin.pid}"]
    p = spawn([EBPFCTL, "run", os.path.join(EX, "profile.bpf.o"), "--sample-freq", str(PROFILE_HZ),
               "--metrics-addr", f"127.0.0.1:{port}"] + extra, stdout=subprocess.DEVNULL, stderr=err)
    try:
        def up():
            if p.poll() is not None:
                err.seek(0)
                raise RuntimeError("ebpfctl exited: " + err.read()[-2000:])
            try:
                return metric(http_get(port, timeout=1), "ebpfctl_programs_attached") == 1
            except OSError:
                return False
        wait_for(up, 60, "profile attached", every=0.05)
        ids = prog_ids(p.pid)
        SEEN_IDS.update(ids)
        # warm-up: the first --folded writes (or the first scrape) with samples load the symbolizer
        # (kallsyms, libdw): a one-time cost left out of the steady-state window
        time.sleep(PROFILE_WARMUP)
        if variant == "scraped":
            http_get(port, timeout=30)
        s0 = snap(p.pid, ids)
        scrapes = []
        if variant == "scraped":
            t_end = s0["t"] + PROFILE_SECONDS
            nxt = s0["t"] + PROFILE_SCRAPE_EVERY / 2
            while nxt < t_end:
                time.sleep(max(0.0, nxt - time.monotonic()))
                t = time.perf_counter()
                http_get(port, timeout=30)
                scrapes.append(time.perf_counter() - t)
                nxt += PROFILE_SCRAPE_EVERY
            time.sleep(max(0.0, t_end - time.monotonic()))
        else:
            time.sleep(PROFILE_SECONDS)
        s1 = snap(p.pid, ids)
        body = http_get(port, timeout=30)
        mem = (status_kb(p.pid, "VmRSS"), pss_kb(p.pid))
        stop(p)
    finally:
        stop(p)
        stop(spin, signal.SIGTERM, timeout=5)
        err.close()
    wall = s1["t"] - s0["t"]
    rt = sum(v[1] for v in s1["progs"].values()) - sum(v[1] for v in s0["progs"].values())
    rc = sum(v[2] for v in s1["progs"].values()) - sum(v[2] for v in s0["progs"].values())
    res = dict(variant=variant, wall=wall, sched=s1["sched"] - s0["sched"], ticks=s1["ticks"] - s0["ticks"],
               pct=100 * (s1["sched"] - s0["sched"]) / (wall * 1e9),
               pct_ticks=100 * (s1["ticks"] - s0["ticks"]) / wall,
               samples=rc, kernel_ns=rt / max(rc, 1),
               stacks=metric(body, "ebpfctl_map_entries", 'map="samples"'), scrapes=scrapes,
               rss=mem[0], pss=mem[1])
    if extra and os.path.exists(folded):
        with open(folded) as f:
            lines = f.read().splitlines()
        res["folded_lines"] = len(lines)
        res["folded_bytes"] = os.path.getsize(folded)
        res["folded_samples"] = sum(int(ln.rsplit(" ", 1)[1]) for ln in lines if " " in ln)
        res["folded_spin"] = sum(int(ln.rsplit(" ", 1)[1]) for ln in lines if "spin_leaf" in ln)
    return res


def bench_profile():
    res = {}
    with BpfStats():
        for variant in ("plain", "folded", "folded-pid", "scraped"):
            x = profile_run(variant, PORT + 20)
            res[variant] = x
            log(f"   {variant:7s} consumer {x['pct']:.3f}% of a core (ticks {x['pct_ticks']:.2f}%), "
                f"{x['samples']} samples, {x['kernel_ns']:.0f} ns/sample in the kernel")
    return res


# ---------------------------------------------------------------- report

TARGETS = ("kernel ns/event <= libbpf-tools", "consumer CPU/event <= libbpf-tools",
           "10 objects in 1 run: < 1/2 the memory of 10 runs", "profile at 99 Hz: consumer < 1% of a core")


def ok(b):
    return "met" if b else "**missed**"


def render_kcost(res, meta):
    out = []
    w = out.append
    w(f"## 5. Kernel-side cost per event: ebpfctl's examples vs libbpf-tools ({KC_ROUNDS} interleaved rounds)\n")
    w(meta)
    w("Method: `build/examples/opensnoop.bpf.o` and `execsnoop.bpf.o` under `ebpfctl run` against Debian's "
      f"libbpf-tools `{peer_path('opensnoop')}` and `{peer_path('execsnoop')}` (bcc {peer_version()}), "
      "each with its defaults (system-wide, stdout to /dev/null), pinned to CPU 0. Workload: "
      f"`bench/loadgen -m open` ({OPEN_N} openat+close of one file at {OPEN_RATE // 1000}k/s, and {SLOW_N} at "
      f"{SLOW_RATE}/s: one event at a time, like the execs; this one filtered in the kernel to the generator, "
      "ebpfctl with `--set target_comm=loadgen`, libbpf-tools with `-p PID`, so the neighbours' opens do not "
      "batch it, and events = the generator's opens, the programs' time on everybody else's opens included) "
      "and `-m exec` "
      f"({EXEC_N} fork + exec of /bin/true at {EXEC_RATE}/s), pinned to CPU 1. BPF run-time stats are on "
      "(a `BPF_ENABLE_STATS` fd held by the harness); each tool's programs are the prog ids in its own "
      "`/proc/PID/fdinfo`, read with `bpftool prog show -j` before the generator starts and after the "
      "consumer has drained. Events (unfiltered rows) = what the tool's exit program ran for (the generator's "
      "calls plus whatever else the machine did meanwhile); kernel ns/event = run_time_ns of all the tool's programs "
      "(entry + exit) / events (per program ns/run: over all its runs, filtered ones included); consumer CPU/event = utime+stime from `/proc/PID/stat` / events, and the same "
      "from schedstat (ns, not 10 ms ticks); context switches from `/proc/PID/task/*/status`. Goal: ebpfctl at or below libbpf-tools on both.\n")
    w("| workload | implementation | kernel ns/event (median) | min - max | per program ns/run (median) | "
      "consumer CPU ns/event, schedstat (median) | utime+stime ns/event (median) | consumer context switches/event | "
      "events/run (generated) | generator rate achieved |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    summary = {}
    for tool, sides in res.items():
        for side, runs in sides.items():
            kn = [x["kernel_ns"] for x in runs]
            per = {}
            for x in runs:
                for name, (rt, rc) in x["progs"].items():
                    per.setdefault(name, []).append(rt / max(rc, 1))
            pstr = ", ".join(f"`{n}` {med(v):.0f}" for n, v in sorted(per.items(), key=lambda kv: "exit" in kv[0]))
            summary[(tool, side)] = (med(kn), med([x["user_ns_sched"] for x in runs]),
                                     med([x["user_ns_ticks"] for x in runs]))
            w(f"| {tool} | {side} | {med(kn):.0f} | {min(kn):.0f} - {max(kn):.0f} | {pstr} | "
              f"{summary[(tool, side)][1]:.0f} | {summary[(tool, side)][2]:.0f} | "
              f"{med([x['cs_per_event'] for x in runs]):.2f} | {med([x['events'] for x in runs]):.0f} ({runs[0]['produced']}) | "
              f"{med([x['offered'] for x in runs]):.0f}/s |")
    w("")
    w("| goal | " + " | ".join(res) + " | |")
    w("|---|" + "---|" * len(res) + "---|")
    rows = []
    for i, label in ((0, TARGETS[0]), (1, TARGETS[1])):
        cells, met = [], True
        for tool in res:
            a, b = summary[(tool, "ebpfctl")][i], summary[(tool, "libbpf-tools")][i]
            cells.append(f"{a:.0f} vs {b:.0f} ns ({a / b:.2f}x)")
            met = met and a <= b
        w(f"| {label} | " + " | ".join(cells) + f" | {ok(met)} |")
        rows.append((label, "; ".join(f"{t} {c}" for t, c in zip(res, cells)), ok(met)))
    w("")
    w("Per run (kernel ns/event / consumer ns/event):\n")
    for tool, sides in res.items():
        for side, runs in sides.items():
            w(f"- {tool} {side}: " + ", ".join(f"{x['kernel_ns']:.0f} / {x['user_ns_sched']:.0f}" for x in runs))
    w("")
    return "\n".join(out), rows


def render_multi(res, meta):
    main = res["examples"]
    names = ", ".join(f"`{os.path.basename(o).replace('.bpf.o', '')}` ({n})" for o, n in main["objs"])
    out = []
    w = out.append
    w(f"## 6. Several objects: 10 in one `ebpfctl run` vs 10 runs of one each ({MULTI_ROUNDS} interleaved rounds)\n")
    w(meta)
    w(f"Objects (programs each): {names}; {sum(n for _, n in main['objs'])} programs in all"
      + (f", {res['copies']} of them copies under other names (fewer distinct examples attach here)" if res["copies"]
         else ", the distinct examples that pass `ebpfctl check` on this kernel without an interface or cgroup "
              "target") + ". "
      "Method: the one process, or all 10, started at the same moment, each with its own `--metrics-addr`, "
      "stdout to /dev/null; startup = until every process's `/metrics` reports `ebpfctl_programs_attached` "
      "equal to its objects' program count (polled every 10 ms); startup CPU = utime+stime (and schedstat) of "
      "all processes at that moment. Memory 1 s later, after one more `/metrics` scrape of every process (as "
      "Prometheus would do), summed over the processes: VmRSS, Pss "
      "(`/proc/PID/smaps_rollup`: shared library pages divided among the processes that map them), and the "
      "Rss and Pss of the BPF map mappings (ring buffers, mapped and pre-faulted by libbpf's reader in either "
      "layout; the data pages are mapped twice, so Rss counts them twice and Pss once). "
      "Kernel memory of the maps themselves is the same in both layouts and not counted. A scrape with "
      "samples in `profile`'s map loads its stack symbolizer (kallsyms, libdw) in whichever process holds "
      "`profile`, once in either layout; the second set replaces `profile` by a copy of `bashreadline` to show the layouts without it. "
      "Goal: the one process below half of the 10 processes (Pss, the 10 examples).\n")
    w("| objects | layout | processes | startup until all attached (median) | all runs (ms) | "
      "startup CPU, utime+stime (schedstat) | sum VmRSS | of which BPF map mappings | sum Pss | "
      "of which BPF map mappings | Pss without them |")
    w("|---|---|---|---|---|---|---|---|---|---|---|")
    agg = {}
    for key, label_set in (("examples", "10 examples"), ("no-profile", "`profile` replaced by `bashreadline_2`")):
        if key not in res:
            continue
        for lay, label in (("one", "one run, 10 objects"), ("ten", "10 runs, 1 object each")):
            runs = res[key]["runs"][lay]
            a = dict(ready=med([x["ready"] for x in runs]), cpu=med([x["cpu_ticks"] for x in runs]),
                     cpu_s=med([x["cpu_sched"] for x in runs]), rss=med([x["rss"] for x in runs]),
                     pss=med([x["pss"] for x in runs]), maps=med([x["maps"] for x in runs]),
                     maps_rss=med([x["maps_rss"] for x in runs]))
            agg[(key, lay)] = a
            w(f"| {label_set} | {label} | {runs[0]['procs']} | {a['ready'] * 1e3:.0f} ms | "
              + ", ".join(f"{x['ready'] * 1e3:.0f}" for x in runs) +
              f" | {a['cpu'] * 1e3:.0f} ms ({a['cpu_s'] * 1e3:.0f} ms) | {a['rss'] / 1024:.1f} MiB | "
              f"{a['maps_rss'] / 1024:.1f} MiB | {a['pss'] / 1024:.1f} MiB | {a['maps'] / 1024:.1f} MiB | {(a['pss'] - a['maps']) / 1024:.1f} MiB |")
    w("")

    def ratios(key):
        o, t = agg[(key, "one")], agg[(key, "ten")]
        return (o["pss"] / t["pss"],
                f"Pss {o['pss'] / t['pss']:.2f}x ({o['pss'] / 1024:.1f} vs {t['pss'] / 1024:.1f} MiB), "
                f"VmRSS {o['rss'] / t['rss']:.2f}x, Pss without BPF map mappings "
                f"{(o['pss'] - o['maps']) / max(t['pss'] - t['maps'], 1):.2f}x; startup "
                f"{o['ready'] / t['ready']:.2f}x the time, {o['cpu_s'] / max(t['cpu_s'], 1e-9):.2f}x the CPU")
    r_pss, meas = ratios("examples")
    w("| goal | one run / 10 runs | |")
    w("|---|---|---|")
    w(f"| {TARGETS[2]} (Pss, 10 examples) | {meas} | {ok(r_pss < 0.5)} |")
    if ("no-profile", "one") in agg:
        r2, meas2 = ratios("no-profile")
        w(f"| the same without `profile` (for reference) | {meas2} | {ok(r2 < 0.5)} |")
    w("")
    return "\n".join(out), [(TARGETS[2], meas, ok(r_pss < 0.5))]


def render_profile(res, meta):
    out = []
    w = out.append
    w(f"## 7. Sampling: `profile.bpf.o --sample-freq {PROFILE_HZ}` on busy CPUs ({PROFILE_SECONDS:.0f} s per variant)\n")
    w(meta)
    w(f"Method: `nice -n 19 bench/loadgen -m spin -j 2` (two threads, one pinned to each CPU, each in a loop "
      "three frames deep, built with frame pointers) keeps both CPUs busy while `ebpfctl run build/examples/profile.bpf.o "
      f"--sample-freq {PROFILE_HZ}` samples every CPU (not pinned, stdout to /dev/null). After attach and "
      f"{PROFILE_WARMUP:.0f} s of warm-up (the first `--folded` write or scrape with samples loads the symbolizer: "
      "kallsyms and libdw, a one-time ~0.1 s), ebpfctl's CPU time (schedstat over all threads; utime+stime as a cross-check) over "
      f"{PROFILE_SECONDS:.0f} s of wall time, as % of one core; samples and kernel ns/sample from BPF stats "
      "on the profile program. Second variant: `--folded FILE --interval 1s` (the stack counter map is read, "
      "symbolized and the file rewritten every second). The machine is shared, so the samples also hold "
      "whatever else runs (other people's builds and tests: many short-lived processes and large binaries); "
      "the third variant counts only the spinner's samples (`--set target_pid=`) to separate the profiler's "
      "own cost from the cost of symbolizing the neighbours' stacks. Fourth, for reference: no `--folded`, "
      f"`/metrics` (whose `kstack`/`ustack` labels are symbolized stacks) fetched every {PROFILE_SCRAPE_EVERY:.0f} s "
      "by the harness. Goal: under 1% of a core for the two variants asked for (metrics only, and `--folded`).\n")
    w("| variant | consumer CPU, % of one core | utime+stime % | samples (BPF runs) | kernel ns/sample | "
      "distinct keys in `samples` | VmRSS / Pss at the end | output |")
    w("|---|---|---|---|---|---|---|---|")
    labels = {"plain": "nothing reads it (metrics not scraped)", "folded": "`--folded FILE --interval 1s`",
              "folded-pid": "the same, `--set target_pid=` the spinner (only its samples are counted)",
              "scraped": f"`/metrics` scraped every {PROFILE_SCRAPE_EVERY:.0f} s"}
    for v, x in res.items():
        fo = (f"{x['folded_lines']} lines, {x['folded_bytes']} bytes, {x['folded_samples']} samples "
              f"({x['folded_spin']} in `spin_leaf`)") if "folded_lines" in x else \
            (f"{len(x['scrapes'])} scrapes, " + ", ".join(f"{t * 1e3:.0f}" for t in x["scrapes"]) + " ms each")  \
            if x.get("scrapes") else "-"
        w(f"| {labels[v]} | {x['pct']:.3f}% | {x['pct_ticks']:.2f}% | {x['samples']} (expected ~"
          f"{PROFILE_HZ * (os.cpu_count() or 2) * x['wall']:.0f}) | {x['kernel_ns']:.0f} | {x['stacks']:.0f} | "
          f"{x['rss'] / 1024:.1f} / {x['pss'] / 1024:.1f} MiB | {fo} |")
    w("")
    goal = {v: x for v, x in res.items() if v in ("plain", "folded")}
    worst = max(x["pct"] for x in goal.values())
    meas = ", ".join(f"{labels[v]} {x['pct']:.3f}%" for v, x in goal.items())
    w("| goal | measured | |")
    w("|---|---|---|")
    w(f"| {TARGETS[3]} | {meas} | {ok(worst < 1)} |")
    w("")
    return "\n".join(out), [(TARGETS[3], meas, ok(worst < 1))]


def splice(text, sections, target_rows):
    """Replace (or insert before ## Notes) each '## N.' section; replace the
    new goals' rows in the Targets table."""
    chunks = re.split(r"(?m)^(?=## )", text)
    for sec in sections:
        num = re.match(r"## (\d+)\.", sec).group(1)
        idx = [i for i, c in enumerate(chunks) if c.startswith(f"## {num}.")]
        if idx:
            chunks[idx[0]] = sec.rstrip("\n") + "\n\n"
            continue
        later = [i for i, c in enumerate(chunks) if c.startswith("## Notes") or
                 (re.match(r"## (\d+)\.", c) and int(re.match(r"## (\d+)\.", c).group(1)) > int(num))]
        chunks.insert(later[0] if later else len(chunks), sec.rstrip("\n") + "\n\n")
    notes = os.path.join(ROOT, "bench", "NOTES.md")
    for i, c in enumerate(chunks):
        if c.startswith("## Notes") and os.path.exists(notes):      # the notes as they are now
            with open(notes) as f:
                chunks[i] = "## Notes\n\n" + f.read().strip() + "\n"
        if c.startswith("## Targets"):
            lines = c.rstrip("\n").split("\n")
            rows = {ln.split(" | ")[0][2:]: ln for ln in lines if ln.startswith("| ")}
            rows.update({a: f"| {a} | {b} | {c_} |" for a, b, c_ in target_rows})
            keep = [ln for ln in lines if not (ln.startswith("| ") and ln.split(" | ")[0][2:] in TARGETS)]
            keep += [rows[t] for t in TARGETS if t in rows]          # sections 5-7's goals, in order
            chunks[i] = "\n".join(keep) + "\n\n"
    return "".join(chunks)


def meta_line(elapsed, how, load):
    dirty = sh("git status --porcelain -uno -- runner ebpfctl include bench examples Makefile ':!bench/RESULTS.md'")
    commit = sh("git rev-parse --short HEAD") + (
        " + uncommitted changes in " + ", ".join(ln.split()[-1] for ln in dirty.splitlines()) if dirty else "")
    return (f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, commit `{commit}`, "
            f"kernel `{sh('uname -r')}`, {how}, this section took {elapsed:.0f} s; load average before it: {load}.\n")


def run(sections, how):
    """Run the given sections; return (texts, target rows)."""
    texts, rows = [], []
    if private_tracefs():
        log("   (tracefs mounted in a private mount namespace for this run)")
    try:
        for s in sections:
            t0 = time.monotonic()
            load = sh("cut -d' ' -f1-3 /proc/loadavg")
            if s == "kcost":
                log(f"== kernel-side cost per event: opensnoop/execsnoop, ebpfctl vs libbpf-tools, {KC_ROUNDS} rounds")
                res = bench_kcost()
                txt, r = render_kcost(res, meta_line(time.monotonic() - t0, how, load))
            elif s == "multi":
                log(f"== several objects: 1 run of {MULTI_N} vs {MULTI_N} runs of 1, {MULTI_ROUNDS} rounds")
                res = bench_multi()
                txt, r = render_multi(res, meta_line(time.monotonic() - t0, how, load))
            elif s == "profile":
                log(f"== sampling profiler at {PROFILE_HZ} Hz, {PROFILE_SECONDS:.0f} s per variant")
                res = bench_profile()
                txt, r = render_profile(res, meta_line(time.monotonic() - t0, how, load))
            else:
                raise ValueError(s)
            texts.append(txt)
            rows += r
    finally:
        reap_all()
        check_unloaded()
    return texts, rows


def check_unloaded():
    left = set()
    end = time.monotonic() + 10
    while time.monotonic() < end:
        left = SEEN_IDS & set(bpftool_progs())
        if not left:
            break
        time.sleep(0.2)
    if left:
        log(f"warning: {len(left)} BPF program(s) of this run still loaded: ids {sorted(left)}")
    else:
        log(f"   all {len(SEEN_IDS)} BPF programs of this run are unloaded")


def main(argv):
    want = []
    for a in argv or ["new"]:
        want += list(SECTIONS) if a in ("new", "attach", "all") else [a]
    for a in want:
        if a not in SECTIONS:
            log(f"error: bench: unknown section '{a}' (expected new, {', '.join(SECTIONS)})")
            return 64
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    t0 = time.monotonic()
    texts, rows = run(want, f"`bash bench/run.sh {' '.join(argv or ['new'])}`")
    with open(RESULTS) as f:
        old = f.read()
    new = splice(old, texts, rows)
    with open(RESULTS, "w") as f:
        f.write(new)
    print("\n".join(texts))
    log(f"bench: sections {', '.join(want)} took {time.monotonic() - t0:.0f} s; bench/RESULTS.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
