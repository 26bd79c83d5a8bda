#!/bin/bash
# SPDX-License-Identifier: MIT
# Soak: ebpfctl on bench/ev.bpf.c at 30% of its measured maximum rate for MINUTES
# (default 30), scraped every second; every JSON line and every scrape parsed;
# RSS, fd count, loss and scrape latency reported (bench/soak.py, its docstring).
#
#   bash bench/soak.sh [MINUTES]
#
# Splices its section (between <!-- soak:begin --> and <!-- soak:end -->) into
# bench/RESULTS.md, or into $SOAK_RESULTS; every figure also goes to
# build/soak/soak-<time>.json.  Knobs: SOAK_FRACTION (0.3), SOAK_RATE (skip the
# max measurement), SOAK_PARSERS (2 json.loads workers), SOAK_NICE (-10: every
# process of the run; the VM is shared), SOAK_PARSER_NICE (the parser only).
# Needs root (BPF), 2+ CPUs, bpftool, taskset, promtool, clang; build/ebpfctl
# from `make`.  tests/deploy/test_soak.py runs the same for ~60 s.
set -euo pipefail
cd "$(dirname "$0")/.."
MINUTES=${1:-30}
if [ "$(id -u)" != 0 ]; then
	echo "error: soak: needs root (loads BPF programs)" >&2
	exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
	echo "error: soak: needs 2 CPUs (ebpfctl on CPU 0, load generator on CPU 1 for the max rate)" >&2
	exit 1
fi
for t in bpftool taskset promtool clang cc; do
	command -v $t >/dev/null || { echo "error: soak: $t not found (bash ci/install-deps.sh)" >&2; exit 1; }
done
[ -x build/ebpfctl ] || { echo "error: soak: build/ebpfctl missing: run make first" >&2; exit 1; }

B=build/soak            # not build/bench: bench/run.sh rebuilds that one
ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
mkdir -p $B
set -x
clang -g -O2 -target bpf -D__TARGET_ARCH_$ARCH -Ibench -I/usr/include/$(uname -m)-linux-gnu \
	-c bench/ev.bpf.c -o $B/ev.bpf.o
cc -O2 -g -Wall -o $B/loadgen bench/loadgen.c -lpthread
{ set +x; } 2>/dev/null

args=(--minutes "$MINUTES" --fraction "${SOAK_FRACTION:-0.3}"
      --json "$B/soak-$(date -u +%Y%m%dT%H%M%SZ).json" --results "${SOAK_RESULTS:-bench/RESULTS.md}")
[ -n "${SOAK_RATE:-}" ] && args+=(--rate "$SOAK_RATE")
exec /usr/bin/python3 bench/soak.py "${args[@]}"
