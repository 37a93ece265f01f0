//! `cedarcheck replay` (docs/decision-logs.md): the bundled decision-log slice (native, gzipped,
//! on stdin, CloudTrail) replayed against the bundled set, every kind of bad line, the grouping
//! of a change, per-policy counts, the JSON summary, findings at the deciding policy, exit
//! codes, and `--base` on a temporary git repository.

mod support;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::Value;
use tempfile::TempDir;

fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// `cedarcheck ARGS` in `dir`, with `stdin` on standard input: exit code, stdout, stderr.
fn run(dir: &Path, args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_cedarcheck"))
        .current_dir(dir)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut input = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = input.write_all(&stdin);
    });
    let output = child.wait_with_output().unwrap();
    writer.join().unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().expect("exited, not killed"),
        String::from_utf8(output.stdout).unwrap(),
        stderr,
    )
}

fn replay(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let mut all = vec!["replay"];
    all.extend_from_slice(args);
    run(dir, &all, b"")
}

const SLICE: &str = "tests/fixtures/decision-logs/week-slice.jsonl";

/// What the slice's bad lines are, by position (bench/decision_logs.py --malformed 5).
fn slice_problems(name: &str) -> String {
    format!(
        "not replayable: 1 decision (the line has no entities and no --entities snapshot was given), first at {name}:101
{name}:21:57: invalid-json: invalid JSON: EOF while parsing a string
{name}:41: does-not-map: `principal` is missing
{name}:61: schema: action `Ops::Action::\"SshLogin\"` is not in the schema
{name}:81: schema: the context does not have the type the schema gives `Ops::Action::\"RebootHost\"`'s context
"
    )
}

const SLICE_SUMMARY: &str = "Replayed 115 of 120 decisions (logged decisions → working tree): 0 changed — 0 newly allowed, 0 newly denied; 4 invalid, 1 not replayable.\n";

#[test]
fn the_bundled_slice_replays_unchanged_against_the_bundled_set() {
    let (code, stdout, stderr) = replay(
        &repo_root(),
        &[SLICE, "--max-invalid", "4", "--format", "compact"],
    );
    assert_eq!(
        stdout,
        format!("{}{SLICE_SUMMARY}", slice_problems(SLICE)),
        "{stderr}"
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn invalid_lines_fail_the_run_beyond_max_invalid() {
    for (max, expected) in [("0", 1), ("3", 1), ("4", 0), ("100", 0)] {
        let (code, _, stderr) = replay(&repo_root(), &[SLICE, "--max-invalid", max]);
        assert_eq!(code, expected, "--max-invalid {max}: {stderr}");
        let said = if expected == 1 {
            format!("cedarcheck: 4 lines are invalid, more than --max-invalid {max}\n")
        } else {
            String::new()
        };
        assert_eq!(stderr, said);
    }
}

#[test]
fn gzip_and_stdin_read_the_same_log() {
    let gz = format!("{SLICE}.gz");
    let (code, stdout, _) = replay(&repo_root(), &[&gz, "--format", "compact"]);
    assert_eq!(code, 1);
    assert_eq!(stdout, format!("{}{SLICE_SUMMARY}", slice_problems(&gz)));
    // Standard input, gzipped or not.
    for file in [SLICE.to_string(), gz] {
        let bytes = std::fs::read(repo_root().join(&file)).unwrap();
        let (code, stdout, _) = run(
            &repo_root(),
            &["replay", "-", "--format", "compact"],
            &bytes,
        );
        assert_eq!(code, 1);
        assert_eq!(stdout, format!("{}{SLICE_SUMMARY}", slice_problems("-")));
    }
}

#[test]
fn many_files_and_globs_are_one_log() {
    let (code, stdout, _) = replay(
        &repo_root(),
        &[
            "tests/fixtures/decision-logs/week-slice.*",
            "--format",
            "json",
            "--max-invalid",
            "8",
        ],
    );
    assert_eq!(code, 0);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["summary"],
        serde_json::json!({"decisions": 240, "replayed": 230, "changed": 0, "newly_allowed": 0,
            "newly_denied": 0, "other_reasons": 0, "invalid": 8, "not_replayable": 2})
    );
    let at: Vec<&str> = json["invalid"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["at"].as_str().unwrap())
        .collect();
    assert_eq!(
        at,
        [
            "tests/fixtures/decision-logs/week-slice.jsonl:21",
            "tests/fixtures/decision-logs/week-slice.jsonl:41",
            "tests/fixtures/decision-logs/week-slice.jsonl:61",
            "tests/fixtures/decision-logs/week-slice.jsonl:81",
            "tests/fixtures/decision-logs/week-slice.jsonl.gz:21",
            "tests/fixtures/decision-logs/week-slice.jsonl.gz:41",
            "tests/fixtures/decision-logs/week-slice.jsonl.gz:61",
            "tests/fixtures/decision-logs/week-slice.jsonl.gz:81",
        ]
    );
}

#[test]
fn the_output_does_not_depend_on_the_number_of_threads() {
    let (_, one, _) = replay(&repo_root(), &[SLICE, "--jobs", "1", "--format", "json"]);
    let (_, four, _) = replay(&repo_root(), &[SLICE, "--jobs", "4", "--format", "json"]);
    assert_eq!(one, four);
}

#[test]
fn cloudtrail_records_replay() {
    let file = "tests/fixtures/decision-logs/cloudtrail.json";
    let (code, stdout, stderr) = replay(&repo_root(), &[file, "--format", "compact"]);
    assert_eq!(
        stdout,
        format!(
            "not replayable: 1 decision (CloudTrail hides the request's `context`), first at {file}:1158
Replayed 8 of 9 decisions (logged decisions → working tree): 0 changed — 0 newly allowed, 0 newly denied; 0 invalid, 1 not replayable.
"
        )
    );
    assert_eq!((code, stderr.as_str()), (0, ""));
}

#[test]
fn a_broken_cloudtrail_file_is_reported_at_its_line_and_column() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("trail.json"),
        "{\"Records\": [\n  {\"eventSource\": }\n]}\n",
    )
    .unwrap();
    let ws = workspace(false);
    let log = dir.path().join("trail.json");
    let (code, stdout, _) = replay(ws.path(), &[log.to_str().unwrap(), "--format", "compact"]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        format!(
            "{}:2:19: invalid-json: invalid JSON: expected value\nReplayed 0 of 1 decision (logged decisions → working tree): 0 changed — 0 newly allowed, 0 newly denied; 1 invalid, 0 not replayable.\n",
            log.display()
        )
    );
}

