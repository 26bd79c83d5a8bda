#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""ebpfctl benchmarks against peers, run side by side (bench/run.sh builds
everything, then runs this).  Prints a table and writes bench/RESULTS.md.

1. Event pipeline: bench/loadgen (pinned to CPU 1) makes write(2) calls that
   bench/ev.bpf.c turns into 6-field events; the consumer (pinned to CPU 0)
   prints them as JSON lines to /dev/null: ebpfctl, bpftrace (printf of the
   same fields as JSON), and bench/floor (bare libbpf + stdio, same line).
   CPU = sum over the consumer's threads of /proc/PID/task/*/schedstat
   (field 1, ns on CPU) from just before the generator starts until the
   consumer has drained (CPU time stops growing), divided by the events it
   delivered.  Consumers interleave over ROUNDS rounds; medians compared.
   Then a sweep of offered rates: where each consumer starts losing events.
2. Scrape: bench/scrape.bpf.c fills a 100,000-entry hash counter (struct
   key) itself; median /metrics scrape vs `bpftool map dump -j id N` of the
   same live map vs bench/batchread (BPF_MAP_LOOKUP_BATCH alone).
3. Startup/footprint: exec -> first event line on stdout, and peak RSS
   (VmHWM), ebpfctl vs bpftrace on the same tracepoint.
5.-7. Kernel-side cost per event vs libbpf-tools, 10 objects in one run vs
   10 runs, the sampling profiler's CPU: bench/extra.py (its docstring);
   `bash bench/run.sh new` runs only those and splices them into RESULTS.md.
No timing asserts anywhere: figures are ratios of peers in the same run.
"""
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
B = os.path.join(ROOT, "build", "bench")
EBPFCTL = os.environ.get("BENCH_EBPFCTL", os.path.join(ROOT, "build", "ebpfctl"))
LOADGEN = os.path.join(B, "loadgen")
FLOOR = os.path.join(B, "floor")
BATCHREAD = os.path.join(B, "batchread")
EV_OBJ = os.path.join(B, "ev.bpf.o")
SCRAPE_OBJ = os.path.join(B, "scrape.bpf.o")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
PACED_RATE = 100000
PACED_SECONDS = float(os.environ.get("BENCH_SECONDS", "2"))
# (write(2) calls per second, events per call): 0 = the generator unpaced
SWEEP = [tuple(int(y) for y in x.split(":")) for x in
         os.environ.get("BENCH_SWEEP", "100000:1,200000:1,400000:1,0:1,100000:8,0:8").split(",")]
SWEEP_SECONDS = 1.0
MAX_RATE_COUNT = 600000          # calls in the unpaced ("max") sweep point (burst 1)
MAX_RATE_COUNT_BURST = 150000    # calls in an unpaced point with a burst
BPFTRACE_PAGES = "16384"         # per CPU: 64 MiB, so bpftrace loses nothing at 100k/s
CONSUMER_CPU, GEN_CPU = "0", "1"
PORT = 19391

BPFTRACE_PROG = r'''tracepoint:syscalls:sys_enter_write /pid == %d && (int32)args->fd < 0/ { %s
  printf("{\"time\":\"%%sZ\",\"map\":\"events\",\"event\":{\"ts\":%%llu,\"pid\":%%u,\"tid\":%%u,\"fd\":%%d,\"comm\":\"%%s\",\"path\":\"%%s\"}}\n",
         strftime("%%Y-%%m-%%dT%%H:%%M:%%S.%%f", nsecs), nsecs, pid, tid, (int32)args->fd, comm, str(args->buf, 64));
%s}'''


def log(*a):
    print(*a, file=sys.stderr, flush=True)


def cpu_ns(pid):
    total = 0
    try:
        for t in os.listdir(f"/proc/{pid}/task"):
            try:
                with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                    total += int(f.read().split()[0])
            except (FileNotFoundError, ProcessLookupError):
                pass
    except FileNotFoundError:
        pass
    return total


def vm_hwm_kb(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except FileNotFoundError:
        pass
    return 0


def bpf_map_rss_kb(pid):
    """Resident kB of the process's BPF map mappings (ring buffers: the kernel
    maps a ring's data pages twice and pre-faults them all at mmap time)."""
    total, name = 0, ""
    try:
        with open(f"/proc/{pid}/smaps") as f:
            for line in f:
                if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                    parts = line.split()
                    name = parts[5] if len(parts) > 5 else ""
                elif line.startswith("Rss:") and "bpf-map" in name:
                    total += int(line.split()[1])
    except FileNotFoundError:
        pass
    return total


