#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Soak: ebpfctl on bench/ev.bpf.c for a long time at a steady fraction of its measured maximum
rate, scraped every second, every JSON line and every scrape parsed.  bench/soak.sh builds the
probe and the generator and runs this; tests/deploy/test_soak.py runs the same code for ~60 s.

1. Max rate (the method of bench/run.py's `max x1` sweep point): bench/loadgen unpaced (as fast
   as one thread can call write(2)), pinned to CPU 1, ebpfctl pinned to CPU 0 with its stdout on
   /dev/null; the rate is lossless when ebpfctl_events_read_total reaches what the generator
   produced and the probe's ring-buffer reserve failures (rb_drops) and ebpfctl_events_lost_total
   stay 0.  If the unpaced generator loses events, paced rates are bisected down to a lossless
   one.  The same is then measured with the soak's pipeline (stdout into the JSON parser, which
   may then hold only 1 MiB: no burst credit), because json.loads of every line is slower than
   ebpfctl.
2. Soak at FRACTION (default 0.3) of the lower of the two rates for the given time: loadgen paced (1 ms batches,
   CPU 1), ebpfctl unpinned with its stdout piped into a separate parser process (this script,
   --parse-lines) that json.loads() every line and checks its shape and the generator's fd
   sequence (fd = -1 - (i mod 1024): a lost, duplicated or reordered line breaks it).  The main
   process scrapes /metrics once a second (a new connection each time, like a Prometheus that
   does not keep connections alive), checks status and Content-Type, parses every body with the
   strict text-format 0.0.4 parser below, checks that counters never go down, runs
   `promtool check metrics` on every PROMTOOL_EVERY-th body, and samples VmRSS/VmHWM/RssAnon, the
   thread count and the fd count (/proc/PID/status, /proc/PID/fd) every SAMPLE_EVERY seconds.
   At the end: produced (the generator's count) = read (ebpfctl_events_read_total) = lines parsed,
   nothing lost, no parse failure.  The parser's reader thread holds up to 1 GiB in memory, so
   the instrument does not push back on ebpfctl's stdout when its workers fall behind.  To tell
   a loss's cause: a monitor thread records every time this process was not run for >100 ms
   (machine stalls), each scrape records ebpfctl's main-thread wchan (anon_pipe_write = waiting
   for the parser), and each loss episode how many events the generator made in that second
   (bench/loadgen paces by counting ticks, so it catches up in a burst after a stall).

Everything runs at nice SOAK_NICE (-10): the VM is shared with other people's builds, fuzzers and
TCG guests.  Results go to --json (every figure) and, with --results, into a section between
<!-- soak:begin --> and <!-- soak:end --> of bench/RESULTS.md.

Runs in a private mount namespace with tracefs mounted there (as bench/extra.py does): other
people's ebpfctl runs mount and unmount tracefs globally.  Every process is started and stopped
by PID; the program id ebpfctl loaded is checked to be gone at the end.
"""
import argparse
import ctypes
import http.client
import json
import math
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EBPFCTL = os.environ.get("SOAK_EBPFCTL", os.path.join(ROOT, "build", "ebpfctl"))
B = os.environ.get("SOAK_BUILD", os.path.join(ROOT, "build", "soak"))
CONSUMER_CPU, GEN_CPU = "0", "1"
SAMPLE_EVERY = 2.0
PROMTOOL_EVERY = 10
# every process of the run (ebpfctl, the generator, the parser) runs at this nice value: on this
# shared VM two TCG qemu guests keep both vCPUs busy (CPU pressure "some" ~80%), and at nice 0 a
# first 30-minute run lost events in one stall; the soak is about ebpfctl, not the neighbours
NICE = int(os.environ.get("SOAK_NICE", "-10"))
# the line parser (pure Python json.loads, ~150-200k lines/s on one idle vCPU) may get its own
PARSER_NICE = int(os.environ["SOAK_PARSER_NICE"]) if os.environ.get("SOAK_PARSER_NICE") else None
PARSERS = int(os.environ.get("SOAK_PARSERS", "2"))      # json.loads worker processes
QUEUE_MAX = 1 << 30     # bytes of ebpfctl output the parser may hold while its workers catch up
QUEUE_MAX_RATE = 1 << 20    # ... when measuring what the pipeline sustains (no burst credit)

PROCS = []          # every process this script started: stopped by PID at exit


def log(*a):
    print(*a, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the JSON line parser (children)

EV_KEYS = {"time", "map", "event"}
EVENT_KEYS = {"ts", "pid", "tid", "fd", "comm", "path"}
TIME_RE = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z\Z")
FD_RE = re.compile(rb'"fd":(-?\d+),')


def _nice():
    if PARSER_NICE is None:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, 0, PARSER_NICE)
    except OSError:
        pass


def _read_exact(fd, n):
    parts = []
    while n:
        b = os.read(fd, min(n, 1 << 20))
        if not b:
            raise EOFError
        parts.append(b)
        n -= len(b)
    return b"".join(parts)


def parse_worker_main():
    """Parse chunks of whole lines (4-byte length + bytes, on fd 0) with json.loads, line by
    line; check each line's shape and the fd sequence inside the chunk.  Totals on stdout at EOF."""
    _nice()
    loads = json.loads
    n = fail = gaps = bad_time = 0
    first_fail = []
    while True:
        try:
            size = int.from_bytes(_read_exact(0, 4), "little")
        except EOFError:
            break
        chunk = _read_exact(0, size)
        prev_fd = None
        for ln in chunk.split(b"\n")[:-1]:
            n += 1
            try:
                o = loads(ln)
                ev = o["event"]
                if o.keys() != EV_KEYS or ev.keys() != EVENT_KEYS or o["map"] != "events" or \
                        ev["comm"] != "loadgen" or type(ev["fd"]) is not int:
                    raise ValueError("unexpected shape")
            except Exception as e:      # noqa: BLE001  every failure counts, whatever it is
                fail += 1
                if len(first_fail) < 5:
                    first_fail.append(f"{e!r}: {ln[:300]!r}")
                prev_fd = None
                continue
            fd = ev["fd"]
            if prev_fd is not None and fd != (-1 if prev_fd == -1024 else prev_fd - 1):
                gaps += 1
            prev_fd = fd
            if (n & 1023) == 0 and not TIME_RE.match(o["time"]):   # the time format, sampled
                bad_time += 1
    print(json.dumps(dict(lines=n, failures=fail, gaps=gaps, bad_time=bad_time, first_failures=first_fail)),
          flush=True)


