"""--btf FILE (DESIGN.md section 16): a kernel without /sys/kernel/btf/vmlinux, simulated by an
empty tmpfs over /sys/kernel/btf in a private mount namespace of the ebpfctl process only.  A
CO-RE probe then fails with one error line naming the missing BTF and a hint for --btf; with a
copy of the real BTF given as --btf (or EBPFCTL_BTF) it loads and runs; a file that is not BTF
is refused before anything is loaded."""
import ctypes
import os
import shutil
import subprocess

import pytest

from conftest import BUILD, EBPFCTL, bpf_prog_ids, deadline, wait_until

EXECSNOOP = os.path.join(BUILD, "examples", "execsnoop.bpf.o")
CLONE_NEWNS, MS_REC, MS_PRIVATE = 0x00020000, 16384, 1 << 18


def hide_btf():
    """preexec_fn: this child only sees an empty /sys/kernel/btf."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.unshare(CLONE_NEWNS) or libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) or \
            libc.mount(b"none", b"/sys/kernel/btf", b"tmpfs", 0, None):
        raise OSError(ctypes.get_errno(), "hiding /sys/kernel/btf")


def run(*args, env=None, timeout=60):
    return subprocess.run([EBPFCTL, "run", EXECSNOOP, "--no-metrics", *args], capture_output=True, text=True,
                          preexec_fn=hide_btf, env=env, timeout=deadline(timeout))


@pytest.fixture
def btf_copy(tmp_path):
    if not os.path.exists("/sys/kernel/btf/vmlinux"):
        pytest.skip("this kernel has no BTF to copy")
    dst = tmp_path / "vmlinux.btf"
    shutil.copy("/sys/kernel/btf/vmlinux", dst)
    return str(dst)


def test_no_kernel_btf_says_so():
    before = bpf_prog_ids()
    p = run("--duration", "1s")
    assert p.returncode == 1, p
    release = os.uname().release
    assert p.stderr.splitlines() == [
        f"error: {EXECSNOOP}: cannot load: the kernel has no BTF (/sys/kernel/btf/vmlinux) for its CO-RE relocations",
        f"hint: give the kernel's BTF with --btf FILE (a BTFHub file for {release}, or the vmlinux BTF of the same "
        "kernel built with CONFIG_DEBUG_INFO_BTF)"], p.stderr
    assert not (bpf_prog_ids() - before)


@pytest.mark.parametrize("how", ["flag", "env"])
def test_btf_file_is_used(btf_copy, how):
    before = bpf_prog_ids()
    env = dict(os.environ)
    args = ["--duration", "3s"]
    if how == "flag":
        args += ["--btf", btf_copy]
    else:
        env["EBPFCTL_BTF"] = btf_copy
    tag = f"ebpfctl-btf-{os.getpid()}"
    proc = subprocess.Popen([EBPFCTL, "run", EXECSNOOP, "--no-metrics", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, preexec_fn=hide_btf, env=env)
    for _ in range(int(deadline(25))):
        if proc.poll() is not None:
            break
        subprocess.run(["/bin/echo", tag], stdout=subprocess.DEVNULL)
        try:
            proc.wait(timeout=0.1)
        except subprocess.TimeoutExpired:
            pass
    out, err = proc.communicate(timeout=deadline(30))
    assert proc.returncode == 0, err
    assert f'"args":"/bin/echo {tag}"' in out, (out[-2000:], err)
    wait_until(lambda: not (bpf_prog_ids() - before), what="programs unloaded")


def test_btf_file_must_be_btf(tmp_path):
    bad = tmp_path / "not.btf"
    bad.write_text("hello\n")
    release = os.uname().release
    hint = (f"hint: give the kernel's BTF: /sys/kernel/btf/vmlinux of a kernel with BTF, or the BTFHub file for "
            f"this kernel ({release})")
    p = run("--btf", str(bad), "--duration", "1s")
    assert (p.returncode, p.stderr.splitlines()) == (1, [f"error: --btf {bad}: not a BTF or ELF file with BTF", hint])
    p = run("--btf", str(tmp_path / "missing"), "--duration", "1s")
    assert (p.returncode, p.stderr.splitlines()) == \
        (1, [f"error: --btf {tmp_path / 'missing'}: No such file or directory", hint])
    p = subprocess.run([EBPFCTL, "run", EXECSNOOP, "--btf", ""], capture_output=True, text=True)
    assert p.returncode == 64 and "--btf '': expected a file name" in p.stderr, p.stderr
