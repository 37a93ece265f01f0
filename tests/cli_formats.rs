//! The CI formats of `cedarcheck check`: SARIF validated against the SARIF 2.1.0 schema,
//! GitHub workflow commands matched against their syntax, JUnit parsed as XML — and
//! `--fail-level` deciding the exit code whatever the format.

mod support;

use support::sarif_schema_errors;

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::path::Path;
use support::cedarcheck;

use cedarcheck_analyzer::RULES;
use serde_json::Value;
use tempfile::TempDir;

const SCHEMA: &str = r#"namespace Ops {
  entity User { name: String };
  entity Doc { owner: User, title: String };
  action Read appliesTo { principal: User, resource: Doc };
  action Edit appliesTo { principal: User, resource: Doc };
}
"#;

/// Line 1: a permit-all error and a missing-policy-id info. Line 4: an unscoped-principal
/// warning on a policy whose id needs escaping everywhere (`%`, `,`, `:` and a line break).
const POLICIES: &str = r#"permit(principal, action, resource);

@id("odd:id,100%
second line")
permit(principal, action == Ops::Action::"Edit", resource is Ops::Doc);
"#;

const CLEAN: &str = r#"@id("owner-reads")
permit(principal is Ops::User, action == Ops::Action::"Read", resource is Ops::Doc)
when { resource.owner == principal };
"#;

fn workspace(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (path, text) in files {
        let path = dir.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    dir
}

/// The standard fixture: findings in a directory whose name needs percent-encoding in a URI,
/// and a clean file.
fn fixture() -> TempDir {
    workspace(&[
        ("s.cedarschema", SCHEMA),
        ("my policies/a#1.cedar", POLICIES),
        ("clean.cedar", CLEAN),
    ])
}

fn sarif(dir: &Path, args: &[&str]) -> Value {
    let mut all = vec!["check", "--format", "sarif"];
    all.extend(args);
    let (_, stdout, stderr) = cedarcheck(dir, &all);
    serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}\n{stdout}\n{stderr}"))
}

#[test]
fn the_schema_validation_itself_rejects_broken_sarif() {
    let broken = serde_json::json!({
        "version": "2.1.0",
        "runs": [{ "tool": { "driver": {} }, "results": [{ "level": "fatal" }] }]
    });
    assert!(!sarif_schema_errors(&broken).is_empty());
}

#[test]
fn sarif_is_valid_sarif_2_1_0_with_documented_rules() {
    let dir = fixture();
    let sarif = sarif(dir.path(), &[]);
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    assert_eq!(sarif["version"], "2.1.0");
    let driver = &sarif["runs"][0]["tool"]["driver"];
    assert_eq!(driver["name"], "cedarcheck");
    let rules = driver["rules"].as_array().unwrap();
    assert_eq!(rules.len(), RULES.len());
    for (json, rule) in rules.iter().zip(RULES) {
        assert_eq!(json["id"], rule.id);
        assert_eq!(json["shortDescription"]["text"], rule.summary);
        let full = json["fullDescription"]["text"].as_str().unwrap();
        assert!(!full.is_empty() && !full.contains('\n'), "{full}");
        assert_eq!(json["help"]["markdown"], rule.doc);
        assert_eq!(json["help"]["text"], rule.doc);
        let level = match rule.default_level.as_str() {
            "error" => "error",
            "warn" => "warning",
            _ => "note",
        };
        assert_eq!(json["defaultConfiguration"]["level"], level, "{}", rule.id);
    }
}

#[test]
fn sarif_and_junit_stay_valid_on_broken_input() {
    let dir = tempfile::tempdir().unwrap();
    let files: [(&str, &[u8]); 4] = [
        ("s.cedarschema", b"namespace Ops { entity User; action Read appliesTo { principal: Nope, resource: User }; }"),
        ("syntax.cedar", b"permit(principal, action, resource)"),
        ("latin1.cedar", b"permit(principal, action, resource) when { \"\xe9\" };"),
        ("dup.cedar", b"@id(\"x\")\nforbid(principal, action, resource);\n@id(\"x\")\nforbid(principal, action, resource);\n"),
    ];
    for (path, bytes) in files {
        std::fs::write(dir.path().join(path), bytes).unwrap();
    }
    let sarif = sarif(dir.path(), &[]);
    let errors = sarif_schema_errors(&sarif);
    assert!(errors.is_empty(), "{errors:#?}\n{sarif:#}");
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let rules: BTreeSet<&str> = results
        .iter()
        .map(|r| r["ruleId"].as_str().unwrap())
        .collect();
    for rule in ["parse-error", "duplicate-policy-id"] {
        assert!(rules.contains(rule), "{rules:?}");
    }
    let related = results
        .iter()
        .find(|r| r["ruleId"] == "duplicate-policy-id")
        .unwrap();
    assert_eq!(
        related["relatedLocations"][0]["physicalLocation"]["region"]["startLine"],
        1
    );
    let (_, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "junit"]);
    let (cases, _) = parse_junit(&stdout);
    assert!(cases.len() >= results.len());
}

