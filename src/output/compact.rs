//! `file:line:col: level[rule] message`, one finding per line.

use std::io::Write;

use super::{one_line, CheckResult, Group};

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

/// The most frequent findings ([`super::frequent`]), one `note:` line each, for stderr:
/// stdout keeps exactly one line per finding.
pub fn write_frequent(out: &mut impl Write, groups: &[Group]) -> std::io::Result<()> {
    for group in groups {
        writeln!(
            out,
            "note: most frequent: {} × {}[{}] {} (first at {})",
            group.count, group.level, group.rule, group.message, group.first_at
        )?;
    }
    Ok(())
}
