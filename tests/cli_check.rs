//! End-to-end tests of the `cedarcheck` binary: broken input of every kind, the output formats,
//! exit codes and `--fail-level`, policy ids, file arguments and the `rules` command.
//!
//! Each fixture workspace is written into a fresh temporary directory and the binary runs with
//! that directory as its current directory, so the paths it prints are relative. Every run must
//! exit with 0, 1 or 2 within [`TIMEOUT`] and never panic (see [`cedarcheck`]).
//!
//! These runs see no solver (`$CVC5` names a missing file), so that what they assert does not
//! depend on whether cvc5 is installed; tests/cli_deep.rs covers the solver-backed rules.
//!
//! Tests marked `#[ignore = "bug: …"]` assert the intended behaviour that the binary does not
//! have yet; run them with `cargo test --test cli_check -- --ignored`.

use std::path::Path;
use std::time::Duration;

use assert_cmd::assert::Assert;
use assert_cmd::Command;
use predicates::prelude::*;
use serde_json::{json, Value};
use tempfile::TempDir;

/// Any input, however hostile, must be dealt with well within this.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The schema of most fixtures.
const SCHEMA: &str = r#"namespace Ops {
  entity User { name: String };
  entity Doc { owner: User, title: String };
  action Read appliesTo { principal: User, resource: Doc };
}
"#;

/// A policy that no rule objects to.
const CLEAN_POLICY: &str = r#"@id("owner-reads")
permit(principal is Ops::User, action == Ops::Action::"Read", resource is Ops::Doc)
when { resource.owner == principal };
"#;

/// A policy whose only finding is `missing-policy-id`, at level info by default.
const UNNAMED_POLICY: &str = r#"permit(principal is Ops::User, action == Ops::Action::"Read", resource is Ops::Doc)
when { resource.owner == principal };
"#;

/// A permit-all error, a missing-policy-id info on the same policy, and a wildcard-equality
/// warning on line 3, after an `é` (two bytes, one character).
const FINDINGS_POLICY: &str = r#"permit(principal, action, resource);
@id("r")
permit(principal == Ops::User::"é", action == Ops::Action::"Read", resource) when { resource.title == "a*" };
"#;

/// `cedarcheck check --format compact` on the [`FINDINGS_POLICY`] workspace, summary included.
const FINDINGS_COMPACT: &str = r#"a.cedar:1:1: info[missing-policy-id] policy has no @id; it is known as `policy0`
a.cedar:1:1: error[permit-all] policy `policy0` permits every principal to perform every action on every resource
a.cedar:3:85: warn[wildcard-equality] `==` compares with the literal string "a*"; `*` is a wildcard only with `like`
Found 1 error, 1 warning, 1 info (2 policies in 2 files).
"#;

/// A template `t` over the principal, for links files.
const TEMPLATE: &str = r#"@id("t")
permit(principal == ?principal, action == Ops::Action::"Read", resource is Ops::Doc);
"#;

const LINKS_CONFIG: &str = "links = [\"*.links.json\"]\n";

/// A links file with one link `l` of `template`, with `principal` for `?principal`.
fn links_file(template: &str, principal: &str) -> String {
    let link =
        json!({ "template_id": template, "link_id": "l", "args": { "?principal": principal } });
    format!("[\n  {link}\n]\n")
}

// ------------------------------------------------------------------------------------------
// Helpers

/// Writes `contents` to `path` below `dir`, creating directories as needed.
fn write(dir: &Path, path: &str, contents: impl AsRef<[u8]>) {
    let path = dir.join(path);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

/// A fixture workspace holding `files` (path, text), in a fresh temporary directory.
fn workspace(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        write(dir.path(), path, text);
    }
    dir
}

/// A workspace with a JSON schema and the [`CLEAN_POLICY`].
fn json_schema_workspace(schema: &str) -> TempDir {
    workspace(&[("s.cedarschema.json", schema), ("a.cedar", CLEAN_POLICY)])
}

/// A workspace with the [`SCHEMA`], a config and one policy file `a.cedar`.
fn configured(config: &str, policy: &str) -> TempDir {
    workspace(&[
        ("cedarcheck.toml", config),
        ("s.cedarschema", SCHEMA),
        ("a.cedar", policy),
    ])
}