#[test]
fn a_snapshot_stands_in_for_missing_entities() {
    let file = "tests/fixtures/decision-logs/no-entities.jsonl";
    let (code, stdout, _) = replay(
        &repo_root(),
        &[
            file,
            "--entities",
            "testcases/openclaw.entities.json",
            "--format",
            "compact",
        ],
    );
    assert_eq!(
        (code, stdout.as_str()),
        (0, "Replayed 40 of 40 decisions (logged decisions → working tree): 0 changed — 0 newly allowed, 0 newly denied; 0 invalid, 0 not replayable.\n")
    );
    // Without it nothing is replayable, and the run says so first; that is not invalid.
    let (code, stdout, _) = replay(&repo_root(), &[file, "--format", "compact"]);
    assert_eq!(
        (code, stdout.as_str()),
        (0, "not replayable: 40 decisions (the line has no entities and no --entities snapshot was given), first at tests/fixtures/decision-logs/no-entities.jsonl:1
Replayed 0 of 40 decisions (logged decisions → working tree): 0 changed — 0 newly allowed, 0 newly denied; 0 invalid, 40 not replayable.
")
    );
}

#[test]
fn every_kind_of_bad_line_says_where_and_why() {
    let ws = workspace(false);
    let ok = r#""principal":"Ops::Agent::\"openclaw\"","action":"Ops::Action::\"ListServices\"","resource":"Ops::Host::\"pay-01\"""#;
    let ctx = r#""context":{"now":"2026-11-23T08:00:00Z","mfa":false,"source_ip":"10.20.1.5"}"#;
    let lines = [
        "{\"principal\": ".to_string(),
        "[1, 2]".to_string(),
        format!("{{{ok},{ctx},\"decision\":\"maybe\"}}"),
        format!("{{{ok},{ctx},\"who\":1,\"decision\":\"deny\"}}"),
        r#"{"principal":"openclaw","action":"Ops::Action::\"ListServices\"","resource":"Ops::Host::\"pay-01\"","decision":"deny"}"#.to_string(),
        format!("{{{ok},\"context\":{{\"mfa\":false}},\"decision\":\"deny\"}}"),
        r#"{"principal":"Ops::Secret::\"s\"","action":"Ops::Action::\"ListServices\"","resource":"Ops::Host::\"pay-01\"","context":{"now":"2026-11-23T08:00:00Z","mfa":false,"source_ip":"10.20.1.5"},"decision":"deny"}"#.to_string(),
        format!("{{{ok},{ctx},\"entities\":[{{\"uid\":{{\"type\":\"Ops::Host\",\"id\":\"x\"}},\"attrs\":{{}},\"parents\":[]}}],\"decision\":\"deny\"}}"),
        format!("{{{ok},{ctx}}}"),
        String::new(),
        "\u{0}\u{ff}".to_string(),
    ];
    std::fs::write(ws.path().join("bad.jsonl"), lines.join("\n")).unwrap();
    std::fs::write(ws.path().join("bin.jsonl"), b"{\"a\":\"\xff\"}\n").unwrap();
    let (code, stdout, stderr) = replay(
        ws.path(),
        &[
            "bad.jsonl",
            "bin.jsonl",
            "--entities",
            "testcases/openclaw.entities.json",
            "--format",
            "compact",
        ],
    );
    assert_eq!(
        stdout,
        r#"not replayable: 1 decision (the line does not say what was decided (`decision`); compare two policy sets with --base), first at bad.jsonl:9
bad.jsonl:1:14: invalid-json: invalid JSON: EOF while parsing a value
bad.jsonl:2: does-not-map: a decision is a JSON object, not an array
bad.jsonl:3: does-not-map: `decision` must be "allow" or "deny", not "maybe"
bad.jsonl:4: does-not-map: unknown field `who` (a decision has `time`, `principal`, `action`, `resource`, `context`, `entities`, `decision`, `reason`, `errors`)
bad.jsonl:5: does-not-map: `principal`: `openclaw` is not an entity uid (unexpected end of input)
bad.jsonl:6: schema: the context does not validate: while parsing context, expected the record to have an attribute `now`, but it does not
bad.jsonl:7: schema: the request does not validate: principal type `Ops::Secret` is not valid for `Ops::Action::"ListServices"`
bad.jsonl:8: schema: the entities do not validate: entity does not conform to the schema: expected entity `Ops::Host::"x"` to have attribute `environment`, but it does not
bad.jsonl:11:1: invalid-json: invalid JSON: expected value
bin.jsonl:1:7: invalid-json: invalid JSON: not UTF-8
Replayed 0 of 11 decisions (logged decisions → working tree): 0 changed — 0 newly allowed, 0 newly denied; 10 invalid, 1 not replayable.
"#
    );
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "cedarcheck: 10 lines are invalid, more than --max-invalid 0\n"
    );
}

