"""Soak, short form (bench/soak.sh runs the same bench/soak.py for 30 minutes): ebpfctl on
bench/ev.bpf.c at 30% of the maximum rate measured first, a scrape every second, for ~60 s.
Every JSON line goes through json.loads and every scrape through a strict text-format 0.0.4
parser (promtool on a sample); nothing may be lost, nothing may fail to parse, the fd count
must not move after the warm-up and the resident set must stay flat.

Bounds.  After the warm-up (15 s: stdio and libmicrohttpd buffers, the HTTP thread's malloc
arena and the first scrapes' pages are in by then) ebpfctl has nothing left to allocate: events
are formatted into a fixed buffer and scrapes build a bounded body.  The 30-minute soak measures
the drift (bench/RESULTS.md, Soak: +4 to +140 kB after warm-up over 30 minutes, none in the last
18 minutes of any run).  The bound here is 1 MiB of VmRSS and 512 KiB of RssAnon (the heap) over
the ~45 s after warm-up: at the rates this machine gives (18-65k events/s) that is 0.8-3M events
and ~45 scrapes, so a leak of one smallest malloc chunk (32 bytes) per event crosses it 25 times
over, and one of ~12 KiB per scrape (five times this probe's whole 2.5 KB body) crosses the heap
bound, while page-granular heap and stack fluctuation (tens of kB in every run measured) stays
far below.

Not about the kernel's features: tracepoint + ring buffer only; host only.  Runs as root.
"""
import json
import os
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from conftest import EBPFCTL, ROOT, deadline  # noqa: E402

sys.path.insert(0, os.path.join(ROOT, "bench"))
import soak  # noqa: E402

ARCH = {"x86_64": "x86", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)
SECONDS = float(os.environ.get("EBPFCTL_TEST_SOAK_SECONDS", "60"))
WARMUP = 15.0


@pytest.fixture(scope="module")
def soak_build(tmp_path_factory):
    d = tmp_path_factory.mktemp("soak")
    subprocess.run(["clang", "-g", "-O2", "-target", "bpf", f"-D__TARGET_ARCH_{ARCH}", f"-I{ROOT}/bench",
                    f"-I/usr/include/{os.uname().machine}-linux-gnu", "-c", f"{ROOT}/bench/ev.bpf.c", "-o",
                    str(d / "ev.bpf.o")], check=True)
    subprocess.run(["cc", "-O2", "-o", str(d / "loadgen"), f"{ROOT}/bench/loadgen.c", "-lpthread"], check=True)
    return d


def test_exposition_parser_is_strict():
    """The scrape parser must reject what Prometheus would, or 'zero parse failures' means nothing."""
    good = ("# HELP a_total Some help\n# TYPE a_total counter\na_total{k=\"v\\\"\\n\\\\\"} 1\n"
            "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3.5\nh_count 2\n"
            "g NaN\ng2 -Inf 1700000000000\n")
    samples, types = soak.parse_exposition(good)
    assert samples[("a_total", (("k", 'v"\n\\'),))] == 1 and types["h"] == "histogram"
    bad = [
        "a 1",                                                   # no final newline
        "a{k=\"v\"} 1\na{k=\"v\"} 2\n",                           # duplicate series
        "# TYPE a counter\n# TYPE a counter\na 1\n",              # second TYPE
        "a 1\n# TYPE a counter\n",                                # TYPE after samples
        "# TYPE a foo\na 1\n",                                    # unknown type
        "a{k=\"v\\x\"} 1\n",                                       # bad escape
        "a{k=\"v\"  1\n",                                         # unterminated label set
        "a 1x\n",                                                 # bad value
        "a 1 2 3\n",                                              # too many fields
        "a 1\nb 1\na{x=\"1\"} 2\n",                              # family not contiguous
        "1a 1\n",                                                 # bad name
        "# TYPE c counter\nc -1\n",                               # negative counter
        "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",
        "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",          # no +Inf
        "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",       # count mismatch
        "a{__x=\"1\"} 1\n",                                       # reserved label
    ]
    for body in bad:
        with pytest.raises(soak.ExpoError):
            soak.parse_exposition(body)