/// Runs `cedarcheck ARGS` in `dir`. Fails the test unless it exits with 0, 1 or 2: when it is
/// killed (a timeout, or a crash such as a stack overflow) or reports a panic or an overflow.
fn cedarcheck(dir: &Path, args: &[&str]) -> Assert {
    let assert = Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .env_remove("NO_COLOR")
        .env("CVC5", "/nonexistent/cvc5")
        .timeout(TIMEOUT)
        .assert();
    let status = assert.get_output().status;
    assert!(
        matches!(status.code(), Some(0..=2)),
        "cedarcheck exited with {status}: it crashed or ran over {TIMEOUT:?}\nstderr:\n{}",
        stderr(&assert)
    );
    assert.stderr(
        predicate::str::contains("panicked")
            .or(predicate::str::contains("overflow"))
            .not(),
    )
}

/// `cedarcheck check --format compact ARGS` in `dir`.
fn check(dir: &Path, args: &[&str]) -> Assert {
    cedarcheck(dir, &[&["check", "--format", "compact"], args].concat())
}

/// `cedarcheck check --format pretty --color COLOR` in `dir`.
fn pretty(dir: &Path, color: &str) -> Assert {
    cedarcheck(dir, &["check", "--format", "pretty", "--color", color])
}

/// `cedarcheck check --format json ARGS` in `dir`, with its parsed output.
fn check_json(dir: &Path, args: &[&str]) -> (Assert, Value) {
    let assert = cedarcheck(dir, &[&["check", "--format", "json"], args].concat());
    let json = serde_json::from_slice(&assert.get_output().stdout).unwrap_or_else(|e| {
        panic!(
            "--format json printed invalid JSON ({e}):\n{}",
            stdout(&assert)
        )
    });
    (assert, json)
}

fn stdout(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stdout).into_owned()
}

fn stderr(assert: &Assert) -> String {
    String::from_utf8_lossy(&assert.get_output().stderr).into_owned()
}

/// Asserts that a compact output line starts with `expected`: location, level, rule and the
/// start of the message.
#[track_caller]
fn assert_finding(assert: &Assert, expected: &str) {
    let out = stdout(assert);
    assert!(
        out.lines().any(|line| line.starts_with(expected)),
        "no finding `{expected}…` in:\n{out}"
    );
}

/// Asserts that cedarcheck stopped with exit code 2 and an error message containing `expected`.
#[track_caller]
fn assert_tool_error(assert: Assert, expected: &str) {
    let message = stderr(&assert);
    assert.code(2);
    assert!(
        message.contains("cedarcheck: error: ") && message.contains(expected),
        "expected a tool error containing `{expected}`, got:\n{message}"
    );
}

/// The JSON findings of `rule`.
fn findings<'a>(json: &'a Value, rule: &str) -> Vec<&'a Value> {
    json["findings"]
        .as_array()
        .expect("`findings` is an array")
        .iter()
        .filter(|f| f["rule"] == rule)
        .collect()
}

/// The single JSON finding of `rule`.
#[track_caller]
fn only_finding<'a>(json: &'a Value, rule: &str) -> &'a Value {
    match findings(json, rule)[..] {
        [finding] => finding,
        ref other => panic!(
            "expected one `{rule}` finding, got {}: {json:#}",
            other.len()
        ),
    }
}

/// The 1-based line and column (in characters) just after `text`.
fn end_position(text: &str) -> (usize, usize) {
    let line_start = text.rfind('\n').map_or(0, |i| i + 1);
    (
        text.matches('\n').count() + 1,
        text[line_start..].chars().count() + 1,
    )
}

/// `len` pseudo-random bytes from `seed` (xorshift64), the same on every run.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut state = seed;
    (0..len)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 32) as u8
        })
        .collect()
}

// ------------------------------------------------------------------------------------------
// 1. Broken input: a located parse-error/schema-error or a located tool error, never a crash

/// A policy file with a byte that is not UTF-8, after an `é`: character 46 of line 2, byte 55.
fn non_utf8_workspace() -> TempDir {
    let ws = workspace(&[]);
    write(
        ws.path(),
        "a.cedar",
        b"@id(\"x\")\npermit(principal, action, resource) when { \"\xc3\xa9\xff\" };\n",
    );
    ws
}

#[test]
fn non_utf8_bytes_in_a_policy_are_a_parse_error_at_the_first_bad_byte() {
    let ws = non_utf8_workspace();
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        "a.cedar:2:46: error[parse-error] file is not valid UTF-8 text (invalid byte at offset 55)",
    );
}

#[test]
fn random_binary_bytes_are_a_parse_error_at_the_first_bad_byte() {
    let bytes = noise(0x5eed_cafe_f00d, 4096);
    let ws = workspace(&[]);
    write(ws.path(), "a.cedar", &bytes);
    let valid = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
    let (line, column) = end_position(std::str::from_utf8(&bytes[..valid]).unwrap());
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        &format!("a.cedar:{line}:{column}: error[parse-error] file is not valid UTF-8 text (invalid byte at offset {valid})"),
    );
}

