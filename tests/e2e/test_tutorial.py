"""TUTORIAL.md, executed: every ```sh block runs, in order, in one bash
session (so `cd`, files and background jobs carry over, as for a reader).

Conventions (also stated at the end of TUTORIAL.md):
- Only blocks whose info string is `sh` run; ```console, ```json, ```c,
  ```text blocks are illustrations.
- Each command of a block must exit 0.  A block that fails while a background
  job (`cmd &`) is alive is retried until it succeeds or a deadline passes:
  that is how "open a file, then look for its event" waits for the probe to
  attach, with no fixed sleeps.
- `sudo` is a pass-through (the suite runs as root), `ebpfctl` is build/ebpfctl,
  and the ports 9091 (ebpfctl) and 9090 (Prometheus) are replaced by free ports.
The commands are read from TUTORIAL.md itself: there is no second copy.
"""
import os
import re
import select
import shutil
import signal
import subprocess
import time

import pytest

from authoring_util import path_env
from conftest import ROOT, SLOWDOWN, deadline, free_port

TUTORIAL = os.path.join(ROOT, "TUTORIAL.md")
# not about the kernel (a registry, push and pull): not run again in the second-kernel guest
HOST_ONLY = ("10. Ship",)


def sh_blocks(text):
    """[(section heading, block text)] for every ```sh block."""
    blocks, section, cur, lang = [], "", None, None
    for line in text.splitlines(keepends=True):
        if cur is None:
            if line.startswith("## "):
                section = line[3:].strip()
            m = re.match(r"^```(\S*)", line)
            if m:
                cur, lang = [], m.group(1)
        elif line.startswith("```"):
            if lang == "sh":
                blocks.append((section, "".join(cur)))
            cur = None
        else:
            cur.append(line)
    assert cur is None, "unterminated code block in TUTORIAL.md"
    return blocks


def split_commands(block):
    """Split a block into complete shell commands: continuation lines and
    here-documents stay with their command."""
    cmds, lines, i = [], block.splitlines(keepends=True), 0
    while i < len(lines):
        cmd = lines[i]
        i += 1
        while cmd.rstrip("\n").endswith("\\") and i < len(lines):
            cmd += lines[i]
            i += 1
        for m in re.finditer(r"<<-?\s*'?\"?(\w+)'?\"?", cmd):
            end = m.group(1)
            while i < len(lines):
                cmd += lines[i]
                i += 1
                if lines[i - 1].strip() == end:
                    break
            else:
                raise AssertionError(f"here-document {end} not terminated in: {cmd}")
        if cmd.strip() and not cmd.strip().startswith("#"):
            cmds.append(cmd if cmd.endswith("\n") else cmd + "\n")
    return cmds


