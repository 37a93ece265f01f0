//! Command-line interface: every command, flag and default of README "Usage".

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "cedarcheck",
    // The version and the commit it was built from (build.rs).
    version = env!("CEDARCHECK_VERSION"),
    about = "Linter, prover and test harness for Cedar authorization policies",
    after_help = "Without a command, `cedarcheck` runs `cedarcheck check .`."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Parse, validate (strict) and lint policy sets; the default command.
    Check(CheckArgs),
    /// Run allow/deny test files against their policy sets; `--coverage` per policy.
    Test(TestArgs),
    /// List the rules, or print one rule's documentation.
    Rules(RulesArgs),
    /// Format policy files as `cedar format` does; `--check` only shows the diff.
    Fmt(FmtArgs),
    /// Write a commented starter cedarcheck.toml (never overwrites one).
    Init(InitArgs),
    /// What access a change adds or removes, proven per request environment, with examples.
    Diff(DiffArgs),
    /// Would the tests notice a weakened policy? Mutation testing, with the score.
    Mutants(MutantsArgs),
    /// Re-decide logged requests (decision logs) with the working tree's policy set, or compare
    /// `--base REV`'s with it: which real requests a change would newly allow or deny.
    Replay(ReplayArgs),
    /// Combine the shard results of `check --deep --shard K/N` into the report of one run.
    Merge(MergeArgs),
    /// Language server on stdio: the findings of `check`, live in the editor.
    Lsp,
    /// Print the shell completion script for SHELL (see README "Installation").
    Completions(CompletionsArgs),
    /// Print the man page (roff): `cedarcheck man > cedarcheck.1`, or a command's page:
    /// `cedarcheck man check > cedarcheck-check.1`.
    Man(ManArgs),
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The command whose page to print (default: the page of cedarcheck itself).
    pub command: Option<String>,
}

#[derive(Args, Debug)]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: clap_complete::Shell,
}

#[derive(Args, Debug, Default)]
pub struct CheckArgs {
    /// Files or directories; a file checks the whole policy set it belongs to and shows the
    /// findings in that file. Defaults to the current directory.
    pub paths: Vec<PathBuf>,
    /// Report only findings that this baseline file does not record.
    #[arg(long, value_name = "FILE", conflicts_with = "write_baseline")]
    pub baseline: Option<PathBuf>,
    /// Record today's findings in this baseline file (JSON) and exit 0.
    #[arg(long, value_name = "FILE")]
    pub write_baseline: Option<PathBuf>,
    /// Ask the solver everything again instead of reusing answers from .cedarcheck_cache/.
    #[arg(long)]
    pub no_cache: bool,
    /// Prove only shard K of N of every set's request environments and print a shard result
    /// (JSON) for `cedarcheck merge`; needs the deep analysis.
    #[arg(long, value_name = "K/N", value_parser = shard,
          conflicts_with_all = ["baseline", "write_baseline"])]
    pub shard: Option<cedarcheck_prover::Shard>,
}

fn shard(text: &str) -> Result<cedarcheck_prover::Shard, cedarcheck_prover::ShardError> {
    text.parse()
}

/// Combines the shard results of `check --deep --shard K/N`, one per shard, into the report
/// an unsharded `check --deep` gives: the run is repeated with the shards' answers.
#[derive(Args, Debug)]
pub struct MergeArgs {
    /// The shard results (files ending in `.json`), then the files or directories the shards
    /// checked (default: the current directory).
    #[arg(required = true, value_name = "SHARD.json|PATH")]
    pub args: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct TestArgs {
    /// Test files, or directories to search for them. Defaults to the `tests` globs of
    /// cedarcheck.toml, or every JSON test file under the current directory.
    pub paths: Vec<PathBuf>,
    /// Run only the tests whose name matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// Report, for every policy, how many tests it determined, and the policies none does.
    #[arg(long)]
    pub coverage: bool,
    /// Fail when fewer than PCT percent of the policies determine some test (implies
    /// `--coverage`).
    #[arg(long, value_name = "PCT", value_parser = percent)]
    pub min_coverage: Option<f64>,
    /// For every policy no test determines, have the solver write a test entry it does
    /// determine, verified against the set (implies `--coverage`; needs cvc5 and a schema).
    #[arg(long)]
    pub suggest: bool,
    /// Succeed when no test runs (by default an empty run fails).
    #[arg(long)]
    pub allow_empty: bool,
}

/// Why a `PCT` argument is not a percentage; clap prints it after the argument's name.
#[derive(Debug, thiserror::Error)]
enum PercentError {
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("{0} is not between 0 and 100")]
    OutOfRange(f64),
}

fn percent(text: &str) -> Result<f64, PercentError> {
    let value: f64 = text
        .trim_end_matches('%')
        .parse()
        .map_err(|_| PercentError::NotANumber(text.to_string()))?;
    if (0.0..=100.0).contains(&value) {
        Ok(value)
    } else {
        Err(PercentError::OutOfRange(value))
    }
}

