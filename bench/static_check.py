#!/usr/bin/env python3
"""Benchmark `cedarcheck check --no-deep` against `cedar validate` (cedar-policy-cli).

Generates a deterministic schema and N policies that pass Cedar strict
validation, runs both tools (cedarcheck on all cores and with `--jobs 1`)
interleaved, and reports median/min wall time and median peak RSS of each, plus
the ratio of medians (cedarcheck / cedar) and the scaling (`--jobs 1` / all cores).
See bench/README.md.
"""

import argparse
import datetime
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

NS = "Bench"
REPO = Path(__file__).resolve().parent.parent

# --- schema model ---------------------------------------------------------
# Types: "String" | "Long" | "Bool" | ("Set", T) | ("Entity", Name) | {attr: T}.
# A trailing "?" on an attribute name marks it optional.
STR_SET, USER = ("Set", "String"), ("Entity", "User")
ENTITIES = {  # name: (memberOf types, attributes)
    "Org": ([], {"name": "String", "tier": "Long", "domains": STR_SET}),
    "Team": (["Org"], {"name": "String", "headcount": "Long"}),
    "Group": (["Group", "Org"], {"name": "String", "privileged": "Bool"}),
    "User": (["Team", "Group"], {
        "email": "String", "level": "Long", "active": "Bool", "roles": STR_SET,
        "profile": {"dept": "String", "clearance": "Long", "location?": "String"},
        "manager?": USER}),
    "ServiceAccount": (["Group"], {"owner": USER, "scopes": STR_SET, "enabled": "Bool"}),
    "Project": (["Org"], {"name": "String", "budget": "Long", "tags": STR_SET,
                          "archived": "Bool"}),
    "Folder": (["Folder", "Project"], {"path": "String", "owner": USER, "public": "Bool"}),
    "Document": (["Folder", "Project"], {
        "path": "String", "owner": USER, "classification": "Long", "tags": STR_SET,
        "public": "Bool", "meta": {"kind": "String", "size": "Long", "reviewed?": "Bool"}}),
    "Repo": (["Project"], {"name": "String", "private": "Bool",
                           "maintainers": ("Set", "User"), "stars": "Long"}),
    "Ticket": (["Project"], {"title": "String", "priority": "Long", "assignee?": USER,
                             "labels": STR_SET, "open": "Bool"}),
}
READ_CTX = {"authenticated": "Bool", "mfa": "Bool", "source": "String",
            "requestTime": "Long", "tags": STR_SET,
            "device?": {"trusted": "Bool", "os": "String"}}
CONTEXTS = {"ReadContext": READ_CTX,
            "WriteContext": {**READ_CTX, "reason": "String", "changeSize": "Long"}}
PEOPLE, ANYONE = ["User"], ["User", "ServiceAccount"]
ACTIONS = {  # name: (principal types, resource type, context type)
    **{a: (PEOPLE, "Document", "ReadContext") for a in ("viewDocument", "commentDocument")},
    **{a: (PEOPLE, "Document", "WriteContext")
       for a in ("editDocument", "deleteDocument", "shareDocument")},
    "listFolder": (PEOPLE, "Folder", "ReadContext"),
    **{a: (PEOPLE, "Folder", "WriteContext") for a in ("createInFolder", "deleteFolder")},
    **{a: (ANYONE, "Repo", "ReadContext") for a in ("readRepo", "forkRepo")},
    **{a: (ANYONE, "Repo", "WriteContext") for a in ("pushRepo", "adminRepo")},
    "viewTicket": (ANYONE, "Ticket", "ReadContext"),
    **{a: (ANYONE, "Ticket", "WriteContext") for a in ("updateTicket", "closeTicket")},
    "viewProject": (PEOPLE, "Project", "ReadContext"),
    **{a: (PEOPLE, "Project", "WriteContext") for a in ("manageProject", "archiveProject")},
    "auditOrg": (PEOPLE, "Org", "ReadContext"),
    "administerOrg": (PEOPLE, "Org", "WriteContext"),
}
ID_PREFIX = {"Org": ("org", 8), "Team": ("team", 60), "Group": ("grp", 120),
             "User": ("user", 2000), "ServiceAccount": ("svc", 80),
             "Project": ("proj", 300), "Folder": ("fld", 1500),
             "Document": ("doc", 20000), "Repo": ("repo", 600), "Ticket": ("tkt", 9000)}
