//! `--format junit`: one test suite per test file, one test case per test (names unique within
//! their suite), file and policy-set errors as errored test cases.

use std::collections::HashMap;
use std::io::Write;

use cedarcheck_test_runner::explain::report_lines;
use cedarcheck_test_runner::{RunReport, TestReport};

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
            escape(&name),
            n = set.errors.len()
        )?;
        for (index, error) in set.errors.iter().enumerate() {
            writeln!(
                out,
                r#"    <testcase name="error {}" classname="{}" file="{}" line="{}">"#,
                index + 1,
                escape(&name),
                escape(&error.file),
                error.line
            )?;
            writeln!(
                out,
                r#"      <error message="{}" type="policy-set">{}</error>"#,
                escape(&error.message),
                escape(&error.to_string())
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
            escape(&file.path),
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
                escape(&name),
                escape(&file.path),
                escape(&file.path),
                error.line
            )?;
            writeln!(
                out,
                r#"      <error message="{}" type="test-file">{}</error>"#,
                escape(&error.message),
                escape(&error.to_string())
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
                escape(&name),
                escape(&file.path),
                escape(&file.path),
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
                escape(&test.failures.join("; ")),
                escape(&details(&file.path, test))
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

/// XML text and attribute escaping; characters XML 1.0 cannot hold become U+FFFD.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\t' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_and_control_characters() {
        assert_eq!(
            escape("a<b & \"c\"\u{1}"),
            "a&lt;b &amp; &quot;c&quot;\u{FFFD}"
        );
    }
}
