"""Exact loss accounting (include/ebpfctl_helpers.h, runner/loss.c,
spec/metrics.md "Counting lost records").

tests/bpf/ev_flood.h writes `burst` (256) records per getppid() of this
process into two 4 KiB ring buffers (ebpfctl_ringbuf_output, and
ebpfctl_ringbuf_reserve + submit) and a perf event array
(ebpfctl_perf_output), counting every attempt in the `produced` counter map.
170 records fit in a ring, so every call overflows both rings; the perf
buffers (64 pages per CPU, 8192 records) overflow because this test leaves
ebpfctl's stdout unread while it triggers: ebpfctl blocks writing, stops
consuming, and every buffer fills.  Then, map by map,

    produced == lines delivered on stdout + ebpfctl_events_lost_total

exactly, and the exit summary says the same numbers.
"""
import collections
import json
import os
import re

from authoring_util import parse_metrics, scrape
from conftest import deadline, fixture, free_port, wait_until

ME = os.getpid()
NS = "ebpf_solo_io"
FLOOD_MAPS = ["flood", "flood_rsv", "flood_pe"]   # produced{key="0".."2"}
BURST = 256
RING_FIT = 4096 // 24                             # 8-byte header + 16-byte record


def metrics(port):
    body = scrape(port)
    assert body is not None, "metrics endpoint went away"
    return body


def value(body, name, **labels):
    for n, lb, v in parse_metrics(body):
        if n == name and lb == labels:
            return int(v)
    raise AssertionError(f"no sample {name}{labels} in:\n{body}")


def families(body):
    return [line[7:] for line in body.splitlines() if line.startswith("# TYPE ")]


def start(run_ebpfctl, *objs_and_args):
    port = free_port()
    r = run_ebpfctl(*objs_and_args, "--metrics-addr", f"127.0.0.1:{port}", "--set", f"target_tgid={ME}")

    def up():
        if r.proc.poll() is not None:
            raise AssertionError(f"ebpfctl exited: {r.finish()}")
        return scrape(port)
    # /metrics is served once every program is attached
    wait_until(up, timeout=20, what="metrics endpoint")
    return r, port


def trigger_pinned(calls):
    """getppid() `calls` times from one CPU: one perf buffer takes them all."""
    old = os.sched_getaffinity(0)
    os.sched_setaffinity(0, {min(old)})
    try:
        for _ in range(calls):
            os.getppid()
    finally:
        os.sched_setaffinity(0, old)


def drain(r):
    """Read whatever ebpfctl has written so far."""
    while r._fill(0.01):
        pass


def delivered(r, maps):
    """Lines per map, checking that no record came twice."""
    seen = collections.defaultdict(set)
    for line in r.lines:
        ev = json.loads(line)
        key = (ev["event"]["seq"], ev["event"]["i"])
        assert key not in seen[ev["map"]], f"record {key} of map {ev['map']} delivered twice"
        seen[ev["map"]].add(key)
    assert set(seen) <= set(maps), set(seen)
    return {m: len(seen[m]) for m in maps}


def lost_warnings(err):
    return sorted(line for line in err.splitlines() if line.endswith(" events lost"))


def test_flood_produced_equals_delivered_plus_lost(run_ebpfctl):
    calls = 100
    r, port = start(run_ebpfctl, fixture("ev_flood"))
    # stdout is not read while the probe floods: ebpfctl blocks on it
    trigger_pinned(calls)
    body = metrics(port)   # served by its own thread: a blocked stdout does not stop it
    produced = {m: value(body, f"{NS}_produced_total", key=str(k)) for k, m in enumerate(FLOOD_MAPS)}
    assert produced == {m: calls * BURST for m in FLOOD_MAPS}

    state = {}

    def caught_up():
        # read stdout again until ebpfctl has read or lost every record and
        # written every line it read (only then can SIGINT lose no output)
        drain(r)
        body = metrics(port)
        read = {m: value(body, "ebpfctl_events_read_total", map=m) for m in FLOOD_MAPS}
        lost = {m: value(body, "ebpfctl_events_lost_total", map=m) for m in FLOOD_MAPS}
        state.update(read=read, lost=lost, lines=len(r.lines))
        return all(read[m] + lost[m] >= produced[m] for m in FLOOD_MAPS) and len(r.lines) == sum(read.values())

    try:
        wait_until(caught_up, timeout=30, what="ebpfctl to read or lose every record")
    except AssertionError:
        raise AssertionError(f"produced {produced}, last seen {state}")
    read, lost = state["read"], state["lost"]
    rc, err = r.stop()
    assert rc == 0, err
    got = delivered(r, FLOOD_MAPS)
    assert got == read
    for m in FLOOD_MAPS:
        assert produced[m] == got[m] + lost[m], (m, produced[m], got[m], lost[m])
    # every call overflowed both rings; the blocked reader made the perf buffer overflow
    for m in ("flood", "flood_rsv"):
        assert lost[m] >= calls * (BURST - RING_FIT), (m, lost[m])
    assert lost["flood_pe"] > 0
    assert lost_warnings(err) == sorted(f"warning: map '{m}': {lost[m]} events lost" for m in FLOOD_MAPS)
    assert err.count("warning") == 3, err


