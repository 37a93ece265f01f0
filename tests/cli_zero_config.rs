//! Zero config on real layouts (README, "Configuration"): a Cedar JSON schema is found by its
//! content whatever its name (`schema.json`, `schema.cedar.json`, `cedarschema.json`) and the run
//! says which one it took; tests, entities, `package.json` and other JSON beside it are never
//! taken for a schema; policies in Cedar's JSON format are checked like `.cedar` ones, their
//! findings at the policy's JSON object; a `*.cedar` file that is not Cedar says so.
//!
//! Each fixture under `tests/fixtures/zero_config_*` is copied to a fresh temporary directory
//! (this repository's own cedarcheck.toml must not be found upwards) and checked there without
//! a solver.

mod support;

use std::path::Path;

use support::cedarcheck;

/// A copy of `tests/fixtures/NAME` in a fresh temporary directory.
fn fixture(name: &str) -> tempfile::TempDir {
    fn copy(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    copy(
        &Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
        dir.path(),
    );
    dir
}

/// The `note:` lines of a run's stderr.
fn notes(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|l| l.starts_with("note: ") && !l.contains("deep analysis skipped"))
        .collect()
}

/// `schema.json` beside a run-tests file, an entities file, a native test file, `package.json`,
/// `tsconfig.json` and a JSON Schema document also named `schema.json`: only the Cedar schema
/// is taken (one more would make zero-config exit 2), the policies are validated against it
/// (the schema error below needs it), and every format says which schema was taken.
#[test]
fn a_cedar_json_schema_named_schema_json_is_found_by_its_content_and_named() {
    let dir = fixture("zero_config_schema_json");
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "policies/read.cedar:7:8: error[schema-error] attribute `otp` in context for \
         App::Action::\"Read\" not found\n\
         Found 1 error (2 policies in 2 files).\n"
    );
    assert_eq!(
        notes(&stderr),
        ["note: schema: policies/schema.json (found by content)"]
    );

    let (_, _, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact", "-v"]);
    assert!(
        stderr.contains(
            "cedarcheck: policy set: 1 policy file(s), schema policies/schema.json (the only \
             schema found, a Cedar JSON schema by its content)\n"
        ),
        "{stderr}"
    );

    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 1);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let notes = json["notes"].as_array().unwrap();
    assert!(
        notes.contains(&"schema: policies/schema.json (found by content)".into()),
        "{notes:?}"
    );

    let (_, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "sarif"]);
    let sarif: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let notifications = sarif["runs"][0]["invocations"][0]["toolExecutionNotifications"]
        .as_array()
        .unwrap();
    assert!(
        notifications
            .iter()
            .any(|n| n["message"]["text"] == "schema: policies/schema.json (found by content)"),
        "{notifications:?}"
    );
}

#[test]
fn schema_cedar_json_and_cedarschema_json_are_schemas_too() {
    for (fixture_name, schema, namespace) in [
        ("zero_config_schema_cedar_json", "schema.cedar.json", "Ops"),
        ("zero_config_cedarschema_json", "cedarschema.json", "Iam"),
    ] {
        let dir = fixture(fixture_name);
        let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert_eq!(
            stdout,
            format!(
                "read.cedar:7:8: error[schema-error] attribute `otp` in context for \
                 {namespace}::Action::\"Read\" not found\n\
                 Found 1 error (2 policies in 2 files).\n"
            )
        );
        assert_eq!(
            notes(&stderr),
            [format!("note: schema: {schema} (found by content)")]
        );
    }
}

/// `policies.cedar.json` (a policy set) and `single.json` (one policy, found by its content)
/// are loaded and checked like `.cedar` files: a finding about a JSON policy stands at its
/// object's `{` (Cedar's JSON policies carry no finer locations), and strict validation runs on
/// them. The schema has a `.cedarschema` name, so no note names it.
#[test]
fn policies_in_cedar_s_json_format_are_checked_at_their_objects() {
    let dir = fixture("zero_config_json_policies");
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "policies.cedar.json:11:24: error[permit-all] policy `anyone-anything` permits every \
         principal to perform every action on every resource\n\
         single.json:1:1: error[schema-error] attribute `otp` in context for \
         App::Action::\"Read\" not found\n\
         Found 2 errors (3 policies in 3 files).\n"
    );
    assert_eq!(notes(&stderr), Vec::<&str>::new());
    // The line and column are the object's: `"anyone-anything": {` has its `{` at 11:24.
    let text = std::fs::read_to_string(dir.path().join("policies.cedar.json")).unwrap();
    let line = text.lines().nth(10).unwrap();
    assert_eq!(line.find('{'), Some(23), "{line}");
    assert!(line.contains("\"anyone-anything\""), "{line}");
}

