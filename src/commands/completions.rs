//! `cedarcheck completions SHELL` and `cedarcheck man [COMMAND]`: the shell completion script
//! and the man pages, both generated from the command line's own definition (src/cli.rs), so
//! they list every command and flag there is (README "Installation").

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs};
use crate::output::to_stdout;

/// Prints the completion script of `args.shell` for every command and flag.
pub fn completions(args: &CompletionsArgs) -> u8 {
    let mut command = Cli::command();
    // Generated into memory first: clap_complete panics when its writer fails, and a closed
    // pipe (`cedarcheck completions bash | head`) must end quietly (README "Exit codes").
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "cedarcheck", &mut script);
    to_stdout(|out| out.write_all(&script));
    crate::exit::CLEAN
}

/// Prints a man page as roff: `cedarcheck(1)` (the commands, the flags every command accepts,
/// the version with its commit), or with a command `cedarcheck-COMMAND(1)`, the page its
/// entry in `cedarcheck(1)` refers to.
pub fn man(args: &ManArgs) -> u8 {
    let mut root = Cli::command().disable_help_subcommand(true);
    // Built, the commands carry the global flags and their display names (`cedarcheck-check`).
    root.build();
    let command = match &args.command {
        None => root,
        Some(name) => match root.find_subcommand(name) {
            Some(command) => command.clone(),
            None => {
                let names: Vec<&str> = root.get_subcommands().map(|c| c.get_name()).collect();
                return super::fail(format!(
                    "`{name}` is not a command; the commands are {}",
                    names.join(", ")
                ));
            }
        },
    };
    let title = command
        .get_display_name()
        .unwrap_or(command.get_name())
        .to_uppercase();
    let mut page = Vec::new();
    if let Err(error) = clap_mangen::Man::new(command)
        .title(title)
        .source(concat!("cedarcheck ", env!("CEDARCHECK_VERSION")))
        .render(&mut page)
    {
        return super::fail(format!("cannot render the man page: {error}"));
    }
    to_stdout(|out| out.write_all(&page));
    crate::exit::CLEAN
}
