//! `file:line:col: level[rule] message`, one finding per line.

use std::io::Write;

use super::CheckResult;

pub fn write(out: &mut impl Write, result: &CheckResult) -> std::io::Result<()> {
    for finding in &result.findings {
        let (start, _) = result.locate(&finding.file, finding.span);
        writeln!(
            out,
            "{}:{}:{}: {}[{}] {}",
            finding.file,
            start.line,
            start.column,
            finding.level,
            finding.rule,
            one_line(&finding.message),
        )?;
    }
    Ok(())
}

/// Cedar's messages can span lines; compact output keeps one finding per line.
fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
}