def http_get(port, path="/metrics", timeout=30):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=timeout) as r:
        return r.read()


def metric(body, name, labels=None):
    pat = re.escape(name) + (r"\{" + re.escape(labels) + r"\}" if labels else r"(\{[^}]*\})?") + r" (\S+)"
    m = re.search(r"^" + pat + r"$", body, re.M)
    return float(m.group(m.lastindex)) if m else None


def attached_by(pid):
    """True once `pid` holds a perf event with a BPF program (tracepoint attach)."""
    try:
        out = subprocess.run(["bpftool", "perf", "show", "-j"], capture_output=True, text=True).stdout
        return any(e.get("pid") == pid for e in json.loads(out or "[]"))
    except (ValueError, OSError):
        return False


def wait_for(pred, timeout, what):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return
        time.sleep(0.02)
    raise RuntimeError(f"timed out waiting for {what}")


def stop_proc(p, sig=signal.SIGINT, timeout=15):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


# ---------------------------------------------------------------- consumers

class Consumer:
    name = "?"

    def start(self, tgid, stdout, burst=1):
        raise NotImplementedError

    def ready(self):
        return attached_by(self.p.pid)

    def finish(self, produced):
        """Stop; return (delivered, lost_reported)."""
        raise NotImplementedError


class Ebpfctl(Consumer):
    name = "ebpfctl"

    def start(self, tgid, stdout=subprocess.DEVNULL, burst=1):
        self.p = subprocess.Popen(["taskset", "-c", CONSUMER_CPU, EBPFCTL, "run", EV_OBJ, "--set",
                                   f"target_tgid={tgid}", "--set", f"burst={burst}", "--metrics-addr", f"127.0.0.1:{PORT}"],
                                  stdout=stdout, stderr=subprocess.PIPE, text=True)

    def ready(self):
        if self.p.poll() is not None:
            raise RuntimeError("ebpfctl exited: " + self.p.stderr.read())
        try:
            http_get(PORT, "/", timeout=1)
            return True
        except OSError:
            return False

    def finish(self, produced):
        body = http_get(PORT).decode()
        read = metric(body, "ebpfctl_events_read_total", 'map="events"')
        drops = metric(body, "ebpf_solo_io_rb_drops_total", 'key="0"')
        stop_proc(self.p)
        self.p.stderr.read()
        return int(read or 0), int(drops or 0)


class Bpftrace(Consumer):
    name = "bpftrace"
    pages = BPFTRACE_PAGES

    def start(self, tgid, stdout=subprocess.DEVNULL, burst=1):
        env = dict(os.environ)
        if self.pages:
            env["BPFTRACE_PERF_RB_PAGES"] = self.pages
        self.p = subprocess.Popen(["taskset", "-c", CONSUMER_CPU, "bpftrace", "-e", BPFTRACE_PROG % (
            tgid, f"unroll({burst}) {{" if burst > 1 else "", "}" if burst > 1 else "")],
                                  stdout=stdout, stderr=subprocess.PIPE, text=True, env=env)

    def ready(self):
        if self.p.poll() is not None:
            raise RuntimeError("bpftrace exited: " + self.p.stderr.read())
        return attached_by(self.p.pid)

    def finish(self, produced):
        stop_proc(self.p)
        err = self.p.stderr.read()
        lost = sum(int(x) for x in re.findall(r"Lost (\d+) events", err))
        return produced - lost, lost


