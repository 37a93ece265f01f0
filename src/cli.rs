//! Command-line interface: every command, flag and default of DESIGN §1.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

#[derive(Parser, Debug)]
#[command(
    name = "cedarcheck",
    version,
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
    /// List the rules, or print one rule's documentation.
    Rules(RulesArgs),
}

#[derive(Args, Debug, Default)]
pub struct CheckArgs {
    /// Files or directories; a file checks the whole policy set it belongs to and shows the
    /// findings in that file. Defaults to the current directory.
    pub paths: Vec<PathBuf>,
    /// Ask the solver everything again instead of reusing answers from .cedarcheck_cache/.
    #[arg(long)]
    pub no_cache: bool,
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
