#!/usr/bin/env python3
"""Benchmark `cedarcheck check --deep` on the common production shape: many template links.

Generates, over deep_check.py's schema (20 request environments), 20 static policies from
deep_check.py's generator and N links (default 2,000) of three sharing templates:

  share-doc     permit (principal == ?principal, action in [view, comment],
                        resource == ?resource) when { context.authenticated };
  share-folder  permit (principal in ?principal, action == view, resource in ?resource)
                when { resource.public || context.mfa };
  block         forbid (principal == ?principal, action in docActions, resource in ?resource)
                unless { context.mfa };

with uniformly drawn users, teams, documents and folders. Then, R times: deletes the solver
cache and runs a cold deep check, and re-runs it warm after editing one link. Reports median
wall time, CPU time (solver processes included) and peak RSS, queries asked against the
naive count, unknown answers, and findings per rule. Target: cold under 60 s on 2 cores.
See bench/README.md.
"""

import argparse
import json
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

import deep_check as dc

TEMPLATES = {
    "share-doc": (
        f"permit (\n  principal == ?principal,\n"
        f"  action in [{dc.NS}::Action::\"view\", {dc.NS}::Action::\"comment\"],\n"
        f"  resource == ?resource\n)\nwhen {{ context.authenticated }};",
        "User", "Document"),
    "share-folder": (
        f"permit (\n  principal in ?principal,\n  action == {dc.NS}::Action::\"view\",\n"
        f"  resource in ?resource\n)\nwhen {{ resource.public || context.mfa }};",
        "Team", "Folder"),
    "block": (
        f"forbid (\n  principal == ?principal,\n"
        f"  action in {dc.NS}::Action::\"docActions\",\n  resource in ?resource\n)\n"
        f"unless {{ context.mfa }};",
        "User", "Folder"),
}
# Pools sized like a sharing store: many more users and documents than the static bench.
POOL = {"User": 400, "Team": 40, "Document": 1500, "Folder": 200}
WEIGHTS = {"share-doc": 0.6, "share-folder": 0.3, "block": 0.1}


def uid(etype, n):
    return f'{dc.NS}::{etype}::"{etype.lower()}-{n}"'


def generate_links(n, seed):
    rnd = dc.random.Random(seed)
    links, seen = [], set()
    names = list(TEMPLATES)
    while len(links) < n:
        template = rnd.choices(names, weights=[WEIGHTS[t] for t in names])[0]
        _, ptype, rtype = TEMPLATES[template]
        args = (uid(ptype, rnd.randrange(POOL[ptype])), uid(rtype, rnd.randrange(POOL[rtype])))
        if (template, args) in seen:
            continue
        seen.add((template, args))
        links.append({"template_id": template, "link_id": f"{template}-{len(links):04d}",
                      "args": {"?principal": args[0], "?resource": args[1]}})
    return links


def generate(out, n, seed):
    statics = dc.generate_policies(20, seed)
    dc.write_set(out, statics)
    templates = "\n\n".join(f'@id("{name}")\n{text}' for name, (text, _, _) in TEMPLATES.items())
    (out / "policies" / "templates.cedar").write_text(templates + "\n")
    links = generate_links(n, seed)
    (out / "policies" / "shares.links.json").write_text(json.dumps(links, indent=1) + "\n")
    (out / "bench.cedarschema").write_text(dc.schema_text())
    files = dc.FILES + ["templates.cedar"]
    (out / "cedarcheck.toml").write_text(
        "policies = [" + ", ".join(f'"policies/{f}"' for f in files) + "]\n"
        'schema = "bench.cedarschema"\n'
        'links = ["policies/shares.links.json"]\n')
    return links


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--links", type=int, default=2000)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--jobs", type=int, default=0)
    ap.add_argument("--cedarcheck", default=str(dc.REPO / "target/release/cedarcheck"))
    ap.add_argument("--keep", help="write the generated set here and keep it")
    ap.add_argument("--check-targets", action="store_true",
                    help="exit 1 when a target is missed (cold < 60 s, no unknown)")
    args = ap.parse_args()
    subreaper = dc.become_subreaper()
    out = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="cc-links-"))
    links = generate(out, args.links, args.seed)
    dc.static_precheck(args.cedarcheck, out)
    cmd = [args.cedarcheck, "check", "--deep", "-v", "--format", "compact",
           "--jobs", str(args.jobs), str(out)]
    links_file = out / "policies" / "shares.links.json"
    cold, warm = [], []
    for _ in range(args.runs):
        links_file.write_text(json.dumps(links, indent=1) + "\n")
        shutil.rmtree(out / dc.CACHE_DIR, ignore_errors=True)
        cold.append(dc.deep_run(cmd))
        edited = [dict(link) for link in links]
        edited[len(edited) // 2] = dict(edited[len(edited) // 2],
                                        args=dict(edited[len(edited) // 2]["args"]))
        edited[len(edited) // 2]["args"]["?principal"] = uid(
            TEMPLATES[edited[len(edited) // 2]["template_id"]][1], 9999)
        links_file.write_text(json.dumps(edited, indent=1) + "\n")
        warm.append(dc.deep_run(cmd))
    med = lambda runs, k: statistics.median(r[k] for r in runs)
    print(f"set: {len(links)} links of {len(TEMPLATES)} templates + 20 static policies, "
          f"{cold[0]['envs']} environments; cedarcheck --jobs {args.jobs}; "
          f"{args.runs} run(s), medians; CPU includes solver processes: {subreaper}")
    for name, runs in (("cold", cold), ("warm (one link edited)", warm)):
        print(f"{name:24} wall {med(runs, 'wall'):7.1f} s  cpu {med(runs, 'cpu'):7.1f} s  "
              f"rss {med(runs, 'rss') / 1024:6.0f} MiB  asked {med(runs, 'asked'):6.0f}  "
              f"cached {med(runs, 'cached'):6.0f}  by witness {med(runs, 'witness'):6.0f}  "
              f"naive {med(runs, 'naive'):9.0f}  unknown {med(runs, 'unknown'):.0f}")
    print("findings (cold): " + ", ".join(f"{rule} {n}" for rule, n in
                                         sorted(cold[0]["rules"].items())))
    if not args.keep:
        shutil.rmtree(out, ignore_errors=True)
    missed = []
    if med(cold, "wall") >= 60:
        missed.append(f"cold {med(cold, 'wall'):.1f} s >= 60 s")
    if any(r["unknown"] for r in cold):
        missed.append("unknown answers")
    if missed:
        print("targets missed: " + "; ".join(missed))
        if args.check_targets:
            sys.exit(1)
    else:
        print("targets met: cold < 60 s, no unknown answers")


if __name__ == "__main__":
    main()
