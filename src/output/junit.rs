//! `--format junit`: JUnit XML as CI systems read it. Every file reported on is a test suite;
//! every finding is a test case with a unique name, failed when it is at or above
//! `--fail-level` (so the report agrees with the exit code); a file without findings has one
//! passing case.

use std::collections::{BTreeMap, HashSet};
use std::io::Write;

use cedarcheck_analyzer::{Finding, Level};

use super::xml::{attribute, text};
use super::CheckResult;

pub fn write(out: &mut impl Write, result: &CheckResult, fail_level: Level) -> std::io::Result<()> {
    let mut suites: BTreeMap<&str, Vec<&Finding>> = result
        .reported_files
        .iter()
        .map(|file| (result.repo_path(file), Vec::new()))
        .collect();
    for finding in &result.findings {
        suites
            .entry(result.repo_path(&finding.file))
            .or_default()
            .push(finding);
    }
    let failing = |f: &Finding| f.level >= fail_level;
    let tests: usize = suites.values().map(|f| f.len().max(1)).sum();
    let failures = result.findings.iter().filter(|f| failing(f)).count();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="cedarcheck" tests="{tests}" failures="{failures}" errors="0">"#
    )?;
    let mut names = HashSet::new();
    for (file, findings) in &suites {
        let file_attr = attribute(file);
        writeln!(
            out,
            r#"  <testsuite name="{file_attr}" tests="{}" failures="{}" errors="0" skipped="0">"#,
            findings.len().max(1),
            findings.iter().filter(|f| failing(f)).count(),
        )?;
        if findings.is_empty() {
            writeln!(
                out,
                r#"    <testcase name="{}" classname="{file_attr}" file="{file_attr}"/>"#,
                attribute(&unique(&mut names, format!("{file}: no findings"))),
            )?;
        }
        for finding in findings {
            let (start, _) = result.locate(&finding.file, finding.span);
            let name = unique(
                &mut names,
                format!("{} at {file}:{}:{}", finding.rule, start.line, start.column),
            );
            let mut detail = format!(
                "{file}:{}:{}: {}[{}] {}",
                start.line, start.column, finding.level, finding.rule, finding.message
            );
            if let Some(policy) = &finding.policy_id {
                detail.push_str(&format!("\npolicy: {policy}"));
            }
            if let Some(help) = &finding.help {
                detail.push_str(&format!("\nhelp: {help}"));
            }
            writeln!(
                out,
                r#"    <testcase name="{}" classname="{file_attr}" file="{file_attr}" line="{}">"#,
                attribute(&name),
                start.line,
            )?;
            if failing(finding) {
                writeln!(
                    out,
                    r#"      <failure message="{}" type="{}">{}</failure>"#,
                    attribute(&finding.message),
                    finding.rule,
                    text(&detail),
                )?;
            } else {
                writeln!(out, "      <system-out>{}</system-out>", text(&detail))?;
            }
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// `name`, or `name #2`, `name #3` … when it is taken.
fn unique(names: &mut HashSet<String>, name: String) -> String {
    let mut candidate = name.clone();
    let mut n = 1;
    while names.contains(&candidate) {
        n += 1;
        candidate = format!("{name} #{n}");
    }
    names.insert(candidate.clone());
    candidate
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_made_unique() {
        let mut names = HashSet::new();
        assert_eq!(unique(&mut names, "a".into()), "a");
        assert_eq!(unique(&mut names, "a".into()), "a #2");
        assert_eq!(unique(&mut names, "a".into()), "a #3");
    }
}