/// A broken JSON policy file is a parse error where the problem is, never a silent pass.
#[test]
fn a_broken_json_policy_file_is_a_located_parse_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.cedar.json"),
        "{\n  \"staticPolicies\": {\n    \"bad\": { \"effect\": \"perhaps\", \"principal\": \
         { \"op\": \"All\" }, \"action\": { \"op\": \"All\" }, \"resource\": { \"op\": \"All\" }, \
         \"conditions\": [] }\n  },\n  \"extra\": 1\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("q.cedar.json"),
        "{ \"staticPolicies\": { \"x\": 1 ",
    )
    .unwrap();
    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout,
        "p.cedar.json:1:1: error[parse-error] invalid JSON policy file: `templates`, \
         `templateLinks` missing (a Cedar JSON policy set has `staticPolicies`, `templates` and \
         `templateLinks`)\n\
         p.cedar.json:3:12: error[parse-error] invalid JSON policy `bad`: error deserializing a \
         policy/template from JSON: unknown variant `perhaps`, expected `permit` or `forbid`\n\
         p.cedar.json:5:12: error[parse-error] invalid JSON policy file: unknown key `extra`: \
         expected `staticPolicies`, `templates` and `templateLinks`, or a single policy with \
         `effect`, `principal`, `action` and `resource`\n\
         q.cedar.json:1:29: error[parse-error] invalid JSON policy file: EOF while parsing an \
         object\n\
         Found 4 errors (0 policies in 2 files).\n"
    );
}

/// `Dockerfile.cedar` gets one finding at 1:1 that says it is not Cedar and how to leave it out;
/// excluded, the run is clean.
#[test]
fn a_cedar_file_that_is_not_cedar_says_so_and_how_to_exclude_it() {
    let dir = fixture("zero_config_not_cedar");
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "Dockerfile.cedar:1:1: error[parse-error] this file does not look like Cedar policies \
         (it starts with `FROM`, not `permit`, `forbid` or an annotation)\n\
         Found 1 error (1 policy in 3 files).\n"
    );
    let (_, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let finding = &json["findings"][0];
    assert_eq!(finding["file"], "Dockerfile.cedar");
    assert_eq!(
        finding["help"],
        "if it is not a policy file, leave it out with `exclude = [\"Dockerfile.cedar\"]` in \
         cedarcheck.toml"
    );

    std::fs::write(
        dir.path().join("cedarcheck.toml"),
        "exclude = [\"Dockerfile.cedar\"]\n",
    )
    .unwrap();
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(stdout, "All checks passed: 1 policy in 2 files.\n");
}

/// A misspelled effect or a broken policy still gets Cedar's own message: only a file that
/// starts like no policy is called "not Cedar".
#[test]
fn a_broken_policy_is_not_called_not_cedar() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("typo.cedar"),
        "permt (principal, action, resource);\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("cut.cedar"),
        "// reviewed\npermit (principal, action, resource)\n",
    )
    .unwrap();
    // Half typed in an editor.
    std::fs::write(dir.path().join("new.cedar"), "perm").unwrap();
    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}");
    assert!(
        stdout.contains("typo.cedar:1:1: error[parse-error] invalid policy effect: permt\n"),
        "{stdout}"
    );
    assert!(!stdout.contains("does not look like Cedar"), "{stdout}");
}

/// `templateLinks` in a JSON policy file are not read, and a parse error at them says where the
/// links go instead; a single-policy file's policy is `policy0`.
#[test]
fn template_links_in_a_json_policy_file_say_where_links_go() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("t.cedar.json"),
        "{\n  \"staticPolicies\": {},\n  \"templates\": {},\n  \"templateLinks\": [\n    \
         { \"templateId\": \"t\", \"newId\": \"l\", \"values\": {} }\n  ]\n}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("one.json"),
        "{ \"effect\": \"forbid\", \"principal\": { \"op\": \"All\" }, \"action\": { \"op\": \
         \"All\" }, \"resource\": { \"op\": \"All\" }, \"conditions\": [] }\n",
    )
    .unwrap();
    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout,
        "one.json:1:1: info[missing-policy-id] policy has no @id; it is known as \
         `one.json#policy0`\n\
         t.cedar.json:4:20: error[parse-error] `templateLinks` in a JSON policy file are not \
         read: put the links in a links file in the Cedar CLI's format (`links = [\"…\"]` in \
         cedarcheck.toml)\n\
         Found 1 error, 1 info (1 policy in 2 files).\n"
    );
}

