"""End-to-end tests of /metrics and hash/array print polling (issue #3).

Every cell of DESIGN.md section 4's table is loaded from a fixture probe
(tests/bpf/m_*.bpf.c), triggered with getppid() from this process (the probes
filter on --set target_tgid), scraped, and compared sample by sample with
values computed here from the same sequence numbers.  Per-CPU maps are
triggered with this thread pinned to known CPUs, so their sums are exact too.
"""
import gzip
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import urllib.parse

import pytest

from conftest import ROOT, bpf_prog_ids, deadline, fixture, free_port, run_cli, wait_until

ME = os.getpid()
NS = "ebpf_solo_io"
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


# ---- helpers ----

def http_get(port, path="/metrics", method="GET", headers=None, host="127.0.0.1"):
    c = http.client.HTTPConnection(host, port, timeout=deadline(10))
    try:
        c.request(method, path, headers=headers or {})
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


def scrape(port):
    status, hdrs, body = http_get(port)
    assert status == 200, body
    return body.decode("utf-8")


def _unescape(s):
    out, i = [], 0
    while i < len(s):
        if s[i] == "\\":
            n = s[i + 1]
            out.append({"n": "\n", "\\": "\\", '"': '"'}[n])
            i += 2
        else:
            out.append(s[i])
            i += 1
    return "".join(out)


def _num(s):
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    return float(s.replace("Inf", "inf"))


SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(body):
    """Text format 0.0.4 -> ({(name, labels): value}, [(family, type)], {family: help}).

    labels is a sorted tuple of (name, value); an `le` value becomes a float so
    "1e-09" and 1e-9 compare equal.  Integers stay exact Python ints."""
    samples, families, helps = {}, [], {}
    assert body.endswith("\n"), "body must end with a newline"
    for line in body.splitlines():
        if line.startswith("# HELP "):
            name, _, text = line[7:].partition(" ")
            helps[name] = text
            continue
        if line.startswith("# TYPE "):
            name, typ = line[7:].split(" ")
            families.append((name, typ))
            continue
        assert not line.startswith("#"), line
        m = SAMPLE.match(line)
        assert m, f"unparsable sample line: {line!r}"
        name, lbl, val = m.groups()
        labels = []
        if lbl:
            rest = LABEL.sub("", lbl).replace(",", "")
            assert rest == "", f"bad label text in {line!r}"
            for k, v in LABEL.findall(lbl):
                v = _unescape(v)
                labels.append((k, float(v.replace("Inf", "inf")) if k == "le" else v))
        key = (name, tuple(sorted(labels)))
        assert key not in samples, f"duplicate sample {key}"
        samples[key] = _num(val)
    return samples, families, helps


def family_samples(samples, *prefixes):
    return {k: v for k, v in samples.items() if any(k[0].startswith(p) for p in prefixes)}


def lbl(**kw):
    return tuple(sorted(kw.items()))


def start(run_ebpfctl, fx, *args):
    port = free_port()
    r = run_ebpfctl(fixture(fx), "--metrics-addr", f"127.0.0.1:{port}", "--set", f"target_tgid={ME}", *args)

    def up():
        if r.proc.poll() is not None:
            raise AssertionError(f"ebpfctl exited: {r.finish()}")
        try:
            return http_get(port)[0] == 200
        except OSError:
            return False
    wait_until(up, what="/metrics to answer")
    return r, port


def self_value(samples, name, m):
    return samples.get((name, lbl(map=m)))


def wait_events(port, maps, n, timeout=10):
    """Until ebpfctl_events_read_total reaches n for every map."""
    def done():
        s, _, _ = parse(scrape(port))
        return all(self_value(s, "ebpfctl_events_read_total", m) == n for m in maps)
    wait_until(done, timeout=timeout, what=f"{n} events on {maps}")
    # the scrape that saw the count may have rendered the map families just before
    # the last event was observed: the next one has it all
    s, _, _ = parse(scrape(port))
    return s


