#!/usr/bin/env python3
"""Deterministic decision logs of openclaw and its operators against the bundled policies/.

Every logged request is one of the bundled tests (testcases/*.json): its principal, action,
resource and context, logged with the decision and determining policies the test expects — so a
replay against the bundled set changes nothing, and a replay against a change shows exactly what
the change does to that traffic. The requests are spread over a week (2026-11-23 to -30) with
openclaw's own requests weighted up (it is the busiest principal); each line carries the
entities the decision needs (the principal's and resource's, their parents and the entities
their attributes name), as an application logging `is_authorized` would.

    python3 bench/decision_logs.py --lines 300000 > week.jsonl
    python3 bench/decision_logs.py --lines 300000 | cedarcheck replay -
    python3 bench/decision_logs.py --lines 40 --cloudtrail > cloudtrail.json

`--malformed N` spreads N bad lines (one of each kind in turn: not JSON, no principal, an action
the schema does not have, a context attribute of the wrong type, no entities) over the log.
Same arguments, same bytes (docs/decision-logs.md).
"""

import argparse
import datetime
import glob
import json
import os
import random
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
START = datetime.datetime(2026, 11, 23, tzinfo=datetime.timezone.utc)
WEEK = 7 * 24 * 3600


def load_tests():
    tests = []
    for path in sorted(glob.glob(os.path.join(ROOT, "testcases", "*.json"))):
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if isinstance(data, dict) and "tests" in data:
            tests.extend(data["tests"])
    with open(os.path.join(ROOT, "testcases", "openclaw.entities.json"), encoding="utf-8") as f:
        entities = json.load(f)
    return tests, entities


def uid_key(uid):
    if isinstance(uid, str):
        kind, _, rest = uid.partition('::"')
        return (kind, rest[:-1])
    if "__entity" in uid:
        uid = uid["__entity"]
    return (uid["type"], uid["id"])


def referenced(value, found):
    """The uids an attribute value names."""
    if isinstance(value, dict):
        if "__entity" in value:
            found.append(uid_key(value))
        else:
            for inner in value.values():
                referenced(inner, found)
    elif isinstance(value, list):
        for inner in value:
            referenced(inner, found)


def closure(start, by_uid):
    """The entities a decision about `start` needs, in the order of the entities file."""
    seen, todo = set(), list(start)
    while todo:
        key = todo.pop()
        if key in seen or key not in by_uid:
            continue
        seen.add(key)
        entity = by_uid[key]
        todo.extend(uid_key(p) for p in entity.get("parents", []))
        refs = []
        referenced(entity.get("attrs", {}), refs)
        todo.extend(refs)
    return seen


def line_of(test, time, entities):
    request = test["request"]
    line = {
        "time": time,
        "principal": request["principal"],
        "action": request["action"],
        "resource": request["resource"],
        "context": request["context"],
    }
    if entities is not None:
        line["entities"] = entities
    line["decision"] = test["decision"]
    line["reason"] = sorted(test.get("reason", []))
    line["errors"] = []
    return line


MALFORMED = ["not-json", "no-principal", "removed-action", "wrong-type", "no-entities"]


def malformed(kind, line):
    if kind == "not-json":
        return json.dumps(line, separators=(",", ":"))[:57]
    line = dict(line)
    if kind == "no-principal":
        del line["principal"]
    elif kind == "removed-action":
        line["action"] = 'Ops::Action::"SshLogin"'
    elif kind == "wrong-type":
        line["context"] = dict(line["context"], mfa="yes")
    elif kind == "no-entities":
        line.pop("entities", None)
    return json.dumps(line, separators=(",", ":"))


def timestamps(n):
    step = WEEK / max(n, 1)
    for i in range(n):
        t = START + datetime.timedelta(seconds=int(i * step))
        yield t.strftime("%Y-%m-%dT%H:%M:%SZ")


def attribute(value, key=""):
    """A context or attribute value as Verified Permissions' AttributeValue."""
    if isinstance(value, bool):
        return {"boolean": value}
    if isinstance(value, int):
        return {"long": value}
    if isinstance(value, str):
        if key in ("now", "expires_at", "start", "end"):
            return {"datetime": value}
        if key == "source_ip":
            return {"ipaddr": value}
        return {"string": value}
    if isinstance(value, list):
        return {"set": [attribute(v) for v in value]}
    if "__entity" in value:
        kind, ident = uid_key(value)
        return {"entityIdentifier": {"entityType": kind, "entityId": ident}}
    return {"record": {k: attribute(v, k) for k, v in value.items()}}


def identifier(uid):
    kind, ident = uid_key(uid)
    return {"entityType": kind, "entityId": ident}