/// `fmt` formats Cedar text: the JSON policies discovery finds are left as they are.
#[test]
fn fmt_leaves_json_policies_alone() {
    let dir = fixture("zero_config_json_policies");
    std::fs::write(
        dir.path().join("a.cedar"),
        "permit(principal,action,resource) when { false };\n",
    )
    .unwrap();
    let json = std::fs::read_to_string(dir.path().join("single.json")).unwrap();
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["fmt"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert_eq!(
        std::fs::read_to_string(dir.path().join("a.cedar")).unwrap(),
        "permit (principal, action, resource)\nwhen { false };\n"
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("single.json")).unwrap(),
        json
    );
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["fmt", "--check"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
}

/// JSON policies are what `cedarcheck test` evaluates too: Cedar's Authorizer allows a read
/// by both JSON policies, named by their ids as reasons.
#[test]
fn json_policies_decide_the_tests() {
    let dir = fixture("zero_config_json_policies");
    std::fs::remove_file(dir.path().join("single.json")).unwrap();
    std::fs::write(
        dir.path().join("cedarcheck.toml"),
        "tests = [\"tests/*.json\"]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    std::fs::write(
        dir.path().join("tests/read.json"),
        r#"[{"name": "a user reads a doc",
  "request": {"principal": "App::User::\"alice\"", "action": "App::Action::\"Read\"",
              "resource": "App::Doc::\"d\"", "context": {"mfa": false}},
  "entities": [], "decision": "allow",
  "reason": ["anyone-anything", "users-read-docs"], "num_errors": 0}]
"#,
    )
    .unwrap();
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["test"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("1 passed, 0 failed (1 file, "),
        "{stdout}"
    );
}

/// A `schema.json` shaped as a Cedar schema that Cedar cannot read is still the set's schema:
/// its `schema-error` stands where the mistake is (a misspelt `shape`; a `principalTypes` that
/// is not a list) and the note says it was found by content, never a silent run without
/// validation.
#[test]
fn a_broken_schema_found_by_content_is_the_schema_and_its_error_is_located() {
    let policy = "@id(\"r\")\npermit (principal is App::User, action == App::Action::\"read\", \
                  resource is App::Doc)\nwhen { principal.nme == \"x\" };\n";
    for (schema, expected) in [
        (
            "{\n  \"App\": {\n    \"entityTypes\": {\n      \"User\": { \"shap\": {\"type\": \
             \"Record\", \"attributes\": {\"name\": {\"type\": \"String\"}}} },\n      \"Doc\": \
             {}\n    },\n    \"actions\": {\n      \"read\": { \"appliesTo\": { \
             \"principalTypes\": [\"User\"], \"resourceTypes\": [\"Doc\"] } }\n    }\n  }\n}\n",
            "schema.json:4:17: error[schema-error] unknown field `shap`, expected one of \
             `memberOfTypes`, `shape`, `tags`, `enum`, `external`, `annotations`\n",
        ),
        (
            "{\n  \"App\": {\n    \"entityTypes\": { \"User\": {}, \"Doc\": {} },\n    \
             \"actions\": {\n      \"read\": { \"appliesTo\": { \"principalTypes\": \"User\", \
             \"resourceTypes\": [\"Doc\"] } }\n    }\n  }\n}\n",
            // Column 50 of line 5 is the `"` that opens the value "User".
            "schema.json:5:50: error[schema-error] invalid type: string \"User\", expected a \
             sequence\n",
        ),
    ] {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("p.cedar"), policy).unwrap();
        std::fs::write(dir.path().join("schema.json"), schema).unwrap();
        std::fs::write(dir.path().join("package.json"), "{\"name\": \"x\"}\n").unwrap();
        let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
        assert_eq!(code, 1, "{stdout}{stderr}");
        assert_eq!(
            stdout,
            format!("{expected}Found 1 error (1 policy in 2 files).\n")
        );
        assert_eq!(
            notes(&stderr),
            ["note: schema: schema.json (found by content)"]
        );
        if expected.contains("5:50") {
            assert_eq!(
                schema.lines().nth(4).unwrap()[49..].get(..6),
                Some("\"User\"")
            );
        }
    }
}

