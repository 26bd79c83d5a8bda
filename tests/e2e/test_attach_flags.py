"""--attach PROG=TARGET, --pid and the --set rules of several objects (DESIGN.md section 8).

The fixtures tests/bpf/at_bare_*.bpf.o hold programs whose sections name no target
(SEC("uprobe"), SEC("tracepoint"), SEC("kprobe"), SEC("fentry")); each prints one at_events
line per call with the traced getpgid's argument and return value, like the at_* fixtures
of test_attach.py.  Network, cgroup and perf_event targets are in test_targets.py.
"""
import json
import os
import shutil
import subprocess
import sys

import pytest

from conftest import bpf_prog_ids, fixture, run_cli, wait_until
from test_attach import need_btf, need_kprobes, need_uprobes, need_x86_64, need

ME = os.getpid()
LIBC_GETPGID = "libc.so.6:getpgid"


def at(r, kind, trigger, pred=lambda e: True, timeout=10):
    return r.wait_line(lambda o: o["map"] == "at_events" and o["event"]["kind"] == kind and pred(o["event"]),
                       trigger=trigger, timeout=timeout)


def stop_clean(r, before):
    rc, err = r.stop()
    assert rc == 0 and err == "", err
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")


def test_attach_gives_a_bare_uprobe_its_target(run_ebpfctl):
    need_uprobes()
    before = bpf_prog_ids()
    r = run_ebpfctl(fixture("at_bare_uprobe"), "--set", f"target_tgid={ME}",
                    "--attach", f"bare_up={LIBC_GETPGID}", "--attach", f"bare_uret={LIBC_GETPGID}")
    child = r.proc.pid
    ev = at(r, "uprobe", lambda: os.getpgid(child))
    assert ev["event"]["arg"] == child and ev["event"]["pid"] == ME
    ev = at(r, "uretprobe", lambda: os.getpgid(child))
    assert ev["event"]["ret"] == child
    stop_clean(r, before)


def test_attach_uprobe_with_an_offset_and_a_full_path(run_ebpfctl):
    """PATH:FUNC+0 is the function itself; an absolute library path works as well as a name."""
    need_uprobes()
    libc = next(p for p in ("/lib/x86_64-linux-gnu/libc.so.6", "/usr/lib/x86_64-linux-gnu/libc.so.6",
                            "/lib/aarch64-linux-gnu/libc.so.6") if os.path.exists(p))
    r = run_ebpfctl(fixture("at_bare_uprobe"), "--set", f"target_tgid={ME}",
                    "--attach", f"bare_up={libc}:getpgid+0", "--attach", f"bare_uret={libc}:getpgid")
    child = r.proc.pid
    at(r, "uprobe", lambda: os.getpgid(child), lambda e: e["arg"] == child)
    r.stop()


def test_pid_restricts_uprobes_to_one_process(run_ebpfctl, tmp_path):
    """With --pid, only that process's calls are seen (no target_tgid filter in the probe)."""
    need_uprobes()
    # a helper process that calls getpgid(its own pid) whenever a line arrives on stdin
    prog = "import os,sys\nfor l in sys.stdin: os.getpgid(os.getpid()); print('ok', flush=True)\n"
    helper = subprocess.Popen([sys.executable, "-c", prog], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True)
    try:
        before = bpf_prog_ids()
        r = run_ebpfctl(fixture("at_bare_uprobe"), "--pid", str(helper.pid),
                        "--attach", f"bare_up={LIBC_GETPGID}", "--attach", f"bare_uret={LIBC_GETPGID}")

        def poke():
            os.getpgid(0)          # this process: must not be seen
            helper.stdin.write("x\n")
            helper.stdin.flush()
            helper.stdout.readline()
        ev = at(r, "uprobe", poke)
        assert ev["event"]["pid"] == helper.pid and ev["event"]["arg"] == helper.pid
        for _ in range(5):
            poke()
        at(r, "uretprobe", poke)
        stop_clean(r, before)
        pids = {json.loads(l)["event"]["pid"] for l in r.lines}
        assert pids == {helper.pid}, pids
    finally:
        helper.stdin.close()
        helper.wait(timeout=10)


def test_attach_gives_a_bare_tracepoint_its_target(run_ebpfctl):
    before = bpf_prog_ids()
    r = run_ebpfctl(fixture("at_bare_tp"), "--set", f"target_tgid={ME}",
                    "--attach", "bare_tp=syscalls/sys_enter_getpgid")
    child = r.proc.pid
    at(r, "tracepoint", lambda: os.getpgid(child), lambda e: e["arg"] == child)
    stop_clean(r, before)