# Sample literals per attribute name; paths additionally get `like "prefix/*"`.
WORDS = {
    "dept": ["eng", "sales", "finance", "legal", "ops", "hr"],
    "location": ["us-east", "eu-west", "ap-south"],
    "kind": ["pdf", "sheet", "doc", "slides"],
    "os": ["linux", "macos", "windows", "ios", "android"],
    "source": ["web", "mobile", "api", "cli"],
    "reason": ["incident", "maintenance", "audit", "migration"],
    "path": ["/eng", "/finance/reports", "/hr/private", "/public", "/legal/contracts"],
    "email": ["*@example.com", "*@corp.example.com", "admin-*@example.com"],
    "name": ["platform", "billing", "search", "infra", "mobile"],
    "title": ["bug", "incident", "feature", "chore"],
    "roles": ["admin", "editor", "viewer", "auditor", "suspended"],
    "scopes": ["repo:read", "repo:write", "tickets:write", "admin"],
    "domains": ["example.com", "corp.example.com", "example.org"],
}
TAGS = ["confidential", "internal", "public", "draft", "legal-hold", "pii"]
LONG_MAX = {"budget": 1_000_000, "size": 50_000_000, "changeSize": 10_000,
            "requestTime": 1_800_000_000, "stars": 5000, "headcount": 500}


def render_type(t):
    if isinstance(t, dict):
        return "{ " + ", ".join(f"{k}: {render_type(v)}" for k, v in t.items()) + " }"
    if isinstance(t, tuple):
        return f"Set<{render_type(t[1])}>" if t[0] == "Set" else t[1]
    return t


def schema_text():
    out = [f"namespace {NS} {{"]
    out += [f"  type {n} = {render_type(t)};" for n, t in CONTEXTS.items()]
    for name, (parents, attrs) in ENTITIES.items():
        member = f" in [{', '.join(parents)}]" if parents else ""
        out.append(f"  entity {name}{member} {render_type(attrs)};")
    for name, (ps, res, ctx) in ACTIONS.items():
        out.append(f"  action {name} appliesTo {{ principal: [{', '.join(ps)}], "
                   f"resource: [{res}], context: {ctx} }};")
    return "\n".join(out + ["}"]) + "\n"


# --- policy generator -----------------------------------------------------
def ancestors(t):
    """Entity types that an entity of type `t` can be a proper member of."""
    seen, todo = set(), [t]
    while todo:
        for p in ENTITIES[todo.pop()][0]:
            if p not in seen:
                seen.add(p)
                todo.append(p)
    return seen or {t}  # `in` is reflexive: `resource in Org::"x"` is still valid


def leaves(expr, attrs, guard=None):
    """(expression, type, has-guard) for every attribute reachable in `attrs`."""
    for key, t in attrs.items():
        name = key.rstrip("?")
        g = f"{expr} has {name}" if key.endswith("?") else guard
        if isinstance(t, dict):
            yield from leaves(f"{expr}.{name}", t, g)
        else:
            yield f"{expr}.{name}", t, g


