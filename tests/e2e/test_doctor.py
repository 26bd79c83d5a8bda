"""`ebpfctl doctor [--json]`: one line per check, on the running kernel.

The checks' verdicts are compared with what the machine shows (/proc/mounts, the kprobe PMU,
/sys/kernel/btf/vmlinux, sysctls, RLIMIT_MEMLOCK), failures are made for real (capabilities
dropped with setpriv(1), tools hidden with an empty PATH), and the trial loads must leave
nothing loaded or mounted.

Missing clang, llvm-strip or bpftool is a `warn`, not a `fail`: `ebpfctl run` needs none of
them, only `ebpfctl build` does.  `fail` is kept for what makes ebpfctl unusable (no bpf()
permission, no kernel BTF).

Other engineers' test runs on the same machine mount tracefs or load programs while these
tests run, so comparisons between two doctor runs (text against --json, mounts before and
after) are retried a few times and must agree in one attempt.
"""
import json
import os
import re
import resource
import shutil
import subprocess

import pytest

from conftest import EBPFCTL, bpf_progs, deadline, run_cli

GUEST = os.environ.get("EBPFCTL_TEST_KERNEL") == "guest"
CHECKS = ["kernel", "btf", "bpf", "capabilities", "unprivileged_bpf_disabled", "tracefs",
          "bpffs", "cgroup2", "kprobes", "fentry/fexit", "bpf_lsm", "ringbuf", "bpf_stats",
          "memlock", "clang", "llvm-strip", "bpftool"]
TOOLS = ["clang", "llvm-strip", "bpftool"]
LINE = re.compile(r"^(ok  |warn|fail)  (\S+): (.+)$")
HINT = re.compile(r"^      hint: (.+)$")
TRIAL_NAME = "ebpfctl_doctor"
ATTEMPTS = 3


def parse_text(out):
    """The text output as the list --json would give."""
    checks = []
    for line in out.splitlines():
        m = LINE.match(line)
        if m:
            checks.append({"check": m.group(2), "status": m.group(1).strip(),
                           "detail": m.group(3)})
            continue
        m = HINT.match(line)
        assert m, f"line is neither a check nor a hint: {line!r}"
        assert checks, "a hint line before any check"
        assert "hint" not in checks[-1], f"two hints for {checks[-1]['check']}"
        assert checks[-1]["status"] != "ok", f"hint after an ok check: {line!r}"
        checks[-1]["hint"] = m.group(1)
    return checks


def doctor(*args, env=None, prefix=()):
    """Run doctor; (returncode, checks as a list of dicts, {name: check})."""
    cmd = list(prefix) + [EBPFCTL, "doctor"] + list(args)
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=deadline(60))
    assert p.stderr == "", p.stderr
    assert p.returncode in (0, 1), (p.returncode, p.stdout)
    if "--json" in args:
        assert p.stdout.endswith("\n") and p.stdout.count("\n") == 1, "one array, one line"
        checks = json.loads(p.stdout)
        assert isinstance(checks, list)
        for c in checks:
            assert set(c) in ({"check", "status", "detail"},
                              {"check", "status", "detail", "hint"}), c
            assert c["status"] in ("ok", "warn", "fail"), c
            assert all(isinstance(v, str) and v for v in c.values()), c
            assert "hint" not in c or c["status"] != "ok", c
    else:
        checks = parse_text(p.stdout)
    by_name = {c["check"]: c for c in checks}
    assert [c["check"] for c in checks] == CHECKS, "every check, once, in DESIGN.md's order"
    return p.returncode, checks, by_name


def exit_matches(rc, checks):
    return rc == (1 if any(c["status"] == "fail" for c in checks) else 0)


def mounts():
    with open("/proc/self/mounts") as f:
        return [line.split()[:3] for line in f]


def test_text_lines_and_every_check():
    rc, checks, by = doctor()
    assert exit_matches(rc, checks), checks
    for c in checks:
        if c["status"] == "fail":
            assert "hint" in c, f"a fail without a hint: {c}"


def test_json_agrees_with_text():
    for _ in range(ATTEMPTS):
        rc_t, text, _ = doctor()
        rc_j, js, _ = doctor("--json")
        if text == js and rc_t == rc_j:
            break
    assert text == js, "text and --json disagree"
    assert rc_t == rc_j
    assert exit_matches(rc_j, js)


