//! Rendering findings: one module per `--format`.

mod compact;
pub mod diff;
pub(crate) mod github;
mod json;
mod junit;
mod pretty;
pub(crate) mod sarif;
pub mod test_report;
pub(crate) mod xml;

use std::collections::{BTreeSet, HashMap};
use std::io::{IsTerminal, Write};
use std::sync::atomic::{AtomicU8, Ordering};
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
    /// The deep analysis of each policy set checked, in order: whether it ran, and what it
    /// left out.
    pub deep: Vec<SetDeep>,
}

/// The deep analysis of one policy set.
pub struct SetDeep {
    /// The set's `[[set]]` name, if it has one.
    pub set: Option<String>,
    pub summary: crate::deep::Summary,
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
    to_stdout(|out| write_findings(out, format, result, common.fail_level.level(), color));
    if !common.quiet && format != Format::Json {
        for note in &result.notes {
            eprintln!("note: {note}");
        }
        // SARIF and JUnit are files for other tools: stdout holds nothing else.
        if matches!(format, Format::Sarif | Format::Junit) {
            eprintln!("{}", summary(result));
        } else {
            let groups = frequent(result);
            match format {
                // Compact keeps stdout one finding per line: the groups are notes on stderr.
                Format::Compact => compact::write_frequent(&mut std::io::stderr().lock(), &groups)
                    .unwrap_or_else(|error| eprintln!("cedarcheck: error: {error}")),
                Format::Pretty => to_stdout(|out| pretty::write_frequent(out, &groups)),
                _ => {}
            }
            to_stdout(|out| writeln!(out, "{}", summary(result)));
        }
    }
}

/// What became of standard output: still open, closed by its reader, or failed otherwise.
static STDOUT_STATE: AtomicU8 = AtomicU8::new(STDOUT_OPEN);
const STDOUT_OPEN: u8 = 0;
const STDOUT_CLOSED: u8 = 1;
const STDOUT_FAILED: u8 = 2;

/// Standard output, as [`to_stdout`] lends it: a write that fails stops all printing.
pub struct Stdout(std::io::StdoutLock<'static>);

impl Stdout {
    /// Notes how a write failed; the first failure other than a closed pipe is reported.
    fn failed(error: &std::io::Error) {
        let state = match error.kind() {
            // `write_all` tries again.
            std::io::ErrorKind::Interrupted => return,
            // The reader is gone (`cedarcheck … | head`): nobody wants the rest, and the
            // exit code still says what the run found.
            std::io::ErrorKind::BrokenPipe => STDOUT_CLOSED,
            _ => STDOUT_FAILED,
        };
        let before = STDOUT_STATE
            .compare_exchange(STDOUT_OPEN, state, Ordering::SeqCst, Ordering::SeqCst)
            .unwrap_or_else(|current| current);
        if before == STDOUT_OPEN && state == STDOUT_FAILED {
            eprintln!("cedarcheck: error: cannot write to standard output: {error}");
        }
    }

    /// An error while printing has stopped: nothing more reaches the terminal or pipe.
    fn stopped() -> std::io::Result<()> {
        match STDOUT_STATE.load(Ordering::SeqCst) {
            STDOUT_OPEN => Ok(()),
            _ => Err(std::io::Error::new(
                std::io::ErrorKind::BrokenPipe,
                "standard output is closed",
            )),
        }
    }
}

impl Write for Stdout {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        Self::stopped()?;
        self.0.write(buf).inspect_err(Self::failed)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Self::stopped()?;
        self.0.flush().inspect_err(Self::failed)
    }
}

/// The one way the binary writes to standard output: `write` gets it locked, and what it
/// writes is flushed before this returns. Once a write has failed, nothing more is written:
/// a closed pipe ends the printing quietly, any other error is reported once on stderr and
/// makes the run exit 2 ([`exit_code`]).
pub fn to_stdout(write: impl FnOnce(&mut Stdout) -> std::io::Result<()>) {
    if Stdout::stopped().is_err() {
        return;
    }
    let mut out = Stdout(std::io::stdout().lock());
    if let Err(error) = write(&mut out).and_then(|()| out.flush()) {
        // An error the writer made itself rather than one from the pipe stops it all the same.
        Stdout::failed(&error);
    }
}

/// The exit code of a run that would exit with `code`: a closed pipe leaves it as it is, any
/// other failure to write standard output makes it a tool error.
pub fn exit_code(code: u8) -> u8 {
    if STDOUT_STATE.load(Ordering::SeqCst) == STDOUT_FAILED {
        code.max(crate::exit::TOOL_ERROR)
    } else {
        code
    }
}

/// Findings of one rule and level whose messages read the same once the policy's id is
/// taken out: usually one cause (a schema without `context`, say) seen from many policies.
pub struct Group {
    pub count: usize,
    pub level: Level,
    pub rule: &'static str,
    /// The shared message, on one line, with the policy id shown as `` `…` ``.
    pub message: String,
    /// Where the first of them is, as `file:line:col`.
    pub first_at: String,
}

/// A group needs this many findings to be listed.
const GROUP_MIN: usize = 3;
/// At most this many groups are listed.
const GROUP_MAX: usize = 5;

/// The largest groups of repeated findings ([`Group`]): at most [`GROUP_MAX`], each of at
/// least [`GROUP_MIN`] findings, largest first, ties by rule, then message, then level.
pub fn frequent(result: &CheckResult) -> Vec<Group> {
    let mut groups: Vec<Group> = Vec::new();
    let mut index: HashMap<(Level, &'static str, String), usize> = HashMap::new();
    for finding in &result.findings {
        let mut message = one_line(&finding.message);
        if let Some(id) = &finding.policy_id {
            message = message.replace(&format!("`{id}`"), "`…`");
        }
        let key = (finding.level, finding.rule, message);
        match index.get(&key) {
            Some(&i) => groups[i].count += 1,
            None => {
                let (start, _) = result.locate(&finding.file, finding.span);
                index.insert(key.clone(), groups.len());
                groups.push(Group {
                    count: 1,
                    level: key.0,
                    rule: key.1,
                    message: key.2,
                    first_at: format!("{}:{}:{}", finding.file, start.line, start.column),
                });
            }
        }
    }
    groups.retain(|g| g.count >= GROUP_MIN);
    groups.sort_by(|a, b| {
        let order = |g: &Group| (g.rule, g.message.clone(), g.level.as_str());
        b.count.cmp(&a.count).then_with(|| order(a).cmp(&order(b)))
    });
    groups.truncate(GROUP_MAX);
    groups
}

/// Cedar's messages can span lines; listings that show one message a line join them.
pub(crate) fn one_line(message: &str) -> String {
    message.split_whitespace().collect::<Vec<_>>().join(" ")
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
