"""Every attach type the runner supports, one test each, on the running kernel.

Fixtures tests/bpf/at_*.bpf.c print one `at_events` line per call of the traced function
by this process (`--set target_tgid`), with the call's argument and return value.  The
syscall-based ones trace getpgid(2) with the PID of the ebpfctl child as the argument: it
leads its own session, so the argument and the return value are both that PID.

tracepoint, raw_tp, tp_btf, uprobe, iter and tail calls are exercised in test_run.py too.

A test skips only when the running kernel truly lacks the feature, detected first by what
the kernel shows (kprobe/uprobe PMUs, BTF, the active LSM list) and then by the load itself
(fentry/fexit/lsm refused with EPERM, as on the 6.18 machines), and says why.  Inside the
second-kernel guest (EBPFCTL_TEST_KERNEL=guest, set by ci/vm-check.sh) every feature is
expected, so a "skip" there is a failure.
"""
import json
import os
import platform
import subprocess

import pytest

from conftest import bpf_prog_ids, fixture, wait_until

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
    """{name: type} of loaded programs, as bpftool names the types."""
    out = subprocess.run(["bpftool", "-j", "prog", "show"], capture_output=True, text=True)
    return {p.get("name", ""): p.get("type") for p in json.loads(out.stdout or "[]")}


def start(run_ebpfctl, name, what):
    """Start the fixture; a kernel that refuses the program type skips (see need())."""
    r = run_ebpfctl(fixture(name), "--set", f"target_tgid={ME}")
    r.what = what
    return r


def wait_kind(r, kind, trigger, timeout=10):
    try:
        return r.wait_line(lambda o: o["map"] == "at_events" and o["event"]["kind"] == kind,
                           trigger=trigger, timeout=timeout)
    except AssertionError:
        if r.proc.poll() is not None and r.proc.returncode == 1 and \
                "Operation not permitted" in r.stderr:
            need(False, f"kernel {platform.release()} refuses {r.what} programs: "
                        f"{r.stderr.splitlines()[0]}")
        raise


def finish(r, before, progs):
    """While running, the programs are loaded with the expected types; stop; none remain."""
    types = prog_types()
    for p, t in progs.items():
        assert types.get(p) == t, f"program {p}: type {types.get(p)}, expected {t}"
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