def test_kernel_line_names_the_release():
    _, _, by = doctor()
    u = os.uname()
    assert by["kernel"]["status"] in ("ok", "warn")
    assert by["kernel"]["detail"].startswith(f"{u.release} {u.machine}"), by["kernel"]


def test_verdicts_match_the_machine():
    """Where the machine shows the answer, doctor gives the same one."""
    _, _, by = doctor()
    btf = os.path.exists("/sys/kernel/btf/vmlinux")
    assert (by["btf"]["status"] == "ok") == btf, by["btf"]
    if not btf:
        assert by["btf"]["status"] == "fail"
    if os.geteuid() == 0:
        assert by["bpf"]["status"] == "ok", by["bpf"]
        assert by["capabilities"]["status"] == "ok", by["capabilities"]
        assert by["ringbuf"]["status"] == "ok", by["ringbuf"]

    with open("/proc/sys/kernel/unprivileged_bpf_disabled") as f:
        assert by["unprivileged_bpf_disabled"]["detail"].startswith(f.read().strip() + ":")

    cg2 = [m[1] for m in mounts() if m[2] == "cgroup2"]
    if cg2:
        assert by["cgroup2"]["status"] == "ok"
        where = "/sys/fs/cgroup" if "/sys/fs/cgroup" in cg2 else cg2[0]
        assert by["cgroup2"]["detail"].startswith(f"mounted on {where} "), by["cgroup2"]
    else:
        assert by["cgroup2"]["status"] == "warn" and "hint" in by["cgroup2"]

    pmu = os.path.isdir("/sys/bus/event_source/devices/kprobe")
    if pmu:
        assert by["kprobes"]["status"] == "ok", by["kprobes"]
    else:
        with open("/proc/kallsyms") as f:
            legacy = any(line.split()[2:3] == ["register_kprobe"] for line in f)
        assert by["kprobes"]["status"] == ("ok" if legacy else "warn"), by["kprobes"]
        if not legacy:
            assert "CONFIG_KPROBES" in by["kprobes"]["detail"] and "hint" in by["kprobes"]

    with open("/proc/sys/kernel/bpf_stats_enabled") as f:
        on = f.read().strip() != "0"
    assert by["bpf_stats"]["detail"].startswith("on" if on else "off"), by["bpf_stats"]

    soft, _ = resource.getrlimit(resource.RLIMIT_MEMLOCK)
    want = "unlimited" if soft == resource.RLIM_INFINITY else f"{soft // 1024} KiB"
    assert by["memlock"]["detail"].startswith(want), by["memlock"]

    for tool, name in (("clang", "clang"), ("bpftool", "bpftool")):
        found = shutil.which(name)
        if found:
            assert by[tool]["status"] == "ok" and found in by[tool]["detail"], by[tool]

    # Trials: the kernel's own answer, a warn (never a fail: tracepoints still work).
    for name in ("fentry/fexit", "bpf_lsm"):
        assert by[name]["status"] in ("ok", "warn"), by[name]
        if by[name]["status"] == "warn" and by["bpf"]["status"] == "ok":
            assert "hint" in by[name] or "not active" in by[name]["detail"] or \
                "unknown" in by[name]["detail"], by[name]
    if GUEST:
        # the second kernel has every attach type (see test_attach.py)
        assert by["fentry/fexit"]["status"] == "ok", by["fentry/fexit"]
        assert by["kprobes"]["status"] == "ok", by["kprobes"]


def test_mount_checks_match_proc_mounts():
    for _ in range(ATTEMPTS):
        before = mounts()
        _, _, by = doctor()
        after = mounts()
        if before == after:
            break
    assert before == after, "doctor mounted or unmounted something"
    types = {m[2] for m in after}
    assert (by["tracefs"]["status"] == "ok") == ("tracefs" in types or "debugfs" in types), \
        by["tracefs"]
    if by["tracefs"]["status"] == "warn":
        assert by["tracefs"]["hint"].startswith("mount -t tracefs")
    bpffs = any(m[1] == "/sys/fs/bpf" and m[2] == "bpf" for m in after)
    assert (by["bpffs"]["status"] == "ok") == bpffs, by["bpffs"]
    if not bpffs:
        assert by["bpffs"]["hint"] == "mount -t bpf bpf /sys/fs/bpf"


def bpf_maps():
    out = subprocess.run(["bpftool", "-j", "map", "show"], capture_output=True, text=True)
    if out.returncode != 0:
        return {}
    return {m["id"]: m.get("name", "") for m in json.loads(out.stdout or "[]")}