class Pinned:
    """Run this thread on one CPU (per-CPU values are then predictable)."""

    def __init__(self, cpu):
        self.cpu = cpu

    def __enter__(self):
        self.old = os.sched_getaffinity(0)
        os.sched_setaffinity(0, {self.cpu})

    def __exit__(self, *exc):
        os.sched_setaffinity(0, self.old)


def cpus():
    return sorted(os.sched_getaffinity(0))


def trigger(n):
    for _ in range(n):
        os.getppid()


def log2_buckets(values, maxk):
    """Cumulative counts for le = 2^k - 1, k = 0..maxk."""
    return [sum(1 for v in values if v <= (1 << k) - 1) for k in range(maxk + 1)]


def expect_event_hist(name, labels, values, maxk, scale=1.0):
    exp = {}
    for k, c in enumerate(log2_buckets(values, maxk)):
        exp[(name + "_bucket", tuple(sorted(labels + (("le", ((1 << k) - 1) / scale if scale != 1.0 else float((1 << k) - 1)),))))] = c
    exp[(name + "_bucket", tuple(sorted(labels + (("le", float("inf")),))))] = len(values)
    exp[(name + "_count", tuple(sorted(labels)))] = len(values)
    return exp


def expect_map_hist(name, labels, values, nslots, with_sum=True):
    """libbpf-tools slots: slot i holds [2^i, 2^(i+1)-1] (0 in slot 0), last slot clamps."""
    slots = [0] * nslots
    for v in values:
        slots[min(max(v.bit_length() - 1, 0), nslots - 1)] += 1
    exp, cum = {}, 0
    for i, c in enumerate(slots):
        cum += c
        exp[(name + "_bucket", tuple(sorted(labels + (("le", float((1 << (i + 1)) - 1)),))))] = cum
    exp[(name + "_bucket", tuple(sorted(labels + (("le", float("inf")),))))] = cum
    exp[(name + "_count", tuple(sorted(labels)))] = cum
    if with_sum:
        exp[(name + "_sum", tuple(sorted(labels)))] = sum(values)
    return exp


def assert_samples(samples, expected):
    got = {k: samples.get(k) for k in expected}
    bad = {k: (got[k], v) for k, v in expected.items() if got[k] != v}
    assert not bad, "samples differ (got, want): " + "\n".join(f"{k}: {v}" for k, v in sorted(bad.items()))


def promtool_check(body):
    p = subprocess.run(["promtool", "check", "metrics"], input=body, capture_output=True, text=True,
                       timeout=deadline(30))
    return p.returncode, p.stdout + p.stderr


# ---- ring buffers and perf event arrays ----

TAG = 'q"\\\\xff'   # q, quote, backslash, then the invalid byte 0xff as the text \xff


