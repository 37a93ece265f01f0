//! Rendering findings: one module per `--format`.

mod compact;
pub mod diff;
mod github;
mod json;
mod junit;
mod pretty;
mod sarif;
pub mod test_report;

use std::collections::{BTreeSet, HashMap};
use std::io::IsTerminal;
use std::sync::Arc;

use cedarcheck_analyzer::{Finding, Level, LineIndex, Position};

use crate::cli::{ColorChoice, CommonArgs, Format};

/// Everything `check` found, with paths as shown to the user.
#[derive(Default)]
pub struct CheckResult {
    pub findings: Vec<Finding>,
    /// Display path → text and its line index, for snippets and line/column.
    pub sources: HashMap<String, (Arc<str>, LineIndex)>,
    pub files: usize,
    pub policies: usize,
    /// Things the user should know that are not findings (e.g. validation was skipped).
    pub notes: Vec<String>,
    /// Display path → path relative to the repository root (git's, else the workspace's), with
    /// `/` separators: what SARIF, GitHub annotations, JUnit and baselines record.
    pub repo_paths: HashMap<String, String>,
    /// With `--baseline`: findings not shown because the baseline records them.
    pub baselined: Option<usize>,
    /// Display paths of the files whose findings are shown: every file of the sets checked,
    /// or only the files named on the command line.
    pub reported_files: BTreeSet<String>,
}

impl CheckResult {
    pub fn add_source(&mut self, path: String, text: Arc<str>) {
        let index = LineIndex::new(&text);
        self.sources.insert(path, (text, index));
    }

    /// Start and end of a span in a file, 1-based.
    pub fn locate(&self, file: &str, span: cedarcheck_analyzer::Span) -> (Position, Position) {
        match self.sources.get(file) {
            Some((text, index)) => (
                index.position(text, span.start),
                index.position(text, span.end),
            ),
            None => {
                let start = Position { line: 1, column: 1 };
                (start, start)
            }
        }
    }

    /// `file` (a display path) relative to the repository root.
    pub fn repo_path<'a>(&'a self, file: &'a str) -> &'a str {
        self.repo_paths.get(file).map_or(file, String::as_str)
    }

    fn count(&self, level: Level) -> usize {
        self.findings.iter().filter(|f| f.level == level).count()
    }
}

/// Findings in `format`; `check` prints every format this way, `diff` the ones for other tools.
pub fn write_findings(
    out: &mut impl std::io::Write,
    format: Format,
    result: &CheckResult,
    fail_level: Level,
    color: bool,
) -> std::io::Result<()> {
    match format {
        Format::Pretty => pretty::write(out, result, color),
        Format::Compact => compact::write(out, result),
        Format::Json => json::write(out, result),
        Format::Sarif => sarif::write(out, result),
        Format::Github => github::write(out, result),
        Format::Junit => junit::write(out, result, fail_level),
    }
}

pub fn print_check(result: &CheckResult, common: &CommonArgs) {
    let stdout_is_terminal = std::io::stdout().is_terminal();
    let format = common.format.unwrap_or(if stdout_is_terminal {
        Format::Pretty
    } else {
        Format::Compact
    });
    let color = match common.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => stdout_is_terminal && std::env::var_os("NO_COLOR").is_none(),
    };
    let mut out = std::io::stdout().lock();
    let written = write_findings(&mut out, format, result, common.fail_level.level(), color);
    // A closed pipe (`cedarcheck check | head`) is not worth a second error.
    drop(written);
    if !common.quiet && format != Format::Json {
        for note in &result.notes {
            eprintln!("note: {note}");
        }
        // SARIF and JUnit are files for other tools: stdout holds nothing else.
        if matches!(format, Format::Sarif | Format::Junit) {
            eprintln!("{}", summary(result));
        } else {
            println!("{}", summary(result));
        }
    }
}

fn summary(result: &CheckResult) -> String {
    let checked = format!(
        "{} {} in {} {}",
        result.policies,
        plural(result.policies, "policy", "policies"),
        result.files,
        plural(result.files, "file", "files")
    );
    let baselined = match result.baselined.unwrap_or(0) {
        0 => String::new(),
        n => format!(
            "; {n} baselined {} not shown",
            plural(n, "finding", "findings")
        ),
    };
    if result.findings.is_empty() {
        return format!("All checks passed: {checked}{baselined}.");
    }
    let parts: Vec<String> = [
        (Level::Error, "error", "errors"),
        (Level::Warn, "warning", "warnings"),
        (Level::Info, "info", "infos"),
    ]
    .into_iter()
    .filter_map(|(level, one, many)| {
        let n = result.count(level);
        (n > 0).then(|| format!("{n} {}", plural(n, one, many)))
    })
    .collect();
    format!("Found {} ({checked}){baselined}.", parts.join(", "))
}

fn plural<'a>(n: usize, one: &'a str, many: &'a str) -> &'a str {
    if n == 1 {
        one
    } else {
        many
    }
}