def test_without_helpers_nothing_changes(run_ebpfctl):
    """The same probe with the plain helpers: the same families, and ring
    buffer losses stay at 0 although records were dropped (only the probe can
    count them).  The perf buffers do not overflow here (5120 records, 8192
    fit per CPU), so there is no warning at exit."""
    calls = 20
    fams = {}
    for fx in ("ev_flood", "ev_flood_plain"):
        r, port = start(run_ebpfctl, fixture(fx))
        trigger_pinned(calls)
        state = {}

        def caught_up():
            drain(r)
            body = metrics(port)
            read = {m: value(body, "ebpfctl_events_read_total", map=m) for m in FLOOD_MAPS}
            backlog = [value(body, "ebpfctl_ringbuf_backlog_bytes", map=m) for m in ("flood", "flood_rsv")]
            state.update(body=body, read=read)
            return read["flood_pe"] == calls * BURST and backlog == [0, 0] and len(r.lines) == sum(read.values())

        wait_until(caught_up, timeout=30, what=f"{fx}: every record read")
        body = state["body"]
        fams[fx] = families(body)
        lost = {m: value(body, "ebpfctl_events_lost_total", map=m) for m in FLOOD_MAPS}
        rc, err = r.stop()
        assert rc == 0, err
        got = delivered(r, FLOOD_MAPS)
        assert got["flood"] < calls * BURST and got["flood_rsv"] < calls * BURST
        assert lost["flood_pe"] == 0 and got["flood_pe"] == calls * BURST
        if fx == "ev_flood":
            for m in ("flood", "flood_rsv"):
                assert got[m] + lost[m] == calls * BURST
            assert len(lost_warnings(err)) == 2, err
        else:
            assert lost == {m: 0 for m in FLOOD_MAPS}
            assert "warning" not in err, err
    assert fams["ev_flood"] == fams["ev_flood_plain"]


def test_counters_are_not_settable(run_ebpfctl):
    for fx, var in (("ev_flood", "__ebpfctl_lost_flood"), ("ev_loss_decl", "__ebpfctl_lost_hand")):
        r = run_ebpfctl(fixture(fx), "--set", f"{var}=1")
        rc, err = r.finish()
        settable = {"ev_flood": "target_tgid (u32), burst (u32), flood_seq (u64)",
                    "ev_loss_decl": "target_tgid (u32), decl_seq (u64)"}[fx]
        assert rc == 64, err
        assert err.splitlines()[-1] == (f"error: --set {var}=1: unknown global '{var}': "
                                        f"settable globals are {settable}"), err


NARROW = ("warning: global '__ebpfctl_lost_narrow'{obj}: a loss counter must be an 8-byte integer, "
          "got u32: ignored")
GHOST = ("warning: global '__ebpfctl_lost_ghost'{obj}: no exported ring buffer or perf event array "
         "'ghost' to count losses for: ignored")


def test_counters_by_hand(run_ebpfctl):
    """A counter declared by hand in .bss counts; a 4-byte one and one for no
    map are warned about at start and ignored."""
    calls = 4
    r, port = start(run_ebpfctl, fixture("ev_loss_decl"))
    for _ in range(calls):
        os.getppid()

    def seen():
        drain(r)
        body = metrics(port)
        return value(body, "ebpfctl_events_read_total", map="narrow") == calls and body
    body = wait_until(seen, timeout=10, what="the events")
    assert value(body, "ebpfctl_events_lost_total", map="hand") == 3 * calls
    assert value(body, "ebpfctl_events_lost_total", map="narrow") == 0
    rc, err = r.stop()
    assert rc == 0, err
    lines = err.splitlines()
    assert lines[:2] == [NARROW.format(obj=""), GHOST.format(obj="")], err
    assert lost_warnings(err) == [f"warning: map 'hand': {3 * calls} events lost"]


def test_several_objects(run_ebpfctl):
    calls = 3
    r, port = start(run_ebpfctl, fixture("ev_flood"), fixture("ev_loss_decl"))
    for _ in range(calls):
        os.getppid()

    # every produced event is read or counted lost, exactly, in each object; how many the ring
    # loses depends on whether the reader drains it during a burst (the slow guest's did: 20)
    def seen():
        drain(r)
        body = metrics(port)
        read = value(body, "ebpfctl_events_read_total", object="ev_flood", map="flood_pe")
        ring = value(body, "ebpfctl_events_read_total", object="ev_flood", map="flood") + \
            value(body, "ebpfctl_events_lost_total", object="ev_flood", map="flood")
        return read == calls * BURST and ring == calls * BURST and body
    body = wait_until(seen, timeout=20, what="every event read or counted lost")
    hand = value(body, "ebpfctl_events_lost_total", object="ev_loss_decl", map="hand")
    assert hand == 3 * calls
    rc, err = r.stop()
    assert rc == 0, err
    obj = " (object 'ev_loss_decl')"
    assert NARROW.format(obj=obj) in err.splitlines() and GHOST.format(obj=obj) in err.splitlines(), err
    assert f"warning: map 'hand' (object 'ev_loss_decl'): {hand} events lost" in err.splitlines(), err
    assert re.search(r"^warning: map 'flood' \(object 'ev_flood'\): \d+ events lost$", err, re.M), err