def test_attach_gives_a_bare_kprobe_its_target(run_ebpfctl):
    need_kprobes()
    before = bpf_prog_ids()
    r = run_ebpfctl(fixture("at_bare_kprobe"), "--set", f"target_tgid={ME}",
                    "--attach", "bare_kp=__x64_sys_getpgid")
    child = r.proc.pid
    at(r, "kprobe", lambda: os.getpgid(child), lambda e: e["arg"] == child)
    stop_clean(r, before)


def test_attach_gives_a_bare_fentry_its_target(run_ebpfctl):
    need_x86_64()
    need_btf()
    before = bpf_prog_ids()
    r = run_ebpfctl(fixture("at_bare_fentry"), "--set", f"target_tgid={ME}",
                    "--attach", "bare_fentry=__x64_sys_getpgid")
    child = r.proc.pid
    try:
        at(r, "fentry", lambda: os.getpgid(child), lambda e: e["arg"] == child)
    except AssertionError:
        if r.proc.poll() is not None and "Operation not permitted" in r.stderr:
            need(False, f"this kernel refuses fentry programs: {r.stderr.splitlines()[0]}")
        raise
    stop_clean(r, before)


def expect(args, status, first, hint=None, cmd="run"):
    before = bpf_prog_ids()
    p = run_cli(cmd, *args, "--no-metrics")
    lines = p.stderr.splitlines()
    assert p.returncode == status, p.stderr
    assert lines and lines[0] == first, p.stderr
    if hint is not None:
        assert lines[1:] == [hint], p.stderr
    assert p.stdout == ""
    assert not (bpf_prog_ids() - before), "a failed run left programs loaded"


def test_bare_uprobe_without_attach_names_what_is_missing():
    expect([fixture("at_bare_uprobe")], 1,
           "error: program 'bare_up': cannot attach uprobe: needs a binary and function "
           "(SEC(\"uprobe/PATH:FUNCTION\"))",
           "hint: give one with --attach bare_up=PATH:FUNCTION[+OFFSET]")


@pytest.mark.parametrize("attach, msg", [
    ("bare_up=nocolon", "error: --attach bare_up=nocolon: a uprobe program's target is PATH:FUNCTION[+OFFSET]"),
    ("bare_up=/lib/libc.so.6:", "error: --attach bare_up=/lib/libc.so.6:: a uprobe program's target is "
                                "PATH:FUNCTION[+OFFSET]"),
    ("bare_up=libc.so.6:getpgid+x", "error: --attach bare_up=libc.so.6:getpgid+x: a uprobe program's target is "
                                    "PATH:FUNCTION[+OFFSET]"),
    ("nosuchprog=libc.so.6:getpgid", "error: --attach nosuchprog=libc.so.6:getpgid: no program 'nosuchprog' in "
                                     "{obj}"),
    ("bare_up", "error: run: --attach 'bare_up': expected PROG=TARGET"),
    ("=x", "error: run: --attach '=x': expected PROG=TARGET"),
])
def test_attach_usage_errors(attach, msg):
    obj = fixture("at_bare_uprobe")
    expect([obj, "--attach", attach], 64, msg.format(obj=obj))


def test_attach_tracepoint_shape_error():
    expect([fixture("at_bare_tp"), "--attach", "bare_tp=sys_enter_getpgid"], 64,
           "error: --attach bare_tp=sys_enter_getpgid: a tracepoint program's target is CATEGORY/NAME")


def test_attach_to_a_missing_function_fails_cleanly():
    need_uprobes()
    expect([fixture("at_bare_uprobe"), "--attach", "bare_up=libc.so.6:no_such_function_here",
            "--attach", f"bare_uret={LIBC_GETPGID}"], 1,
           "error: program 'bare_up': cannot attach uprobe libc.so.6:no_such_function_here: "
           "No such file or directory")


@pytest.mark.parametrize("val", ["0", "-1", "x", "1.5", ""])
def test_bad_pid_is_a_usage_error(val):
    p = run_cli("run", fixture("at_bare_uprobe"), "--pid", val, "--no-metrics")
    assert p.returncode == 64 and p.stderr.startswith(f"error: run: --pid '{val}': expected a process id"), \
        p.stderr


# --- --set with several objects --------------------------------------------------------------

def copy_fixture(tmp_path, name, as_name):
    dst = tmp_path / (as_name + ".bpf.o")
    shutil.copy(fixture(name), dst)
    return str(dst)


