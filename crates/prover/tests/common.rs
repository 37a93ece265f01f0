//! Shared by the prover's tests: run the whole pipeline (load, validate, prove) on fixture files.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::time::Duration;

use cedarcheck_analyzer::{check, Finding, PolicySetInput, Settings, SourceFile};
use cedarcheck_prover::{prove_set, Cache, CheckedSet, DeepOptions, DeepReport, SolverCommand};

pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures")
}

/// cvc5, or `None` after saying the test was skipped. Under CI a missing solver fails.
pub fn cvc5_or_skip(test: &str) -> Option<PathBuf> {
    cedarcheck_test_support::require_tool(test, cedarcheck_test_support::Tool::Cvc5)
}

pub fn source(path: &Path, name: &str) -> SourceFile {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    SourceFile::from_bytes(name, bytes)
}

pub struct Run {
    pub report: DeepReport,
    /// Static findings of the policy file and the invariants file (must be none of
    /// parse-error/schema-error for a fixture to mean anything).
    pub static_findings: Vec<Finding>,
}

/// Checks `policies` (with `invariants`, if any) against `schema` and proves the deep rules.
pub fn prove(
    schema: &SourceFile,
    policies: Vec<SourceFile>,
    invariants: Vec<SourceFile>,
    solver: SolverCommand,
    cache: Cache,
) -> Run {
    prove_cancellable(schema, policies, invariants, solver, cache, None)
}

/// [`prove`], stopped early once `cancel` is set.
pub fn prove_cancellable(
    schema: &SourceFile,
    policies: Vec<SourceFile>,
    invariants: Vec<SourceFile>,
    solver: SolverCommand,
    cache: Cache,
    cancel: Option<std::sync::Arc<std::sync::atomic::AtomicBool>>,
) -> Run {
    let settings = Settings::default();
    let input = PolicySetInput {
        policies,
        schema: Some(schema.clone()),
        links: vec![],
    };
    let report = check(&input, &settings);
    let proof = prove_set(
        CheckedSet {
            input: &input,
            report: &report,
            invariants,
            settings: &settings,
        },
        DeepOptions {
            solver,
            jobs: 2,
            cache,
            progress: None,
            cancel,
        },
    )
    .expect("the fixture schema loads");
    let mut static_findings = report.findings.clone();
    static_findings.extend(proof.invariant_report.findings.iter().cloned());
    let deep = proof.deep;
    Run {
        report: deep,
        static_findings,
    }
}

pub fn solver(program: PathBuf, timeout_ms: u64) -> SolverCommand {
    cedarcheck_prover::solver_command(program, timeout_ms)
}

pub fn timeout() -> Duration {
    Duration::from_secs(10)
}