def parse_lines_main(status_path, queue_max=QUEUE_MAX):
    """Read ebpfctl's stdout on fd 0 to EOF and hand it, cut at line ends, to PARSERS worker
    processes (one Python thread cannot json.loads 100k+ lines/s here); check the fd sequence
    across the cuts.  A reader thread drains the pipe into memory as fast as it can (up to
    queue_max bytes: QUEUE_MAX in the soak, 1 MiB when measuring the pipeline's maximum), so that the parser never pushes back on ebpfctl: when the VM stalls and
    the paced generator catches up in a burst, the workers fall behind for a while, not ebpfctl's
    write(2) to its stdout.  Writes a status JSON to status_path every ~2 s and the final one at
    EOF (also printed on stdout)."""
    import queue
    _nice()
    try:
        import fcntl
        fcntl.fcntl(0, 1031, 1 << 20)      # F_SETPIPE_SZ: 1 MiB of slack (~5k lines)
    except OSError:
        pass
    workers = [subprocess.Popen([sys.executable, os.path.abspath(__file__), "--parse-worker"],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE) for _ in range(PARSERS)]
    for w in workers:
        try:
            import fcntl
            fcntl.fcntl(w.stdin.fileno(), 1031, 1 << 20)
        except OSError:
            pass
    n = nbytes = cut_gaps = chunks = 0
    rest = b""
    prev_fd = None
    last_status = time.monotonic()
    extra_fail = []
    q = queue.Queue(maxsize=max(1, queue_max >> 20))      # chunks of up to 1 MiB
    lag = dict(into=0, out=0, max=0)              # bytes read / handed to a worker (one writer each)

    def reader():
        while True:
            b = os.read(0, 1 << 20)
            lag["into"] += len(b)
            lag["max"] = max(lag["max"], lag["into"] - lag["out"])
            q.put(b)
            if not b:
                return
    threading.Thread(target=reader, daemon=True).start()

    def status(final=False, tot=None):
        st = dict(lines=n, bytes=nbytes, chunks=chunks, final=final, queue_max=lag["max"])
        if tot:
            st.update(tot)
        tmp = status_path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(st, f)
        os.replace(tmp, status_path)
        return st

    while True:
        chunk = q.get()
        if not chunk:
            break
        lag["out"] += len(chunk)
        nbytes += len(chunk)
        buf = rest + chunk
        cut = buf.rfind(b"\n") + 1
        if not cut:
            rest = buf
            continue
        whole, rest = buf[:cut], buf[cut:]
        n += whole.count(b"\n")
        # the fd sequence across this cut: previous chunk's last line -> this chunk's first line
        first_nl = whole.find(b"\n")
        m = FD_RE.search(whole, 0, first_nl)
        if m and prev_fd is not None:
            fd = int(m.group(1))
            if fd != (-1 if prev_fd == -1024 else prev_fd - 1):
                cut_gaps += 1
        last_start = whole.rfind(b"\n", 0, len(whole) - 1) + 1
        m = FD_RE.search(whole, last_start)
        prev_fd = int(m.group(1)) if m else None
        w = workers[chunks % len(workers)]
        w.stdin.write(len(whole).to_bytes(4, "little") + whole)
        w.stdin.flush()
        chunks += 1
        now = time.monotonic()
        if now - last_status > 2:
            status()
            last_status = now
    tot = dict(failures=0, gaps=cut_gaps, bad_time=0, first_failures=[], worker_lines=0)
    for w in workers:
        w.stdin.close()
        r = json.loads(w.stdout.read())
        w.wait()
        tot["worker_lines"] += r["lines"]
        for k in ("failures", "gaps", "bad_time"):
            tot[k] += r[k]
        tot["first_failures"] += r["first_failures"]
    if tot["worker_lines"] != n:
        tot["failures"] += abs(n - tot["worker_lines"])
        extra_fail.append(f"workers parsed {tot['worker_lines']} lines, {n} were handed out")
    if rest:                    # a last line without its newline: a failure
        n += 1
        tot["failures"] += 1
        extra_fail.append(f"unterminated last line: {rest[:300]!r}")
    tot["first_failures"] = (extra_fail + tot["first_failures"])[:10]
    print(json.dumps(status(final=True, tot=tot)), flush=True)


# ---------------------------------------------------------------- strict text format 0.0.4

NAME_RE = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
LABEL_RE = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*")
TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
FLOAT_RE = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|Inf|inf|NaN|nan)\Z")


class ExpoError(ValueError):
    pass


def _value(s, lineno):
    if not FLOAT_RE.match(s):
        raise ExpoError(f"line {lineno}: bad value {s!r}")
    return float(s)


def _labels(line, i, lineno):
    """Parse {a="b",...} starting at line[i] == '{'; return (dict, index after '}')."""
    labels = {}
    i += 1
    while True:
        if line.startswith("}", i):
            return labels, i + 1
        m = LABEL_RE.match(line, i)
        if not m:
            raise ExpoError(f"line {lineno}: bad label name at column {i}")
        name = m.group(0)
        i = m.end()
        if not line.startswith('="', i):
            raise ExpoError(f"line {lineno}: expected =\" after label {name}")
        i += 2
        val = []
        while True:
            if i >= len(line):
                raise ExpoError(f"line {lineno}: unterminated label value")
            c = line[i]
            if c == "\\":
                nxt = line[i + 1:i + 2]
                if nxt not in ("\\", '"', "n"):
                    raise ExpoError(f"line {lineno}: bad escape \\{nxt} in label value")
                val.append("\n" if nxt == "n" else nxt)
                i += 2
            elif c == '"':
                i += 1
                break
            else:
                val.append(c)
                i += 1
        if name in labels:
            raise ExpoError(f"line {lineno}: label {name} twice")
        if name.startswith("__"):
            raise ExpoError(f"line {lineno}: reserved label name {name}")
        labels[name] = "".join(val)
        if line.startswith(",", i):
            i += 1
        elif not line.startswith("}", i):
            raise ExpoError(f"line {lineno}: expected , or }} after label {name}")