#[test]
fn sarif_results_have_levels_regions_and_repo_relative_uris() {
    let dir = fixture();
    let sarif = sarif(dir.path(), &[]);
    let rules = sarif["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let summary: BTreeSet<(String, String)> = results
        .iter()
        .map(|r| {
            (
                r["ruleId"].as_str().unwrap().to_string(),
                r["level"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: BTreeSet<(String, String)> = [
        ("missing-policy-id", "note"),
        ("permit-all", "error"),
        ("unscoped-principal", "warning"),
    ]
    .iter()
    .map(|(a, b)| (a.to_string(), b.to_string()))
    .collect();
    assert_eq!(summary, expected);
    for result in results {
        let index = result["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], result["ruleId"]);
        assert!(!result["message"]["text"].as_str().unwrap().is_empty());
        let locations = result["locations"].as_array().unwrap();
        assert_eq!(locations.len(), 1);
        let location = &locations[0]["physicalLocation"];
        assert_eq!(
            location["artifactLocation"]["uri"],
            "my%20policies/a%231.cedar"
        );
        assert_eq!(location["artifactLocation"]["uriBaseId"], "%SRCROOT%");
        let region = &location["region"];
        for key in ["startLine", "startColumn", "endLine", "endColumn"] {
            assert!(region[key].as_u64().unwrap() >= 1, "{key}: {region}");
        }
        let fingerprint = result["partialFingerprints"]["cedarcheck/v1"]
            .as_str()
            .unwrap();
        assert_eq!(fingerprint.len(), 16);
    }
    let unscoped = results
        .iter()
        .find(|r| r["ruleId"] == "unscoped-principal")
        .unwrap();
    let region = &unscoped["locations"][0]["physicalLocation"]["region"];
    // `principal` on line 5, columns 8 to 17 (end exclusive).
    assert_eq!(
        (
            &region["startLine"],
            &region["startColumn"],
            &region["endLine"],
            &region["endColumn"]
        ),
        (&5.into(), &8.into(), &5.into(), &17.into()),
        "{region}"
    );
    let fingerprints: HashSet<&str> = results
        .iter()
        .map(|r| r["partialFingerprints"]["cedarcheck/v1"].as_str().unwrap())
        .collect();
    assert_eq!(fingerprints.len(), results.len(), "fingerprints are unique");
}

#[test]
fn sarif_uris_are_relative_to_the_git_root_wherever_cedarcheck_runs() {
    let dir = workspace(&[
        ("app/cedarcheck.toml", "policies = [\"policies/*.cedar\"]\n"),
        ("app/policies/s.cedarschema", SCHEMA),
        ("app/policies/a.cedar", POLICIES),
    ]);
    std::fs::create_dir(dir.path().join(".git")).unwrap();
    for cwd in ["app", "app/policies"] {
        let sarif = sarif(&dir.path().join(cwd), &[]);
        let uris: BTreeSet<&str> = sarif["runs"][0]["results"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| {
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap()
            })
            .collect();
        assert_eq!(uris, BTreeSet::from(["app/policies/a.cedar"]), "from {cwd}");
    }
    // Without git, the workspace (the config's directory) is the root.
    std::fs::remove_dir(dir.path().join(".git")).unwrap();
    let sarif = sarif(&dir.path().join("app/policies"), &[]);
    assert_eq!(
        sarif["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
            ["uri"],
        "policies/a.cedar"
    );
}

/// ruleId → fingerprint, and ruleId → start line.
fn fingerprints_and_lines(sarif: &Value) -> (BTreeMap<String, String>, BTreeMap<String, u64>) {
    let results = sarif["runs"][0]["results"].as_array().unwrap();
    let rule = |r: &Value| r["ruleId"].as_str().unwrap().to_string();
    (
        results
            .iter()
            .map(|r| {
                let f = r["partialFingerprints"]["cedarcheck/v1"].as_str().unwrap();
                (rule(r), f.to_string())
            })
            .collect(),
        results
            .iter()
            .map(|r| {
                let line = &r["locations"][0]["physicalLocation"]["region"]["startLine"];
                (rule(r), line.as_u64().unwrap())
            })
            .collect(),
    )
}

#[test]
fn sarif_fingerprints_stay_when_unrelated_lines_move() {
    let policy = "@id(\"anyone-edits\")\npermit(principal, action == Ops::Action::\"Edit\", resource is Ops::Doc);\n";
    let dir = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", policy)]);
    let (before, lines_before) = fingerprints_and_lines(&sarif(dir.path(), &[]));
    let moved = format!("// A comment\n// moves everything down.\n\n{CLEAN}\n{policy}");
    std::fs::write(dir.path().join("a.cedar"), moved).unwrap();
    let (after, lines_after) = fingerprints_and_lines(&sarif(dir.path(), &[]));
    assert_ne!(lines_before, lines_after, "the finding moved");
    assert_eq!(before, after);
    assert!(!before.is_empty());
}

/// Parses `::cmd key=value,…::message` strictly; `None` when the line is not a command.
fn workflow_command(line: &str) -> Option<(&str, BTreeMap<&str, &str>, &str)> {
    let rest = line.strip_prefix("::")?;
    let (head, message) = rest.split_once("::")?;
    let (command, properties) = head.split_once(' ')?;
    let properties = properties
        .split(',')
        .map(|p| p.split_once('=').expect("key=value"))
        .collect();
    Some((command, properties, message))
}

/// GitHub's unescaping of a message or property.
fn unescape(text: &str) -> String {
    text.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
}

#[test]
fn github_annotations_follow_the_workflow_command_syntax() {
    let dir = fixture();
    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "github"]);
    assert_eq!(code, 1);
    let commands: Vec<_> = stdout.lines().filter_map(workflow_command).collect();
    assert_eq!(commands.len(), 3, "{stdout}");
    for (command, properties, message) in &commands {
        assert!(
            ["error", "warning", "notice"].contains(command),
            "{command}"
        );
        let keys: Vec<&str> = properties.keys().copied().collect();
        assert_eq!(
            keys,
            ["col", "endColumn", "endLine", "file", "line", "title"],
            "{properties:?}"
        );
        for key in ["line", "endLine", "col", "endColumn"] {
            assert!(properties[key].parse::<u32>().unwrap() >= 1);
        }
        assert_eq!(properties["file"], "my policies/a#1.cedar");
        for value in properties.values() {
            assert!(!value.contains([':', ',', '\n', '\r']), "{value}");
        }
        assert!(!message.contains(['\n', '\r']));
    }
    let (command, properties, message) = commands
        .iter()
        .find(|(_, p, _)| p["title"] == "cedarcheck unscoped-principal")
        .unwrap();
    assert_eq!(*command, "warning");
    assert_eq!(
        (
            properties["line"],
            properties["col"],
            properties["endLine"],
            properties["endColumn"]
        ),
        ("5", "8", "5", "17")
    );
    // The policy id `odd:id,100%⏎second line` survives the round trip through the escaping.
    assert!(
        message.contains("odd:id,100%25%0Asecond line"),
        "raw `%` and line breaks are escaped: {message}"
    );
    assert!(unescape(message).contains("`odd:id,100%\nsecond line`"));
    let error = commands.iter().find(|(c, _, _)| *c == "error").unwrap();
    assert_eq!(error.1["title"], "cedarcheck permit-all");
    // Property values escape `:` and `,` too.
    assert_eq!(
        property_escaping_probe(),
        "::notice file=a%3Ab%2Cc.cedar,line=1"
    );
}

/// A file name with `:` and `,`, as GitHub annotations must carry it.
fn property_escaping_probe() -> String {
    let dir = workspace(&[("a:b,c.cedar", "permit(principal, action, resource);\n")]);
    let (_, stdout, _) = cedarcheck(
        dir.path(),
        &["check", "--format", "github", "--fail-level", "error"],
    );
    let line = stdout
        .lines()
        .find(|l| l.starts_with("::notice"))
        .unwrap_or_default()
        .to_string();
    line.split(",endLine").next().unwrap().to_string()
}

struct JunitCase {
    suite: String,
    name: String,
    classname: String,
    failed: bool,
}

/// Every test case of a JUnit document, and the suites' declared (tests, failures).
fn parse_junit(xml: &str) -> (Vec<JunitCase>, BTreeMap<String, (usize, usize)>) {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut cases: Vec<JunitCase> = Vec::new();
    let mut suites = BTreeMap::new();
    let mut suite = String::new();
    loop {
        let event = reader.read_event().unwrap_or_else(|e| panic!("{e}\n{xml}"));
        let (element, empty) = match &event {
            Event::Start(e) => (e.clone(), false),
            Event::Empty(e) => (e.clone(), true),
            Event::Eof => break,
            _ => continue,
        };
        let attribute = |key: &str| {
            element.try_get_attribute(key).unwrap().map(|a| {
                let value = a.normalized_value(quick_xml::XmlVersion::Explicit1_0);
                value.unwrap().into_owned()
            })
        };
        match element.name().as_ref() {
            b"testsuite" => {
                suite = attribute("name").unwrap();
                let count = |key| attribute(key).unwrap().parse::<usize>().unwrap();
                suites.insert(suite.clone(), (count("tests"), count("failures")));
            }
            b"testcase" => cases.push(JunitCase {
                suite: suite.clone(),
                name: attribute("name").unwrap(),
                classname: attribute("classname").unwrap(),
                failed: false,
            }),
            b"failure" => cases.last_mut().unwrap().failed = true,
            _ => {}
        }
        let _ = empty;
    }
    (cases, suites)
}

#[test]
fn junit_has_a_suite_per_file_and_a_uniquely_named_case_per_finding() {
    let dir = fixture();
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["check", "--format", "junit"]);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stdout.starts_with("<?xml"),
        "stdout is only the XML: {stdout}"
    );
    let (cases, suites) = parse_junit(&stdout);
    assert_eq!(
        suites.keys().map(String::as_str).collect::<Vec<_>>(),
        ["clean.cedar", "my policies/a#1.cedar", "s.cedarschema"]
    );
    let findings: Vec<&JunitCase> = cases
        .iter()
        .filter(|c| c.suite == "my policies/a#1.cedar")
        .collect();
    assert_eq!(findings.len(), 3);
    assert!(findings.iter().all(|c| c.classname == c.suite));
    // missing-policy-id is info, below the default fail level: a passing case.
    let passing: Vec<&str> = findings
        .iter()
        .filter(|c| !c.failed)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(passing, ["missing-policy-id at my policies/a#1.cedar:1:1"]);
    assert_eq!(suites["my policies/a#1.cedar"], (3, 2));
    // Clean files pass with one case each.
    assert_eq!(suites["clean.cedar"], (1, 0));
    assert!(cases.iter().any(|c| c.suite == "clean.cedar" && !c.failed));
    let names: HashSet<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names.len(), cases.len(), "names are unique");
    assert!(names.contains("permit-all at my policies/a#1.cedar:1:1"));

    // Naming a file (as pre-commit does) reports on that file only: the other files' findings
    // are not shown, so they get no suite claiming they are clean.
    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "junit", "clean.cedar"]);
    assert_eq!(code, 0);
    let (cases, suites) = parse_junit(&stdout);
    assert_eq!(suites.keys().collect::<Vec<_>>(), ["clean.cedar"]);
    assert_eq!(cases.len(), 1);
}