class Gen:
    def __init__(self, seed):
        self.rnd = random.Random(seed)

    def uid(self, etype):
        prefix, n = ID_PREFIX[etype]
        return f'{NS}::{etype}::"{prefix}-{self.rnd.randrange(n):04d}"'

    def words(self, expr):
        return WORDS.get(expr.rsplit(".", 1)[1], TAGS)

    def atom(self, expr, t, principal, negate=True):
        r = self.rnd
        if t == "Bool":
            return f"!{expr}" if negate and r.random() < 0.3 else expr
        if t == "Long":
            hi = LONG_MAX.get(expr.rsplit(".", 1)[1], 10)
            n = r.randint(1, hi)
            return r.choice([f"{expr} < {n}", f"{expr} >= {n}",
                             f"{expr} + {max(1, hi // 10)} < {n + hi // 10 + 1}"])
        if t == "String":
            w = r.choice(self.words(expr))
            if w.startswith("/"):
                return f'{expr} like "{w}/*"'
            return f'{expr} like "{w}"' if "*" in w else f'{expr} == "{w}"'
        if t == STR_SET:
            ws = r.sample(self.words(expr), 2)
            return (f'{expr}.contains("{ws[0]}")' if r.random() < 0.7
                    else f'{expr}.containsAny(["{ws[0]}", "{ws[1]}"])')
        etype = t[1]
        if t[0] == "Set":
            who = "principal" if principal == etype else self.uid(etype)
            return f"{expr}.contains({who})"
        if principal == etype and not expr.startswith("principal"):
            return f"{expr} == principal"
        return f"{expr} in {self.uid(r.choice(sorted(ancestors(etype))))}"

    def scope(self, var, types, unconstrained_ok):
        """Returns (scope text, the single type if pinned else None)."""
        r = self.rnd
        kinds = ["==", "in", "is", "is in"] + ["any"] * unconstrained_ok
        kind = r.choice(kinds)
        t = r.choice(types)
        if kind == "any":
            return var, (types[0] if len(types) == 1 else None)
        if kind == "==":
            return f"{var} == {self.uid(t)}", t
        if kind == "is":
            return f"{var} is {NS}::{t}", t
        if kind == "is in":
            return f"{var} is {NS}::{t} in {self.uid(r.choice(sorted(ancestors(t))))}", t
        common = set.intersection(*(ancestors(x) for x in types))
        return f"{var} in {self.uid(r.choice(sorted(common)))}", (
            types[0] if len(types) == 1 else None)

    def policy(self):
        r = self.rnd
        name = r.choice(list(ACTIONS))
        ptypes, rtype, _ = ACTIONS[name]
        same = [a for a, v in ACTIONS.items() if v[:2] == (ptypes, rtype)]
        acts = r.sample(same, r.randint(2, min(3, len(same)))) if r.random() < 0.4 else [name]
        ctx = "ReadContext" if any(ACTIONS[a][2] == "ReadContext" for a in acts) \
            else "WriteContext"  # ReadContext's attributes are a subset of WriteContext's
        action = (f'action == {NS}::Action::"{name}"' if len(acts) == 1 else
                  "action in [" + ", ".join(f'{NS}::Action::"{a}"' for a in acts) + "]")
        pscope, ptype = self.scope("principal", ptypes, unconstrained_ok=len(ptypes) == 1)
        rscope, _ = self.scope("resource", [rtype], unconstrained_ok=True)

        pool = {"resource": list(leaves("resource", ENTITIES[rtype][1])),
                "context": list(leaves("context", CONTEXTS[ctx]))}
        if ptype:
            pool["principal"] = list(leaves("principal", ENTITIES[ptype][1]))
        must = [v for v, s in (("principal", pscope), ("resource", rscope)) if s == v]
        picks = must + r.sample(list(pool), r.randint(1, len(pool)))
        used = set()

        def atom(var, negate=True):
            expr, t, guard = r.choice([x for x in pool[var] if x[0] not in used])
            used.add(expr)
            a = self.atom(expr, t, ptype, negate)
            return f"{guard} && {a}" if guard else a

        atoms = [atom(v) for v in picks[:3]]
        if len(atoms) >= 2 and r.random() < 0.3:
            atoms[-2:] = [" || ".join(f"({a})" if "&&" in a else a for a in atoms[-2:])]
        body = " && ".join(f"({a})" if "||" in a and len(atoms) > 1 else a for a in atoms)
        when = f"\nwhen {{ {body} }}"
        unless = (f"\nunless {{ {atom(r.choice(list(pool)), negate=False)} }}"
                  if r.random() < 0.25 else "")
        effect = "forbid" if r.random() < 0.2 else "permit"
        return f"{effect} (\n  {pscope},\n  {action},\n  {rscope}\n){when}{unless};"


def generate(out, n, seed):
    gen, seen = Gen(seed), set()
    with open(out / "policies.cedar", "w") as f:
        while len(seen) < n:
            body = gen.policy()
            if body not in seen:
                seen.add(body)
                f.write(f'@id("p-{len(seen):05d}")\n{body}\n\n')
    (out / "bench.cedarschema").write_text(schema_text())
    (out / "cedarcheck.toml").write_text(
        'policies = ["policies.cedar"]\nschema = "bench.cedarschema"\n')


# --- runner ---------------------------------------------------------------
def run_once(cmd):
    """Wall seconds and peak RSS (KiB) of one run; aborts on a non-zero exit."""
    with tempfile.TemporaryFile() as log:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode != 0:
            log.seek(0)
            sys.stdout.write(log.read().decode(errors="replace"))
            sys.exit(f"error: exit {proc.returncode}: {' '.join(cmd)}")
    return wall, usage.ru_maxrss