def family_of(sample, types):
    """The family a sample name belongs to (histogram/summary suffixes)."""
    if sample in types:
        return sample
    for suf in ("_bucket", "_sum", "_count"):
        if sample.endswith(suf) and types.get(sample[:-len(suf)]) in ("histogram", "summary"):
            return sample[:-len(suf)]
    return sample


def parse_exposition(text):
    """Strict parser of the Prometheus text format 0.0.4.  Returns {(name, labels tuple): value}
    and {family: type}; raises ExpoError naming the line.  Checks: every line ends in \\n, HELP and
    TYPE at most once per family and TYPE before its samples, known types, names, label syntax and
    escapes, float values, optional int64 timestamps, a family's samples contiguous, no duplicate
    series, no 'le'/'quantile' misuse, histograms complete (cumulative buckets ending in +Inf equal
    to _count, a _sum), counters not negative."""
    if text and not text.endswith("\n"):
        raise ExpoError("body does not end with a newline")
    types, helps, samples = {}, {}, {}
    seen_samples, done, current = set(), set(), None
    for lineno, line in enumerate(text.split("\n")[:-1] if text else [], 1):
        if line == "":
            continue
        if line.startswith("#"):
            parts = line.split(" ", 3)
            if len(parts) >= 3 and parts[0] == "#" and parts[1] in ("HELP", "TYPE"):
                name = parts[2]
                if not NAME_RE.fullmatch(name):
                    raise ExpoError(f"line {lineno}: bad metric name {name!r}")
                if parts[1] == "HELP":
                    if name in helps:
                        raise ExpoError(f"line {lineno}: second HELP for {name}")
                    doc = parts[3] if len(parts) > 3 else ""
                    if re.search(r"\\[^\\n]|\\\Z", doc):
                        raise ExpoError(f"line {lineno}: bad escape in HELP of {name}")
                    helps[name] = doc
                else:
                    if name in types:
                        raise ExpoError(f"line {lineno}: second TYPE for {name}")
                    if len(parts) != 4 or parts[3] not in TYPES:
                        raise ExpoError(f"line {lineno}: bad TYPE line")
                    if name in seen_samples:
                        raise ExpoError(f"line {lineno}: TYPE for {name} after its samples")
                    types[name] = parts[3]
                if name != current:
                    if name in done:
                        raise ExpoError(f"line {lineno}: {name} is not contiguous")
                    if current is not None:
                        done.add(current)
                    current = name
            continue                               # other comments are allowed
        m = NAME_RE.match(line)
        if not m:
            raise ExpoError(f"line {lineno}: bad sample line {line[:80]!r}")
        name, i = m.group(0), m.end()
        labels = {}
        if line.startswith("{", i):
            labels, i = _labels(line, i, lineno)
        if not line.startswith(" ", i):
            raise ExpoError(f"line {lineno}: expected a space before the value")
        rest = line[i + 1:].split(" ")
        if len(rest) not in (1, 2) or rest[0] == "":
            raise ExpoError(f"line {lineno}: expected 'value [timestamp]', got {line[i + 1:]!r}")
        value = _value(rest[0], lineno)
        if len(rest) == 2 and not re.fullmatch(r"-?\d{1,19}", rest[1]):
            raise ExpoError(f"line {lineno}: bad timestamp {rest[1]!r}")
        fam = family_of(name, types)
        seen_samples.add(fam)
        if fam != current:
            if fam in done:
                raise ExpoError(f"line {lineno}: samples of {fam} are not contiguous")
            if current is not None:
                done.add(current)
            current = fam
        t = types.get(fam, "untyped")
        if "le" in labels and not (t == "histogram" and name == fam + "_bucket"):
            raise ExpoError(f"line {lineno}: 'le' label outside a histogram bucket")
        if t == "histogram" and name == fam + "_bucket" and "le" not in labels:
            raise ExpoError(f"line {lineno}: histogram bucket without 'le'")
        if t == "counter" and (value < 0 or math.isnan(value)):
            raise ExpoError(f"line {lineno}: counter {name} is {value}")
        key = (name, tuple(sorted(labels.items())))
        if key in samples:
            raise ExpoError(f"line {lineno}: duplicate series {name}{labels}")
        samples[key] = value
    # histograms: per label set (without le), cumulative buckets, +Inf == _count, _sum present
    for fam, t in types.items():
        if t != "histogram":
            continue
        groups = {}
        for (name, labels), v in samples.items():
            if name == fam + "_bucket":
                d = dict(labels)
                le = d.pop("le")
                groups.setdefault(tuple(sorted(d.items())), []).append((_value(le, 0), v))
        for lbl, buckets in groups.items():
            buckets.sort()
            if buckets[-1][0] != math.inf:
                raise ExpoError(f"histogram {fam}{dict(lbl)}: no +Inf bucket")
            if any(b[1] > a[1] for b, a in zip(buckets, buckets[1:])):
                raise ExpoError(f"histogram {fam}{dict(lbl)}: buckets not cumulative")
            if samples.get((fam + "_count", lbl)) != buckets[-1][1]:
                raise ExpoError(f"histogram {fam}{dict(lbl)}: _count != +Inf bucket")
            if (fam + "_sum", lbl) not in samples:
                raise ExpoError(f"histogram {fam}{dict(lbl)}: no _sum")
    return samples, types