@pytest.mark.skipif(shutil.which("bpftool") is None, reason="bpftool not installed")
def test_nothing_left_loaded():
    progs, maps = bpf_progs(), bpf_maps()
    doctor()
    doctor("--json")
    new_progs = {i: n for i, n in bpf_progs().items() if i not in progs}
    new_maps = {i: n for i, n in bpf_maps().items() if i not in maps}
    # other processes may load programs meanwhile: only ours must be gone
    assert TRIAL_NAME not in new_progs.values(), new_progs
    assert TRIAL_NAME not in new_maps.values(), new_maps
    assert TRIAL_NAME not in bpf_progs().values()


def need_root():
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv(1) (util-linux) to drop capabilities")


def test_without_capabilities_fails():
    """No capabilities at all: bpf() is refused for real, so doctor fails and says why."""
    need_root()
    drop = ["setpriv", "--bounding-set", "-all", "--inh-caps", "-all", "--"]
    rc, checks, by = doctor(prefix=drop)
    assert rc == 1
    assert by["bpf"]["status"] == "fail", by["bpf"]
    assert "Operation not permitted" in by["bpf"]["detail"]
    assert "CAP_BPF and CAP_PERFMON" in by["bpf"]["hint"]
    assert by["capabilities"]["status"] == "fail"
    assert by["capabilities"]["detail"].startswith("effective: none of them; missing: CAP_BPF")
    for name in ("fentry/fexit", "ringbuf"):
        assert by[name] == {"check": name, "status": "warn",
                            "detail": "not tried: bpf() is not permitted"}
    rc_j, js, _ = doctor("--json", prefix=drop)
    assert rc_j == 1 and exit_matches(rc_j, js)
    assert [(c["check"], c["status"]) for c in js] == [(c["check"], c["status"]) for c in checks]


def test_missing_net_admin_warns():
    need_root()
    rc, checks, by = doctor(prefix=["setpriv", "--bounding-set", "-net_admin", "--inh-caps",
                                    "-all", "--"])
    assert by["bpf"]["status"] == "ok"
    c = by["capabilities"]
    assert c["status"] == "warn", c
    assert "missing: CAP_NET_ADMIN (xdp, tc and cgroup programs)" in c["detail"], c
    assert "CAP_BPF CAP_PERFMON CAP_SYS_ADMIN" in c["detail"], c
    assert "hint" in c
    assert exit_matches(rc, checks)


def test_without_build_tools_warns(tmp_path):
    """PATH naming an empty directory hides clang, llvm-strip and bpftool: each is a warn
    with a hint (only `build` needs them), and the exit status still follows the fails."""
    empty = tmp_path / "empty"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty))
    for _ in range(ATTEMPTS):
        rc, checks, by = doctor(env=env)
        _, _, normal = doctor()
        rest = [n for n in CHECKS if n not in TOOLS]
        if all(by[n]["status"] == normal[n]["status"] for n in rest):
            break
    for tool in TOOLS:
        assert by[tool]["status"] == "warn", by[tool]
        assert "not found" in by[tool]["detail"] and by[tool]["hint"], by[tool]
    assert "ebpfctl build" in by["clang"]["detail"]
    assert all(by[n]["status"] == normal[n]["status"] for n in rest)
    assert exit_matches(rc, checks)
    rc_j, js, _ = doctor("--json", env=env)
    assert exit_matches(rc_j, js)
    assert [c for c in js if c["check"] in TOOLS] == [c for c in checks if c["check"] in TOOLS]


def test_help():
    p = run_cli("doctor", "--help")
    assert p.returncode == 0 and p.stderr == ""
    assert p.stdout.startswith("Usage: ebpfctl doctor [--json]\n")
    assert "--json" in p.stdout and "Exit status:" in p.stdout
    assert run_cli("doctor", "-h").stdout == p.stdout
    top = run_cli("--help")
    assert re.search(r"^  doctor +\S", top.stdout, re.M), top.stdout


@pytest.mark.parametrize("args,err", [
    (["--bogus"], "error: doctor: unknown option '--bogus'"),
    (["-x"], "error: doctor: unknown option '-x'"),
    (["--json=yes"], "error: doctor: option '--json' takes no value"),
    (["extra"], "error: doctor: unexpected argument 'extra'"),
])
def test_bad_command_line(args, err):
    p = run_cli("doctor", *args)
    assert p.returncode == 64
    assert p.stderr == err + "\n"
    assert p.stdout == ""
