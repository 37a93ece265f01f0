//! Source snippets with labels and help, rendered by ariadne.

use std::io::Write;

use ariadne::{Color, Config, IndexType, Label, Report, ReportKind};
use cedarcheck_analyzer::{Level, LineIndex, Span};

use super::{CheckResult, Group};

pub fn write(out: &mut impl Write, result: &CheckResult, color: bool) -> std::io::Result<()> {
    let mut cache = ariadne::sources(
        result
            .findings
            .iter()
            .flat_map(|f| std::iter::once(&f.file).chain(f.related.iter().map(|r| &r.file)))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .map(|file| {
                let text = result.sources.get(file).map(|(text, _)| text.clone());
                (file.clone(), text.unwrap_or_default())
            }),
    );
    for finding in &result.findings {
        let (kind, label_color) = match finding.level {
            Level::Error => (ReportKind::Error, Color::Red),
            Level::Warn => (ReportKind::Warning, Color::Yellow),
            Level::Info => (ReportKind::Advice, Color::Cyan),
        };
        let range = byte_range(result, &finding.file, finding.span);
        let label = finding.policy_id.as_ref().map_or_else(
            || finding.rule.to_string(),
            |id| format!("in policy `{id}`"),
        );
        let mut report = Report::build(kind, (finding.file.clone(), range.clone()))
            .with_config(
                Config::default()
                    .with_color(color)
                    .with_index_type(IndexType::Byte),
            )
            .with_code(finding.rule)
            .with_message(&finding.message)
            .with_label(
                Label::new((finding.file.clone(), range))
                    .with_message(label)
                    .with_color(label_color),
            );
        for related in &finding.related {
            report = report.with_label(
                Label::new((
                    related.file.clone(),
                    byte_range(result, &related.file, related.span),
                ))
                .with_message(&related.message)
                .with_color(Color::Blue),
            );
        }
        if let Some(help) = &finding.help {
            report = report.with_help(help);
        }
        report.finish().write(&mut cache, &mut *out)?;
    }
    Ok(())
}

/// The most frequent findings ([`super::frequent`]), after the findings themselves, so that
/// one cause behind many findings shows at a glance. Nothing without a group.
pub fn write_frequent(out: &mut impl Write, groups: &[Group]) -> std::io::Result<()> {
    if groups.is_empty() {
        return Ok(());
    }
    let width = groups
        .iter()
        .map(|g| g.count.to_string().len())
        .max()
        .unwrap_or(0);
    writeln!(out, "Most frequent:")?;
    for group in groups {
        writeln!(
            out,
            "  {:>width$} × {}[{}] {}  (first at {})",
            group.count, group.level, group.rule, group.message, group.first_at
        )?;
    }
    Ok(())
}

/// ariadne panics on a range that cuts a character; widen to whole characters.
fn byte_range(result: &CheckResult, file: &str, span: Span) -> std::ops::Range<usize> {
    let text = result.sources.get(file).map_or("", |(text, _)| text);
    let span = LineIndex::char_span(text, span);
    span.start..span.end
}