#[test]
fn random_ascii_noise_is_a_located_parse_error() {
    let bytes: Vec<u8> = noise(42, 4096).iter().map(|b| b & 0x7f).collect();
    let ws = workspace(&[]);
    write(ws.path(), "a.cedar", &bytes);
    check(ws.path(), &[])
        .code(1)
        .stdout(predicate::str::is_match(r"(?m)^a\.cedar:\d+:\d+: error\[parse-error\] ").unwrap());
}

#[test]
fn an_unterminated_policy_is_a_parse_error_at_the_end_of_input() {
    let ws = workspace(&[(
        "a.cedar",
        "@id(\"x\")\npermit(principal, action, resource\n",
    )]);
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        "a.cedar:2:35: error[parse-error] unexpected end of input",
    );
}

/// A condition with `depth` nested parentheses is refused at the first bracket past 1,000 levels.
fn assert_deep_nesting_is_refused(depth: usize) {
    const HEAD: &str = "permit(principal, action, resource) when { ";
    let policy = format!("{HEAD}{}true{} }};\n", "(".repeat(depth), ")".repeat(depth));
    let ws = workspace(&[("a.cedar", &policy)]);
    // The `{` is level 1, so the 1,000th `(` is level 1,001.
    let column = HEAD.len() + 1000;
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        &format!(
            "a.cedar:1:{column}: error[parse-error] expressions nested more than 1000 levels deep"
        ),
    );
}

#[test]
fn three_thousand_nested_parentheses_are_a_located_parse_error() {
    assert_deep_nesting_is_refused(3_000);
}

#[test]
fn a_hundred_thousand_nested_parentheses_are_a_located_parse_error() {
    assert_deep_nesting_is_refused(100_000);
}

#[test]

fn a_hundred_thousand_nested_if_then_else_do_not_crash() {
    let n = 100_000;
    let policy = format!(
        "permit(principal, action, resource) when {{ {}true{} }};\n",
        "if true then ".repeat(n),
        " else false".repeat(n)
    );
    let ws = workspace(&[("a.cedar", &policy)]);
    // Either a located parse-error (like too many brackets) or findings on the permit.
    check(ws.path(), &[]).code(1);
}

#[test]
fn a_malformed_cedar_schema_is_a_parse_error_in_the_schema() {
    let schema = "namespace Ops {\n  entity User;\n  entity Doc { owner: User,, };\n}\n";
    let ws = workspace(&[("s.cedarschema", schema), ("a.cedar", CLEAN_POLICY)]);
    let out = check(ws.path(), &["-q"]).code(1);
    assert_finding(
        &out,
        "s.cedarschema:3:28: error[parse-error] error parsing schema: unexpected token `,`",
    );
}

#[test]
fn a_schema_naming_an_unknown_type_is_a_schema_error_at_the_name() {
    let schema = "namespace Ops {\n  entity User in [Nope];\n}\n";
    let ws = workspace(&[("s.cedarschema", schema), ("a.cedar", CLEAN_POLICY)]);
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        "s.cedarschema:2:19: error[schema-error] failed to resolve type: Nope",
    );
}

#[test]

fn a_hundred_thousand_nested_set_types_in_a_schema_do_not_crash() {
    let n = 100_000;
    let schema = format!(
        "entity A {{ x: {}String{} }};\n",
        "Set<".repeat(n),
        ">".repeat(n)
    );
    let ws = workspace(&[("s.cedarschema", &schema), ("a.cedar", UNNAMED_POLICY)]);
    check(ws.path(), &[]).code(1);
}

/// Line 4 has an unquoted key: serde_json, Python and jq all report line 4, column 16 (`m`).
const BROKEN_JSON_SCHEMA: &str = r#"{
  "Ops": {
    "entityTypes": {
      "User": {memberOfTypes: []}
    },
    "actions": {}
  }
}
"#;

#[test]
fn a_malformed_json_schema_is_a_parse_error_on_the_right_line() {
    let ws = json_schema_workspace(BROKEN_JSON_SCHEMA);
    check(ws.path(), &["-q"]).code(1).stdout(
        predicate::str::is_match(
            r"^s\.cedarschema\.json:4:\d+: error\[parse-error\] invalid JSON schema: key must be a string\n$",
        )
        .unwrap(),
    );
}

#[test]

