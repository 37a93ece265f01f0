//! `--format junit`: one test suite per test file, one test case per test (names unique within
//! their suite), file and policy-set errors as errored test cases.

use std::collections::HashMap;
use std::io::Write;

use cedarcheck_test_runner::explain::report_lines;
use cedarcheck_test_runner::{RunReport, TestReport};

use crate::output::xml::{attribute, text};

pub fn write(out: &mut impl Write, report: &RunReport) -> std::io::Result<()> {
    let set_errors: usize = report.sets.iter().map(|s| s.errors.len()).sum();
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(
        out,
        r#"<testsuites name="cedarcheck test" tests="{}" failures="{}" errors="{}">"#,
        report.tests().count() + report.file_errors() + set_errors,
        report.failed(),
        report.file_errors() + set_errors
    )?;
    for set in report.sets.iter().filter(|s| !s.errors.is_empty()) {
        let name = format!("policy set {}", set.label);
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{n}" failures="0" errors="{n}">"#,
            attribute(&name),
            n = set.errors.len()
        )?;
        for (index, error) in set.errors.iter().enumerate() {
            writeln!(
                out,
                r#"    <testcase name="error {}" classname="{}" file="{}" line="{}">"#,
                index + 1,
                attribute(&name),
                attribute(&error.file),
                error.line
            )?;
            writeln!(
                out,
                r#"      <error message="{}" type="policy-set">{}</error>"#,
                attribute(&error.message),
                text(&error.to_string())
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    for file in &report.files {
        let failed = file.tests.iter().filter(|t| !t.passed()).count();
        writeln!(
            out,
            r#"  <testsuite name="{}" tests="{}" failures="{failed}" errors="{}">"#,
            attribute(&file.path),
            file.tests.len() + file.errors.len(),
            file.errors.len()
        )?;
        for (index, error) in file.errors.iter().enumerate() {
            let name = if file.errors.len() == 1 {
                "(file)".to_string()
            } else {
                format!("(file) #{}", index + 1)
            };
            writeln!(
                out,
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}">"#,
                attribute(&name),
                attribute(&file.path),
                attribute(&file.path),
                error.line
            )?;
            writeln!(
                out,
                r#"      <error message="{}" type="test-file">{}</error>"#,
                attribute(&error.message),
                text(&error.to_string())
            )?;
            writeln!(out, "    </testcase>")?;
        }
        let mut taken: HashMap<&str, usize> = HashMap::new();
        for test in &file.tests {
            let seen = taken.entry(&test.name).or_insert(0);
            *seen += 1;
            let name = if *seen == 1 {
                test.name.clone()
            } else {
                format!("{} (#{seen})", test.name)
            };
            let open = format!(
                r#"    <testcase name="{}" classname="{}" file="{}" line="{}""#,
                attribute(&name),
                attribute(&file.path),
                attribute(&file.path),
                test.line
            );
            if test.passed() {
                writeln!(out, "{open}/>")?;
                continue;
            }
            writeln!(out, "{open}>")?;
            writeln!(
                out,
                r#"      <failure message="{}" type="assertion">{}</failure>"#,
                attribute(&test.failures.join("; ")),
                text(&details(&file.path, test))
            )?;
            writeln!(out, "    </testcase>")?;
        }
        writeln!(out, "  </testsuite>")?;
    }
    writeln!(out, "</testsuites>")
}

/// The failure's body: where, the request, and why.
fn details(file: &str, test: &TestReport) -> String {
    let mut text = format!("{file}:{}: {}\n", test.line, test.name);
    if let Some(request) = &test.request {
        text.push_str(&format!(
            "request: principal {}, action {}, resource {}, context {}\n",
            request.principal, request.action, request.resource, request.context
        ));
    }
    if let Some(actual) = &test.actual {
        text.push_str(&format!(
            "actual: {} because of [{}]\n",
            actual.decision.as_str(),
            actual.reason.join(", ")
        ));
        for error in &actual.errors {
            text.push_str(&format!("error in {}: {}\n", error.policy, error.message));
        }
    }
    for (i, line) in report_lines(&test.explanation).into_iter().enumerate() {
        text.push_str(if i == 0 { "because: " } else { "  " });
        text.push_str(&line);
        text.push('\n');
    }
    for failure in &test.failures {
        text.push_str(failure);
        text.push('\n');
    }
    text
}
