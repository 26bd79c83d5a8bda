"""HTTP limits (DESIGN.md section 11): a flood of scrapes while the probe streams events, slow
clients that never finish their request, and an oversized header.  libmicrohttpd's bounds
(runner/http.c: 256 connections, 64 per IP, 64 KiB per connection, 15 s idle) must keep
every legitimate scrape working and never slow event reading.

Not about the kernel: host only.  The event source is bench/ev.bpf.c (one event per write(2)
with a bad fd by bench/loadgen, paced), compiled here.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "e2e"))
from conftest import EBPFCTL, ROOT, bpf_prog_ids, deadline, free_port, wait_until  # noqa: E402

ARCH = {"x86_64": "x86", "aarch64": "arm64"}.get(os.uname().machine, os.uname().machine)


@pytest.fixture(scope="module")
def bench_bin(tmp_path_factory):
    d = tmp_path_factory.mktemp("bench")
    subprocess.run(["clang", "-g", "-O2", "-target", "bpf", f"-D__TARGET_ARCH_{ARCH}", f"-I{ROOT}/bench",
                    f"-I/usr/include/{os.uname().machine}-linux-gnu", "-c", f"{ROOT}/bench/ev.bpf.c", "-o",
                    str(d / "ev.bpf.o")], check=True)
    subprocess.run(["cc", "-O2", "-o", str(d / "loadgen"), f"{ROOT}/bench/loadgen.c", "-lpthread"], check=True)
    return d


def metric(body, name, map_):
    m = re.search(rf'^{name}\{{map="{map_}"\}} (\d+)$', body, re.M)
    return int(m.group(1)) if m else 0


def scrape(port, src="127.0.0.1", timeout=5):
    """GET /metrics from a given loopback source address: (seconds, status, body)."""
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", port), timeout=timeout, source_address=(src, 0)) as s:
        s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        data = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1]) if head else 0
    return time.monotonic() - t0, status, body.decode("utf-8", "replace")


@pytest.fixture
def streaming(bench_bin):
    """ebpfctl on ev.bpf.o, stdout drained, and a loadgen at RATE events/s."""
    procs = []

    def start(rate, seconds):
        port = free_port()
        lg = subprocess.Popen([str(bench_bin / "loadgen"), "-c", "-1", "-r", str(rate), "-n",
                               str(rate * seconds), "-w"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        ev = subprocess.Popen([EBPFCTL, "run", str(bench_bin / "ev.bpf.o"), "--set", f"target_tgid={lg.pid}",
                               "--metrics-addr", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
        procs.extend([lg, ev])

        def up():
            try:
                return scrape(port)[1] == 200
            except OSError:
                return False
        wait_until(up, what="the metrics port")
        lg.stdin.write("go\n")
        lg.stdin.flush()
        return lg, ev, port
    yield start
    for p in procs:
        if p.poll() is None:
            p.kill()
        p.communicate()


@pytest.mark.skipif(shutil.which("wrk") is None, reason="wrk not installed (ci/ installs it)")
def test_wrk_flood_while_streaming(streaming):
    """64 connections hammering /metrics for 30 s while 100k events/s stream: no HTTP error,
    every event read, nothing lost; the scrape latency is reported."""
    seconds = int(os.environ.get("EBPFCTL_TEST_WRK_SECONDS", "30"))
    rate = 100000
    before = bpf_prog_ids()
    lg, ev, port = streaming(rate, seconds + 2)
    w = subprocess.run(["wrk", "-t", "2", "-c", "64", "-d", f"{seconds}s", "--latency", "--timeout", "5s",
                        f"http://127.0.0.1:{port}/metrics"], capture_output=True, text=True,
                       timeout=deadline(seconds + 60))
    out = w.stdout
    print(out)
    assert w.returncode == 0, out + w.stderr
    assert "Socket errors" not in out, out
    assert "Non-2xx" not in out, out
    reqs = int(re.search(r"(\d+) requests in", out).group(1))
    assert reqs > seconds, out
    lat = dict(re.findall(r"^\s+(50|99)%\s+(\S+)$", out, re.M))
    print(f"scrapes: {reqs} in {seconds}s; latency p50 {lat.get('50')} p99 {lat.get('99')}")
    produced = int(lg.communicate(timeout=deadline(60))[0].split()[1])
    # every produced event is read, and none was dropped by the ring
    def all_read():
        body = scrape(port)[2]
        return metric(body, "ebpfctl_events_read_total", "events") >= produced and body
    body = wait_until(all_read, timeout=30, what="every event read")
    assert metric(body, "ebpfctl_events_read_total", "events") == produced
    drops = re.search(r"^ebpf_solo_io_rb_drops_total\S* (\d+)$", body, re.M)
    assert not drops or int(drops.group(1)) == 0, drops.group(0)
    ev.send_signal(2)
    _, err = ev.communicate(timeout=deadline(20))
    assert ev.returncode == 0, err
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")


def test_slowloris_does_not_stop_a_scrape(streaming):
    """200 connections from another loopback address that send half a request and stall:
    a normal scrape still succeeds within 1 s (the per-IP bound leaves room for others)."""
    lg, ev, port = streaming(1000, 60)
    slow = []
    try:
        for i in range(200):
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5, source_address=("127.0.0.2", 0))
                s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ")
                slow.append(s)
            except OSError:
                pass  # refused over the per-IP bound: that is the point
        assert len(slow) >= 64
        for _ in range(5):
            took, status, body = scrape(port)
            assert status == 200 and "ebpfctl_build_info" in body
            assert took < deadline(1.0), f"scrape took {took:.3f}s"
    finally:
        for s in slow:
            s.close()


def test_huge_header_is_refused_not_a_crash(streaming):
    lg, ev, port = streaming(1000, 60)
    with socket.create_connection(("127.0.0.1", port), timeout=10) as s:
        try:
            s.sendall(b"GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (64 * 1024) + b"\r\n\r\n")
            data = s.recv(4096)
        except (ConnectionResetError, BrokenPipeError):
            data = b""
    # 431 Request Header Fields Too Large, or the connection closed
    assert data == b"" or data.split(b" ", 2)[1] in (b"431", b"413", b"400"), data[:200]
    # still serving
    assert scrape(port)[1] == 200
    assert ev.poll() is None
