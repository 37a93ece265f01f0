#!/usr/bin/env python3
"""Benchmark `cedarcheck test` against `cedar run-tests` (cedar-policy-cli).

Generates the policy set of static_check.py (N policies over its schema), an
entities file that conforms to that schema, and a `run-tests` file of T tests
that all share the entities file. The expectations are calibrated once with
`cedarcheck test --format json` so that every test passes; `cedar run-tests`
must then pass them all too. Reports wall time per run and per test for both
tools, and the ratio of per-test times. See bench/README.md.
"""

import argparse
import datetime
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from static_check import ACTIONS, CONTEXTS, ENTITIES, NS, REPO, STR_SET, TAGS, WORDS, generate, run_once

# Entities per type in the shared entities file.
POPULATION = {"Org": 4, "Team": 12, "Group": 16, "User": 120, "ServiceAccount": 12,
              "Project": 30, "Folder": 60, "Document": 200, "Repo": 40, "Ticket": 60}


def uid(etype, n):
    return {"type": f"{NS}::{etype}", "id": f"{etype.lower()}-{n:04d}"}


class Data:
    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def pick(self, etype):
        return uid(etype, self.rnd.randrange(POPULATION[etype]))

    def value(self, name, t):
        """A JSON value of type `t` for the attribute `name`."""
        r = self.rnd
        if isinstance(t, dict):
            out = {}
            for key, sub in t.items():
                if key.endswith("?") and r.random() < 0.4:
                    continue
                out[key.rstrip("?")] = self.value(key.rstrip("?"), sub)
            return out
        if t == "Bool":
            return r.random() < 0.5
        if t == "Long":
            return r.randint(0, 100)
        if t == "String":
            word = r.choice(WORDS.get(name, TAGS))
            return word.replace("*", "x") + ("/a" if word.startswith("/") else "")
        if t == STR_SET:
            return r.sample(WORDS.get(name, TAGS), 2)
        if t[0] == "Set":
            return [{"__entity": self.pick(t[1])} for _ in range(r.randint(0, 3))]
        return {"__entity": self.pick(t[1])}

    def entities(self):
        out = []
        for etype, (parents, attrs) in ENTITIES.items():
            for n in range(POPULATION[etype]):
                # A type that nests in itself points only to earlier entities: no cycles.
                ps = [uid(p, self.rnd.randrange(n)) if p == etype else self.pick(p)
                      for p in parents if (p != etype or n > 0) and self.rnd.random() < 0.8]
                out.append({"uid": uid(etype, n), "attrs": self.value(etype, attrs), "parents": ps})
        return out

    def test(self, index):
        r = self.rnd
        action = r.choice(sorted(ACTIONS))
        ptypes, rtype, ctx = ACTIONS[action]
        euid = lambda u: f'{u["type"]}::"{u["id"]}"'
        return {
            "name": f"test {index:05d}",
            "request": {"principal": euid(self.pick(r.choice(ptypes))),
                        "action": f'{NS}::Action::"{action}"',
                        "resource": euid(self.pick(rtype)),
                        "context": self.value("context", CONTEXTS[ctx])},
            "entities": "entities.json",
            "decision": "deny", "reason": [], "num_errors": 0,
        }


