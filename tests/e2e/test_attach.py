"""Every attach type the runner supports, one test each, on the running kernel.

Fixtures tests/bpf/at_*.bpf.c print one `at_events` line per call of the traced function
by this process (`--set target_tgid`), with the call's argument and return value.  The
syscall-based ones trace getpgid(2) with the PID of the ebpfctl child as the argument: it
leads its own session, so the argument and the return value are both that PID.

tracepoint, raw_tp, tp_btf, uprobe, iter and tail calls are exercised in test_run.py too.
The examples/*_kprobe and *_fentry variants are tested here as well (they need the same
kernel features); the rest of examples/ is tested in test_examples.py.

A test skips only when the running kernel truly lacks the feature, detected first by what
the kernel shows (kprobe/uprobe PMUs, BTF, the active LSM list) and then by the load itself
(fentry/fexit/lsm refused with EPERM, as on the 6.18 machines), and says why.  Inside the
second-kernel guest (EBPFCTL_TEST_KERNEL=guest, set by ci/vm-check.sh) every feature is
expected, so a "skip" there is a failure.
"""
import json
import os
import platform
import re
import socket
import subprocess
import time

import pytest

from authoring_util import samples, tcp_roundtrip, wait_sample
from conftest import BUILD, bpf_prog_ids, fixture, free_port, wait_until

ME = os.getpid()
GUEST = os.environ.get("EBPFCTL_TEST_KERNEL") == "guest"
PMU = "/sys/bus/event_source/devices"


def need(ok, why):
    """Skip with WHY when the kernel lacks a feature; in the guest, fail instead."""
    if ok:
        return
    if GUEST:
        pytest.fail(f"{why} (EBPFCTL_TEST_KERNEL=guest: every attach type must work here)")
    pytest.skip(why)


def need_x86_64():
    # the fixtures name x86_64 syscall wrappers (__x64_sys_getpgid) and pt_regs layout
    need(platform.machine() == "x86_64", f"fixtures trace x86_64 syscall wrappers, this is "
         f"{platform.machine()}")


def need_kprobes():
    need_x86_64()
    need(os.path.isdir(f"{PMU}/kprobe"),
         f"kernel {platform.release()} has no kprobes (no {PMU}/kprobe: CONFIG_KPROBES off)")


def need_uprobes():
    need(os.path.isdir(f"{PMU}/uprobe"),
         f"kernel {platform.release()} has no uprobes (no {PMU}/uprobe)")


def need_btf():
    need(os.path.exists("/sys/kernel/btf/vmlinux"),
         f"kernel {platform.release()} has no BTF (/sys/kernel/btf/vmlinux): no BPF trampolines")


def need_bpf_lsm():
    need_btf()
    try:
        with open("/sys/kernel/security/lsm") as f:
            active = f.read().strip()
    except OSError:
        return  # securityfs not mounted: the load attempt decides
    need("bpf" in active.split(","),
         f"the BPF LSM is not active on kernel {platform.release()} (lsm={active}; "
         f"boot with lsm=...,bpf)")


def prog_types():
    """{name: type} of loaded programs, as bpftool names the types.  Names are cut to the
    kernel's 15 characters (bpftool shows the full name only when it finds BTF for it)."""
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    return {p.get("name", "")[:15]: p.get("type") for p in json.loads(out.stdout or "[]")}


def start(run_ebpfctl, name, what):
    """Start the fixture; a kernel that refuses the program type skips (see need())."""
    r = run_ebpfctl(fixture(name), "--set", f"target_tgid={ME}")
    r.what = what
    return r


def wait_for(r, pred, trigger, timeout=10):
    """r.wait_line(), except that a kernel refusing the program type skips the test."""
    try:
        return r.wait_line(pred, trigger=trigger, timeout=timeout)
    except AssertionError:
        if r.proc.poll() is not None and r.proc.returncode == 1 and \
                "Operation not permitted" in r.stderr:
            need(False, f"kernel {platform.release()} refuses {r.what} programs: "
                        f"{r.stderr.splitlines()[0]}")
        raise


def wait_kind(r, kind, trigger, timeout=10):
    return wait_for(r, lambda o: o["map"] == "at_events" and o["event"]["kind"] == kind,
                    trigger, timeout)


def finish(r, before, progs):
    """While running, the programs are loaded with the expected types; stop; none remain."""
    types = prog_types()
    for p, t in progs.items():
        assert types.get(p[:15]) == t, f"program {p}: type {types.get(p[:15])}, expected {t}"
    rc, err = r.stop()
    assert rc == 0 and err == "", err
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")


def getpgid_trigger(r):
    return lambda: os.getpgid(r.proc.pid)


