"""ebpfctl run: events from real probes on the running kernel, field by field."""
import json
import os
import re
import shlex
import signal
import subprocess
import time

import pytest

from conftest import (EBPFCTL, bpf_prog_ids, deadline, fixture, run_cli, wait_until)

ME = str(os.getpid())
TIME_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$")


def getppid():
    os.getppid()


def ordered(line):
    return json.loads(line, object_pairs_hook=list)


def test_every_shape_decoded(run_ebpfctl):
    r = run_ebpfctl(fixture("ev_shapes"), "--set", f"target_tgid={ME}")
    ev = r.wait_line(lambda o: o["map"] == "events", trigger=getppid)
    assert TIME_RE.match(ev["time"]), ev["time"]
    assert list(ev) == ["time", "map", "event"]
    assert ev["event"] == {
        "u8v": 255, "s8v": -128, "u16v": 65535, "s16v": -32768,
        "u32v": 4294967295, "s32v": -2147483648,
        "u64v": 18446744073709551615, "s64v": -9223372036854775808,
        "bf_neg": -3, "bf_pos": 5, "bf_wide": 1000000, "flag": True,
        "comm": 'quote"back\\\n', "bad": "a\\xff\\xc3b", "full": "abcd",
        "in": {"a": 7, "b": -7},
        "un": {"word": 0x04030201, "bytes": [1, 2, 3, 4]},
        "color": "BLUE", "color_unknown": 7, "neg": "MINUS",
        "arr": [1, 2, 3], "raw": [0xde, 0xad, 0xbe, 0xef],
        "dbl": 1.5, "flt": 0.25, "ptr": "0xffff888012345678",
        "v4": "127.0.0.1", "v6": "2001:db8::1", "dur": "1.5ms",
        "pid": os.getpid(),
    }
    # member order is BTF order, and the exact integer text never went through a double
    raw = next(l for l in r.lines if '"events"' in l)
    assert '"u64v":18446744073709551615,' in raw
    assert [k for k, _ in ordered(raw)[2][1]][:4] == ["u8v", "s8v", "u16v", "s16v"]
    assert "__secret" not in raw
    rc, err = r.stop()
    assert rc == 0 and err == "", err


def test_sigterm_exits_zero_and_unloads(run_ebpfctl):
    before = bpf_prog_ids()
    r = run_ebpfctl(fixture("ev_shapes"), "--set", f"target_tgid={ME}")
    r.wait_line(lambda o: True, trigger=getppid)
    assert bpf_prog_ids() - before, "program should be loaded while running"
    rc, err = r.stop(signal.SIGTERM)
    assert rc == 0 and err == ""
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")


def test_duration_exits_zero():
    t0 = time.monotonic()
    p = run_cli("run", fixture("ev_shapes"), "--no-metrics", "--duration", "300ms")
    assert p.returncode == 0, p.stderr
    assert p.stderr == ""
    assert time.monotonic() - t0 < deadline(10)


def test_perf_event_array(run_ebpfctl):
    r = run_ebpfctl(fixture("ev_perf"), "--set", f"target_tgid={ME}")
    ev = r.wait_line(lambda o: o["map"] == "pevents", trigger=getppid)
    assert ev["event"]["pid"] == os.getpid()
    assert ev["event"]["tag"] == "perf"
    first = ev["event"]["seq"]
    ev2 = r.wait_line(lambda o: o["map"] == "pevents" and o["event"]["seq"] > first, trigger=getppid)
    assert ev2["event"]["seq"] > first
    rc, err = r.stop()
    assert rc == 0 and err == ""


def test_set_globals_of_every_type(run_ebpfctl):
    r = run_ebpfctl(fixture("ev_globals"), "--set", f"target_tgid={ME}",
                    "--set", "g_u8=0200", "--set", "g_s16=-0x12c", "--set", "g_u64=0xffffffffffffffff",
                    "--set", "g_s64=-9223372036854775808", "--set", "g_bool=true",
                    "--set", "g_mode=MODE_SLOW", "--set", "g_name=hello", "--set", "g_data=77",
                    "--set", "g_bss=88")
    ev = r.wait_line(lambda o: o["map"] == "gevents", trigger=getppid)
    assert ev["event"] == {"u8v": 200, "s16v": -300, "u64v": 18446744073709551615,
                           "s64v": -9223372036854775808, "flag": True, "mode": "MODE_SLOW",
                           "name": "hello", "data": 77, "bss": 88}
    r.stop()