def test_ring_and_perf_every_kind(run_ebpfctl):
    n = 9
    r, port = start(run_ebpfctl, "m_events")
    trigger(n)
    maps = ["rb_calls", "rb_level", "rb_lat", "hist_rb_dur", "pe_calls", "pe_level", "pe_lat"]
    s = wait_events(port, maps, n)
    seqs = range(1, n + 1)
    exp = {}
    for p in ("rb", "pe"):
        for k in range(3):
            exp[(f"{NS}_{p}_calls_total", lbl(kind=str(k), tag=TAG))] = sum(1 for q in seqs if q % 3 == k)
        for j in range(2):
            last = max(q for q in seqs if q % 2 == j)
            exp[(f"{NS}_{p}_level", lbl(slot=str(j)))] = 10 * last - 25
        maxk = n.bit_length()
        for j in range(2):
            vals = [q for q in seqs if q % 2 == j]
            exp.update(expect_event_hist(f"{NS}_{p}_lat", (("op", str(j)),), vals, maxk))
            exp[(f"{NS}_{p}_lat_sum", lbl(op=str(j)))] = sum(vals)
    # `duration` value field, observed in ns, exposed in seconds; bumblebee prefix dropped
    durs = [q * 1000 for q in seqs]
    exp.update(expect_event_hist(f"{NS}_rb_dur", (), durs, max(durs).bit_length(), scale=1e9))
    exp[(f"{NS}_rb_dur_sum", ())] = pytest.approx(sum(durs) / 1e9)
    exp[(f"{NS}_rb_drops_total", lbl(key="0"))] = 0
    assert_samples(s, exp)
    # nothing else in these families (hidden __seq never becomes a label)
    assert len(family_samples(s, f"{NS}_rb_calls", f"{NS}_pe_calls")) == 6
    # self metrics
    for m in maps:
        assert self_value(s, "ebpfctl_events_lost_total", m) == 0
        assert self_value(s, "ebpfctl_series_dropped_total", m) == 0
    assert self_value(s, "ebpfctl_series", "rb_calls") == 3
    assert self_value(s, "ebpfctl_ringbuf_size_bytes", "rb_calls") == 65536
    assert 0 <= self_value(s, "ebpfctl_ringbuf_backlog_bytes", "rb_calls") <= 65536
    assert ("ebpfctl_ringbuf_backlog_bytes", lbl(map="pe_calls")) not in s   # perf arrays have no ring
    assert s[("ebpfctl_programs_attached", ())] == 1
    rc, err = r.stop()
    assert rc == 0, err
    assert "warning" not in err


@pytest.mark.parametrize("name", ["rb_lat", f"{NS}_rb_lat"])  # the map's or the family's name
def test_hist_buckets_option(run_ebpfctl, name):
    n = 6
    r, port = start(run_ebpfctl, "m_events", "--hist-buckets", f"{name}=2,4.5,8")
    trigger(n)
    s = wait_events(port, ["rb_lat"], n)
    for j in range(2):
        vals = [q for q in range(1, n + 1) if q % 2 == j]
        for b in (2, 4.5, 8, float("inf")):
            assert s[(f"{NS}_rb_lat_bucket", lbl(op=str(j), le=float(b)))] == sum(1 for v in vals if v <= b)
        assert s[(f"{NS}_rb_lat_sum", lbl(op=str(j)))] == sum(vals)
    # exactly the given bounds
    les = sorted({dict(k[1])["le"] for k in s if k[0] == f"{NS}_rb_lat_bucket"})
    assert les == [2.0, 4.5, 8.0, float("inf")]
    assert r.stop()[0] == 0


def test_hist_buckets_unknown_map_is_usage_error():
    p = run_cli("run", fixture("m_events"), "--no-metrics", "--hist-buckets", "nosuch=1,2")
    assert p.returncode == 64, p.stderr
    assert "error: run: --hist-buckets nosuch: no ring buffer or perf event array hist map" in p.stderr


def test_max_series_bounds_ring_label_sets(run_ebpfctl):
    n = 9
    r, port = start(run_ebpfctl, "m_events", "--max-series", "2")
    trigger(n)
    s = wait_events(port, ["rb_calls"], n)
    kept = family_samples(s, f"{NS}_rb_calls_total")
    assert len(kept) == 2
    assert sum(kept.values()) + self_value(s, "ebpfctl_series_dropped_total", "rb_calls") == n
    assert self_value(s, "ebpfctl_series", "rb_calls") == 2
    rc, err = r.stop()
    assert rc == 0
    # warned once per map, not per dropped event
    assert err.count("map 'rb_calls': more than 2 label sets (--max-series)") == 1, err


# ---- hash maps ----

def hash_expectations(phases, percpu):
    """phases: [(cpu, [seq...])]; entries are seq % 12, labels kind = seq % 2."""
    exp = {}
    allseq = [q for _, qs in phases for q in qs]
    for k in range(2):
        labels = lbl(kind=str(k), tag="k")
        mine = [q for q in allseq if q % 2 == k]
        exp[("calls", labels)] = len(mine)
        exp[("seen", labels)] = len(mine)
        # gauge `last` per entry: the last seq that set it; per-CPU maps sum
        # the last seq of each CPU's copy (DESIGN.md: value x CPUs that set it)
        last = 0
        for r in range(k, 12, 2):
            if percpu:
                for _, qs in phases:
                    hits = [q for q in qs if q % 12 == r]
                    last += max(hits) if hits else 0
            else:
                hits = [q for q in allseq if q % 12 == r]
                last += max(hits) if hits else 0
        exp[("last", labels)] = last
        exp[("lat", labels)] = mine
    return exp


