#!/usr/bin/python3
# SPDX-License-Identifier: MIT
"""Long fuzz runs: every fuzz/ target until RUNS inputs (default 10 million) or SECONDS (default
3600), whichever comes first, with a random seed and the work corpus kept (what `make fuzz-long`
does, bounded by inputs too); the figures go into bench/RESULTS.md between
<!-- fuzz-long:begin --> and <!-- fuzz-long:end -->, and every run's JSON into
build/fuzz/long-<time>.json.

    /usr/bin/python3 bench/fuzz_long.py [--runs N] [--seconds S] [--nice N] [TARGET...]

Needs `make fuzz-build`.  A target that finds something stops there (libFuzzer stops at the
first finding); its row says so and names the input under build/fuzz/artifacts/.  The fix, a
committed seed and a unit test follow as fuzz/README.md says; then run the target again.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import soak  # noqa: E402
ROOT = os.path.dirname(HERE)
BEGIN, END = "<!-- fuzz-long:begin -->", "<!-- fuzz-long:end -->"


def run_target(name, runs, seconds, nice):
    log = os.path.join(ROOT, "build", "fuzz", f"{name}.long.log")
    env = dict(os.environ, B="build", FUZZ_SEED="0", FUZZ_RUNS=str(runs), FUZZ_LOG=log)
    t0 = time.monotonic()
    p = subprocess.run(["nice", "-n", str(nice), "bash", "fuzz/run.sh", name, str(seconds)],
                       cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.monotonic() - t0
    text = open(log, errors="replace").read()
    stat = dict(re.findall(r"^stat::(\w+):\s*(\d+)", text, re.M))
    last = [ln for ln in text.splitlines() if re.match(r"^#\d+", ln)]
    status = {}
    if last:
        for k in ("cov", "ft", "corp", "exec/s"):
            m = re.search(rf"\b{re.escape(k)}: (\S+)", last[-1])
            if m:
                status[k] = m.group(1)
    seed = re.search(r"Seed: (\d+)", text)
    found = sorted(set(re.findall(r"(build/fuzz/artifacts/\S+)", p.stdout)))
    return dict(target=name, rc=p.returncode, wall=wall, runs=int(stat.get("number_of_executed_units", 0)),
                rate=int(int(stat.get("number_of_executed_units", 0)) / wall) if wall > 0 else 0, peak_rss_mb=int(stat.get("peak_rss_mb", 0)),
                new_units=int(stat.get("new_units_added", 0)), seed=seed.group(1) if seed else "?",
                cov=status.get("cov", "?"), ft=status.get("ft", "?"), corpus=status.get("corp", "?"),
                findings=found, summary=p.stdout.strip().splitlines()[:6])


def markdown(R):
    out = [BEGIN, "", "## Long fuzz runs (bench/fuzz_long.py)", ""]
    w = out.append
    w(f"Measured {R['when']}, commit {R['commit']}, kernel `{os.uname().release}`, {os.cpu_count()} vCPUs shared "
      f"with other jobs, each target at nice {R['nice']} until {R['runs']:,} inputs or {R['seconds']} s; random "
      "seed (listed), work corpus kept from earlier runs on this machine, ASan + UBSan + LeakSanitizer, "
      "10 s per-input timeout, 2 GiB RSS limit. cov/ft are libFuzzer's edge coverage and feature counts at "
      "the end; corpus is the work corpus (inputs/bytes).")
    w("")
    w("| target | inputs run | wall time | inputs/s | seed | cov | ft | corpus | peak RSS | result |")
    w("|---|---|---|---|---|---|---|---|---|---|")
    for t in R["targets"]:
        res = "clean" if t["rc"] == 0 else "**finding**: " + ", ".join(f"`{f}`" for f in t["findings"]) or "failed"
        w(f"| `{t['target']}` | {t['runs']:,} | {t['wall'] / 60:.1f} min | {t['rate']:,} | {t['seed']} | {t['cov']} | "
          f"{t['ft']} | {t['corpus']} | {t['peak_rss_mb']} MB | {res} |")
    w("")
    w("What earlier long runs found, and the fixes (each with a test in tests/unit/test_fuzz_regressions.c and "
      "its input committed as a `regress-*` seed, so `make fuzz` replays it): fuzz/README.md, \"What fuzzing found\".")
    w("")
    w(END)
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=10_000_000)
    ap.add_argument("--seconds", type=int, default=3600)
    ap.add_argument("--nice", type=int, default=10)
    ap.add_argument("--results", default=os.path.join(HERE, "RESULTS.md"))
    ap.add_argument("targets", nargs="*")
    a = ap.parse_args()
    names = a.targets or sorted(os.path.basename(p)[5:-2] for p in glob.glob(os.path.join(ROOT, "fuzz", "fuzz_*.c")))
    for n in names:
        if not os.access(os.path.join(ROOT, "build", "fuzz", f"fuzz_{n}"), os.X_OK):
            sys.exit(f"error: fuzz_long: build/fuzz/fuzz_{n} missing\nhint: make fuzz-build")
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "status", "--porcelain", "-uno", "--", "runner", "ebpfctl", "fuzz"], cwd=ROOT,
                           capture_output=True, text=True).stdout.strip()
    R = dict(when=time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), runs=a.runs, seconds=a.seconds, nice=a.nice,
             commit=f"`{head}`" + (" + uncommitted changes" if dirty else ""), targets=[])
    for n in names:
        t = run_target(n, a.runs, a.seconds, a.nice)
        print(f"{n}: {t['runs']:,} inputs in {t['wall']:.0f} s, cov {t['cov']} ft {t['ft']}, rc {t['rc']}"
              + (f" {t['findings']}" if t["findings"] else ""), flush=True)
        R["targets"].append(t)
    os.makedirs(os.path.join(ROOT, "build", "fuzz"), exist_ok=True)
    with open(os.path.join(ROOT, "build", "fuzz", time.strftime("long-%Y%m%d-%H%M%S.json")), "w") as f:
        json.dump(R, f, indent=1)
    # a partial run (some targets) keeps the rows of the others from the last full report
    if a.targets and os.path.exists(a.results):
        old = open(a.results).read()
        if BEGIN in old:
            for ln in old[old.index(BEGIN):].splitlines():
                m = re.match(r"^\| `(\w+)` \|", ln)
                if m and m.group(1) not in names:
                    R.setdefault("kept", []).append(ln)
    sec = markdown(R)
    if R.get("kept"):
        lines = sec.splitlines()
        i = max(k for k, ln in enumerate(lines) if ln.startswith("| `"))
        lines[i + 1:i + 1] = R["kept"]
        sec = "\n".join(lines)
    soak.splice(a.results, sec, BEGIN, END)
    sys.exit(1 if any(t["rc"] for t in R["targets"]) else 0)


if __name__ == "__main__":
    main()