fn a_malformed_json_schema_is_located_at_the_offending_character() {
    let ws = json_schema_workspace(BROKEN_JSON_SCHEMA);
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        "s.cedarschema.json:4:16: error[parse-error] invalid JSON schema: key must be a string",
    );
}

#[test]

fn a_json_error_after_non_ascii_text_is_located_in_characters() {
    // `x` is character 21 of line 4, byte 23 (`é` and `è` are two bytes each).
    let schema = "{\n  \"Ops\": {\n    \"entityTypes\": {\n      \"Théière\": {} x, \"Pot\": {}\n    },\n    \"actions\": {}\n  }\n}\n";
    let ws = json_schema_workspace(schema);
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        "s.cedarschema.json:4:21: error[parse-error] invalid JSON schema: expected `,` or `}`",
    );
}

#[test]
fn malformed_toml_in_the_config_is_a_located_tool_error() {
    let ws = configured(
        "policies = \"*.cedar\"\nschema = = \"s.cedarschema\"\n",
        CLEAN_POLICY,
    );
    assert_tool_error(check(ws.path(), &[]), "/cedarcheck.toml:2:10: ");
}

#[test]
fn an_unknown_rule_in_the_config_is_a_located_tool_error() {
    let ws = configured(
        "policies = \"*.cedar\"\n\n[rules]\nno-such-rule = \"warn\"\n",
        CLEAN_POLICY,
    );
    assert_tool_error(
        check(ws.path(), &[]),
        "/cedarcheck.toml:4:1: unknown rule `no-such-rule`",
    );
}

#[test]
fn an_invalid_level_in_the_config_is_a_located_tool_error() {
    let ws = configured("[rules]\npermit-all = \"loud\"\n", CLEAN_POLICY);
    assert_tool_error(
        check(ws.path(), &[]),
        "/cedarcheck.toml:2:14: `permit-all` = \"loud\": expected \"error\", \"warn\", \"info\" or \"off\"",
    );
}

#[test]
fn a_missing_path_argument_is_a_tool_error() {
    let ws = workspace(&[("a.cedar", CLEAN_POLICY)]);
    assert_tool_error(
        check(ws.path(), &["nope.cedar"]),
        "nope.cedar: no such file or directory",
    );
}

#[test]
fn an_unknown_entity_type_in_a_policy_is_a_schema_error_at_the_type() {
    let policy = "@id(\"p\")\npermit(principal == Ops::Usr::\"a\", action == Ops::Action::\"Read\", resource is Ops::Doc);\n";
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", policy)]);
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        "a.cedar:2:21: error[schema-error] unrecognized entity type `Ops::Usr`",
    );
}

#[test]
fn a_missing_schema_file_is_a_tool_error_at_the_schema_key() {
    let ws = configured(
        "policies = \"*.cedar\"\nschema = \"nope.cedarschema\"\n",
        CLEAN_POLICY,
    );
    assert_tool_error(
        check(ws.path(), &[]),
        "/cedarcheck.toml:2:10: schema file `nope.cedarschema` does not exist",
    );
}

#[test]
fn two_schemas_without_a_config_are_a_tool_error_naming_both() {
    let ws = workspace(&[
        ("a.cedar", CLEAN_POLICY),
        ("one.cedarschema", SCHEMA),
        ("two.cedarschema.json", "{}"),
    ]);
    assert_tool_error(
        check(ws.path(), &[]),
        "found 2 schemas (one.cedarschema, two.cedarschema.json)",
    );
}

#[test]
fn an_empty_policy_file_is_an_empty_policy_set() {
    // Cedar accepts an empty policy set; nothing is wrong with it, and nothing crashes.
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", "")]);
    check(ws.path(), &[])
        .code(0)
        .stdout("All checks passed: 0 policies in 2 files.\n");
}

#[test]
fn a_link_to_an_unknown_template_is_a_parse_error_at_the_link() {
    let ws = configured(LINKS_CONFIG, TEMPLATE);
    write(
        ws.path(),
        "x.links.json",
        links_file("nope", "Ops::User::\"a\""),
    );
    let out = check(ws.path(), &[]).code(1);
    // Line 2 is `  {"template_id":"nope","link_id":"l",…`: column 35 is the link id `"l"`.
    assert_finding(
        &out,
        "x.links.json:2:35: error[parse-error] link `l` names template `nope`, which does not exist",
    );
}

/// Line 2 lacks the comma before `"link_id"`, which is at column 22.
const BROKEN_LINKS: &str = "[\n  {\"template_id\":\"t\" \"link_id\":\"l\"}\n]\n";