/// Ids of Cedar JSON-format policies: a key is an explicit id, as `@id` is, so in a set of
/// several files it is never prefixed with its file, `missing-policy-id` leaves the policy
/// alone, and a run-tests file names it as a reason (Cedar's Authorizer decides the tests); an
/// `"annotations": {"id": …}` wins over the key. A JSON policy without a key still gets
/// `missing-policy-id`, whose help says how to add an id in JSON. The `in` on a set of strings
/// is quoted as Cedar prints the expression, not as the JSON it was read from, and Cedar's
/// Authorizer shows the error the finding claims (one error per request).
#[test]
fn json_policies_are_named_by_their_keys_and_quoted_as_cedar() {
    let dir = tempfile::tempdir().unwrap();
    let gateway = r#"{
  "staticPolicies": {
    "anyone": {
      "effect": "permit",
      "principal": {"op": "All"},
      "action": {"op": "==", "entity": {"type": "Action", "id": "get"}},
      "resource": {"op": "All"},
      "conditions": []
    },
    "named": {
      "effect": "forbid",
      "principal": {"op": "All"},
      "action": {"op": "==", "entity": {"type": "Action", "id": "get"}},
      "resource": {"op": "All"},
      "conditions": [{"kind": "when", "body": {"==": {"left": {"Var": "principal"}, "right": {"Value": {"__entity": {"type": "User", "id": "mallory"}}}}}}],
      "annotations": {"id": "no-mallory"}
    }
  },
  "templates": {},
  "templateLinks": []
}
"#;
    let single = r#"{
  "effect": "forbid",
  "principal": {"op": "All"},
  "action": {"op": "All"},
  "resource": {"op": "All"},
  "conditions": [{"kind": "when", "body": {"in": {"left": {".": {"left": {"Var": "context"}, "attr": "method"}}, "right": {"Set": [{"Value": "DELETE"}, {"Value": "PUT"}]}}}}]
}
"#;
    std::fs::write(dir.path().join("gateway.cedar.json"), gateway).unwrap();
    std::fs::write(dir.path().join("single.json"), single).unwrap();
    std::fs::write(
        dir.path().join("cedarcheck.toml"),
        "tests = [\"tests/*.json\"]\n",
    )
    .unwrap();
    std::fs::create_dir(dir.path().join("tests")).unwrap();
    std::fs::write(
        dir.path().join("tests/get.json"),
        r#"[{"name": "anyone gets", "request": {"principal": "User::\"alice\"", "action": "Action::\"get\"", "resource": "Doc::\"d\"", "context": {"method": "GET"}}, "entities": [], "decision": "allow", "reason": ["anyone"], "num_errors": 1},
 {"name": "not mallory", "request": {"principal": "User::\"mallory\"", "action": "Action::\"get\"", "resource": "Doc::\"d\"", "context": {"method": "GET"}}, "entities": [], "decision": "deny", "reason": ["no-mallory"], "num_errors": 1}]
