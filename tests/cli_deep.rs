//! The solver-backed rules through the binary: findings in the output, counterexamples in JSON,
//! invariants, the query cache, rule levels and suppressions. Needs cvc5: without it these tests
//! say they were skipped, and under CI=true they fail.

mod support;

use std::path::Path;
use std::time::Duration;
use support::have_cvc5;

use assert_cmd::Command;
use serde_json::Value;
use tempfile::TempDir;

const SCHEMA: &str = r#"namespace Ops {
  type Ctx = { mfa: Bool, failed_logins: Long };
  entity Operator;
  entity Host { environment: String };
  action RebootHost appliesTo { principal: [Operator], resource: [Host], context: Ctx };
}
"#;

const POLICIES: &str = r#"@id("operators-reboot")
permit (principal is Ops::Operator, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.mfa };

@id("lockout")
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { context.failed_logins * 1000 > 5000 };
"#;

const INVARIANTS: &str = r#"@id("prod-reboots-need-mfa")
forbid (principal, action == Ops::Action::"RebootHost", resource is Ops::Host)
when { resource.environment == "prod" }
unless { context.mfa && context.failed_logins < 3 };
"#;

fn workspace(config: &str, policies: &str) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let config = format!(
        "policies = [\"policies.cedar\"]\nschema = \"ops.cedarschema\"\ninvariants = [\"invariants/*.cedar\"]\n{config}"
    );
    std::fs::write(dir.path().join("cedarcheck.toml"), config).unwrap();
    std::fs::write(dir.path().join("ops.cedarschema"), SCHEMA).unwrap();
    std::fs::write(dir.path().join("policies.cedar"), policies).unwrap();
    std::fs::create_dir(dir.path().join("invariants")).unwrap();
    std::fs::write(dir.path().join("invariants/i.cedar"), INVARIANTS).unwrap();
    dir
}

