#!/usr/bin/env python3
"""Sweep `bench/deep_check.py` over set sizes: cold and warm deep checks of 100, 200, 400 and
800 generated policies (same generator, same 20 request environments), and the growth
exponent of cold wall and CPU time between the second and the last size
(log(t_last / t_second) / log(n_last / n_second)). See bench/README.md.
"""

import argparse
import math
import re
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROW = re.compile(r"^\| (cold \(no cache\)|re-check, no edit|warm, permit[^|]*|warm, forbid[^|]*) "
                 r"\| ([\d.]+) \| [\d.]+ \| ([\d.]+) \| (\d+) \| (\d+) \| (\d+) \| (\d+) "
                 r"\| ([\d.]+) \|$", re.M)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,200,400,800", help="comma-separated policy counts")
    ap.add_argument("--cedarcheck", help="passed to deep_check.py")
    ap.add_argument("--jobs", type=int, help="passed to deep_check.py")
    ap.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table here")
    args = ap.parse_args()
    sizes = [int(n) for n in args.sizes.split(",")]
    rows = {}
    for n in sizes:
        with tempfile.NamedTemporaryFile(suffix=".md") as md:
            cmd = [sys.executable, str(HERE / "deep_check.py"), "--policies", str(n), "--runs",
                   "1", "--cedar-samples", "0", "--markdown", md.name]
            if args.cedarcheck:
                cmd += ["--cedarcheck", args.cedarcheck]
            if args.jobs:
                cmd += ["--jobs", str(args.jobs)]
            print(f"== {n} policies", flush=True)
            done = subprocess.run(cmd, capture_output=True, text=True)
            if done.returncode != 0:
                sys.stdout.write(done.stdout + done.stderr)
                sys.exit(f"error: deep_check.py --policies {n} failed")
            table = Path(md.name).read_text()
        found = {m.group(1).split(" `")[0]: m.groups()[1:] for m in ROW.finditer(table)}
        if "cold (no cache)" not in found:
            sys.exit(f"error: no cold row in deep_check.py's table for {n} policies:\n{table}")
        rows[n] = found
        wall, cpu, asked, _, _, unknown, rss = found["cold (no cache)"]
        print(f"   cold {float(wall):.1f} s wall, {float(cpu):.1f} s CPU, {asked} queries, "
              f"{unknown} unknown, {float(rss):.0f} MiB", flush=True)

    lines = ["| policies | cold wall (s) | cold CPU (s) | solver queries | unknown "
             "| peak RSS (MiB) | warm permit edit (s) | warm forbid edit (s) |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for n in sizes:
        cold = rows[n]["cold (no cache)"]
        permit = rows[n].get("warm, permit", ("nan",))[0]
        forbid = rows[n].get("warm, forbid", ("nan",))[0]
        lines.append(f"| {n} | {float(cold[0]):.1f} | {float(cold[1]):.1f} | {cold[2]} "
                     f"| {cold[5]} | {float(cold[6]):.0f} | {float(permit):.2f} "
                     f"| {float(forbid):.2f} |")
    if len(sizes) >= 2:
        a, b = sizes[1] if len(sizes) > 2 else sizes[0], sizes[-1]
        exponent = lambda col: (math.log(float(rows[b]["cold (no cache)"][col])  # noqa: E731
                                         / float(rows[a]["cold (no cache)"][col]))
                                / math.log(b / a))
        lines.append("")
        lines.append(f"Growth exponent of the cold run from {a} to {b} policies: "
                     f"{exponent(0):.2f} (wall), {exponent(1):.2f} (CPU).")
    text = "\n".join(lines) + "\n"
    print(text)
    if args.markdown:
        args.markdown.write_text(text)


if __name__ == "__main__":
    main()
