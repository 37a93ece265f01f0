//! The CI formats of `cedarcheck mutants` (README "Mutation testing"): `junit`, a test case per
//! mutant; `sarif` and `github`, a `surviving-mutant` warning per survivor at the mutated text.
//! They escape and encode as `check`'s writers do (src/output/xml.rs, github.rs, sarif.rs).
//! `surviving-mutant` is not a lint rule: it is declared here, in the SARIF of this command
//! only, never in the analyzer's rule registry.

use std::collections::HashMap;
use std::path::Path;

use cedarcheck_mutants::{Mutant, MutantsReport, Status};
use serde_json::{json, Value};

use crate::output::github::{data, property};
use crate::output::sarif::{uri, URI_BASE};
use crate::output::xml::{attribute, text};

/// The id of the finding for a survivor, in SARIF and in GitHub annotations.
pub const RULE: &str = "surviving-mutant";

/// A survivor's message: the one-line diff, the policy, and what is wrong.
fn message(m: &Mutant) -> String {
    format!(
        "{} in {} {} (no test notices)",
        m.diff, m.kind, m.mutation.policy
    )
}

fn survivors(report: &MutantsReport) -> impl Iterator<Item = &Mutant> {
    report
        .mutants
        .iter()
        .filter(|m| m.status == Status::Survived)
}

/// Where reports for other tools place a mutant's file: relative to the repository root (the
/// nearest directory above the working directory with a `.git`), as `check` does for SARIF
/// and GitHub; relative to the working directory outside a repository.
pub struct Places {
    cwd: std::path::PathBuf,
    root: Option<std::path::PathBuf>,
}

impl Places {
    pub fn new(cwd: &Path) -> Self {
        let root = cwd
            .ancestors()
            .find(|d| d.join(".git").exists())
            .map(Path::to_path_buf);
        Self {
            cwd: cwd.to_path_buf(),
            root,
        }
    }

    fn repo_path(&self, file: &str) -> String {
        match &self.root {
            Some(root) => cedarcheck_analyzer::display_path(&self.cwd.join(file), root),
            None => file.to_string(),
        }
    }
}

/// `--format junit`: a test suite per policy set, a test case per mutant — passing when a
/// test kills it, failed when it survives (with the test that would kill it, when the solver
/// wrote one, or why it did not), skipped when it is equivalent or invalid. Without a solver
/// the one note on stderr says why no survivor has a test, as in `pretty`.
pub fn junit(report: &MutantsReport, solver: bool) -> String {
    let mut sets: Vec<(&str, Vec<&Mutant>)> = Vec::new();
    for m in &report.mutants {
        match sets.iter_mut().find(|(set, _)| *set == m.set) {
            Some((_, mutants)) => mutants.push(m),
            None => sets.push((&m.set, vec![m])),
        }
    }
    let skipped = |mutants: &[&Mutant]| {
        mutants
            .iter()
            .filter(|m| matches!(m.status, Status::Equivalent | Status::Invalid { .. }))
            .count()
    };
    let all: Vec<&Mutant> = report.mutants.iter().collect();
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"cedarcheck mutants\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
        all.len(),
        report.count("survived"),
        skipped(&all)
    ));
    for (set, mutants) in &sets {
        let suite = format!("mutants of {set}");
        out.push_str(&format!(
            "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"{}\">\n",
            attribute(&suite),
            mutants.len(),
            mutants
                .iter()
                .filter(|m| m.status == Status::Survived)
                .count(),
            skipped(mutants)
        ));
        let mut taken: HashMap<String, usize> = HashMap::new();
        for m in mutants {
            let name = format!(
                "{}:{}:{}: {} in {} {}",
                m.file, m.line, m.column, m.diff, m.kind, m.mutation.policy
            );
            let seen = taken.entry(name.clone()).or_insert(0);
            *seen += 1;
            let name = if *seen == 1 {
                name
            } else {
                format!("{name} (#{seen})")
            };
            let open = format!(
                "    <testcase name=\"{}\" classname=\"{}\" file=\"{}\" line=\"{}\"",
                attribute(&name),
                attribute(&suite),
                attribute(&m.file),
                m.line
            );
            match &m.status {
                Status::Killed { file, test } => {
                    out.push_str(&format!("{open}>\n"));
                    let by = if test.is_empty() {
                        file.clone()
                    } else {
                        format!("{file}: {test}")
                    };
                    out.push_str(&format!(
                        "      <system-out>killed by {}</system-out>\n",
                        text(&by)
                    ));
                }
                Status::Survived => {
                    out.push_str(&format!("{open}>\n"));
                    let body = match (&m.test, &m.note) {
                        (Some(test), _) => format!(
                            "kill it with:\n{}\n",
                            serde_json::to_string_pretty(test).unwrap_or_default()
                        ),
                        (None, Some(note)) if solver => format!("no test generated: {note}\n"),
                        _ => String::new(),
                    };
                    let failure = format!(
                        "      <failure message=\"{}\" type=\"{RULE}\"",
                        attribute(&format!("survived: {}", message(m)))
                    );
                    if body.is_empty() {
                        out.push_str(&format!("{failure}/>\n"));
                    } else {
                        out.push_str(&format!("{failure}>{}</failure>\n", text(&body)));
                    }
                }
                Status::Equivalent => {
                    out.push_str(&format!("{open}>\n"));
                    out.push_str(
                        "      <skipped message=\"equivalent: the solver proves it decides every request as the set does\"/>\n",
                    );
                }
                Status::Invalid { why } => {
                    out.push_str(&format!("{open}>\n"));
                    out.push_str(&format!(
                        "      <skipped message=\"{}\"/>\n",
                        attribute(&format!("invalid: {why}"))
                    ));
                }
            }
            out.push_str("    </testcase>\n");
        }
        out.push_str("  </testsuite>\n");
    }
    out.push_str("</testsuites>\n");
    out
}

