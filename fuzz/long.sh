#!/bin/bash
# The long run of bench/RESULTS.md's "Fuzzing" section: every target until
# RUNS executions or SECONDS, whichever comes first, JOBS at a time, then a
# Markdown table of the results (python3 fuzz/report.py).
#   bash fuzz/long.sh [SECONDS=3600] [RUNS=10000000] [JOBS=2]
# Logs: $B/fuzz/long/<name>.log; corpora as for `make fuzz`.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${1:-3600}
runs=${2:-10000000}
jobs=${3:-2}
B=${B:-build}
make --no-print-directory fuzz-build >/dev/null || exit 1
mkdir -p "$B/fuzz/long"
ls fuzz/fuzz_*.c | sed 's|fuzz/fuzz_\(.*\)\.c|\1|' |
	xargs -P "$jobs" -I{} env B="$B" FUZZ_LOG="$B/fuzz/long/{}.log" bash fuzz/run.sh {} "$secs" -runs="$runs"
rc=$?
python3 fuzz/report.py "$B/fuzz/long"
exit $rc
