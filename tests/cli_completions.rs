//! `cedarcheck completions SHELL`, `cedarcheck man [COMMAND]` and `cedarcheck --version`
//! (README "Installation"): the scripts and pages are generated from the command line itself,
//! so every command `cedarcheck --help` lists is in each of them.

mod support;

use std::path::Path;
use std::process::{Command, Stdio};

use regex::Regex;
use support::cedarcheck;

fn repo() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// `cedarcheck ARGS`' stdout, after checking it exited 0 and said nothing on stderr.
fn stdout(args: &[&str]) -> String {
    let (code, stdout, stderr) = cedarcheck(repo(), args);
    assert_eq!((code, stderr.as_str()), (0, ""), "cedarcheck {args:?}");
    stdout
}

/// The commands `cedarcheck --help` lists, `help` aside.
fn commands() -> Vec<String> {
    let help = stdout(&["--help"]);
    let start = help.find("Commands:\n").expect("--help lists the commands") + 10;
    let listed: Vec<String> = help[start..]
        .lines()
        .take_while(|line| line.starts_with("  "))
        .filter_map(|line| line.split_whitespace().next())
        .filter(|name| *name != "help")
        .map(str::to_string)
        .collect();
    for expected in [
        "check",
        "test",
        "diff",
        "mutants",
        "merge",
        "completions",
        "man",
    ] {
        assert!(listed.iter().any(|c| c == expected), "{expected}: {help}");
    }
    listed
}

#[test]
fn bash_completion_offers_every_command_at_the_top_level_and_is_valid_bash() {
    let script = stdout(&["completions", "bash"]);
    assert!(script.starts_with("_cedarcheck() {\n"), "{script}");
    assert!(
        script.ends_with(
            "complete -F _cedarcheck -o nosort -o bashdefault -o default cedarcheck\n\
             else\n    complete -F _cedarcheck -o bashdefault -o default cedarcheck\nfi\n"
        ),
        "{script}"
    );
    // The words offered after `cedarcheck `: the global flags, then the commands.
    let top = script
        .lines()
        .find(|line| line.trim_start().starts_with("opts=\"-q -v -h -V --config"))
        .expect("the top-level opts line");
    let words: Vec<&str> = top
        .trim()
        .trim_start_matches("opts=\"")
        .trim_end_matches('"')
        .split(' ')
        .collect();
    for command in commands() {
        assert!(words.contains(&command.as_str()), "{command}: {top}");
        assert!(
            script.contains(&format!(
                "cedarcheck__subcmd__{})\n",
                command.replace('-', "__")
            )),
            "no completion case for `cedarcheck {command}`"
        );
    }
    // Flag values come from the value enums: `--format` offers every format.
    assert!(
        script.contains("compgen -W \"pretty compact json sarif github junit\""),
        "{script}"
    );
    let bash = Command::new("bash")
        .args(["-n", "-c", &script])
        .output()
        .expect("bash runs");
    assert!(bash.status.success(), "{bash:?}");
}