def test_set_applies_to_every_object_declaring_the_global(run_ebpfctl, tmp_path):
    a = copy_fixture(tmp_path, "at_bare_tp", "tp_a")
    b = copy_fixture(tmp_path, "at_bare_tp", "tp_b")
    r = run_ebpfctl(a, b, "--set", f"target_tgid={ME}", "--attach", "bare_tp=syscalls/sys_enter_getpgid")
    child = r.proc.pid
    seen = set()

    def got(o):
        if o["map"] == "at_events" and o["event"]["arg"] == child:
            seen.add(o["object"])
        return seen == {"tp_a", "tp_b"}
    r.wait_line(got, trigger=lambda: os.getpgid(child))
    # "object" comes right after "time"
    assert all(list(json.loads(l))[:3] == ["time", "object", "map"] for l in r.lines)
    r.stop()


def test_set_for_one_object(run_ebpfctl, tmp_path):
    """--set OBJ:VAR=VALUE: tp_b filters on a pid that calls nothing, so only tp_a prints."""
    a = copy_fixture(tmp_path, "at_bare_tp", "tp_a")
    b = copy_fixture(tmp_path, "at_bare_tp", "tp_b")
    r = run_ebpfctl(a, b, "--set", f"tp_a:target_tgid={ME}", "--set", "tp_b:target_tgid=1",
                    "--attach", "bare_tp=syscalls/sys_enter_getpgid")
    child = r.proc.pid
    for _ in range(3):
        r.wait_line(lambda o: o["event"]["arg"] == child and o["object"] == "tp_a",
                    trigger=lambda: os.getpgid(child))
    r.stop()
    objs = {json.loads(l)["object"] for l in r.lines}
    assert objs == {"tp_a"}, objs


def test_set_errors_with_several_objects(tmp_path):
    a = copy_fixture(tmp_path, "at_bare_tp", "tp_a")
    b = copy_fixture(tmp_path, "ev_shapes", "shapes")
    att = ["--attach", "bare_tp=syscalls/sys_enter_getpgid"]
    expect([a, b, "--set", "no_such_global=1", *att], 64,
           "error: --set no_such_global=1: no object declares a global 'no_such_global'")
    expect([a, b, "--set", "nobody:target_tgid=1", *att], 64,
           "error: --set nobody:target_tgid=1: no object named 'nobody'")
    expect([a, b, "--set", "tp_a:target_tgid=nope", *att], 64,
           "error: --set target_tgid=nope: invalid value for 'target_tgid' (u32): expected an integer "
           "from 0 to 4294967295")


def test_two_objects_with_the_same_name(tmp_path):
    a = fixture("at_bare_tp")
    os.makedirs(tmp_path / "other")
    b = shutil.copy(a, tmp_path / "other" / os.path.basename(a))
    expect([a, str(b)], 64, f"error: {a} and {b}: two objects named 'at_bare_tp'",
           "hint: JSON lines and metrics tell objects apart by file name: rename one")


def test_a_failing_object_loads_nothing(tmp_path):
    """The second object fails the verifier: the first, already loaded, is gone too."""
    before = bpf_prog_ids()
    p = run_cli("run", fixture("ev_shapes"), fixture("bad_verifier"), "--no-metrics")
    assert p.returncode == 1 and "rejected by the verifier" in p.stderr, p.stderr
    assert p.stdout == ""
    assert not (bpf_prog_ids() - before)


def test_check_with_attach():
    p = run_cli("check", fixture("at_bare_tp"), "--attach", "bare_tp=syscalls/sys_enter_getpgid")
    assert p.returncode == 0, p.stderr
    assert p.stdout.splitlines()[0] == \
        f"ok: {fixture('at_bare_tp')}: 1 programs (tracepoint), 1 maps exported (at_events print)"
    p = run_cli("check", fixture("at_bare_tp"))
    assert p.returncode == 1 and p.stdout == ""
    assert p.stderr.startswith("error: program 'bare_tp': cannot attach tracepoint: needs a tracepoint"), p.stderr
    # --load-only verifies without attaching: no target needed
    p = run_cli("check", "--load-only", fixture("at_bare_tp"))
    assert p.returncode == 0, p.stderr


def test_target_options_no_program_uses_are_warned_about():
    p = run_cli("run", fixture("at_bare_tp"), "--attach", "bare_tp=syscalls/sys_enter_getpgid", "--no-metrics",
                "--duration", "200ms", "--iface", "lo", "--xdp-mode", "generic", "--cgroup", "/sys/fs/cgroup",
                "--sample-freq", "99", "--pid", str(ME))
    assert p.returncode == 0, p.stderr
    assert p.stderr.splitlines() == [
        "warning: --iface: no xdp or tc program attaches to an interface (ignored)",
        "warning: --xdp-mode: no xdp program in the run (ignored)",
        "warning: --cgroup: no cgroup program in the run (ignored)",
        "warning: --sample-freq: no perf_event program in the run (ignored)",
        "warning: --pid: no uprobe, usdt or perf_event program in the run (ignored)"], p.stderr
