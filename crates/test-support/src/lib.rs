//! The one rule for tests that need an external tool (cvc5, pre-commit, Neovim, the `cedar`
//! CLI): with the tool, the test runs; without it, the test says on stderr that it was skipped
//! and how to install the tool — and under CI it fails instead, because CI (`.ci/run`) installs
//! every tool a test requires, so a missing one is a broken CI, not a reason to pass.
//!
//! ```no_run
//! use cedarcheck_test_support::{require_tool, Tool};
//!
//! #[test]
//! fn proves_something() {
//!     let Some(cvc5) = require_tool("proves_something", Tool::Cvc5) else {
//!         return;
//!     };
//!     // … run cvc5 …
//! }
//! ```

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// An external program some tests need.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tool {
    /// The SMT solver of the deep rules: `$CVC5` if set (as cedarcheck itself finds it), else
    /// `cvc5` on `PATH`.
    Cvc5,
    /// `pre-commit` on `PATH`, one that runs (a pyenv shim exists even without a Python
    /// version that provides it).
    PreCommit,
    /// Neovim, `nvim` on `PATH`.
    Neovim,
    /// The Cedar CLI, `cedar` on `PATH` or in `~/.cargo/bin` (where `cargo install` puts it).
    Cedar,
}

impl Tool {
    /// The program's name.
    pub fn program(self) -> &'static str {
        match self {
            Tool::Cvc5 => "cvc5",
            Tool::PreCommit => "pre-commit",
            Tool::Neovim => "nvim",
            Tool::Cedar => "cedar",
        }
    }

    /// How to get it.
    pub fn install_hint(self) -> &'static str {
        match self {
            Tool::Cvc5 => "apt-get install cvc5, or set $CVC5",
            Tool::PreCommit => "pip install pre-commit",
            Tool::Neovim => "apt-get install neovim",
            Tool::Cedar => {
                "cargo install cedar-policy-cli --locked --version <the cedar-policy-formatter Cargo.toml pins>"
            }
        }
    }

    /// Where the tool is, if it is installed; no skipping or failing (see [`require_tool`]).
    pub fn find(self) -> Option<PathBuf> {
        match self {
            Tool::Cvc5 => {
                // `$CVC5` decides when set, even when it names nothing: it is what cedarcheck runs.
                if let Some(path) = std::env::var_os("CVC5").filter(|p| !p.is_empty()) {
                    let path = PathBuf::from(path);
                    return is_executable(&path).then_some(path);
                }
                on_path("cvc5")
            }
            Tool::PreCommit => on_path("pre-commit").filter(|path| runs(path)),
            Tool::Neovim => on_path("nvim"),
            Tool::Cedar => on_path("cedar").or_else(|| {
                let home = PathBuf::from(std::env::var_os("HOME")?);
                Some(home.join(".cargo/bin/cedar")).filter(|path| is_executable(path))
            }),
        }
    }
}

impl std::fmt::Display for Tool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.program())
    }
}

/// Whether the tests run under CI: `$CI` set to anything but empty, `0` or `false` (CI services
/// set `CI=true`; `.ci/run` does too).
pub fn under_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "" | "0" | "false"))
}

/// `tool`'s path for the test named `test`, or `None` after printing
/// `<test>: skipped: <tool> not found (<how to install>)`: the test then returns without
/// asserting anything. Under CI ([`under_ci`]) a missing tool panics instead.
pub fn require_tool(test: &str, tool: Tool) -> Option<PathBuf> {
    decide(test, tool, tool.find(), under_ci())
}

fn decide(test: &str, tool: Tool, found: Option<PathBuf>, ci: bool) -> Option<PathBuf> {
    if found.is_none() {
        let hint = tool.install_hint();
        assert!(
            !ci,
            "{test}: {tool} not found; under CI a test that needs it fails instead of skipping ({hint})"
        );
        eprintln!("{test}: skipped: {tool} not found ({hint})");
    }
    found
}

fn on_path(program: &str) -> Option<PathBuf> {
    std::env::split_paths(&std::env::var_os("PATH")?)
        .map(|dir| dir.join(program))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        path.metadata()
            .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
    }
    #[cfg(not(unix))]
    {
        path.is_file()
    }
}

/// Whether `program --version` succeeds.
fn runs(program: &Path) -> bool {
    Command::new(program)
        .arg("--version")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_found_tool_is_returned_in_and_out_of_ci() {
        let path = PathBuf::from("/usr/bin/cvc5");
        for ci in [false, true] {
            assert_eq!(
                decide("t", Tool::Cvc5, Some(path.clone()), ci),
                Some(path.clone())
            );
        }
    }

    #[test]
    fn a_missing_tool_skips_locally() {
        assert_eq!(decide("t", Tool::Neovim, None, false), None);
    }

    #[test]
    #[should_panic(expected = "t: cedar not found; under CI a test that needs it fails")]
    fn a_missing_tool_fails_under_ci() {
        decide("t", Tool::Cedar, None, true);
    }
}