def report(cmds, results, floor):
    med = {k: statistics.median(w for w, _ in v) for k, v in results.items()}
    lines = ["| tool | median wall (ms) | min wall (ms) | median peak RSS (MiB) |",
             "|---|---:|---:|---:|"]
    for k, v in results.items():
        rss = statistics.median(m for _, m in v) / 1024
        lines.append(f"| {k} | {med[k] * 1000:.1f} | {min(w for w, _ in v) * 1000:.1f} "
                     f"| {rss:.1f} |")
    ratio = med["cedarcheck"] / med["cedar"] if {"cedarcheck", "cedar"} <= med.keys() else None
    if ratio is not None:
        lines += ["", f"Ratio of medians (cedarcheck / cedar): **{ratio:.2f}**"]
    if {"cedarcheck", "cedarcheck --jobs 1"} <= med.keys():
        scaling = med["cedarcheck --jobs 1"] / med["cedarcheck"]
        lines += ["", f"Scaling (cedarcheck --jobs 1 / cedarcheck on all {len(os.sched_getaffinity(0))}"
                  f" cores): **{scaling:.2f}×**"]
    runs = len(next(iter(results.values())))
    lines += ["", f"Runs: {runs} each (after 1 warm-up){', interleaved' * (len(cmds) > 1)}. "
              f"nproc: {len(os.sched_getaffinity(0))}. "
              f"Date: {datetime.datetime.now().astimezone().isoformat(timespec='seconds')}.",
              f"Peak RSS has a floor of {floor / 1024:.1f} MiB (`true` measured the same way:"
              " a child's ru_maxrss includes this script's own peak before exec).",
              "", "```"] + [" ".join(c) for c in cmds.values()] + ["```"]
    return "\n".join(lines) + "\n", ratio


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--policies", type=int, default=5000, metavar="N")
    ap.add_argument("--runs", type=int, default=10, metavar="R")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", type=Path, metavar="DIR",
                    help="where to generate the set (default: a temp dir)")
    ap.add_argument("--cedarcheck", default=str(REPO / "target/release/cedarcheck"))
    ap.add_argument("--cedar", default=shutil.which("cedar")
                    or str(Path.home() / ".cargo/bin/cedar"))
    ap.add_argument("--only", choices=["cedar", "cedarcheck"], help="run one tool only")
    ap.add_argument("--markdown", type=Path, metavar="FILE", help="also write the table here")
    ap.add_argument("--target", type=float,
                    help="exit 1 if the ratio of medians exceeds this")
    args = ap.parse_args()
    if args.target is not None and args.only:
        ap.error("--target needs both tools (drop --only)")

    with tempfile.TemporaryDirectory(prefix="cedarcheck-bench-") as tmp:
        out = args.out or Path(tmp)
        out.mkdir(parents=True, exist_ok=True)
        generate(out, args.policies, args.seed)
        cmds = {
            "cedarcheck": [args.cedarcheck, "check", "--no-deep", "--format", "compact",
                           str(out)],
            "cedarcheck --jobs 1": [args.cedarcheck, "check", "--no-deep", "--jobs", "1",
                                    "--format", "compact", str(out)],
            "cedar": [args.cedar, "validate", "--schema", str(out / "bench.cedarschema"),
                      "--policies", str(out / "policies.cedar"),
                      "--validation-mode", "strict", "--deny-warnings"],
        }
        if args.only:
            cmds = {k: v for k, v in cmds.items() if k.split()[0] == args.only}
        for cmd in cmds.values():
            if not os.access(cmd[0], os.X_OK):
                sys.exit(f"error: not an executable: {cmd[0]}")
            run_once(cmd)  # warm-up; also checks the exit code
        floor = run_once(["true"])[1]
        results = {k: [] for k in cmds}
        for i in range(args.runs):
            order = list(cmds) if i % 2 == 0 else list(reversed(cmds))
            for k in order:
                results[k].append(run_once(cmds[k]))

    table, ratio = report(cmds, results, floor)
    print(table, end="")
    if args.markdown:
        args.markdown.write_text(table)
    if args.target is not None and ratio > args.target:
        sys.exit(f"ratio {ratio:.2f} exceeds target {args.target}")


if __name__ == "__main__":
    main()