#[test]
fn junit_escapes_what_xml_cannot_hold_raw() {
    let dir = workspace(&[(
        "a.cedar",
        "@id(\"<&>\\\"'\\u{1b}\")\npermit(principal, action, resource);\n",
    )]);
    let (_, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "junit"]);
    let (cases, _) = parse_junit(&stdout);
    assert_eq!(cases.len(), 1);
    assert!(
        stdout.contains("`&lt;&amp;&gt;&quot;'\u{FFFD}`"),
        "{stdout}"
    );
}

#[test]
fn fail_level_decides_the_exit_code_in_every_format() {
    // Warnings only.
    let dir = workspace(&[("s.cedarschema", SCHEMA), ("a.cedar", &POLICIES[36..])]);
    for format in ["sarif", "github", "junit", "json", "compact"] {
        let (code, _, _) = cedarcheck(dir.path(), &["check", "--format", format]);
        assert_eq!(code, 1, "{format}: warnings fail at the default level");
        let (code, _, _) = cedarcheck(
            dir.path(),
            &["check", "--format", format, "--fail-level", "error"],
        );
        assert_eq!(code, 0, "{format}: warnings pass with --fail-level error");
    }
    // Below the fail level, JUnit shows the findings as passing cases.
    let (_, stdout, _) = cedarcheck(
        dir.path(),
        &["check", "--format", "junit", "--fail-level", "error"],
    );
    let (cases, _) = parse_junit(&stdout);
    assert!(cases.iter().all(|c| !c.failed));
    assert!(stdout.contains("<system-out>"));
    let (code, _, _) = cedarcheck(
        dir.path(),
        &["check", "--format", "sarif", "--fail-level", "info"],
    );
    assert_eq!(code, 1);
}

