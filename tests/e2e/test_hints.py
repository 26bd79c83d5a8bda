"""Hints that fit the situation (issue: paper cuts): when ebpfctl already has the capabilities a
refusal is someone else's, so it does not say "run as root"; and where kprobes are compiled out
the hint offers fentry only where this kernel takes fentry programs.  Both kernels: the host
refuses fentry with EPERM and has no kprobes; the second kernel has both."""
import os

import pytest

from conftest import BUILD, bpf_prog_ids, run_cli

FENTRY = os.path.join(BUILD, "examples", "tcpconnlat_fentry.bpf.o")
KPROBE = os.path.join(BUILD, "examples", "capable_kprobe.bpf.o")


def fentry_works():
    return run_cli("run", FENTRY, "--no-metrics", "--duration", "300ms").returncode == 0


def test_fentry_refused_as_root_says_so():
    before = bpf_prog_ids()
    p = run_cli("run", FENTRY, "--no-metrics", "--duration", "300ms")
    if p.returncode == 0:
        pytest.skip("this kernel takes fentry programs: nothing to explain")
    assert p.returncode == 1, p.stderr
    lines = p.stderr.splitlines()
    assert len(lines) == 2, p.stderr
    assert lines[0].startswith("error: program '") and \
        lines[0].endswith("': the kernel refuses fentry programs, even as root: Operation not permitted"), lines
    assert lines[1] == ("hint: it allows no BPF trampolines here (see ebpfctl doctor, fentry/fexit): attach with "
                        "tracepoint/, raw_tp/ or tp_btf/ instead"), lines
    assert "run as root" not in p.stderr
    assert not (bpf_prog_ids() - before)


def test_kprobe_hint_offers_what_this_kernel_takes():
    if os.path.exists("/sys/bus/event_source/devices/kprobe"):
        pytest.skip("kprobes work here: no such hint")
    p = run_cli("run", KPROBE, "--no-metrics", "--duration", "300ms")
    assert p.returncode == 1, p.stderr
    hint = p.stderr.splitlines()[-1]
    if fentry_works():
        assert hint == ("hint: this kernel has no kprobe support (CONFIG_KPROBES is off): use a tracepoint, raw_tp, "
                        "tp_btf or fentry program"), hint
    else:
        assert hint == ("hint: this kernel has no kprobe support (CONFIG_KPROBES is off): use a tracepoint, raw_tp "
                        "or tp_btf program (it refuses fentry too)"), hint