/// Would the tests notice a weakened policy? Mutates every policy the tests run against, one
/// place at a time, and reports each mutant no test kills, with the mutation score.
#[derive(Args, Debug)]
pub struct MutantsArgs {
    /// Test files or directories, as for `test` (default: `.`).
    pub paths: Vec<PathBuf>,
    /// Mutate only the policies whose id matches this regular expression.
    #[arg(long, value_name = "REGEX")]
    pub filter: Option<String>,
    /// Exit 1 when the score (killed / (mutants − invalid − equivalent)) is below PCT.
    #[arg(long, value_name = "PCT", value_parser = percent)]
    pub min_score: Option<f64>,
    /// Append the test that kills each survivor (found by cvc5) to this native test file,
    /// which the set's tests must pick up; created when missing.
    #[arg(long, value_name = "FILE")]
    pub write_tests: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct FmtArgs {
    /// Policy files, or directories whose policy sets' policy and invariant files are
    /// formatted. Defaults to the current directory.
    pub paths: Vec<PathBuf>,
    /// Write nothing; print a unified diff and exit 1 when a file would change.
    #[arg(long)]
    pub check: bool,
}

#[derive(Args, Debug)]
#[command(group(clap::ArgGroup::new("sides").required(true).args(["base", "old"])))]
pub struct DiffArgs {
    /// The workspace to compare (a directory or a file in it; default: the current directory).
    #[arg(conflicts_with_all = ["old", "new"])]
    pub path: Option<PathBuf>,
    /// Compare the working tree with this git revision (read with `git`, no checkout).
    #[arg(long, value_name = "REV", conflicts_with_all = ["old", "new"])]
    pub base: Option<String>,
    /// Compare the policy sets of two directories: `--old DIR --new DIR`.
    #[arg(long, value_name = "DIR", requires = "new")]
    pub old: Option<PathBuf>,
    #[arg(long, value_name = "DIR", requires = "old")]
    pub new: Option<PathBuf>,
    /// Exit 0 even when the change adds access (it is still reported).
    #[arg(long)]
    pub allow_new_access: bool,
}

/// `cedarcheck replay LOG…` (docs/decision-logs.md).
#[derive(Args, Debug)]
pub struct ReplayArgs {
    /// Decision logs: native JSON Lines or CloudTrail files, `.gz` or not, globs, `-` for
    /// standard input. Together they are one log.
    #[arg(required = true, value_name = "LOG")]
    pub logs: Vec<String>,
    /// A snapshot of the entity store (Cedar entities JSON) for lines without `entities`.
    #[arg(long, value_name = "FILE")]
    pub entities: Option<PathBuf>,
    /// Compare this git revision's policy set with the working tree's on the logged requests,
    /// instead of the logged decisions with the working tree's.
    #[arg(long, value_name = "REV")]
    pub base: Option<String>,
    /// The `[[set]]` to replay against, when the config names several.
    #[arg(long, value_name = "NAME")]
    pub set: Option<String>,
    /// Lines that are not valid JSON, do not map or no longer validate fail the run when there
    /// are more than N of them.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub max_invalid: usize,
    /// Exit 0 even when a logged request would be newly allowed (it is still reported).
    #[arg(long)]
    pub allow_new_access: bool,
    /// Exit 0 even when a logged request would be newly denied (it is still reported).
    #[arg(long)]
    pub allow_removed_access: bool,
}

#[derive(Args, Debug)]
pub struct InitArgs {
    /// The directory to write cedarcheck.toml in.
    #[arg(default_value = ".")]
    pub dir: PathBuf,
}

#[derive(Args, Debug)]
pub struct RulesArgs {
    /// A rule id, e.g. `permit-all`.
    pub rule: Option<String>,
}

/// Flags every command accepts.
#[derive(Args, Debug)]
pub struct CommonArgs {
    /// Use this cedarcheck.toml instead of searching upwards from the paths.
    #[arg(long, global = true, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Output format [default: pretty on a terminal, compact otherwise].
    #[arg(long, global = true, value_enum)]
    pub format: Option<Format>,
    /// Exit 1 when a finding is at or above this level.
    #[arg(long, global = true, value_enum, default_value_t = FailLevel::Warn)]
    pub fail_level: FailLevel,
    /// Skip the solver-backed (deep) rules.
    #[arg(long, global = true, conflicts_with = "deep")]
    pub no_deep: bool,
    /// Demand the solver-backed (deep) rules; exit 2 when they cannot run.
    #[arg(long, global = true)]
    pub deep: bool,
    /// Parallel jobs (0 = all cores).
    #[arg(long, global = true, value_name = "N")]
    pub jobs: Option<usize>,
    /// When to color output.
    #[arg(long, global = true, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
    /// Print findings only: no summary and no notes.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say which config, policy sets and files are checked.
    #[arg(short, long, global = true)]
    pub verbose: bool,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Pretty,
    Compact,
    Json,
    /// SARIF 2.1.0, for GitHub code scanning.
    Sarif,
    /// GitHub Actions workflow commands (annotations).
    Github,
    /// JUnit XML: one test case per finding.
    Junit,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum FailLevel {
    Error,
    Warn,
    Info,
}

impl FailLevel {
    pub fn level(self) -> cedarcheck_analyzer::Level {
        match self {
            FailLevel::Error => cedarcheck_analyzer::Level::Error,
            FailLevel::Warn => cedarcheck_analyzer::Level::Warn,
            FailLevel::Info => cedarcheck_analyzer::Level::Info,
        }
    }
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}