def series(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


# ---------------------------------------------------------------- processes

def spawn(args, **kw):
    p = subprocess.Popen(args, **kw)
    PROCS.append(p)
    return p


def stop(p, sig=signal.SIGINT, timeout=20):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()
    return p.returncode


def stop_all():
    for p in PROCS:
        if p.poll() is None:
            p.kill()
            p.wait()


def private_tracefs():
    """As bench/extra.py: a private mount namespace with tracefs mounted in it."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(0x00020000):                                    # CLONE_NEWNS
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS)")
    if libc.mount(b"none", b"/", None, 16384 | (1 << 18), None):    # MS_REC | MS_PRIVATE
        raise OSError(ctypes.get_errno(), "mount --make-rprivate /")
    if not any(os.path.isdir(d + "/events") for d in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")):
        if libc.mount(b"tracefs", b"/sys/kernel/tracing", b"tracefs", 0, None):
            raise OSError(ctypes.get_errno(), "mount tracefs")


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def get(port, path="/metrics", timeout=10):
    """One GET on a new connection: (seconds, status, content-type, body text)."""
    t0 = time.perf_counter()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        c.request("GET", path)
        r = c.getresponse()
        body = r.read()
        took = time.perf_counter() - t0
        return took, r.status, r.getheader("Content-Type"), body.decode("utf-8")
    finally:
        c.close()


def cpu_ns(pid):
    """Run time of all of pid's threads (schedstat), ns."""
    total = 0
    for t in os.listdir(f"/proc/{pid}/task"):
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            pass
    return total


def cpu_pressure():
    """/proc/pressure/cpu 'some' avg300 (% of time some task waited for a CPU)."""
    try:
        with open("/proc/pressure/cpu") as f:
            return float(re.search(r"avg300=([\d.]+)", f.readline()).group(1))
    except (OSError, AttributeError):
        return float("nan")


def proc_sample(pid):
    st = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile", "Threads"):
                st[k] = int(v.split()[0])
    st["fds"] = len(os.listdir(f"/proc/{pid}/fd"))
    return st


class Run:
    """ebpfctl on ev.bpf.o fed by a loadgen; stdout to /dev/null or to the line parser."""

    def __init__(self, rate, count, parse, pin_consumer, tag, burst=1, queue_max=QUEUE_MAX_RATE):
        self.port = free_port()
        self.status_path = os.path.join(B, f"lines-{tag}.status.json")
        self.gen = spawn([os.path.join(B, "loadgen"), "-c", GEN_CPU, "-r", str(rate), "-n", str(count), "-w"],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.parser = None
        out = subprocess.DEVNULL
        if parse:
            self.parser = spawn([sys.executable, os.path.abspath(__file__), "--parse-lines", self.status_path,
                                 "--queue-max", str(queue_max)],
                                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
            out = self.parser.stdin
        self.err_path = os.path.join(B, f"ebpfctl-{tag}.stderr")
        self.err = open(self.err_path, "w")
        cmd = [EBPFCTL, "run", os.path.join(B, "ev.bpf.o"), "--set", f"target_tgid={self.gen.pid}",
               "--set", f"burst={burst}", "--metrics-addr", f"127.0.0.1:{self.port}"]
        if pin_consumer:
            cmd = ["taskset", "-c", CONSUMER_CPU] + cmd
        self.ev = spawn(cmd, stdout=out, stderr=self.err)
        if self.parser:
            self.parser.stdin.close()          # ebpfctl holds the write end now
            self.parser.stdin = None
        deadline = time.monotonic() + 60
        while True:
            if self.ev.poll() is not None:
                raise RuntimeError(f"ebpfctl exited {self.ev.returncode}: " + open(self.err_path).read())
            try:
                if get(self.port, "/-/ready", timeout=2)[1] == 200:
                    break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("ebpfctl not ready after 60 s")
            time.sleep(0.05)
        _, _, _, body = get(self.port)
        m = re.search(r'^ebpfctl_program_info\{[^}]*id="(\d+)"', body, re.M)
        self.prog_id = int(m.group(1)) if m else None

    def go(self):
        self.gen.stdin.write("go\n")
        self.gen.stdin.flush()
        self.t_go = time.monotonic()

    def counters(self):
        _, _, _, body = get(self.port)
        s, _ = parse_exposition(body)
        return dict(read=int(series(s, "ebpfctl_events_read_total", map="events") or 0),
                    lost=int(series(s, "ebpfctl_events_lost_total", map="events") or 0),
                    drops=int(series(s, "ebpf_solo_io_rb_drops_total", key="0") or 0),
                    backlog=int(series(s, "ebpfctl_ringbuf_backlog_bytes", map="events") or 0))

    def produced(self, timeout):
        out, _ = self.gen.communicate(timeout=timeout)
        f = out.split()
        return int(f[1]), int(f[3])

    def drain(self, produced, timeout=60):
        """Until read + lost covers produced, or read stops moving for 2 s."""
        end = time.monotonic() + timeout
        last, still = None, 0
        while time.monotonic() < end:
            c = self.counters()
            if c["read"] + max(c["lost"], c["drops"]) >= produced:
                return c
            still = still + 1 if c["read"] == last else 0
            last = c["read"]
            if still >= 10:
                return c
            time.sleep(0.2)
        return self.counters()

    def finish(self):
        rc = stop(self.ev)
        self.err.close()
        lines = None
        if self.parser:
            out, _ = self.parser.communicate(timeout=300)
            lines = json.loads(out.strip().splitlines()[-1])
        stop(self.gen, signal.SIGTERM)
        return rc, lines

    def kill(self):
        for p in (self.gen, self.ev, self.parser):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()


def prog_gone(prog_id):
    if prog_id is None:
        return True
    out = subprocess.run(["bpftool", "prog", "show", "id", str(prog_id)], capture_output=True, text=True)
    return out.returncode != 0


# ---------------------------------------------------------------- 1. max rate

def one_point(rate, count, parse, pin, tag):
    r = Run(rate, count, parse, pin, tag)
    try:
        r.go()
        produced, ns = r.produced(timeout=600)
        c = r.drain(produced)
        rc, lines = r.finish()
    finally:
        r.kill()
    ok = c["read"] == produced and c["lost"] == 0 and c["drops"] == 0
    if lines is not None:
        ok = ok and lines["lines"] == produced and lines["failures"] == 0
    res = dict(rate=rate, produced=produced, read=c["read"], lost=c["lost"], drops=c["drops"],
               offered=produced / (ns / 1e9), lossless=ok, lines=lines and lines["lines"], rc=rc,
               prog_gone=prog_gone(r.prog_id))
    log(f"   {'unpaced' if not rate else f'paced {rate}/s':>16} {tag:8s} offered {res['offered'] / 1000:6.0f}k/s "
        f"read {c['read']}/{produced} lost {c['lost']} drops {c['drops']}"
        + (f" lines {lines['lines']}" if lines else "") + f" -> {'lossless' if ok else 'LOSS'}")
    return res


def find_max(parse, pin, tag, seconds, reps, bisect_steps=5):
    """Unpaced first (reps runs of ~seconds); if every one is lossless, the max is the median
    achieved rate (the generator's ceiling: ebpfctl keeps up with it).  Otherwise bisect paced
    rates between 0 and the unpaced rate for the highest lossless one (halving until one is
    lossless, then bisect_steps steps in all; each point needs two lossless runs that reached at
    least 90% of the pace)."""
    guess = 450000
    points = []
    for i in range(reps):
        points.append(one_point(0, int(guess * seconds), parse, pin, tag))
        guess = points[-1]["offered"]
    if all(p["lossless"] for p in points):
        return dict(max=statistics.median(p["offered"] for p in points), bound="generator",
                    points=points)
    lo, hi = 0.0, max(p["offered"] for p in points)
    steps = 0
    while steps < bisect_steps or (lo == 0 and hi > 2000):      # halve until one is lossless
        steps += 1
        mid = int((lo + hi) / 2 / 1000) * 1000
        trial = []
        for _ in range(4):          # two runs that reached the pace (a starved generator does not)
            t = one_point(mid, int(mid * seconds), parse, pin, tag)
            points.append(t)
            if t["offered"] >= 0.9 * mid or not t["lossless"]:
                trial.append(t)
            if len(trial) == 2 or not t["lossless"]:
                break
        if len(trial) == 2 and all(t["lossless"] for t in trial):
            lo = mid
        else:
            hi = mid
    return dict(max=lo, bound="loss", points=points)


# ---------------------------------------------------------------- 2. soak

class StallMonitor(threading.Thread):
    """Sleeps 10 ms at a time and records every wake-up more than 100 ms late: a time when this
    (nice -10) process was not run at all, i.e. the VM or the whole machine stalled."""

    def __init__(self, t0):
        super().__init__(daemon=True)
        self.t0, self.gaps, self.stop = t0, [], threading.Event()

    def run(self):
        last = time.monotonic()
        while not self.stop.wait(0.01):
            now = time.monotonic()
            if now - last > 0.1 and len(self.gaps) < 1000:
                self.gaps.append((round(last - self.t0, 2), round(now - last, 3)))
            last = now


def wchan(pid):
    try:
        with open(f"/proc/{pid}/wchan") as f:
            w = f.read().strip()
            return w if w not in ("", "0") else "running"
    except OSError:
        return "?"


def soak(rate, seconds, warmup):
    count = int(rate * seconds)
    r = Run(rate, count, parse=True, pin_consumer=False, tag="soak", queue_max=QUEUE_MAX)
    res = dict(rate=rate, seconds=seconds, warmup=warmup, count=count)
    samples, lat, inner = [], [], []
    scrape_fail, expo_fail, promtool_runs, promtool_parse_fail = 0, 0, 0, 0
    promtool_lint = set()
    fail_msgs, backlog_max, monotonic_fail = [], 0, 0
    last_counters = {}
    n_scrapes = 0
    drops_seen, loss_episodes, backlog_high = 0, [], []
    try:
        time.sleep(1)               # the readiness requests' connections closed: no socket in the count
        s0 = proc_sample(r.ev.pid)
        s0["t"] = 0.0
        samples.append(s0)
        r.go()
        t0 = r.t_go
        cpu0 = cpu_ns(r.ev.pid)
        mon = StallMonitor(t0)
        mon.start()
        timeline, waits = [], {}
        prev_total = 0
        next_scrape, next_sample, next_log = t0 + 1, t0 + SAMPLE_EVERY, t0 + 60
        gen_done = False
        while True:
            now = time.monotonic()
            if r.gen.poll() is not None and not gen_done:
                gen_done = True
                res["gen_end"] = now - t0
            if gen_done:
                break
            if now >= next_sample:
                s = proc_sample(r.ev.pid)
                s["t"] = now - t0
                samples.append(s)
                next_sample += SAMPLE_EVERY
            if now >= next_scrape:
                next_scrape += 1
                n_scrapes += 1
                try:
                    took, status, ctype, body = get(r.port)
                except Exception as e:          # noqa: BLE001
                    scrape_fail += 1
                    fail_msgs.append(f"scrape {n_scrapes}: {e!r}")
                    continue
                lat.append(took)
                if status != 200 or ctype != "text/plain; version=0.0.4; charset=utf-8":
                    scrape_fail += 1
                    fail_msgs.append(f"scrape {n_scrapes}: status {status} content-type {ctype}")
                try:
                    sm, types = parse_exposition(body)
                except ExpoError as e:
                    expo_fail += 1
                    if len(fail_msgs) < 20:
                        fail_msgs.append(f"scrape {n_scrapes}: {e}")
                    continue
                for key, v in sm.items():
                    fam = family_of(key[0], types)
                    if types.get(fam) == "counter":
                        if v < last_counters.get(key, 0):
                            monotonic_fail += 1
                            fail_msgs.append(f"scrape {n_scrapes}: counter {key} went down")
                        last_counters[key] = v
                inner.append(series(sm, "ebpfctl_scrape_duration_seconds") or 0)
                backlog = int(series(sm, "ebpfctl_ringbuf_backlog_bytes", map="events") or 0)
                backlog_max = max(backlog_max, backlog)
                if backlog > (1 << 21):                # over half the 4 MiB ring
                    backlog_high.append((round(now - t0, 1), backlog))
                drops = int(series(sm, "ebpf_solo_io_rb_drops_total", key="0") or 0) + \
                    int(series(sm, "ebpfctl_events_lost_total", map="events") or 0)
                read_now = int(series(sm, "ebpfctl_events_read_total", map="events") or 0)
                # events the generator made since the last scrape (read + dropped + still in the ring)
                total = read_now + drops + backlog // 112
                wc = wchan(r.ev.pid)
                waits[wc] = waits.get(wc, 0) + 1
                timeline.append((round(now - t0, 2), read_now, drops, backlog, total - prev_total, wc))
                prev_total = total
                if drops > drops_seen:
                    gaps = [g for g in mon.gaps if now - t0 - 5 <= g[0] <= now - t0]
                    loss_episodes.append((round(now - t0, 1), drops - drops_seen, backlog,
                                          timeline[-1][4], gaps[-5:]))
                    log(f"   {now - t0:6.0f} s: {drops - drops_seen} events lost (ring backlog {backlog} B)")
                    drops_seen = drops
                if n_scrapes % PROMTOOL_EVERY == 1:
                    p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True,
                                       text=True)
                    promtool_runs += 1
                    out = p.stdout + p.stderr
                    if "pars" in out.lower() or (p.returncode != 0 and not out.strip()):
                        promtool_parse_fail += 1
                        fail_msgs.append(f"scrape {n_scrapes}: promtool: {out.strip()[:300]}")
                    elif p.returncode != 0:
                        promtool_lint.update(ln.strip() for ln in out.splitlines() if ln.strip())
            if now >= next_log:
                next_log += 60
                try:
                    st = json.load(open(r.status_path))
                except (OSError, ValueError):
                    st = {}
                log(f"   {now - t0:6.0f} s: RSS {samples[-1]['VmRSS']} kB fds {samples[-1]['fds']} "
                    f"scrapes {n_scrapes} (p50 {statistics.median(lat) * 1e3 if lat else 0:.2f} ms) "
                    f"lines {st.get('lines', '?')} failures {st.get('failures', '?')} "
                    f"backlog max {backlog_max} B")
            time.sleep(max(0.0, min(next_scrape, next_sample, next_log) - time.monotonic()))
        produced, ns = r.produced(timeout=60)
        c = r.drain(produced)
        cpu1 = cpu_ns(r.ev.pid)
        mon.stop.set()
        time.sleep(1)               # as at the start: the drain's last connection is closed
        end_sample = proc_sample(r.ev.pid)
        end_sample["t"] = time.monotonic() - t0
        samples.append(end_sample)
        rc, lines = r.finish()
        gone = prog_gone(r.prog_id)
    finally:
        r.kill()
    after = [s for s in samples if s["t"] >= warmup]
    w = after[0] if after else samples[-1]
    # least-squares slope of VmRSS over the post-warm-up samples, kB per minute
    slope = 0.0
    if len(after) >= 3:
        xs = [s["t"] for s in after]
        ys = [s["VmRSS"] for s in after]
        mx, my = statistics.fmean(xs), statistics.fmean(ys)
        den = sum((x - mx) ** 2 for x in xs)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / den * 60 if den else 0.0
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) >= 2 else [float("nan")] * 99
    res.update(
        produced=produced, offered=produced / (ns / 1e9), read=c["read"], lost=c["lost"], drops=c["drops"],
        lines=lines["lines"], line_failures=lines["failures"], line_gaps=lines["gaps"],
        bad_time=lines["bad_time"], line_bytes=lines["bytes"], first_line_failures=lines["first_failures"],
        parsers=PARSERS, parser_queue_max=lines.get("queue_max", 0),
        scrapes=n_scrapes, scrape_ok=len(lat), scrape_failures=scrape_fail, expo_failures=expo_fail,
        counter_decreases=monotonic_fail, promtool_runs=promtool_runs, promtool_parse_failures=promtool_parse_fail,
        promtool_lint=sorted(promtool_lint)[:10], failure_messages=fail_msgs[:20],
        lat_p50=statistics.median(lat) if lat else float("nan"), lat_p99=q[98], lat_max=max(lat, default=0),
        inner_p50=statistics.median(inner) if inner else float("nan"), backlog_max=backlog_max,
        rss_start=samples[0]["VmRSS"], rss_warm=w["VmRSS"], rss_end=samples[-1]["VmRSS"],
        rss_after_min=min(s["VmRSS"] for s in after) if after else 0,
        rss_after_max=max(s["VmRSS"] for s in after) if after else 0,
        hwm_end=samples[-1]["VmHWM"], anon_warm=w["RssAnon"], anon_end=samples[-1]["RssAnon"],
        rss_slope_kb_per_min=slope,
        fd_min=min(s["fds"] for s in samples), fd_max=max(s["fds"] for s in samples),
        fd_after_min=min(s["fds"] for s in after) if after else 0,
        fd_after_max=max(s["fds"] for s in after) if after else 0,
        threads_min=min(s["Threads"] for s in samples), threads_max=max(s["Threads"] for s in samples),
        n_samples=len(samples), exit_code=rc, prog_gone=gone,
        loss_episodes=loss_episodes[:50], backlog_high=backlog_high[:50],
        stalls=mon.gaps[:200], stalls_100ms=len(mon.gaps), stalls_500ms=sum(1 for g in mon.gaps if g[1] >= 0.5),
        stall_max=max(mon.gaps, key=lambda g: g[1]) if mon.gaps else (0, 0), wchan=waits, timeline=timeline,
        ebpfctl_cpu_ns=cpu1 - cpu0, nice=NICE,
        stderr=open(r.err_path).read()[-2000:],
        samples=[(round(s["t"], 1), s["VmRSS"], s["RssAnon"], s["fds"]) for s in samples])
    return res


# ---------------------------------------------------------------- report

BEGIN, END = "<!-- soak:begin -->", "<!-- soak:end -->"


def sh(cmd):
    return subprocess.run(cmd, shell=True, capture_output=True, text=True, cwd=ROOT).stdout.strip()


def commit_desc():
    dirty = sh("git status --porcelain -uno -- runner ebpfctl include Makefile")
    return f"`{sh('git rev-parse --short HEAD')}`" + (
        " + uncommitted changes in " + ", ".join(ln.split()[-1] for ln in dirty.splitlines()) if dirty else "")


def markdown(R):
    S, M, P = R["soak"], R["max"], R.get("max_parsed")
    kib = lambda k: f"{k / 1024:.2f} MiB"            # noqa: E731
    out = [BEGIN, "", "## Soak: steady load, a scrape every second (bench/soak.sh)", ""]
    w = out.append
    w(f"Measured {R['when']}, commit {R.get('commit') or commit_desc()}"
      + f" (`ebpfctl version`: {R.get('ebpfctl_version', '?')}), kernel `{os.uname().release}`, {os.cpu_count()} vCPUs, load average at start {R['load_start']}, "
      f"at end {R['load_end']}. Method: bench/soak.py (docstring). Whole run {R['elapsed'] / 60:.1f} min.")
    w("")
    w("**Max rate** (bench/run.py's `max x1` method: generator unpaced on CPU 1, ebpfctl on CPU 0 with "
      "stdout to /dev/null; lossless = `ebpfctl_events_read_total` reaches the generator's count and "
      "`rb_drops` and `ebpfctl_events_lost_total` stay 0; then bisected paced rates if the unpaced one lost "
      "events. The second set is the same with the soak's pipeline: ebpfctl unpinned, its stdout into the "
      "JSON line parser, lossless also meaning every line parsed):")
    w("")
    w("| run | pace | offered events/s | read/produced | lost | rb drops | |")
    w("|---|---|---|---|---|---|---|")
    for label, m in (("ebpfctl, stdout /dev/null", M), ("ebpfctl, stdout into the soak's JSON parser", P)):
        if not m:
            continue
        for p in m["points"]:
            pace = "unpaced" if not p["rate"] else f"{p['rate'] // 1000}k/s"
            w(f"| {label} | {pace} | "
              f"{p['offered'] / 1000:.0f}k | {p['read']}/{p['produced']} | {p['lost']} | {p['drops']} | "
              f"{'lossless' if p['lossless'] else '**loss**'} |")
    w("")
    how = ("the unpaced generator's rate: ebpfctl kept up with the fastest write(2) loop one thread makes, "
           "so its real ceiling is higher" if M["bound"] == "generator" else
           "given on the command line" if M["bound"] == "given" else "the highest lossless paced rate")
    w(f"Max sustainable rate of ebpfctl: **{M['max'] / 1000:.0f}k events/s** ({how}).")
    if P:
        w(f"With the soak's pipeline (ebpfctl's stdout into {PARSERS} Python `json.loads` workers): "
          f"**{P['max'] / 1000:.0f}k events/s** "
          f"({'generator-bound' if P['bound'] == 'generator' else 'the highest lossless paced rate'}).")
    w("")
    if P and P["max"] < M["max"]:
        w(f"Every line is parsed with `json.loads` (~5 µs of CPU per line), so the soak pipeline's ceiling is below "
          f"ebpfctl's own. The soak runs at {R['fraction']:.0%} of the lower one, which leaves the instrument the "
          f"headroom that {R['fraction']:.0%} leaves ebpfctl ({R['fraction']:.0%} of ebpfctl's own maximum would be "
          f"{R['fraction'] * M['max'] / 1000:.0f}k/s): **{S['rate'] / 1000:.1f}k events/s**.")
    else:
        w(f"Soak rate: {R['fraction']:.0%} of it = **{S['rate'] / 1000:.1f}k events/s**.")
    w("")
    w(f"The parser is {PARSERS} json.loads worker processes fed whole lines by a splitter, which checks the fd "
      f"sequence across its cuts. Every process of the run (ebpfctl, generator, parser) runs at nice {S['nice']}: "
      f"CPU pressure (`/proc/pressure/cpu` some, avg300) was {R['pressure_start']:.0f}% at the start and "
      f"{R['pressure_end']:.0f}% at the end (other people's builds, fuzzers and TCG qemu guests share the two "
      "vCPUs), and the soak is about ebpfctl, not about who else runs on the VM. Earlier runs and what lost "
      "events in them: bench/NOTES.md, \"Soak\".")
    w("")
    w(f"**Soak**: {S['seconds'] / 60:.0f} min at {S['rate'] / 1000:.1f}k events/s paced (achieved "
      f"{S['offered'] / 1000:.1f}k/s), warm-up {S['warmup']:.0f} s, a scrape every second (new connection each), "
      f"process sampled every {SAMPLE_EVERY:.0f} s ({S['n_samples']} samples).")
    w("")
    w("| | measured |")
    w("|---|---|")
    w(f"| events produced / read / JSON lines parsed | {S['produced']} / {S['read']} / {S['lines']} |")
    w(f"| events lost (`ebpfctl_events_lost_total`, probe `rb_drops`) | {S['lost']}, {S['drops']} |")
    w(f"| JSON line parse failures (json.loads + shape) | {S['line_failures']} of {S['lines']} |")
    w(f"| fd-sequence breaks in the line stream (lost/duplicated/reordered lines) | {S['line_gaps']} |")
    w(f"| scrapes: done / HTTP or Content-Type failures | {S['scrapes']} / {S['scrape_failures']} |")
    w(f"| scrape parse failures (strict 0.0.4 parser, every scrape) | {S['expo_failures']} of {S['scrape_ok']} |")
    w(f"| counters going down between scrapes | {S['counter_decreases']} |")
    w(f"| `promtool check metrics` (every {PROMTOOL_EVERY}th scrape): parse failures | "
      f"{S['promtool_parse_failures']} of {S['promtool_runs']}"
      + (f" (lint remarks, not parse errors: {'; '.join(S['promtool_lint'])})" if S["promtool_lint"] else
         " (no lint remarks either)") + " |")
    w(f"| scrape latency p50 / p99 / max (HTTP round trip) | {S['lat_p50'] * 1e3:.2f} / {S['lat_p99'] * 1e3:.2f} / "
      f"{S['lat_max'] * 1e3:.2f} ms (ebpfctl's own render time p50 {S['inner_p50'] * 1e3:.3f} ms) |")
    w(f"| VmRSS at start / after warm-up / end | {kib(S['rss_start'])} / {kib(S['rss_warm'])} / "
      f"{kib(S['rss_end'])} |")
    w(f"| RSS drift after warm-up (end - warm-up; min..max; fitted slope) | {S['rss_end'] - S['rss_warm']:+d} kB; "
      f"{kib(S['rss_after_min'])}..{kib(S['rss_after_max'])}; {S['rss_slope_kb_per_min']:+.2f} kB/min |")
    w(f"| RssAnon after warm-up / end; VmHWM at end | {S['anon_warm']} / {S['anon_end']} kB; {kib(S['hwm_end'])} |")
    w(f"| fd count min / max (after warm-up) | {S['fd_min']} / {S['fd_max']} ({S['fd_after_min']} / "
      f"{S['fd_after_max']}) |")
    w(f"| threads min / max | {S['threads_min']} / {S['threads_max']} |")
    w(f"| the parser's in-memory backlog, max (how far the instrument fell behind ebpfctl) | "
      f"{S.get('parser_queue_max', 0) / 1e6:.1f} MB |")
    w(f"| ring buffer backlog, max seen in a scrape; scrapes over half full | {S['backlog_max']} bytes of 4194304; "
      f"{len(S['backlog_high'])}" + (" (at " + ", ".join(f"{t:.0f} s" for t, _ in S["backlog_high"][:10]) + ")"
                                     if S["backlog_high"] else "") + " |")
    w("| loss episodes (scrape at which drops grew: events lost; events the generator made in that second) | "
      + (", ".join(f"{e[0]:.0f} s: {e[1]} lost; {e[3]} made" for e in S["loss_episodes"])
         if S["loss_episodes"] else "none") + " |")
    if "stalls_100ms" in S:
        t, g = S["stall_max"]
        w(f"| stalls: this process (nice {S['nice']}) not run for >100 ms / >500 ms; the longest | "
          f"{S['stalls_100ms']} / {S['stalls_500ms']}; {g * 1e3:.0f} ms at {t:.0f} s |")
        w("| ebpfctl's main thread at the scrapes (/proc/PID/wchan) | "
          + ", ".join(f"{k} {v}" for k, v in sorted(S["wchan"].items(), key=lambda x: -x[1])) + " |")
    w(f"| ebpfctl CPU time over the run (all threads) | {S['ebpfctl_cpu_ns'] / 1e9:.1f} s: "
      f"{100 * S['ebpfctl_cpu_ns'] / 1e9 / max(S.get('gen_end', S['seconds']), 1):.1f}% of a core, "
      f"{S['ebpfctl_cpu_ns'] / max(S['read'], 1):.0f} ns per event including the scrapes |")
    w(f"| ebpfctl exit status after SIGINT; its program unloaded | {S['exit_code']}; {S['prog_gone']} |")
    w("")
    if S["failure_messages"] or S["first_line_failures"]:
        w("Failures:")
        w("```")
        for m in S["first_line_failures"] + S["failure_messages"]:
            w(m)
        w("```")
        w("")
    # a coarse RSS trace: every ~5% of the run
    tr = S["samples"]
    step = max(1, len(tr) // 20)
    w("VmRSS trace (s: kB, fds): " + ", ".join(f"{t:.0f}: {rss} ({fd})" for t, rss, _, fd in tr[::step]
                                              + ([tr[-1]] if (len(tr) - 1) % step else [])) + ".")
    w("")
    w(END)
    return "\n".join(out) + "\n"


def splice(path, section, begin=BEGIN, end=END):
    """Replace the text between begin and end markers in path with section (or append it); the
    other bench scripts with marked sections (tls_scrape, wrk_load, fuzz_long) use this too."""
    text = open(path).read() if os.path.exists(path) else ""
    if begin in text and end in text:
        a = text.index(begin)
        b = text.index(end) + len(end)
        text = text[:a] + section.rstrip("\n") + text[b:]
    else:
        text = text.rstrip("\n") + "\n\n" + section
    with open(path, "w") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--parse-lines", metavar="STATUS", help=argparse.SUPPRESS)
    ap.add_argument("--parse-worker", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--queue-max", type=int, default=QUEUE_MAX, help=argparse.SUPPRESS)
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--seconds", type=float, help="soak length in seconds (overrides --minutes)")
    ap.add_argument("--fraction", type=float, default=0.3)
    ap.add_argument("--rate", type=int, help="skip the max measurement; soak at this rate")
    ap.add_argument("--warmup", type=float, help="seconds (default: 60, or 1/4 of a shorter run)")
    ap.add_argument("--max-seconds", type=float, default=5, help="length of one max-rate run")
    ap.add_argument("--max-reps", type=int, default=3)
    ap.add_argument("--bisect-steps", type=int, default=5, help="paced points tried when unpaced loses")
    ap.add_argument("--no-parsed-max", action="store_true", help="skip the max with the parser attached")
    ap.add_argument("--json", help="write every figure here")
    ap.add_argument("--results", help="splice the markdown section into this file (bench/RESULTS.md)")
    a = ap.parse_args()
    if a.parse_lines:
        return parse_lines_main(a.parse_lines, a.queue_max)
    if a.parse_worker:
        return parse_worker_main()
    seconds = a.seconds if a.seconds else a.minutes * 60
    warmup = a.warmup if a.warmup is not None else min(60.0, seconds / 4)
    os.makedirs(B, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *x: sys.exit(143))
    private_tracefs()
    if NICE:
        os.setpriority(os.PRIO_PROCESS, 0, NICE)          # inherited by every child
    R = dict(when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), fraction=a.fraction,
             load_start=" ".join(open("/proc/loadavg").read().split()[:3]), pressure_start=cpu_pressure(),
             commit=commit_desc(),
             ebpfctl_version=(subprocess.run([EBPFCTL, "version"], capture_output=True,
                                           text=True).stdout.splitlines() or ["?"])[0])
    t_start = time.monotonic()
    try:
        if a.rate:
            R["max"] = dict(max=a.rate / a.fraction, bound="given", points=[])
        else:
            log(f"== max rate: unpaced generator, ebpfctl stdout to /dev/null ({a.max_reps} x {a.max_seconds:g} s)")
            R["max"] = find_max(False, True, "max", a.max_seconds, a.max_reps, a.bisect_steps)
            if not a.no_parsed_max:
                log("== the same with the soak's pipeline (stdout into the JSON parser), one run")
                R["max_parsed"] = find_max(True, False, "maxparse", a.max_seconds, 1, a.bisect_steps)
        # the soak parses every line, so its ceiling is the lower of the two maxima
        base = R["max"]["max"]
        if R.get("max_parsed"):
            base = min(base, R["max_parsed"]["max"])
        R["base"] = base
        rate = int(base * a.fraction)
        if rate <= 0:
            raise RuntimeError("no lossless rate found")
        log(f"== soak: {seconds:g} s at {rate}/s ({a.fraction:.0%} of {base:.0f}/s), "
            f"warm-up {warmup:g} s")
        R["soak"] = soak(rate, seconds, warmup)
    finally:
        stop_all()
    R["elapsed"] = time.monotonic() - t_start
    R["load_end"] = " ".join(open("/proc/loadavg").read().split()[:3])
    R["pressure_end"] = cpu_pressure()
    S = R["soak"]
    log(f"== produced {S['produced']} read {S['read']} lines {S['lines']} lost {S['lost']} drops {S['drops']}; "
        f"line failures {S['line_failures']} gaps {S['line_gaps']}; scrapes {S['scrapes']} failures "
        f"{S['scrape_failures']} parse {S['expo_failures']} promtool {S['promtool_parse_failures']}/"
        f"{S['promtool_runs']}; RSS {S['rss_start']} -> {S['rss_warm']} -> {S['rss_end']} kB; "
        f"fds {S['fd_min']}..{S['fd_max']}; p50 {S['lat_p50'] * 1e3:.2f} ms p99 {S['lat_p99'] * 1e3:.2f} ms")
    if a.json:
        with open(a.json, "w") as f:
            json.dump(R, f, indent=1)
    md = markdown(R)
    if a.results:
        splice(a.results, md)
    print(md)
    return 0


if __name__ == "__main__":
    sys.exit(main())
