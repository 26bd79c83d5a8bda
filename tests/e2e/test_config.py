"""Configuration for fleets (DESIGN.md section 10): EBPFCTL_* variables with their precedence
and errors, --host-root, --log-format json, /-/healthy and /-/ready, `ebpfctl version`."""
import json
import os
import platform
import re
import urllib.error
import urllib.request

import pytest

from conftest import EBPFCTL, bpf_prog_ids, fixture, free_port, run_cli, wait_until

ME = os.getpid()


def env(**kw):
    e = {k: v for k, v in os.environ.items() if not k.startswith("EBPFCTL_") or k.startswith("EBPFCTL_TEST_")}
    e.update(kw)
    return e


def get(port, path):
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5) as r:
            return r.status, r.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def wait_port(run, port):
    def up():
        if run.proc.poll() is not None:
            raise AssertionError(f"ebpfctl exited {run.proc.returncode}: {run.finish()[1]}")
        try:
            return get(port, "/-/ready")[0] == 200
        except OSError:
            return False
    wait_until(up, what=f"/-/ready on {port}")


# --- environment ------------------------------------------------------------------------------

def test_every_setting_from_the_environment(run_ebpfctl):
    """The metrics address, a --set, a repeatable --hist-buckets and a switch from EBPFCTL_*."""
    port = free_port()
    r = run_ebpfctl(fixture("m_events"), metrics=True,
                    env=env(EBPFCTL_METRICS_ADDR=f"127.0.0.1:{port}", EBPFCTL_SET=f"target_tgid={ME}",
                            EBPFCTL_INTERVAL="200ms", EBPFCTL_BPF_STATS="true"))
    wait_port(r, port)
    body = get(port, "/metrics")[1]
    # --bpf-stats from the environment: the cost families are there
    assert "ebpfctl_program_runs_total{" in body, body
    rc, err = r.stop()
    assert rc == 0, err


def test_command_line_wins_over_environment(run_ebpfctl):
    port, other = free_port(), free_port()
    r = run_ebpfctl(fixture("m_events"), "--metrics-addr", f"127.0.0.1:{port}", "-v", metrics=True,
                    env=env(EBPFCTL_METRICS_ADDR=f"127.0.0.1:{other}", EBPFCTL_NO_METRICS="1"))
    wait_port(r, port)
    rc, err = r.stop()
    assert rc == 0, err
    # -v says where each setting came from
    assert f"config: --metrics-addr=127.0.0.1:{port} (command line)" in err.splitlines(), err
    assert not any("EBPFCTL_METRICS_ADDR" in l or "EBPFCTL_NO_METRICS" in l for l in err.splitlines()), err


def test_environment_origins_with_verbose(run_ebpfctl):
    r = run_ebpfctl(fixture("m_events"), "-v", env=env(EBPFCTL_INTERVAL="300ms", EBPFCTL_IFACE="lo eth9",
                                                       EBPFCTL_DURATION="1s"))
    rc, err = r.finish(timeout=20)
    assert rc == 0, err
    lines = err.splitlines()
    for want in ("config: --interval=300ms (EBPFCTL_INTERVAL)", "config: --iface=lo (EBPFCTL_IFACE)",
                 "config: --iface=eth9 (EBPFCTL_IFACE)", "config: --duration=1s (EBPFCTL_DURATION)",
                 "config: --verbose (command line)", "config: --no-metrics (command line)"):
        assert want in lines, (want, err)


def test_objects_from_the_environment(run_ebpfctl):
    r = run_ebpfctl(env=env(EBPFCTL_OBJECT=f"{fixture('m_events')} {fixture('ev_shapes')}",
                            EBPFCTL_DURATION="500ms"))
    rc, err = r.finish(timeout=20)
    assert rc == 0, err


