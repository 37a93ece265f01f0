//! Invariants as tests: each invariant of a policy set the run covers is one test, proven for
//! all requests by the solver (the same proof `check` reports as `invariant-violated`). A
//! violation fails with its counterexample request; an undecided proof fails too — an
//! invariant nobody could prove is not a passing test.

use std::path::{Path, PathBuf};

use cedarcheck_analyzer::{Level, Settings, RULES};
use cedarcheck_test_runner::report::RequestView;
use cedarcheck_test_runner::{FileReport, Located, TestReport};
use cedarcheck_workspace::{DeepMode, PolicySetFiles, Workspace};
use regex::Regex;

use crate::cli::CommonArgs;
use crate::deep::{self, DeepRun};

const INVARIANT_RULE: &str = cedarcheck_analyzer::rules::deep::invariant_violated::RULE.id;

/// One report per invariant file of the sets whose invariants lie below one of `paths`.
pub fn prove(
    workspaces: &[(&Workspace, Vec<PolicySetFiles>)],
    paths: &[PathBuf],
    common: &CommonArgs,
    filter: Option<&Regex>,
    cwd: &Path,
) -> Result<(Vec<FileReport>, Vec<String>), String> {
    let mut files = Vec::new();
    let mut notes = Vec::new();
    let wanted: Vec<PathBuf> = paths
        .iter()
        .filter(|p| p.is_dir())
        .filter_map(|p| std::path::absolute(p).ok())
        .collect();
    for (workspace, sets) in workspaces {
        let mode = if common.deep {
            DeepMode::On
        } else if common.no_deep {
            DeepMode::Off
        } else {
            workspace.analysis().deep
        };
        for (set_index, set) in sets.iter().enumerate() {
            let selected = set.invariants.iter().any(|f| {
                wanted
                    .iter()
                    .any(|dir| workspace.root.join(f).starts_with(dir))
            });
            if !selected || mode == DeepMode::Off {
                continue;
            }
            let input = set.read(&workspace.root).map_err(|e| e.to_string())?;
            let settings = only_invariants(&workspace.settings());
            let report = cedarcheck_analyzer::check(&input, &settings);
            let analysis = workspace.analysis();
            let outcome = deep::run(&DeepRun {
                root: &workspace.root,
                set,
                set_index,
                input: &input,
                report: &report,
                settings: &settings,
                analysis: &analysis,
                mode,
                jobs: common.jobs,
                use_cache: true,
                progress: !common.quiet,
                shard: None,
                seed: None,
            })?;
            notes.extend(outcome.notes);
            let shown =
                |file: &str| cedarcheck_analyzer::display_path(&workspace.root.join(file), cwd);
            for file in &set.invariants {
                let mut report = FileReport {
                    path: shown(file),
                    shape: None,
                    errors: Vec::new(),
                    tests: Vec::new(),
                    set: None,
                };
                // The invariant file itself must parse and validate.
                for finding in outcome
                    .findings
                    .iter()
                    .filter(|f| f.file == *file && f.rule != INVARIANT_RULE)
                {
                    if finding.level == Level::Error {
                        let text = outcome
                            .sources
                            .iter()
                            .find(|s| s.path == *file)
                            .map_or("", |s| &s.text);
                        report.errors.push(Located::at(
                            &shown(file),
                            text,
                            finding.span.start,
                            format!("{}: {}", finding.rule, finding.message),
                        ));
                    }
                }
                for (_, id, line) in outcome.invariants.iter().filter(|(f, _, _)| f == file) {
                    let name = format!("invariant {id}");
                    if filter.is_some_and(|f| !f.is_match(&name)) {
                        continue;
                    }
                    let finding = outcome.findings.iter().find(|f| {
                        f.rule == INVARIANT_RULE && f.policy_id.as_deref() == Some(id.as_str())
                    });
                    let request =
                        finding
                            .and_then(|f| f.counterexample.as_ref())
                            .map(|case| RequestView {
                                principal: case["request"]["principal"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .into(),
                                action: case["request"]["action"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .into(),
                                resource: case["request"]["resource"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .into(),
                                context: case["request"]["context"].clone(),
                            });
                    report.tests.push(TestReport {
                        name,
                        line: *line,
                        request,
                        expected: None,
                        actual: None,
                        reasons: Vec::new(),
                        failures: finding.map(|f| f.message.clone()).into_iter().collect(),
                        explanation: Vec::new(),
                    });
                }
                files.push(report);
            }
        }
    }
    Ok((files, notes))
}

/// The workspace's settings with every deep rule but `invariant-violated` off, and that one at
/// least at `error`: a test run proves invariants, not lint.
fn only_invariants(base: &Settings) -> Settings {
    let mut settings = base.clone();
    for rule in RULES
        .iter()
        .filter(|r| matches!(r.source, cedarcheck_analyzer::Source::Deep))
    {
        if rule.id == INVARIANT_RULE {
            settings.set_level(rule.id, Some(Level::Error));
        } else {
            settings.set_level(rule.id, None);
        }
    }
    settings
}