@pytest.mark.parametrize("prefix,percpu", [("hs", False), ("lru", False), ("pch", True), ("lpch", True)])
def test_hash_every_kind(run_ebpfctl, prefix, percpu):
    r, port = start(run_ebpfctl, "m_hash")
    # two phases on two CPUs (when there are two) so per-CPU sums are exercised
    c = cpus()
    phases = [(c[0], list(range(1, 8))), (c[-1], list(range(8, 14)))]
    for cpu, qs in phases:
        with Pinned(cpu):
            trigger(len(qs))
    total = sum(len(qs) for _, qs in phases)

    def settled():
        s, _, _ = parse(scrape(port))
        got = sum(family_samples(s, f"{NS}_{prefix}_calls_total").values())
        return got == total and s
    s = wait_until(settled, what="hash counters")
    e = hash_expectations(phases, percpu)
    exp = {}
    for k in range(2):
        labels = lbl(kind=str(k), tag="k")
        exp[(f"{NS}_{prefix}_calls_total", labels)] = e[("calls", labels)]
        exp[(f"{NS}_{prefix}_level_last", labels)] = e[("last", labels)]
        exp[(f"{NS}_{prefix}_level_seen", labels)] = e[("seen", labels)]
        exp.update(expect_map_hist(f"{NS}_{prefix}_lat", labels, e[("lat", labels)], 8))
    assert_samples(s, exp)
    assert len(family_samples(s, f"{NS}_{prefix}_calls_total")) == 2
    assert self_value(s, "ebpfctl_map_entries", f"{prefix}_calls") == 12
    assert self_value(s, "ebpfctl_map_max_entries", f"{prefix}_calls") == 1024
    assert self_value(s, "ebpfctl_map_read_errors_total", f"{prefix}_calls") == 0
    assert r.stop()[0] == 0


def test_hash_hist_with_a_duration_sum_is_in_seconds(run_ebpfctl):
    """struct { u32 slots[8]; duration sum; }: the slots are log2 of nanoseconds, the bounds and
    _sum are shown in seconds (spec/metrics.md), so the family can be named ..._seconds."""
    r, port = start(run_ebpfctl, "m_hash")
    trigger(13)

    def settled():
        s, _, _ = parse(scrape(port))
        return sum(family_samples(s, f"{NS}_hs_dur_seconds_count").values()) == 13 and s
    s = wait_until(settled, what="the duration histogram")
    for k in range(2):
        labels = lbl(kind=str(k), tag="k")
        vals = [q for q in range(1, 14) if q % 2 == k]
        slots = [0] * 8
        for v in vals:
            slots[min(max(v.bit_length() - 1, 0), 7)] += 1
        cum = 0
        for i, c in enumerate(slots):
            cum += c
            key = (f"{NS}_hs_dur_seconds_bucket", tuple(sorted(labels + (("le", ((1 << (i + 1)) - 1) / 1e9),))))
            assert s.get(key) == cum, (key, s.get(key))
        assert s[(f"{NS}_hs_dur_seconds_sum", labels)] == sum(vals) / 1e9
    body = scrape(port)
    assert 'le="1e-09"' in body and 'le="2.55e-07"' in body, body[:2000]
    assert promtool_check(body)[0] == 0
    assert r.stop()[0] == 0


