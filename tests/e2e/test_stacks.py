"""stack_id members (DESIGN.md sections 8 and 15): frames in JSON lines, in labels, and in
the --folded file, from the fixture tests/bpf/ev_stack.bpf.o, which records the kernel and
user stacks of this process's getpgid(2) calls (a process that is still alive, so its user
frames can be symbolized)."""
import json
import os
import re

import pytest
import urllib.request

from conftest import bpf_prog_ids, fixture, free_port, wait_until

ME = os.getpid()
USER_GETPGID = re.compile(r"^(__)?getpgid\+0x[0-9a-f]+$")


def scrape(port):
    return urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5).read().decode()


def test_stack_frames_in_json_labels_and_folded(run_ebpfctl, tmp_path):
    if os.uname().machine != "x86_64":
        pytest.skip("the fixture filters on x86_64's getpgid syscall number")
    folded = tmp_path / "out.folded"
    port = free_port()
    before = bpf_prog_ids()
    r = run_ebpfctl(fixture("ev_stack"), "--set", f"target_tgid={ME}", "--metrics-addr", f"127.0.0.1:{port}",
                    "--interval", "200ms", "--folded", str(folded), metrics=True)
    ev = r.wait_line(lambda o: o["map"] == "stack_events", trigger=lambda: os.getpgid(0))["event"]
    assert ev["pid"] == ME
    # kernel frames, innermost first: the syscall entry is outermost
    assert ev["kstack"] and all(re.match(r"^[A-Za-z_][\w.]*(\+0x[0-9a-f]+)?( \[\w+\])?$", f)
                                for f in ev["kstack"]), ev
    assert any(f.startswith("do_syscall_64") for f in ev["kstack"]), ev
    assert ev["kstack"][-1].startswith("entry_SYSCALL_64"), ev
    # the user stack starts in libc's getpgid
    assert USER_GETPGID.match(ev["ustack"][0]), ev
    assert ev["none"] == []

    # labels: the same frames outermost first, ';'-joined
    def sample():
        for line in scrape(port).splitlines():
            if line.startswith("ebpf_solo_io_stack_calls_total{") and f'pid="{ME}"' in line:
                return line
    line = wait_until(sample, what="a stack_calls sample")
    kstack = re.search(r'kstack="([^"]*)"', line).group(1).split(";")
    assert kstack == list(reversed(ev["kstack"])), (kstack, ev)
    ustack = re.search(r'ustack="([^"]*)"', line).group(1).split(";")
    assert USER_GETPGID.match(ustack[-1]), line

    # --folded: comm;user frames;kernel frames count, offsets dropped
    def folded_line():
        if folded.exists():
            for l in folded.read_text().splitlines():
                if l.startswith("python") or l.startswith("pytest"):
                    return l
    fl = wait_until(folded_line, what="a folded line")
    stack, count = fl.rsplit(" ", 1)
    frames = stack.split(";")
    assert int(count) >= 1
    assert "getpgid" in frames or "__getpgid" in frames, fl
    assert frames[-len(kstack):] == [re.sub(r"\+0x[0-9a-f]+", "", f) for f in kstack], fl
    assert not any("+0x" in f for f in frames), fl

    rc, err = r.stop()
    assert rc == 0 and err == "", err
    # written once more at exit
    assert folded.read_text().strip()
    assert not list(tmp_path.glob("out.folded.tmp*"))
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")


def test_folded_needs_a_stack_counter(run_ebpfctl, tmp_path):
    from conftest import run_cli
    p = run_cli("run", fixture("m_hash"), "--no-metrics", "--folded", str(tmp_path / "x"))
    assert p.returncode == 1
    assert p.stderr.splitlines()[0] == f"error: --folded {tmp_path / 'x'}: no counter map keyed by a stack_id", \
        p.stderr
    assert not (tmp_path / "x").exists()


def test_folded_unwritable_path_fails_at_start(tmp_path):
    from conftest import run_cli
    before = bpf_prog_ids()
    p = run_cli("run", fixture("ev_stack"), "--no-metrics", "--folded", "/nonexistent-dir/out.folded")
    assert p.returncode == 1
    assert p.stderr.startswith("error: --folded /nonexistent-dir/out.folded: No such file or directory"), p.stderr
    # the kernel frees programs shortly after their last fd closes
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")