#[test]
fn malformed_links_json_is_a_parse_error_on_the_right_line() {
    let ws = configured(LINKS_CONFIG, TEMPLATE);
    write(ws.path(), "x.links.json", BROKEN_LINKS);
    check(ws.path(), &["-q"]).code(1).stdout(
        predicate::str::is_match(
            r"^x\.links\.json:2:\d+: error\[parse-error\] invalid links file: expected `,` or `\}`\n$",
        )
        .unwrap(),
    );
}

#[test]

fn malformed_links_json_is_located_at_the_offending_character() {
    let ws = configured(LINKS_CONFIG, TEMPLATE);
    write(ws.path(), "x.links.json", BROKEN_LINKS);
    let out = check(ws.path(), &[]).code(1);
    assert_finding(
        &out,
        "x.links.json:2:22: error[parse-error] invalid links file: expected `,` or `}`",
    );
}

// ------------------------------------------------------------------------------------------
// 2. Output formats, on the FINDINGS_POLICY workspace

fn findings_workspace() -> TempDir {
    workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", FINDINGS_POLICY)])
}

#[test]
fn compact_output_is_one_exact_line_per_finding_and_a_summary() {
    let ws = findings_workspace();
    check(ws.path(), &[]).code(1).stdout(FINDINGS_COMPACT);
}

#[test]
fn compact_is_the_default_format_when_stdout_is_not_a_terminal() {
    let ws = findings_workspace();
    cedarcheck(ws.path(), &["check"])
        .code(1)
        .stdout(FINDINGS_COMPACT);
}

