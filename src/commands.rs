//! One module per command.

mod check;
mod completions;
mod diff;
mod fmt;
mod init;
mod lsp;
mod merge;
mod mutants;
mod replay;
mod rules;
mod test;

use crate::cli::{Cli, Command};

/// Runs the command and returns its exit code.
pub fn run(cli: Cli) -> u8 {
    match cli.command {
        Some(Command::Check(args)) => check::run(&args, &cli.common),
        Some(Command::Test(args)) => test::run(&args, &cli.common),
        Some(Command::Rules(args)) => rules::run(&args, &cli.common),
        Some(Command::Fmt(args)) => fmt::run(&args, &cli.common),
        Some(Command::Init(args)) => init::run(&args, &cli.common),
        Some(Command::Diff(args)) => diff::run(&args, &cli.common),
        Some(Command::Mutants(args)) => mutants::run(&args, &cli.common),
        Some(Command::Replay(args)) => replay::run(&args, &cli.common),
        Some(Command::Merge(args)) => merge::run(&args, &cli.common),
        Some(Command::Lsp) => lsp::run(),
        Some(Command::Completions(args)) => completions::completions(&args),
        Some(Command::Man(args)) => completions::man(&args),
        None => check::run(&Default::default(), &cli.common),
    }
}

/// The current directory, and the command's paths (the current directory when none is given).
pub fn cwd_and_paths(
    paths: &[std::path::PathBuf],
) -> Result<(std::path::PathBuf, Vec<std::path::PathBuf>), String> {
    let cwd =
        std::env::current_dir().map_err(|e| format!("cannot read the current directory: {e}"))?;
    let paths = if paths.is_empty() {
        vec![std::path::PathBuf::from(".")]
    } else {
        paths.to_vec()
    };
    Ok((cwd, paths))
}

/// Prints an error that stops the tool, ruff-style, and returns exit code 2.
pub fn fail(message: impl std::fmt::Display) -> u8 {
    eprintln!("cedarcheck: error: {message}");
    crate::exit::TOOL_ERROR
}