def test_vanished_entries_vanish_and_counters_reset(run_ebpfctl):
    r, port = start(run_ebpfctl, "m_hash")
    trigger(6)
    wait_until(lambda: sum(family_samples(parse(scrape(port))[0], f"{NS}_hs_calls_total").values()) == 6,
               what="6 calls")
    os.getpgid(0)       # the probe deletes every hs_calls entry
    s = wait_until(lambda: (lambda s: not family_samples(s, f"{NS}_hs_calls_total") and s)(parse(scrape(port))[0]),
                   what="hs_calls series to vanish")
    assert ("# TYPE " + f"{NS}_hs_calls_total counter") in scrape(port)   # the family itself stays
    assert self_value(s, "ebpfctl_map_entries", "hs_calls") == 0
    trigger(1)          # seq 7: kind 1 starts again from 1 (a counter reset)
    s = wait_until(lambda: (lambda s: family_samples(s, f"{NS}_hs_calls_total") and s)(parse(scrape(port))[0]),
                   what="hs_calls to come back")
    assert family_samples(s, f"{NS}_hs_calls_total") == {(f"{NS}_hs_calls_total", lbl(kind="1", tag="k")): 1}
    assert r.stop()[0] == 0


# ---- array maps ----

@pytest.mark.parametrize("prefix,percpu", [("a", False), ("pa", True)])
def test_array_every_kind(run_ebpfctl, prefix, percpu):
    r, port = start(run_ebpfctl, "m_array")
    c = cpus()
    phases = [(c[0], list(range(1, 6))), (c[-1], list(range(6, 10)))]
    for cpu, qs in phases:
        with Pinned(cpu):
            trigger(len(qs))
    allseq = [q for _, qs in phases for q in qs]

    def settled():
        s, _, _ = parse(scrape(port))
        return sum(family_samples(s, f"{NS}_{prefix}_calls_total").values()) == len(allseq) and s
    s = wait_until(settled, what="array counters")
    exp = {}
    for k in range(3):
        mine = [q for q in allseq if q % 3 == k]
        exp[(f"{NS}_{prefix}_calls_total", lbl(key=str(k)))] = len(mine)
        exp[(f"{NS}_{prefix}_level_seen", lbl(key=str(k)))] = len(mine)
        if percpu:
            last = sum(max([q for q in qs if q % 3 == k] or [0]) for _, qs in phases)
        else:
            last = max(mine)
        exp[(f"{NS}_{prefix}_level_last", lbl(key=str(k)))] = last
    exp.update(expect_map_hist(f"{NS}_{prefix}_lat", (("key", "0"),), allseq, 8))
    assert_samples(s, exp)
    # elements 3..7 are still zero: not exported
    assert len(family_samples(s, f"{NS}_{prefix}_calls_total")) == 3
    assert self_value(s, "ebpfctl_map_entries", f"{prefix}_calls") == 8
    assert r.stop()[0] == 0


# ---- hash/array print ----

def test_print_maps_new_changed_removed(run_ebpfctl):
    # the endpoint answers once programs are attached: a readiness signal
    r, _ = start(run_ebpfctl, "m_print", "--interval", "100ms")
    hashes = ["p_hash", "p_lru", "p_pch", "p_lpch"]
    arrays = ["p_arr", "p_parr"]
    key = {"id": 1, "name": "one"}
    with Pinned(cpus()[0]):
        os.getppid()
        for m in hashes:
            o = r.wait_line(lambda o: o["map"] == m and "value" in o)
            assert o["key"] == key and o["value"] == {"count": 1, "delta": -1}, o
            assert RFC3339.match(o["time"]), o["time"]
        for m in arrays:
            o = r.wait_line(lambda o: o["map"] == m)
            assert o["key"] == 1 and o["value"] == {"count": 1, "delta": -1}, o
        o = r.wait_line(lambda o: o["map"] == "p_pcstr")
        assert o["key"] == 1
        assert [v["cpu"] for v in o["values"]] == list(range(len(o["values"])))
        assert {"who": "me"} in [v["value"] for v in o["values"]]
        trigger(2)
        for m in hashes + arrays:
            o = r.wait_line(lambda o: o["map"] == m and o.get("value", {}).get("count") == 3)
        os.getpgid(0)
        for m in hashes + ["p_pcstr"]:
            o = r.wait_line(lambda o: o["map"] == m and o.get("removed"))
            assert set(o) == {"time", "map", "key", "removed"} and o["removed"] is True
        for m in arrays:
            o = r.wait_line(lambda o: o["map"] == m and o.get("value") == {"count": 0, "delta": 0})
    rc, err = r.stop()
    assert rc == 0, err
    # each entry state is reported once: no duplicates of the first line
    firsts = [json.loads(line) for line in r.lines if json.loads(line)["map"] == "p_hash"]
    assert [o.get("value", {}).get("count") for o in firsts] == [1, 3, None]