#[test]
fn json_output_has_the_documented_fields_and_values() {
    let ws = findings_workspace();
    let (out, json) = check_json(ws.path(), &[]);
    out.code(1);
    assert_eq!(json["version"], 1);
    assert_eq!(
        json["summary"],
        json!({ "errors": 1, "warnings": 1, "infos": 1, "files": 2, "policies": 2 })
    );
    let finding = only_finding(&json, "wildcard-equality");
    assert_eq!(finding["level"], "warn");
    assert_eq!(
        finding["message"],
        "`==` compares with the literal string \"a*\"; `*` is a wildcard only with `like`"
    );
    assert_eq!(finding["file"], "a.cedar");
    assert_eq!(finding["policy_id"], "r");
    assert!(
        finding["help"].as_str().unwrap().contains("use `like`"),
        "{finding:#}"
    );
    assert_eq!(finding["related"], json!([]));
    // 1-based, in characters: the `é` earlier on line 3 is two bytes but one column.
    assert_eq!(finding["start"], json!({ "line": 3, "column": 85 }));
    assert_eq!(finding["end"], json!({ "line": 3, "column": 107 }));
    assert_eq!(finding["span"], json!({ "start": 131, "end": 153 }));
    // The byte span is the offending text, and agrees with the line and column.
    assert_eq!(&FINDINGS_POLICY[131..153], r#"resource.title == "a*""#);
    assert_eq!(end_position(&FINDINGS_POLICY[..131]), (3, 85));
    assert_eq!(end_position(&FINDINGS_POLICY[..153]), (3, 107));
}

#[test]
fn pretty_output_without_color_shows_rule_message_source_and_help() {
    let ws = findings_workspace();
    let out = pretty(ws.path(), "never").code(1);
    let text = stdout(&out);
    let source_line = FINDINGS_POLICY.lines().nth(2).unwrap();
    for expected in [
        "[wildcard-equality]",
        "`==` compares with the literal string \"a*\"; `*` is a wildcard only with `like`",
        "a.cedar:3:85",
        source_line,
        "Help: use `like` for a pattern",
        "Found 1 error, 1 warning, 1 info (2 policies in 2 files).",
    ] {
        assert!(text.contains(expected), "no `{expected}` in:\n{text}");
    }
    assert!(
        !text.contains('\x1b'),
        "ANSI escapes with --color never:\n{text}"
    );
}

#[test]
fn pretty_output_with_color_always_has_ansi_escapes() {
    let ws = findings_workspace();
    pretty(ws.path(), "always")
        .code(1)
        .stdout(predicate::str::contains("\x1b[").and(predicate::str::contains("[permit-all]")));
}

#[test]

fn pretty_output_of_a_non_utf8_file_shows_the_parse_error() {
    let ws = non_utf8_workspace();
    pretty(ws.path(), "never")
        .code(1)
        .stdout(
            predicate::str::contains("a.cedar:2:46").and(predicate::str::contains(
                "file is not valid UTF-8 text (invalid byte at offset 55)",
            )),
        );
}

#[test]

fn pretty_output_of_a_json_error_after_non_ascii_text_shows_the_parse_error() {
    // serde_json reports the `é` after `"Thé"` (character 12) at byte column 13.
    let schema = "{\n  \"Ops\": {\n    \"entityTypes\": {\n      \"Thé\"é: {}\n    },\n    \"actions\": {}\n  }\n}\n";
    let ws = json_schema_workspace(schema);
    check(ws.path(), &["-q"])
        .code(1)
        .stdout("s.cedarschema.json:4:12: error[parse-error] invalid JSON schema: expected `:`\n");
    pretty(ws.path(), "never")
        .code(1)
        .stdout(predicate::str::contains("s.cedarschema.json:4:12"));
}

// ------------------------------------------------------------------------------------------
// 3. Exit codes, --fail-level, rule levels and overrides

#[test]
fn a_clean_workspace_exits_0_with_a_summary() {
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", CLEAN_POLICY)]);
    check(ws.path(), &[])
        .code(0)
        .stdout("All checks passed: 1 policy in 2 files.\n");
}

#[test]
fn warnings_exit_1_by_default_and_0_with_fail_level_error() {
    // missing-policy-id is info by default; the config raises it to a warning.
    let ws = configured("[rules]\nmissing-policy-id = \"warn\"\n", UNNAMED_POLICY);
    let finding =
        "a.cedar:1:1: warn[missing-policy-id] policy has no @id; it is known as `policy0`\n";
    let summary = "Found 1 warning (1 policy in 2 files).\n";
    check(ws.path(), &[])
        .code(1)
        .stdout(format!("{finding}{summary}"));
    check(ws.path(), &["--fail-level", "error"])
        .code(0)
        .stdout(format!("{finding}{summary}"));
}

#[test]
fn info_findings_exit_0_by_default_and_1_with_fail_level_info() {
    // missing-policy-id is a style rule: info by default, so it never fails a run on its own.
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", UNNAMED_POLICY)]);
    let finding =
        "a.cedar:1:1: info[missing-policy-id] policy has no @id; it is known as `policy0`\n";
    check(ws.path(), &["-q"]).code(0).stdout(finding);
    check(ws.path(), &["-q", "--fail-level", "info"])
        .code(1)
        .stdout(finding);
}

#[test]
fn a_rule_set_to_off_reports_nothing() {
    let ws = configured("[rules]\nmissing-policy-id = \"off\"\n", UNNAMED_POLICY);
    check(ws.path(), &[])
        .code(0)
        .stdout("All checks passed: 1 policy in 2 files.\n");
}

#[test]
fn an_override_turns_a_rule_off_only_for_matching_files() {
    let config =
        "[[overrides]]\nfiles = [\"legacy/**\"]\nrules = { missing-policy-id = \"off\" }\n";
    let ws = configured(config, UNNAMED_POLICY);
    write(ws.path(), "legacy/b.cedar", UNNAMED_POLICY);
    check(ws.path(), &["-q"]).code(0).stdout(
        "a.cedar:1:1: info[missing-policy-id] policy has no @id; it is known as `a.cedar#policy0`\n",
    );
}

#[test]
fn quiet_prints_findings_only() {
    // Without a schema there is a note that validation was skipped; -q drops it and the summary.
    // (Without one, reading `resource.owner` needs a `has` guard: `unguarded-attribute`.)
    let policy =
        UNNAMED_POLICY.replace("{ resource.owner", "{ resource has owner && resource.owner");
    let ws = workspace(&[("a.cedar", policy.as_str())]);
    let finding =
        "a.cedar:1:1: info[missing-policy-id] policy has no @id; it is known as `policy0`\n";
    check(ws.path(), &[])
        .code(0)
        .stdout(format!("{finding}Found 1 info (1 policy in 1 file).\n"))
        .stderr(
            predicate::str::contains("note: ").and(predicate::str::contains("no schema found")),
        );
    check(ws.path(), &["-q"]).code(0).stdout(finding).stderr("");
}

#[test]
fn deep_without_a_solver_exits_2() {
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", CLEAN_POLICY)]);
    assert_tool_error(check(ws.path(), &["--deep"]), "cvc5 was not found");
}

#[test]
fn deep_on_in_the_config_exits_2_without_a_solver_and_no_deep_overrides_it() {
    let ws = configured("[analysis]\ndeep = \"on\"\n", CLEAN_POLICY);
    assert_tool_error(check(ws.path(), &[]), "apt-get install cvc5");
    check(ws.path(), &["--no-deep"]).code(0);
}

#[test]
fn deep_auto_without_a_solver_says_so_in_one_line_and_checks_the_rest() {
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", CLEAN_POLICY)]);
    let assert = check(ws.path(), &[]).code(0);
    let stderr = stderr(&assert);
    let notes: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("deep analysis skipped"))
        .collect();
    assert_eq!(notes.len(), 1, "{stderr}");
    assert!(notes[0].contains("apt-get install cvc5"), "{stderr}");
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let ws = workspace(&[("a.cedar", CLEAN_POLICY)]);
    check(ws.path(), &["--bogus"])
        .code(2)
        .stderr(predicate::str::contains("unexpected argument '--bogus'"));
}