class Floor(Consumer):
    name = "floor"

    def start(self, tgid, stdout=subprocess.DEVNULL, burst=1):
        self.p = subprocess.Popen(["taskset", "-c", CONSUMER_CPU, FLOOR, str(tgid), "0", str(burst)],
                                  stdout=stdout, stderr=subprocess.PIPE, text=True)
        line = self.p.stderr.readline()
        if "ready" not in line:
            raise RuntimeError("floor: " + line + self.p.stderr.read())

    def ready(self):
        return True

    def finish(self, produced):
        stop_proc(self.p)
        m = re.search(r"delivered (\d+) drops (\d+)", self.p.stderr.read())
        return int(m.group(1)), int(m.group(2))


class FloorLinger(Floor):
    """The floor with ebpfctl's 1 ms wakeup coalescing: like for like."""
    name = "floor-linger"

    def start(self, tgid, stdout=subprocess.DEVNULL, burst=1):
        self.p = subprocess.Popen(["taskset", "-c", CONSUMER_CPU, FLOOR, str(tgid), "1000", str(burst)],
                                  stdout=stdout, stderr=subprocess.PIPE, text=True)
        line = self.p.stderr.readline()
        if "ready" not in line:
            raise RuntimeError("floor: " + line + self.p.stderr.read())


class BpftraceDefault(Bpftrace):
    """bpftrace as installed (64 perf pages per CPU): for startup and RSS."""
    pages = None


CONSUMERS = [Ebpfctl, Bpftrace, Floor]
PACED = [Ebpfctl, Bpftrace, Floor, FloorLinger]


