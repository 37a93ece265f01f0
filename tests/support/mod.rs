//! Shared by the end-to-end tests of the binary.

#![allow(dead_code, reason = "each test binary uses part of this module")]

use std::path::Path;

/// Runs `cedarcheck ARGS` in `dir` without a solver (`$CVC5` names a missing file), so that
/// results do not depend on cvc5 being installed; returns exit code, stdout and stderr. A run
/// that is killed, times out or panics fails the test.
pub fn cedarcheck(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let output = assert_cmd::Command::cargo_bin("cedarcheck")
        .unwrap()
        .current_dir(dir)
        .args(args)
        .env("CVC5", "/nonexistent/cvc5")
        .timeout(std::time::Duration::from_secs(60))
        .output()
        .unwrap();
    let stderr = String::from_utf8(output.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    (
        output.status.code().expect("exited, not killed"),
        String::from_utf8(output.stdout).unwrap(),
        stderr,
    )
}

/// Whether cvc5 is there, by the one rule of `cedarcheck_test_support::require_tool`: without
/// it the test says it was skipped — and fails under CI, where cvc5 must be installed.
pub fn have_cvc5(test: &str) -> bool {
    cedarcheck_test_support::require_tool(test, cedarcheck_test_support::Tool::Cvc5).is_some()
}

/// What makes `instance` invalid SARIF 2.1.0, by the bundled schema (tests/data).
pub fn sarif_schema_errors(instance: &serde_json::Value) -> Vec<String> {
    let mut schema: serde_json::Value =
        serde_json::from_str(include_str!("../data/sarif-2.1.0-rtm.5.json")).unwrap();
    // The schema's `language` patterns (of `run` and `toolComponent`) end in a stray `]`, a
    // literal in ECMA-262's legacy syntax that the validator's regex engine rejects; escaping
    // it keeps their meaning. (Our output has no `language`.) Everything else is asserted as
    // shipped.
    let definitions = schema["definitions"].as_object_mut().unwrap();
    for definition in ["run", "toolComponent"] {
        let language = &mut definitions[definition]["properties"]["language"]["pattern"];
        assert_eq!(language, "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}]?$");
        *language = "^[a-zA-Z]{2}|^[a-zA-Z]{2}-[a-zA-Z]{2}\\]?$".into();
    }
    let validator = jsonschema::options()
        .should_validate_formats(true)
        .build(&schema)
        .expect("the SARIF schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}