# ---- format, lint, HTTP ----

def test_promtool_passes_on_every_fixture(run_ebpfctl):
    for fx in ("m_events", "m_hash", "m_array"):
        r, port = start(run_ebpfctl, fx)
        trigger(5)
        wait_until(lambda: f"{NS}_" in "".join(l for l in scrape(port).splitlines() if not l.startswith("#")),
                   what=f"{fx} samples")
        body = scrape(port)
        rc, out = promtool_check(body)
        assert rc == 0, f"{fx}: promtool: {out}"
        _, families, helps = parse(body)
        names = [f for f, _ in families]
        assert len(names) == len(set(names)), "a family announced twice"
        assert all(f in helps for f in names), "every family has HELP"
        # user families first, the runner's own last
        first_self = next(i for i, f in enumerate(names) if f.startswith("ebpfctl_"))
        assert all(f.startswith("ebpfctl_") for f in names[first_self:])
        assert r.stop()[0] == 0


def test_lint_warnings_and_prefix_convention(run_ebpfctl):
    r, port = start(run_ebpfctl, "m_lint")
    trigger(2)
    wait_until(lambda: parse(scrape(port))[0].get((f"{NS}_conv_hits_total", lbl(key="0"))) == 2,
               what="conv_hits")
    body = scrape(port)
    rc, out = promtool_check(body)
    flagged = {line.split()[0] for line in out.splitlines() if line.strip()}
    assert flagged == {f"{NS}_lat_ms", f"{NS}_open_counter_total"}, out
    rc, err = r.stop()
    assert rc == 0
    warns = [line for line in err.splitlines() if line.startswith("warning:")]
    assert len(warns) == 2, err
    assert any(f"'{NS}_lat_ms'" in w and "abbreviated units" in w for w in warns), warns
    assert any(f"'{NS}_open_counter_total'" in w and "type 'counter'" in w for w in warns), warns