#[test]
fn missing_logs_and_snapshots_are_tool_errors() {
    let ws = workspace(false);
    assert_eq!(
        replay(ws.path(), &["nope.jsonl"]),
        (
            2,
            String::new(),
            "cedarcheck: error: nope.jsonl: no such file\n".into()
        )
    );
    assert_eq!(
        replay(ws.path(), &["logs/*.jsonl"]),
        (
            2,
            String::new(),
            "cedarcheck: error: logs/*.jsonl: no file matches\n".into()
        )
    );
    std::fs::write(ws.path().join("snap.json"), "[\n  {\"uid\": }\n]").unwrap();
    std::fs::write(ws.path().join("log.jsonl"), "").unwrap();
    assert_eq!(
        replay(ws.path(), &["log.jsonl", "--entities", "snap.json"]),
        (
            2,
            String::new(),
            "cedarcheck: error: --entities: snap.json:2:11: invalid entities JSON: expected value\n".into()
        )
    );
}

/// A copy of the bundled workspace in a git repository with one commit; `changed`: the working
/// tree then drops agent-observe-managed-hosts' team condition and narrows
/// agent-read-managed-logs to nginx's logs.
fn workspace(changed: bool) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    for entry in ["cedarcheck.toml", "policies", "testcases"] {
        copy(&repo_root().join(entry), &root.join(entry));
    }
    git(root, &["init", "-q"]);
    git(root, &["add", "-A"]);
    git(root, &["commit", "-q", "-m", "base"]);
    if changed {
        let path = root.join("policies/agent.cedar");
        let text = std::fs::read_to_string(&path).unwrap();
        let text = text
            .replacen(
                "  resource is Ops::Host\n)\nwhen { resource.owner == principal.team };\n\n@id(\"agent-restart",
                "  resource is Ops::Host\n);\n\n@id(\"agent-restart",
                1,
            )
            .replacen(
                "resource.path like \"/var/log/*\"",
                "resource.path like \"/var/log/nginx/*\"",
                1,
            );
        std::fs::write(path, text).unwrap();
    }
    let ctx = r#""context":{"now":"2026-11-23T08:00:00Z","mfa":false,"source_ip":"10.20.1.5"}"#;
    let line = |time: &str, action: &str, resource: &str, rest: &str| {
        format!(
            r#"{{"time":"{time}","principal":"Ops::Agent::\"openclaw\"","action":"Ops::Action::\"{action}\"","resource":"{resource}",{ctx},{rest}}}"#
        )
    };
    let log = [
        line(
            "2026-11-23T08:00:00Z",
            "ListServices",
            r#"Ops::Host::\"pay-01\""#,
            r#""decision":"deny","reason":[]"#,
        ),
        line(
            "2026-11-23T09:00:00Z",
            "ReadLogs",
            r#"Ops::LogDirectory::\"stage-01-app\""#,
            r#""decision":"allow","reason":["agent-read-managed-logs"]"#,
        ),
        line(
            "2026-11-23T10:00:00Z",
            "ReadLogs",
            r#"Ops::LogDirectory::\"web-01-nginx\""#,
            r#""decision":"allow","reason":["agent-read-managed-logs"]"#,
        ),
        line(
            "2026-11-23T11:00:00Z",
            "ReadLogs",
            r#"Ops::LogDirectory::\"pay-01-app\""#,
            r#""decision":"deny""#,
        ),
        line(
            "2026-11-24T08:00:00Z",
            "ListServices",
            r#"Ops::Host::\"pay-01\""#,
            r#""decision":"deny","reason":[]"#,
        ),
        line(
            "2026-11-24T09:00:00Z",
            "ListServices",
            r#"Ops::Host::\"web-01\""#,
            r#""decision":"allow","reason":["observe-hosts-v1"]"#,
        ),
    ];
    std::fs::write(root.join("small.jsonl"), log.join("\n") + "\n").unwrap();
    dir
}