fn run(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn json_findings(dir: &Path, args: &[&str]) -> Vec<Value> {
    let (_, stdout, stderr) = run(dir, &[&["check", "--format", "json"], args].concat());
    let output: Value =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    output["findings"].as_array().unwrap().clone()
}

#[test]
fn deep_findings_are_reported_with_locations_and_fail_the_run() {
    if !have_cvc5("deep_findings_are_reported_with_locations_and_fail_the_run") {
        return;
    }
    let ws = workspace("", POLICIES);
    let (code, stdout, stderr) = run(ws.path(), &["check", "--format", "compact", "--deep"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("policies.cedar:7:8: error[forbid-may-error] forbid `lockout` can raise an evaluation error"),
        "{stdout}"
    );
    // On the expression that overflows, with the error in words.
    assert!(
        stdout.contains(": `context.failed_logins * 1000` can overflow (integer overflow"),
        "{stdout}"
    );
    assert!(
        stdout.contains("invariants/i.cedar:2:1: error[invariant-violated] invariant `prod-reboots-need-mfa` does not hold"),
        "{stdout}"
    );
    // The lockout forbid can be skipped by an overflow, so a reboot with MFA after many failed
    // logins is allowed: the violation names the permit that allows it.
    assert!(stdout.contains("allowed by `operators-reboot`"), "{stdout}");

    let (code, stdout, _) = run(ws.path(), &["check", "--format", "compact", "--no-deep"]);
    assert_eq!(
        (code, stdout.contains("forbid-may-error")),
        (0, false),
        "{stdout}"
    );
}

#[test]
fn json_findings_carry_a_run_tests_counterexample() {
    if !have_cvc5("json_findings_carry_a_run_tests_counterexample") {
        return;
    }
    let ws = workspace("", POLICIES);
    let findings = json_findings(ws.path(), &[]);
    let may_error = findings
        .iter()
        .find(|f| f["rule"] == "forbid-may-error")
        .expect("forbid-may-error");
    let case = &may_error["counterexample"];
    assert_eq!(case["request"]["action"], "Ops::Action::\"RebootHost\"");
    assert!(
        case["request"]["context"]["failed_logins"]
            .as_i64()
            .unwrap()
            .abs()
            > 5_000_000_000_000_000
    );
    assert!(case["num_errors"].as_u64().unwrap() >= 1, "{case}");
    assert!(
        case["entities"].is_array() && case["name"].is_string(),
        "{case}"
    );
}

#[test]
fn answers_are_cached_and_no_cache_asks_again() {
    if !have_cvc5("answers_are_cached_and_no_cache_asks_again") {
        return;
    }
    let ws = workspace("", POLICIES);
    let asked = |args: &[&str]| -> usize {
        let (_, _, stderr) = run(ws.path(), &[&["check", "-v"], args].concat());
        let line = stderr
            .lines()
            .find(|l| l.contains("solver queries"))
            .unwrap_or_else(|| panic!("{stderr}"));
        line.split("environments: ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    assert!(asked(&[]) > 0);
    assert!(ws.path().join(".cedarcheck_cache/.gitignore").is_file());
    assert_eq!(
        asked(&[]),
        0,
        "the second run answers everything from the cache"
    );
    assert!(asked(&["--no-cache"]) > 0);
}

#[test]
fn rule_levels_apply_to_deep_rules() {
    if !have_cvc5("rule_levels_apply_to_deep_rules") {
        return;
    }
    let ws = workspace(
        "[rules]\nforbid-may-error = \"off\"\ninvariant-violated = \"info\"\n",
        POLICIES,
    );
    let findings = json_findings(ws.path(), &[]);
    assert!(
        findings.iter().all(|f| f["rule"] != "forbid-may-error"),
        "{findings:?}"
    );
    let invariant = findings
        .iter()
        .find(|f| f["rule"] == "invariant-violated")
        .unwrap();
    assert_eq!(invariant["level"], "info");
    assert!(
        invariant["message"]
            .as_str()
            .unwrap()
            .starts_with("invariant `prod-reboots-need-mfa` does not hold"),
        "decided, not unknown: {invariant}"
    );
}

#[test]
fn an_ignore_annotation_silences_a_deep_rule_for_its_policy() {
    if !have_cvc5("an_ignore_annotation_silences_a_deep_rule_for_its_policy") {
        return;
    }
    let ignored = POLICIES.replace(
        "@id(\"lockout\")",
        "@id(\"lockout\")\n@cedarcheck_ignore(\"forbid-may-error\")",
    );
    let ws = workspace("", &ignored);
    let findings = json_findings(ws.path(), &[]);
    assert!(
        findings.iter().all(|f| f["rule"] != "forbid-may-error"),
        "{findings:?}"
    );
}

#[test]
fn a_hanging_solver_is_unknown_never_clean() {
    use std::os::unix::fs::PermissionsExt;
    let ws = workspace("[analysis]\ntimeout-ms = 100\n", POLICIES);
    let solver = ws.path().join("hang.sh");
    std::fs::write(&solver, "#!/bin/sh\nexec sleep 600\n").unwrap();
    std::fs::set_permissions(&solver, std::fs::Permissions::from_mode(0o755)).unwrap();
    let output = Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(ws.path())
        .args([
            "check",
            "--format",
            "compact",
            "--deep",
            "--fail-level",
            "info",
        ])
        .env("CVC5", &solver)
        .timeout(Duration::from_secs(120))
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("unknown: could not decide"), "{stdout}");
    assert!(!stdout.contains("All checks passed"), "{stdout}");
}

#[test]
fn cedarcheck_test_reports_each_invariant_as_a_test() {
    if !have_cvc5("cedarcheck_test_reports_each_invariant_as_a_test") {
        return;
    }
    let ws = workspace("", POLICIES);
    let (code, stdout, stderr) = run(ws.path(), &["test", "--allow-empty", "--color", "never"]);
    assert_eq!(code, 1, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("FAIL invariants/i.cedar:1: invariant prod-reboots-need-mfa"),
        "{stdout}"
    );
    assert!(stdout.contains("allowed by `operators-reboot`"), "{stdout}");
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");

    // A set that keeps its invariant passes.
    let fixed = POLICIES.replace(
        "when { context.mfa };",
        "when { context.mfa && context.failed_logins < 3 };",
    );
    let ws = workspace("", &fixed);
    let (code, stdout, stderr) = run(
        ws.path(),
        &["test", "--allow-empty", "-v", "--color", "never"],
    );
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    assert!(
        stdout.contains("ok   invariants/i.cedar:1: invariant prod-reboots-need-mfa"),
        "{stdout}"
    );

    // --no-deep runs no proof, so there is nothing to report.
    let (code, stdout, _) = run(ws.path(), &["test", "--no-deep"]);
    assert_eq!(code, 1, "an empty run fails: {stdout}");
}

/// A copy of `dirs` and `files` of the repository (or of a fixture under it), to run in.
fn copy_of(from: &Path, entries: &[&str]) -> TempDir {
    fn copy_dir(from: &Path, to: &Path) {
        std::fs::create_dir_all(to).unwrap();
        for entry in std::fs::read_dir(from).unwrap() {
            let entry = entry.unwrap();
            let target = to.join(entry.file_name());
            if entry.file_type().unwrap().is_dir() {
                copy_dir(&entry.path(), &target);
            } else {
                std::fs::copy(entry.path(), target).unwrap();
            }
        }
    }
    let dir = tempfile::tempdir().unwrap();
    for entry in entries {
        let source = from.join(entry);
        if source.is_dir() {
            copy_dir(&source, &dir.path().join(entry));
        } else {
            std::fs::copy(source, dir.path().join(entry)).unwrap();
        }
    }
    dir
}

fn bundled_set() -> TempDir {
    copy_of(
        Path::new(env!("CARGO_MANIFEST_DIR")),
        &["policies", "testcases", "cedarcheck.toml"],
    )
}

fn shards_fixture() -> TempDir {
    copy_of(
        &Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/shards"),
        &["cedarcheck.toml", "ops", "files"],
    )
}

/// Runs `check --deep --shard K/3` for each K in `shards`, cold, writing `shards/K.json`;
/// returns those paths, relative to `dir`.
fn run_shards(dir: &Path, shards: &[usize]) -> Vec<String> {
    std::fs::create_dir_all(dir.join("shards")).unwrap();
    shards
        .iter()
        .map(|k| {
            let (code, stdout, stderr) = run(
                dir,
                &[
                    "check",
                    "--deep",
                    "--no-cache",
                    "--shard",
                    &format!("{k}/3"),
                ],
            );
            assert_eq!(code, 0, "{stderr}");
            let path = format!("shards/{k}.json");
            std::fs::write(dir.join(&path), stdout).unwrap();
            path
        })
        .collect()
}

fn merge(dir: &Path, shards: &[String], args: &[&str]) -> (i32, String, String) {
    let shards: Vec<&str> = shards.iter().map(String::as_str).collect();
    run(dir, &[&["merge"], &shards[..], args].concat())
}

/// Shards 1/3, 2/3 and 3/3, merged, print what one unsharded run prints, byte for byte, with
/// its exit code: on the bundled set and on a fixture whose findings (and counterexamples)
/// are in several environments of two sets.
#[test]
fn merged_shards_report_what_an_unsharded_run_reports() {
    if !have_cvc5("merged_shards_report_what_an_unsharded_run_reports") {
        return;
    }
    for (ws, code) in [(bundled_set(), 0), (shards_fixture(), 1)] {
        let dir = ws.path();
        let shards = run_shards(dir, &[1, 2, 3]);
        let covered: Vec<Vec<String>> = shards
            .iter()
            .map(|path| {
                let result: Value =
                    serde_json::from_str(&std::fs::read_to_string(dir.join(path)).unwrap())
                        .unwrap();
                assert_eq!(result["shards"], 3);
                result["sets"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .flat_map(|set| set["environments"].as_array().unwrap().clone())
                    .map(|e| e.as_str().unwrap().to_string())
                    .collect()
            })
            .collect();
        assert!(covered.iter().all(|c| !c.is_empty()), "{covered:?}");
        // The same shard of the same inputs is the same bytes.
        let again = run(dir, &["check", "--deep", "--no-cache", "--shard", "2/3"]);
        assert_eq!(
            again.1,
            std::fs::read_to_string(dir.join(&shards[1])).unwrap()
        );
        for format in ["compact", "json", "sarif"] {
            let whole = run(dir, &["check", "--deep", "--no-cache", "--format", format]);
            assert_eq!(whole.0, code, "{}\n{}", whole.1, whole.2);
            let merged = merge(dir, &shards, &["--format", format]);
            assert_eq!(merged, whole, "--format {format} in {}", dir.display());
        }
    }
}

#[test]
fn merge_names_a_missing_or_repeated_shard_and_refuses_other_inputs() {
    if !have_cvc5("merge_names_a_missing_or_repeated_shard_and_refuses_other_inputs") {
        return;
    }
    let ws = shards_fixture();
    let dir = ws.path();
    let shards = run_shards(dir, &[1, 2, 3]);
    let error = |shards: &[String]| {
        let (code, stdout, stderr) = merge(dir, shards, &["--format", "compact"]);
        assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
        stderr
    };
    assert_eq!(
        error(&[shards[0].clone(), shards[2].clone()]),
        "cedarcheck: error: shard 2/3 is missing (given: 1/3 in shards/1.json, 3/3 in \
         shards/3.json): merge needs all 3 shard results\n"
    );
    assert_eq!(
        error(&[shards[1].clone()]),
        "cedarcheck: error: shards 1/3, 3/3 are missing (given: 2/3 in shards/2.json): \
         merge needs all 3 shard results\n"
    );
    assert_eq!(
        error(&[shards[0].clone(), shards[1].clone(), shards[0].clone()]),
        "cedarcheck: error: shard 1/3 is given twice: shards/1.json and shards/1.json\n"
    );
    // A shard of an edited set does not merge with shards of the set before the edit, and
    // shards do not merge into a report of other inputs.
    let policies = dir.join("files/policies.cedar");
    let before = std::fs::read_to_string(&policies).unwrap();
    std::fs::write(&policies, format!("{before}\n@id(\"viewers\")\npermit (principal, action == Action::\"View\", resource is Doc);\n")).unwrap();
    assert_eq!(
        error(&shards),
        "cedarcheck: error: the shard results are of other inputs than the policy set \
         `files` here: its policies, schema, links, invariants or config differ; run `merge` \
         on the commit the shards checked, with the paths they were given\n"
    );
    std::fs::rename(dir.join("shards/2.json"), dir.join("shards/old-2.json")).unwrap();
    run_shards(dir, &[2]);
    assert_eq!(
        error(&shards),
        "cedarcheck: error: shards/1.json and shards/2.json are shards of different inputs \
         (their policies, schema, links, invariants or config differ): run every shard on one \
         commit\n"
    );
}

/// A query whose answer no shard result holds is asked again, and the merge says so: it never
/// becomes "clean".
#[test]
fn merge_asks_the_solver_what_the_shards_do_not_answer() {
    if !have_cvc5("merge_asks_the_solver_what_the_shards_do_not_answer") {
        return;
    }
    let ws = shards_fixture();
    let dir = ws.path();
    let shards = run_shards(dir, &[1, 2, 3]);
    let path = dir.join(&shards[1]);
    let mut result: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut dropped = 0;
    for set in result["sets"].as_array_mut().unwrap() {
        let entries = set["answers"]["entries"].as_object_mut().unwrap();
        dropped += entries.len();
        entries.clear();
    }
    assert!(dropped > 0);
    std::fs::write(&path, result.to_string()).unwrap();
    let whole = run(
        dir,
        &["check", "--deep", "--no-cache", "--format", "compact"],
    );
    let (code, stdout, stderr) = merge(dir, &shards, &["--format", "compact"]);
    assert_eq!((code, &stdout), (whole.0, &whole.1));
    let note = stderr.lines().next().unwrap();
    assert!(
        note.starts_with("cedarcheck: merge: the shard results did not answer ")
            && note.ends_with(" solver queries; the solver was asked"),
        "{stderr}"
    );
}

/// Bad `--shard` values and a shard without the deep analysis are usage errors (exit 2);
/// none needs the solver.
#[test]
fn bad_shards_are_usage_errors() {
    let ws = shards_fixture();
    let usage = |value: &str, message: &str| {
        let (code, stdout, stderr) =
            support::cedarcheck(ws.path(), &["check", "--deep", "--shard", value]);
        assert_eq!((code, stdout.as_str()), (2, ""));
        assert_eq!(
            stderr,
            format!(
                "error: invalid value '{value}' for '--shard <K/N>': {message}\n\nFor more \
                 information, try '--help'.\n"
            )
        );
    };
    usage("0/3", "there is no shard 0 of 3: K must be from 1 to 3");
    usage("4/3", "there is no shard 4 of 3: K must be from 1 to 3");
    usage("x", "`x` is not K/N (shard K of N, e.g. 2/3)");
    usage("1/0", "N must be at least 1");
    let error = |args: &[&str]| {
        let (code, stdout, stderr) = support::cedarcheck(ws.path(), args);
        assert_eq!((code, stdout.as_str()), (2, ""), "{stderr}");
        stderr
    };
    assert_eq!(
        error(&["check", "--no-deep", "--shard", "1/3"]),
        "cedarcheck: error: --shard needs the deep analysis, which --no-deep turns off\n"
    );
    std::fs::write(
        ws.path().join("cedarcheck.toml"),
        format!(
            "[analysis]\ndeep = \"off\"\n{}",
            std::fs::read_to_string(ws.path().join("cedarcheck.toml")).unwrap()
        ),
    )
    .unwrap();
    assert_eq!(
        error(&["check", "--shard", "1/3"]),
        "cedarcheck: error: --shard needs the deep analysis, which [analysis] deep = \"off\" \
         turns off: pass --deep\n"
    );
    assert_eq!(
        error(&["check", "--deep", "--shard", "1/3", "--format", "sarif"]),
        "cedarcheck: error: --shard prints a shard result for `cedarcheck merge`, which is \
         JSON; --format sarif is for merge\n"
    );
    assert_eq!(
        error(&["merge", "."]),
        "cedarcheck: error: give the shard results to merge: the `.json` files `cedarcheck \
         check --deep --shard K/N --format json` printed\n"
    );
    // Without cvc5 a shard, like `check --deep`, cannot do its job.
    assert!(error(&["check", "--deep", "--shard", "1/3"])
        .starts_with("cedarcheck: error: deep analysis was demanded"));
}

/// The deep engine's answers on 200 generated policies (bench/deep_check.py's set, seed 1)
/// over 20 request environments: a cold run reports exactly the findings of expected.txt, made
/// before coverage questions were split into small ones (README "Deep analysis", how it
/// scales). Any change in how questions are asked must not change what is found.
/// The deep findings on 200 generated policies (`bench/deep_check.py`'s set): byte for byte
/// `expected.txt`, from a cold cache and again from a cache another run left after an edit
/// (other witnesses, other answers), so that what a finding says does not depend on the
/// cache. `every-overlapping-candidate.txt` holds the findings of before covers were made
/// minimal (issue 16): the same findings, each naming every candidate that overlaps the
/// policy instead of a minimal set that covers it; the covers named now are among those.
#[test]
fn two_hundred_generated_policies_give_the_same_findings() {
    if !have_cvc5("two_hundred_generated_policies_give_the_same_findings") {
        return;
    }
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/deep-200");
    let dir = copy_of(
        &fixture,
        &["cedarcheck.toml", "bench.cedarschema", "policies"],
    );
    let check = || {
        let output = Command::cargo_bin("cedarcheck")
            .unwrap()
            .current_dir(dir.path())
            .args(["check", "--deep", "--format", "compact"])
            .timeout(Duration::from_secs(900))
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
        assert_eq!(output.status.code(), Some(1), "{stderr}");
        (String::from_utf8_lossy(&output.stdout).into_owned(), stderr)
    };
    let expected = std::fs::read_to_string(fixture.join("expected.txt")).unwrap();
    let (cold, stderr) = check();
    assert_eq!(cold, expected, "{stderr}");

    // The findings are those of before, the covers among the policies named then.
    let before = std::fs::read_to_string(fixture.join("every-overlapping-candidate.txt")).unwrap();
    assert_eq!(cold.lines().count(), before.lines().count());
    let mut narrowed = 0;
    for (now, then) in cold.lines().zip(before.lines()) {
        if now == then {
            continue;
        }
        let (now_head, now_names, now_tail) = named_cover(now);
        let (then_head, then_names, then_tail) = named_cover(then);
        assert_eq!((now_head, now_tail), (then_head, then_tail), "{now}");
        assert!(
            !now_names.is_empty() && now_names.iter().all(|n| then_names.contains(n)),
            "{now}\nnames policies that were not named before:\n{then}"
        );
        narrowed += 1;
    }
    assert_eq!(narrowed, 5, "findings whose cover is narrower than before");

    // A cache another run left: `p-091` (a forbid in a cover) edited, checked, edited back.
    let guardrails = dir.path().join("policies/guardrails.cedar");
    let text = std::fs::read_to_string(&guardrails).unwrap();
    let edited = text.replacen(
        "  resource\n)\nwhen { principal.level < 3 };",
        "  resource\n)\nwhen { principal.level < 4 };",
        1,
    );
    assert_ne!(edited, text, "the edit applies");
    std::fs::write(&guardrails, edited).unwrap();
    check();
    std::fs::write(&guardrails, text).unwrap();
    let (warm, stderr) = check();
    assert_eq!(warm, expected, "{stderr}");
}

/// A "… together …" finding line cut around the policies it names: the text before the list,
/// the names, and the text after it.
fn named_cover(line: &str) -> (&str, Vec<&str>, &str) {
    let (head, rest) = line
        .split_once(" by the ")
        .unwrap_or_else(|| panic!("not a cover finding: {line}"));
    let (list, tail) = rest
        .split_once(" together ")
        .unwrap_or_else(|| panic!("not a cover finding: {line}"));
    let names = list
        .split_once(' ')
        .map(|(_, names)| names.split(", ").collect())
        .unwrap_or_default();
    (head, names, tail)
}