@pytest.mark.parametrize("var, val, msg", [
    ("EBPFCTL_INTERVAL", "5x", "error: run: EBPFCTL_INTERVAL='5x': expected a positive duration like 500ms, 2s "
                               "or 1m30s"),
    ("EBPFCTL_NO_METRICS", "yes", "error: run: EBPFCTL_NO_METRICS='yes': expected 1, true, 0 or false"),
    ("EBPFCTL_BPF_STATS", "", "error: run: EBPFCTL_BPF_STATS='': expected 1, true, 0 or false"),
    ("EBPFCTL_MAX_SERIES", "-3", "error: run: EBPFCTL_MAX_SERIES='-3': expected a positive integer"),
    ("EBPFCTL_XDP_MODE", "fast", "error: run: EBPFCTL_XDP_MODE='fast': expected auto, native or generic"),
    ("EBPFCTL_METRICS_ADDR", "nohost", "error: run: EBPFCTL_METRICS_ADDR='nohost': expected HOST:PORT, e.g. "
                                       "0.0.0.0:9091 or [::1]:9091"),
    ("EBPFCTL_SET", "a=1 novalue", "error: run: EBPFCTL_SET='novalue': expected VAR=VALUE"),
    ("EBPFCTL_LOG_FORMAT", "xml", "error: run: EBPFCTL_LOG_FORMAT='xml': expected text or json"),
])
def test_malformed_variable_is_a_usage_error_naming_it(var, val, msg):
    before = bpf_prog_ids()
    p = run_cli("run", fixture("m_events"), env=env(**{var: val}))
    assert p.returncode == 64, p.stderr
    assert p.stderr.splitlines()[0] == msg, p.stderr
    assert not (bpf_prog_ids() - before)


def test_switch_false_is_off(run_ebpfctl):
    """EBPFCTL_NO_METRICS=0 leaves the endpoint on; false and 0 are both off."""
    port = free_port()
    r = run_ebpfctl(fixture("m_events"), metrics=True,
                    env=env(EBPFCTL_NO_METRICS="false", EBPFCTL_METRICS_ADDR=f"127.0.0.1:{port}"))
    wait_port(r, port)
    r.stop()


def test_unknown_variable_warns():
    p = run_cli("run", fixture("m_events"), "--no-metrics", "--duration", "200ms",
                env=env(EBPFCTL_INTERVALL="1s"))
    assert p.returncode == 0, p.stderr
    assert p.stderr.splitlines() == ["warning: EBPFCTL_INTERVALL is not an ebpfctl setting (ignored)"]


def test_check_reads_the_environment_too():
    p = run_cli("check", fixture("at_bare_tp"), env=env(EBPFCTL_ATTACH="bare_tp=syscalls/sys_enter_getpgid"))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(f"ok: {fixture('at_bare_tp')}: 1 programs (tracepoint)"), p.stdout


# --- logs -------------------------------------------------------------------------------------