/// `--format github`: a warning annotation per survivor at the mutated text.
pub fn github(report: &MutantsReport, places: &Places) -> String {
    survivors(report)
        .map(|m| {
            format!(
                "::warning file={},line={},col={},title={}::{}\n",
                property(&places.repo_path(&m.file)),
                m.line,
                m.column,
                property(&format!("cedarcheck {RULE}")),
                data(&message(m)),
            )
        })
        .collect()
}

/// `--format sarif`: SARIF 2.1.0 with the one rule `surviving-mutant` and a warning result per
/// survivor; the note that the solver was missing, when it was, as a tool notification.
pub fn sarif(report: &MutantsReport, places: &Places, notes: &[String]) -> String {
    let results: Vec<Value> = survivors(report)
        .map(|m| {
            json!({
                "ruleId": RULE,
                "ruleIndex": 0,
                "level": "warning",
                "message": { "text": message(m) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {
                            "uri": uri(&places.repo_path(&m.file)),
                            "uriBaseId": URI_BASE,
                        },
                        "region": { "startLine": m.line, "startColumn": m.column },
                    }
                }],
                "properties": {
                    "policyId": m.mutation.policy,
                    "policySet": m.set,
                    "operator": m.mutation.operator.id(),
                    "replacement": m.mutation.replacement,
                },
            })
        })
        .collect();
    let help = "A mutant is the policy set with one policy weakened or changed \
        (README \"Mutation testing\"). This one survived: every test passes on it as on the \
        set, so the tests would not notice the change. Add a test whose decision it changes \
        (with cvc5, `cedarcheck mutants --write-tests FILE` writes one), or simplify the \
        policy if the change is harmless.";
    let rule = json!({
        "id": RULE,
        "name": "SurvivingMutant",
        "shortDescription": { "text": "No test notices this change to a policy" },
        "fullDescription": { "text": help },
        "help": { "text": help, "markdown": help },
        "defaultConfiguration": { "level": "warning" },
        "properties": { "tags": ["testing"] },
    });
    let notifications = notes
        .iter()
        .map(|note| json!({ "level": "warning", "message": { "text": note } }))
        .collect();
    let sarif = crate::output::sarif::document(vec![rule], notifications, results);
    let mut out = serde_json::to_string_pretty(&sarif).unwrap_or_default();
    out.push('\n');
    out
}