def check_getpgid(ev, r, arg=None, ret=None):
    assert ev["event"]["pid"] == ME
    if arg is not None:
        assert ev["event"]["arg"] == arg, ev
    if ret is not None:
        assert ev["event"]["ret"] == ret, ev


# --- kprobes -------------------------------------------------------------------------------

def test_kprobe(run_ebpfctl):
    need_kprobes()
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_kprobe", "kprobe")
    ev = wait_kind(r, "kprobe", getpgid_trigger(r))
    check_getpgid(ev, r, arg=r.proc.pid)
    finish(r, before, {"at_kprobe": "kprobe"})


def test_kretprobe(run_ebpfctl):
    need_kprobes()
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_kretprobe", "kretprobe")
    ev = wait_kind(r, "kretprobe", getpgid_trigger(r))
    check_getpgid(ev, r, ret=r.proc.pid)
    finish(r, before, {"at_kretprobe": "kprobe"})


def test_ksyscall_and_kretsyscall(run_ebpfctl):
    need_kprobes()
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_ksyscall", "ksyscall")
    ev = wait_kind(r, "ksyscall", getpgid_trigger(r))
    check_getpgid(ev, r, arg=r.proc.pid)
    ev = wait_kind(r, "kretsyscall", getpgid_trigger(r))
    check_getpgid(ev, r, ret=r.proc.pid)
    finish(r, before, {"at_ksyscall": "kprobe", "at_kretsyscall": "kprobe"})


# --- BPF trampolines and LSM ---------------------------------------------------------------

def test_fentry(run_ebpfctl):
    need_x86_64()
    need_btf()
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_fentry", "fentry")
    ev = wait_kind(r, "fentry", getpgid_trigger(r))
    check_getpgid(ev, r, arg=r.proc.pid)
    finish(r, before, {"at_fentry": "tracing"})


def test_fexit(run_ebpfctl):
    need_x86_64()
    need_btf()
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_fexit", "fexit")
    ev = wait_kind(r, "fexit", getpgid_trigger(r))
    check_getpgid(ev, r, arg=r.proc.pid, ret=r.proc.pid)
    finish(r, before, {"at_fexit": "tracing"})


def test_fmod_ret(run_ebpfctl, tmp_path):
    need_btf()
    marker = tmp_path / "at-fmodret-marker"
    marker.write_text("x")
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_fmodret", "fmod_ret")
    ev = wait_kind(r, "fmod_ret", lambda: open(marker).close())
    assert ev["event"]["pid"] == ME and ev["event"]["ret"] == 0, ev
    # returning 0 leaves the call alone: opens still work while attached
    assert marker.read_text() == "x"
    finish(r, before, {"at_fmodret": "tracing"})


def test_lsm(run_ebpfctl, tmp_path):
    need_bpf_lsm()
    marker = tmp_path / "at-lsm-marker"
    marker.write_text("x")
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_lsm", "lsm")
    ev = wait_kind(r, "lsm", lambda: open(marker).close())
    r.wait_line(lambda o: o["map"] == "at_events" and o["event"]["name"] == marker.name,
                trigger=lambda: open(marker).close())
    assert ev["event"]["pid"] == ME
    assert marker.read_text() == "x"  # the hook allows
    finish(r, before, {"at_lsm": "lsm"})


# --- uprobes -------------------------------------------------------------------------------

def test_uprobe(run_ebpfctl):
    need_uprobes()
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_uprobe", "uprobe")
    ev = wait_kind(r, "uprobe", getpgid_trigger(r))
    check_getpgid(ev, r, arg=r.proc.pid)
    finish(r, before, {"at_uprobe": "kprobe", "at_uretprobe": "kprobe"})


def test_uretprobe(run_ebpfctl):
    need_uprobes()
    before = bpf_prog_ids()
    r = start(run_ebpfctl, "at_uprobe", "uretprobe")
    ev = wait_kind(r, "uretprobe", getpgid_trigger(r))
    check_getpgid(ev, r, ret=r.proc.pid)
    finish(r, before, {"at_uprobe": "kprobe", "at_uretprobe": "kprobe"})