def pipeline_run(cls, rate, count, burst=1):
    gen = subprocess.Popen([LOADGEN, "-c", GEN_CPU, "-r", str(rate), "-n", str(count), "-w"],
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    c = cls()
    try:
        c.start(gen.pid, burst=burst)
        wait_for(c.ready, 60, f"{c.name} to attach")
        time.sleep(0.3)
        c0 = cpu_ns(c.p.pid)
        gen.stdin.write("go\n")
        gen.stdin.flush()
        out, _ = gen.communicate(timeout=120)
        produced = int(out.split()[1]) * burst
        gen_ns = int(out.split()[3])
        # drained: consumer CPU stops growing (bpftrace may be far behind)
        last, still = cpu_ns(c.p.pid), 0
        deadline = time.monotonic() + 60
        while still < 3 and time.monotonic() < deadline:
            time.sleep(0.1)
            now = cpu_ns(c.p.pid)
            still = still + 1 if now - last < 2_000_000 else 0
            last = now
        c1 = cpu_ns(c.p.pid)
        delivered, lost = c.finish(produced)
    finally:
        if gen.poll() is None:
            gen.kill()
            gen.wait()
        if getattr(c, "p", None) is not None and c.p.poll() is None:
            c.p.kill()
            c.p.wait()
    return dict(consumer=c.name, rate=rate, burst=burst, produced=produced, delivered=delivered, lost=lost,
                cpu_ns=c1 - c0, ns_per_event=(c1 - c0) / max(delivered, 1),
                offered_rate=produced / (gen_ns / 1e9))


# ---------------------------------------------------------------- output check

def check_identical_lines():
    """ebpfctl and the floor print the same bytes except the time value."""
    res = {}
    for cls in (Ebpfctl, Floor, Bpftrace):
        path = os.path.join(B, f"lines.{cls.name}.jsonl")
        with open(path, "w") as f:
            gen = subprocess.Popen([LOADGEN, "-c", GEN_CPU, "-r", "1000", "-n", "64", "-w"],
                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            c = cls()
            c.start(gen.pid, stdout=f)
            wait_for(c.ready, 60, f"{c.name} to attach")
            time.sleep(0.2)
            gen.stdin.write("go\n")
            gen.stdin.flush()
            produced = int(gen.communicate(timeout=30)[0].split()[1])
            time.sleep(0.5)
            c.finish(produced)
        with open(path) as f:
            lines = [ln for ln in f.read().splitlines() if ln.startswith("{")]
        objs = [json.loads(ln) for ln in lines]          # every line parses
        norm = [re.sub(r'"time":"[^"]*"', '"time":T', re.sub(r'"(ts|pid|tid)":\d+', r'"\1":N', ln))
                for ln in lines]
        res[cls.name] = dict(n=len(lines), norm=norm, sample=lines[0] if lines else "",
                             time_ok=all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z", o["time"])
                                         for o in objs))
    same = res["ebpfctl"]["norm"] == res["floor"]["norm"] and res["ebpfctl"]["n"] == 64
    return res, same


# ---------------------------------------------------------------- scrape

def bench_scrape(reps=7):
    p = subprocess.Popen([EBPFCTL, "run", SCRAPE_OBJ, "--set", f"target_tgid={os.getpid()}",
                          "--metrics-addr", f"127.0.0.1:{PORT + 1}"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        def up():
            try:
                http_get(PORT + 1, "/", timeout=1)
                return True
            except OSError:
                if p.poll() is not None:
                    raise RuntimeError("ebpfctl exited: " + p.stderr.read())
                return False
        wait_for(up, 30, "ebpfctl /metrics")
        os.getppid()                      # the probe fills 100,000 entries
        maps = json.loads(subprocess.run(["bpftool", "map", "show", "-j"], capture_output=True,
                                         text=True).stdout)
        ids = [m["id"] for m in maps if m.get("name") == "syscalls" and
               any(x.get("pid") == p.pid for x in m.get("pids", []))]
        if not ids:
            ids = [max(m["id"] for m in maps if m.get("name") == "syscalls")]
        mid = ids[0]
        wait_for(lambda: metric(http_get(PORT + 1).decode(), "ebpfctl_map_entries", 'map="syscalls"')
                 == 100000, 60, "100k entries")
        scrape, size, inner = [], 0, []
        bt, bt_size = [], 0
        floor = []
        for _ in range(reps):
            t0 = time.perf_counter()
            body = http_get(PORT + 1)
            scrape.append(time.perf_counter() - t0)
            size = len(body)
            inner.append(metric(body.decode(), "ebpfctl_scrape_duration_seconds"))
            t0 = time.perf_counter()
            out = subprocess.run(["bpftool", "map", "dump", "-j", "id", str(mid)], capture_output=True)
            bt.append(time.perf_counter() - t0)
            bt_size = len(out.stdout)
            out = subprocess.run([BATCHREAD, str(mid), "1"], capture_output=True, text=True).stdout
            n, ns = map(int, re.findall(r"\d+", out))
            floor.append(ns / 1e9)
            if n != 100000:
                raise RuntimeError(f"batchread saw {n} entries")
        samples = sum(1 for ln in body.decode().splitlines() if ln.startswith("ebpf_solo_io_syscalls_total{"))
        gz_t = []
        for _ in range(3):
            req = urllib.request.Request(f"http://127.0.0.1:{PORT + 1}/metrics",
                                         headers={"Accept-Encoding": "gzip"})
            t0 = time.perf_counter()
            with urllib.request.urlopen(req, timeout=30) as r:
                gz_size = len(r.read())
            gz_t.append(time.perf_counter() - t0)
        rss = vm_hwm_kb(p.pid)
    finally:
        stop_proc(p)
    return dict(scrape=statistics.median(scrape), scrape_min=min(scrape), scrape_max=max(scrape),
                inner=statistics.median(inner), body=size, samples=samples,
                gzip=statistics.median(gz_t), gzip_body=gz_size,
                bpftool=statistics.median(bt), bpftool_min=min(bt), bpftool_max=max(bt), bpftool_body=bt_size,
                floor=statistics.median(floor), floor_min=min(floor), floor_max=max(floor), rss_kb=rss)


# ---------------------------------------------------------------- startup

def startup_run(cls):
    gen = subprocess.Popen([LOADGEN, "-c", GEN_CPU, "-r", "2000", "-n", "0"], stdout=subprocess.DEVNULL)
    c = cls()
    try:
        t0 = time.perf_counter()
        c.start(gen.pid, stdout=subprocess.PIPE)
        first = None
        while True:
            line = c.p.stdout.readline()
            if not line:
                raise RuntimeError(f"{c.name} ended before its first event")
            if line.startswith("{") and '"event"' in line:
                first = time.perf_counter() - t0
                break
        threading.Thread(target=lambda: [None for _ in c.p.stdout], daemon=True).start()
        time.sleep(0.5)
        rss = vm_hwm_kb(c.p.pid)
        maps_kb = bpf_map_rss_kb(c.p.pid)
        c.finish(0)
    finally:
        gen.terminate()
        gen.wait()
        if c.p.poll() is None:
            c.p.kill()
            c.p.wait()
    return first, rss, maps_kb


# ---------------------------------------------------------------- main

def sh(cmd):
    try:
        return subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()
    except OSError:
        return "?"


def main():
    import extra
    results = {}
    t_start = time.monotonic()
    # libbpf (the floor) and bpftrace need tracefs and do not mount it; ebpfctl mounts it only when
    # absent and unmounts it at exit, so a global mount would race with other people's runs
    if extra.private_tracefs():
        log("== tracefs mounted in a private mount namespace for this run")
    log("== output check: identical lines (ebpfctl vs floor), bpftrace sample")
    lines, same = check_identical_lines()
    results["lines"] = (lines, same)
    log(f"   ebpfctl == floor (time, ts, pid, tid masked): {same}")

    log(f"== event pipeline: {ROUNDS} rounds x {len(PACED)} consumers at a paced {PACED_RATE}/s")
    paced = {c.name: [] for c in PACED}
    for r in range(ROUNDS):
        k = r % len(PACED)
        order = PACED[k:] + PACED[:k]
        for cls in order:
            res = pipeline_run(cls, PACED_RATE, int(PACED_RATE * PACED_SECONDS))
            paced[cls.name].append(res)
            log(f"   round {r + 1} {cls.name:9s} {res['ns_per_event']:8.0f} ns/event  "
                f"{res['delivered']}/{res['produced']} delivered")
    results["paced"] = paced

    log("== rate sweep (one run each, interleaved)")
    sweep = {c.name: {} for c in CONSUMERS}
    for rate, burst in SWEEP:
        for cls in CONSUMERS:
            count = int(rate * SWEEP_SECONDS) if rate else MAX_RATE_COUNT if burst == 1 else MAX_RATE_COUNT_BURST
            res = pipeline_run(cls, rate, count, burst)
            sweep[cls.name][(rate, burst)] = res
            log(f"   {rate or 'max':>7}x{burst} {cls.name:9s} offered {res['offered_rate'] / 1000:7.0f}k/s "
                f"{res['delivered']}/{res['produced']} delivered, {res['ns_per_event']:.0f} ns/event")
    results["sweep"] = sweep

    log("== scrape: 100,000-entry hash counter")
    sc = bench_scrape()
    results["scrape"] = sc
    log(f"   /metrics {sc['scrape'] * 1e3:.1f} ms, bpftool map dump -j {sc['bpftool'] * 1e3:.1f} ms, "
        f"batch lookup {sc['floor'] * 1e3:.1f} ms")

    log("== startup: exec -> first event, peak RSS (5 rounds, interleaved)")
    st = {"ebpfctl": [], "bpftrace": [], "floor": []}
    for _ in range(5):
        for cls in (Ebpfctl, BpftraceDefault, Floor):
            st[cls.name].append(startup_run(cls))
            log(f"   {cls.name:9s} first event {st[cls.name][-1][0] * 1e3:7.1f} ms, "
                f"peak RSS {st[cls.name][-1][1] / 1024:.1f} MiB")
    results["startup"] = st
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    texts, rows = extra.run(extra.SECTIONS, "`make bench`")
    results["elapsed"] = time.monotonic() - t_start
    write_results(results)
    with open(os.path.join(ROOT, "bench", "RESULTS.md")) as f:
        text = extra.splice(f.read(), texts, rows)
    with open(os.path.join(ROOT, "bench", "RESULTS.md"), "w") as f:
        f.write(text)
    print("\n".join(texts))


def sweep_label(key):
    rate, burst = key
    return f"{'max' if not rate else f'{rate // 1000}k calls/s'} x{burst}"


def med(xs):
    return statistics.median(xs)


def write_results(R):
    paced, sweep, sc, st = R["paced"], R["sweep"], R["scrape"], R["startup"]
    lines, same = R["lines"]
    cpu = {n: med([x["ns_per_event"] for x in runs]) for n, runs in paced.items()}
    rng = {n: (min(x["ns_per_event"] for x in runs), max(x["ns_per_event"] for x in runs))
           for n, runs in paced.items()}
    deliv = {n: (sum(x["delivered"] for x in runs), sum(x["produced"] for x in runs)) for n, runs in paced.items()}
    first = {n: med([x[0] for x in v]) for n, v in st.items()}
    mapkb = {n: med([x[2] for x in v]) for n, v in st.items()}
    rss = {n: med([x[1] for x in v]) for n, v in st.items()}

    def losing_at(name):
        best = 0
        for key in sorted(SWEEP, key=lambda k: sweep[name][k]["offered_rate"]):
            r = sweep[name][key]
            if r["delivered"] < r["produced"]:
                return f"{r['offered_rate'] / 1000:.0f}k events/s offered ({sweep_label(key)}): " \
                       f"{100 * (1 - r['delivered'] / r['produced']):.1f}% lost; lossless up to {best / 1000:.0f}k/s"
            best = max(best, r["offered_rate"])
        return f"none lost up to {best / 1000:.0f}k events/s (the most the generator reached with it)"

    r_bt = cpu["ebpfctl"] / cpu["bpftrace"]
    r_fl = cpu["ebpfctl"] / cpu["floor"]
    e_d, e_p = deliv["ebpfctl"]
    r_scrape = sc["bpftool"] / sc["scrape"]
    r_first = first["bpftrace"] / first["ebpfctl"]
    r_rss = rss["bpftrace"] / rss["ebpfctl"]
    ok = lambda b: "met" if b else "**missed**"
    targets = [
        ("CPU/event <= 1/5 of bpftrace", f"{r_bt:.3f}x bpftrace (1/{1 / r_bt:.1f})", ok(r_bt <= 0.2)),
        ("CPU/event <= 1.1x the floor", f"{r_fl:.2f}x floor (like for like, both coalescing wakeups: "
         f"{cpu['ebpfctl'] / cpu['floor-linger']:.2f}x floor-linger)", ok(r_fl <= 1.1)),
        ("nothing lost at a paced 100k/s", f"{e_d}/{e_p} delivered over {ROUNDS} runs", ok(e_d == e_p)),
        ("100k-entry scrape >= 5x faster than bpftool map dump -j", f"{r_scrape:.1f}x", ok(r_scrape >= 5)),
        ("first event >= 3x sooner than bpftrace", f"{r_first:.1f}x", ok(r_first >= 3)),
        ("peak RSS >= 10x smaller than bpftrace", f"{r_rss:.1f}x ({rss['ebpfctl'] / 1024:.1f} vs "
         f"{rss['bpftrace'] / 1024:.1f} MiB; without BPF map mappings "
         f"{(rss['bpftrace'] - mapkb['bpftrace']) / max(rss['ebpfctl'] - mapkb['ebpfctl'], 1):.1f}x)", ok(r_rss >= 10)),
    ]

    cpu_model = sh("grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-").strip()
    dirty = sh("git status --porcelain -uno -- runner ebpfctl include bench Makefile ':!bench/RESULTS.md'")
    commit = sh("git rev-parse --short HEAD") + (
        " + uncommitted changes in " + ", ".join(ln.split()[-1] for ln in dirty.splitlines()) if dirty else "")
    mitig = sh("grep -h . /sys/devices/system/cpu/vulnerabilities/spec_rstack_overflow 2>/dev/null") or "?"
    out = []
    w = out.append
    w("# ebpfctl benchmark results\n")
    w(f"Machine: kernel `{sh('uname -r')}`, {sh('nproc')} vCPUs, {cpu_model}, "
      f"{sh('. /etc/os-release; echo $PRETTY_NAME')}; SRSO: {mitig}.  ")
    w(f"Peers: {sh('bpftrace --version')}, {sh('bpftool version | head -1')}, libbpf "
      f"{sh('pkg-config --modversion libbpf')}.  ")
    w(f"Commit: `{commit}`, measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
      f"`make bench` took {R['elapsed']:.0f} s.  ")
    w("Method: bench/run.py (docstring); every figure is from this one run, peers side by side.\n")

    w("## Targets\n")
    w("| target | measured | |")
    w("|---|---|---|")
    for t in targets:
        w(f"| {t[0]} | {t[1]} | {t[2]} |")
    w("")

    w(f"## 1. Event pipeline (paced {PACED_RATE // 1000}k events/s, {int(PACED_RATE * PACED_SECONDS)} events "
      f"per run, {ROUNDS} interleaved rounds)\n")
    w("Consumer pinned to CPU 0, generator to CPU 1, JSON to /dev/null. CPU = the consumer's threads' "
      "schedstat run time from generator start to drained, per delivered event. `floor` is the bare "
      "libbpf reader as usually written (`ring_buffer__poll`, flush, poll again); `floor-linger` is the "
      "same reader with ebpfctl's wakeup coalescing (sleep 1 ms after a poll that read records).\n")
    w("| consumer | CPU ns/event (median) | min - max | delivered/produced | offered rate achieved | vs ebpfctl |")
    w("|---|---|---|---|---|---|")
    for n in ("ebpfctl", "floor", "floor-linger", "bpftrace"):
        d, p = deliv[n]
        offr = med([x["offered_rate"] for x in paced[n]])
        w(f"| {n} | {cpu[n]:.0f} | {rng[n][0]:.0f} - {rng[n][1]:.0f} | {d}/{p} | {offr / 1000:.0f}k/s | "
          f"{cpu[n] / cpu['ebpfctl']:.2f}x |")
    w("")
    w("The offered rate is what the generator achieved: a probe that costs more in the kernel (bpftrace's "
      "per-event perf-buffer wakeups) slows the generator below the pace asked for.\n")
    w("Per run (ns/event):\n")
    for n, runs in paced.items():
        w(f"- {n}: " + ", ".join(f"{x['ns_per_event']:.0f}" for x in runs))
    w("")
    w("### Rate sweep (one run per point; `max` = the generator unpaced; `xK` = K events per write(2))\n")
    w("| pace | " + " | ".join(f"{n}: delivered/produced (ns/event) at offered events/s" for n in sweep) + " |")
    w("|---|" + "---|" * len(sweep))
    for key in SWEEP:
        cells = []
        for n in sweep:
            r = sweep[n][key]
            cells.append(f"{r['delivered']}/{r['produced']} ({r['ns_per_event']:.0f}) at {r['offered_rate'] / 1000:.0f}k/s")
        w(f"| {sweep_label(key)} | " + " | ".join(cells) + " |")
    w("")
    for n in sweep:
        w(f"- {n} starts losing events at: {losing_at(n)}")
    w("")
    w("Output check (64 events each): ebpfctl and the floor print byte-identical lines with `time`, `ts`, "
      f"`pid`, `tid` masked: **{same}**; 9-digit RFC 3339 time: ebpfctl {lines['ebpfctl']['time_ok']}, "
      f"floor {lines['floor']['time_ok']}, bpftrace {lines['bpftrace']['time_ok']} (bpftrace 0.17's "
      "`strftime` `%f` has microseconds only, and its time is the event's, not the consumption's). Samples:\n")
    w("```")
    for n in ("ebpfctl", "floor", "bpftrace"):
        w(f"{n}: {lines[n]['sample']}")
    w("```\n")

    w("## 2. Scrape: hash counter, 100,000 entries, struct key, filled by the probe\n")
    w("| reader | median | min - max | output |")
    w("|---|---|---|---|")
    w(f"| ebpfctl `GET /metrics` (HTTP round trip) | {sc['scrape'] * 1e3:.1f} ms | "
      f"{sc['scrape_min'] * 1e3:.1f} - {sc['scrape_max'] * 1e3:.1f} ms | {sc['body']} bytes, "
      f"{sc['samples']} samples |")
    w(f"| ebpfctl, same with `Accept-Encoding: gzip` | {sc['gzip'] * 1e3:.1f} ms | | {sc['gzip_body']} bytes |")
    w(f"| ebpfctl's own `ebpfctl_scrape_duration_seconds` (read + render) | {sc['inner'] * 1e3:.1f} ms | | |")
    w(f"| `bpftool map dump -j id N` (whole process) | {sc['bpftool'] * 1e3:.1f} ms | "
      f"{sc['bpftool_min'] * 1e3:.1f} - {sc['bpftool_max'] * 1e3:.1f} ms | {sc['bpftool_body']} bytes |")
    w(f"| floor: `BPF_MAP_LOOKUP_BATCH` x1024, reading alone (bench/batchread) | {sc['floor'] * 1e3:.1f} ms | "
      f"{sc['floor_min'] * 1e3:.1f} - {sc['floor_max'] * 1e3:.1f} ms | |")
    w("")
    w(f"Scrape is {r_scrape:.1f}x faster than bpftool; {sc['scrape'] / sc['floor']:.1f}x the batch-read floor. "
      f"ebpfctl peak RSS with the 100k-entry map: {sc['rss_kb'] / 1024:.1f} MiB.\n")

    w("## 3. Startup and footprint (same tracepoint, generator at 2k writes/s, 5 interleaved runs)\n")
    w("bpftrace runs with its default buffers here (64 perf pages per CPU). `floor` (bench/floor.c, "
      "same probe and 4 MiB ring as ebpfctl) is shown for reference.\n")
    w("| tool | exec -> first event line (median) | all runs (ms) | peak RSS (VmHWM, median) | "
      "of which BPF map mappings | RSS without them |")
    w("|---|---|---|---|---|---|")
    for n in ("ebpfctl", "bpftrace", "floor"):
        mk = med([x[2] for x in st[n]])
        w(f"| {n} | {first[n] * 1e3:.0f} ms | " + ", ".join(f"{x[0] * 1e3:.0f}" for x in st[n]) +
          f" | {rss[n] / 1024:.1f} MiB | {mk / 1024:.1f} MiB | {(rss[n] - mk) / 1024:.1f} MiB |")
    w("")
    w(f"ebpfctl's first event comes {r_first:.1f}x sooner; its peak RSS is {r_rss:.1f}x smaller.\n")
    jw = os.path.join(B, "json_writer.txt")
    if os.path.exists(jw):
        w("## 4. The formatter alone (bench/json_writer.c, no BPF, no I/O)\n")
        w("```")
        w(open(jw).read().strip())
        w("```\n")
    notes = os.path.join(ROOT, "bench", "NOTES.md")
    if os.path.exists(notes):
        w("## Notes\n")
        w(open(notes).read().strip() + "\n")
    text = "\n".join(out)
    with open(os.path.join(ROOT, "bench", "RESULTS.md"), "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