fn copy(from: &Path, to: &Path) {
    if from.is_dir() {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            copy(&entry.path(), &to.join(entry.file_name()));
        }
    } else {
        std::fs::copy(from, to).unwrap();
    }
}

fn git(dir: &Path, args: &[&str]) {
    let output = Command::new("git")
        .current_dir(dir)
        .args(["-c", "user.name=t", "-c", "user.email=t@example.invalid"])
        .args(args)
        .output()
        .unwrap();
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

const SNAPSHOT: [&str; 2] = ["--entities", "testcases/openclaw.entities.json"];

const LIST_SERVICES_TEST: &str = r#"{"name":"replayed from small.jsonl:1","request":{"principal":"Ops::Agent::\"openclaw\"","action":"Ops::Action::\"ListServices\"","resource":"Ops::Host::\"pay-01\"","context":{"now":"2026-11-23T08:00:00Z","mfa":false,"source_ip":"10.20.1.5"}},"entities":"testcases/openclaw.entities.json","decision":"allow","reason":["agent-observe-managed-hosts"],"num_errors":0}"#;
const READ_LOGS_TEST: &str = r#"{"name":"replayed from small.jsonl:2","request":{"principal":"Ops::Agent::\"openclaw\"","action":"Ops::Action::\"ReadLogs\"","resource":"Ops::LogDirectory::\"stage-01-app\"","context":{"now":"2026-11-23T08:00:00Z","mfa":false,"source_ip":"10.20.1.5"}},"entities":"testcases/openclaw.entities.json","decision":"deny","reason":[],"num_errors":0}"#;
const OTHER_REASONS_TEST: &str = r#"{"name":"replayed from small.jsonl:6","request":{"principal":"Ops::Agent::\"openclaw\"","action":"Ops::Action::\"ListServices\"","resource":"Ops::Host::\"web-01\"","context":{"now":"2026-11-23T08:00:00Z","mfa":false,"source_ip":"10.20.1.5"}},"entities":"testcases/openclaw.entities.json","decision":"allow","reason":["agent-observe-managed-hosts"],"num_errors":0}"#;

#[test]
fn a_change_is_grouped_with_counts_times_examples_and_a_test_to_paste() {
    let ws = workspace(true);
    let (code, stdout, stderr) = replay(ws.path(), &["small.jsonl", SNAPSHOT[0], SNAPSHOT[1]]);
    assert_eq!(
        stdout,
        format!(
            r#"+ Ops::Agent Ops::Action::"ListServices" on Ops::Host: deny → allow (2 requests; before: no policy (default deny), after: agent-observe-managed-hosts)
    1 principal, 1 resource, 2026-11-23T08:00:00Z … 2026-11-24T08:00:00Z
    at small.jsonl:1, small.jsonl:5
    test: {LIST_SERVICES_TEST}
- Ops::Agent Ops::Action::"ReadLogs" on Ops::LogDirectory: allow → deny (1 request; before: agent-read-managed-logs, after: no policy (default deny))
    1 principal, 1 resource, at 2026-11-23T09:00:00Z
    at small.jsonl:2
    test: {READ_LOGS_TEST}
~ Ops::Agent Ops::Action::"ListServices" on Ops::Host: allow → allow (1 request; before: observe-hosts-v1, after: agent-observe-managed-hosts)
    1 principal, 1 resource, at 2026-11-24T09:00:00Z
    at small.jsonl:6
    test: {OTHER_REASONS_TEST}
Per policy:
  agent-observe-managed-hosts: would newly deny 0, newly allow 2
  agent-read-managed-logs: would newly deny 1, newly allow 0
Replayed 6 of 6 decisions (logged decisions → working tree): 3 changed — 2 newly allowed, 1 newly denied; 1 decided the same for other reasons; 0 invalid, 0 not replayable.
"#
        )
    );
    assert_eq!(code, 1);
    assert_eq!(
        stderr,
        "cedarcheck: 2 logged requests would be newly allowed: review, then pass --allow-new-access to accept
cedarcheck: 1 logged request would be newly denied: review, then pass --allow-removed-access to accept
"
    );
}

#[test]
fn exit_codes_follow_the_allow_flags() {
    let ws = workspace(true);
    let with = |flags: &[&str]| {
        let mut args = vec!["small.jsonl", SNAPSHOT[0], SNAPSHOT[1], "--format", "json"];
        args.extend_from_slice(flags);
        replay(ws.path(), &args).0
    };
    assert_eq!(with(&[]), 1);
    assert_eq!(with(&["--allow-new-access"]), 1);
    assert_eq!(with(&["--allow-removed-access"]), 1);
    assert_eq!(with(&["--allow-new-access", "--allow-removed-access"]), 0);
    // The unchanged set: nothing flips, other reasons do not fail the run.
    let unchanged = workspace(false);
    let (code, _, _) = replay(unchanged.path(), &["small.jsonl", SNAPSHOT[0], SNAPSHOT[1]]);
    assert_eq!(code, 0);
}

#[test]
fn json_carries_the_summary_the_groups_and_the_policies() {
    let ws = workspace(true);
    let (_, stdout, _) = replay(
        ws.path(),
        &["small.jsonl", SNAPSHOT[0], SNAPSHOT[1], "--format", "json"],
    );
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(
        json["summary"],
        serde_json::json!({"decisions": 6, "replayed": 6, "changed": 3, "newly_allowed": 2,
            "newly_denied": 1, "other_reasons": 1, "invalid": 0, "not_replayable": 0})
    );
    assert_eq!(
        json["groups"][0],
        serde_json::json!({
            "change": "newly-allowed",
            "principal_type": "Ops::Agent",
            "action": "Ops::Action::\"ListServices\"",
            "resource_type": "Ops::Host",
            "old": "deny", "new": "allow",
            "before": [], "after": ["agent-observe-managed-hosts"],
            "count": 2, "principals": 1, "resources": 1,
            "first_time": "2026-11-23T08:00:00Z", "last_time": "2026-11-24T08:00:00Z",
            "examples": ["small.jsonl:1", "small.jsonl:5"],
            "example": serde_json::from_str::<Value>(LIST_SERVICES_TEST).unwrap(),
        })
    );
    assert_eq!(json["groups"][1]["change"], "newly-denied");
    assert_eq!(json["groups"][2]["change"], "other-reasons");
    assert_eq!(
        json["policies"],
        serde_json::json!([
            {"policy": "agent-observe-managed-hosts", "status": null, "newly_denied": 0, "newly_allowed": 2},
            {"policy": "agent-read-managed-logs", "status": null, "newly_denied": 1, "newly_allowed": 0},
        ])
    );
}

#[test]
fn findings_are_at_the_deciding_policy() {
    let ws = workspace(true);
    let (code, stdout, stderr) = replay(
        ws.path(),
        &[
            "small.jsonl",
            SNAPSHOT[0],
            SNAPSHOT[1],
            "--format",
            "github",
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        r#"::warning file=policies/agent.cedar,line=4,endLine=4,col=1,endColumn=31,title=cedarcheck replay-removed-access::1 logged request of Ops::Agent to Ops::Action::"ReadLogs" on Ops::LogDirectory would now be denied (allow → deny; before: agent-read-managed-logs, after: no policy (default deny)), e.g. at small.jsonl:2
::error file=policies/agent.cedar,line=14,endLine=14,col=1,endColumn=35,title=cedarcheck replay-new-access::2 logged requests of Ops::Agent to Ops::Action::"ListServices" on Ops::Host would now be allowed (deny → allow; before: no policy (default deny), after: agent-observe-managed-hosts), e.g. at small.jsonl:1, small.jsonl:5
"#
    );
    assert!(stderr.starts_with("Replayed 6 of 6 decisions"), "{stderr}");
    // SARIF knows the rules, and is valid SARIF.
    let (_, stdout, _) = replay(
        ws.path(),
        &["small.jsonl", SNAPSHOT[0], SNAPSHOT[1], "--format", "sarif"],
    );
    let sarif: Value = serde_json::from_str(&stdout).unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let ids: Vec<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["replay-removed-access", "replay-new-access"]);
    let rules: Vec<&str> = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap())
        .collect();
    assert!(rules.contains(&"replay-new-access") && rules.contains(&"replay-removed-access"));
    assert_eq!(support::sarif_schema_errors(&sarif), Vec::<String>::new());
    assert_eq!(
        results[1]["properties"]["policyId"],
        "agent-observe-managed-hosts"
    );
    // JUnit: one failing test case per group, at the policy.
    let (_, stdout, _) = replay(
        ws.path(),
        &["small.jsonl", SNAPSHOT[0], SNAPSHOT[1], "--format", "junit"],
    );
    assert!(
        stdout.contains(r#"<testcase name="replay-new-access at policies/agent.cedar:14:1" classname="policies/agent.cedar" file="policies/agent.cedar" line="14">"#),
        "{stdout}"
    );
    // Config levels apply: the rule off, no finding; the exit code still follows the flags.
    let config = ws.path().join("cedarcheck.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("[rules]\n", "[rules]\nreplay-removed-access = \"off\"\n"),
    )
    .unwrap();
    let (code, stdout, _) = replay(
        ws.path(),
        &[
            "small.jsonl",
            SNAPSHOT[0],
            SNAPSHOT[1],
            "--format",
            "github",
        ],
    );
    assert_eq!(code, 1);
    assert!(
        stdout.starts_with("::error file=policies/agent.cedar,line=14,")
            && stdout.lines().count() == 1,
        "{stdout}"
    );
}

