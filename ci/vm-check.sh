#!/bin/bash
# The end-to-end suite on a second kernel: Debian's 6.1 (kprobes, fentry/fexit, BPF LSM; the
# machines' own 6.18 lacks them) booted once under qemu by ci/vm-run.sh, the whole suite run
# inside as root.  Called by `make check-kernels`, which `make check` (and so .ci/run) runs.
#
#   bash ci/vm-check.sh [PYTEST ARGS...]     default: -q -rs tests/e2e (but test_bad_inputs.py)
#   env: VM_CHECK_TIMEOUT  seconds before the guest is killed (default 2400)
#        VM_CACHE, VM_MEM, VM_SMP, VM_KPKG   see ci/vm-run.sh
#
# Inside the guest CPU-bound work is ~20x slower (TCG), so deadlines are scaled by
# EBPFCTL_TEST_SLOWDOWN=20, and EBPFCTL_TEST_KERNEL=guest makes every attach type mandatory
# (tests/e2e/test_attach.py fails instead of skipping).  Exit status: pytest's; 124 when the
# guest timed out or crashed (its console is in the output).
set -euo pipefail
cd "$(dirname "$0")/.."
for f in build/ebpfctl build/tests/bpf/at_kprobe.bpf.o; do
	[ -e "$f" ] || { echo "vm-check: $f missing: run 'make check-kernels'" >&2; exit 2; }
done
# test_bad_inputs.py checks ebpfctl's and libbpf's parsing of malformed objects, command lines and
# variables: user space, the same on every kernel, and ~4.5 min in the guest: host only.
[ $# -gt 0 ] || set -- -q -rs tests/e2e --ignore=tests/e2e/test_bad_inputs.py
echo "vm-check: e2e suite on the second kernel (qemu, TCG): pytest $*"
t0=$(date +%s)
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# A guest kernel that locks up (seen once in many runs: both vCPUs stuck in the kernel,
# a soft lockup under TCG, not a test failure) panics and ends the run early (vm-run.sh):
# then the suite is run once more, in a fresh guest.  A test failure is never retried.
for attempt in 1 2; do
	rc=0
	bash ci/vm-run.sh -t "${VM_CHECK_TIMEOUT:-2400}" -- \
		env EBPFCTL_TEST_SLOWDOWN=20 EBPFCTL_TEST_KERNEL=guest PYTHONDONTWRITEBYTECODE=1 PY_COLORS=0 \
		/usr/bin/python3 -m pytest -p no:cacheprovider "$@" | tee "$log" || rc=$?
	if [ "$rc" = 124 ] && [ "$attempt" = 1 ] && grep -aqE 'soft lockup|Kernel panic' "$log"; then
		echo "vm-check: the guest kernel locked up (console above): running the suite again in a new guest"
		continue
	fi
	break
done
echo "vm-check: second kernel: exit status $rc, $(($(date +%s) - t0))s including boot"
# the guest's pytest summary last, so CI's log ends with the runner's own line
grep -aE '^=* ?[0-9]+ (passed|failed)' "$log" | tail -n 1 | tr -d '\r=' | sed 's/^ *//; s/ *$//' || true
exit $rc
