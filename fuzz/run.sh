#!/bin/bash
# Run one fuzz target: bash fuzz/run.sh NAME SECONDS [more libFuzzer flags...]
# (what `make fuzz-NAME` runs; B= names the build directory, default build).
# Seeds come from fuzz/corpus/NAME (never written); inputs libFuzzer finds go
# to $B/fuzz/corpus/NAME, crash/leak/timeout inputs to $B/fuzz/artifacts/,
# the whole output to $B/fuzz/NAME.log.  Exit status 1 on any finding.
# FUZZ_SEED=N (not 0) with FUZZ_RUNS=M makes the run the same every time: the
# seeds, then the same M mutations in the same order from an empty work
# corpus, for at most SECONDS (a slower machine runs a prefix of the same
# sequence, so it finds nothing a faster one would not).  That is `make fuzz`,
# what `make check` runs: it fails on a regression, never on a new finding by
# chance.  The default here (FUZZ_SEED=0, FUZZ_RUNS=-1; `make fuzz-long`)
# explores: a random seed, no run bound, the work corpus kept between runs.
set -uo pipefail
name=$1
secs=$2
shift 2
B=${B:-build}
here=$(cd "$(dirname "$0")" && pwd)
bin=$B/fuzz/fuzz_$name
seed=${FUZZ_SEED:-0}
runs=${FUZZ_RUNS:--1}
work=$B/fuzz/corpus/$name
if [ "$seed" != 0 ]; then
	work=$B/fuzz/corpus-seed$seed/$name
	rm -rf "$work"
fi
art=$B/fuzz/artifacts
log=${FUZZ_LOG:-$B/fuzz/$name.log}
mkdir -p "$work" "$art"

args=(-max_total_time="$secs" -seed="$seed" -runs="$runs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
      -artifact_prefix="$art/$name-")
[ -f "$here/$name.dict" ] && args+=(-dict="$here/$name.dict")
# a leak is a bug: LeakSanitizer stays on (fuzz/README.md: suppressions)
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:detect_stack_use_after_return=1:check_initialization_order=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
[ -f "$here/lsan.supp" ] && export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$here/lsan.supp:print_suppressions=0}

t0=$(date +%s)
"$bin" "${args[@]}" "$@" "$work" "$here/corpus/$name" >"$log" 2>&1
rc=$?
elapsed=$(( $(date +%s) - t0 ))

stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
last=$(grep -E '^#[0-9]+' "$log" | tail -1)
field() { sed -n "s/.* $1: \([^ ]*\).*/\1/p" <<<"$last"; }
if [ $rc -ne 0 ]; then
	echo "fuzz $name: FAILED (exit $rc): $log"
	grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz oracle failed|.*runtime error:)' "$log" | head -5
	tail -40 "$log"
	ls "$art"/"$name"-* 2>/dev/null | sed 's/^/fuzz input: /'
	exit 1
fi
printf 'fuzz %-11s ok: %s runs in %ss (%s/s, seed %s), cov %s ft %s, corpus %s\n' "$name" \
	"$(stat number_of_executed_units)" "$elapsed" "$(stat average_exec_per_sec)" "$seed" "$(field cov)" \
	"$(field ft)" "$(field corp)"