class Session:
    """One bash, fed commands on stdin; each command's status and output are
    read back through a marker line."""

    def __init__(self, cwd, env):
        self.proc = subprocess.Popen(["bash", "--norc", "--noprofile"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=cwd,
                                     env=env, start_new_session=True)
        self.n = 0
        self.buf = b""
        self.log = []
        # job control: each background job gets its own process group, so
        # `kill -INT %1` reaches the job as Ctrl-C would
        assert self.run("set -m\n")[0] == 0

    def run(self, cmd, timeout=120):
        self.n += 1
        marker = f"__TUTORIAL_DONE_{self.n}__"
        self.proc.stdin.write(cmd.encode() + f"\necho \"{marker} $?\"\n".encode())
        self.proc.stdin.flush()
        end = time.monotonic() + deadline(timeout)
        pat = re.compile(rb"(?m)^" + marker.encode() + rb" (\d+)\n")
        while True:
            m = pat.search(self.buf)
            if m:
                out = self.buf[:m.start()].decode("utf-8", "replace")
                self.buf = self.buf[m.end():]
                self.log.append((cmd, int(m.group(1)), out))
                return int(m.group(1)), out
            left = end - time.monotonic()
            if left <= 0:
                raise AssertionError(f"command did not finish in {timeout}s:\n{cmd}\noutput so far:\n"
                                     f"{self.buf.decode('utf-8', 'replace')}")
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 0.5))
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    raise AssertionError(f"the shell exited during:\n{cmd}\n"
                                         f"{self.buf.decode('utf-8', 'replace')}")
                self.buf += chunk

    def running_jobs(self):
        status, out = self.run("jobs -pr")
        return [int(p) for p in out.split()]

    def close(self):
        """Kill the background jobs this session started (their process
        groups), then the shell itself."""
        try:
            if self.proc.poll() is None:
                _, out = self.run("jobs -p", timeout=10)
                for pid in (int(p) for p in out.split()):
                    try:
                        os.killpg(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass
        finally:
            if self.proc.poll() is None:
                self.proc.stdin.close()
                try:
                    self.proc.wait(timeout=deadline(10))
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()


def test_tutorial_blocks_are_found():
    blocks = sh_blocks(open(TUTORIAL).read())
    sections = {s for s, _ in blocks}
    assert len(blocks) >= 15
    for needed in ("1. Scaffold", "2. Build", "3. Run", "4. Filter", "5. Edit", "6. Add a counter",
                   "7. Graph", "8. Count packets", "9. Which cgroup", "10. Ship"):
        assert any(s.startswith(needed) for s in sections), needed
    text = "".join(b for _, b in blocks)
    for cmd in ("ebpfctl init", "ebpfctl build", "ebpfctl run", "jq", "curl", "--set", "prometheus", "--iface",
                "patch probe.bpf.c", "ebpfctl push", "ebpfctl build ship.bpf.c localhost:5000/"):
        assert cmd in text, cmd


def test_split_commands():
    assert split_commands("a\nb \\\n  c\n# note\ncat > f <<'EOF'\nx\nEOF\nd\n") == \
        ["a\n", "b \\\n  c\n", "cat > f <<'EOF'\nx\nEOF\n", "d\n"]


@pytest.mark.skipif(shutil.which("prometheus") is None, reason="prometheus not installed (ci/ installs it)")
def test_tutorial_runs(tmp_path):
    shim = tmp_path / "shim"
    shim.mkdir()
    (shim / "sudo").write_text('#!/bin/sh\n# the e2e suite runs as root\nexec "$@"\n')
    (shim / "sudo").chmod(0o755)
    work = tmp_path / "work"
    work.mkdir()
    env = dict(os.environ)
    env["PATH"] = f"{shim}{os.pathsep}{path_env()}"
    env.pop("EBPFCTL_INCLUDE", None)
    ports = {"9091": str(free_port()), "9090": str(free_port()), ":5000": ":" + str(free_port())}
    # section 10's pushes and pulls go to a store of the test's, not the machine's
    env["EBPFCTL_STORE"] = str(tmp_path / "store")

    session = Session(work, env)
    try:
        for section, block in sh_blocks(open(TUTORIAL).read()):
            if section.startswith(HOST_ONLY) and SLOWDOWN > 1:
                continue
            for p, q in ports.items():
                block = block.replace(p, q)
            cmds = split_commands(block)
            end = time.monotonic() + deadline(60)
            while True:
                failed = None
                for cmd in cmds:
                    status, out = session.run(cmd)
                    if status != 0:
                        failed = (cmd, status, out)
                        break
                if failed is None:
                    break
                jobs = session.running_jobs()
                if not jobs or time.monotonic() > end:
                    cmd, status, out = failed
                    raise AssertionError(
                        f"TUTORIAL.md section '{section}': command exited {status}:\n{cmd}\n{out}"
                        + ("" if not jobs else "\n(retried while background jobs ran)")
                        + "\n--- background job logs ---\n" + _logs(work))
                time.sleep(0.2)
        assert session.running_jobs() == [], "the tutorial leaves a background job running"
    finally:
        session.close()


def _logs(work):
    out = []
    for name in ("prometheus.log",):
        for p in work.rglob(name):
            out.append(f"{p}:\n{p.read_text()[-3000:]}")
    return "\n".join(out)


def test_readme_ship_section_runs_in_the_tutorial():
    """README's "Ship a probe to another node" commands are TUTORIAL section 10's, which
    test_tutorial_runs executes (so the README's copy cannot drift)."""
    readme = open(os.path.join(ROOT, "README.md")).read()
    sec = readme.split("## Ship a probe to another node\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```sh\n(.*?)```", sec, re.S).group(1)
    cmds = [c.split("#")[0].strip() for c in block.splitlines() if c.strip() and not c.startswith("#")]
    tutorial = "".join(b for s, b in sh_blocks(open(TUTORIAL).read()) if s.startswith("10. Ship"))
    assert len(cmds) >= 4
    for c in cmds:
        assert c in tutorial, c
