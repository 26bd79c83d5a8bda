"""`ebpfctl version` after an incremental build (issue: paper cuts): the version is compiled in
(`git describe`), so a build after a new commit must rebuild what prints it, and a build with
nothing new must rebuild nothing.  Runs `make build/ebpfctl` in a clone of this checkout.

Not about the kernel: host only."""
import glob
import os
import subprocess

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))


def sh(*args, cwd, **kw):
    return subprocess.run(list(args), cwd=cwd, check=True, capture_output=True, text=True, **kw).stdout


def test_version_follows_commits(tmp_path):
    if not os.path.isdir(os.path.join(ROOT, ".git")):
        pytest.skip("not a git checkout")
    repo = tmp_path / "repo"
    sh("git", "clone", "-q", ROOT, str(repo), cwd=tmp_path)
    env = dict(os.environ, GIT_AUTHOR_NAME="t", GIT_AUTHOR_EMAIL="t@example.invalid", GIT_COMMITTER_NAME="t",
               GIT_COMMITTER_EMAIL="t@example.invalid")
    jobs = f"-j{os.cpu_count() or 2}"
    sh("make", jobs, "build/ebpfctl", cwd=repo, timeout=900)

    def version():
        return sh("./build/ebpfctl", "version", cwd=repo).splitlines()[0]
    first = sh("git", "describe", "--always", "--dirty", cwd=repo).strip()
    assert version() == f"ebpfctl {first}"
    # nothing new: nothing is compiled again
    out = sh("make", jobs, "build/ebpfctl", cwd=repo)
    assert " -c " not in out, out
    sh("git", "commit", "-q", "--allow-empty", "-m", "a new commit", cwd=repo, env=env)
    second = sh("git", "describe", "--always", "--dirty", cwd=repo).strip()
    assert second != first
    out = sh("make", jobs, "build/ebpfctl", cwd=repo)
    assert version() == f"ebpfctl {second}", out
    # ... and only what prints the version was compiled (the files that use EBPFCTL_VERSION:
    # the version command, ebpfctl_build_info, an OCI artifact's builder.version)
    compiled = sorted(w for w in out.split() if w.endswith(".c"))
    users = sorted(os.path.relpath(f, repo) for d in ("ebpfctl", "runner") for f in glob.glob(str(repo / d / "*.c"))
                   if "EBPFCTL_VERSION" in open(f).read())
    assert "ebpfctl/main.c" in users and "runner/oci_artifact.c" in users
    assert compiled == users, out
    # a dirty tree says so
    (repo / "README.md").write_text("changed\n")
    sh("make", jobs, "build/ebpfctl", cwd=repo)
    assert version() == f"ebpfctl {second}-dirty"