def calibrate(cedarcheck, out, tests):
    """Sets every test's expectations to what cedarcheck computes; run-tests checks them."""
    proc = subprocess.run([cedarcheck, "test", "--format", "json", str(out / "tests.json")],
                          capture_output=True, text=True)
    if proc.returncode not in (0, 1):
        sys.exit(f"error: calibration run exited {proc.returncode}:\n{proc.stderr}")
    report = json.loads(proc.stdout)
    results = report["files"][0]["tests"]
    if len(results) != len(tests):
        sys.exit(f"error: calibration ran {len(results)} of {len(tests)} tests:\n{proc.stderr}")
    for test, result in zip(tests, results):
        actual = result["actual"]
        if actual is None:
            sys.exit(f"error: {test['name']} did not evaluate: {result['failures']}")
        test.update(decision=actual["decision"], reason=actual["reason"],
                    num_errors=len(actual["errors"]))
    allowed = sum(t["decision"] == "allow" for t in tests)
    return allowed, sum(t["num_errors"] > 0 for t in tests)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policies", type=int, default=500, metavar="N")
    ap.add_argument("--tests", type=int, default=2000, metavar="T")
    ap.add_argument("--runs", type=int, default=10, metavar="R", help="cedarcheck runs")
    ap.add_argument("--cedar-runs", type=int, default=1, metavar="R",
                    help="cedar runs (about 3 minutes each at the defaults)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, metavar="DIR",
                    help="where to generate the files (default: a temp dir)")
    ap.add_argument("--cedarcheck", default=str(REPO / "target/release/cedarcheck"))
    ap.add_argument("--cedar", default=shutil.which("cedar")
                    or str(Path.home() / ".cargo/bin/cedar"))
    ap.add_argument("--only", choices=["cedar", "cedarcheck"], help="time one tool only")
    ap.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table here")
    ap.add_argument("--target", type=float, metavar="X",
                    help="exit 1 unless cedarcheck is at least X times faster per test")
    args = ap.parse_args()
    if args.target is not None and args.only:
        ap.error("--target needs both tools (drop --only)")
    if not os.access(args.cedarcheck, os.X_OK):
        sys.exit(f"error: not an executable: {args.cedarcheck} (cargo build --release)")

    with tempfile.TemporaryDirectory(prefix="cedarcheck-bench-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        generate(out, args.policies, args.seed)
        (out / "cedarcheck.toml").write_text(
            'policies = ["policies.cedar"]\nschema = "bench.cedarschema"\ntests = ["tests.json"]\n')
        data = Data(args.seed)
        (out / "entities.json").write_text(json.dumps(data.entities(), indent=1) + "\n")
        tests = [data.test(i) for i in range(args.tests)]
        (out / "tests.json").write_text(json.dumps(tests, indent=1) + "\n")
        allowed, erroring = calibrate(args.cedarcheck, out, tests)
        (out / "tests.json").write_text(json.dumps(tests, indent=1) + "\n")

        tests_file = str((out / "tests.json").resolve())  # cedar needs an absolute path
        cmds = {
            "cedarcheck": [args.cedarcheck, "test", "--format", "compact", tests_file],
            "cedar": [args.cedar, "run-tests", "--policies", str(out / "policies.cedar"),
                      "--schema", str(out / "bench.cedarschema"), "--tests", tests_file],
        }
        runs = {"cedarcheck": args.runs, "cedar": args.cedar_runs}
        if args.only:
            cmds = {args.only: cmds[args.only]}
        results = {}
        for name, cmd in cmds.items():
            if not os.access(cmd[0], os.X_OK):
                sys.exit(f"error: not an executable: {cmd[0]}")
            if name == "cedarcheck":
                run_once(cmd)  # warm-up; also checks that every test passes
            results[name] = [run_once(cmd) for _ in range(runs[name])]

    lines = ["| tool | runs | median wall | per test | median peak RSS (MiB) |",
             "|---|---:|---:|---:|---:|"]
    per_test = {}
    for name, rs in results.items():
        wall = statistics.median(w for w, _ in rs)
        per_test[name] = wall / args.tests
        rss = statistics.median(m for _, m in rs) / 1024
        lines.append(f"| {name} | {len(rs)} | {wall * 1000:.0f} ms | "
                     f"{per_test[name] * 1e6:.1f} µs | {rss:.1f} |")
    ratio = per_test["cedar"] / per_test["cedarcheck"] if len(per_test) == 2 else None
    if ratio is not None:
        lines += ["", f"cedarcheck is **{ratio:.0f}×** faster per test."]
    lines += ["", f"{args.policies} policies, {args.tests} tests ({allowed} allow, "
              f"{erroring} with runtime errors) sharing one entities file of "
              f"{sum(POPULATION.values())} entities. "
              f"nproc: {len(os.sched_getaffinity(0))}. "
              f"Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}.",
              "", "```"] + [" ".join(c) for c in cmds.values()] + ["```"]
    table = "\n".join(lines) + "\n"
    print(table, end="")
    if args.markdown:
        args.markdown.write_text(table)
    if args.target is not None and ratio < args.target:
        sys.exit(f"cedarcheck is only {ratio:.1f}x faster per test (target {args.target}x)")


if __name__ == "__main__":
    main()