// ------------------------------------------------------------------------------------------
// 4. Policy ids, duplicates, templates and links

/// The `policy_id` of every `missing-policy-id` finding, in output order.
fn unnamed_ids(json: &Value) -> Vec<&str> {
    findings(json, "missing-policy-id")
        .iter()
        .map(|f| f["policy_id"].as_str().unwrap())
        .collect()
}

#[test]
fn ids_are_the_id_annotation_or_the_position_in_the_file() {
    let policy = format!("{UNNAMED_POLICY}@id(\"named\")\n{UNNAMED_POLICY}{UNNAMED_POLICY}");
    let ws = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", &policy)]);
    let (out, json) = check_json(ws.path(), &[]);
    out.code(0);
    // The annotated policy is `named`, but still counts as position 1.
    assert_eq!(unnamed_ids(&json), ["policy0", "policy2"]);
    assert_eq!(json["summary"]["policies"], 3);
}

#[test]
fn ids_are_prefixed_with_the_file_when_the_set_has_several_files() {
    let ws = workspace(&[
        ("s.cedarschema", SCHEMA),
        ("a.cedar", UNNAMED_POLICY),
        ("sub/b.cedar", &format!("{CLEAN_POLICY}{UNNAMED_POLICY}")),
    ]);
    let (out, json) = check_json(ws.path(), &[]);
    out.code(0);
    assert_eq!(
        unnamed_ids(&json),
        ["a.cedar#policy0", "sub/b.cedar#policy1"]
    );
}

/// `a.cedar` and `b.cedar` both define `@id("shared")`; `b.cedar`'s is on line 4.
fn duplicate_id_workspace() -> TempDir {
    let shared = CLEAN_POLICY.replace("owner-reads", "shared");
    workspace(&[
        ("s.cedarschema", SCHEMA),
        ("a.cedar", &shared),
        ("b.cedar", &format!("{CLEAN_POLICY}{shared}")),
    ])
}

#[test]
fn a_duplicate_id_across_files_is_reported_with_the_first_use_related() {
    let ws = duplicate_id_workspace();
    let (out, json) = check_json(ws.path(), &[]);
    out.code(1);
    let finding = only_finding(&json, "duplicate-policy-id");
    assert_eq!(finding["level"], "error");
    assert_eq!(finding["file"], "b.cedar");
    assert_eq!(finding["start"], json!({ "line": 4, "column": 1 }));
    assert_eq!(finding["message"], "policy id `shared` is already used");
    assert_eq!(finding["policy_id"], "shared");
    assert_eq!(
        finding["related"],
        json!([{
            "file": "a.cedar",
            "message": "`shared` is first used here",
            "start": { "line": 1, "column": 1 },
            "end": { "line": 1, "column": 14 },
            "span": { "start": 0, "end": 13 },
        }])
    );
}

#[test]
fn a_template_and_its_links_load() {
    let ws = configured(LINKS_CONFIG, TEMPLATE);
    write(
        ws.path(),
        "x.links.json",
        links_file("t", "Ops::User::\"a\""),
    );
    // The template and the link are two policies; the links file is the third file.
    check(ws.path(), &[])
        .code(0)
        .stdout("All checks passed: 2 policies in 3 files.\n");
}

#[test]
fn a_link_to_an_unknown_entity_type_is_a_schema_error_at_its_template() {
    let ws = configured(LINKS_CONFIG, TEMPLATE);
    write(
        ws.path(),
        "x.links.json",
        links_file("t", "Ops::Nope::\"a\""),
    );
    let (out, json) = check_json(ws.path(), &[]);
    out.code(1);
    let finding = only_finding(&json, "schema-error");
    assert_eq!(finding["file"], "a.cedar");
    assert_eq!(finding["start"], json!({ "line": 1, "column": 1 }));
    assert_eq!(finding["policy_id"], "l");
    let message = finding["message"].as_str().unwrap();
    assert!(
        message.starts_with("in link `l`: ")
            && message.ends_with("unrecognized entity type `Ops::Nope`"),
        "{message}"
    );
}

