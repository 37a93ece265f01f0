//! `decision-logs-baseline SCHEMA LOG POLICY_FILE…`: decides every line of a native decision
//! log (docs/decision-logs.md) on one thread, the plainest way cedar-policy allows, and prints
//! how many were allowed, denied and disagreed with the logged decision. Policies get their
//! `@id` as id, as cedarcheck gives them.

use std::io::{BufRead, BufReader};

use cedar_policy::{
    Authorizer, Context, Decision, Entities, EntityUid, PolicyId, PolicySet, Request, Schema,
};
use serde_json::Value;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [schema, log, policy_files @ ..] = args.as_slice() else {
        eprintln!("usage: decision-logs-baseline SCHEMA LOG POLICY_FILE…");
        std::process::exit(2);
    };
    let schema: Schema = std::fs::read_to_string(schema).unwrap().parse().unwrap();
    let mut policies = PolicySet::new();
    for file in policy_files {
        let parsed: PolicySet = std::fs::read_to_string(file).unwrap().parse().unwrap();
        for policy in parsed.policies() {
            let id = policy
                .annotation("id")
                .unwrap_or(policy.id().as_ref())
                .to_string();
            policies.add(policy.new_id(PolicyId::new(id))).unwrap();
        }
    }
    let authorizer = Authorizer::new();
    let reader = BufReader::new(std::fs::File::open(log).unwrap());
    let (mut allowed, mut denied, mut differ, mut skipped) = (0u64, 0u64, 0u64, 0u64);
    for line in reader.lines() {
        let line = line.unwrap();
        let Ok(mut value) = serde_json::from_str::<Value>(&line) else {
            skipped += 1;
            continue;
        };
        let uid = |key: &str| -> Option<EntityUid> { value.get(key)?.as_str()?.parse().ok() };
        let (Some(principal), Some(action), Some(resource)) =
            (uid("principal"), uid("action"), uid("resource"))
        else {
            skipped += 1;
            continue;
        };
        let context = value["context"].take();
        let Ok(context) = Context::from_json_value(context, Some((&schema, &action))) else {
            skipped += 1;
            continue;
        };
        let Ok(request) = Request::new(principal, action, resource, context, Some(&schema)) else {
            skipped += 1;
            continue;
        };
        let Ok(entities) = Entities::from_json_value(value["entities"].take(), Some(&schema))
        else {
            skipped += 1;
            continue;
        };
        let decision = authorizer
            .is_authorized(&request, &policies, &entities)
            .decision();
        let logged = value["decision"].as_str() == Some("allow");
        match decision {
            Decision::Allow => allowed += 1,
            Decision::Deny => denied += 1,
        }
        if logged != (decision == Decision::Allow) {
            differ += 1;
        }
    }
    println!(
        "allowed {allowed}, denied {denied}, differing from the log {differ}, skipped {skipped}"
    );
}
