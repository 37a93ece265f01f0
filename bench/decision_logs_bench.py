#!/usr/bin/env python3
"""Throughput and memory of `cedarcheck replay` (docs/decision-logs.md, "Throughput").

Generates openclaw's decisions with bench/decision_logs.py (per-line entities, bundled set) and
measures, interleaved run by run:

  cedarcheck replay LOG --format compact             all cores
  cedarcheck replay LOG --format compact --jobs 1    one thread
  decision-logs-baseline SCHEMA LOG POLICIES…        bench/decision_logs_baseline: the minimal
                                                     single-threaded cedar-policy program

and prints lines/s, the ratio of cedarcheck (all cores) to the baseline, and peak RSS. With
`--memory-lines N` it also streams N lines from the generator through `cedarcheck replay -` and
compares peak RSS with that of a 100k-line run. With `--cedar PATH` it times
`cedar authorize` once per request on the first `--cedar-requests` lines, the alternative a
user has today, and extrapolates its rate.

    cargo build --release --bin cedarcheck
    cargo build --release --manifest-path bench/decision_logs_baseline/Cargo.toml
    python3 bench/decision_logs_bench.py --lines 200000 --runs 3

Only the Python standard library is used.
"""

import argparse
import glob
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GENERATOR = os.path.join(ROOT, "bench", "decision_logs.py")


def run_child(argv, stdin=None):
    """Wall time (s), peak RSS (MiB), exit code, stdout and stderr of one child."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, cwd=ROOT, stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    # Read the output while waiting: wait4 gives this child's own peak RSS.
    out_chunks = []
    err_chunks = []

    def drain(stream, into):
        into.append(stream.read())

    threads = [
        threading.Thread(target=drain, args=(proc.stdout, out_chunks)),
        threading.Thread(target=drain, args=(proc.stderr, err_chunks)),
    ]
    for t in threads:
        t.start()
    _, status, usage = os.wait4(proc.pid, 0)
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    code = os.waitstatus_to_exitcode(status)
    return wall, usage.ru_maxrss / 1024, code, b"".join(out_chunks).decode(), b"".join(err_chunks).decode()


def generate(path, lines, extra=()):
    with open(path, "w", encoding="utf-8") as f:
        subprocess.run([sys.executable, GENERATOR, "--lines", str(lines), *extra], stdout=f, check=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=200000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--cedarcheck", default=os.path.join(ROOT, "target", "release", "cedarcheck"))
    parser.add_argument(
        "--baseline",
        default=os.path.join(ROOT, "bench", "decision_logs_baseline", "target", "release", "decision-logs-baseline"),
    )
    parser.add_argument("--memory-lines", type=int, default=0, help="also stream N lines through stdin")
    parser.add_argument("--cedar", help="the cedar CLI, to time `cedar authorize` per request")
    parser.add_argument("--cedar-requests", type=int, default=200)
    parser.add_argument("--markdown", help="write the result table to this file")
    args = parser.parse_args()

    for binary in (args.cedarcheck, args.baseline):
        if not os.path.exists(binary):
            sys.exit(f"{binary}: not built (see the usage at the top of this file)")
    tmp = tempfile.mkdtemp(prefix="cedarcheck-replay-bench-")
    log = os.path.join(tmp, "week.jsonl")
    generate(log, args.lines)
    size = os.path.getsize(log)
    policies = sorted(glob.glob(os.path.join(ROOT, "policies", "*.cedar")))
    schema = os.path.join(ROOT, "policies", "openclaw.cedarschema")
    commands = {
        "cedarcheck replay (all cores)": [args.cedarcheck, "replay", log, "--format", "compact"],
        "cedarcheck replay --jobs 1": [args.cedarcheck, "replay", log, "--format", "compact", "--jobs", "1"],
        "baseline (1 thread)": [args.baseline, schema, log, *policies],
    }
    times = {name: [] for name in commands}
    rss = {name: [] for name in commands}
    names = list(commands)
    for run in range(args.runs + 1):
        order = names if run % 2 == 0 else list(reversed(names))
        for name in order:
            wall, peak, code, out, err = run_child(commands[name])
            if code != 0:
                sys.exit(f"{name} exited {code}:\n{out}\n{err}")
            if run > 0:  # the first round warms the page cache
                times[name].append(wall)
                rss[name].append(peak)
    rows = []
    for name in names:
        median = statistics.median(times[name])
        rows.append((name, median, min(times[name]), args.lines / median, statistics.median(rss[name])))
    base = statistics.median(times["baseline (1 thread)"])
    ours = statistics.median(times["cedarcheck replay (all cores)"])
    lines = [
        f"{args.lines} lines ({size / 1e6:.1f} MB, per-line entities), bundled set, {os.cpu_count()} cores, "
        f"{args.runs} runs each, {time.strftime('%Y-%m-%d')}",
        "",
        "| command | median s | min s | lines/s | peak RSS MiB |",
        "|---|---|---|---|---|",
    ]
    for name, median, fastest, rate, peak in rows:
        lines.append(f"| {name} | {median:.2f} | {fastest:.2f} | {rate:,.0f} | {peak:.0f} |")
    lines.append("")
    lines.append(f"cedarcheck (all cores) / baseline throughput: {base / ours:.2f}x")

    if args.cedar:
        requests = []
        with open(log, encoding="utf-8") as f:
            for _, line in zip(range(args.cedar_requests), f):
                requests.append(json.loads(line))
        started = time.perf_counter()
        for i, r in enumerate(requests):
            ents = os.path.join(tmp, "e.json")
            ctx = os.path.join(tmp, "c.json")
            with open(ents, "w") as f:
                json.dump(r["entities"], f)
            with open(ctx, "w") as f:
                json.dump(r["context"], f)
            argv = [args.cedar, "authorize", "--schema", schema, "--entities", ents,
                    "--principal", r["principal"], "--action", r["action"], "--resource", r["resource"],
                    "--context", ctx]
            for p in policies:
                argv += ["--policies", p]
            subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        per_second = len(requests) / (time.perf_counter() - started)
        lines.append(f"`cedar authorize` once per request: {per_second:,.0f} requests/s "
                     f"(cedarcheck replay is {args.lines / ours / per_second:,.0f}x that)")

    if args.memory_lines:
        peaks = {}
        for n in (100000, args.memory_lines):
            gen = subprocess.Popen([sys.executable, GENERATOR, "--lines", str(n)], stdout=subprocess.PIPE)
            wall, peak, code, out, err = run_child([args.cedarcheck, "replay", "-", "--format", "compact"], stdin=gen.stdout)
            gen.stdout.close()
            gen.wait()
            if code != 0:
                sys.exit(f"streaming {n} lines exited {code}:\n{out}\n{err}")
            peaks[n] = peak
            lines.append(f"streaming {n:,} lines through stdin: peak RSS {peak:.0f} MiB, {wall:.0f} s")
        lines.append(f"peak RSS ratio {args.memory_lines:,} / 100,000 lines: {peaks[args.memory_lines] / peaks[100000]:.2f}")

    shutil.rmtree(tmp)
    text = "\n".join(lines) + "\n"
    print(text, end="")
    if args.markdown:
        with open(args.markdown, "w", encoding="utf-8") as f:
            f.write(text)


if __name__ == "__main__":
    main()