/// Every `(element, attribute, value)` of an XML document's elements, values as an XML parser
/// reads them (after attribute-value normalization).
fn xml_attributes(xml: &str) -> Vec<(String, String, String)> {
    use quick_xml::events::Event;
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut found = Vec::new();
    loop {
        let element = match reader.read_event().unwrap_or_else(|e| panic!("{e}\n{xml}")) {
            Event::Start(e) | Event::Empty(e) => e.into_owned(),
            Event::Eof => break,
            _ => continue,
        };
        let name = String::from_utf8(element.name().as_ref().to_vec()).unwrap();
        for a in element.attributes() {
            let a = a.unwrap();
            let key = String::from_utf8(a.key.as_ref().to_vec()).unwrap();
            let value = a
                .normalized_value(quick_xml::XmlVersion::Explicit1_0)
                .unwrap()
                .into_owned();
            found.push((name.clone(), key, value));
        }
    }
    found
}

#[test]
fn tabs_and_carriage_returns_survive_in_both_junit_outputs() {
    // `check`: the finding's message names a policy id holding a tab and a carriage return.
    let dir = workspace(&[(
        "a.cedar",
        "@id(\"tab\\there\\rcr\")\npermit(principal, action, resource);\n",
    )]);
    let (code, stdout, _) = cedarcheck(dir.path(), &["check", "--format", "junit"]);
    assert_eq!(code, 1, "{stdout}");
    let attributes = xml_attributes(&stdout);
    let message = attributes
        .iter()
        .find(|(element, key, _)| element == "failure" && key == "message")
        .map(|(_, _, value)| value.as_str())
        .unwrap_or_else(|| panic!("no failure message: {stdout}"));
    assert!(message.contains("`tab\there\rcr`"), "{message:?}");

    // `test`: the test's name holds a tab and a carriage return.
    let dir = workspace(&[
        ("p.cedar", "permit (principal == User::\"a\", action, resource);\n"),
        (
            "tests/reads.yaml",
            "tests:\n  - name: \"tab\\there\\rcr\"\n    request: {principal: User::\"a\", action: Action::\"r\", resource: Doc::\"d\"}\n    decision: deny\n",
        ),
    ]);
    let (code, stdout, stderr) = cedarcheck(dir.path(), &["test", "--format", "junit", "."]);
    assert_eq!(code, 1, "{stdout}{stderr}");
    let names: Vec<String> = xml_attributes(&stdout)
        .into_iter()
        .filter(|(element, key, _)| element == "testcase" && key == "name")
        .map(|(_, _, value)| value)
        .collect();
    assert_eq!(names, ["tab\there\rcr"], "{stdout}");
}