#[test]

fn a_link_finding_names_the_link_once() {
    let ws = configured(LINKS_CONFIG, TEMPLATE);
    write(
        ws.path(),
        "x.links.json",
        links_file("t", "Ops::Nope::\"a\""),
    );
    let (_, json) = check_json(ws.path(), &[]);
    assert_eq!(
        only_finding(&json, "schema-error")["message"],
        "in link `l`: unrecognized entity type `Ops::Nope`"
    );
}

#[test]
fn a_link_to_an_entity_type_the_action_does_not_apply_to_is_an_impossible_policy() {
    // Strict validation classes a scope no action applies to as a warning, as for static
    // policies; the link still gets a finding at its template.
    let ws = configured(LINKS_CONFIG, TEMPLATE);
    write(
        ws.path(),
        "x.links.json",
        links_file("t", "Ops::Doc::\"a\""),
    );
    let (out, json) = check_json(ws.path(), &[]);
    out.code(1);
    let finding = only_finding(&json, "impossible-policy");
    assert_eq!(finding["file"], "a.cedar");
    assert_eq!(finding["policy_id"], "l");
    assert!(
        finding["message"]
            .as_str()
            .unwrap()
            .starts_with("in link `l`: "),
        "{finding:#}"
    );
}

// ------------------------------------------------------------------------------------------
// 5. A FILE argument narrows the findings shown, not the set checked

#[test]
fn a_file_argument_shows_its_findings_from_the_whole_set() {
    let ws = duplicate_id_workspace();
    // The duplicate is only found by loading a.cedar too.
    check(ws.path(), &["./b.cedar"]).code(1).stdout(concat!(
        "b.cedar:4:1: error[duplicate-policy-id] policy id `shared` is already used\n",
        "Found 1 error (3 policies in 3 files).\n",
    ));
}

#[test]
fn a_file_argument_in_a_subdirectory_shows_only_that_file() {
    let ws = configured("policies = \"**/*.cedar\"\n", UNNAMED_POLICY);
    write(ws.path(), "sub/b.cedar", UNNAMED_POLICY);
    check(ws.path(), &["-q", "sub/b.cedar"]).code(0).stdout(
        "sub/b.cedar:1:1: info[missing-policy-id] policy has no @id; it is known as `sub/b.cedar#policy0`\n",
    );
}

#[test]

fn without_a_config_a_file_argument_agrees_with_checking_the_directory() {
    let ws = workspace(&[
        ("s.cedarschema", SCHEMA),
        ("a.cedar", CLEAN_POLICY),
        // A duplicate id and an unknown entity type: both need the rest of the set to be seen.
        (
            "sub/b.cedar",
            &CLEAN_POLICY.replace("is Ops::User", "== Ops::Usr::\"a\""),
        ),
    ]);
    let everything = stdout(&check(ws.path(), &["-q"]).code(1));
    let in_b: String = everything
        .lines()
        .filter(|line| line.starts_with("sub/b.cedar:"))
        .map(|line| format!("{line}\n"))
        .collect();
    assert!(
        in_b.contains("[duplicate-policy-id]") && in_b.contains("[schema-error]"),
        "{everything}"
    );
    check(ws.path(), &["-q", "sub/b.cedar"])
        .code(1)
        .stdout(in_b);
}

#[test]

fn a_bare_file_name_argument_works() {
    let ws = duplicate_id_workspace();
    check(ws.path(), &["-q", "b.cedar"])
        .code(1)
        .stdout("b.cedar:4:1: error[duplicate-policy-id] policy id `shared` is already used\n");
}

// ------------------------------------------------------------------------------------------
// 6. `cedarcheck rules` (the table and every rule's documentation: tests/docs.rs)

#[test]
fn rules_with_an_unknown_id_exits_2() {
    assert_tool_error(
        cedarcheck(Path::new("."), &["rules", "nope"]),
        "unknown rule `nope`",
    );
}

// ------------------------------------------------------------------------------------------
// 7. The bundled example

#[test]
fn the_bundled_example_passes() {
    // `-v` names the config: the repository's own cedarcheck.toml, not zero-config discovery.
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    cedarcheck(root, &["check", "--format", "compact", "-v"])
        .code(0)
        .stdout(predicate::str::starts_with("All checks passed: "))
        .stderr(predicate::str::contains(format!(
            "cedarcheck: config {}",
            root.join("cedarcheck.toml").display()
        )));
}