"#,
    )
    .unwrap();

    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    assert_eq!(
        stdout,
        "gateway.cedar.json:3:15: info[unscoped-principal] permit `anyone` applies to every \
         principal\n\
         single.json:1:1: error[in-non-entity] `context.method in [\"DELETE\", \"PUT\"]`: `in` \
         works on entities only, and its right side is a set of strings; this makes the forbid \
         error at runtime, and Cedar skips it (fails open)\n\
         single.json:1:1: info[missing-policy-id] policy has no @id; it is known as \
         `single.json#policy0`\n\
         single.json:1:1: error[unguarded-attribute] `context.method` is read without `context \
         has method`: a request without it makes this forbid error, and Cedar skips it (fails \
         open)\n\
         Found 2 errors, 2 infos (3 policies in 2 files).\n"
    );
    let (_, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let help = |rule: &str| {
        json["findings"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["rule"] == rule)
            .map(|f| f["help"].clone())
            .unwrap()
    };
    assert_eq!(
        help("in-non-entity"),
        "test set membership with `.contains`: `[\"DELETE\", \"PUT\"].contains(context.method)`"
    );
    assert_eq!(
        help("missing-policy-id"),
        "add a member such as \"annotations\": {\"id\": \"policy-name\"} to the policy's \
         object"
    );

    let (code, stdout, stderr) = cedarcheck(dir.path(), &["test", "--format", "compact"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    assert!(
        stdout.starts_with("2 passed, 0 failed (1 file, "),
        "{stdout}"
    );

    // The same key in another file is a duplicate id, at the key, related to the first.
    std::fs::write(
        dir.path().join("more.cedar.json"),
        "{\"staticPolicies\": {\n  \"anyone\": {\"effect\": \"permit\", \"principal\": {\"op\": \
         \"All\"}, \"action\": {\"op\": \"All\"}, \"resource\": {\"op\": \"All\"}, \
         \"conditions\": [{\"kind\": \"when\", \"body\": {\"Value\": false}}]}\n}, \
         \"templates\": {}, \"templateLinks\": []}\n",
    )
    .unwrap();
    let (_, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let duplicate = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "duplicate-policy-id")
        .unwrap();
    assert_eq!(duplicate["level"], "error");
    assert_eq!(duplicate["message"], "policy id `anyone` is already used");
    assert_eq!(duplicate["file"], "more.cedar.json");
    assert_eq!(
        duplicate["start"],
        serde_json::json!({"line": 2, "column": 3})
    );
    assert_eq!(
        duplicate["help"],
        "give every policy its own key (or its own \"annotations\": {\"id\": \"…\"})"
    );
    assert_eq!(duplicate["related"][0]["file"], "gateway.cedar.json");
    assert_eq!(
        duplicate["related"][0]["start"],
        serde_json::json!({"line": 3, "column": 5})
    );
}

/// A `.cedar` file saved with a UTF-8 byte-order mark: one `parse-error` at 1:1 that says so
/// and how to remove it, never "not Cedar".
#[test]
fn a_byte_order_mark_is_named_with_how_to_remove_it() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("bom.cedar"),
        "\u{feff}@id(\"a\")\npermit (principal, action, resource) when { false };\n",
    )
    .unwrap();
    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "compact"]);
    assert_eq!(code, 1, "{stdout}");
    assert_eq!(
        stdout,
        "bom.cedar:1:1: error[parse-error] this file starts with a UTF-8 byte-order mark \
         (U+FEFF), which Cedar does not accept\n\
         Found 1 error (0 policies in 1 file).\n"
    );
    let (_, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "json"]);
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["findings"][0]["help"],
        "save the file as UTF-8 without a byte-order mark (in VS Code: \"Save with Encoding\" → \
         UTF-8), or remove it with `sed -i '1s/^\\xEF\\xBB\\xBF//' bom.cedar`"
    );
}

/// entity-literal-attribute on a JSON forbid: quoted as Cedar prints it, at the policy's
/// object, and with the counterexample its Cedar twin gets (the rule replays the policy as
/// loaded through cedar-policy's Authorizer: the forbid errors, the request is allowed).
#[test]
fn a_json_forbid_reading_an_entity_literal_gets_its_counterexample() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("p.cedar.json"),
        r#"{"staticPolicies": {"no-marketing": {"effect": "forbid", "principal": {"op": "All"}, "action": {"op": "All"}, "resource": {"op": "All"},
 "conditions": [{"kind": "when", "body": {"==": {"left": {".": {"left": {"Value": {"__entity": {"type": "Group", "id": "Marketing"}}}, "attr": "manager"}}, "right": {"Var": "principal"}}}}]}},
 "templates": {}, "templateLinks": []}
"#,
    )
    .unwrap();
    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "json"]);
    assert_eq!(code, 1, "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let finding = json["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "entity-literal-attribute")
        .unwrap();
    assert_eq!(finding["level"], "error");
    assert_eq!(
        finding["message"],
        "`Group::\"Marketing\".manager` reads an attribute of an entity literal: a request whose \
         entities do not include `Group::\"Marketing\"` makes this forbid error, and Cedar skips \
         it (fails open); e.g. the request (Principal::\"principal\", Action::\"action\", \
         Resource::\"resource\") with no entities: with a permit that allows every request, \
         Cedar allows it"
    );
    assert_eq!(finding["file"], "p.cedar.json");
    assert_eq!(
        finding["start"],
        serde_json::json!({"line": 1, "column": 37})
    );
    assert_eq!(
        finding["counterexample"],
        serde_json::json!({
            "name": "entity-literal-attribute: no-marketing without Group::\"Marketing\"",
            "request": {"principal": "Principal::\"principal\"", "action": "Action::\"action\"",
                        "resource": "Resource::\"resource\"", "context": {}},
            "entities": [], "decision": "allow", "reason": ["permit-every-request"],
            "num_errors": 1
        })
    );
}