@pytest.mark.parametrize("arg,msg", [
    ("nope=1", "error: --set nope=1: unknown global 'nope': settable globals are "),
    ("g_u8=256", "error: --set g_u8=256: invalid value for 'g_u8' (u8): expected an integer from 0 to 255"),
    ("g_s16=abc", "error: --set g_s16=abc: invalid value for 'g_s16' (s16): expected an integer from -32768 to 32767"),
    ("g_s16= 5", "error: --set g_s16= 5: invalid value for 'g_s16' (s16): expected an integer from -32768 to 32767"),
    ("g_u8=0x", "error: --set g_u8=0x: invalid value for 'g_u8' (u8): expected an integer from 0 to 255"),
    ("g_u8=1e2", "error: --set g_u8=1e2: invalid value for 'g_u8' (u8): expected an integer from 0 to 255"),
    ("g_bool=maybe", "error: --set g_bool=maybe: invalid value for 'g_bool' (_Bool): expected true or false"),
    ("g_mode=MODE_NONE", "error: --set g_mode=MODE_NONE: invalid value for 'g_mode' (enum mode): expected one of MODE_OFF, MODE_FAST, MODE_SLOW or a number"),
    ("g_name=0123456789abcdef", "error: --set g_name=0123456789abcdef: invalid value for 'g_name' (char[16]): expected a string of at most 15 bytes"),
    ("g_pair=1", "error: --set g_pair=1: invalid value for 'g_pair' (struct g_pair): this type cannot be set from the command line"),
    ("g_arr=1", "error: --set g_arr=1: invalid value for 'g_arr' (u32[2]): this type cannot be set from the command line"),
])
def test_set_errors_are_usage_errors(arg, msg):
    before = bpf_prog_ids()
    p = run_cli("run", fixture("ev_globals"), "--no-metrics", "--set", arg)
    assert p.returncode == 64, p.stderr
    assert p.stderr.splitlines()[0].startswith(msg), p.stderr
    assert len(p.stderr.splitlines()) == 1
    if arg.startswith("nope"):
        assert "g_u8 (u8)" in p.stderr and "g_bss (u32)" in p.stderr
        # a struct or a non-char array cannot be given on a command line: not offered
        assert "g_pair" not in p.stderr and "g_arr" not in p.stderr, p.stderr
    assert not (bpf_prog_ids() - before)


def test_programs_tail_target_optional_iter_uprobe(run_ebpfctl):
    r = run_ebpfctl(fixture("ev_progs"), "--set", f"target_tgid={ME}", "--interval", "200ms")
    # the tail-call target runs through the dispatcher
    r.wait_line(lambda o: o.get("map") == "progs_events" and o["event"]["via"] == "tail", trigger=getppid)
    r.wait_line(lambda o: o.get("map") == "progs_events" and o["event"]["via"] == "uprobe", trigger=getppid)
    it = r.wait_line(lambda o: "program" in o)
    assert it["program"] == "dump_maps" and it["line"] == "map progs_events"
    assert TIME_RE.match(it["time"])
    for _ in range(20):
        os.getppid()
    rc, err = r.stop()
    assert rc == 0 and err == ""
    # a tail-call target attached on its own would have run unmarked
    assert not [l for l in r.lines if '"direct"' in l]
    names = subprocess.run(["bpftool", "prog", "show"], capture_output=True, text=True).stdout
    assert "not_loaded" not in names