def test_http_endpoint(run_ebpfctl):
    r, port = start(run_ebpfctl, "m_events")
    trigger(3)
    wait_events(port, ["rb_calls"], 3)
    status, h, body = http_get(port)
    assert status == 200
    assert h["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    assert "content-encoding" not in h
    # gzip when accepted; the same body inside.  Series can still appear
    # between two scrapes (late events), so compare against plain scrapes
    # taken just before and after that agree with each other.
    def same_series():
        before = parse(http_get(port)[2].decode())[0].keys()
        status, hz, zbody = http_get(port, headers={"Accept-Encoding": "gzip"})
        assert status == 200 and hz["content-encoding"] == "gzip"
        unz = parse(gzip.decompress(zbody).decode())[0].keys()
        after = parse(http_get(port)[2].decode())[0].keys()
        return before == after and unz == before
    wait_until(same_series, what="a gzip body with the same series as the plain body")
    status, hz, _ = http_get(port, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in hz
    # HEAD: headers, no body
    status, hh, hbody = http_get(port, method="HEAD")
    assert status == 200 and hbody == b"" and hh["content-type"].startswith("text/plain; version=0.0.4")
    # a small index page linking to /metrics
    status, hi, ibody = http_get(port, path="/")
    assert status == 200 and b'href="/metrics"' in ibody and hi["content-type"].startswith("text/html")
    status, _, _ = http_get(port, path="/nope")
    assert status == 404
    status, h405, _ = http_get(port, method="POST")
    assert status == 405 and "GET" in h405.get("allow", "")
    status, _, _ = http_get(port, path="/metrics?x=1")
    assert status == 200
    rc, err = r.stop()
    assert rc == 0, err


def test_ipv6_loopback(run_ebpfctl):
    if not socket.has_ipv6:
        pytest.skip("no IPv6 in this kernel")
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback address configured")
    port = free_port()
    r = run_ebpfctl(fixture("m_events"), "--metrics-addr", f"[::1]:{port}", "--set", f"target_tgid={ME}")

    def up():
        try:
            return http_get(port, host="::1")[0] == 200
        except OSError:
            assert r.proc.poll() is None, r.finish()
            return False
    wait_until(up, what="[::1] endpoint")
    assert r.stop()[0] == 0


def test_port_in_use_is_a_clear_error():
    before = bpf_prog_ids()
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        port = s.getsockname()[1]
        p = run_cli("run", fixture("m_events"), "--metrics-addr", f"127.0.0.1:{port}")
    assert p.returncode == 1, p.stderr
    lines = p.stderr.splitlines()
    assert f"error: metrics address 127.0.0.1:{port}: Address already in use" in lines, p.stderr
    assert any(line.startswith("hint:") and "--metrics-addr" in line and "--no-metrics" in line for line in lines)
    assert not (bpf_prog_ids() - before), "programs left loaded"


def test_no_metrics_opens_no_port(run_ebpfctl):
    port = free_port()
    r = run_ebpfctl(fixture("m_print"), "--set", f"target_tgid={ME}", "--interval", "100ms", "--no-metrics")
    r.wait_line(lambda o: o["map"] == "p_hash", trigger=os.getppid)
    with pytest.raises(OSError):
        http_get(port)
    assert r.stop()[0] == 0


def test_sigint_during_scrapes_exits_zero(run_ebpfctl):
    r, port = start(run_ebpfctl, "m_events")
    for _ in range(5):
        scrape(port)
    # the MHD thread has SIGINT blocked, so the runner's thread gets it
    rc, err = r.stop(signal.SIGINT)
    assert rc == 0, err


@pytest.mark.parametrize("fx,msg", [
    ("m_bad_counter", "error: map 'names': counter value must be an integer or a struct of integers, got char[16]"),
    ("m_bad_hist", "error: map 'lat': hist value must be an integer array of log2 slots or a struct whose first "
                   "integer array is the slots, got "),
    ("m_bad_gauge_event", "error: map 'level': gauge event type struct ev has no numeric value field"),
])
def test_wrong_value_shape_is_an_error(fx, msg):
    before = bpf_prog_ids()
    p = run_cli("run", fixture(fx), "--no-metrics")
    assert p.returncode == 1, p.stderr
    assert p.stderr.startswith(msg), p.stderr
    assert not (bpf_prog_ids() - before)


# ---- scale ----

def test_100k_entry_map_scrape(run_ebpfctl):
    r, port = start(run_ebpfctl, "m_big")
    os.getppid()        # fills 100000 entries with bpf_loop
    wait_until(lambda: self_value(parse(scrape(port))[0], "ebpfctl_map_entries", "big") == 100000,
               timeout=30, what="100k entries")
    t0 = time.monotonic()
    body = scrape(port)
    wall = time.monotonic() - t0
    s, _, _ = parse(body)
    big = family_samples(s, f"{NS}_big_total")
    assert len(big) == 100000
    assert sum(big.values()) == sum(range(100000))
    assert big[(f"{NS}_big_total", lbl(id="99999", shard=str(99999 % 16)))] == 99999
    took = s[("ebpfctl_scrape_duration_seconds", ())]
    # speed is measured in bench/; report it here for the record
    print(f"\n100k-entry scrape: {took * 1000:.1f} ms in ebpfctl, {wall * 1000:.1f} ms wall, "
          f"{len(body)} bytes")
    assert r.stop()[0] == 0


# ---- a real Prometheus server ----

def test_prometheus_server_scrapes_ebpfctl(run_ebpfctl):
    prom = shutil.which("prometheus")
    if not prom:
        pytest.skip("prometheus is not installed")
    r, port = start(run_ebpfctl, "m_events")
    trigger(7)
    wait_events(port, ["rb_calls"], 7)
    want = sum(1 for q in range(1, 8) if q % 3 == 1)
    with tempfile.TemporaryDirectory() as d:
        cfg = os.path.join(d, "prometheus.yml")
        with open(cfg, "w") as f:
            f.write("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                    "scrape_configs:\n  - job_name: ebpfctl\n"
                    f"    static_configs:\n      - targets: ['127.0.0.1:{port}']\n")
        pport = free_port()
        p = subprocess.Popen([prom, f"--config.file={cfg}", f"--storage.tsdb.path={os.path.join(d, 'data')}",
                              f"--web.listen-address=127.0.0.1:{pport}"],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
        try:
            query = f'{NS}_rb_calls_total{{kind="1"}}'

            def answered():
                assert p.poll() is None, p.stderr.read().decode()[-2000:]
                try:
                    st, _, b = http_get(pport, "/api/v1/query?" + urllib.parse.urlencode({"query": query}))
                except OSError:
                    return False
                res = json.loads(b)["data"]["result"] if st == 200 else []
                return res and res[0]
            res = wait_until(answered, timeout=60, interval=0.2, what="Prometheus to scrape ebpfctl")
            assert res["metric"]["tag"] == TAG     # escaped and unescaped losslessly
            assert int(res["value"][1]) == want
            st, _, b = http_get(pport, "/api/v1/query?" + urllib.parse.urlencode({"query": 'up{job="ebpfctl"}'}))
            assert json.loads(b)["data"]["result"][0]["value"][1] == "1"
        finally:
            p.kill()        # by PID: only the server this test started
            p.wait()
    assert r.stop()[0] == 0


def family_order(port):
    wait_until(lambda: (os.getppid(), "third_calls_total 0" not in scrape(port)
                        and "ebpf_solo_io_third_calls_total" in scrape(port))[1],
               what="samples")
    return [l.split()[2] for l in scrape(port).splitlines() if l.startswith("# TYPE ebpf_solo_io_")]


DECLARED = ["ebpf_solo_io_first_calls_total", "ebpf_solo_io_second_level", "ebpf_solo_io_third_calls_total"]


def test_families_follow_declaration_order(run_ebpfctl):
    """Maps in interleaved sections (counter, gauge, counter), used by the program in the
    reverse order, keep declaration order (from DWARF: the fixtures keep it)."""
    r, port = start(run_ebpfctl, "m_order")
    assert family_order(port) == DECLARED
    r.stop()


def test_declaration_order_survives_ebpfctl_build(run_ebpfctl, tmp_path):
    """`ebpfctl build` strips DWARF but keeps the order in its note section."""
    obj = tmp_path / "m_order.bpf.o"
    b = run_cli("build", os.path.join(ROOT, "tests", "bpf", "m_order.bpf.c"), "-o", str(obj),
                "--cflags", f"-I{os.path.join(ROOT, 'tests', 'bpf')}")
    assert b.returncode == 0, b.stderr
    secs = subprocess.run(["llvm-readelf", "-S", str(obj)], capture_output=True, text=True).stdout
    assert ".debug_info" not in secs and ".ebpfctl.decl_order" in secs and ".BTF" in secs, secs
    port = free_port()
    r = run_ebpfctl(str(obj), "--metrics-addr", f"127.0.0.1:{port}", "--set", f"target_tgid={ME}")
    def up():
        assert r.proc.poll() is None, r.finish()
        try:
            return http_get(port)[0] == 200
        except OSError:
            return False
    wait_until(up, what="/metrics to answer")
    assert family_order(port) == DECLARED
    r.stop()