def test_usdt(run_ebpfctl):
    """usdt/PATH:PROVIDER:NAME on build/tests/usdt_target, with both probe arguments."""
    need_uprobes()
    target = os.path.join(BUILD, "tests", "usdt_target")
    assert os.path.exists(target), f"{target} not built (run make)"
    t = subprocess.Popen([target], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert t.stdout.readline() == "ready\n"
        before = bpf_prog_ids()
        r = run_ebpfctl(fixture("at_usdt"), "--set", f"target_tgid={t.pid}")
        r.what = "usdt"

        def fire():
            t.stdin.write("x\n")
            t.stdin.flush()
            t.stdout.readline()

        ev = wait_kind(r, "usdt", fire)
        assert ev["event"]["pid"] == t.pid, ev
        n = ev["event"]["arg"]
        assert n >= 1 and ev["event"]["ret"] == n * 1000, ev
        finish(r, before, {"at_usdt": "kprobe"})
    finally:
        t.stdin.close()
        t.wait(timeout=10)


# --- examples written with kprobes / fentry ------------------------------------------------

NS = "ebpf_solo_io_"
# Go's time.Duration text: "52.1µs", "1.5ms", "2s", "1m3.5s"
DURATION_RE = re.compile(r"^(\d+h)?(\d+m)?\d+(\.\d+)?(ns|µs|ms|s)$")


def example_obj(name):
    path = os.path.join(BUILD, "examples", name + ".bpf.o")
    assert os.path.exists(path), f"{path} not built (run make)"
    return path


def has_ipv6_loopback():
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def every(seconds, fn):
    last = [0.0]

    def trigger():
        if time.monotonic() - last[0] >= seconds:
            last[0] = time.monotonic()
            fn()
    return trigger


def check_tcpconnlat(run_ebpfctl, name, what, prog_type):
    before = bpf_prog_ids()
    port = free_port()
    r = run_ebpfctl("--metrics-addr", f"127.0.0.1:{port}", "--set", f"target_pid={ME}",
                    example_obj(name), metrics=True)
    r.what = what
    with open("/proc/self/comm") as f:
        comm = f.read().strip()
    families = [(socket.AF_INET, "AF_INET", "127.0.0.1")]
    if has_ipv6_loopback():
        families.append((socket.AF_INET6, "AF_INET6", "::1"))
    for fam, fam_name, addr in families:
        ports = set()

        def connect():
            p, _ = tcp_roundtrip(fam)
            ports.add(p)

        ev = wait_for(r, lambda o: o["map"] == "connects" and o["event"]["dport"] in ports,
                      every(0.3, connect))["event"]
        assert ev["family"] == fam_name, ev
        v4, v6 = (addr, "::") if fam == socket.AF_INET else ("0.0.0.0", addr)
        assert (ev["saddr_v4"], ev["daddr_v4"]) == (v4, v4), ev
        assert (ev["saddr_v6"], ev["daddr_v6"]) == (v6, v6), ev
        assert 0 < ev["sport"] < 65536 and ev["sport"] != ev["dport"], ev
        assert ev["pid"] == ME and ev["comm"] == comm, ev
        assert DURATION_RE.match(ev["latency"]), ev
        wait_sample(port, NS + "tcp_connect_latency_seconds_count",
                    lambda l, v: l == {"family": fam_name} and v >= 1, run=r)
    buckets = [(l, v) for l, v in samples(port, NS + "tcp_connect_latency_seconds_bucket")
               if l.get("family") == "AF_INET"]
    assert buckets and buckets[-1][0]["le"] == "+Inf", buckets
    finish(r, before, {"tcp_v4_connect": prog_type, "tcp_v6_connect": prog_type,
                       "tcp_rcv_state_process": prog_type})


def test_tcpconnlat_kprobe(run_ebpfctl):
    need_kprobes()
    check_tcpconnlat(run_ebpfctl, "tcpconnlat_kprobe", "kprobe", "kprobe")


def test_tcpconnlat_fentry(run_ebpfctl):
    need_x86_64()
    need_btf()
    check_tcpconnlat(run_ebpfctl, "tcpconnlat_fentry", "fentry", "tracing")


def test_capable_kprobe(run_ebpfctl):
    need_kprobes()
    before = bpf_prog_ids()
    port = free_port()
    r = run_ebpfctl("--metrics-addr", f"127.0.0.1:{port}", "--set", f"target_pid={ME}",
                    example_obj("capable_kprobe"), metrics=True)
    r.what = "kprobe"

    def raw_socket():  # inet_create() asks for CAP_NET_RAW
        socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP).close()

    ev = wait_for(r, lambda o: o["map"] == "checks" and o["event"]["cap"] == "CAP_NET_RAW",
                  every(0.3, raw_socket))["event"]
    with open("/proc/self/comm") as f:
        comm = f.read().strip()
    assert ev == {"pid": ME, "uid": os.getuid(), "comm": comm, "cap": "CAP_NET_RAW",
                  "audit": True, "verdict": "ALLOWED"}, ev
    wait_sample(port, NS + "capability_checks_total",
                lambda l, v: l == {"cap": "CAP_NET_RAW", "verdict": "ALLOWED"} and v >= 1, run=r)
    finish(r, before, {"cap_capable_entry": "kprobe", "cap_capable_exit": "kprobe"})