def bash_while_calling_getppid(args, timeout, what):
    """Run bash ARGS while this process makes getppid() calls (the fixtures count this
    pid's calls) until it ends: (status, stdout, stderr); fails after the deadline."""
    p = subprocess.Popen(["bash"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    end = time.monotonic() + deadline(timeout)
    try:
        while p.poll() is None and time.monotonic() < end:
            os.getppid()
            time.sleep(0.001)
        if p.poll() is None:
            pytest.fail(f"{what} did not end")
        out, err = p.communicate()
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    return p.returncode, out, err


def test_pipe_into_head_exits_zero():
    cmd = (f"{EBPFCTL} run {fixture('ev_shapes')} --no-metrics --set target_tgid={ME} "
           f"| head -n 2")
    rc, out, err = bash_while_calling_getppid(["-o", "pipefail", "-c", cmd], 20,
                                              "ebpfctl after head closed the pipe")
    assert rc == 0, err
    assert len(out.splitlines()) == 2
    assert err == ""


def test_closed_stdout_is_not_reused():
    """Started with stdout closed: events are dropped, no BPF fd is written to, status 0."""
    cmd = (f"{EBPFCTL} run {fixture('ev_shapes')} --no-metrics --duration 500ms "
           f"--set target_tgid={ME} >&-")
    rc, _, err = bash_while_calling_getppid(["-c", cmd], 20, "ebpfctl")
    assert rc == 0 and err == ""


def test_verbose_shows_libbpf():
    p = run_cli("run", fixture("ev_shapes"), "--no-metrics", "--duration", "100ms", "-v")
    assert p.returncode == 0
    assert "libbpf:" in p.stderr


def test_short_record_reported_not_overread(run_ebpfctl):
    r = run_ebpfctl(fixture("ev_short"), "--set", f"target_tgid={ME}", "--duration", "1s")
    end = time.monotonic() + deadline(1)
    while time.monotonic() < end:
        os.getppid()
    rc, err = r.finish()
    assert rc == 0
    assert r.lines == []
    assert err == ("warning: map 'shorty': record of 8 bytes is shorter than its type (32 bytes): "
                   "skipped (reported once)\n")


def test_bumblebee_prefix_convention(run_ebpfctl):
    """print_ maps in plain .maps print under their real name; suffix beats prefix with one warning."""
    import urllib.request
    from conftest import free_port
    port = free_port()
    r = run_ebpfctl(fixture("rw_prefix"), "--metrics-addr", f"127.0.0.1:{port}", metrics=True)
    ev = r.wait_line(lambda o: o["map"] == "print_events" and o["event"]["pid"] == os.getpid(),
                     trigger=getppid)
    assert ev["event"]["comm"]
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics").read().decode()
    assert f'ebpf_solo_io_hits_total{{key="{os.getpid()}"}} ' in body
    assert "# TYPE ebpf_solo_io_counter_level gauge" in body
    rc, err = r.stop()
    assert rc == 0
    assert err.splitlines() == [
        "warning: map 'counter_level': name prefix 'counter_' ignored: section .maps.gauge decides its output kind",
        "warning: map 'counter_level': metric 'ebpf_solo_io_counter_level' will fail `promtool check metrics` "
        "lint: metric name should not include type 'counter'",
    ]


def private_mount_ns(script, timeout):
    """Run a bash script in a private mount namespace while this process makes
    getppid() calls; the namespace and whatever was mounted in it are gone when the
    script ends."""
    if subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        pytest.skip("cannot create a mount namespace here")
    cmd = f"exec unshare -m --propagation private bash -c {shlex.quote(script)}"
    return bash_while_calling_getppid(["-c", cmd], timeout, "the script")


def test_user_pinned_map_is_honoured():
    """The probe's own pinning attribute pins the map; the next run reuses it.
    With no BPF filesystem at the pin root, ebpfctl mounts one there (as bpftool
    does) and leaves it mounted, so the second run finds the pin.  Runs in a
    private mount namespace without bpffs: nothing is left on the host."""
    pin = "/sys/fs/bpf/ebpfctl_test_pin"
    script = f"""
        set -e
        while grep -q " /sys/fs/bpf " /proc/self/mountinfo; do umount /sys/fs/bpf || exit 3; done
        for i in 1 2; do
            {EBPFCTL} run {fixture('ev_pinned')} --no-metrics --duration 500ms --set target_tgid={ME} -v \
                2>/tmp/ebpfctl_pin_err.$$ || {{ grep '^error' /tmp/ebpfctl_pin_err.$$ >&2; exit 4; }}
            echo "mounted $(grep -c 'mounted bpffs on /sys/fs/bpf' /tmp/ebpfctl_pin_err.$$ || true)"
            echo "count $(bpftool -j map lookup pinned {pin} key 0 0 0 0 | jq .formatted.value)"
        done
        rm -f /tmp/ebpfctl_pin_err.$$
    """
    rc, out, err = private_mount_ns(script, 60)
    if rc == 3:
        pytest.skip("/sys/fs/bpf cannot be unmounted in a private namespace here")
    assert rc == 0, err
    words = out.split()
    assert words[0:2] == ["mounted", "1"] and words[4:6] == ["mounted", "0"], out  # mounted once, kept
    first, second = int(words[3]), int(words[7])
    assert first > 0 and second > first, out  # the second run counted on top of the first


def test_pinned_map_that_does_not_match_is_a_clear_error():
    """A pin left by another definition of the map: the error names the pin and the fix."""
    pin = "/sys/fs/bpf/ebpfctl_test_pin"
    script = f"""
        set -e
        while grep -q " /sys/fs/bpf " /proc/self/mountinfo; do umount /sys/fs/bpf || exit 3; done
        mount -t bpf bpf /sys/fs/bpf
        bpftool map create {pin} type array key 4 value 4 entries 1 name ebpfctl_test_pi
        {EBPFCTL} run {fixture('ev_pinned')} --no-metrics --duration 100ms && exit 4
        echo "rc $?"
    """
    rc, out, err = private_mount_ns(script, 30)
    if rc == 3:
        pytest.skip("/sys/fs/bpf cannot be unmounted in a private namespace here")
    assert rc == 0 and out.split() == ["rc", "1"], (out, err)
    assert err.splitlines() == [
        f"error: map 'ebpfctl_test_pin': cannot reuse the map pinned at {pin}: its type, key or value "
        "size, max_entries or flags differ",
        f"hint: remove the old pin (rm {pin}) or declare the map as it was"], err


def test_tracefs_mounted_only_when_missing_and_unmounted_at_exit():
    """In a private mount namespace without tracefs, a tracepoint probe still
    attaches (ebpfctl mounts tracefs) and the mount is gone after exit."""
    if subprocess.run(["unshare", "-m", "true"]).returncode != 0:
        pytest.skip("cannot create a mount namespace here")
    script = f"""
        set -e
        # debugfs automounts tracefs on /sys/kernel/debug/tracing: unmount it too
        for d in /sys/kernel/debug/tracing /sys/kernel/tracing /sys/kernel/debug; do
            while grep -q " $d " /proc/self/mountinfo; do umount "$d" || exit 3; done
        done
        test ! -d /sys/kernel/tracing/events
        {EBPFCTL} run {fixture('ev_shapes')} --no-metrics --duration 300ms -v 2>&1 | grep -c 'mounted tracefs'
        grep -c -E ' /sys/kernel/(debug/)?tracing ' /proc/self/mountinfo || true
    """
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c", script],
                       capture_output=True, text=True, timeout=deadline(30))
    if p.returncode == 3:
        pytest.skip("tracefs cannot be unmounted in a private namespace here")
    assert p.returncode == 0, p.stderr
    assert p.stdout.split() == ["1", "0"], p.stdout
    # and with tracefs present, nothing is mounted (a private namespace where
    # the test mounts it: the host may have none mounted)
    script = f"""
        set -e
        test -d /sys/kernel/tracing/events || mount -t tracefs nodev /sys/kernel/tracing
        {EBPFCTL} run {fixture('ev_shapes')} --no-metrics --duration 100ms -v 2>&1 | grep -c 'mounted tracefs' || true
    """
    p = subprocess.run(["unshare", "-m", "--propagation", "private", "bash", "-c", script],
                       capture_output=True, text=True, timeout=deadline(30))
    assert p.returncode == 0 and p.stdout.split() == ["0"], (p.stdout, p.stderr)


def test_records_without_wakeup_are_printed_and_drained_at_stop(run_ebpfctl):
    """BPF_RB_NO_WAKEUP records: read while the ring is quiet, and all of them at SIGTERM."""
    r = run_ebpfctl(fixture("ev_nowakeup"), "--set", f"target_tgid={ME}")
    first = r.wait_line(lambda o: o["map"] == "nw_events", trigger=getppid)["event"]["seq"]
    for _ in range(5):
        os.getppid()
    rc, err = r.stop(signal.SIGTERM)
    assert rc == 0 and err == "", err
    seqs = [json.loads(l)["event"]["seq"] for l in r.lines]
    # every record, the five submitted just before the signal included
    assert sorted(seqs) == list(range(len(seqs))) and len(seqs) >= first + 1 + 5, (first, seqs)


def test_duration_ends_a_run_whose_reader_stopped_reading():
    """--duration ends the run (status 0) even while a write is blocked on a full pipe."""
    p = subprocess.Popen([EBPFCTL, "run", fixture("ev_shapes"), "--no-metrics", "--duration", "1s",
                          "--set", f"target_tgid={ME}"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # ~700-byte lines: fill the 64 KiB pipe many times over, then stop triggering
        end = time.monotonic() + deadline(1.5)
        while time.monotonic() < end and p.poll() is None:
            for _ in range(1000):
                os.getppid()
        assert p.wait(timeout=deadline(10)) == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


def test_sigint_ends_a_run_whose_reader_stopped_reading():
    """stdout blocked by a reader that never reads: SIGINT still ends the run (status 0)."""
    p = subprocess.Popen([EBPFCTL, "run", fixture("ev_shapes"), "--no-metrics", "--set", f"target_tgid={ME}"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        # ~700-byte lines: a few thousand fill the 64 KiB pipe many times over
        end = time.monotonic() + deadline(2)
        while time.monotonic() < end:
            for _ in range(1000):
                os.getppid()
        p.send_signal(signal.SIGINT)
        rc = p.wait(timeout=deadline(10))
        assert rc == 0
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
