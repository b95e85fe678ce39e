#!/usr/bin/env python3
"""scripts/bench_compare.py — Gantry vs LibTorch, side by side, same machine, same run.

Runs bench/bench_ops (Gantry) and bench/bench_libtorch (its LibTorch twin) as
separate processes (they share the OpenMP runtime), alternating A B A B for
--rounds rounds, both with the same thread count (BENCH_THREADS), and prints a
Markdown table of the median time of every benchmark the two programs share
(same names), with the ratio Gantry / LibTorch (< 1: Gantry is faster).

    python3 scripts/bench_compare.py --build build --threads 2 --rounds 3 \
        [--filter REGEX] [--min-time 0.2] [--json out.json]
"""
import argparse
import json
import os
import re
import statistics
import subprocess
import sys


def run(exe, threads, flt, min_time):
    env = dict(os.environ, BENCH_THREADS=str(threads), OMP_NUM_THREADS=str(threads))
    args = [exe, "--benchmark_format=json", f"--benchmark_min_time={min_time}"]
    if flt:
        args.append(f"--benchmark_filter={flt}")
    out = subprocess.run(args, env=env, check=True, capture_output=True, text=True).stdout
    data = json.loads(out)
    ctx = data.get("context", {})
    rows = {}
    for b in data["benchmarks"]:
        if b.get("run_type", "iteration") != "iteration":
            continue
        name = b["name"].split("/min_time")[0].replace("_libtorch", "")
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}[b.get("time_unit", "ns")]
        rows[name] = (b["real_time"] * scale, b.get("label", ""))
    return rows, ctx


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--filter", default="")
    ap.add_argument("--min-time", default="0.2")
    ap.add_argument("--json", default="")
    a = ap.parse_args()
    ours = os.path.join(a.build, "bench", "bench_ops")
    theirs = os.path.join(a.build, "bench", "bench_libtorch")
    if not os.path.exists(theirs):
        sys.exit(f"{theirs} not found: install libtorch-dev and rebuild to get LibTorch's side")
    g, t, labels = {}, {}, {}
    for r in range(a.rounds):
        for exe, store in ((ours, g), (theirs, t)):
            rows, ctx = run(exe, a.threads, a.filter, a.min_time)
            th = ctx.get("gantry_threads") or ctx.get("torch_threads")
            print(f"round {r + 1}: {os.path.basename(exe)} threads={th}", file=sys.stderr)
            for k, (ms, label) in rows.items():
                store.setdefault(k, []).append(ms)
                if label:
                    labels[k] = label
    print(f"| benchmark | shape / pass | Gantry ms | LibTorch ms | Gantry / LibTorch |")
    print(f"|---|---|---:|---:|---:|")
    result = []
    for k in g:
        if k not in t:
            continue
        gm, tm = statistics.median(g[k]), statistics.median(t[k])
        result.append({"name": k, "label": labels.get(k, ""), "gantry_ms": gm, "libtorch_ms": tm,
                       "ratio": gm / tm})
        print(f"| {k} | {labels.get(k, '')} | {gm:.3f} | {tm:.3f} | {gm / tm:.2f} |")
    only = sorted(set(t) - set(g))
    if only:
        print("\nLibTorch-only rows (medians): " +
              ", ".join(f"{k} {statistics.median(t[k]):.3f} ms" for k in only))
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"threads": a.threads, "rounds": a.rounds, "rows": result}, f, indent=1)


if __name__ == "__main__":
    main()