#[test]
fn base_compares_the_revision_with_the_working_tree() {
    let ws = workspace(true);
    let (code, stdout, _) = replay(
        ws.path(),
        &[
            "small.jsonl",
            SNAPSHOT[0],
            SNAPSHOT[1],
            "--base",
            "HEAD",
            "--format",
            "json",
        ],
    );
    assert_eq!(code, 1);
    let json: Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(json["against"], "HEAD → working tree");
    // Line 4 logs no reason and line 6 another policy's: with --base, both sides are decided.
    assert_eq!(
        json["summary"],
        serde_json::json!({"decisions": 6, "replayed": 6, "changed": 3, "newly_allowed": 2,
            "newly_denied": 1, "other_reasons": 0, "invalid": 0, "not_replayable": 0})
    );
    assert_eq!(
        json["policies"],
        serde_json::json!([
            {"policy": "agent-observe-managed-hosts", "status": "edited", "newly_denied": 0, "newly_allowed": 2},
            {"policy": "agent-read-managed-logs", "status": "edited", "newly_denied": 1, "newly_allowed": 0},
        ])
    );
    // Nothing changed since HEAD: nothing flips.
    let same = workspace(false);
    let (code, stdout, _) = replay(
        same.path(),
        &[
            "small.jsonl",
            SNAPSHOT[0],
            SNAPSHOT[1],
            "--base",
            "HEAD",
            "--format",
            "compact",
        ],
    );
    assert_eq!(
        (code, stdout.as_str()),
        (0, "Replayed 6 of 6 decisions (HEAD → working tree): 0 changed — 0 newly allowed, 0 newly denied; 0 invalid, 0 not replayable.\n")
    );
    assert_eq!(replay(same.path(), &["small.jsonl", "--base", "nope"]).0, 2);
}