#[test]
fn every_shell_gets_a_script_naming_every_command() {
    let commands = commands();
    // How each shell's script starts, and how it names a command it completes.
    type Names = fn(&str) -> String;
    let shells: [(&str, &str, Names); 4] = [
        ("zsh", "#compdef cedarcheck\n", |c| format!("'{c}:")),
        ("fish", "# Print an optspec for argparse", |c| {
            format!("-f -a \"{c}\" -d '")
        }),
        (
            "powershell",
            "\nusing namespace System.Management.Automation",
            |c| format!("'cedarcheck;{c}' {{"),
        ),
        ("elvish", "\nuse builtin;\nuse str;\n", |c| {
            format!("&'cedarcheck;{c}'= {{")
        }),
    ];
    for (shell, start, names) in shells {
        let script = stdout(&["completions", shell]);
        assert!(script.starts_with(start), "{shell}: {script}");
        for command in &commands {
            let name = names(command);
            assert!(script.contains(&name), "{shell}: no `{name}` in\n{script}");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let (code, stdout, stderr) = cedarcheck(repo(), &["completions", "tcsh"]);
    assert_eq!((code, stdout.as_str()), (2, ""));
    assert!(
        stderr.starts_with(
            "error: invalid value 'tcsh' for '<SHELL>'\n  \
             [possible values: bash, elvish, fish, powershell, zsh]\n"
        ),
        "{stderr}"
    );
}

#[test]
fn the_man_page_is_roff_with_every_command_and_the_version() {
    let page = stdout(&["man"]);
    let version = stdout(&["--version"]);
    let version = version.trim_end();
    let lines: Vec<&str> = page.lines().collect();
    assert_eq!(
        lines[..5],
        [
            ".ie \\n(.g .ds Aq \\(aq",
            ".el .ds Aq '",
            &format!(".TH CEDARCHECK 1  \"{version}\" "),
            ".SH NAME",
            "cedarcheck \\- Linter, prover and test harness for Cedar authorization policies",
        ],
        "{page}"
    );
    let start = page
        .find("\n.SH SUBCOMMANDS\n")
        .expect("a SUBCOMMANDS section");
    let section = &page[start..];
    for command in commands() {
        let entry = format!("\n.TP\ncedarcheck\\-{}(1)\n", command.replace('-', "\\-"));
        assert!(section.contains(&entry), "no `{entry}` in\n{section}");
    }
    assert!(page.contains("\n.SH OPTIONS\n.TP\n\\fB\\-\\-config\\fR \\fI<FILE>\\fR\n"));
}

#[test]
fn each_command_has_the_man_page_the_main_page_refers_to() {
    let version = stdout(&["--version"]);
    for command in commands() {
        let page = stdout(&["man", &command]);
        let upper = command.to_uppercase();
        let th = format!(".TH CEDARCHECK-{upper} 1  \"{}\" \n", version.trim_end());
        assert!(page.contains(&th), "{command}: no `{th}` in\n{page}");
        let synopsis = format!(".SH SYNOPSIS\n\\fBcedarcheck {command}\\fR");
        assert!(page.contains(&synopsis), "{command}: {page}");
    }
    // A command's own flags and the global ones are on its page.
    let check = stdout(&["man", "check"]);
    assert!(
        check.contains("\\fB\\-\\-baseline\\fR \\fI<FILE>\\fR\n"),
        "{check}"
    );
    assert!(check.contains("\\fB\\-\\-fail\\-level\\fR"), "{check}");

    let (code, out, stderr) = cedarcheck(repo(), &["man", "frobnicate"]);
    assert_eq!(
        (code, out.as_str(), stderr.as_str()),
        (
            2,
            "",
            "cedarcheck: error: `frobnicate` is not a command; the commands are check, test, \
             rules, fmt, init, diff, mutants, replay, merge, lsp, completions, man\n"
        )
    );
}

/// `cedarcheck 0.1.0 (1a2b3c4d5 2026-12-02)` from a git checkout, as ruff prints it; the
/// commit is one of this repository's (the build may predate the newest one).
#[test]
fn version_names_the_version_and_the_commit_it_was_built_from() {
    let version = stdout(&["--version"]);
    assert_eq!(stdout(&["-V"]), version);
    let package = env!("CARGO_PKG_VERSION");
    if !repo().join(".git").exists() {
        assert_eq!(version, format!("cedarcheck {package}\n"));
        return;
    }
    let pattern =
        Regex::new(r"^cedarcheck (\S+) \(([0-9a-f]{9}) (\d{4}-\d{2}-\d{2})\)\n$").unwrap();
    let captures = pattern
        .captures(&version)
        .unwrap_or_else(|| panic!("{version:?} does not match {pattern}"));
    assert_eq!(&captures[1], package);
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .current_dir(repo())
            .args(args)
            .stderr(Stdio::null())
            .output()
            .expect("git runs");
        (
            output.status.success(),
            String::from_utf8_lossy(&output.stdout).trim().to_string(),
        )
    };
    let commit = format!("{}^{{commit}}", &captures[2]);
    let (exists, _) = git(&["rev-parse", "--verify", "-q", &commit]);
    assert!(exists, "{version:?}: no commit {} here", &captures[2]);
    let (_, date) = git(&["log", "-1", "--format=%cs", &captures[2]]);
    assert_eq!(date, &captures[3]);
}

/// A pipe whose reader has exited: the first write to it fails (as in cli_closed_stdout.rs).
fn pipe_without_reader() -> Stdio {
    let mut reader = Command::new("true").stdin(Stdio::piped()).spawn().unwrap();
    let writer = reader.stdin.take().unwrap();
    assert!(reader.wait().unwrap().success());
    Stdio::from(writer)
}

#[test]
fn a_closed_pipe_ends_the_script_and_the_page_quietly() {
    for args in [["completions", "bash"], ["man", "check"]] {
        let output = Command::new(env!("CARGO_BIN_EXE_cedarcheck"))
            .args(args)
            .stdout(pipe_without_reader())
            .stderr(Stdio::piped())
            .output()
            .unwrap();
        assert_eq!(
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stderr)
            ),
            (Some(0), "".into()),
            "cedarcheck {args:?}"
        );
    }
}