def test_log_format_json_errors_and_hints():
    p = run_cli("run", "--log-format", "json", fixture("bad_xdp"), "--no-metrics")
    assert p.returncode == 1
    lines = [json.loads(l) for l in p.stderr.splitlines()]
    assert len(lines) == 1, p.stderr
    e = lines[0]
    assert list(e) == ["time", "level", "msg", "hint"], e
    assert re.match(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$", e["time"]), e
    assert e["level"] == "error"
    assert e["msg"] == "program 'xdp_pass': cannot attach xdp: needs a network interface"
    assert e["hint"] == "give one with --iface NAME (repeatable), or --attach xdp_pass=IFACE"


def test_log_format_json_usage_error_and_warning():
    p = run_cli("run", "--log-format=json", "--interval", "x", fixture("m_events"))
    assert p.returncode == 64
    e = json.loads(p.stderr)
    assert e["level"] == "error" and e["msg"] == "run: --interval 'x': expected a positive duration like 500ms, " \
                                                 "2s or 1m30s", e
    p = run_cli("run", fixture("m_events"), "--no-metrics", "--duration", "200ms",
                env=env(EBPFCTL_LOG_FORMAT="json", EBPFCTL_BOGUS="1"))
    assert p.returncode == 0
    e = json.loads(p.stderr)
    assert e["level"] == "warning" and e["msg"] == "EBPFCTL_BOGUS is not an ebpfctl setting (ignored)", e


def test_log_format_json_verbose_lines_are_all_json():
    p = run_cli("run", fixture("m_events"), "--no-metrics", "--duration", "200ms", "-v", "--log-format", "json")
    assert p.returncode == 0, p.stderr
    levels = {json.loads(l)["level"] for l in p.stderr.splitlines()}
    assert levels <= {"info", "debug", "warning"} and "info" in levels, levels


# --- health -----------------------------------------------------------------------------------

def test_healthy_and_ready(run_ebpfctl):
    port = free_port()
    r = run_ebpfctl(fixture("m_events"), "--metrics-addr", f"127.0.0.1:{port}", metrics=True)
    wait_port(r, port)
    assert get(port, "/-/healthy") == (200, "ebpfctl is Healthy.\n")
    assert get(port, "/-/ready") == (200, "ebpfctl is Ready.\n")
    # HEAD works as for /metrics; other methods do not
    req = urllib.request.Request(f"http://127.0.0.1:{port}/-/ready", method="POST", data=b"")
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(req, timeout=5)
    assert e.value.code == 405
    r.stop()


# --- version ----------------------------------------------------------------------------------

def test_version_names_libbpf_kernel_and_btf():
    p = run_cli("version")
    assert p.returncode == 0
    lines = p.stdout.splitlines()
    assert re.match(r"^ebpfctl \S+$", lines[0]), lines
    assert re.match(r"^libbpf 1\.\d+$", lines[1]), lines
    assert lines[2] == f"kernel {platform.release()} {platform.machine()}", lines
    has = os.path.exists("/sys/kernel/btf/vmlinux")
    assert lines[3] == ("btf yes (/sys/kernel/btf/vmlinux)" if has else lines[3]), lines
    assert lines[3].startswith("btf yes" if has else "btf no"), lines


# --- --host-root ------------------------------------------------------------------------------

def fake_host(tmp_path):
    """A host root as a container sees one: the host's /sys and /proc under a directory."""
    root = tmp_path / "host"
    root.mkdir()
    (root / "sys").symlink_to("/sys")
    (root / "proc").symlink_to("/proc")
    return root


def test_host_root_cgroup_and_btf(run_ebpfctl, tmp_path):
    """cgroup programs attach to the host's cgroup v2 root found under --host-root (from
    <root>/proc/1/mounts), and CO-RE uses <root>/sys/kernel/btf/vmlinux."""
    root = fake_host(tmp_path)
    obj = os.path.join(os.path.dirname(fixture("m_events")), "..", "..", "examples", "cgroup_sock.bpf.o")
    if not os.path.exists(obj):
        pytest.skip("examples/cgroup_sock not built")
    r = run_ebpfctl(obj, "--host-root", str(root), "-v", "--duration", "1s")
    rc, err = r.finish(timeout=30)
    assert rc == 0, err
    assert re.search(rf"attached to cgroup {re.escape(str(root))}/\S+", err), err


def test_host_root_must_exist():
    p = run_cli("run", fixture("m_events"), "--no-metrics", "--host-root", "/nonexistent-host")
    assert p.returncode == 1
    assert p.stderr.splitlines() == ["error: --host-root /nonexistent-host: not a directory",
                                     "hint: mount the host's / there (e.g. a hostPath volume at /host)"]


def test_host_root_cgroup_path_is_the_hosts(tmp_path):
    """--cgroup names a host path; under --host-root it is looked up there."""
    root = fake_host(tmp_path)
    obj = os.path.join(os.path.dirname(fixture("m_events")), "..", "..", "examples", "cgroup_sock.bpf.o")
    if not os.path.exists(obj):
        pytest.skip("examples/cgroup_sock not built")
    p = run_cli("run", obj, "--no-metrics", "--host-root", str(root), "--cgroup", "/no/such/cgroup")
    assert p.returncode == 1
    assert p.stderr.splitlines()[0].endswith(f"cgroup '{root}/no/such/cgroup': No such file or directory"), \
        p.stderr
