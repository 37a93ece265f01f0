//! The `cedarcheck` binary: a thin layer that reads files, calls the analysis core and prints.

/// Std's `eprintln!` panics when stderr is closed (`cedarcheck … 2>&1 | head -0`); a message
/// nobody can read is dropped instead. Defined before the modules, so it is theirs too.
macro_rules! eprintln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod cli;
mod commands;
mod deep;
mod output;
mod shard_result;

use std::process::ExitCode;

use clap::Parser;

/// Exit codes, as README "Exit codes" lists them.
pub mod exit {
    /// Nothing at or above the fail level.
    pub const CLEAN: u8 = 0;
    /// Findings at or above the fail level.
    pub const FINDINGS: u8 = 1;
    /// The tool could not do its job: bad config, unreadable file, usage error.
    pub const TOOL_ERROR: u8 = 2;
}

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() {
                exit::TOOL_ERROR
            } else {
                exit::CLEAN
            };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    let code = cedarcheck_analyzer::with_large_stack(|| commands::run(cli));
    ExitCode::from(output::exit_code(code))
}
