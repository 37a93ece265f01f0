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

/// Whether cvc5 is there (`$CVC5`, else `PATH`). Without it a test that needs it says it was
/// skipped — and fails under CI=true, where cvc5 must be installed.
pub fn have_cvc5(test: &str) -> bool {
    let found = std::env::var_os("CVC5").is_some_and(|p| Path::new(&p).is_file())
        || std::env::var_os("PATH")
            .is_some_and(|path| std::env::split_paths(&path).any(|d| d.join("cvc5").is_file()));
    if !found {
        assert!(
            std::env::var("CI").map_or(true, |v| v != "true"),
            "{test}: cvc5 is required under CI=true"
        );
        eprintln!("{test}: skipped: cvc5 not found");
    }
    found
}