/// README "Decision logs": the bundled slice, with `agent-read-managed-logs` narrowed.
#[test]
fn the_readme_example() {
    let ws = workspace(false);
    copy(
        &repo_root().join("tests/fixtures/decision-logs"),
        &ws.path().join("tests/fixtures/decision-logs"),
    );
    git(ws.path(), &["add", "-A"]);
    git(ws.path(), &["commit", "-q", "-m", "logs"]);
    let path = ws.path().join("policies/agent.cedar");
    let text = std::fs::read_to_string(&path).unwrap().replacen(
        "resource.path like \"/var/log/*\"",
        "resource.path like \"/var/log/nginx/*\"",
        1,
    );
    std::fs::write(path, text).unwrap();
    let command = "cedarcheck replay --base HEAD tests/fixtures/decision-logs/week-slice.jsonl --max-invalid 4 --format compact";
    let args: Vec<&str> = command.split(' ').skip(1).collect();
    let (code, stdout, _) = run(ws.path(), &args, b"");
    assert_eq!(code, 1);
    let readme = std::fs::read_to_string(repo_root().join("README.md")).unwrap();
    let shown = format!("```text\n$ {command}\n{stdout}```\n");
    assert!(readme.contains(&shown), "README should show\n{shown}");
}

#[test]
fn several_sets_need_set() {
    let ws = workspace(false);
    std::fs::write(
        ws.path().join("cedarcheck.toml"),
        "[[set]]\nname = \"openclaw\"\npolicies = [\"policies/*.cedar\"]\nschema = \"policies/openclaw.cedarschema\"\n\n[[set]]\nname = \"other\"\npolicies = [\"other/*.cedar\"]\nschema = \"policies/openclaw.cedarschema\"\n",
    )
    .unwrap();
    std::fs::create_dir(ws.path().join("other")).unwrap();
    std::fs::write(
        ws.path().join("other/all.cedar"),
        "@id(\"everything\")\npermit (principal, action, resource);\n",
    )
    .unwrap();
    let args = [
        "small.jsonl",
        SNAPSHOT[0],
        SNAPSHOT[1],
        "--format",
        "compact",
    ];
    assert_eq!(
        replay(ws.path(), &args),
        (
            2,
            String::new(),
            "cedarcheck: error: the config names 2 policy sets; choose one with --set NAME (openclaw, other)\n".into()
        )
    );
    let with = |set: &str| {
        let mut all = args.to_vec();
        all.extend(["--set", set]);
        replay(ws.path(), &all)
    };
    let (code, stdout, _) = with("openclaw");
    assert_eq!(
        (code, stdout.as_str()),
        (0, "~ Ops::Agent Ops::Action::\"ListServices\" on Ops::Host: allow → allow (1 request; before: observe-hosts-v1, after: agent-observe-managed-hosts)\nReplayed 6 of 6 decisions (logged decisions → working tree): 0 changed — 0 newly allowed, 0 newly denied; 1 decided the same for other reasons; 0 invalid, 0 not replayable.\n")
    );
    let (code, stdout, _) = with("other");
    assert_eq!(code, 1);
    assert_eq!(
        stdout,
        r#"+ Ops::Agent Ops::Action::"ListServices" on Ops::Host: deny → allow (2 requests; before: no policy (default deny), after: everything)
+ Ops::Agent Ops::Action::"ReadLogs" on Ops::LogDirectory: deny → allow (1 request; before: not logged, after: everything)
~ Ops::Agent Ops::Action::"ReadLogs" on Ops::LogDirectory: allow → allow (2 requests; before: agent-read-managed-logs, after: everything)
~ Ops::Agent Ops::Action::"ListServices" on Ops::Host: allow → allow (1 request; before: observe-hosts-v1, after: everything)
Replayed 6 of 6 decisions (logged decisions → working tree): 3 changed — 3 newly allowed, 0 newly denied; 3 decided the same for other reasons; 0 invalid, 0 not replayable.
"#
    );
    assert_eq!(
        with("nope").2,
        "cedarcheck: error: --set nope: the config names no such policy set\n"
    );
}
