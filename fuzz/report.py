#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Markdown table of libFuzzer runs: python3 fuzz/report.py DIR (DIR/<name>.log,
as fuzz/long.sh writes them).  Per target: executions, time, exec/s, the
final cov/ft/corpus of libFuzzer's last status line, and the outcome."""
import os
import re
import sys


def parse(path):
    text = open(path, errors="replace").read()
    stat = dict(re.findall(r"^stat::(\w+):\s*(\S+)", text, re.M))
    status = [l for l in text.splitlines() if re.match(r"#\d+\s", l)]
    last = status[-1] if status else ""
    field = lambda k: (re.search(k + r": (\S+)", last) or [None, "?"])[1]
    done = re.search(r"Done (\d+) runs in (\d+) second", text)
    bad = re.search(r"^(==\d+==ERROR: \w+Sanitizer: .*|SUMMARY: .*|fuzz oracle failed: .*|.*runtime error: .*)$",
                    text, re.M)
    return {
        "runs": int(stat.get("number_of_executed_units", 0)),
        "secs": int(done.group(2)) if done else None,
        "eps": stat.get("average_exec_per_sec", "?"),
        "cov": field("cov"), "ft": field("ft"), "corp": field("corp"),
        "rss": stat.get("peak_rss_mb", "?"),
        "outcome": "no finding" if done and not bad else (bad.group(1)[:80] if bad else "stopped"),
    }


def main():
    d = sys.argv[1] if len(sys.argv) > 1 else "build/fuzz/long"
    print("| target | executions | time | exec/s | cov | ft | corpus (inputs/bytes) | peak RSS | outcome |")
    print("|---|---|---|---|---|---|---|---|---|")
    for f in sorted(os.listdir(d)):
        if not f.endswith(".log") or "." in f[:-4]:
            continue
        r = parse(os.path.join(d, f))
        secs = f"{r['secs']} s" if r["secs"] is not None else "?"
        print(f"| {f[:-4]} | {r['runs']:,} | {secs} | {r['eps']} | {r['cov']} | {r['ft']} | {r['corp']} | "
              f"{r['rss']} MB | {r['outcome']} |")


if __name__ == "__main__":
    main()
