//! `--format github`: one GitHub Actions workflow command per finding, which the runner turns
//! into an annotation on the file and lines of the pull request:
//! `::error file=…,line=…,endLine=…,col=…,endColumn=…,title=…::message`.

use std::io::Write;

use cedarcheck_analyzer::Level;

use super::CheckResult;

pub fn write(out: &mut impl Write, result: &CheckResult) -> std::io::Result<()> {
    for finding in &result.findings {
        let (start, end) = result.locate(&finding.file, finding.span);
        let command = match finding.level {
            Level::Error => "error",
            Level::Warn => "warning",
            Level::Info => "notice",
        };
        let mut message = finding.message.clone();
        if let Some(policy) = &finding.policy_id {
            if !message.contains(policy.as_str()) {
                message = format!("{message} (policy `{policy}`)");
            }
        }
        if let Some(help) = &finding.help {
            message = format!("{message}\nhelp: {help}");
        }
        writeln!(
            out,
            "::{command} file={},line={},endLine={},col={},endColumn={},title={}::{}",
            property(result.repo_path(&finding.file)),
            start.line,
            end.line,
            start.column,
            end.column,
            property(&format!("cedarcheck {}", finding.rule)),
            data(&message),
        )?;
    }
    Ok(())
}

/// GitHub's escaping of a command's message: `%`, CR and LF (`mutants --format github` too).
pub(crate) fn data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// GitHub's escaping of a property value: as a message, plus `:` and `,`.
pub(crate) fn property(text: &str) -> String {
    data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_as_the_actions_toolkit_does() {
        assert_eq!(data("100% a\r\nb: c, d"), "100%25 a%0D%0Ab: c, d");
        assert_eq!(property("a:b,c%\n"), "a%3Ab%2Cc%25%0A");
    }
}
