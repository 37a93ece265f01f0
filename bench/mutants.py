#!/usr/bin/env python3
"""Benchmark `cedarcheck mutants` on the bundled set and on a generated 500-policy set.

Runs `cedarcheck mutants --format json` (release build) on the repository's own policy set
and tests without the solver (`CVC5=/nonexistent`) and with it, and on the set of
test_harness.py (500 generated policies, 2,000 tests) without the solver. Reports mutants,
test decisions made (the json summary's `test_decisions`), the naive count (every test for
every valid mutant), their ratio and the median wall time of R runs. `--check-targets` exits
1 when a target of issue 15 is missed. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from static_check import REPO, generate
from test_harness import POPULATION, Data, calibrate

# Targets (issue 15), in seconds and as a ratio.
BUNDLED_WITHOUT_SOLVER = 2.0
BUNDLED_WITH_SOLVER = 60.0
GENERATED_WITHOUT_SOLVER = 60.0
FEWER_DECISIONS = 20.0


def run_mutants(cedarcheck, cwd, solver):
    """Wall seconds and the json summary of one run; aborts unless it exits 0 or 1."""
    env = dict(os.environ)
    if solver is None:
        env["CVC5"] = "/nonexistent/cvc5"
    else:
        env["CVC5"] = solver
    env.pop("CI", None)
    cmd = [cedarcheck, "mutants", "--format", "json"]
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if code not in (0, 1):
            sys.exit(f"error: exit {code} in {cwd}: {' '.join(cmd)}\n"
                     + err.read().decode(errors="replace"))
        summary = json.loads(out.read())["summary"]
    return wall, usage.ru_utime + usage.ru_stime, summary


def measure(name, cedarcheck, cwd, solver, runs):
    results = [run_mutants(cedarcheck, cwd, solver) for _ in range(runs)]
    summary = results[0][2]
    valid = summary["mutants"] - summary["invalid"]
    naive = summary["tests"] * valid
    row = {
        "name": name,
        "wall": statistics.median(w for w, _, _ in results),
        "cpu": statistics.median(c for _, c, _ in results),
        "walls": [w for w, _, _ in results],
        "summary": summary,
        "naive": naive,
        "ratio": naive / summary["test_decisions"] if summary["test_decisions"] else float("inf"),
    }
    print(f"{name}: {row['wall']:.2f} s, CPU {row['cpu']:.2f} s "
          f"(runs: {', '.join(f'{w:.2f}' for w in row['walls'])})",
          file=sys.stderr)
    return row


def generated_set(out, policies, tests, seed, cedarcheck):
    """test_harness.py's set: policies, schema, entities, tests calibrated to pass."""
    generate(out, policies, seed)
    (out / "cedarcheck.toml").write_text(
        'policies = ["policies.cedar"]\nschema = "bench.cedarschema"\ntests = ["tests.json"]\n')
    data = Data(seed)
    (out / "entities.json").write_text(json.dumps(data.entities(), indent=1) + "\n")
    cases = [data.test(i) for i in range(tests)]
    (out / "tests.json").write_text(json.dumps(cases, indent=1) + "\n")
    allowed, erroring = calibrate(cedarcheck, out, cases)
    (out / "tests.json").write_text(json.dumps(cases, indent=1) + "\n")
    return allowed, erroring


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policies", type=int, default=500, metavar="N")
    ap.add_argument("--tests", type=int, default=2000, metavar="T")
    ap.add_argument("--runs", type=int, default=3, metavar="R")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, metavar="DIR",
                    help="where to generate the 500-policy set (default: a temp dir)")
    ap.add_argument("--cedarcheck", default=str(REPO / "target/release/cedarcheck"))
    ap.add_argument("--cvc5", default=os.environ.get("CVC5") or shutil.which("cvc5"),
                    help="the solver for the run with it (default: $CVC5, else cvc5 on PATH)")
    ap.add_argument("--skip", action="append", default=[],
                    choices=["bundled", "bundled-solver", "generated"], help="leave a run out")
    ap.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table here")
    ap.add_argument("--check-targets", action="store_true",
                    help="exit 1 if a target of issue 15 is missed")
    args = ap.parse_args()
    if not os.access(args.cedarcheck, os.X_OK):
        sys.exit(f"error: not an executable: {args.cedarcheck} (cargo build --release)")

    rows = []
    load = [os.getloadavg()[0]]
    if "bundled" not in args.skip:
        rows.append(measure("bundled, without the solver", args.cedarcheck, REPO, None, args.runs))
    if "bundled-solver" not in args.skip:
        if not args.cvc5:
            sys.exit("error: no cvc5 for the run with the solver (--cvc5, or --skip bundled-solver)")
        rows.append(measure("bundled, with cvc5", args.cedarcheck, REPO, args.cvc5, args.runs))
    generated = None
    if "generated" not in args.skip:
        with tempfile.TemporaryDirectory(prefix="cedarcheck-bench-") as tmp:
            out = args.out or Path(tmp)
            out.mkdir(parents=True, exist_ok=True)
            generated = generated_set(out, args.policies, args.tests, args.seed, args.cedarcheck)
            rows.append(measure(f"{args.policies} policies, {args.tests} tests, without the solver",
                                args.cedarcheck, out, None, args.runs))
    load.append(os.getloadavg()[0])

    targets = {
        "bundled, without the solver": ("wall", BUNDLED_WITHOUT_SOLVER),
        "bundled, with cvc5": ("wall", BUNDLED_WITH_SOLVER),
    }
    lines = ["| run | mutants (invalid) | killed | survived | equivalent | tests | test decisions "
             "| naive | naive / made | median wall | median CPU |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    missed = []
    for row in rows:
        s = row["summary"]
        lines.append(f"| {row['name']} | {s['mutants']:,} ({s['invalid']:,}) | {s['killed']:,} "
                     f"| {s['survived']:,} | {s['equivalent']:,} | {s['tests']:,} "
                     f"| {s['test_decisions']:,} | {row['naive']:,} | {row['ratio']:.0f}× "
                     f"| {row['wall']:.2f} s | {row['cpu']:.2f} s |")
        if row["name"] in targets:
            _, limit = targets[row["name"]]
            if row["wall"] >= limit:
                missed.append(f"{row['name']}: {row['wall']:.2f} s, target under {limit:.0f} s")
        elif row["name"].endswith("without the solver"):
            if row["wall"] >= GENERATED_WITHOUT_SOLVER:
                missed.append(f"{row['name']}: {row['wall']:.2f} s, "
                              f"target under {GENERATED_WITHOUT_SOLVER:.0f} s")
            if row["ratio"] < FEWER_DECISIONS:
                missed.append(f"{row['name']}: {row['ratio']:.1f}× fewer test decisions than "
                              f"naive, target {FEWER_DECISIONS:.0f}×")
    lines.append("")
    lines.append(
        f"Targets: bundled set under {BUNDLED_WITHOUT_SOLVER:.0f} s without the solver and "
        f"under {BUNDLED_WITH_SOLVER:.0f} s with it; generated set under "
        f"{GENERATED_WITHOUT_SOLVER:.0f} s without the solver with at least "
        f"{FEWER_DECISIONS:.0f}× fewer test decisions than naive — "
        + ("all met." if not missed else "missed: " + "; ".join(missed) + "."))
    if generated is not None:
        allowed, erroring = generated
        lines.append("")
        lines.append(f"Generated set: {args.policies} policies, {args.tests} tests ({allowed} allow, "
                     f"{erroring} with runtime errors) sharing one entities file of "
                     f"{sum(POPULATION.values())} entities (test_harness.py, seed {args.seed}).")
    lines += ["", f"Median of {args.runs} runs. nproc: {len(os.sched_getaffinity(0))}. "
              f"1-minute load average before/after: {load[0]:.2f}/{load[1]:.2f} (CPU is user + "
              f"system time of cedarcheck and of the cvc5 processes it waited for). "
              f"Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}.",
              "", "```", "CVC5=/nonexistent/cvc5 cedarcheck mutants --format json   # without the solver",
              "cedarcheck mutants --format json                          # with cvc5", "```"]
    table = "\n".join(lines) + "\n"
    print(table, end="")
    if args.markdown:
        args.markdown.write_text(table)
    if args.check_targets and missed:
        sys.exit("targets missed: " + "; ".join(missed))


if __name__ == "__main__":
    main()
