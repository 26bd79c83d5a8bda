#!/bin/bash
# SPDX-License-Identifier: MIT
# `make bench`: ebpfctl against its peers on this machine, in one run.
# Installs bpftrace (Debian package) only if it is missing, builds the bench
# probes and helpers under build/bench, runs bench/run.py, which prints the
# table and writes bench/RESULTS.md.  Needs root (BPF), 2+ CPUs.
#
#   bash bench/run.sh                 every section (what `make bench` runs)
#   bash bench/run.sh new             only sections 5-7 (bench/extra.py):
#                                     kernel cost vs libbpf-tools, 10 objects
#                                     in one run, the sampling profiler
#   bash bench/run.sh kcost|multi|profile ...   one or more of those
# A partial run replaces only its sections (and their Targets rows) in
# bench/RESULTS.md; the other tables stay as they were.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" != 0 ]; then
	echo "error: make bench: needs root (loads BPF programs)" >&2
	exit 1
fi
if [ "$(nproc)" -lt 2 ]; then
	echo "error: make bench: needs 2 CPUs (consumer on CPU 0, load generator on CPU 1)" >&2
	exit 1
fi
missing=()
command -v bpftrace >/dev/null || missing+=(bpftrace)
command -v bpftool >/dev/null || missing+=(bpftool)
command -v taskset >/dev/null || missing+=(util-linux)
[ -x /usr/sbin/opensnoop ] || dpkg -s libbpf-tools >/dev/null 2>&1 || missing+=(libbpf-tools)
if [ ${#missing[@]} -gt 0 ]; then
	echo "bench: installing ${missing[*]}" >&2
	apt-get update -qq || true
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

B=build/bench
CLANG=${CLANG:-clang}
ARCH=$(uname -m | sed -e 's/x86_64/x86/' -e 's/aarch64/arm64/')
BPFFLAGS=(-g -O2 -target bpf -D__TARGET_ARCH_$ARCH -Ibench -I/usr/include/$(uname -m)-linux-gnu)
LIBBPF=$(pkg-config --cflags --libs libbpf)
mkdir -p $B
set -x
$CLANG "${BPFFLAGS[@]}" -c bench/ev.bpf.c -o $B/ev.bpf.o
$CLANG "${BPFFLAGS[@]}" -DFLOOR -c bench/ev.bpf.c -o $B/floor.bpf.o
$CLANG "${BPFFLAGS[@]}" -c bench/scrape.bpf.c -o $B/scrape.bpf.o
bpftool gen skeleton $B/floor.bpf.o name floor > $B/floor.skel.h
cc -O2 -g -Wall -Ibench -I$B -o $B/floor bench/floor.c $LIBBPF
cc -O2 -g -Wall -fno-omit-frame-pointer -o $B/loadgen bench/loadgen.c
cc -O2 -g -Wall -o $B/batchread bench/batchread.c $LIBBPF
cc -O2 -g -std=gnu11 -D_GNU_SOURCE -Irunner -o $B/json_writer bench/json_writer.c \
	build/libebpfctl-runner.a $(pkg-config --libs libbpf libelf zlib libmicrohttpd libcjson) -lpthread -lm
{ set +x; } 2>/dev/null
for x in opensnoop execsnoop profile; do
	if [ ! -f build/examples/$x.bpf.o ]; then
		echo "error: bench: build/examples/$x.bpf.o missing: run make first" >&2
		exit 1
	fi
done

if [ $# -gt 0 ]; then
	exec /usr/bin/python3 bench/extra.py "$@"
fi

# the formatter alone (no BPF): ebpfctl's writer vs snprintf
$B/json_writer 2000000 > $B/json_writer.txt
cat $B/json_writer.txt

/usr/bin/python3 bench/run.py

left=$(bpftool prog show 2>/dev/null | grep -cE "name (on_write|fill_all) " || true)
if [ "$left" != 0 ]; then
	echo "warning: $left bench program(s) still loaded" >&2
fi