def cloudtrail_record(line, index):
    action_type, action_id = uid_key(line["action"])
    request = {
        "policyStoreId": "PSEXAMPLEabcdefg111111",
        "principal": identifier(line["principal"]),
        "action": {"actionType": action_type, "actionId": action_id},
        "resource": identifier(line["resource"]),
        "context": {"contextMap": {k: attribute(v, k) for k, v in line["context"].items()}},
        "entities": {
            "entityList": [
                {
                    "identifier": identifier(e["uid"]),
                    "attributes": {k: attribute(v, k) for k, v in e.get("attrs", {}).items()},
                    "parents": [identifier(p) for p in e.get("parents", [])],
                }
                for e in line["entities"]
            ]
        },
    }
    return {
        "eventVersion": "1.09",
        "eventTime": line["time"],
        "eventSource": "verifiedpermissions.amazonaws.com",
        "eventName": "IsAuthorized",
        "awsRegion": "eu-west-1",
        "requestParameters": request,
        "responseElements": {
            "decision": line["decision"].upper(),
            "determiningPolicies": [{"policyId": "SPEXAMPLE%06d" % i} for i in range(len(line["reason"]))],
            "errors": [],
        },
        "eventID": "00000000-0000-4000-8000-%012d" % index,
        "readOnly": True,
        "eventType": "AwsApiCall",
        "managementEvent": False,
        "eventCategory": "Data",
    }


def cloudtrail_extras(records):
    """What else a CloudTrail file holds: a batch of the first two requests, a decision whose
    context CloudTrail hid, and another service's event (not a decision)."""
    if len(records) < 2:
        return []
    first, second = records[0], records[1]
    batch = dict(first, eventName="BatchIsAuthorized", eventID=first["eventID"][:-3] + "901")
    batch["requestParameters"] = {
        "policyStoreId": first["requestParameters"]["policyStoreId"],
        "entities": {
            "entityList": first["requestParameters"]["entities"]["entityList"]
            + [e for e in second["requestParameters"]["entities"]["entityList"]
               if e not in first["requestParameters"]["entities"]["entityList"]]
        },
        "requests": [
            {k: r["requestParameters"][k] for k in ("principal", "action", "resource", "context")}
            for r in (first, second)
        ],
    }
    batch["responseElements"] = {"results": [
        dict(r["responseElements"], request=batch["requestParameters"]["requests"][i])
        for i, r in enumerate((first, second))
    ]}
    hidden = json.loads(json.dumps(second))
    hidden["eventID"] = second["eventID"][:-3] + "902"
    hidden["requestParameters"]["context"] = "HIDDEN_DUE_TO_SECURITY_REASONS"
    other = {
        "eventVersion": "1.09",
        "eventTime": first["eventTime"],
        "eventSource": "s3.amazonaws.com",
        "eventName": "GetObject",
        "eventID": first["eventID"][:-3] + "903",
    }
    return [batch, hidden, other]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=300000)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--malformed", type=int, default=0, help="bad lines to spread over the log")
    parser.add_argument("--no-entities", action="store_true", help="leave entities out (replay with --entities)")
    parser.add_argument("--cloudtrail", action="store_true", help="one CloudTrail log file instead")
    args = parser.parse_args()

    tests, all_entities = load_tests()
    by_uid = {uid_key(e["uid"]): e for e in all_entities}
    weights = [5 if "Ops::Agent::" in t["request"]["principal"] else 1 for t in tests]
    needed = {}
    rng = random.Random(args.seed)
    bad_at = set()
    if args.malformed:
        step = args.lines // (args.malformed + 1)
        bad_at = {step * (k + 1) for k in range(args.malformed)}
    out = sys.stdout
    records = []
    bad = 0
    for index, time in enumerate(timestamps(args.lines)):
        test = rng.choices(tests, weights)[0]
        entities = None
        if not args.no_entities:
            key = (test["request"]["principal"], test["request"]["resource"])
            if key not in needed:
                keys = closure([uid_key(key[0]), uid_key(key[1])], by_uid)
                needed[key] = [e for e in all_entities if uid_key(e["uid"]) in keys]
            entities = needed[key]
        line = line_of(test, time, entities)
        if args.cloudtrail:
            records.append(cloudtrail_record(line, index))
        elif index in bad_at:
            out.write(malformed(MALFORMED[bad % len(MALFORMED)], line) + "\n")
            bad += 1
        else:
            out.write(json.dumps(line, separators=(",", ":")) + "\n")
    if args.cloudtrail:
        records.extend(cloudtrail_extras(records))
        json.dump({"Records": records}, out, indent=1)
        out.write("\n")


if __name__ == "__main__":
    main()