def test_soak_short(soak_build, tmp_path):
    """~60 s at 30% of the measured maximum: zero parse failures, zero loss, fd count constant
    after warm-up, RSS flat (bounds: module docstring)."""
    out = tmp_path / "soak.json"
    env = dict(os.environ, SOAK_BUILD=str(soak_build), SOAK_EBPFCTL=EBPFCTL)
    t0 = time.monotonic()
    p = subprocess.run([sys.executable, os.path.join(ROOT, "bench", "soak.py"), "--seconds", str(SECONDS),
                        "--warmup", str(WARMUP), "--max-seconds", "2", "--max-reps", "1", "--bisect-steps", "3",
                        "--json", str(out)], env=env, capture_output=True, text=True,
                       timeout=deadline(SECONDS + 300))
    took = time.monotonic() - t0
    print(p.stderr)
    assert p.returncode == 0, p.stderr[-3000:]
    R = json.loads(out.read_text())
    S = R["soak"]
    print(f"soak: {took:.0f} s in all; {S['rate']}/s for {S['seconds']:.0f} s; ebpfctl max "
          f"{R['max']['max']:.0f}/s, pipeline max {R['max_parsed']['max']:.0f}/s; RSS {S['rss_start']} -> "
          f"{S['rss_warm']} -> {S['rss_end']} kB; fds {S['fd_min']}..{S['fd_max']}; scrape p50 "
          f"{S['lat_p50'] * 1e3:.2f} ms p99 {S['lat_p99'] * 1e3:.2f} ms")
    # every line and every scrape parses, whatever else happened
    assert S["line_failures"] == 0, S["first_line_failures"]
    assert S["bad_time"] == 0
    assert S["read"] == S["lines"], (S["read"], S["lines"])
    # nothing lost, every line there once and in order.  On a shared VM the whole machine can stop
    # for seconds (the 30-minute soaks saw 3 s); the paced generator then catches up in a burst
    # that can overflow the ring while ebpfctl waits for its pipe.  A loss right after such a stall
    # (this test's nice -10 monitor thread not run for >= 300 ms in the 5 s before) is the
    # machine's, and makes the run inconclusive; a loss without one fails.
    assert S["produced"] > 0.9 * S["rate"] * S["seconds"], S
    if S["lost"] or S["drops"]:
        unexplained = [e for e in S["loss_episodes"] if not any(g[1] >= 0.3 for g in e[4])]
        assert not unexplained, f"events lost without a machine stall: {unexplained}; stalls {S['stalls'][:20]}"
        pytest.skip(f"inconclusive: {S['drops'] + S['lost']} events lost right after machine stalls "
                    f"(longest {S['stall_max'][1]:.2f} s): {S['loss_episodes'][:5]}")
    assert S["read"] == S["produced"], (S["produced"], S["read"], S["lines"])
    assert S["line_gaps"] == 0
    assert S["scrapes"] >= 0.9 * S["seconds"], S["scrapes"]
    assert S["scrape_failures"] == 0 and S["expo_failures"] == 0, S["failure_messages"]
    assert S["counter_decreases"] == 0, S["failure_messages"]
    assert S["promtool_runs"] >= 3 and S["promtool_parse_failures"] == 0, S["failure_messages"]
    # resources: fds constant after warm-up, RSS flat
    assert S["fd_after_min"] == S["fd_after_max"], S["samples"]
    assert S["rss_end"] - S["rss_warm"] < 1024, S["samples"]
    assert S["anon_end"] - S["anon_warm"] < 512, (S["anon_warm"], S["anon_end"])
    assert S["exit_code"] == 0 and S["prog_gone"], S["stderr"]
